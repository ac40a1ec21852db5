"""The training engine learns the demo signal, is deterministic, and resumes exactly."""

from __future__ import annotations

import json

import datasets
import pytest
import torch

from xstilts import features, tasks, training
from xstilts.modeling import model as modeling
from xstilts.settings import Curve, Machine, Training
from xstilts.tasks.pair_classification import PairClassificationTask
from xstilts.training import batches, optim
from xstilts.training.inference import score_split

SETTINGS = Training.from_schema(learning_rate=1e-3, batch_size=32, max_steps=150, precision="fp32")


def train_xnli(demo_model, demo_workdir, out_dir, checkpoint_dir, settings=SETTINGS, **kwargs):
    """The demo encoder fine-tuned on the demo's XNLI with seed 1 (``training.train``'s other
    arguments in ``kwargs``)."""
    return training.train(
        encoder_dir=demo_model,
        features={"xnli": demo_workdir / "features/xnli"},
        settings=settings,
        seed=1,
        out_dir=out_dir,
        checkpoint_dir=checkpoint_dir,
        **kwargs,
    )


@pytest.fixture(scope="module")
def xnli_model(demo_model, demo_workdir, tmp_path_factory):
    out = tmp_path_factory.mktemp("xnli") / "model"
    summary = train_xnli(demo_model, demo_workdir, out, out.parent / "ckpt")
    return out, summary


def _test_accuracy(model_dir, demo_workdir, lang):
    model, tok = modeling.load(model_dir)
    feats = datasets.load_from_disk(str(demo_workdir / f"features/xnli/test.{lang}"))
    return score_split(model, tasks.get("xnli"), feats, tok.pad_token_id, "fp32")[1]["accuracy"]


def test_english_test_score_is_well_above_chance(xnli_model, demo_workdir):
    out, summary = xnli_model
    # 3 balanced labels: chance is 33.3 %; the demo signal allows ~95 % (8 % label noise)
    assert _test_accuracy(out, demo_workdir, "en") > 70
    assert summary["validation"]["xnli"]["accuracy"] > 70
    # checkpoints removed after success; the finished model stays (hard links) until
    # Snakemake records the job's success (training/finished.py)
    assert sorted(p.name for p in (out.parent / "ckpt").iterdir()) == ["finished"]
    assert json.loads((out / "heads.json").read_text()) == ["xnli"]


def test_a_broken_label_mapping_fails_the_check(
    xnli_model, demo_workdir, demo_model, tmp_path, monkeypatch
):
    """If the test labels were decoded through the wrong mapping, the score check above fails."""
    out, _ = xnli_model
    original = PairClassificationTask._label_index

    def rotated(self, source, value):  # a broken mapping for the test sources only
        index = original(self, source, value)
        return (index + 1) % 3 if source.split == "test" else index

    monkeypatch.setattr(PairClassificationTask, "_label_index", rotated)
    with monkeypatch.context() as m:
        m.chdir(demo_workdir)
        features.prepare("xnli", demo_model, "demo", 128, tmp_path / "broken")
    model, tok = modeling.load(out)
    feats = datasets.load_from_disk(str(tmp_path / "broken/test.en"))
    acc = score_split(model, tasks.get("xnli"), feats, tok.pad_token_id, "fp32")[1]["accuracy"]
    assert acc < 40


def test_resume_after_interruption_gives_the_same_model(demo_model, demo_workdir, tmp_path):
    kwargs = dict(
        encoder_dir=demo_model,
        features={"pawsx": demo_workdir / "features/pawsx"},
        settings=SETTINGS | {"max_steps": 12},
        seed=7,
    )
    training.train(out_dir=tmp_path / "straight", checkpoint_dir=tmp_path / "c1", **kwargs)
    # a preemption at step 5: the checkpoint stays, a second call resumes from it
    assert (
        training.train(
            out_dir=tmp_path / "resumed",
            checkpoint_dir=tmp_path / "c2",
            machine=Machine(checkpoint_every_steps=3),
            stop_at_step=5,
            **kwargs,
        )
        is None
    )
    assert (tmp_path / "c2/checkpoint.pt").exists()
    training.train(out_dir=tmp_path / "resumed", checkpoint_dir=tmp_path / "c2", **kwargs)
    a, _ = modeling.load(tmp_path / "straight")
    b, _ = modeling.load(tmp_path / "resumed")
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(p, q), name


