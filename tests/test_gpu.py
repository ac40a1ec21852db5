"""A compiled encoder trains as the eager one does: the same gradients, with gradient
accumulation too, and a partial last batch filled up to the full shape; bf16 and compiled
training reach the quality of fp32. The CUDA tests are skipped without CUDA (CI has none;
bench/gpu_suite.sh runs them on a GPU machine, which has torch and transformers but no
``datasets``: only the accuracy test needs it). On the CPU, Inductor's CPU code checks the same
gradient arithmetic (no CUDA graphs there)."""

from __future__ import annotations

import sys

import pytest
import torch

from xstilts.settings import Machine, Training
from xstilts.training.runner import compile_encoder, compile_mode, compile_report

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import train_throughput as bench  # noqa: E402

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# 28 rows in micro-batches of 8: an epoch is 8 + 8 + 8 + 4 rows, the last one partial
ROWS, MICRO = 28, 8


def _runner(device, accum: int, buckets: int, seed: int = 5):
    cfg = bench.config_for("tiny")
    rows = bench.examples(bench.sample_lengths("xnli", ROWS, seed, None), cfg.vocab_size, seed)
    settings = Training.from_schema(
        learning_rate=0.0,  # the weights stay: every step's gradients are comparable
        batch_size=MICRO * accum,
        gradient_accumulation_steps=accum,
        max_steps=10,
        warmup_ratio=0.0,
        precision="fp32",
    )
    runner = bench.build_runner(cfg, rows, settings, torch.device(device), seed, buckets)
    runner.model.eval()  # no dropout: eager and compiled draw different masks
    return runner


def _gradients(runner, steps: int) -> dict[str, torch.Tensor]:
    """The gradients of the last of ``steps`` steps (the earlier ones record and replay)."""
    for _ in range(steps - 1):
        runner.train_step()
    runner.accumulate()
    return {n: p.grad.detach().float().cpu().clone() for n, p in runner.model.named_parameters()}


def _assert_same(compiled: dict, eager: dict, rtol: float) -> None:
    assert compiled.keys() == eager.keys()
    for name, g in eager.items():
        error = (compiled[name] - g).norm()
        assert error <= rtol * g.norm() + 1e-7, (name, float(error), float(g.norm()))


def _compare(device, accum: int, mode: str | None, steps: int, rtol: float, buckets=3) -> dict:
    eager = _gradients(_runner(device, accum, buckets), steps)
    runner = _runner(device, accum, buckets)
    started = compile_encoder(runner, True, mode)
    compiled = _gradients(runner, steps)
    report = compile_report(runner, started)
    _assert_same(compiled, eager, rtol)
    # the partial batch (4 rows) was filled up to 8: every call had the full micro-batch
    assert {shape[0] for shape in report["compile"]["shapes"]} == {MICRO}, report
    return report


def test_the_compile_mode_follows_the_accumulation():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert compile_mode(cpu, 1, 1)[0] is None  # the CPU never compiles a run
    assert compile_mode(gpu, 1, 2)[0] is None  # nor does a sharded run
    assert compile_mode(gpu, 1, 1)[0] == "reduce-overhead"
    # CUDA graphs with accumulation lose gradients (pytorch/pytorch#96693, #169545)
    assert compile_mode(gpu, 8, 1)[0] == "default"


def test_a_run_that_asks_for_compile_on_the_cpu_says_it_did_not_and_why():
    runner = _runner("cpu", accum=2, buckets=0)
    report = compile_report(runner, compile_encoder(runner, True))
    assert report == {
        "compiled": False,
        "compile": {"fallback": compile_mode(runner.device, 2, 1)[1]},
    }
    assert runner.model.encoder._compiled_call_impl is None
    assert compile_encoder(runner, False) == {"compiled": False}  # not asked: as before


def test_a_run_that_falls_back_to_eager_says_so():
    """torch._dynamo runs a frame eagerly once it hit its recompile limit: the report says
    the run was not compiled, and why (dynamo's own backend-less tracing stands in for
    Inductor here, to trace in seconds)."""
    import torch._dynamo

    runner = _runner("cpu", accum=1, buckets=0)  # every batch its own length
    started = compile_encoder(runner, True, mode="default")
    runner.compiled.call = torch.compile(
        runner.model.encoder._call_impl, backend="eager", dynamic=False
    )
    with torch._dynamo.config.patch(recompile_limit=1):
        for _ in range(3):
            runner.train_step()
    report = compile_report(runner, started)
    assert report["compiled"] is False and "recompile_limit" in report["compile"]["fallback"]
    assert len(report["compile"]["shapes"]) > 1


