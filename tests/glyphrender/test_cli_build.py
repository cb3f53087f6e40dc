"""glyphrender build/inspect/preview on the command line: success, bad input, exit codes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner
from fontfactory import make_collection, standard_glyphs
from glyphrender.cli import build as cli_build
from glyphrender.cli import main
from glyphrender.dataset.splits import DEFAULT_VAL_FRACTION
from glyphrender.rendering.placement import DEFAULT_MARGIN
from glyphrender.rendering.render import DEFAULT_GLYPH_PX


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def pair(font_factory):
    return font_factory.pair(src_count=40, dst_count=30)


def build_args(src, dst, out, *extra):
    return [
        "build",
        "--src",
        src,
        "--dst",
        dst,
        "--out",
        out,
        "--size",
        32,
        "--workers",
        1,
        "--charset",
        "U+4E00-U+4EFF",
        *extra,
    ]


def test_cli_defaults_match_the_library():
    assert cli_build.DEFAULT_SIZE == DEFAULT_GLYPH_PX
    assert cli_build.DEFAULT_MARGIN == DEFAULT_MARGIN
    assert cli_build.DEFAULT_VAL_FRACTION == DEFAULT_VAL_FRACTION


def test_build_then_inspect_and_preview(tmp_path, pair):
    src, dst = pair
    out = tmp_path / "ds"
    r = run(*build_args(src, dst, out))
    assert r.exit_code == 0, r.output
    assert "train" in r.output and (out / "manifest.json").exists()
    r = run("inspect", out, "--verify")
    assert r.exit_code == 0 and "all shard checksums match" in r.output
    shard = next(out.glob("train-*.h5"))
    shard.write_bytes(shard.read_bytes()[:-10])
    r = run("inspect", out, "--verify")
    assert r.exit_code == 1 and "sha256 does not match" in r.output
    r = run("build", "--src", src, "--dst", dst, "--out", out, "--size", 32)
    assert r.exit_code == 1 and "--force" in r.output


def test_default_out_is_data_beside_a_readme(tmp_path, pair, monkeypatch):
    src, dst = pair
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "README.md").write_text("datasets go here\n")
    r = run(
        "build",
        "--src",
        src,
        "--dst",
        dst,
        "--size",
        32,
        "--workers",
        1,
        "--charset",
        "U+4E00-U+4EFF",
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "data" / "manifest.json").exists()
    assert (tmp_path / "data" / "README.md").read_text() == "datasets go here\n"


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "no such font file"),
        ("text", "not a font file"),
        ("truncated", "truncated"),
        ("nocmap", "cmap"),
        ("collection", "collection"),
        ("noshared", "shares no characters"),
    ],
)
def test_bad_fonts_give_one_line_and_status_1(tmp_path, pair, font_factory, case, message):
    src, dst = pair
    bad = {
        "missing": lambda: tmp_path / "nope.ttf",
        "text": font_factory.text_file,
        "truncated": font_factory.truncated,
        "nocmap": font_factory.without_cmap,
        "collection": lambda: make_collection(tmp_path / "c.ttc", [src, dst]),
        "noshared": lambda: font_factory.font("far.ttf", {0x9000: [(100, 100, 500, 500)]}),
    }[case]()
    out = tmp_path / "ds"
    r = run(*build_args(src, bad, out))
    assert r.exit_code == 1, r.output
    lines = [line for line in r.output.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("glyphrender: error: ") and message in lines[0]
    assert str(bad.name) in lines[0]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ds")]


def test_collection_face_index_is_accepted(tmp_path, pair):
    src, dst = pair
    ttc = make_collection(tmp_path / "c.ttc", [src, dst])
    r = run(*build_args(src, ttc, tmp_path / "ds", "--dst-index", 1))
    assert r.exit_code == 0, r.output


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes anywhere"
)
def test_unwritable_out_is_refused(tmp_path, pair):
    src, dst = pair
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        r = run(*build_args(src, dst, locked / "ds"))
    finally:
        locked.chmod(0o700)
    assert r.exit_code == 1 and "cannot write" in r.output


def test_out_that_is_a_file_is_refused(tmp_path, pair):
    src, dst = pair
    (tmp_path / "file").write_text("x")
    r = run(*build_args(src, dst, tmp_path / "file"))
    assert r.exit_code in (1, 2) and "Traceback" not in r.output


def test_usage_errors_exit_2(tmp_path, pair):
    src, dst = pair
    assert run("build", "--src", src).exit_code == 2
    assert run(*build_args(src, dst, tmp_path / "o", "--placement", "middle")).exit_code == 2
    assert (
        run(*build_args(src, dst, tmp_path / "o", "--dst-index", 0, "--dst-index", 1)).exit_code
        == 2
    )


def test_real_process_prints_no_traceback(tmp_path, font_factory, pair):
    src, _ = pair
    fake = font_factory.text_file()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from glyphrender.cli import main; main()",
            "build",
            "--src",
            str(src),
            "--dst",
            str(fake),
            "--out",
            str(tmp_path / "ds"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "fake.ttf" in proc.stderr and not (tmp_path / "ds").exists()


def test_preview_writes_a_png_and_refuses_an_empty_split(tmp_path, pair):
    from PIL import Image

    src, dst = pair
    out = tmp_path / "ds"
    assert run(*build_args(src, dst, out, "--val-fraction", 0)).exit_code == 0
    r = run("preview", out, "--split", "train", "--out", tmp_path / "s.png", "--count", 5)
    assert r.exit_code == 0, r.output
    img = Image.open(tmp_path / "s.png")
    assert img.mode == "L" and img.width > 2 * 32 * 5 - 1
    r = run("preview", out, "--split", "missing", "--out", tmp_path / "m.png")
    assert r.exit_code == 0
    r = run("preview", out, "--split", "val", "--out", tmp_path / "v.png")
    assert r.exit_code == 1 and "empty" in r.output and not (tmp_path / "v.png").exists()
    r = run("inspect", tmp_path / "nothing")
    assert r.exit_code == 1 and "not a dataset" in r.output


def test_out_under_a_file_cannot_be_written(tmp_path, pair):
    src, dst = pair
    (tmp_path / "file").write_text("x")
    r = run(*build_args(src, dst, tmp_path / "file" / "ds"))
    assert r.exit_code == 1 and "cannot write" in r.output and "Traceback" not in r.output


# --- interruption: SIGKILL, SIGTERM, leftovers ----------------------------------------------

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc to find the worker processes"
)


def _children(pid: int) -> list[int]:
    """Live (non-zombie) processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_big_build(tmp_path, font_factory):
    """A real `glyphrender build` with 2 workers, returned once it is mid-render."""
    src, dst = font_factory.pair(src_count=2000, dst_count=2000)
    argv = [sys.executable, "-c", "from glyphrender.cli import main; main()"]
    argv += ["build", "--src", str(src), "--dst", str(dst), "--out", str(tmp_path / "ds")]
    argv += ["--size", "1024", "--workers", "2", "--shard-size", "8"]
    argv += ["--charset", "U+4E00-U+9FFF"]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell runs background jobs (a CI script's `&`) with SIGINT ignored, and the child
        # would inherit that; the SIGINT case needs the default a terminal gives.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".ds.build-*/train-*.h5")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never wrote a shard"
        time.sleep(0.02)
    workers = _children(proc.pid)
    assert len(workers) >= 2, "the build should be rendering in worker processes"
    return proc, workers


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


@linux_only
def test_sigkill_of_a_build_leaves_no_worker_and_closes_the_callers_pipes(tmp_path, font_factory):
    proc, workers = _start_big_build(tmp_path, font_factory)
    try:
        proc.kill()
        proc.wait(timeout=10)
        assert _wait_gone(workers, 5) == []
        closed = threading.Event()

        def drain() -> None:
            proc.stdout.read(), proc.stderr.read()  # returns at EOF: every writer has gone
            closed.set()

        threading.Thread(target=drain, daemon=True).start()
        assert closed.wait(5), "a worker still holds the build's stdout/stderr"
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert not (tmp_path / "ds").exists()  # never a half dataset under the final name
    (leftover,) = tmp_path.glob(".ds.build-*")  # a killed process cannot clean up...
    src, dst = font_factory.path("src.ttf"), font_factory.path("dst.ttf")
    r = run(*build_args(src, dst, tmp_path / "ds"))
    assert r.exit_code == 0, r.output
    # ...so the next build to the same --out removes it, and says so
    assert f"glyphrender: {leftover}: removed, left by a run that did not finish" in r.output
    assert not leftover.exists() and (tmp_path / "ds" / "manifest.json").is_file()


@linux_only
@pytest.mark.parametrize(
    "signum, status, message",
    [
        (signal.SIGTERM, 143, "glyphrender: terminated (SIGTERM)"),
        (signal.SIGINT, 130, "glyphrender: interrupted"),
    ],
)
def test_sigterm_and_sigint_stop_a_build_cleanly(tmp_path, font_factory, signum, status, message):
    proc, workers = _start_big_build(tmp_path, font_factory)
    try:
        proc.send_signal(signum)  # to the build process only, as `kill PID` does
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert err.strip().splitlines() == [message]  # one line, no traceback
    assert "Traceback" not in err
    assert _wait_gone(workers, 5) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fonts"]  # no temp dir, no dataset


def test_a_stale_build_directory_is_removed_but_a_live_builds_is_not(tmp_path, pair):
    src, dst = pair
    dead = tmp_path / ".ds.build-deadbeef"
    dead.mkdir()
    (dead / "train-00000.h5").write_bytes(b"half")
    holder = (
        "import sys, time\n"
        "from glyphrender.atomic import staging_dir\n"
        "with staging_dir(sys.argv[1]) as tmp:\n"
        "    print(tmp, flush=True)\n"
        "    time.sleep(60)\n"
    )
    live_proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path / "ds")], stdout=subprocess.PIPE, text=True
    )
    try:
        live = tmp_path / os.path.basename(live_proc.stdout.readline().strip())
        r = run(*build_args(src, dst, tmp_path / "ds"))
        assert r.exit_code == 0, r.output
        assert f"{dead}: removed, left by a run that did not finish" in r.output
        assert str(live) not in r.output and live.is_dir()  # its build is still running
        assert not dead.exists()
    finally:
        live_proc.kill()
        live_proc.wait(timeout=10)


