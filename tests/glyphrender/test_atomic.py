"""Outputs appear under their final name only when complete, files and folders alike."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from glyphrender import atomic
from glyphrender.atomic import atomic_path, write_bytes_atomic
from glyphrender.errors import GlyphrenderError


def test_a_completed_write_is_renamed_and_readable_by_everyone(tmp_path):
    out = write_bytes_atomic(tmp_path / "report.json", b"{}\n")
    assert out.read_bytes() == b"{}\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    final = tmp_path / "font.ttf"
    final.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert final.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["font.ttf"]


def test_an_unwritable_place_is_one_clear_error(tmp_path):
    final = tmp_path / "no-such-dir" / "sheet.png"
    with pytest.raises(GlyphrenderError, match=r"sheet\.png: cannot write the preview here"):
        write_bytes_atomic(final, b"", "the preview")


def test_text_is_written_as_utf8_and_durable_writes_land_too(tmp_path):
    from glyphrender.atomic import write_text_atomic

    out = write_text_atomic(tmp_path / "config.toml", "name = '永'\n", durable=True)
    assert out.read_text(encoding="utf-8") == "name = '永'\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


# --- folders: staging, publish, sweep -------------------------------------------------------

OLD = {"manifest.json": "old", "train-00000.h5": "old shard", "README.md": "keep me"}
NEW = {"manifest.json": "new", "train-00000.h5": "new shard", "README.md": "keep me"}
KEEP = "lambda name: name == 'README.md'"

# A child that builds a new folder and publishes it over the old one, killing itself with
# os._exit right after the publish step named in argv[2] ("" = run to the end).
PUBLISH = textwrap.dedent(
    f"""
    import os, sys
    from pathlib import Path
    from glyphrender import atomic

    final, step, exchange = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
    if not exchange:
        atomic._exchange = lambda a, b: False
    atomic._after_step = lambda done: os._exit(9) if done == step else None
    with atomic.staging_dir(final) as tmp:
        (tmp / "manifest.json").write_text("new")
        (tmp / "train-00000.h5").write_text("new shard")
        atomic.publish_dir(tmp, final, replace=True, keep={KEEP})
    """
)


def folder(path):
    return {p.name: p.read_text() for p in path.iterdir()} if path.is_dir() else None


def make_old(final):
    final.mkdir()
    for name, text in OLD.items():
        (final / name).write_text(text)


def test_publish_to_a_new_name_is_one_rename_and_an_existing_one_needs_replace(tmp_path):
    final = tmp_path / "out"
    with atomic.staging_dir(final) as tmp:
        (tmp / "a").write_text("1")
        atomic.publish_dir(tmp, final)
    assert folder(final) == {"a": "1"} and os.listdir(tmp_path) == ["out"]
    with (
        pytest.raises(GlyphrenderError, match="out: exists; not replaced"),
        atomic.staging_dir(final) as tmp,
    ):
        atomic.publish_dir(tmp, final)
    assert folder(final) == {"a": "1"} and os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_replace_keeps_chosen_files_and_leaves_nothing_behind(tmp_path, exchange, monkeypatch):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    final = tmp_path / "out"
    make_old(final)
    with atomic.staging_dir(final) as tmp:
        (tmp / "manifest.json").write_text("new")
        (tmp / "train-00000.h5").write_text("new shard")
        atomic.publish_dir(tmp, final, replace=True, keep=lambda n: n == "README.md")
    assert folder(final) == NEW and os.listdir(tmp_path) == ["out"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX: kills a child process")
@pytest.mark.parametrize(
    "exchange, step, expect",
    [
        (True, "kept", OLD),
        (True, "swapped", NEW),
        (True, "removed", NEW),
        (True, "", NEW),
        (False, "kept", OLD),
        (False, "aside", None),  # the one instant without `out`: the old folder is aside
        (False, "swapped", NEW),
        (False, "removed", NEW),
    ],
)
def test_a_publish_killed_at_any_step_leaves_the_old_or_the_new_folder(
    tmp_path, exchange, step, expect
):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    if exchange and not atomic._exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("renameat2(RENAME_EXCHANGE) unsupported here")
    (tmp_path / "a").rmdir(), (tmp_path / "b").rmdir()
    final = tmp_path / "out"
    make_old(final)
    proc = subprocess.run(
        [sys.executable, "-c", PUBLISH, str(final), step, "1" if exchange else "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == (9 if step else 0), proc.stderr
    assert folder(final) == expect
    lines = atomic.sweep_stale(final)
    assert folder(final) == (expect or OLD)  # a dead run's aside folder is put back
    assert os.listdir(tmp_path) == ["out"]
    if expect is None:
        assert any("restored the previous folder" in line for line in lines)
    assert atomic.sweep_stale(final) == []


def test_a_publish_that_fails_between_the_renames_puts_the_old_folder_back(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def rename(src, dst):
        if str(dst) == str(final) and ".build-" in str(src):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    final = tmp_path / "out"
    make_old(final)
    monkeypatch.setattr(atomic.os, "rename", rename)
    with (
        pytest.raises(GlyphrenderError, match="out: cannot move the dataset into place"),
        atomic.staging_dir(final) as tmp,
    ):
        (tmp / "manifest.json").write_text("new")
        atomic.publish_dir(tmp, final, replace=True, what="the dataset")
    assert folder(final) == OLD and os.listdir(tmp_path) == ["out"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX: flock and SIGKILL")
def test_sweep_never_touches_a_live_runs_folder_and_removes_a_dead_ones(tmp_path):
    final = tmp_path / "out"
    holder = textwrap.dedent(
        """
        import sys, time
        from glyphrender import atomic
        with atomic.staging_dir(sys.argv[1]) as tmp:
            (tmp / "half.h5").write_text("x")
            print(tmp, flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(final)], stdout=subprocess.PIPE, text=True
    )
    try:
        live = tmp_path / os.path.basename(proc.stdout.readline().strip())
        assert live.is_dir()
        with atomic.staging_dir(final) as mine:  # this process's own is live too
            assert atomic.sweep_stale(final) == []
            assert live.is_dir() and mine.is_dir()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert live.is_dir()  # killed outright: nothing cleaned it up
    assert atomic.sweep_stale(final) == [f"{live}: removed, left by a run that did not finish"]
    assert os.listdir(tmp_path) == []