@pytest.mark.grids  # minutes of C++ compilation on 2 cores
def test_compiled_gradients_with_accumulation_equal_eager_on_the_cpu():
    """Inductor on the CPU, 4 micro-batches a step (one of them partial), 2 steps, one bucket
    length (one compilation): every parameter's gradient equals the eager one's to 1e-4 of its
    norm. A run that kept only some micro-batches' gradients would be off by about their share
    of the sum."""
    report = _compare("cpu", accum=4, mode="default", steps=2, rtol=1e-4, buckets=1)
    assert report["compiled"] and report["compile"]["mode"] == "default"


def test_a_multi_task_run_pads_every_task_to_one_set_of_lengths():
    """The encoder shared by an arm's tasks sees one set of at most ``buckets`` lengths."""
    cfg = bench.config_for("tiny")
    short = bench.examples([10, 12, 14, 16] * 4, cfg.vocab_size, 1)
    long = bench.examples([60, 70, 80, 90] * 4, cfg.vocab_size, 2)
    settings = Training.from_schema(learning_rate=0.0, batch_size=4, max_steps=1)
    runner = bench.build_runner(cfg, short, settings, torch.device("cpu"), 1, buckets=3)
    from xstilts.tasks import get

    two = type(runner)(
        runner.model,
        {"xnli": get("xnli"), "mnli": get("mnli")},
        {"xnli": short, "mnli": long},
        runner.settings,
        1,
        runner.device,
        runner.autocast,
        bench.PAD,
        buckets=3,
    )
    assert two.shapes["xnli"] == two.shapes["mnli"]
    assert len(two.shapes["xnli"]) <= 3 and max(two.shapes["xnli"]) == 96  # 90 rounded to 8


@cuda
@pytest.mark.parametrize(("accum", "mode"), [(1, "reduce-overhead"), (4, "default")])
def test_compiled_gradients_equal_eager_on_cuda(accum, mode):
    """As a run with ``compile: true`` compiles (the mode chosen for the accumulation), 4
    steps of one shape (one bucket length, the partial batch filled up), so that CUDA graphs
    are warmed up, recorded and replayed before the gradients are compared."""
    report = _compare("cuda", accum=accum, mode=None, steps=4, rtol=1e-3, buckets=1)
    assert report["compiled"] and report["compile"]["mode"] == mode, report


@cuda
def test_reduce_overhead_with_accumulation_on_cuda_is_not_what_a_run_compiles():
    """The known bug, so that the day torch fixes it shows here: CUDA graphs with 4
    micro-batches a step either fail or lose gradients (pytorch/pytorch#169545, #96693).
    This test records which; it passes either way, and the runner never takes this mode."""
    try:
        report = _compare("cuda", accum=4, mode="reduce-overhead", steps=4, rtol=1e-3, buckets=1)
    except (AssertionError, RuntimeError) as e:
        pytest.xfail(f"reduce-overhead with accumulation: {type(e).__name__}: {str(e)[:200]}")
    assert report["compiled"]


@cuda
def test_bf16_eager_and_compiled_train_as_well_as_fp32_on_cuda(tmp_path):
    pytest.importorskip("datasets")  # the demo features; the GPU machine has no datasets
    from test_train import SETTINGS  # the CPU engine's; each run here sets its precision

    from xstilts import training
    from xstilts.modeling import demo_model as builder

    from conftest import DEMO_SPEC

    demo_model = tmp_path / "demo_tiny"
    builder.build(demo_model, DEMO_SPEC)
    demo_workdir = _demo_workdir(tmp_path, demo_model)

    def run(name, precision, compile=False):
        return training.train(
            encoder_dir=demo_model,
            features={"xnli": demo_workdir / "features/xnli"},
            settings=SETTINGS | {"precision": precision},
            seed=3,
            out_dir=tmp_path / name,
            checkpoint_dir=tmp_path / f"{name}_ckpt",
            machine=Machine(compile=compile),
        )

    fp32, bf16 = run("fp32", "fp32"), run("bf16", "bf16")
    compiled = run("compiled", "bf16", compile=True)
    assert compiled["compiled"] and not bf16["compiled"], compiled.get("compile")
    reference = fp32["validation"]["xnli"]["accuracy"]
    assert reference > 60  # the demo signal is learnt (chance: 33.3)
    for other in (bf16, compiled):
        # 150 steps of a 4-layer model on ~1,000 validation examples: rounding moves the
        # trajectory a little, not the quality: within 3 points of fp32
        assert abs(other["validation"]["xnli"]["accuracy"] - reference) <= 3.0, (fp32, other)


def _demo_workdir(tmp_path, demo_model):
    from xstilts import features, tasks
    from xstilts.tasks.build import build_demo_split

    from conftest import chdir

    work = tmp_path / "work"
    work.mkdir()
    with chdir(work):
        for split in tasks.get("xnli").splits().values():
            for src in split:
                if not src.path("demo").exists():
                    build_demo_split(src.key, src.path("demo"), scale=100)
        features.prepare("xnli", demo_model, "demo", 128, work / "features" / "xnli")
    return work