def test_preview_header_names_the_split_the_fonts_and_each_column(tmp_path, pair):
    """Issue #23: a reader of the sheet can tell which glyph is the source and which the target."""
    import numpy as np
    from glyphrender.dataset.preview import (
        column_labels,
        contact_sheet,
        header_line_px,
        sheet_title,
    )
    from glyphrender.dataset.shards import Dataset

    src, dst = pair
    out = tmp_path / "ds"
    assert run(*build_args(src, dst, out, "--val-fraction", 0)).exit_code == 0
    dataset = Dataset.open(out)
    title = sheet_title(dataset, "train", 5)
    assert title.startswith(f"train split, 5 of {dataset.count('train')}: source ")
    assert dataset.source_font.name in title and dataset.target_fonts[0].name in title
    assert column_labels("train") == ["source", "target"] and column_labels("missing") == ["source"]
    sheet = np.asarray(contact_sheet(dataset, "train", count=5, cell_px=32))
    plain = np.asarray(contact_sheet(dataset, "missing", count=5, cell_px=32))
    line = header_line_px(12)  # glyphs of 32 px: labels of the minimum size, 12 px
    title, labels = sheet[2 : 2 + line], sheet[2 + line : 2 + 2 * line]
    assert (title < 128).any()  # the title line has ink
    assert (sheet[2 + 2 * line : 2 + 2 * line + 6] == 255).all()  # a gap before the glyphs
    assert (labels[:, 6 : 6 + 32] < 200).any() and (labels[:, 6 + 34 : 6 + 66] < 200).any()
    assert (plain[2 + line : 2 + 2 * line, 6 : 6 + 32] < 200).any()  # "source" only


