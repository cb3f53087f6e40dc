"""Checkpoints under attack: flipped bytes, truncation, old files, pickle payloads (issue 12).

Every command that loads a checkpoint (eval, generate, train --resume / --init-from) goes
through the same verified loader; these tests drive the real commands.
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from glyphrender.outputs import LOCK_NAME
from zi2zi_core.cli import main
from zi2zi_core.errors import CheckpointError
from zi2zi_core.rundir.checkpoint import load_checkpoint, save_checkpoint
from zi2zi_core.rundir.checkpoint_file import HEADER_LEN, UnverifiedCheckpoint
from zi2zi_core.rundir.layout import RunDir

PX = 32


def flip_weights(path: Path, count: int = 8192) -> None:
    """Invert ``count`` bytes in the middle of the largest tensor's data, leaving the archive's
    own structure intact (the issue's attacker: 2,048 float weights changed, nothing else)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:  # zipfile skips a header before the archive
        entry = max(archive.infolist(), key=lambda info: info.file_size)
    assert entry.compress_type == zipfile.ZIP_STORED and entry.file_size >= 2 * count
    local = entry.header_offset
    name_len, extra_len = struct.unpack("<HH", data[local + 26 : local + 30])
    start = local + 30 + name_len + extra_len + entry.file_size // 2 - count // 2
    data[start : start + count] = bytes(b ^ 0xFF for b in data[start : start + count])
    path.write_bytes(bytes(data))


def invoke(*args: str):
    return CliRunner().invoke(main, [*args])


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture
def run_with_best(tmp_path, dataset_factory, make_run):
    data = dataset_factory("data", px=PX, n_train=4, n_val=3, n_missing=2)
    run = make_run(tmp_path / "run", data, num_styles=1)
    return run, data


def test_a_flipped_block_in_best_pt_is_refused_by_eval_generate_and_init_from(
    tmp_path, run_with_best, tiny_model_flags
):
    run, data = run_with_best
    best = RunDir(run).best_checkpoint
    flip_weights(best)
    expected = f"{best}: checksum mismatch, the file is corrupt (not loaded)"

    result = invoke("eval", "--run", str(run), "--device", "cpu")
    assert result.exit_code == 1
    assert error_lines(result) == [f"zi2zi: error: {expected}"]
    assert not (run / "eval").exists()

    out = tmp_path / "gen"
    result = invoke("generate", "--run", str(run), "--out", str(out), "--device", "cpu")
    assert result.exit_code == 1
    assert error_lines(result) == [f"zi2zi: error: {expected}"]
    assert not out.exists()

    fresh = tmp_path / "fine-tune"
    args = ["--shards", str(data), "--run", str(fresh), "--init-from", str(run)]
    result = invoke("train", *args, *tiny_model_flags, "--device", "cpu", "--steps", "1")
    assert result.exit_code == 1
    assert error_lines(result) == [f"zi2zi: error: {expected}"]
    assert not fresh.exists()


def test_a_truncated_checkpoint_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "ckpt-00000001.pt"
    save_checkpoint({"format_version": 2, "step": 1, "w": torch.ones(1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: truncated (") and "incomplete (not loaded)" in message
    assert "\n" not in message


def test_the_header_carries_the_payloads_sha256(tmp_path):
    import hashlib

    path = tmp_path / "best.pt"
    save_checkpoint({"format_version": 2, "step": 3, "w": torch.arange(10.0)}, path)
    data = path.read_bytes()
    header = data[:HEADER_LEN].decode("ascii").split()
    payload = data[HEADER_LEN:]
    assert header[:3] == ["zi2zi-checkpoint", "2", "sha256"]
    assert header[3] == hashlib.sha256(payload).hexdigest()
    assert int(header[5]) == len(payload)


def test_an_old_checkpoint_without_checksum_loads_with_one_warning_line(run_with_best):
    run, _ = run_with_best
    best = RunDir(run).best_checkpoint
    state = load_checkpoint(best)
    state["format_version"] = 1
    torch.save(state, best)  # how format 1 stored it: a bare torch archive
    with pytest.warns(UnverifiedCheckpoint, match="no checksum"):
        assert load_checkpoint(best)["step"] == state["step"]
    result = invoke("eval", "--run", str(run), "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert error_lines(result) == [
        f"zi2zi: warning: {best}: checkpoint written before format 2 carries no checksum; "
        "loaded unverified"
    ]


class RunsCode:
    """A pickle payload: unpickling it would create a marker file (it must never run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("with_header", [True, False], ids=["format-2", "bare-torch-file"])
def test_a_pickle_payload_is_refused_in_one_line_without_torch_advice(
    run_with_best, tmp_path, with_header
):
    run, _ = run_with_best
    best = RunDir(run).best_checkpoint
    marker = tmp_path / "pwned"
    state = {**load_checkpoint(best), "note": RunsCode(marker)}
    if with_header:
        save_checkpoint(state, best)  # an attacker can compute a valid checksum too
    else:
        torch.save(state, best)
    result = invoke("eval", "--run", str(run), "--device", "cpu")
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"zi2zi: error: {best}: holds objects that are not plain tensors and config; not "
        "loaded (zi2zi never runs code from a checkpoint)"
    ]
    assert "weights_only" not in result.output
    assert not marker.exists()


# --- train --resume: the newest intact checkpoint ------------------------------------------


@pytest.fixture
def run_at_step_6(tiny_dataset, tmp_path, tiny_model_flags):
    """A run trained to step 6 by the command, with checkpoints at steps 2, 4 and 6."""
    run = tmp_path / "run"
    args = ["train", "--shards", str(tiny_dataset), "--run", str(run), *tiny_model_flags]
    args += ["--device", "cpu", "--batch-size", "8", "--steps", "6", "--checkpoint-every", "2"]
    args += ["--val-every", "100", "--sample-every", "100", "--keep-checkpoints", "3"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert [s for s, _ in RunDir(run).step_checkpoints()] == [2, 4, 6]
    return run


def resume(run: Path, steps: int):
    return invoke("train", "--run", str(run), "--resume", "--steps", str(steps))


def test_resume_skips_a_corrupt_and_a_truncated_newest_checkpoint_and_says_what_is_lost(
    run_at_step_6,
):
    run = run_at_step_6
    newest, older = RunDir(run).checkpoint(6), RunDir(run).checkpoint(4)
    flip_weights(newest)
    data = older.read_bytes()
    older.write_bytes(data[: len(data) // 2])  # a copy cut short
    result = resume(run, 8)
    assert result.exit_code == 0, result.output
    said = error_lines(result)
    assert f"zi2zi train: {newest}: checksum mismatch, the file is corrupt (not loaded)" in said
    assert any(line.startswith(f"zi2zi train: {older}: truncated (") for line in said)
    assert (
        "zi2zi train: resuming from step 2 (ckpt-00000002.pt), the newest intact checkpoint: "
        "4 step(s) of training lost; the 2 refused checkpoint(s) are deleted (the run writes "
        "those steps again)" in said
    )
    assert any("steps 2 -> 8" in line for line in said)
    # training went on from step 2 and rewrote steps 4 and 6 whole
    assert [load_checkpoint(p)["step"] for _, p in RunDir(run).step_checkpoints()] == [4, 6, 8]


def run_files(run):
    """Each file of the run and its mtime; the lock file (the PID of its last writer) aside."""
    return {p: p.stat().st_mtime_ns for p in run.rglob("*") if p.name != LOCK_NAME}


def test_resume_with_no_intact_checkpoint_is_one_line_and_writes_nothing(run_at_step_6):
    run = run_at_step_6
    for _, path in RunDir(run).step_checkpoints():
        flip_weights(path)
    before = run_files(run)
    result = resume(run, 8)
    assert result.exit_code == 1
    [line] = error_lines(result)
    assert line.startswith(f"zi2zi: error: {RunDir(run).checkpoints}: no intact checkpoint (3 ")
    assert str(RunDir(run).checkpoint(2)) in line
    assert run_files(run) == before


def test_a_run_resumed_past_a_corrupt_checkpoint_never_prunes_its_new_ones(run_at_step_6):
    """Pruning keeps the newest K by step: a corrupt ckpt-6 left in place would outrank the
    fresh ckpt-4 of the resumed run and get it deleted. The refused files go when it starts."""
    run = run_at_step_6
    flip_weights(RunDir(run).checkpoint(6))
    flip_weights(RunDir(run).checkpoint(4))
    result = invoke(
        "train", "--run", str(run), "--resume", "--steps", "4", "--keep-checkpoints", "1"
    )
    assert result.exit_code == 0, result.output
    assert "the 2 refused checkpoint(s) are deleted (the run writes those steps again)" in (
        result.stderr
    )
    assert [s for s, _ in RunDir(run).step_checkpoints()] == [4]
    assert load_checkpoint(RunDir(run).checkpoint(4))["step"] == 4


def test_a_checkpoint_longer_than_its_header_says_is_not_called_truncated(tmp_path):
    path = tmp_path / "ckpt-00000001.pt"
    save_checkpoint({"format_version": 2, "step": 1, "w": torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 1 byte(s) longer than its header says (")
    assert "truncated" not in message and "damaged (not loaded)" in message
