"""Local GPU jobs: each gets a device of its own, and a killed job frees its device."""

from __future__ import annotations

import subprocess
import sys

CLAIM = """
import sys, time
from xstilts.job import claim_gpu
print(claim_gpu(int(sys.argv[2]), sys.argv[1], wait_seconds=0.1), flush=True)
time.sleep(120)
"""


def _claim(lock_dir, count):
    return subprocess.Popen(
        [sys.executable, "-c", CLAIM, str(lock_dir), str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_concurrent_jobs_get_distinct_gpus_and_a_killed_job_frees_its_gpu(tmp_path):
    first, second = _claim(tmp_path, 2), None
    try:
        assert first.stdout.readline().strip() == "0"
        second = _claim(tmp_path, 2)
        assert second.stdout.readline().strip() == "1"
        third = _claim(tmp_path, 2)  # both busy: it waits ...
        first.kill()  # ... until a job ends, however it ends
        first.wait()
        assert third.stdout.readline().strip() == "0"
        third.kill()
    finally:
        for p in (first, second):
            if p is not None:
                p.kill()


def test_no_gpu_no_claim(tmp_path):
    from xstilts.job import claim_gpu

    assert claim_gpu(0, tmp_path) is None
