#!/usr/bin/env bash
# Every GPU measurement docs/performance.md owes, as phases that each run under their own
# `timeout` and write their own JSON as they finish, within one budget (BUDGET seconds, 360 by
# default: one command on a lent GPU may run 10 minutes). A phase that fails or times out loses
# only its own figures; the next phase runs. Phases, in order (PHASES picks some):
#
#   preflight            versions, missing packages, one compiled training step (tiny shape)
#   xstilts_4x8          the engine at the shipped micro-batch: XLM-R Large, XNLI-like pairs
#                        (max 256), effective batch 32 as 4 examples x 8 accumulation steps
#   xstilts_32x1         the same batch in one micro-batch
#   compiled_32x1        compile: true at 32 x 1 (CUDA graphs, 6 bucket lengths)
#   sharing              JOBS (1,2,4) such jobs on one GPU behind a barrier, with the overlap
#   tests                tests/test_gpu.py (compiled gradients with accumulation = eager ones)
#   compiled_4x8         compile: true at 4 x 8 (Inductor without CUDA graphs)
#   jiant_4x8, trainer_32x1   the baselines of the throughput table
#
# A phase starts only with at least its minimum left of the budget, and runs at most the rest:
# the whole ends within BUDGET (plus a few seconds for the table). It uses the machine's own
# `python3` (PYTHON overrides it) and its packages: torch and transformers; the project comes
# from src/ on PYTHONPATH, not installed, and the bench imports no `datasets` or `snakemake`.
#
#   bash bench/gpu_suite.sh                                  # on the GPU machine, repo root
#   PHASES=jiant_4x8,trainer_32x1,compiled_4x8 bash bench/gpu_suite.sh   # the rest, later
#   SHAPE=tiny DEVICE=cpu WARMUP=1 STEPS=2 EVAL=32 JOBS=1,2 SCALE=4 BUDGET=1800 \
#     bash bench/gpu_suite.sh                                # CPU rehearsal (tests/test_bench.py)
#
# Writes RESULTS (default gpu_suite/): <phase>.json and <phase>.log for each phase, phases.jsonl
# (each phase's status, exit code and seconds, a line as it ends), table.md.
set -u
SHAPE=${SHAPE:-large}
DEVICE=${DEVICE:-cuda}
WARMUP=${WARMUP:-10}
STEPS=${STEPS:-30}
JOBS=${JOBS:-1,2,4}
JOBS_MICRO=${JOBS_MICRO:-32}
EVAL=${EVAL:-512}
BUDGET=${BUDGET:-360}
SCALE=${SCALE:-1}  # multiplies every phase's limit and minimum (a slow CPU rehearsal: 4)
PHASES=${PHASES:-preflight,xstilts_4x8,xstilts_32x1,compiled_32x1,sharing,tests,compiled_4x8,jiant_4x8,trainer_32x1}
TESTS=${TESTS:-cuda}  # pytest -k: the CUDA tests (the CPU's compile test is tier 2 here)
RESULTS=${RESULTS:-gpu_suite}
PY=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export PYTHONPATH="$repo/src${PYTHONPATH:+:$PYTHONPATH}"
export TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
: > "$RESULTS/phases.jsonl"
started=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - started) )); }

# phase NAME LIMIT MINIMUM COMMAND...: run it under `timeout` (at most LIMIT seconds and what
# is left of the budget), its output in NAME.log, its status a line of phases.jsonl
phase() {
  local name=$1 limit=$(( $2 * SCALE )) minimum=$(( $3 * SCALE )); shift 3
  case ",$PHASES," in *",$name,"*) ;; *) return 0 ;; esac
  local rest; rest=$(left)
  if [ "$rest" -lt "$minimum" ]; then
    echo "{\"phase\": \"$name\", \"status\": \"skipped\", \"why\": \"${rest}s of the budget left, needs ${minimum}s\"}" >> "$RESULTS/phases.jsonl"
    echo "[gpu_suite $(( $(date +%s) - started ))s] $name: skipped (budget)"
    return 0
  fi
  [ "$limit" -gt "$rest" ] && limit=$rest
  echo "[gpu_suite $(( $(date +%s) - started ))s] $name (at most ${limit}s)"
  local t0 rc status; t0=$(date +%s)
  timeout -k 5 "$limit" bash -c '"$@"' "$name" "$@" > "$RESULTS/$name.log" 2>&1
  rc=$?
  case $rc in 0) status=ok ;; 124|137) status=timeout ;; *) status=failed ;; esac
  echo "{\"phase\": \"$name\", \"status\": \"$status\", \"rc\": $rc, \"seconds\": $(( $(date +%s) - t0 )), \"limit\": $limit}" >> "$RESULTS/phases.jsonl"
  echo "[gpu_suite $(( $(date +%s) - started ))s] $name: $status (exit $rc)"
  [ "$status" = ok ] || tail -n 5 "$RESULTS/$name.log"
  return 0
}

throughput() {  # throughput MODE MICRO: one mode, one process
  "$PY" "$here/train_throughput.py" --shape "$SHAPE" --device "$DEVICE" --task xnli \
    --batch 32 --micro "$2" --warmup "$WARMUP" --steps "$STEPS" --eval-examples "$EVAL" \
    --modes "$1" --json "$RESULTS/$3.json"
}

tests() {  # tests/test_gpu.py, its outcome as JSON (pytest's last line and its exit code)
  (cd "$repo" && "$PY" -m pytest -q -p no:cacheprovider -o addopts="" -k "$TESTS" tests/test_gpu.py)
  local rc=$?
  "$PY" - "$RESULTS/tests.log" "$rc" > "$RESULTS/tests.json" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
print(json.dumps({"exit": int(sys.argv[2]), "summary": lines[-1] if lines else "",
                  "failures": [l for l in lines if l.startswith(("FAILED", "ERROR"))]}))
EOF
  return $rc
}

export -f throughput tests
export PY here repo SHAPE DEVICE WARMUP STEPS EVAL RESULTS TESTS
phase preflight 90 20 "$PY" "$here/gpu_preflight.py" --device "$DEVICE" --json "$RESULTS/preflight.json"
phase xstilts_4x8 60 30 throughput xstilts 4 xstilts_4x8
phase xstilts_32x1 60 30 throughput xstilts 32 xstilts_32x1
phase compiled_32x1 120 60 throughput xstilts_compiled 32 compiled_32x1
phase sharing 150 60 "$PY" "$here/gpu_sharing.py" --shape "$SHAPE" --device "$DEVICE" --jobs "$JOBS" \
  --batch 32 --micro "$JOBS_MICRO" --warmup "$WARMUP" --steps "$STEPS" --json "$RESULTS/sharing.json"
phase tests 120 40 tests
phase compiled_4x8 120 60 throughput xstilts_compiled 4 compiled_4x8
phase jiant_4x8 90 40 throughput jiant 4 jiant_4x8
phase trainer_32x1 90 40 throughput trainer 32 trainer_32x1

"$PY" "$here/gpu_table.py" "$RESULTS" > "$RESULTS/table.md" 2> "$RESULTS/table.log" || true
cat "$RESULTS/table.md"
echo "[gpu_suite $(( $(date +%s) - started ))s] done: $RESULTS"
