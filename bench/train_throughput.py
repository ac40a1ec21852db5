"""Training and inference throughput of three ways to train XLM-R, one mode per process.

(a) ``jiant``: jiant-style training as the paper ran it — fp32, eager attention, every batch
    padded to the task's maximum length, micro-batch 4 with 8 accumulation steps, AdamW without
    fused or multi-tensor kernels, the loss read back after every micro-batch.
(b) ``trainer``: a best-practice Hugging Face ``Trainer`` — bf16, SDPA attention, dynamic
    padding to a multiple of 8, ``group_by_length``, fused AdamW, the whole batch in one
    micro-batch, two data-loader workers with pinned memory.
(c) ``xstilts``: the engine's own optimizer step (``xstilts.training.runner.Runner``, which
    ``xstilts.training.train`` runs step after step) with ``--micro`` examples a micro-batch
    (``--micro 4``: 4 x 8 accumulation steps, as config/config.yaml ships; ``--micro 32``: one
    micro-batch a step); ``xstilts_compiled`` the same with the encoder compiled as a run with
    ``compile: true`` compiles it (``runner.compile_mode``: CUDA graphs with one micro-batch a
    step, Inductor without them with more) and batches padded to ``--buckets`` lengths (6).

All three train an XLM-R-shaped model with random weights built from its config (no download)
on the same examples: token ids drawn at random, lengths drawn from the length distribution of
the chosen target (``--task xnli``: sentence pairs of at most 256 tokens; ``--task qa``:
SQuAD-style windows of at most 384), or read from a prepared features directory of a real run
(``--lengths-from results/features/<model>/<task>/train``, which needs ``datasets``; nothing
else here does, so the script runs where only torch and transformers are installed). Each mode
runs ``--warmup`` optimizer steps, then ``--steps`` timed ones; the real (non-padding) tokens of
the timed steps are counted on the device by a forward hook, so every mode is counted the same
way. ``--barrier DIR --barrier-n k``: after its warm-up, the process waits until k processes
have reached that point (bench/gpu_sharing.py), and records the wall-clock times of its timed
steps.

Printed (and written to ``--json`` after every mode): real tokens/s of each mode, and the model
FLOP utilisation: (6 x non-embedding parameters per token + 12 x layers x hidden x the example's
length, per token, for attention) x tokens/s, over the matrix-product peak measured on the same
device (bf16 8192^3 on a GPU; fp32 1024^3 on the CPU, where training is fp32); then the same for
inference (tokens/s of a forward pass over an evaluation set, each mode's own way); on CUDA the
memory one such job needs: the allocator's peak, its peak reserved memory, and the CUDA context
(the process's memory in nvidia-smi, or the device's used memory when nvidia-smi is missing,
less what the allocator holds), which together are the ``gpu_mem_mb`` a rule needs.

    python bench/train_throughput.py                              # CPU smoke test, tiny shape
    python bench/train_throughput.py --shape large --device cuda --modes xstilts --micro 4
    python bench/train_throughput.py --shape large --device cuda --task qa --batch 16
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from transformers import (
    Trainer,
    TrainerCallback,
    TrainingArguments,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
    XLMRobertaModel,
)

from xstilts.modeling import model as modeling
from xstilts.settings import Training
from xstilts.tasks import get as get_task
from xstilts.training.inference import predict
from xstilts.training.optim import linear_schedule
from xstilts.training.runner import Runner, compile_encoder, compile_report

PAD = 1  # XLM-R's <pad>
SHAPES = {
    # xlm-roberta-large's config.json
    "large": dict(
        vocab_size=250002,
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096,
    ),
    "base": dict(
        vocab_size=250002,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
    ),
    "tiny": dict(
        vocab_size=8000,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=256,
    ),
}
# Length distributions (XLM-R tokens, special tokens included) when no features are given.
# Assumed, not measured here (the Hub is unreachable from the machine this was written on):
# log-normal fits with the medians of MNLI/XNLI pairs and of SQuAD 1.1 windows; use
# --lengths-from on a real run's features for the true distribution.
LENGTHS = {"xnli": (48, 0.45, 256), "qa": (190, 0.40, 384)}  # median, sigma, max_seq_length


def config_for(shape: str) -> XLMRobertaConfig:
    return XLMRobertaConfig(
        **SHAPES[shape],
        max_position_embeddings=514,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=PAD,
        bos_token_id=0,
        eos_token_id=2,
        num_labels=3,
    )


def sample_lengths(task: str, n: int, seed: int, lengths_from: str | None) -> list[int]:
    rng = np.random.default_rng(seed)
    if lengths_from:
        import datasets  # only here: the GPU machine has none

        real = np.asarray(datasets.load_from_disk(lengths_from)["length"])
        return rng.choice(real, size=n).astype(int).tolist()
    median, sigma, max_len = LENGTHS[task]
    lengths = np.exp(rng.normal(math.log(median), sigma, size=n)).round().astype(int)
    return np.clip(lengths, 8, max_len).tolist()


class Table:
    """Columns of equal length, read as the engine reads a ``datasets.Dataset``: ``t["col"]``
    a column, ``t[[i, j]]`` those rows as columns, ``t[i]`` one row; no ``datasets`` needed."""

    def __init__(self, columns: dict[str, list]):
        self.columns = columns
        self.column_names = list(columns)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.columns[key]
        if isinstance(key, (int, np.integer)):
            return {k: v[int(key)] for k, v in self.columns.items()}
        index = range(len(self))[key] if isinstance(key, slice) else [int(i) for i in key]
        return {k: [v[i] for i in index] for k, v in self.columns.items()}

    def select(self, index) -> Table:
        return Table(self[list(index)])


def examples(lengths: list[int], vocab: int, seed: int) -> Table:
    rng = np.random.default_rng(seed + 1)
    ids = [[0, *rng.integers(5, vocab, size=n - 2).tolist(), 2] for n in lengths]
    labels = rng.integers(0, 3, size=len(lengths)).tolist()
    return Table({"input_ids": ids, "label": labels, "length": lengths})


class TokenCounter:
    """Real tokens (and their squares, for attention FLOPs) seen by an encoder's forward, summed
    on the device so that counting never waits for the GPU; ``timer`` marks step boundaries."""

    def __init__(self, device: torch.device):
        self.device = device
        self.sums = torch.zeros(2, dtype=torch.float64, device=device)
        self.marks: list[tuple[float, torch.Tensor]] = []
        self.rates: dict[str, dict[str, float]] = {}
        self.handle = None
        self.encoder = None

    def attach(self, encoder: torch.nn.Module) -> None:
        if self.encoder is not encoder:
            if self.handle is not None:
                self.handle.remove()
            self.handle = encoder.register_forward_pre_hook(self._hook, with_kwargs=True)
            self.encoder = encoder

    def _hook(self, module, args, kwargs):
        mask = kwargs["attention_mask"] if "attention_mask" in kwargs else args[1]["attention_mask"]
        per_row = mask.sum(-1).double()
        self.sums += torch.stack([per_row.sum(), (per_row**2).sum()])

    def mark(self) -> None:
        sync(self.device)
        self.marks.append((time.perf_counter(), self.sums.clone()))

    def close(self, phase: str) -> None:
        """The rate between the first and the last mark, kept as ``rates[phase]``."""
        (t0, c0), (t1, c1) = self.marks[0], self.marks[-1]
        tokens, squares = (c1 - c0).tolist()
        self.rates[phase] = {
            "tokens": tokens,
            "seconds": t1 - t0,
            "tokens_per_s": tokens / (t1 - t0),
            "mean_length_weighted": squares / max(tokens, 1),
        }
        self.marks.clear()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def non_embedding_parameters(config: XLMRobertaConfig) -> int:
    with torch.device("meta"):  # shapes only, no memory
        model = XLMRobertaModel(config, add_pooling_layer=False)
    emb = sum(p.numel() for p in model.embeddings.parameters())
    return sum(p.numel() for p in model.parameters()) - emb


def flops_per_token(config: XLMRobertaConfig, n_params: int, weighted_length: float) -> float:
    """Training FLOPs per real token: 6N for the matrix products with the weights, plus
    12 x layers x hidden x length for the attention scores and their weighted sum (forward
    2 x 2 x L x H x l, backward twice that), with l the token-weighted mean example length."""
    return 6 * n_params + 12 * config.num_hidden_layers * config.hidden_size * weighted_length


def matmul_peak(device: torch.device) -> float:
    """TFLOP/s of a large matrix product on this device (the best of a few): bf16 on a GPU,
    fp32 on the CPU, the precision each trains in there."""
    cuda = device.type == "cuda"
    n, dtype = (8192, torch.bfloat16) if cuda else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(10 if device.type == "cuda" else 3):
        sync(device)
        t = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e12


# ---- (a) jiant-style -------------------------------------------------------------------------
def run_jiant(cfg, train_ds, eval_ds, args, device, counter) -> None:
    torch.manual_seed(args.seed)
    model = XLMRobertaForSequenceClassification._from_config(cfg, attn_implementation="eager").to(
        device
    )
    counter.attach(model.roberta)
    micro, accum, max_len = 4, 8, LENGTHS[args.task][2]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, eps=1e-8, foreach=False)
    total = args.warmup + args.steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule(int(0.1 * total), total))
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(train_ds))

    def padded(rows):
        ids = torch.full((len(rows["input_ids"]), max_len), PAD, dtype=torch.long)
        for i, r in enumerate(rows["input_ids"]):
            ids[i, : len(r)] = torch.as_tensor(r[:max_len])
        return ids.to(device), (ids != PAD).long().to(device)

    model.train()
    pos = 0
    for step in range(total):
        if step == args.warmup:
            counter.mark()
        for _ in range(accum):
            rows = train_ds[order[pos : pos + micro].tolist()]
            pos = (pos + micro) % (len(order) - micro)
            ids, mask = padded(rows)
            labels = torch.as_tensor(rows["label"], device=device)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss / accum
            loss.backward()
            loss.item()  # jiant logs every micro-batch's loss
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
    counter.mark()
    counter.close("train")

    # inference: fp32, padded to the maximum length, in dataset order
    model.eval()
    counter.mark()
    with torch.no_grad():
        for start in range(0, len(eval_ds), args.eval_batch):
            ids, mask = padded(eval_ds[start : start + args.eval_batch])
            model(input_ids=ids, attention_mask=mask).logits.cpu()
    counter.mark()
    counter.close("infer")


# ---- (b) Hugging Face Trainer ----------------------------------------------------------------
class _Marks(TrainerCallback):
    def __init__(self, counter: TokenCounter, warmup: int):
        self.counter, self.warmup = counter, warmup

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup or state.global_step == state.max_steps:
            self.counter.mark()


def pad_collator(multiple: int):
    """What ``DataCollatorWithPadding(tokenizer, pad_to_multiple_of=multiple)`` does for
    these rows (ids are synthetic, so there is no tokenizer to give it)."""

    def collate(rows):
        longest = max(len(r["input_ids"]) for r in rows)
        width = -(-longest // multiple) * multiple
        ids = torch.full((len(rows), width), PAD, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r["input_ids"])] = torch.as_tensor(r["input_ids"])
        labels = torch.as_tensor([r["label"] for r in rows])
        return {"input_ids": ids, "attention_mask": (ids != PAD).long(), "labels": labels}

    return collate


def _group_by_length() -> dict:
    """Length-grouped sampling: ``train_sampling_strategy`` since transformers 5.18 or so,
    ``group_by_length`` before."""
    fields = TrainingArguments.__dataclass_fields__
    if "train_sampling_strategy" in fields:
        return {"train_sampling_strategy": "group_by_length"}
    return {"group_by_length": True}


def run_trainer(cfg, train_ds, eval_ds, args, device, counter, workdir: Path) -> None:
    torch.manual_seed(args.seed)
    model = XLMRobertaForSequenceClassification._from_config(cfg, attn_implementation="sdpa")
    counter.attach(model.roberta)
    cuda = device.type == "cuda"
    targs = TrainingArguments(
        output_dir=str(workdir / "trainer"),
        per_device_train_batch_size=args.batch,
        per_device_eval_batch_size=args.eval_batch,
        gradient_accumulation_steps=1,
        learning_rate=1e-5,
        warmup_steps=int(0.1 * (args.warmup + args.steps)),
        max_steps=args.warmup + args.steps,
        bf16=cuda,
        **_group_by_length(),
        optim="adamw_torch_fused" if cuda else "adamw_torch",
        dataloader_num_workers=2,
        dataloader_pin_memory=cuda,
        use_cpu=not cuda,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        seed=args.seed,
        remove_unused_columns=False,
    )
    trainer = Trainer(
        model=model,
        args=targs,
        train_dataset=train_ds,
        data_collator=pad_collator(8),
        callbacks=[_Marks(counter, args.warmup)],
    )
    trainer.train()
    counter.close("train")
    counter.mark()
    trainer.predict(eval_ds)
    counter.mark()
    counter.close("infer")


# ---- (c) the xstilts engine ------------------------------------------------------------------
def build_runner(cfg, rows, settings: Training, device, seed: int, buckets: int = 0) -> Runner:
    """The engine's state for XNLI-like rows: an encoder of ``cfg``'s shape with random
    weights, the xnli head, the runner that ``xstilts.training.train`` builds (bf16 autocast on
    CUDA unless ``settings`` say fp32)."""
    torch.manual_seed(seed)
    with torch.device(device):  # built where it runs: XLM-R Large's init is slow on the CPU
        encoder = XLMRobertaModel._from_config(
            cfg, attn_implementation="sdpa", add_pooling_layer=False
        )
        model = modeling.MultiTaskModel(encoder, ["xnli"])
    bf16 = device.type == "cuda" and settings.precision == "bf16"
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if bf16 else nullcontext
    task = get_task("xnli")
    return Runner(
        model,
        {"xnli": task},
        {"xnli": rows},
        settings,
        seed,
        device,
        autocast,
        PAD,
        buckets=buckets,
    )


def wait_at_barrier(directory: str, n: int, timeout: float = 300.0) -> None:
    """A file barrier: this process's mark in ``directory``, then wait until ``n`` are there."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    (Path(directory) / f"ready-{os.getpid()}").touch()
    deadline = time.time() + timeout
    while len(list(Path(directory).glob("ready-*"))) < n:
        if time.time() > deadline:
            raise SystemExit(f"barrier {directory}: fewer than {n} processes arrived in time")
        time.sleep(0.01)


