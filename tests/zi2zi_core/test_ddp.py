"""DDP: two gloo processes started by torchrun train the tiny model through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch.distributed as dist
from zi2zi_core.rundir.checkpoint import latest_checkpoint, load_checkpoint
from zi2zi_core.rundir.metrics_log import read_metrics

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch.distributed unavailable")


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "zi2zi_core.cli.train",
        *args,
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)


def test_two_gloo_processes_train_and_resume(tiny_dataset, tmp_path, tiny_model_flags):
    run = tmp_path / "run"
    common = [
        "--run-dir",
        str(run),
        "--device",
        "cpu",
        "--log-every",
        "2",
        "--val-every",
        "4",
        "--checkpoint-every",
        "4",
    ]
    first = _torchrun(
        "--shards",
        str(tiny_dataset),
        *tiny_model_flags,
        "--batch-size",
        "4",
        "--g-norm",
        "batch",
        "--steps",
        "4",
        *common,
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stderr.count("training ") == 1  # only rank 0 talks
    assert "2 process(es)" in first.stderr
    records = read_metrics(run)
    assert [r["step"] for r in records if r["kind"] == "train"] == [2, 4]  # rank 0 writes, once
    assert load_checkpoint(latest_checkpoint(run))["step"] == 4
    second = _torchrun("--resume", "--steps", "6", *common)
    assert second.returncode == 0, second.stderr[-3000:]
    state = load_checkpoint(latest_checkpoint(run))
    assert state["step"] == 6 and state["config"]["model"]["g_norm"] == "batch"
