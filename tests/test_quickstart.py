"""The quick-start grid (config/quickstart.yaml) end to end through Snakemake: every rule of the
main grid, the summary and the report, the submission and its score, and reruns of exactly the
edited cells. The default tier: `pytest` runs it."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
import zipfile

import pandas as pd
import pytest
import report_checks
import yaml
from matplotlib import image

from xstilts import cli, tasks
from xstilts import grid as xgrid

from smk import REPO, job_set, run

ARMS = ["baseline", "mnli", "squad_v1", "multitask"]
TARGETS = ["xnli", "udpos", "mlqa"]  # pairs, tagging, QA
RETRIEVAL = ["bucc2018", "tatoeba"]  # scored on each arm's encoder
TRAINED = [a for a in ARMS if a != "baseline"]
MODEL = "demo_tiny"


@pytest.fixture(scope="module")
def finished(quickstart_run):
    return quickstart_run


def test_the_quick_start_runs_every_rule_of_the_main_grid(finished):
    work, _, jobs = finished
    rules = [r for r, _ in jobs]
    assert rules.count("build_demo_model") == 1
    assert rules.count("train_intermediate") == 3  # the baseline's encoder is the pretrained one
    assert rules.count("train_target") == rules.count("evaluate_target") == 4 * 3
    assert rules.count("evaluate_retrieval") == 4 * 2
    assert rules.count("prepare") == 7  # once per task × model: 2 intermediate + 3 + 2
    # BUCC's release files: the demo writes them, and the importer reads dev and test of 4 pairs
    assert rules.count("build_demo_local") == 1 and rules.count("import_local_dataset") == 8
    assert rules.count("labels") == rules.count("submission") == rules.count("aggregate") == 1
    assert rules.count("provenance") == 1
    _check_provenance(work)
    assert rules.count("resolved_config") == 1  # the report's configuration section
    for path in xgrid.summary_outputs(TARGETS + RETRIEVAL).values():
        assert (work / path).stat().st_size > 0, path
    assert image.imread(work / "results/summary/gains_heatmap.png").shape[0] > 100


def test_english_scores_are_well_above_chance(finished):
    work = finished[0]
    long = pd.read_parquet(work / "results/summary/scores_long.parquet")
    en = long[(long.language == "en") & long.metric.isin(["accuracy", "f1"])]
    assert set(en.arm) == set(ARMS) and set(en.target) == set(TARGETS)
    # classification: chance + 25 points; QA: a random span of the context has an F1 near 0;
    # tagging: random tags give a seqeval F1 near 1/17 (UPOS)
    floor = {"xnli": 100 / 3 + 25, "udpos": 50, "mlqa": 30}
    for _, row in en.iterrows():
        assert row.value > floor[row.target], row.to_dict()


@pytest.fixture(scope="module")
def report_html(finished):
    work = finished[0]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
    cmd += ["--configfile", str(work / "quickstart.yaml"), "--report", str(work / "report.html")]
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return work / "report.html"


FIGURES = [f"results/summary/language_gains/{t}.png" for t in TARGETS + RETRIEVAL]
FIGURES += ["results/summary/gains_heatmap.png", "results/summary/gains_by_family.png"]
FIGURES.append("results/summary/training_curves.png")
# the sections this grid has, numbered in order (no research analysis in the quick start)
CATEGORIES = ["1. Main grid", "2. Per-language scores and gains", "3. Retrieval", "4. Training"]
CATEGORIES += ["5. Provenance", "6. Configuration"]


def test_the_report_holds_every_figure_with_its_caption_and_the_config(finished, report_html):
    work, config, _ = finished
    html = report_html.read_text()
    results, categories = (
        report_checks.embedded(html, "results"),
        report_checks.embedded(html, "categories"),
    )
    assert set(FIGURES) <= set(results)
    for path in FIGURES:  # every figure is embedded and decodes as an image, with a caption
        data = results[path]["data_uri"]
        assert data.startswith("data:image/png"), path
        picture = image.imread(io.BytesIO(base64.b64decode(data.split("base64,", 1)[1])))
        assert picture.shape[0] > 100 and picture.shape[1] > 100, path
        assert len(results[path]["caption"]) > 100, path
    assert set(categories) == set(CATEGORIES)
    retrieval = {p for sub in categories["3. Retrieval"].values() for p in sub}
    assert retrieval == {f"results/summary/language_gains/{t}.png" for t in RETRIEVAL}
    assert "results/summary/arm_target.md" in results  # the paper's table
    languages = {p for sub in categories["2. Per-language scores and gains"].values() for p in sub}
    assert "results/summary/scores_by_language.html" in languages
    training = {p for sub in categories["4. Training"].values() for p in sub}
    assert training == {"results/summary/training.html", "results/summary/training_curves.png"}
    # the configuration that produced it, in a section of its own
    section = {p for sub in categories["6. Configuration"].values() for p in sub}
    assert section == {"results/summary/config.yaml"}
    data = results["results/summary/config.yaml"]["data_uri"].split("base64,", 1)[1]
    resolved = yaml.safe_load(base64.b64decode(data))
    assert resolved["data"]["demo_scale"] == config["data"]["demo_scale"]
    assert resolved["targets"]["xnli"]["max_steps"] == config["targets"]["xnli"]["max_steps"]


def _description(html: str) -> str:
    """The report's description, its first page (a JSON string in the page's scripts)."""
    found = re.search(r"var workflow_desc = (\".*?\");\s*\n", html, re.S)
    return json.loads(found.group(1))


def test_the_report_opens_on_the_results(finished, report_html):
    """Its first page shows the demo banner, the arm × target table and the heatmap, then
    the list of the report's sections, drawn from what the grid reports; the config is a
    section of its own."""
    page = _description(report_html.read_text())
    table = pd.read_csv(finished[0] / "results/summary/arm_target.csv")
    heatmap = page.find('<img alt="gains over the baseline"')
    banner = page.find('id="xstilts-demo-banner"')
    assert 0 <= banner < page.find(f"<td>{MODEL}</td><td>baseline</td>") < heatmap
    assert "demo_scale" not in page
    sections = re.findall(r"<li><a[^>]*showCategory[^>]*>([^<]+)</a>:", page[heatmap:])
    assert sections == CATEGORIES
    # every arm's XTREME average as the table has it, rounded to one decimal
    for arm, value in zip(table.arm, table.xtreme_avg, strict=True):
        row = re.search(rf"<tr><td>{MODEL}</td><td>{arm}</td>.*?</tr>", page)
        assert row and f"{value:.1f}*" in row.group(0), arm


def test_the_first_screen_shows_the_title_the_table_and_the_heatmap(report_html, tmp_path):
    """In a 1400 × 900 window of a headless browser, the landing page's demo banner, title,
    arm × target table and heatmap are all inside the first screen, the heatmap decoded."""
    boxes = report_checks.first_screen(report_html, tmp_path, 1400, 900)
    assert boxes["window"] == [1400, 900]
    report_checks.assert_inside(boxes, ["banner", "title", "table", "heatmap"])
    assert boxes["heatmap_decoded"]
    assert boxes["heatmap"][3] - boxes["heatmap"][1] > 200  # drawn large enough to read
    assert image.imread(tmp_path / "first_screen.png").shape[:2] == (900, 1400)


def test_the_report_renders_in_a_headless_browser(report_html, tmp_path):
    """The report's page runs in a browser (its menu, which its scripts draw, lists every
    category), and the browser decodes every figure the report embeds."""
    report_checks.assert_renders(report_html, tmp_path, CATEGORIES, FIGURES)


def test_the_best_table_and_the_best_submission_choose_the_same_arms(finished):
    work = finished[0]
    best = pd.read_csv(work / "results/summary/best_per_target.csv").set_index("target")
    manifest = json.loads(
        (work / f"results/submission/{MODEL}/seed1/best/manifest.json").read_text()
    )
    assert set(manifest["tasks"]) == set(TARGETS + RETRIEVAL)
    for target, pick in manifest["tasks"].items():
        assert best.loc[target, "arm"] == pick["arm"], target
        assert best.loc[target, "basis"] == pick["basis"], target
    assert manifest["tasks"]["xnli"]["basis"] == "validation"
    assert manifest["tasks"]["tatoeba"]["basis"] == "as bucc2018"  # Tatoeba has no dev set
    # a trained target's score file carries its English validation score from training
    scores = json.loads((work / f"results/eval/{MODEL}/mnli/seed1/scores/xnli.json").read_text())
    summary = work / f"results/target/{MODEL}/mnli/seed1/xnli/model/train_summary.json"
    assert scores["validation"] == json.loads(summary.read_text())["validation"]
    assert set(best.index) == set(TARGETS + RETRIEVAL) | {"XTREME avg (5/9 tasks)"}
    with zipfile.ZipFile(work / f"results/submission/{MODEL}/seed1/best.zip") as z:
        assert "udpos/test-yo.tsv" in z.namelist() and "mlqa/test-ar.json" in z.namelist()


def test_xstilts_score_on_the_submission_reproduces_the_summary(finished, tmp_path, capsys):
    """evaluate.py's rules on the best submission's files give, per task, the table's score of
    the arm the submission chose for it."""
    work = finished[0]
    folder = work / f"results/submission/{MODEL}/seed1/best"
    out = tmp_path / "scores.json"
    argv = ["score", "--predictions", str(folder), "--labels", str(work / "results/labels")]
    assert cli.main([*argv, "--benchmark", "xtreme", "--output_file", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == doc
    table = pd.read_csv(work / "results/summary/arm_target.csv", index_col=["model", "arm"])
    manifest = json.loads((folder / "manifest.json").read_text())
    for task in TARGETS + RETRIEVAL:
        arm = manifest["tasks"][task]["arm"]
        assert doc[task]["avg_metric"] == pytest.approx(table.loc[(MODEL, arm), task], rel=1e-12)


def test_every_gain_has_a_confidence_interval(finished):
    work = finished[0]
    ci = pd.read_csv(work / "results/summary/gains_ci.csv")
    table = pd.read_csv(work / "results/summary/arm_target.csv", index_col=["model", "arm"])
    assert len(ci) == len(TRAINED) * (len(TARGETS) + len(RETRIEVAL) + 1)  # + XTREME average
    for r in ci.itertuples():  # the bootstrap's point estimate is the table's gain
        expected = (
            table.loc[(r.model, r.arm), r.target] - table.loc[(r.model, "baseline"), r.target]
        )
        assert r.gain == pytest.approx(expected, abs=1e-6), (r.arm, r.target)
        assert r.ci_low <= r.ci_high and r.resamples == 1000 and r.seeds == 1
    examples = work / f"results/eval/{MODEL}/mnli/seed1/examples"
    assert (examples / "xnli.parquet").exists() and (examples / "bucc2018.parquet").exists()
    assert "95 % confidence interval" in (work / "results/summary/arm_target.md").read_text()
    gains = pd.read_parquet(work / "results/summary/gains_by_language.parquet")
    # per arm: XNLI's 15 languages (accuracy), UD-POS's 33 (F1, precision, recall, accuracy),
    # MLQA's 7 (EM, F1), Tatoeba's 36 (accuracy), BUCC's 4 (F1, precision, recall, threshold)
    assert len(gains) == len(TRAINED) * (15 + 4 * 33 + 2 * 7 + 36 + 4 * 4)


def test_predictions_are_in_the_xtreme_layout(finished):
    work = finished[0]
    cell = work / f"results/eval/{MODEL}/mnli/seed1"
    scores = json.loads((cell / "scores/xnli.json").read_text())
    assert sorted(scores["languages"]) == sorted(scores["expected_languages"])
    for lang in scores["expected_languages"]:
        lines = (cell / f"predictions/xnli/test-{lang}.tsv").read_text().splitlines()
        assert len(lines) == 200
        assert set(lines) <= {"entailment", "neutral", "contradiction"}
    # tagging: one tag per word, a blank line after each sentence (xtreme's read_tag)
    text = (cell / "predictions/udpos/test-yo.tsv").read_text()
    sentences = [s.split("\n") for s in text.rstrip("\n").split("\n\n")]
    gold = pd.read_parquet(work / "resources/demo/datasets/google/xtreme/udpos.Yoruba/test.parquet")
    assert [len(s) for s in sentences] == [len(t) for t in gold["tokens"]]
    assert set(sum(sentences, [])) <= set(tasks.get("udpos").label_names)
    # QA: a JSON object {question id: answer text}, one entry per test question
    answers = json.loads((cell / "predictions/mlqa/test-ar.json").read_text())
    gold = pd.read_parquet(work / "resources/demo/datasets/google/xtreme/MLQA.ar.ar/test.parquet")
    assert set(answers) == set(gold["id"]) and all(isinstance(a, str) for a in answers.values())
    # BUCC: mined pairs "<source id><TAB><English id>"; Tatoeba: a line per English sentence
    lines = (cell / "predictions/bucc2018/test-de.tsv").read_text().splitlines()
    assert lines and all(
        a.startswith("de-") and b.startswith("en-") for a, b in (line.split("\t") for line in lines)
    )
    assert len((cell / "predictions/tatoeba/test-ja.tsv").read_text().splitlines()) == 200


def test_retrieval_scores_every_arms_encoder(finished):
    work = finished[0]
    long = pd.read_parquet(work / "results/summary/scores_long.parquet")
    for target, metric in (("bucc2018", "f1"), ("tatoeba", "accuracy")):
        scores = long[(long.target == target) & (long.metric == metric)]
        assert set(scores.arm) == set(ARMS)
        # demo pairs share three name-like words. Chance is 100/200 = 0.5 % for Tatoeba (200
        # English candidates) and lower for BUCC (n gold pairs among 2n x 2.5n candidate
        # pairs): every arm's mean must be at least ten times chance
        assert scores.groupby("arm").value.mean().min() > 10 * 100 / 200, scores
    doc = json.loads(
        (work / f"results/eval/{MODEL}/baseline/seed1/scores/tatoeba.json").read_text()
    )
    # XTREME's 36 languages, Telugu from mteb's copy
    assert "te" in doc["languages"] and len(doc["languages"]) == 36 and doc["notes"] == []
    bucc = json.loads((work / f"results/eval/{MODEL}/mnli/seed1/scores/bucc2018.json").read_text())
    assert set(bucc["languages"]["de"]) == {"f1", "precision", "recall", "threshold"}


def test_building_the_dag_imports_no_torch_transformers_or_datasets(finished):
    """`snakemake -n` describes every task without loading the libraries its jobs use."""
    work, config, _ = finished
    code = (
        "import sys; from xstilts.plan import snakemake_jobs; "
        f"jobs = snakemake_jobs({str(work)!r}, {str(work / 'quickstart.yaml')!r}, forceall=True); "
        "print(len(jobs), sorted(m for m in ('torch', 'transformers', 'datasets') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    count, loaded = done.stdout.strip().split(" ", 1)
    assert int(count) > 100 and loaded == "[]"


# ---- reruns: editing one cell reruns exactly what depends on it ----


def _edited(work, config, edit) -> set:
    changed = json.loads(json.dumps(config))
    edit(changed)
    (work / "edited.yaml").write_text(yaml.safe_dump(changed))
    return job_set(run(work, work / "edited.yaml", dryrun=True))


def _cells(rule, arms, targets=(None,), seed="1", key="target"):
    out = set()
    for arm in arms:
        for target in targets:
            wc = {"model": MODEL, "arm": arm, "seed": seed}
            if target:
                wc[key] = target
            out.add((rule, tuple(sorted(wc.items()))))
    return out


def _submission(seed="1"):
    return {("submission", tuple(sorted({"model": MODEL, "seed": seed, "choice": "best"}.items())))}


# the aggregation and the provenance of the scores (both read every score file)
AGGREGATE = {("aggregate", ()), ("provenance", ())}
CONFIG = {("resolved_config", ())}  # the config the report shows: written again on any edit


def test_nothing_reruns_without_a_change(finished):
    work, config, _ = finished
    assert _edited(work, config, lambda c: None) == set()


def test_editing_mnli_lr_reruns_only_the_mnli_arm(finished):
    work, config, _ = finished

    def edit(c):
        c["intermediate"]["mnli"]["learning_rate"] = 2e-3

    expected = _cells("train_intermediate", ["mnli"])
    expected |= _cells("train_target", ["mnli"], TARGETS) | _cells(
        "evaluate_target", ["mnli"], TARGETS
    )
    expected |= _cells("evaluate_retrieval", ["mnli"], RETRIEVAL, key="rtarget")
    assert _edited(work, config, edit) == expected | AGGREGATE | CONFIG | _submission()


def test_editing_a_target_setting_reruns_that_target_in_every_arm(finished):
    work, config, _ = finished

    def edit(c):
        c["targets"]["xnli"]["learning_rate"] = 1e-3

    expected = _cells("train_target", ARMS, ["xnli"]) | _cells("evaluate_target", ARMS, ["xnli"])
    assert _edited(work, config, edit) == expected | AGGREGATE | CONFIG | _submission()


def test_a_new_seed_runs_only_that_seeds_cells(finished):
    work, config, _ = finished
    expected = _cells("train_intermediate", TRAINED, seed="2")
    expected |= _cells("train_target", ARMS, TARGETS, seed="2")
    expected |= _cells("evaluate_target", ARMS, TARGETS, seed="2")
    expected |= _cells("evaluate_retrieval", ARMS, RETRIEVAL, seed="2", key="rtarget")
    expected |= AGGREGATE | CONFIG | _submission(seed="2")
    assert _edited(work, config, lambda c: c.update(seeds=[1, 2])) == expected


def test_changing_a_targets_languages_reruns_only_its_evaluations(finished):
    work, config, _ = finished

    def edit(c):
        c["targets"]["xnli"]["languages"] = ["ar", "de", "en"]

    expected = _cells("evaluate_target", ARMS, ["xnli"]) | {("labels", ())}
    assert _edited(work, config, edit) == expected | AGGREGATE | CONFIG | _submission()


def test_removing_an_arm_reruns_only_the_aggregation_and_the_best_submission(finished):
    work, config, _ = finished
    assert _edited(work, config, lambda c: c["multitask"].update(enabled=False)) == (
        AGGREGATE | CONFIG | _submission()
    )


def test_a_new_arm_runs_only_its_cells(finished):
    """A grid finished without the multitask arm, which is then added: its cells run, plus the
    aggregation and the best submission, nothing else."""
    work, config, _ = finished
    kinds = ("intermediate", "target", "eval")
    arm_dirs = [work / f"results/{kind}/{MODEL}/multitask" for kind in kinds]
    aside = [work / f"aside_{i}" for i in range(len(arm_dirs))]
    try:
        for d, a in zip(arm_dirs, aside, strict=True):
            d.rename(a)  # a rename keeps the files' times: the rest of the grid stays done
        jobs = _edited(work, config, lambda c: None)
    finally:
        for d, a in zip(arm_dirs, aside, strict=True):
            if a.exists():
                a.rename(d)
    new = ["multitask"]
    expected = _cells("train_intermediate", new) | _cells("train_target", new, TARGETS)
    expected |= _cells("evaluate_target", new, TARGETS)
    expected |= _cells("evaluate_retrieval", new, RETRIEVAL, key="rtarget")
    assert jobs == expected | AGGREGATE | _submission()
    assert _edited(work, config, lambda c: None) == set()  # and all is back


def test_plan_shows_what_an_edit_reruns_and_why(finished, capsys):
    work, config, _ = finished
    changed = json.loads(json.dumps(config))
    changed["intermediate"]["mnli"]["learning_rate"] = 2e-3
    (work / "plan.yaml").write_text(yaml.safe_dump(changed))
    argv = ["plan", "--config", str(work / "plan.yaml"), "--directory", str(work)]
    argv += ["--snakefile", str(REPO / "Snakefile"), "--output", str(work / "plan.csv")]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^\| train_intermediate +\| +3 \| +2 \| +1 \|", printed, re.M), printed
    table = pd.read_csv(work / "plan.csv").set_index("rule")
    # the same jobs as test_editing_mnli_lr_reruns_only_the_mnli_arm, out of the whole grid
    assert table.loc["train_intermediate", ["jobs", "done", "to run"]].tolist() == [3, 2, 1]
    assert table.loc["train_intermediate", "why"] == "params have changed (1)"
    assert table.loc["train_target", ["jobs", "done", "to run"]].tolist() == [12, 9, 3]
    assert table.loc["evaluate_retrieval", ["jobs", "done", "to run"]].tolist() == [8, 6, 2]
    assert table.loc["prepare", ["done", "to run"]].tolist() == [7, 0]
    # + the aggregation, the provenance, the config the report shows and the best submission
    assert table.loc["total", "to run"] == 1 + 3 + 3 + 2 + 1 + 1 + 1 + 1


def _markdown_rows(lines: list[str]) -> list[dict[str, str]]:
    """A Markdown table's rows as {column: cell}, in order (the separator row left out)."""
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    header, rows = cells[0], [r for r in cells[1:] if not set("".join(r)) <= set("-:")]
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_readme_quotes_the_quick_starts_table_and_job_count(finished):
    """README.md's quick start is this run's: its job count, and its table cell for cell the
    summary table of arm_target.md, row for row (the columns follow the config's order of
    targets, which the test's copy of the config sorts); regenerate both from a quick start
    when they drift."""
    work, _, jobs = finished
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Quick start") : readme.index("## Test")]
    assert f" {len(jobs)} jobs" in section, f"the quick start ran {len(jobs)} jobs"
    summary = (work / "results/summary/arm_target.md").read_text()
    table = summary[summary.index("| model") :].split("\n\n", 1)[0].strip()
    quoted = [line for line in section.splitlines() if line.startswith("|")]
    assert _markdown_rows(quoted) == _markdown_rows(table.splitlines()), (
        f"README.md's table is not the quick start's:\n{table}"
    )


def _check_provenance(work):
    """provenance.json names, for every score, every source its arm and target read (demo data,
    with the generator's hash), the model (the demo model) and the code version."""
    import json

    doc = json.loads((work / "results/summary/provenance.json").read_text())
    assert doc["code"]["xstilts"] and len(doc["generator_sha256"]) == 64
    assert (
        doc["models"][MODEL]["kind"] == "demo" and len(doc["models"][MODEL]["files_sha256"]) == 64
    )
    assert len(doc["scores"]) == len(ARMS) * (len(TARGETS) + len(RETRIEVAL))
    for score in doc["scores"]:
        assert score["sources"], score["scores"]
        for source in score["sources"]:
            assert doc["sources"][source["path"]]["kind"] in ("demo", "local")
            assert len(source["sha256"]) == 64