def run_xstilts(cfg, train_ds, eval_ds, args, device, counter, compile=False):
    micro = args.micro or args.batch
    settings = Training.from_schema(  # the schema's defaults for the rest
        learning_rate=1e-5,
        batch_size=args.batch,
        gradient_accumulation_steps=args.batch // micro,
        max_steps=args.warmup + args.steps,
        warmup_ratio=0.1,
        precision="bf16",
    )
    buckets = (6 if compile else 0) if args.buckets is None else args.buckets
    start = time.perf_counter()
    runner = build_runner(cfg, train_ds, settings, device, args.seed, buckets)
    # on the head, which gets the batch and is never compiled (a hook inside a compiled
    # encoder would stop CUDA graphs)
    counter.attach(runner.model.heads["xnli"])
    started = compile_encoder(runner, compile)
    runner.model.train()
    for step in range(1, runner.total + 1):
        if step == args.warmup + 1:
            if args.barrier:
                sync(device)
                wait_at_barrier(args.barrier, args.barrier_n)
            counter.mark()
            counter.wall_start = time.time()
        runner.train_step()
        if step == 1:
            sync(device)
            counter.first_step_seconds = time.perf_counter() - start
    counter.mark()
    counter.wall_end = time.time()
    counter.close("train")
    counter.compiled = compile_report(runner, started)
    counter.mark()
    predict(runner.model, get_task("xnli"), eval_ds, PAD, batch_size=args.eval_batch)
    counter.mark()
    counter.close("infer")


