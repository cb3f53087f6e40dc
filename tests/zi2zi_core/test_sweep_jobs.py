"""zi2zi sweep --jobs: runs side by side give the results of runs one by one, really overlap
in time, split the CPU cores, and stop together (each with a checkpoint) on a signal or at
the time budget."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from zi2zi_core.cli import main
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.sweep.grid import parse_grid
from zi2zi_core.sweep.jobs import parse_devices, plan_jobs
from zi2zi_core.sweep.pool import SWEEP_LOG
from zi2zi_core.sweep.runner import checkpoint_step
from zi2zi_core.training.config import parse_toml_text

GRID = """\
[base]
base_channels = 4
d_base_channels = 4
style_dim = 4
d_layers = 2
log_every = 1

[axes]
g = ["batch", "none"]
d = ["spectral"]
batch_size = [4]
"""
NAMES = ["g-batch_d-spectral_b4", "g-none_d-spectral_b4"]
# Per-tick numbers that depend on the clock, not on the math.
TIMING_KEYS = {"images_per_s", "s_per_step", "step_s", "time", "elapsed_s", "phase_s"}


def _grid(tmp_path: Path) -> Path:
    path = tmp_path / "grid.toml"
    path.write_text(GRID, encoding="utf-8")
    return path


def _math_records(run_dir: Path) -> list[dict]:
    """metrics.jsonl without the timing fields: the losses, gradient norms and val scores."""
    return [
        {k: v for k, v in r.items() if k not in TIMING_KEYS and not k.endswith("_ms")}
        for r in read_metrics(run_dir)
    ]


def _log(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / SWEEP_LOG).read_text().splitlines()]


def test_two_jobs_overlap_and_match_one_job_exactly(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # same threads in both sweeps: same float sums
    grid = _grid(tmp_path)
    outs = {}
    for jobs in (1, 2):
        out = outs[jobs] = tmp_path / f"jobs{jobs}"
        args = ["sweep", "--shards", str(tiny_dataset), "--grid", str(grid), "--out", str(out)]
        result = CliRunner().invoke(
            main, [*args, "--steps", "6", "--device", "cpu", "--jobs", str(jobs)]
        )
        assert result.exit_code == 0, result.output
        assert f"{jobs} at a time" in result.output and f"--jobs {jobs}" in result.output
        assert json.loads((out / "sweep.json").read_text())["jobs"]["jobs"] == jobs
    for name in NAMES:
        one, two = (_math_records(outs[j] / "runs" / name) for j in (1, 2))
        assert [r["kind"] for r in one].count("train") == 6
        assert all("g_loss" in r and "d_adv" in r for r in one if r["kind"] == "train")
        assert one == two  # every loss, gradient norm and val score, bit for bit
    for jobs, overlapped in ((1, False), (2, True)):
        log = _log(outs[jobs])
        start = {r["run"]: r["time"] for r in log if r["event"] == "start"}
        end = {r["run"]: r["time"] for r in log if r["event"] == "end"}
        assert sorted(start) == sorted(end) == NAMES
        # Two intervals overlap when each starts before the other ends.
        both = max(start.values()) < min(end.values())
        assert both is overlapped
        assert all(r["returncode"] == 0 for r in log if r["event"] == "end")


def _runs(text: str = GRID):
    return parse_grid(parse_toml_text(text), "grid").runs


def test_job_plan_defaults_and_thread_split(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _runs()
    monkeypatch.setattr("zi2zi_core.sweep.jobs.cpu_cores", lambda: 8)
    auto = plan_jobs(None, "cpu", runs, 32, {})
    assert (auto.jobs, auto.threads_per_run) == (1, None) and auto.reason.startswith("auto: cpu")
    two = plan_jobs(2, "cpu", runs, 32, {})
    assert (two.jobs, two.threads_per_run) == (2, 4)  # 8 cores split between 2 children
    assert plan_jobs(2, "cpu", runs, 32, {"OMP_NUM_THREADS": "1"}).threads_per_run is None
    assert plan_jobs(9, "cpu", runs, 32, {}).jobs == 2  # never more than the runs
    dealt = plan_jobs(2, "cuda:0, cuda:1", runs, 32, {})
    assert [dealt.device_of(s) for s in range(4)] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    with pytest.raises(Exception, match="device name"):
        parse_devices(" , ")


def _start_sweep(tiny_dataset: Path, tmp_path: Path, *extra: str) -> tuple[Path, subprocess.Popen]:
    """Three runs, two at a time: the third waits for a free slot."""
    out = tmp_path / "sweep"
    grid = tmp_path / "grid3.toml"
    grid.write_text(GRID.replace('["batch", "none"]', '["batch", "none", "instance"]'))
    cmd = [sys.executable, "-c", "import sys; from zi2zi_core.cli import main; sys.exit(main())"]
    cmd += ["sweep", "--shards", str(tiny_dataset), "--grid", str(grid)]
    cmd += ["--out", str(out), "--steps", "100000", "--device", "cpu", "--jobs", "2", *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return out, subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)


def _wait_both_training(out: Path, proc: subprocess.Popen, ticks: int = 2) -> None:
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        logs = [read_metrics(out / "runs" / n) for n in NAMES]
        if all(sum(r.get("kind") == "train" for r in log) >= ticks for log in logs):
            return
        time.sleep(0.2)
    raise AssertionError("the two runs did not both start training")


def test_ctrl_c_stops_every_run_with_a_checkpoint(tiny_dataset: Path, tmp_path: Path) -> None:
    out, proc = _start_sweep(tiny_dataset, tmp_path)
    _wait_both_training(out, proc)
    proc.send_signal(signal.SIGINT)  # what Ctrl-C delivers to the sweep
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    for name in NAMES:
        assert checkpoint_step(out / "runs" / name) >= 2  # each child checkpointed
        assert read_metrics(out / "runs" / name)[-1]["event"] == "interrupted"
    assert "stopped by SIGINT: 2 run(s) stopped before step 100000" in err
    assert "1 run(s) not started: g-instance_d-spectral_b4" in err
    assert "run the same command again to resume" in err
    assert [r["reason"] for r in _log(out) if r["event"] == "stop"] == ["SIGINT"]


def test_time_budget_stops_the_runs_and_still_writes_the_report(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    out, proc = _start_sweep(tiny_dataset, tmp_path, "--time-budget", "30")
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 3, err
    assert "time budget of 30 s spent" in err and "stopped by time budget" in err
    log = _log(out)
    stop = next(r["time"] for r in log if r["event"] == "stop")
    assert stop - log[0]["time"] >= 30 and log[-1]["event"] == "end"
    # The report is written (a run still starting up at the budget has no config.json yet, so
    # on a loaded machine it may list fewer runs); nothing in it reached --steps.
    summary = json.loads((out / "summary.json").read_text())
    assert all(r["status"] == "unfinished" for r in summary["runs"])
    assert (out / "report.md").is_file()
    assert "1 run(s) not started: g-instance_d-spectral_b4" in err


def test_cuda_default_jobs_from_memory_sms_and_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CUDA path on a CPU machine: an H200-like device (139 GiB free, 132 SMs)."""
    from types import SimpleNamespace

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda _i=0: (139 << 30, 141 << 30))
    props = SimpleNamespace(multi_processor_count=132)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda _i=0: props)
    monkeypatch.setattr("zi2zi_core.sweep.jobs.cpu_cores", lambda: 16)
    full = _runs(
        '[axes]\ng = ["batch"]\nd = ["spectral"]\nbatch_size = [16]\n'
    )  # the full-width model (64 base channels)
    at256 = plan_jobs(None, "cuda", full, 256, {})
    # batch 16 at 256 px is the reference: 3 processes fill the SMs; memory allows more
    assert at256.jobs == 1  # never more than the runs
    many = full * 20
    at256 = plan_jobs(None, "cuda", many, 256, {})
    assert at256.jobs == 3 and "132 SMs" in at256.reason and "-> 3" in at256.reason
    at128 = plan_jobs(None, "cuda", many, 128, {})
    assert at128.jobs == 12 and at128.threads_per_run == 1  # 1/4 of the work: 4x the processes
    two = plan_jobs(None, "cuda:0,cuda:1", many, 128, {})
    assert two.jobs == 16 and two.reason.count("SMs") == 2  # 8 CPU cores per GPU cap each


def test_a_run_the_sweep_signalled_is_never_a_failure() -> None:
    from zi2zi_core.sweep.pool import PoolResult, RunOutcome

    result = PoolResult(
        [
            RunOutcome("crashed", "trained", 1, 0, 5.0),
            RunOutcome("ended-as-stopped", "trained", -2, 30, 9.0, signalled=True),
            RunOutcome("starting-up", "trained", 1, 0, 2.0, signalled=True),
            RunOutcome("waiting", "not started", None, 0, 0.0),
        ],
        stopped_by="time budget",
    )
    assert result.failed(30) == ["crashed"]
    assert [o.name for o in result.unfinished(30)] == ["crashed", "starting-up", "waiting"]
