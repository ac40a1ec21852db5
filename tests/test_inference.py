"""Inference batched by tokens: short rows share large batches, long rows small ones, and the
logits do not depend on how the rows were batched."""

from __future__ import annotations

import datasets
import torch

from xstilts import tasks
from xstilts.modeling import model as modeling
from xstilts.training.inference import predict, token_batches


def test_token_batches_hold_rows_times_longest_within_the_budget():
    lengths = [10, 10, 10, 10, 30, 30, 100, 300]
    order = sorted(range(8), key=lambda i: lengths[i])
    # 4 x 10 = 40; a 5th row of 30 would make 5 x 30 = 150 > 100; 2 x 30 = 60; 100 alone;
    # 300 is longer than the budget and goes alone
    assert list(token_batches(lengths, order, 100)) == [[0, 1, 2, 3], [4, 5], [6], [7]]
    # a row cap as well: 3 rows of 10, then 10 + 30 + 30 (3 x 30 = 90)
    capped = list(token_batches(lengths, order, 100, max_rows=3))
    assert capped == [[0, 1, 2], [3, 4, 5], [6], [7]]


def test_logits_do_not_depend_on_the_batching(demo_model, demo_workdir):
    encoder, tokenizer = modeling.load_encoder(demo_model)
    torch.manual_seed(0)
    model = modeling.MultiTaskModel(encoder, ["xnli"])
    features = datasets.load_from_disk(str(demo_workdir / "features/xnli/test.en")).select(
        range(100)
    )
    task = tasks.get("xnli")
    pad = tokenizer.pad_token_id
    one_by_one = predict(model, task, features, pad, batch_size=1, precision="fp32")
    by_tokens = predict(model, task, features, pad, precision="fp32")
    small = predict(model, task, features, pad, precision="fp32", max_tokens=256)
    assert len(by_tokens) == len(features)
    for a, b, c in zip(one_by_one, by_tokens, small, strict=True):
        assert torch.allclose(a, b, atol=1e-5) and torch.allclose(a, c, atol=1e-5)
