"""Checks of the HTML report shared by the quick start (tests/test_quickstart.py) and the full
demo grid (tests/test_workflow.py): its embedded results, and the page as a browser renders it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest


def embedded(html: str, name: str):
    """The report's JSON blobs: `var <name> = {...};`"""
    found = re.search(rf"var {name} = (\{{.*?\}});\s*</script>", html, re.S)
    return json.loads(found.group(1))


def browser() -> str:
    for name in ("chromium-headless-shell", "chromium", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("XSTILTS_REQUIRE_BROWSER"):
        pytest.fail("no headless browser (apt-get install chromium-headless-shell)")
    pytest.skip("no headless browser installed")


def dump_dom(browser: str, page) -> str:
    """The page's DOM after its scripts ran, as a headless browser renders it."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000"]
    done = subprocess.run(
        [*cmd, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def assert_renders(report_html, tmp_path, categories: list[str], figures: list[str]) -> None:
    """The report's page runs in a browser (its menu, which its scripts draw, lists every
    category), and the browser decodes every figure the report embeds."""
    chromium = browser()
    html = report_html.read_text()
    static = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert not any(c in static for c in categories)  # drawn by the page's scripts, not static
    rendered = re.sub(
        r"<script.*?</script>|<style.*?</style>", "", dump_dom(chromium, report_html), flags=re.S
    )
    for category in categories:
        assert category in rendered, category
    # every figure as the browser decodes it: a page of <img> elements that writes each
    # image's decoded size into the DOM once loaded
    results = embedded(html, "results")
    images = "".join(
        f'<img id="f{i}" src="{results[path]["data_uri"]}">' for i, path in enumerate(figures)
    )
    script = (
        "<script>window.addEventListener('load', () => { for (const img of "
        "document.images) { const p = document.createElement('p'); p.className = 'size'; "
        "p.textContent = img.id + ' ' + img.naturalWidth + 'x' + img.naturalHeight; "
        "document.body.appendChild(p); } });</script>"
    )
    page = tmp_path / "figures.html"
    page.write_text(f"<html><body>{images}{script}</body></html>")
    sizes = dict(re.findall(r'<p class="size">(f\d+) (\d+x\d+)</p>', dump_dom(chromium, page)))
    assert len(sizes) == len(figures)
    for i, path in enumerate(figures):
        width, height = map(int, sizes[f"f{i}"].split("x"))
        assert width > 100 and height > 100, path


# Measures the landing page once the report's scripts have drawn it: the bounding box
# (left, top, right, bottom, in CSS pixels of the window) of each element, and the window's size.
_MEASURE = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const box = el => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const landing = document.getElementById('xstilts-landing');
  const text = landing ? landing.closest('.prose') : null;
  const heatmap = text ? text.querySelector('img[alt="gains over the baseline"]') : null;
  const out = {
    window: [window.innerWidth, window.innerHeight],
    title: box(text ? text.querySelector('h1') : null),
    table: box(text ? text.querySelector('table') : null),
    heatmap: box(heatmap),
    heatmap_decoded: heatmap ? heatmap.naturalWidth > 0 : false,
    banner: box(document.getElementById('xstilts-demo-banner')),
  };
  const pre = document.createElement('pre');
  pre.id = 'xstilts-boxes';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 1000));
</script>"""


def first_screen(report_html, tmp_path, width: int = 1400, height: int = 900) -> dict:
    """Where the report's landing page puts its title, table, heatmap and demo banner in a
    ``width`` × ``height`` window of a headless browser (bounding boxes, see _MEASURE); a
    screenshot of that window is left in ``tmp_path/first_screen.png``."""
    chromium = browser()
    window = [f"--window-size={width},{height}", "--hide-scrollbars"]
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", *window]
    cmd.append("--virtual-time-budget=20000")
    shot = tmp_path / "first_screen.png"
    done = subprocess.run(
        [*cmd, f"--screenshot={shot}", report_html.as_uri()],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-3000:]
    page = tmp_path / "measured.html"
    head, tail = report_html.read_text().rsplit("</body>", 1)  # the page's own end
    page.write_text(head + _MEASURE + "</body>" + tail)
    done = subprocess.run(
        [*cmd, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.search(r'<pre id="xstilts-boxes">(.*?)</pre>', done.stdout, re.S)
    assert found, "the landing page was not measured"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def assert_inside(boxes: dict, names: list[str]) -> None:
    """Each named element is drawn, whole, inside the window."""
    width, height = boxes["window"]
    for name in names:
        assert boxes[name] is not None, f"no {name} on the landing page"
        left, top, right, bottom = boxes[name]
        assert right > left and bottom > top, (name, boxes)
        assert 0 <= left and right <= width and 0 <= top and bottom <= height, (name, boxes)
