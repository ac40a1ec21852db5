"""Exact chunked kNN and ratio-margin mining (``xstilts.metrics.retrieval``) on random
embeddings: seconds and sentences/s for two ``knn`` calls (source to target, target to source)
and for ``mine_bitext`` (both directions from one pass over the similarity blocks) at the given
size; and, in the same run, the naive full-matrix kNN both ways against the chunked one
(``margin_candidates``) on a size small enough for the full matrix, so their ratio is measured.

The target side is a shuffled, noisy copy of the source side, so mining has true pairs to find;
the share of mined pairs that are true is printed as a sanity check.

    python bench/knn_retrieval.py                       # 20k x 256 on the CPU
    python bench/knn_retrieval.py --n 400000 --dim 1024 --device cuda --naive-n 32768
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from xstilts.metrics.retrieval import (
    DATABASE_CHUNK,
    QUERY_CHUNK,
    knn,
    margin_candidates,
    mine_bitext,
)


def timed(fn: Callable[[], object], device: torch.device) -> tuple[float, object]:
    """Wall seconds of one call (device work included) and its result."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    result = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start, result


def best_of(repeats: int, fn: Callable[[], object], device: torch.device) -> tuple[float, object]:
    """The fastest of a few calls, and the last result."""
    runs = [timed(fn, device) for _ in range(repeats)]
    return min(seconds for seconds, _ in runs), runs[-1][1]


def embeddings(n: int, dim: int, device: torch.device, seed: int):
    """Source rows, target rows (a permuted noisy copy) and each source row's true target."""
    gen = torch.Generator(device=device).manual_seed(seed)
    x = torch.randn(n, dim, device=device, generator=gen)
    perm = torch.randperm(n, device=device, generator=gen)
    y = torch.empty_like(x)
    y[perm] = x + 0.8 * torch.randn(n, dim, device=device, generator=gen)
    return F.normalize(x, dim=1), F.normalize(y, dim=1), perm


def naive_knn_both(x: torch.Tensor, y: torch.Tensor, k: int):
    """The full len(x) x len(y) cosine matrix, top-k along rows and along columns."""
    sims = x @ y.T
    fwd = sims.topk(k, dim=1)
    bwd = sims.topk(k, dim=0)
    return fwd.indices, bwd.indices.T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000, help="sentences per side")
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--naive-n", type=int, default=4096, help="size for the full matrix")
    parser.add_argument("--chunk-size", type=int, default=QUERY_CHUNK)
    parser.add_argument("--database-chunk-size", type=int, default=DATABASE_CHUNK)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    device = torch.device(args.device)
    chunks = {"chunk_size": args.chunk_size, "database_chunk_size": args.database_chunk_size}
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")

    x, y, truth = embeddings(64, args.dim, device, args.seed)  # warm-up (kernels, allocator)
    knn(x, y, args.k, **chunks)

    x, y, truth = embeddings(args.n, args.dim, device, args.seed)
    both = 2 * args.n
    seconds, _ = timed(lambda: (knn(x, y, args.k, **chunks), knn(y, x, args.k, **chunks)), device)
    print(
        f"2 x knn      {args.n} x {args.n} x {args.dim}, k={args.k}: {seconds:.2f} s, "
        f"{both / seconds:,.0f} sentences/s"
    )
    seconds, mined = timed(lambda: mine_bitext(x, y, args.k, **chunks), device)
    target_of = truth.tolist()
    true = sum(target_of[s] == t for s, t, _ in mined)
    print(
        f"mine_bitext  {args.n} x {args.n} x {args.dim}, k={args.k}: {seconds:.2f} s, "
        f"{both / seconds:,.0f} sentences/s ({len(mined)} pairs, {true / len(mined):.1%} true)"
    )

    m = min(args.naive_n, args.n)
    xs, ys = x[:m], y[:m]
    naive_s, (fwd, bwd) = best_of(3, lambda: naive_knn_both(xs, ys, args.k), device)
    chunked_s, cands = best_of(3, lambda: margin_candidates(xs, ys, args.k, **chunks), device)
    agree = torch.cat(
        (fwd[:, 0] == cands.forward_indices[:, 0], bwd[:, 0] == cands.backward_indices[:, 0])
    )
    print(
        f"kNN both ways at {m} x {m}, best of 3: naive full matrix ({m * m * 4 / 2**20:,.0f} MiB) "
        f"{naive_s:.2f} s, chunked (margin_candidates) {chunked_s:.2f} s, "
        f"chunked / naive = {chunked_s / naive_s:.2f}; "
        f"nearest neighbours agree {agree.float().mean().item():.1%}"
    )


if __name__ == "__main__":
    main()
