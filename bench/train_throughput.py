"""Training and inference throughput of three ways to train XLM-R, measured in one run.

(a) ``jiant``: jiant-style training as the paper ran it — fp32, eager attention, every batch
    padded to the task's maximum length, micro-batch 4 with 8 accumulation steps, AdamW without
    fused or multi-tensor kernels, the loss read back after every micro-batch.
(b) ``trainer``: a best-practice Hugging Face ``Trainer`` — bf16, SDPA attention, dynamic
    padding to a multiple of 8, ``group_by_length``, fused AdamW, the whole batch in one
    micro-batch, two data-loader workers with pinned memory.
(c) ``xstilts``: ``xstilts.training.train`` itself, on prepared features written to disk exactly
    as the workflow writes them, with the batch in one micro-batch; ``xstilts_compiled`` the
    same with ``compile=True`` and each batch padded to its own length (CUDA only);
    ``xstilts_bucketed`` compiled with batches padded to 6 bucket lengths chosen from the
    length distribution (config keys ``compile: true``, ``buckets``: the fixed shapes CUDA
    graphs need; on the CPU, which never compiles, bucketing alone).

All three train an XLM-R-shaped model with random weights built from its config (no download)
on the same examples: token ids drawn at random, lengths drawn from the length distribution of
the chosen target (``--task xnli``: sentence pairs; ``--task qa``: SQuAD-style windows of at
most 384), or read from a prepared features directory of a real run (``--lengths-from
results/features/<model>/<task>/train``). Each mode runs ``--warmup`` optimizer steps, then
``--steps`` timed ones; the real (non-padding) tokens of the timed steps are counted on the
device by a forward hook on the encoder, so every mode is counted the same way.

Printed: real tokens/s of each mode, the ratios xstilts/jiant and xstilts/trainer, and the
model FLOP utilisation of each: (6 x non-embedding parameters per token + 12 x layers x hidden
x the example's length, per token, for attention) x tokens/s, over the matrix-product peak
measured on the same device (bf16 8192^3 on a GPU; fp32 1024^3 on the CPU, where training is
fp32). Then the
same for inference (tokens/s of a forward pass over an evaluation set, each mode's own way).

    python bench/train_throughput.py                              # CPU smoke test, tiny shape
    python bench/train_throughput.py --shape large --device cuda  # XLM-R Large on a GPU
    python bench/train_throughput.py --shape large --device cuda --task qa
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

import datasets
import numpy as np
import torch
from transformers import (
    PreTrainedTokenizerFast,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
    XLMRobertaModel,
)

from xstilts.modeling import model as modeling
from xstilts.tasks import get as get_task
from xstilts.training import train
from xstilts.training.inference import predict
from xstilts.training.optim import linear_schedule

PAD = 1  # XLM-R's <pad>
SHAPES = {
    # xlm-roberta-large's config.json
    "large": dict(
        vocab_size=250002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
        intermediate_size=4096,
    ),
    "base": dict(
        vocab_size=250002, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072,
    ),
    "tiny": dict(
        vocab_size=8000, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=256,
    ),
}  # fmt: skip
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
        real = np.asarray(datasets.load_from_disk(lengths_from)["length"])
        return rng.choice(real, size=n).astype(int).tolist()
    median, sigma, max_len = LENGTHS[task]
    lengths = np.exp(rng.normal(math.log(median), sigma, size=n)).round().astype(int)
    return np.clip(lengths, 8, max_len).tolist()


def examples(lengths: list[int], vocab: int, seed: int) -> datasets.Dataset:
    rng = np.random.default_rng(seed + 1)
    ids = [[0, *rng.integers(5, vocab, size=n - 2).tolist(), 2] for n in lengths]
    return datasets.Dataset.from_dict(
        {
            "input_ids": ids,
            "label": rng.integers(0, 3, size=len(lengths)).tolist(),
            "length": lengths,
        }
    )


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
        self.rates[phase] = {"tokens": tokens, "seconds": t1 - t0,
                             "tokens_per_s": tokens / (t1 - t0),
                             "mean_length_weighted": squares / max(tokens, 1)}  # fmt: skip
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
    trainer.predict(eval_ds.remove_columns("length"))
    counter.mark()
    counter.close("infer")


# ---- (c) the xstilts engine ------------------------------------------------------------------
def tokenizer_stub(vocab: int) -> PreTrainedTokenizerFast:
    """A tokenizer with XLM-R's special-token ids, so the engine's loaders find one (the
    benchmark's ids are synthetic)."""
    from tokenizers import Tokenizer, models

    words = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3} | {f"w{i}": i for i in range(4, vocab)}
    tok = Tokenizer(models.WordLevel(vocab=words, unk_token="<unk>"))
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", pad_token="<pad>", eos_token="</s>",
        unk_token="<unk>",
    )  # fmt: skip


