"""The GPU code paths train to the same model quality as fp32 / eager: bf16 autocast and the
compiled encoder change the arithmetic only within rounding. Skipped without CUDA (CI has
none; run on a GPU machine: ``pytest tests/test_gpu.py``)."""

from __future__ import annotations

import pytest
import torch
from test_train import SETTINGS  # the CPU engine's; each run here sets its precision

from xstilts import training

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _run(demo_model, demo_workdir, tmp_path, name, precision, compile=False):
    summary = training.train(
        encoder_dir=demo_model,
        features={"xnli": demo_workdir / "features/xnli"},
        settings=SETTINGS | {"precision": precision},
        seed=3,
        out_dir=tmp_path / name,
        checkpoint_dir=tmp_path / f"{name}_ckpt",
        compile=compile,
    )
    return summary


def test_bf16_eager_and_compiled_train_as_well_as_fp32(demo_model, demo_workdir, tmp_path):
    fp32 = _run(demo_model, demo_workdir, tmp_path, "fp32", "fp32")
    bf16 = _run(demo_model, demo_workdir, tmp_path, "bf16", "bf16")
    compiled = _run(demo_model, demo_workdir, tmp_path, "compiled", "bf16", compile=True)
    assert compiled["compiled"] and not bf16["compiled"]
    reference = fp32["validation"]["xnli"]["accuracy"]
    assert reference > 60  # the demo signal is learnt (chance: 33.3)
    for other in (bf16, compiled):
        # 150 steps of a 4-layer model on ~1,000 validation examples: rounding moves the
        # trajectory a little, not the quality: within 3 points of fp32
        assert abs(other["validation"]["xnli"]["accuracy"] - reference) <= 3.0, (fp32, other)
