"""The paper's protocol in training: model selection on English validation (jiant's
metarunner), and one task per optimizer step in multi-task training (jiant's runner)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from test_train import SETTINGS, train_xnli

from xstilts import training
from xstilts.settings import Training
from xstilts.training import batches
from xstilts.training import runner as runner_module
from xstilts.training.selection import Selection

EVERY = 10


def _spoil_the_head_after(step_limit: int, kept: dict):
    """An on_step hook: keeps a copy of the weights at every validation step, and after
    ``step_limit`` sets the classification head to answer "entailment" whatever the input
    (after every step, so every later validation scores the share of that label)."""

    def on_step(step, model):
        if step > step_limit:
            with torch.no_grad():
                head = model.heads["xnli"].out_proj
                head.weight.zero_()
                head.bias.copy_(torch.tensor([10.0, 0.0, 0.0]))
        if step % EVERY == 0:
            kept[step] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    return on_step


def _run(demo_model, demo_workdir, tmp_path, settings, **kwargs):
    out, ckpt = tmp_path / "model", tmp_path / "ckpt"
    return train_xnli(demo_model, demo_workdir, out, ckpt, SETTINGS | settings, **kwargs)


def _saved_state(out):
    from xstilts.modeling import model as modeling

    model, _ = modeling.load(out)
    return model.state_dict()


def _same_as(saved: dict, state: dict) -> bool:
    return all(torch.equal(saved[name], tensor) for name, tensor in state.items())


def test_the_best_validated_state_is_the_one_kept(demo_model, demo_workdir, tmp_path):
    """Validation every 10 steps; after step 80 the head answers one label, so every later
    validation scores that label's share: the weights saved are those of the best validation,
    at step 80 or before, as the hook copied them then."""
    kept: dict = {}
    selection = {"best_checkpoint": {"every": EVERY, "examples": 100, "patience": 0}}
    summary = _run(
        demo_model,
        demo_workdir,
        tmp_path,
        {"max_steps": 120} | selection,
        on_step=_spoil_the_head_after(80, kept),
    )
    chosen = summary["selection"]
    scores = {int(step): score for step, score in chosen["validations"]}
    assert list(scores) == list(range(EVERY, 121, EVERY))  # every 10 steps, the last included
    best = chosen["best_step"]
    assert best <= 80 and chosen["best_score"] == scores[best] == max(scores.values())
    assert best == min(s for s in scores if scores[s] == scores[best])  # a tie is no gain
    assert len({scores[s] for s in scores if s > 80}) == 1  # one label's share after the spoil
    assert chosen["stopped_early_at"] is None and summary["steps"] == 120
    assert _same_as(_saved_state(tmp_path / "model"), kept[best])
    # the final validation (all validation examples) is the best state's, above the spoil's
    assert summary["validation"]["xnli"]["accuracy"] > scores[120]


def test_patience_stops_the_run_and_a_resume_keeps_the_best_so_far(
    demo_model, demo_workdir, tmp_path
):
    """With a patience of 3 the run stops at the third validation without a gain (at step 110
    at the latest: the head is spoiled after step 80). Interrupted at step 15, after the first
    validation, and resumed, it keeps the best state across the interruption."""
    kept: dict = {}
    selection = {"best_checkpoint": {"every": EVERY, "examples": 100, "patience": 3}}
    settings = {"max_steps": 200} | selection
    hook = _spoil_the_head_after(80, kept)
    assert _run(demo_model, demo_workdir, tmp_path, settings, on_step=hook, stop_at_step=15) is None
    assert (tmp_path / "ckpt/best-10.pt").exists()  # the first validation's
    summary = _run(demo_model, demo_workdir, tmp_path, settings, on_step=hook)
    chosen = summary["selection"]
    best = chosen["best_step"]
    steps = [s for s, _ in chosen["validations"]]
    assert best <= 80 and steps == list(range(EVERY, steps[-1] + 1, EVERY))
    # three validations after the best without a gain: stopped there, long before step 200
    assert chosen["stopped_early_at"] == best + 3 * EVERY == summary["steps"]
    assert _same_as(_saved_state(tmp_path / "model"), kept[best])


def test_selection_bookkeeping():
    s = Selection(every=1000, examples=500, patience=2)
    gains = [s.record(step, score) for step, score in ((1000, 60.0), (2000, 62.5), (3000, 62.5))]
    assert gains == [True, True, False]
    assert s.best_step == 2000 and s.since_best == 1 and not s.exhausted  # a tie is no gain
    s.record(4000, 61.0)
    assert s.exhausted and s.best_score == 62.5
    assert s.due(5000, 12345) and not s.due(5500, 12345) and s.due(12345, 12345)
    assert Selection.from_settings(Training.from_schema(learning_rate=1e-5)) is None
    off = Training.from_schema(best_checkpoint={"every": 0})  # the schema's "0 = off"
    assert Selection.from_settings(off) is None


def test_a_resume_loads_the_best_its_checkpoint_records(tmp_path):
    """Best at step 1000, checkpoint, a new best at 2000 saved, then the job killed before the
    next checkpoint. The resume rolls back to the checkpoint (best 1000) and its replay of step
    2000 scores lower (a GPU's nondeterminism): the state kept is step 1000's, not the killed
    run's step 2000 that the resumed run never chose."""
    from xstilts.training.selection import load_best, save_best

    model = torch.nn.Linear(2, 1)
    states = {}

    def validate(sel, step, score, weight):
        torch.nn.init.constant_(model.weight, weight)
        states[step] = model.state_dict()["weight"].clone()
        if sel.record(step, score):
            save_best(model, tmp_path, sel)

    sel = Selection(every=1000, examples=500, patience=0)
    validate(sel, 1000, 80.0, 1.0)
    checkpoint = sel.state()  # the periodic checkpoint, then what the loop does after it
    sel.checkpointed = sel.best_step
    validate(sel, 2000, 82.0, 2.0)  # killed after this
    resumed = Selection(every=1000, examples=500, patience=0)
    resumed.restore(checkpoint)
    validate(resumed, 2000, 79.9, 3.0)  # the replay: no gain
    validate(resumed, 3000, 79.0, 4.0)
    load_best(model, tmp_path, resumed, "cpu")
    assert resumed.best_step == 1000 and torch.equal(model.weight, states[1000])
    assert sorted(p.name for p in tmp_path.glob("best-*.pt")) == ["best-1000.pt", "best-2000.pt"]


def test_one_task_per_optimizer_step(demo_model, demo_workdir, tmp_path, monkeypatch):
    """Multi-task training with 4 micro-batches a step: every micro-batch of a step comes from
    the task drawn for that step (one batch of it, split), and the summary gives each task's
    realised share."""
    drawn: list[str] = []
    original = batches.split_batch

    def split(rows, lengths, parts):
        # the task whose batch this is: the stream whose lengths these are
        names = [n for n, d in data.items() if d is lengths]
        out = original(rows, lengths, parts)
        drawn.extend(names * len(out))
        return out

    data: dict = {}
    original_init = batches.BatchStream.__post_init__

    def init(self):
        data[self.task] = self.lengths
        original_init(self)

    monkeypatch.setattr(batches.BatchStream, "__post_init__", init)
    monkeypatch.setattr(runner_module, "split_batch", split)
    settings = SETTINGS | {"max_steps": 40, "batch_size": 32, "gradient_accumulation_steps": 4}
    summary = training.train(
        encoder_dir=demo_model,
        features={t: demo_workdir / f"features/{t}" for t in ("xnli", "pawsx")},
        settings=settings,
        seed=3,
        out_dir=tmp_path / "model",
        checkpoint_dir=tmp_path / "ckpt",
    )
    steps = [drawn[i : i + 4] for i in range(0, len(drawn), 4)]
    assert len(steps) == 40 and all(len(set(s)) == 1 for s in steps)
    shares = {t: sum(s[0] == t for s in steps) / 40 for t in ("pawsx", "xnli")}
    assert summary["realised_shares"] == pytest.approx(shares)
    # the draws follow the sampler: p ∝ size, one draw per step from a generator seeded 3
    p = summary["sampling_probabilities"]
    rng = np.random.default_rng(3)
    names = sorted(p)
    expected = [names[int(rng.choice(2, p=[p[n] for n in names]))] for _ in range(40)]
    assert [s[0] for s in steps] == expected
    assert json.loads((tmp_path / "model/train_summary.json").read_text())["realised_shares"]


# ---- the multi-task step count with a cap: jiant's formula ----


def test_capped_multitask_steps_are_jiants():
    """jiant's SimpleAPIMultiTaskConfigurator: max_steps = int(sum over tasks of epochs *
    ceil(min(n, cap) / (batch x accumulation))). By hand, batch 32 (4 x 8), cap 100,000:
    a 250,000 -> 100,000 / 32 = 3,125; b 30,000 / 32 = 937.5 -> 938; c 1,000 / 32 = 31.25 ->
    32; 3 epochs: 3 x (3,125 + 938 + 32) = 12,285 (uncapped it would be 26,349)."""
    sizes = {"a": 250_000, "b": 30_000, "c": 1_000}
    settings = Training.from_schema(batch_size=32, gradient_accumulation_steps=8, epochs=3)
    assert batches.total_steps(settings | {"examples_cap": 100_000}, sizes) == 12_285
    # uncapped, whole batches: 3 x (ceil(250,000 / 32) + ceil(30,000 / 32) + ceil(1,000 / 32))
    # = 3 x (7,813 + 938 + 32) = 26,349, however the batch is split
    assert batches.total_steps(settings, sizes) == 26_349
    # float epochs: int(1.5 x 3,125 + 1.5 x 938 + 1.5 x 32) = int(6,142.5) = 6,142
    capped = settings | {"examples_cap": 100_000, "epochs": 1.5}
    assert batches.total_steps(capped, sizes) == 6_142
    # max_steps wins, as in jiant
    assert batches.total_steps(capped | {"max_steps": 10}, sizes) == 10


def test_the_cost_model_counts_capped_steps_as_the_trainer():
    """xstilts.cost shares the trainer's count: a capped multitask cell's projected steps
    are jiant's formula on the task sizes it projects."""
    from xstilts import cost

    assert cost.total_steps is batches.total_steps


# ---- ANLI+: model selection on every component of its validation ----


def test_anli_plus_selection_scores_every_component_on_its_own_first_rows(tmp_path, demo_model):
    """ANLI+'s validation joins ANLI R1, R2, R3, MNLI matched and SNLI dev; selection takes
    the first 50 rows of each (not the first 50 of the join: all R1), one set each."""
    from xstilts import features, tasks
    from xstilts.data.disk import load_split
    from xstilts.tasks.build import build_demo_split
    from xstilts.training.selection import components, validation_sets

    from conftest import chdir

    task = tasks.get("anli_plus")
    keys = [s.key for s in task.validation]
    assert keys == [
        "facebook/anli/plain_text/dev_r1",
        "facebook/anli/plain_text/dev_r2",
        "facebook/anli/plain_text/dev_r3",
        "nyu-mll/glue/mnli/validation_matched",
        "stanfordnlp/snli/plain_text/validation",
    ]
    with chdir(tmp_path):
        for split in task.splits().values():
            for src in split:
                build_demo_split(src.key, src.path("demo"), scale=1000)
        features.prepare("anli_plus", demo_model, "demo", 64, tmp_path / "anli_plus")
    joined = load_split(tmp_path / "anli_plus/validation")
    sets = validation_sets({"anli_plus": task}, {"anli_plus": tmp_path / "anli_plus"}, 50)
    assert list(sets) == [f"anli_plus/{k}" for k in keys]
    first = {k: [i for i, c in enumerate(joined["component"]) if c == k][:50] for k in keys}
    for key in keys:
        scored_task, rows = sets[f"anli_plus/{key}"]
        assert scored_task is task and len(rows) == 50
        assert set(rows["component"]) == {key}
        assert rows["input_ids"] == joined.select(first[key])["input_ids"]
    # the train split names no component; rows that name none are one set
    assert "component" not in load_split(tmp_path / "anli_plus/train").column_names
    plain = joined.remove_columns("component")
    assert list(components(plain, "anli_plus")) == ["anli_plus"]
