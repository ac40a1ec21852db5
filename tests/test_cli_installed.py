"""`pip install .` (not -e): the package as a user installs it, imported from site-packages with
no src/ on the path. Its files are all in the wheel, and `xstilts check` and `xstilts plan` work
in a checkout of the repository; outside one, `plan` says in one sentence what to do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import REPO

SOURCE = REPO / "src/xstilts"


def _environment() -> dict:
    """This environment without the source tree on the path, nor a workflow named."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XSTILTS_WORKFLOW")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtual environment holding a non-editable install of a copy of this checkout's
    package; the libraries (snakemake, pandas, ...) are this interpreter's, through a .pth
    file (it adds their folder without running their .pth files: no editable install's path)."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"  # a copy: a build writes build/ and *.egg-info beside its sources
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin/python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", source]
    done = subprocess.run(pip, cwd=root, env=_environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def _run(venv: Path, cwd: Path, program: str, *args) -> subprocess.CompletedProcess:
    """``program`` of the virtual environment (python, xstilts) run in ``cwd``."""
    command = [str(venv / "bin" / program), *map(str, args)]
    return subprocess.run(
        command, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=300
    )


def test_the_installed_package_holds_every_file_of_the_source(installed):
    done = _run(installed, REPO, "python", "-c", "import xstilts; print(xstilts.__file__)")
    package = Path(done.stdout.strip()).parent
    assert package.is_relative_to(installed), package  # not this checkout's src/
    files = {
        p.relative_to(SOURCE)
        for p in SOURCE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    missing = {p for p in files if not (package / p).is_file()}
    assert not missing, f"not in the wheel (pyproject.toml's package-data): {sorted(missing)}"
    assert {Path("grid/schema.yaml"), Path("summary/published.yaml")} <= files


def test_check_and_plan_run_in_the_checkout(installed, tmp_path):
    config = "config/quickstart.yaml"
    done = _run(installed, REPO, "xstilts", "check", "--configfile", config)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith(f"{config} is valid: models demo_tiny;")
    done = _run(installed, REPO, "xstilts", "plan", "--configfile", config, "--directory", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if "|" in line}
    assert {"train_intermediate", "train_target", "aggregate", "total"} <= set(rows)


def test_plan_outside_a_checkout_says_what_to_do_in_one_sentence(installed, tmp_path):
    config = REPO / "config/quickstart.yaml"
    done = _run(installed, tmp_path, "xstilts", "plan", "--configfile", config)
    assert done.returncode == 2
    assert done.stderr == (
        "xstilts: no xstilts workflow (a Snakefile beside workflow/rules/) in "
        f"{tmp_path.resolve()} or a folder above it: run xstilts plan in your checkout of the "
        "repository, or give --snakefile PATH or set XSTILTS_WORKFLOW to the checkout\n"
    )
