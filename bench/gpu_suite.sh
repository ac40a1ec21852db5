#!/usr/bin/env bash
# Every GPU measurement docs/performance.md reports, in one run, one table (at most 8 minutes on
# one H100 at the defaults): training and inference throughput of jiant-style training, a
# best-practice Trainer, xstilts, xstilts compiled and xstilts compiled with bucketed shapes
# (XLM-R Large, XNLI-length pairs, batch 32); the aggregate throughput of 1, 2 and 4 xstilts
# training jobs sharing the device; bf16 and compiled training against fp32 (tests/test_gpu.py).
#
#   bash bench/gpu_suite.sh                          # on the GPU machine, from the repository root
#   SHAPE=tiny DEVICE=cpu WARMUP=2 STEPS=3 JOBS=1,2 bash bench/gpu_suite.sh   # CPU rehearsal
#
# Writes $OUT (default gpu_suite/): throughput.json, sharing.json, gpu_tests.txt, table.md.
set -euo pipefail
SHAPE=${SHAPE:-large}
DEVICE=${DEVICE:-cuda}
WARMUP=${WARMUP:-20}
STEPS=${STEPS:-40}
JOBS=${JOBS:-1,2,4}
OUT=${OUT:-gpu_suite}
mkdir -p "$OUT"
here=$(cd "$(dirname "$0")" && pwd)
started=$(date +%s)
stamp() { echo "[gpu_suite $(( $(date +%s) - started ))s] $*"; }

modes=jiant,trainer,xstilts
if [ "$DEVICE" = cuda ]; then modes=$modes,xstilts_compiled,xstilts_bucketed; else modes=$modes,xstilts_bucketed; fi
stamp "throughput: $modes"
python "$here/train_throughput.py" --shape "$SHAPE" --device "$DEVICE" --task xnli \
  --warmup "$WARMUP" --steps "$STEPS" --modes "$modes" --json "$OUT/throughput.json" > "$OUT/throughput.log" 2>&1

stamp "sharing: $JOBS jobs on one device"
python "$here/gpu_sharing.py" --shape "$SHAPE" --device "$DEVICE" --jobs "$JOBS" \
  --warmup "$WARMUP" --steps "$STEPS" --json "$OUT/sharing.json" > "$OUT/sharing.log" 2>&1

stamp "bf16 and compiled against fp32 (tests/test_gpu.py; skipped without CUDA)"
python -m pytest -q -p no:cacheprovider tests/test_gpu.py > "$OUT/gpu_tests.txt" 2>&1 || true
tail -n 1 "$OUT/gpu_tests.txt"

python "$here/gpu_table.py" "$OUT" | tee "$OUT/table.md"
stamp "done"