def memory_report(device: torch.device) -> dict:
    """What one such job holds on the GPU, in MB: the allocator's peak allocated and reserved
    memory, and the process's memory outside the allocator (the CUDA context, cuBLAS
    workspaces, compiled kernels): nvidia-smi's memory of this process, or the device's used
    memory (this process alone on it), less what the allocator reserves now."""
    mb = 2**20
    out = {
        "peak_allocated_mb": round(torch.cuda.max_memory_allocated(device) / mb),
        "peak_reserved_mb": round(torch.cuda.max_memory_reserved(device) / mb),
    }
    reserved_now = torch.cuda.memory_reserved(device) / mb
    process_mb, source = None, None
    if shutil.which("nvidia-smi"):
        try:
            text = subprocess.run(
                [
                    "nvidia-smi",
                    "--query-compute-apps=pid,used_memory",
                    "--format=csv,noheader,nounits",
                ],
                capture_output=True,
                text=True,
                timeout=20,
            ).stdout
            for line in text.splitlines():
                pid, used = (x.strip() for x in line.split(","))
                if pid == str(os.getpid()):
                    process_mb, source = float(used), "nvidia-smi"
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
    if process_mb is None:
        free, total = torch.cuda.mem_get_info(device)
        process_mb, source = (total - free) / mb, "mem_get_info (device used)"
    out["context_mb"] = round(max(process_mb - reserved_now, 0))
    out["context_source"] = source
    # the rule's gpu_mem_mb: the reserved peak plus what lives outside the allocator
    out["peak_memory_mb"] = out["peak_reserved_mb"] + out["context_mb"]
    return out


