"""The effective batch is the science, the micro-batch the machine's: a batch split into
micro-batches (a model's ``micro_batch_size``, a machine setting) gives the optimizer the
gradient of the whole batch, and changes no cell's params."""

from __future__ import annotations

import pytest
import torch

from xstilts import grid as xgrid
from xstilts.settings import Training
from xstilts.training import batches
from xstilts.training.start import build as _build

from conftest import REPO, hub_config

SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def test_accumulation_is_the_fewest_micro_batches_that_fit():
    # 32 in micro-batches of at most 10: 4 of 8 (3 does not divide 32); of at most 32: one
    assert batches.accumulation(32, 1, 10) == 4
    assert batches.accumulation(32, 1, 32) == 1
    # never fewer than the settings' gradient_accumulation_steps: 24 / 8 = 3 already fits
    assert batches.accumulation(24, 8, 10) == 8
    # jiant's XTREME shape, 32 as 4 x 8, on a GPU that holds 4
    assert batches.accumulation(32, 1, 4) == 8
    # two GPUs of a sharded run hold 2 x 4 a pass
    assert batches.accumulation(32, 1, 4, world=2) == 4
    # no limit: the settings' own
    assert batches.accumulation(32, 2, None) == 2


def test_a_micro_batch_table_is_read_for_the_devices_memory():
    table = {75: 32, 0: 4}  # config.yaml's XLM-R Large: 32 on an 80 GB GPU, else jiant's 4
    assert batches.micro_batch_limit(table, 79.2) == 32  # an H100 80GB reports 79.2 GiB
    assert batches.micro_batch_limit(table, 39.4) == 4  # an A100 40GB
    assert batches.micro_batch_limit(table, None) == 4  # a CPU: the smallest entry
    assert batches.micro_batch_limit({"40": 16, "75": 32}, 24.0) == 16  # none fits: the least
    assert batches.micro_batch_limit(8, 79.2) == 8
    assert batches.micro_batch_limit(None, 79.2) is None


def test_split_batch_keeps_every_example_once_longest_first():
    lengths = [5, 50, 7, 30, 9, 12, 40, 3, 8, 20]
    parts = batches.split_batch(list(range(10)), lengths, 4)
    assert [len(p) for p in parts] == [3, 3, 2, 2]
    assert sorted(i for p in parts for i in p) == list(range(10))
    assert parts[0] == [1, 6, 3]  # lengths 50, 40, 30
    assert batches.split_batch([4, 2, 9], lengths, 1) == [[4, 2, 9]]


def test_steps_count_whole_batches_whatever_the_split():
    # MNLI's 392,702 pairs, 3 epochs of batch 32: ceil(392,702 / 32) = 12,272 batches an epoch
    for accum in (1, 8):
        settings = Training.from_schema(batch_size=32, epochs=3, gradient_accumulation_steps=accum)
        assert batches.total_steps(settings, {"mnli": 392_702}) == 3 * 12_272


def test_micro_batch_size_changes_no_cells_params():
    def cells(micro):
        spec = {"hub_id": "FacebookAI/xlm-roberta-large"}
        if micro is not None:
            spec["micro_batch_size"] = micro
        g = xgrid.resolve(
            xgrid.validate(hub_config(models={"xlmr_large": spec}), SCHEMA, check_local=False)
        )
        return (
            xgrid.cells.intermediate_cell(g, "xlmr_large", "mnli", 1),
            xgrid.cells.target_cell(g, "xlmr_large", "mnli", 1, "xnli"),
        )

    assert cells(None) == cells(4) == cells({75: 32, 0: 4})


def _gradients(demo_model, demo_workdir, micro, rows=None):
    """The gradients of the first optimizer step of the demo XNLI run (dropout off), with
    batches split into micro-batches of at most ``micro``; ``rows``: the batch drawn (an
    epoch's partial last batch)."""
    settings = Training.from_schema(
        learning_rate=1e-4, batch_size=16, max_steps=3, precision="fp32"
    )
    features = {"xnli": str(demo_workdir / "features/xnli")}
    runner, _ = _build(demo_model, features, settings, 1, None, "train", None, 0, micro)
    runner.model.eval()  # no dropout: the two runs compute the same function
    if rows is not None:
        runner.streams["xnli"].next = lambda: list(rows)
    seen = []

    def capture(*args, **kwargs):
        seen.append({n: p.grad.clone() for n, p in runner.model.named_parameters()})

    runner.optimizer.step = capture
    runner.train_step()
    return runner, seen[0]


def _assert_equal(g1, g2):
    for name, grad in g1.items():
        assert torch.allclose(grad, g2[name], rtol=1e-4, atol=1e-6), name
    # and the gradient is not trivially zero
    assert max(float(g.abs().max()) for g in g1.values()) > 1e-4


def test_four_micro_batches_give_the_whole_batchs_gradient(demo_model, demo_workdir):
    whole, g1 = _gradients(demo_model, demo_workdir, None)
    split, g4 = _gradients(demo_model, demo_workdir, 4)
    assert (whole.accum, whole.micro) == (1, 16)
    assert (split.accum, split.micro) == (4, 4)
    assert whole.tokens == split.tokens  # the same examples made the step
    _assert_equal(g1, g4)


def test_a_partial_batchs_uneven_micro_batches_weigh_their_share(demo_model, demo_workdir):
    # an epoch's last batch of 10 in 4 micro-batches: 3, 3, 2, 2 examples, each weighing its
    # share, still give the gradient of the 10 together
    rows = [0, 3, 5, 8, 13, 21, 34, 55, 89, 144]
    _, g1 = _gradients(demo_model, demo_workdir, None, rows)
    split, g4 = _gradients(demo_model, demo_workdir, 4, rows)
    assert split.accum == 4
    _assert_equal(g1, g4)


def test_a_micro_batch_table_keyed_by_words_is_one_sentence():
    spec = {"hub_id": "FacebookAI/xlm-roberta-large", "micro_batch_size": {"h100": 32}}
    with pytest.raises(xgrid.ConfigError, match=r"models\.xlmr_large\.micro_batch_size': 'h100'"):
        xgrid.validate(hub_config(models={"xlmr_large": spec}), SCHEMA, check_local=False)