def test_a_checkpoint_of_other_settings_is_ignored(demo_model, demo_workdir, tmp_path, caplog):
    kwargs = dict(
        encoder_dir=demo_model,
        features={"pawsx": demo_workdir / "features/pawsx"},
        seed=7,
        checkpoint_dir=tmp_path / "c",
    )
    training.train(
        out_dir=tmp_path / "a", settings=SETTINGS | {"max_steps": 6}, stop_at_step=3, **kwargs
    )
    with caplog.at_level("INFO", logger="xstilts"):
        s = training.train(
            out_dir=tmp_path / "b",
            settings=SETTINGS | {"max_steps": 6, "learning_rate": 1e-4},
            **kwargs,
        )
    assert "belongs to other settings" in caplog.text
    assert s["steps"] == 6


def test_multitask_sampling_is_proportional_and_capped():
    assert batches.sampling_probabilities({"a": 300, "b": 100}) == {"a": 0.75, "b": 0.25}
    assert batches.sampling_probabilities({"a": 300, "b": 100}, cap=100) == {"a": 0.5, "b": 0.5}


def test_multitask_training_has_one_head_per_task(demo_model, demo_workdir, tmp_path):
    feats = {"xnli": demo_workdir / "features/xnli", "pawsx": demo_workdir / "features/pawsx"}
    s = training.train(
        encoder_dir=demo_model,
        features=feats,
        settings=SETTINGS | {"max_steps": 4},
        seed=2,
        out_dir=tmp_path / "m",
        checkpoint_dir=tmp_path / "c",
    )
    sizes = {n: len(datasets.load_from_disk(str(p / "train"))) for n, p in feats.items()}
    total = sum(sizes.values())
    assert s["sampling_probabilities"] == pytest.approx({n: v / total for n, v in sizes.items()})
    assert json.loads((tmp_path / "m/heads.json").read_text()) == ["pawsx", "xnli"]


def test_length_grouped_batches_cover_every_example_once():
    lengths = [5, 50, 7, 48, 6, 49, 8, 47] * 10
    plan = batches.length_grouped_batches(lengths, batch_size=8, seed=0)
    flat = sorted(i for b in plan for i in b)
    assert flat == list(range(len(lengths)))
    assert plan == batches.length_grouped_batches(lengths, batch_size=8, seed=0)
    # inside a mega-batch, examples are sorted by length: no batch mixes 5-8 with 47-50
    assert all(max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 3 for b in plan)


def test_linear_schedule_warms_up_then_decays():
    f = optim.linear_schedule(warmup=10, total=110)
    assert f(0) == pytest.approx(0.1)  # (0 + 1) / 10
    assert f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0)  # (110 - 10) / 100
    assert f(60) == pytest.approx(0.5)  # (110 - 60) / 100
    assert f(110) == 0.0


def test_a_checkpoint_from_an_older_encoder_is_ignored(demo_model, demo_workdir, tmp_path):
    """A retrained intermediate encoder keeps its path; its target checkpoint must not resume."""
    import shutil

    encoder = tmp_path / "encoder"
    shutil.copytree(demo_model, encoder)
    kwargs = dict(
        encoder_dir=encoder,
        features={"pawsx": demo_workdir / "features/pawsx"},
        settings=SETTINGS | {"max_steps": 6},
        seed=7,
        checkpoint_dir=tmp_path / "c",
    )
    training.train(out_dir=tmp_path / "a", stop_at_step=3, **kwargs)
    # "retrain" the encoder: other weights, saved at the same path
    enc, _ = modeling.load_encoder(encoder)
    with torch.no_grad():
        enc.embeddings.word_embeddings.weight.add_(0.05)
    enc.save_pretrained(encoder)
    training.train(out_dir=tmp_path / "b", **kwargs)
    straight = training.train(out_dir=tmp_path / "s", **kwargs | {"checkpoint_dir": tmp_path / "d"})
    a, _ = modeling.load(tmp_path / "b")
    b, _ = modeling.load(tmp_path / "s")
    assert straight["steps"] == 6
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(p, q), name  # trained from scratch, not resumed from step 3


RUNNER = """
import json, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from xstilts import training
args = json.loads(sys.argv[1])
from xstilts.settings import Machine, Training
training.train(encoder_dir=args["encoder"], features={"pawsx": args["features"]},
            settings=Training.from_params(args["settings"]), seed=3, out_dir=args["out"],
            checkpoint_dir=args["ckpt"], machine=Machine(log_seconds=0))
"""


