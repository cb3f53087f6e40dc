"""`glyphrender coverage`: printed counts, written lists, exit codes 0/1/2."""

from __future__ import annotations

from click.testing import CliRunner
from fontfactory import FIRST_CP
from glyphrender.cli import main


def _run(*args: str):
    return CliRunner().invoke(main, ["coverage", *args])


def test_counts_and_lists(font_factory, tmp_path):
    src, dst = font_factory.pair(src_count=40, dst_count=30)
    out = tmp_path / "lists"
    result = _run("--src", str(src), "--dst", str(dst), "--write-lists", str(out))
    assert result.exit_code == 0, result.output
    assert "shared: 30  source-only: 10  target-only: 0" in result.output
    assert "cjk (27,584 characters)" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "shared.txt",
        "source_only.txt",
        "target_only.txt",
    ]
    lines = (out / "source_only.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"U+{FIRST_CP + 30:04X}\t{chr(FIRST_CP + 30)}" and len(lines) == 10
    assert len((out / "shared.txt").read_text(encoding="utf-8").splitlines()) == 30
    assert (out / "target_only.txt").read_text(encoding="utf-8") == ""


def test_list_file_as_charset(font_factory, tmp_path):
    src, dst = font_factory.pair(src_count=40, dst_count=30)
    _run("--src", str(src), "--dst", str(dst), "--write-lists", str(tmp_path / "l"))
    result = _run(
        "--src", str(src), "--dst", str(dst), "--charset", str(tmp_path / "l/source_only.txt")
    )
    assert result.exit_code == 0, result.output
    assert "(10 characters)" in result.output
    assert "shared: 0  source-only: 10  target-only: 0" in result.output


def test_several_targets_and_collection_faces(font_factory, tmp_path):
    src, _ = font_factory.pair(src_count=40, dst_count=30)
    ttc = font_factory.collection("two.ttc")
    out = tmp_path / "lists"
    result = _run(
        "--src", str(src), "--dst", str(ttc), "--dst", f"{ttc}#1",
        "--dst-index", "0", "--dst-index", "1",
        "--charset", f"U+{FIRST_CP:04X}-U+{FIRST_CP + 49:04X}", "--write-lists", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Face Zero Regular" in result.output and "Face One Bold" in result.output
    assert "(50 characters)" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"shared.txt", "source_only.txt", "shared_style1.txt"} <= names
    assert {"source_only_style0.txt", "target_only_style1.txt"} <= names


def test_bad_font_is_one_line_exit_1(font_factory):
    src, _ = font_factory.pair()
    fake = font_factory.text_file("fake.ttf")
    result = _run("--src", str(src), "--dst", str(fake))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"glyphrender: error: {fake}: not a font file "
        "(expected TTF, OTF, TTC/OTC, WOFF or WOFF2; the file starts with b'this')"
    ]


def test_collection_without_index_exit_1(font_factory):
    src, _ = font_factory.pair()
    ttc = font_factory.collection("two.ttc")
    result = _run("--src", str(src), "--dst", str(ttc))
    assert result.exit_code == 1
    assert "0: Face Zero Regular, 1: Face One Bold" in result.output


def test_bad_charset_exit_1(font_factory):
    src, dst = font_factory.pair()
    result = _run("--src", str(src), "--dst", str(dst), "--charset", "klingon")
    assert result.exit_code == 1 and "'klingon'" in result.output


def test_usage_errors_exit_2(font_factory):
    src, dst = font_factory.pair()
    assert _run("--src", str(src)).exit_code == 2  # no --dst
    result = _run(
        "--src", str(src), "--dst", str(dst), "--dst", str(dst),
        "--dst-index", "0", "--dst-index", "0", "--dst-index", "0",
    )  # fmt: skip
    assert result.exit_code == 2 and "--dst-index given 3 times" in result.output
    assert _run("--src", str(src), "--dst", str(dst), "--src-index", "-1").exit_code == 2


def test_help_states_default_charset():
    result = CliRunner().invoke(main, ["coverage", "--help"])
    assert result.exit_code == 0
    assert "[default: cjk]" in " ".join(result.output.split())


def test_fallback_sources_supply_what_the_target_lacks_in_order(font_factory, tmp_path):
    from fontfactory import standard_glyphs

    src = font_factory.font("src.ttf", standard_glyphs(30, 60), family="Src Sans")
    dst = font_factory.font("dst.ttf", standard_glyphs(20, 110), family="Dst Round")
    wide = font_factory.font("wide.ttf", standard_glyphs(45, 90), family="Wide Sans")
    more = font_factory.font("more.ttf", standard_glyphs(50, 90), family="More Sans")
    result = _run(
        "--src", str(src), "--dst", str(dst), "--fallback-src", str(wide),
        "--fallback-src", str(more), "--charset", f"U+{FIRST_CP:04X}-U+{FIRST_CP + 59:04X}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The target lacks U+4E14..4E31 (30): 10 the source draws, 15 only Wide, 5 only More.
    expected = "target 0 lacks 30 that a source draws: 10 from Src Sans Regular, "
    expected += "15 from Wide Sans Regular, 5 from More Sans Regular"
    assert expected in result.output
    missing = _run("--src", str(src), "--dst", str(dst), "--fallback-src", str(tmp_path / "x"))
    assert missing.exit_code == 1 and "no such font file" in missing.output
