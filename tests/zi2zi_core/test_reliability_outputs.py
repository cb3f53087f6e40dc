"""Outputs and inputs of zi2zi's commands (issue 22): ``--force`` never reaches an input,
one writer per run directory and sweep folder, and a disk that refuses a write (full,
read-only, a name too long) is one line naming the path, with nothing lost.
"""

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
from glyphrender.outputs import LOCK_NAME, folder_lock
from smalldisk import fill
from zi2zi_core.cli import main
from zi2zi_core.rundir.checkpoint import load_checkpoint
from zi2zi_core.rundir.layout import RunDir

PX = 32


@pytest.fixture
def data(dataset_factory):
    return dataset_factory("data", px=PX, n_train=16, n_val=6, n_missing=4, shard_size=8)


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def snapshot(*folders: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file()}


def test_generate_and_eval_never_write_over_or_into_their_inputs_even_with_force(
    data, tmp_path, make_run
):
    runs = tmp_path / "runs"
    run = make_run(runs / "a", data, num_styles=1)
    make_run(runs / "b", data, num_styles=1)
    before = snapshot(runs, data)
    outs = {
        runs: "contains the checkpoint",
        run: "contains the checkpoint",
        RunDir(run).checkpoints: "contains the checkpoint",
        data: "is the dataset",
        data / "gen": "lies inside the dataset",
    }
    for out, relation in outs.items():
        for command in (["generate", "--force"], ["eval"]):
            result = invoke(*command, "--run", run, "--out", out, "--device", "cpu")
            assert result.exit_code == 2, (command, out, result.output)
            line = one_error_line(result)
            assert line.startswith(f"zi2zi: error: {out}: --out {relation}"), line
    assert snapshot(runs, data) == before
    chars = tmp_path / "gen" / "chars.txt"
    chars.parent.mkdir()
    chars.write_text("永", encoding="utf-8")
    args = ["generate", "--run", run, "--charset", chars, "--out", chars.parent, "--force"]
    result = invoke(*args, "--device", "cpu")
    assert result.exit_code == 2, result.output
    assert f"--out contains the charset file ({chars})" in one_error_line(result)
    assert chars.read_text(encoding="utf-8") == "永"
    result = invoke("generate", "--run", run, "--out", runs / "gen", "--device", "cpu")
    assert result.exit_code == 0, result.output  # beside the runs is fine


def test_generate_force_into_another_folder_keeps_what_is_not_generated(data, tmp_path, make_run):
    runs = tmp_path / "runs"
    run = make_run(runs / "a", data, num_styles=1)
    other = make_run(runs / "b", data, num_styles=1)
    before = snapshot(other)
    result = invoke("generate", "--run", run, "--out", other, "--force", "--device", "cpu")
    assert result.exit_code == 0, result.output
    after = snapshot(other)
    assert {p: after.get(p) for p in before} == before  # run b is whole
    assert (other / "glyphs.h5").is_file()


def test_train_never_puts_a_run_over_or_into_its_inputs(data, tmp_path, make_run, tiny_model_flags):
    other = make_run(tmp_path / "runs" / "other", data, num_styles=1)
    before = snapshot(data, other)
    cases = {
        data: ["--shards", data],
        data / "run": ["--shards", data],
        tmp_path: ["--shards", data],
        tmp_path / "runs": ["--shards", data, "--init-from", other],
    }
    for run, args in cases.items():
        result = invoke("train", "--run", run, *args, *tiny_model_flags, "--steps", "1")
        assert result.exit_code == 2, (run, result.output)
        assert one_error_line(result).startswith(f"zi2zi: error: {run}: --run "), result.output
    assert snapshot(data, other) == before
    assert not (data / LOCK_NAME).exists() and not (data / "run").exists()