def test_sigterm_checkpoints_and_the_rerun_resumes_to_the_same_model(
    demo_model, demo_workdir, tmp_path
):
    """As SLURM preempting a job: SIGTERM mid-run, exit with a checkpoint, rerun, same result."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    settings = SETTINGS | {"max_steps": 50}

    def start(out, ckpt):
        args = {
            "encoder": str(demo_model),
            "features": str(demo_workdir / "features/pawsx"),
            "settings": settings.params(),
            "out": str(out),
            "ckpt": str(ckpt),
        }
        return subprocess.Popen(
            [sys.executable, str(script), json.dumps(args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    straight = start(tmp_path / "straight", tmp_path / "c1")
    assert straight.wait(timeout=300) == 0, straight.stdout.read()

    job = start(tmp_path / "killed", tmp_path / "c2")
    seen = []
    for line in job.stdout:  # wait until training is under way, then preempt it
        seen.append(line)
        if line.startswith("step 20/"):
            job.send_signal(signal.SIGTERM)
            break
    rest = job.stdout.read()
    assert job.wait(timeout=120) == 128 + signal.SIGTERM, "".join(seen) + rest
    assert "checkpoint written" in rest
    assert (tmp_path / "c2/checkpoint.pt").exists()
    assert not (tmp_path / "killed").exists()

    time.sleep(0.1)
    rerun = start(tmp_path / "killed", tmp_path / "c2")
    log = rerun.stdout.read()
    assert rerun.wait(timeout=300) == 0, log
    assert "resumed from" in log
    a, _ = modeling.load(tmp_path / "straight")
    b, _ = modeling.load(tmp_path / "killed")
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(p, q), name
    summary_a = json.loads((tmp_path / "straight/train_summary.json").read_text())
    summary_b = json.loads((tmp_path / "killed/train_summary.json").read_text())
    assert summary_a["validation"] == summary_b["validation"]
    # the training curve (the report's): a point a step in a run of 50 (fewer steps than
    # LOSS_POINTS), each the step's loss; the resumed run's points are the same
    assert [point[0] for point in summary_a["losses"]] == list(range(1, 51))
    assert summary_b["losses"] == summary_a["losses"]


def test_a_learning_curve_changes_no_weight_and_survives_a_resume(
    demo_model, demo_workdir, tmp_path
):
    """Curves every 5 of 12 steps: points at 0, 5, 10 and 12 per language; the weights equal
    those trained without a curve; a run stopped at step 7 and resumed logs the same curve;
    the last point is the trained model's own score on the same rows."""
    feats = demo_workdir / "features/pawsx"
    kwargs = dict(
        encoder_dir=demo_model,
        features={"pawsx": feats},
        settings=SETTINGS | {"max_steps": 12},
        seed=3,
    )
    curve = Curve(every=5, languages=("en", "de"), max_examples=40)
    training.train(out_dir=tmp_path / "plain", checkpoint_dir=tmp_path / "c0", **kwargs)
    logged = training.train(
        out_dir=tmp_path / "curve", checkpoint_dir=tmp_path / "c1", curve=curve, **kwargs
    )
    a, _ = modeling.load(tmp_path / "plain")
    b, tok = modeling.load(tmp_path / "curve")
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(p, q), name
    points = logged["curve"]
    assert [(p["step"], p["language"]) for p in points] == [
        (s, lang) for s in (0, 5, 10, 12) for lang in ("en", "de")
    ]
    assert {p["split"] for p in points if p["language"] == "en"} == {"validation"}
    assert {(p["split"], p["examples"]) for p in points if p["language"] == "de"} == {
        ("test.de", 40)
    }
    de = datasets.load_from_disk(str(feats / "test.de")).select(range(40))
    final = score_split(b, tasks.get("pawsx"), de, tok.pad_token_id, "fp32", "de")[1]
    assert points[-1]["metrics"] == pytest.approx(final)
    assert points[-1]["score"] == pytest.approx(final["accuracy"])  # PAWS-X's one avg metric
    stopped = dict(machine=Machine(checkpoint_every_steps=3), stop_at_step=7, curve=curve, **kwargs)
    assert training.train(out_dir=tmp_path / "r", checkpoint_dir=tmp_path / "c2", **stopped) is None
    stopped.pop("stop_at_step")
    resumed = training.train(out_dir=tmp_path / "r", checkpoint_dir=tmp_path / "c2", **stopped)
    assert [(p["step"], p["language"]) for p in resumed["curve"]] == [
        (p["step"], p["language"]) for p in points
    ]
    assert [p["score"] for p in resumed["curve"]] == pytest.approx([p["score"] for p in points])


