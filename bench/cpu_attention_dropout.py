"""Why the demo model has no attention dropout: training steps of the demo-shaped encoder on
the CPU with XLM-R's attention dropout (0.1) against none, in the same run.

PyTorch's CPU scaled-dot-product attention has a fused kernel only without dropout; with
dropout it takes the unfused path. Prints seconds per step for both and their ratio.

    python bench/cpu_attention_dropout.py [--batch 16] [--length 256] [--steps 10]
"""

from __future__ import annotations

import argparse
import time

import torch
from transformers import XLMRobertaConfig, XLMRobertaModel


def seconds_per_step(dropout: float, batch: int, length: int, steps: int) -> float:
    torch.manual_seed(0)
    config = XLMRobertaConfig(  # the shape of config/demo.yaml's demo_tiny
        vocab_size=3000,
        hidden_size=64,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=514,
        type_vocab_size=1,
        attention_probs_dropout_prob=dropout,
    )
    model = XLMRobertaModel(config, add_pooling_layer=False).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(5, 3000, (batch, length))
    mask = torch.ones_like(ids)
    mask[: batch // 2, length * 3 // 4 :] = 0  # padded rows, as dynamic padding leaves them
    times = []
    for _ in range(steps + 2):  # two warm-up steps
        t = time.perf_counter()
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
        out.float().pow(2).mean().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
    return sorted(times[2:])[len(times[2:]) // 2]  # median


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1, help="one per job, as the demo runs")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with_dropout = seconds_per_step(0.1, args.batch, args.length, args.steps)
    without = seconds_per_step(0.0, args.batch, args.length, args.steps)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.batch} x {args.length}")
    print(f"attention dropout 0.1: {with_dropout * 1000:.0f} ms/step")
    print(f"attention dropout 0.0: {without * 1000:.0f} ms/step")
    print(f"speed-up without attention dropout: {with_dropout / without:.2f}x")


if __name__ == "__main__":
    main()
