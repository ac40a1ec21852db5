"""Local GPU jobs: each gets a device of its own, and a killed job frees its device; a job's log
keeps both its log records and what it writes to stderr."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

CLAIM = """
import sys, time
from xstilts.gpus import claim_gpus
claimed = claim_gpus(int(sys.argv[2]), sys.argv[1], 1, wait_seconds=0.1)
print(claimed[0] if claimed else None, flush=True)
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
    from xstilts.gpus import claim_gpus

    assert claim_gpus(0, tmp_path, 1) == []


def test_a_claimed_gpu_is_named_in_nvidia_smis_order(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from xstilts import gpus

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(gpus, "local_gpus", lambda: 2)
    for name in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID"):  # unset here, restored after
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("CUDA_DEVICE_ORDER", "FASTEST_FIRST")
    gpus.claim_devices(SimpleNamespace(gpu=1), logging.getLogger("xstilts"))
    # the lock's index (the device files', as nvidia-smi numbers them) is CUDA's device
    assert os.environ["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "0"


JOB = """
import logging, sys
from types import SimpleNamespace
from xstilts.job import run

def main(cell, inputs, outputs):
    log = logging.getLogger("xstilts")
    log.info("first record")
    sys.stderr.write("progress \u2588\u2588\u2588 " * 50 + "\\n")
    log.info("second record")

smk = SimpleNamespace(
    log=[sys.argv[1]], resources=SimpleNamespace(), threads=1, params=SimpleNamespace(),
    input={}, output={},
)
run(smk, "__main__:main")
"""


def test_a_jobs_log_keeps_its_records_and_its_stderr_in_order(tmp_path):
    log = tmp_path / "job.log"
    log.write_text("an older run's log\n")
    subprocess.run([sys.executable, "-c", JOB, str(log)], check=True, timeout=120)
    text = log.read_text(encoding="utf-8")  # whole characters only: nothing overwritten
    lines = text.splitlines()
    assert "older" not in text
    assert lines[0].endswith("INFO first record")
    assert lines[1] == "progress ███ " * 50
    assert lines[2].endswith("INFO second record")


def test_jobs_share_a_gpu_up_to_its_slots_and_its_free_memory(tmp_path):
    """With jobs_per_gpu=2, two jobs share each device, the emptiest first; a device in use is
    shared only when it has the job's gpu_mem_mb free."""
    from xstilts import gpus

    plenty = lambda index: 80_000  # noqa: E731 (MB free, as nvidia-smi would say)
    claims = [gpus.claim_gpus(2, tmp_path, 1, per_gpu=2, free_memory=plenty) for _ in range(4)]
    assert claims == [[0], [1], [0], [1]]
    assert gpus._try_claim(2, tmp_path, 1, 2, 0, plenty) is None  # all four slots taken

    shared = tmp_path / "memory"
    assert gpus.claim_gpus(1, shared, 1, per_gpu=2, memory_mb=30_000) == [0]
    little = lambda index: 20_000  # noqa: E731
    assert gpus._try_claim(1, shared, 1, 2, 30_000, little) is None  # would oversubscribe
    assert gpus._try_claim(1, shared, 1, 2, 30_000, plenty) == [0]


ENTRY = """
import json, os
from pathlib import Path

from xstilts.errors import UserError

THREADS = os.environ.get("OMP_NUM_THREADS")  # read at import: after run set the job's threads


def work(cell, inputs, outputs, **extra):
    if cell and cell.get("fail"):
        raise UserError("the key x is wrong: set it to y")
    record = {"cell": cell, "inputs": inputs, "outputs": outputs, "extra": extra}
    Path(outputs["out"]).write_text(json.dumps(record | {"threads": THREADS}))
"""

NAMED_JOB = """
import sys
from types import SimpleNamespace
from snakemake.iocontainers import Namedlist
from xstilts.job import run


def files(**named):  # as Snakemake builds a rule's input and output: a list's files in a row
    out = Namedlist()
    for name, value in named.items():
        start = len(out)
        out.extend(value if isinstance(value, list) else [value])
        out._set_name(name, start, end=len(out) if isinstance(value, list) else None)
    return out


sys.path.insert(0, sys.argv[1])
smk = SimpleNamespace(
    log=[sys.argv[2]], resources=SimpleNamespace(), threads=3,
    params=files(cell=sys.argv[3]) if sys.argv[3] else files(),
    input=files(model="m/dir", scores=["a.json", "b.json"], examples=["e.parquet"], none=[]),
    output=files(out=sys.argv[1] + "/out.json"),
)
run(smk, "entry_module:work", checkpoint_dir="ckpt")
"""


def test_a_named_entry_gets_its_cell_inputs_outputs_and_extra(tmp_path):
    """The string form of run: "module:function" imported after the job's threads are set,
    called with the parsed params.cell, the named inputs and outputs, and run's keywords."""
    import json

    (tmp_path / "entry_module.py").write_text(ENTRY)
    log = tmp_path / "job.log"
    cell = '{"target": "xnli", "languages": ["de", "sw"]}'
    command = [sys.executable, "-c", NAMED_JOB, str(tmp_path), str(log), cell]
    subprocess.run(command, check=True, timeout=120)
    record = json.loads((tmp_path / "out.json").read_text())
    assert record == {
        "cell": {"target": "xnli", "languages": ["de", "sw"]},
        "inputs": {
            "model": "m/dir",
            "scores": ["a.json", "b.json"],
            "examples": ["e.parquet"],  # a list of one file stays a list
            "none": [],
        },
        "outputs": {"out": str(tmp_path / "out.json")},
        "extra": {"checkpoint_dir": "ckpt"},
        "threads": "3",
    }
    subprocess.run([*command[:-1], ""], check=True, timeout=120)  # a rule without a cell
    assert json.loads((tmp_path / "out.json").read_text())["cell"] is None


def test_a_named_entrys_user_error_is_one_line(tmp_path):
    (tmp_path / "entry_module.py").write_text(ENTRY)
    log = tmp_path / "job.log"
    command = [sys.executable, "-c", NAMED_JOB, str(tmp_path), str(log), '{"fail": true}']
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == f"xstilts: the key x is wrong: set it to y (log: {log})\n"
    assert "Traceback" not in log.read_text()