@pytest.fixture(scope="module")
def xcopa_features(demo_model, tmp_path_factory):
    """Demo XCOPA features: Social IQa ("first_stage"), COPA ("train", "validation") and the
    11 test languages."""
    from xstilts.tasks.build import build_demo_split

    from conftest import chdir

    work = tmp_path_factory.mktemp("xcopa")
    task = tasks.get("xcopa")
    with chdir(work):
        for split in task.splits().values():
            for src in split:
                build_demo_split(src.key, src.path("demo"), scale=100)
        features.prepare("xcopa", demo_model, "demo", 64, work / "features/xcopa")
    return work / "features/xcopa"


def _assert_same_weights(dir_a, dir_b):
    a, _ = modeling.load(dir_a)
    b, _ = modeling.load(dir_b)
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(p, q), name


STAGED = SETTINGS | {"max_steps": 6, "batch_size": 16}


def test_a_later_stage_starts_from_the_earlier_stages_encoder_and_head(
    demo_model, xcopa_features, tmp_path
):
    kwargs = dict(features={"xcopa": xcopa_features}, seed=3)
    first = tmp_path / "siqa"
    s = training.train(
        encoder_dir=demo_model,
        settings=STAGED,
        out_dir=first,
        checkpoint_dir=tmp_path / "c1",
        train_split="first_stage",
        **kwargs,
    )
    assert s["train_split"] == "first_stage" and s["steps"] == 6
    # with a learning rate of 0 nothing moves: the model is the first stage's, head and all
    frozen = STAGED | {"learning_rate": 0.0}
    training.train(
        encoder_dir=first,
        heads_from=first,
        settings=frozen,
        out_dir=tmp_path / "kept",
        checkpoint_dir=tmp_path / "c2",
        **kwargs,
    )
    _assert_same_weights(first, tmp_path / "kept")
    # without heads_from the head starts fresh (the target phase's default)
    training.train(
        encoder_dir=first,
        settings=frozen,
        out_dir=tmp_path / "fresh",
        checkpoint_dir=tmp_path / "c3",
        **kwargs,
    )
    kept = torch.load(tmp_path / "kept/heads.pt")["xcopa"]
    fresh = torch.load(tmp_path / "fresh/heads.pt")["xcopa"]
    assert not torch.equal(kept["dense.weight"], fresh["dense.weight"])


def test_staged_training_resumes_and_skips_a_finished_stage(
    demo_model, xcopa_features, tmp_path, caplog
):
    assert tasks.get("xcopa").train_splits == ("first_stage", "train")
    kwargs = dict(
        splits=("first_stage", "train"),
        encoder_dir=demo_model,
        features={"xcopa": xcopa_features},
        settings=STAGED,
        seed=5,
    )
    straight = training.train_in_stages(
        out_dir=tmp_path / "a", checkpoint_dir=tmp_path / "ca", **kwargs
    )
    assert [s["train_split"] for s in straight["stages"]] == ["first_stage"]
    assert straight["train_split"] == "train"
    # the finished state keeps the earlier stage's model: a restarted job finds both
    assert sorted(p.name for p in (tmp_path / "ca").iterdir()) == ["finished", "stage.first_stage"]
    assert json.loads((tmp_path / "a/train_summary.json").read_text())["stages"]
    # interrupted in the first stage, then resumed: the same model
    ckpt = tmp_path / "cb"
    assert (
        training.train_in_stages(
            out_dir=tmp_path / "b",
            checkpoint_dir=ckpt,
            stop_at_step=3,
            machine=Machine(checkpoint_every_steps=2),
            **kwargs,
        )
        is None
    )
    assert (ckpt / "stage.first_stage/checkpoint/checkpoint.pt").exists()
    training.train_in_stages(out_dir=tmp_path / "b", checkpoint_dir=ckpt, **kwargs)
    _assert_same_weights(tmp_path / "a", tmp_path / "b")
    assert not (ckpt / "stage.first_stage/checkpoint/checkpoint.pt").exists()
    assert not (ckpt / "checkpoint.pt").exists()
    # a first stage that finished before the job stopped is not trained again
    ckpt = tmp_path / "cc"
    training.train(
        encoder_dir=demo_model,
        features={"xcopa": xcopa_features},
        settings=STAGED,
        seed=5,
        out_dir=ckpt / "stage.first_stage/model",
        checkpoint_dir=ckpt / "stage.first_stage/checkpoint",
        train_split="first_stage",
    )
    with caplog.at_level("INFO", logger="xstilts"):
        training.train_in_stages(out_dir=tmp_path / "c", checkpoint_dir=ckpt, **kwargs)
    assert "finished: not run again" in caplog.text
    _assert_same_weights(tmp_path / "a", tmp_path / "c")