def run_xstilts(
    cfg, train_ds, eval_ds, args, device, counter, workdir: Path, compile=False, buckets=0
):
    encoder_dir, features = workdir / "encoder", workdir / "features"
    torch.manual_seed(args.seed)
    XLMRobertaModel(cfg, add_pooling_layer=False).save_pretrained(encoder_dir)
    tokenizer_stub(cfg.vocab_size).save_pretrained(encoder_dir)
    train_ds.save_to_disk(str(features / "train"))

    start = time.perf_counter()

    def on_step(step: int, model: torch.nn.Module) -> None:
        # on the head, which gets the batch and is never compiled (a hook inside a compiled
        # encoder would stop CUDA graphs)
        counter.attach(model.heads["xnli"])
        if step == 1:
            sync(device)
            counter.first_step_seconds = time.perf_counter() - start
        if step in (args.warmup, args.warmup + args.steps):
            counter.mark()

    train(
        encoder_dir=encoder_dir,
        features={"xnli": features},
        settings={
            "learning_rate": 1e-5,
            "batch_size": args.batch,
            "gradient_accumulation_steps": 1,
            "max_steps": args.warmup + args.steps,
            "warmup_ratio": 0.1,
            "precision": "bf16",
        },  # fmt: skip
        seed=args.seed,
        out_dir=workdir / "xstilts_out",
        checkpoint_dir=workdir / "xstilts_ckpt",
        checkpoint_minutes=1e9,
        on_step=on_step,
        compile=compile,
        buckets=buckets,
    )
    counter.close("train")
    model, _ = modeling.load(workdir / "xstilts_out", device)
    counter.attach(model.heads["xnli"])
    counter.mark()
    predict(model, get_task("xnli"), eval_ds, PAD, batch_size=args.eval_batch)
    counter.mark()
    counter.close("infer")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    ap.add_argument("--task", choices=sorted(LENGTHS), default="xnli")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=32, help="examples per optimizer step")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--eval-examples", type=int, default=2048)
    ap.add_argument("--eval-batch", type=int, default=64)
    ap.add_argument(
        "--modes",
        help="default: jiant,trainer,xstilts (+ xstilts_compiled,xstilts_bucketed on CUDA)",
    )
    ap.add_argument("--lengths-from", help="a prepared features split with a 'length' column")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    if not args.modes:
        args.modes = "jiant,trainer,xstilts" + (
            ",xstilts_compiled,xstilts_bucketed" if device.type == "cuda" else ""
        )
    cfg = config_for(args.shape)
    # jiant's micro-batches of 4 x 8 accumulation steps see as many examples per step as ours
    n_train = args.batch * (args.warmup + args.steps + 1)
    lengths = sample_lengths(args.task, n_train + args.eval_examples, args.seed, args.lengths_from)
    data = examples(lengths, cfg.vocab_size, args.seed)
    train_ds = data.select(range(n_train))
    eval_ds = data.select(range(n_train, len(data)))

    peak = matmul_peak(device)
    n_params = non_embedding_parameters(cfg)
    results: dict = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "shape": args.shape, "task": args.task, "batch": args.batch, "steps": args.steps,
        "torch": torch.__version__, "matmul_peak_tflops": round(peak, 2),
        "non_embedding_parameters": n_params, "lengths": args.lengths_from or "assumed",
        "modes": {},
    }  # fmt: skip
    runners = {
        "jiant": run_jiant,
        "trainer": run_trainer,
        "xstilts": run_xstilts,
        "xstilts_compiled": lambda *a: run_xstilts(*a, compile=True, buckets=0),
        "xstilts_bucketed": lambda *a: run_xstilts(*a, compile=True, buckets=6),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            counter = TokenCounter(device)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            extra = () if mode == "jiant" else (Path(tmp) / mode,)
            runners[mode](cfg, train_ds, eval_ds, args, device, counter, *extra)
            train_r, infer_r = counter.rates["train"], counter.rates["infer"]
            fpt = flops_per_token(cfg, n_params, train_r["mean_length_weighted"])
            results["modes"][mode] = {
                "train_tokens_per_s": round(train_r["tokens_per_s"], 1),
                "train_mfu": round(fpt * train_r["tokens_per_s"] / (peak * 1e12), 4),
                "infer_tokens_per_s": round(infer_r["tokens_per_s"], 1),
                "infer_mfu": round(fpt / 3 * infer_r["tokens_per_s"] / (peak * 1e12), 4),
                "timed_train_tokens": int(train_r["tokens"]),
                "timed_train_seconds": round(train_r["seconds"], 2),
            }
            if hasattr(counter, "first_step_seconds"):  # model load and any compilation
                results["modes"][mode]["first_step_seconds"] = round(counter.first_step_seconds, 1)
            if device.type == "cuda":  # what one such job needs (gpu_mem_mb in the profile)
                peak = torch.cuda.max_memory_allocated(device) / 2**20
                results["modes"][mode]["peak_memory_mb"] = round(peak)
                torch.cuda.empty_cache()
            print(mode, json.dumps(results["modes"][mode]), flush=True)
    modes = results["modes"]
    for ours in ("xstilts", "xstilts_compiled", "xstilts_bucketed"):
        for base in ("jiant", "trainer", "xstilts"):
            if ours == base:
                continue
            if ours in modes and base in modes:
                for kind in ("train", "infer"):
                    key = f"{kind}_tokens_per_s"
                    results[f"{kind}_ratio_{ours}_over_{base}"] = round(
                        modes[ours][key] / modes[base][key], 2
                    )
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