def test_build_writes_progress_lines_into_a_log(tmp_path, pair, monkeypatch):
    """Issue #23: plain progress lines (every 30 s; here at once) when stdout is not a terminal."""
    monkeypatch.setenv("ZI2ZI_PROGRESS_INTERVAL", "1e-9")
    src, dst = pair
    r = run(*build_args(src, dst, tmp_path / "ds"))
    assert r.exit_code == 0, r.output
    lines = [x for x in r.output.splitlines() if x.startswith("glyphrender build: rendering")]
    assert len(lines) >= 2 and "(100%) | " in lines[-1] and "sample/s" in lines[-1], lines


def test_blend_fonts_are_built_in_and_shown_by_inspect(tmp_path, pair, font_factory):
    src, dst = pair
    thin = font_factory.font("thin.ttf", standard_glyphs(40, 30), family="Thin Sans")
    out = tmp_path / "ds"
    r = run(*build_args(src, dst, out, "--blend", thin))
    assert r.exit_code == 0, r.output
    shown = run("inspect", out)
    assert shown.exit_code == 0, shown.output
    assert any(
        line.startswith("blend") and "Thin Sans" in line for line in shown.output.splitlines()
    )


@pytest.mark.parametrize("case, message", [("missing", "no such font file"), ("twice", "once")])
def test_a_bad_blend_font_gives_one_line_and_status_1(tmp_path, pair, case, message):
    src, dst = pair
    blend = tmp_path / "nope.ttf" if case == "missing" else src
    out = tmp_path / "ds"
    r = run(*build_args(src, dst, out, "--blend", blend))
    assert r.exit_code == 1, r.output
    lines = [line for line in r.output.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("glyphrender: error: ") and message in lines[0]
    assert blend.name in lines[0]
    assert not out.exists()
