"""glyphrender's writing commands against their own inputs and a failing disk (issue 22):
an output that is, contains or lies inside an input is refused (exit 2, even with --force),
a full or read-only disk is one line with nothing lost, and assemble writes what --out names
(CID-keyed CFF bases past CID 65,535, WOFF, WOFF2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont
from glyphrender.assembly.assemble import AssembleOptions, assemble
from glyphrender.cli import main
from glyphrender.fonts.loading import open_font
from glyphrender.generated.folder import GeneratedMeta, write_generated
from glyphrender.rendering.placement import em_box, font_transform
from reviewfolder import make_review_folder
from smalldisk import fill

DATA = Path(__file__).parent / "data"
CID_SUBSET = DATA / "NotoSansCJKjp-cid-subset.otf"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def contents(*paths: Path) -> dict[Path, bytes]:
    files = [q for p in paths for q in ([p] if p.is_file() else sorted(p.rglob("*")))]
    return {q: q.read_bytes() for q in files if q.is_file()}


@pytest.fixture
def made(tmp_path):
    return make_review_folder(tmp_path)


def test_assemble_specimen_and_build_never_write_over_or_into_their_inputs(made, font_factory):
    gen, base = made.folder, made.base
    before = contents(gen, base)
    assemble = ["assemble", "--base", base, "--glyphs", gen, "--force"]
    cases = [
        (
            [*assemble, "--out", gen / "glyphs.h5"],
            gen / "glyphs.h5",
            "lies inside the glyph folder",
        ),
        ([*assemble, "--out", base], base, "is the base font"),
        (["specimen", "--font", base, "--text", "x", "--out", base], base, "is the font"),
        (
            [
                "specimen",
                "--font",
                base,
                "--text",
                "x",
                "--highlight-from",
                gen,
                "--out",
                gen / "s.png",
            ],
            gen / "s.png",
            "lies inside the glyph folder",
        ),
    ]
    src, dst = font_factory.pair(src_count=20, dst_count=10)
    build = ["build", "--src", src, "--dst", dst, "--size", 32, "--workers", 1, "--force"]
    cases += [([*build, "--out", src.parent], src.parent, "contains the source font")]
    for args, out, relation in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        line = one_error_line(result)
        assert line.startswith(f"glyphrender: error: {out}: --out {relation}"), line
    assert contents(gen, base) == before
    assert src.is_file() and dst.is_file()


def test_preview_never_writes_into_its_dataset(tmp_path, font_factory):
    src, dst = font_factory.pair(src_count=20, dst_count=10)
    data = tmp_path / "data"
    built = run("build", "--src", src, "--dst", dst, "--out", data, "--size", 32, "--workers", 1)
    assert built.exit_code == 0, built.output
    before = contents(data)
    result = run("preview", data, "--out", data / "sheet.png")
    assert result.exit_code == 2
    assert "--out lies inside the dataset" in one_error_line(result)
    assert contents(data) == before


def cid_glyph_folder(directory: Path, count: int) -> tuple[Path, list[int]]:
    """``count`` "generated" glyphs (renders of a test font) for the CID subset, which lacks
    them, placed with the subset's transform."""
    from fontfactory import make_font, standard_glyphs
    from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

    base = open_font(CID_SUBSET)
    transform = font_transform(em_box(base), 64)
    glyphs = standard_glyphs(count, stroke=100)
    drawn = open_font(make_font(directory / "drawn.ttf", glyphs))
    images = render_codepoints(
        GlyphRenderer(drawn.sfnt_bytes, transform, RenderOptions(glyph_px=64)), list(glyphs)
    )
    meta = GeneratedMeta(
        style_id=0,
        style_name="Noto Sans CJK JP Regular",
        glyph_px=64,
        placement="font",
        target_font_sha256=base.sha256,
        target_font_path=str(CID_SUBSET),
        transform=transform,
        dataset_manifest_sha256="0" * 64,
    )
    return write_generated(directory / "gen", images, list(glyphs), meta), list(glyphs)