def mode_name(mode: str, args) -> str:
    """The mode with its micro-batch shape, e.g. xstilts_4x8."""
    micro = {"jiant": 4, "trainer": args.batch}.get(mode, args.micro or args.batch)
    return f"{mode}_{micro}x{args.batch // micro}"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    ap.add_argument("--task", choices=sorted(LENGTHS), default="xnli")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=32, help="examples per optimizer step")
    ap.add_argument(
        "--micro",
        type=int,
        help="examples per micro-batch of the xstilts modes (default: the whole batch)",
    )
    ap.add_argument("--buckets", type=int, help="bucket lengths (default: 6 compiled, else 0)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--eval-examples", type=int, default=2048)
    ap.add_argument("--eval-batch", type=int, default=64)
    ap.add_argument(
        "--modes",
        default="jiant,trainer,xstilts",
        help="any of jiant, trainer, xstilts, xstilts_compiled",
    )
    ap.add_argument("--lengths-from", help="a prepared features split with a 'length' column")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--barrier", help="a directory: wait there after the warm-up")
    ap.add_argument("--barrier-n", type=int, default=1, help="processes the barrier waits for")
    ap.add_argument("--json", help="also write the results here (after every mode)")
    return ap


def _measured(mode: str, counter: TokenCounter, cfg, n_params: int, peak_tflops: float) -> dict:
    """One mode's row: its training and inference rates and MFU, and what its counter saw."""
    train_r, infer_r = counter.rates["train"], counter.rates["infer"]
    fpt = flops_per_token(cfg, n_params, train_r["mean_length_weighted"])
    row = {
        "mode": mode,
        "train_tokens_per_s": round(train_r["tokens_per_s"], 1),
        "train_mfu": round(fpt * train_r["tokens_per_s"] / (peak_tflops * 1e12), 4),
        "infer_tokens_per_s": round(infer_r["tokens_per_s"], 1),
        "infer_mfu": round(fpt / 3 * infer_r["tokens_per_s"] / (peak_tflops * 1e12), 4),
        "timed_train_tokens": int(train_r["tokens"]),
        "timed_train_seconds": round(train_r["seconds"], 2),
    }
    if hasattr(counter, "first_step_seconds"):  # model build and any compilation
        row["first_step_seconds"] = round(counter.first_step_seconds, 1)
    if hasattr(counter, "wall_start"):  # the timed steps, for the overlap of jobs
        row["wall_start"], row["wall_end"] = counter.wall_start, counter.wall_end
    if hasattr(counter, "compiled"):  # whether it really ran compiled
        row |= counter.compiled
    return row