def test_bucket_lengths_minimise_padding():
    # rounded to multiples of 8: 16 (x10), 24 (x10), 64 (x1); two buckets must end at 64, and
    # (24, 64) pads 10 x 8 = 80 tokens, (16, 64) 10 x 40 = 400
    assert batches.bucket_lengths([10] * 10 + [20] * 10 + [60], 2) == (24, 64)
    assert batches.bucket_lengths([10] * 10 + [20] * 10 + [60], 5) == (16, 24, 64)  # all
    assert batches.bucket_lengths([10, 20], 0) == ()


def test_buckets_are_chosen_from_the_lengths_collate_pads():
    """A multiple-choice row pads each choice to the batch's longest choice (its ``length``
    counts all choices), and answer retrieval pads questions and answers apart."""
    choices = datasets.Dataset.from_dict(
        {"input_ids": [[[5] * 10, [5] * 12], [[5] * 30, [5] * 25]], "length": [24, 60]}
    )
    task = tasks.get("hellaswag")
    assert task.padded_lengths(choices) == [12, 30]
    assert batches.bucket_lengths(task.padded_lengths(choices), 2) == (16, 32)
    pairs = datasets.Dataset.from_dict(
        {"input_ids": [[5] * 5, [5] * 9], "answer_ids": [[5] * 40, []], "length": [45, 9]}
    )
    assert tasks.get("lareqa").padded_lengths(pairs) == [5, 9, 40]
    assert tasks.get("xnli").padded_lengths(pairs) == [45, 9]


def test_bucketed_padding_gives_the_same_logits(xnli_model, demo_workdir):
    """Padding a batch to its bucket changes no real token's output (attention masks it)."""
    from xstilts.tasks.base import padded_to

    model, tok = modeling.load(xnli_model[0])
    model.eval()
    task = tasks.get("xnli")
    rows = datasets.load_from_disk(str(demo_workdir / "features/xnli/test.en"))[:16]
    plain = task.collate(rows, tok.pad_token_id)
    with padded_to((24, 256)):
        bucketed = task.collate(rows, tok.pad_token_id)
    assert bucketed["input_ids"].shape[1] == 256 > plain["input_ids"].shape[1]
    with torch.no_grad():
        a, b = model("xnli", plain), model("xnli", bucketed)
    assert torch.allclose(a, b, atol=1e-5)


def test_validation_during_training_runs_the_encoder_eagerly(xnli_model, demo_workdir):
    """A compiled encoder's graphs are for training's shapes: validation (and a learning
    curve) call the encoder uncompiled, and leave it compiled."""
    from xstilts.data.disk import load_split
    from xstilts.training.loop import validation_score

    model, tok = modeling.load(xnli_model[0])
    task = tasks.get("xnli")
    rows = task.first_examples(load_split(demo_workdir / "features/xnli/validation"), 16)

    def compiled(*args, **kwargs):
        raise AssertionError("the compiled encoder ran")

    model.encoder._compiled_call_impl = compiled
    score = validation_score(model, {"xnli": (task, rows)}, tok.pad_token_id, "fp32")
    assert 0 <= score <= 100 and model.encoder._compiled_call_impl is compiled


def test_bucketed_training_is_equivalent(demo_model, demo_workdir, tmp_path, xnli_model):
    """The same seed with and without bucketed batches: the same accuracy to the tolerance of
    other equivalent changes (test_gpu: 3 points); dropout masks differ with the padded shape,
    so the runs are not bitwise equal."""
    _, plain = xnli_model
    out = tmp_path / "bucketed"
    summary = train_xnli(
        demo_model, demo_workdir, out, tmp_path / "ckpt", machine=Machine(buckets=4)
    )
    assert len(summary["shapes"]["xnli"]) <= 4 and "shapes" not in plain
    accuracy = summary["validation"]["xnli"]["accuracy"]
    assert abs(accuracy - plain["validation"]["xnli"]["accuracy"]) <= 3.0
    assert summary["tokens"] == plain["tokens"]  # the same real tokens, only padding differs