def test_a_full_disk_under_an_hdf5_write_leaves_no_buffer_export_for_the_gc(small_disk):
    """CI on Python 3.13 printed "Exception ignored in: <_io.BytesIO ...> BufferError:
    Existing exports of data" long after a full-disk test. The StorageError holds the
    OSError, whose traceback holds the frames that hold it: a cycle, freed by the cyclic GC,
    which closes the in-memory HDF5 file while the failed write's frame still had a view of
    it. Python before 3.13 drops that error silently except in development mode (-X dev),
    where it is printed as it is on 3.13: so the write runs there."""
    from smalldisk import fill

    disk = small_disk(size="1m")
    fill(disk, leave_bytes=0)
    script = textwrap.dedent(
        """
        import gc, sys
        import numpy as np
        from glyphrender.atomic import h5_file_atomic
        from glyphrender.errors import StorageError
        try:
            with h5_file_atomic(sys.argv[1], "the shard") as f:
                f.create_dataset("noise", data=np.arange(1 << 16, dtype=np.int64))
        except StorageError as exc:
            print(exc)
        gc.collect()
        """
    )
    out = disk / "shard.h5"
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-c", script, str(out)], capture_output=True, text=True
    )
    assert "no space left on the device" in result.stdout, result.stderr
    assert "Exception ignored" not in result.stderr, result.stderr
    assert sorted(p.name for p in disk.iterdir()) == ["filler-0"]