def test_a_cid_keyed_cff_base_whose_cids_reach_65529_takes_new_glyphs(tmp_path):
    base = TTFont(CID_SUBSET)
    top = base["CFF "].cff.topDictIndex[0]
    assert hasattr(top, "ROS") and max(int(n[3:]) for n in base.getGlyphOrder()[1:]) == 65529
    gen, codepoints = cid_glyph_folder(tmp_path, 20)  # CIDs 65,530..65,535 fit six of them
    out = tmp_path / "out.otf"
    report = assemble(CID_SUBSET, gen, out, AssembleOptions())
    assert sorted(report.added) == codepoints
    font = TTFont(out)
    top = font["CFF "].cff.topDictIndex[0]
    order = font.getGlyphOrder()
    cids = [int(n[3:]) for n in order[1:]]
    assert hasattr(top, "ROS") and len(set(cids)) == len(cids) and max(cids) == 65535
    assert order[: len(base.getGlyphOrder())] == base.getGlyphOrder()  # old glyphs keep ids
    assert len(top.FDSelect) == len(order)
    cmap = font.getBestCmap()
    assert all(cmap[cp] in order for cp in codepoints)
    assert float(np.mean(report.iou)) > 0.95 and float(np.min(report.iou)) > 0.8


@pytest.mark.parametrize(("suffix", "magic"), [(".woff2", b"wOF2"), (".woff", b"wOFF")])
def test_assemble_writes_the_web_font_its_out_suffix_names(made, tmp_path, suffix, magic):
    out = tmp_path / f"out{suffix}"
    result = run("assemble", "--base", made.base, "--glyphs", made.folder, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == magic
    font = TTFont(out)
    assert font.flavor == suffix[1:] and set(made.codepoints) <= set(font.getBestCmap())


def test_build_and_assemble_on_a_full_disk_are_one_line_and_keep_the_old_output(
    tmp_path, made, font_factory, small_disk
):
    disk = small_disk(size="4m")
    src, dst = font_factory.pair(src_count=40, dst_count=30)
    data = disk / "data"
    build = ["build", "--src", src, "--dst", dst, "--out", data, "--size", 32, "--workers", 1]
    assert run(*build).exit_code == 0
    font = disk / "font.ttf"
    assemble = ["assemble", "--base", made.base, "--glyphs", made.folder, "--out", font]
    assert run(*assemble).exit_code == 0
    kept = contents(data, font)
    fill(disk, leave_bytes=4096)
    result = run(*build, "--size", 64, "--force")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(f"glyphrender: error: {data}") and "no space left on the device" in line
    fill(disk, leave_bytes=0)
    result = run(*assemble, "--force", "--family-suffix", " Full")
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"glyphrender: error: {font}: cannot write: no space left on the device; "
        "the previous font there is unchanged"
    )
    assert contents(data, font) == kept
    assert sorted(p.name for p in disk.iterdir()) == ["data", "filler-0", "filler-1", "font.ttf"]


def test_a_read_only_output_folder_is_one_line_before_any_work(made, small_disk):
    read_only = small_disk(read_only=True)
    out = read_only / "font.ttf"
    result = run("assemble", "--base", made.base, "--glyphs", made.folder, "--out", out)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"glyphrender: error: {out}: cannot write: read-only file system; nothing written"
    )


def test_coverage_lists_and_the_forms_file_never_go_over_or_into_a_font(font_factory):
    src, dst = font_factory.pair(src_count=20, dst_count=10)
    before = contents(src, dst)
    cases = [
        (["coverage", "--src", src, "--dst", dst, "--write-lists", src.parent], "--write-lists"),
        (["coverage", "--font", src, "--write-lists", src.parent], "--write-lists"),
        (["forms", "--a", src, "--b", dst, "--out", dst], "--out"),
    ]
    for args, option in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f": {option} " in one_error_line(result)
    assert contents(src, dst) == before