def main(argv: list[str] | None = None) -> dict:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.micro and args.batch % args.micro:
        ap.error(f"--batch {args.batch} is not a multiple of --micro {args.micro}")
    device = torch.device(args.device)
    cfg = config_for(args.shape)
    # jiant's micro-batches of 4 x 8 accumulation steps see as many examples per step as ours
    n_train = args.batch * (args.warmup + args.steps + 1)
    lengths = sample_lengths(args.task, n_train + args.eval_examples, args.seed, args.lengths_from)
    data = examples(lengths, cfg.vocab_size, args.seed)
    train_ds = data.select(range(n_train))
    eval_ds = data.select(range(n_train, len(lengths)))

    peak_tflops = matmul_peak(device)
    n_params = non_embedding_parameters(cfg)
    import transformers

    results: dict = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "shape": args.shape,
        "task": args.task,
        "batch": args.batch,
        "steps": args.steps,
        "warmup": args.warmup,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "matmul_peak_tflops": round(peak_tflops, 2),
        "non_embedding_parameters": n_params,
        "lengths": args.lengths_from or "assumed",
        "modes": {},
    }
    runners = {
        "jiant": run_jiant,
        "trainer": run_trainer,
        "xstilts": run_xstilts,
        "xstilts_compiled": lambda *a: run_xstilts(*a, compile=True),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            counter = TokenCounter(device)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            extra = (Path(tmp) / mode,) if mode == "trainer" else ()
            runners[mode](cfg, train_ds, eval_ds, args, device, counter, *extra)
            row = _measured(mode, counter, cfg, n_params, peak_tflops)
            if device.type == "cuda":  # what one such job needs (gpu_mem_mb in the profile)
                row |= memory_report(device)
                torch.cuda.empty_cache()
            results["modes"][mode_name(mode, args)] = row
            print(mode_name(mode, args), json.dumps(row), flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