def test_a_second_train_on_a_run_in_use_is_refused_naming_the_first(
    data, tmp_path, tiny_model_flags
):
    run = tmp_path / "run"
    args = ["train", "--shards", data, "--run", run, *tiny_model_flags, "--device", "cpu"]
    args += ["--batch-size", "4", "--checkpoint-every", "1000000", "--val-every", "1000000"]
    first = subprocess.Popen(
        [sys.executable, "-m", "zi2zi_core.cli.train", *map(str, args[1:]), "--steps", "1000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while not (RunDir(run).metrics_log.is_file() and first.poll() is None):
            assert time.monotonic() < deadline and first.poll() is None, first.stderr.read()
            time.sleep(0.2)
        result = invoke(*args, "--steps", "2")
        assert result.exit_code == 1
        line = one_error_line(result)
        assert line == (
            f"zi2zi: error: {run}: the run directory is already in use by PID {first.pid}; "
            "wait for it to end or use another folder"
        )
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    steps = [r["step"] for r in map(json.loads, RunDir(run).metrics_log.read_text().splitlines())]
    assert steps == sorted(steps)  # one writer: the log is one run's, in order


def test_a_second_sweep_on_a_folder_in_use_is_refused(data, tmp_path):
    out = tmp_path / "sweep"
    with folder_lock(out, "the sweep folder"):
        result = invoke(
            "sweep",
            "--shards",
            data,
            "--steps",
            "1",
            "--out",
            out,
            "--only",
            "g-batch_d-spectral_b4",
        )
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"zi2zi: error: {out}: the sweep folder is already in use by PID {os.getpid()}; "
        "wait for it to end or use another folder"
    )
    assert [p.name for p in out.iterdir()] == [LOCK_NAME]


def test_a_read_only_run_or_report_folder_is_one_line_before_any_work(
    data, tmp_path, make_run, tiny_model_flags, small_disk, monkeypatch
):
    read_only = small_disk(read_only=True)
    run = make_run(tmp_path / "run", data, num_styles=1)
    result = invoke("train", "--shards", data, "--run", read_only / "run", *tiny_model_flags)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"zi2zi: error: {read_only / 'run'}: cannot write: read-only file system; nothing written"
    )
    import zi2zi_core.evaluation.evaluate as evaluate

    def never(*args, **kwargs):
        raise AssertionError("evaluated before checking the output")

    monkeypatch.setattr(evaluate, "evaluate", never)
    for command in (["eval"], ["generate"]):
        out = read_only / "report"
        result = invoke(*command, "--run", run, "--out", out, "--device", "cpu")
        assert result.exit_code == 1, result.output
        assert "read-only file system; nothing written" in one_error_line(result)


def test_a_name_too_long_is_one_line(data, tmp_path, make_run):
    run = make_run(tmp_path / "run", data, num_styles=1)
    out = tmp_path / ("g" * 250)
    result = invoke("generate", "--run", run, "--out", out, "--device", "cpu")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(f"zi2zi: error: {out}: cannot write: a name in the path is too long")
    assert not out.exists()


def test_train_and_generate_on_a_full_disk_are_one_line_and_keep_what_was_there(
    data, tmp_path, make_run, tiny_model_flags, small_disk
):
    disk = small_disk(size="16m")
    run = disk / "run"
    args = ["train", "--shards", data, "--run", run, *tiny_model_flags, "--device", "cpu"]
    args += ["--batch-size", "4", "--checkpoint-every", "2", "--val-every", "2"]
    first = invoke(*args, "--steps", "2")
    assert first.exit_code == 0, first.output
    kept = snapshot(RunDir(run).checkpoints)
    fill(disk, leave_bytes=8192)
    result = invoke("train", "--run", run, "--resume", "--steps", "6")
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("zi2zi: error")]
    assert line.startswith(f"zi2zi: error: {run}/") and "no space left on the device" in line
    assert line.endswith(f"resume with: zi2zi train --run {run} --resume")
    for path, content in kept.items():
        assert path.read_bytes() == content
    load_checkpoint(RunDir(run).checkpoint(2))

    gen = make_run(tmp_path / "gen-run", data, num_styles=1)
    out = disk / "gen"
    result = invoke("generate", "--run", gen, "--out", out, "--device", "cpu")
    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert line.startswith(f"zi2zi: error: {out}: cannot write: no space left on the device")
    assert not out.exists() and not [p for p in disk.iterdir() if p.name.startswith(".gen")]
