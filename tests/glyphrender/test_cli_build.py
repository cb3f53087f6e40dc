"""glyphrender build/inspect/preview on the command line: success, bad input, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from fontfactory import make_collection
from glyphrender.cli import build as cli_build
from glyphrender.cli import main
from glyphrender.placement import DEFAULT_MARGIN
from glyphrender.render import DEFAULT_GLYPH_PX
from glyphrender.splits import DEFAULT_VAL_FRACTION


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
