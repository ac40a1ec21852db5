"""Where one optimizer step of XLM-R goes, at fixed batch shapes (the numbers behind
docs/performance.md's analysis).

1. Eager bf16-autocast step on one fixed batch: milliseconds of forward+backward, AdamW
   (fused), gradient clipping, and the whole step; then the torch profiler's table of GPU time,
   which shows whether the step is bound by the GPU or by launching its kernels.
2. The whole step at several sequence lengths with the encoder eager, ``torch.compile``
   (default mode) and ``torch.compile(mode="reduce-overhead")`` (CUDA graphs), with the
   seconds the first step at each shape takes (compilation).

    python bench/step_breakdown.py --device cuda                  # XLM-R Large, batch 32
    python bench/step_breakdown.py --shape tiny --device cpu --lengths 64 --modes eager
"""

from __future__ import annotations

import argparse
import functools
import time

import torch
from train_throughput import config_for, sync
from transformers import XLMRobertaForSequenceClassification


def build(shape: str, device: torch.device):
    with torch.device(device):
        model = XLMRobertaForSequenceClassification._from_config(
            config_for(shape), attn_implementation="sdpa"
        )
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=device.type == "cuda")
    return model, opt


def timed_ms(fn, device, repeats: int = 30, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync(device)
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", default="large")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lengths", default="64,96,128")
    ap.add_argument("--modes", default="eager,default,reduce-overhead")
    args = ap.parse_args()
    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    vocab = config_for(args.shape).vocab_size
    labels = torch.randint(0, 3, (args.batch,), device=device)

    def step_fn(model, opt, length):
        ids = torch.randint(5, vocab, (args.batch, length), device=device)
        mask = torch.ones_like(ids)

        def forward_backward():
            with torch.autocast(device.type, dtype=dtype, enabled=device.type == "cuda"):
                out = model(input_ids=ids, attention_mask=mask, labels=labels)
            out.loss.backward()

        def step():
            forward_backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)

        return forward_backward, step

    # 1. eager breakdown at the first length
    length = int(args.lengths.split(",")[0])
    model, opt = build(args.shape, device)
    forward_backward, step = step_fn(model, opt, length)
    print(f"eager, batch {args.batch} x {length} on {device}:")
    print(f"  forward+backward {timed_ms(forward_backward, device):.1f} ms")
    print(f"  AdamW step       {timed_ms(opt.step, device):.1f} ms")
    clip = functools.partial(torch.nn.utils.clip_grad_norm_, list(model.parameters()), 1.0)
    print(f"  clip_grad_norm_  {timed_ms(clip, device):.1f} ms")
    print(f"  whole step       {timed_ms(step, device):.1f} ms")
    if device.type == "cuda":
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(5):
                step()
            sync(device)
        events = prof.key_averages()
        gpu_ms = sum(e.self_device_time_total for e in events) / 1000 / 5
        cpu_ms = sum(e.self_cpu_time_total for e in events) / 1000 / 5
        print(f"  profiled: GPU busy {gpu_ms:.1f} ms and CPU {cpu_ms:.1f} ms per step")
        print(events.table(sort_by="cuda_time_total", row_limit=12, max_name_column_width=50))
    del model, opt, clip

    # 2. eager vs compiled, per length
    for mode in args.modes.split(","):
        model, opt = build(args.shape, device)
        if mode != "eager":
            model.roberta.compile(mode=None if mode == "default" else mode, dynamic=False)
        for length in map(int, args.lengths.split(",")):
            _, step = step_fn(model, opt, length)
            sync(device)
            start = time.perf_counter()
            step()
            sync(device)
            first = time.perf_counter() - start
            print(
                f"{mode:>16} length {length:>4}: first step {first:6.1f} s, "
                f"then {timed_ms(step, device):6.1f} ms/step",
                flush=True,
            )
        del model, opt
        if device.type == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
