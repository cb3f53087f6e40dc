"""`glyphrender coverage`: printed counts, written lists, exit codes 0/1/2."""

from __future__ import annotations

import pytest
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


# --- one finished font: --font --------------------------------------------------------------------


def test_one_font_against_each_charset_on_its_own(font_factory, tmp_path):
    _, dst = font_factory.pair(src_count=40, dst_count=30)  # draws U+4E00..U+4E1D
    out = tmp_path / "lists"
    first, second = (
        f"U+{FIRST_CP:04X}-U+{FIRST_CP + 19:04X}",
        f"U+{FIRST_CP + 20:04X}-U+{FIRST_CP + 39:04X}",
    )
    result = _run("--font", str(dst), "--charset", first, "--charset", second, "--charset", "kana",
                  "--write-lists", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"font: {dst} (Dst Round Regular)"
    assert lines[1].split() == [first, "present", "20", "of", "20", "(100.0%)", "missing", "0"]
    assert lines[2].split() == [second, "present", "10", "of", "20", "(50.0%)", "missing", "10"]
    assert lines[3].split() == ["kana", "present", "0", "of", "183", "(0.0%)", "missing", "183"]
    assert sorted(p.name for p in out.iterdir()) == [
        "missing_kana.txt", "missing_set0.txt", "missing_set1.txt"
    ]  # fmt: skip
    missing = (out / "missing_set1.txt").read_text(encoding="utf-8").splitlines()
    assert missing[0] == f"U+{FIRST_CP + 30:04X}\t{chr(FIRST_CP + 30)}" and len(missing) == 10


def test_one_font_defaults_to_every_named_set_without_aliases(font_factory):
    _, dst = font_factory.pair()
    result = _run("--font", str(dst))
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()[1:]]
    assert "big5-1" in names and "big5-2" in names and "big5-han" in names and "cjk" in names
    assert "big5-1-han" not in names and len(names) == len(set(names))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--font", "{dst}", "--src", "{dst}"],
            "--font counts one font: give it without --src/--dst",
        ),
        (["--src", "{dst}"], "give --src and --dst (a source and its targets), or --font"),
        ([], "give --src and --dst (a source and its targets), or --font"),
    ],
)
def test_font_and_src_dst_are_either_or(font_factory, args, message):
    _, dst = font_factory.pair()
    result = _run(*[a.format(dst=dst) for a in args])
    assert result.exit_code == 2 and message in result.output


def test_one_font_bad_input_is_one_line(font_factory, tmp_path):
    fake = font_factory.text_file("fake.ttf")
    result = _run("--font", str(fake), "--write-lists", str(tmp_path / "l"))
    assert result.exit_code == 1
    assert (
        len(result.output.strip().splitlines()) == 1 and f"{fake}: not a font file" in result.output
    )
    assert not (tmp_path / "l").exists()
