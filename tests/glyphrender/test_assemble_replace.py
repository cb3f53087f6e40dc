"""Replacement candidates in ``glyphrender assemble``: a generated glyph for a character the
base already draws replaces the base's glyph only when the review accepted it."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from fontfactory import make_font, standard_glyphs, standard_shapes
from fontTools.ttLib import TTFont
from glyphrender.assembly.assemble import AssembleOptions, assemble
from glyphrender.cli import main
from glyphrender.fonts.loading import open_font
from glyphrender.generated.decisions import write_decisions
from glyphrender.generated.folder import GeneratedMeta, write_generated
from glyphrender.metrics import ink_iou
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

PX = 96
BASE = standard_glyphs(8, stroke=100)  # the target font: 8 characters from U+4E00
CPS = sorted(BASE)
ACCEPTED, ALSO_ACCEPTED, REJECTED, UNDECIDED = CPS[:4]  # replacement candidates
NEW = [0x9000, 0x9001]  # characters the base lacks: plain additions


def _render(path, codepoints, transform):
    font = open_font(path)
    renderer = GlyphRenderer(font.sfnt_bytes, transform, RenderOptions(glyph_px=PX))
    return render_codepoints(renderer, codepoints)


@pytest.fixture(scope="module", params=["ttf", "otf"])
def case(request, tmp_path_factory):
    """A base font, a folder of "generated" glyphs in other forms (other shapes) for four of
    its characters and for two it lacks, decisions.json, and the assembled font."""
    flavor = request.param
    d = tmp_path_factory.mktemp(f"replace-{flavor}")
    base = make_font(d / f"base.{flavor}", BASE, flavor=flavor, family="Test Round")
    shapes = standard_shapes(100)
    other = {cp: shapes[(i + 9) % len(shapes)] for i, cp in enumerate([*CPS[:4], *NEW])}
    other_font = make_font(d / f"other.{flavor}", other, flavor=flavor)
    transform = font_transform(em_box(open_font(base)), PX)
    gen_cps = [*CPS[:4], *NEW]
    images = _render(other_font, gen_cps, transform)
    meta = GeneratedMeta(
        style_id=0,
        style_name="Test Round Regular",
        glyph_px=PX,
        placement="font",
        target_font_sha256=open_font(base).sha256,
        target_font_path=str(base),
        transform=transform,
        dataset_manifest_sha256="0" * 64,
    )
    gen = write_generated(d / "gen", images, gen_cps, meta)
    write_decisions(gen, {ACCEPTED: "accepted", ALSO_ACCEPTED: "accepted", REJECTED: "rejected"})
    out = d / f"out.{flavor}"
    report = assemble(base, gen, out)
    return {"base": base, "gen": gen, "out": out, "report": report, "images": images,
            "gen_cps": gen_cps, "transform": transform, "flavor": flavor}  # fmt: skip


def test_only_accepted_candidates_replace_and_the_counts_say_so(case):
    report = case["report"]
    assert report.replaced == (ACCEPTED, ALSO_ACCEPTED)
    assert report.added == tuple(NEW)
    assert report.already_present == (REJECTED, UNDECIDED)
    assert len(report.iou) == len(report.points) == 4  # added + replaced, in that order


def test_replaced_characters_map_to_new_glyphs_and_others_keep_theirs(case):
    base, out = TTFont(str(case["base"])), TTFont(str(case["out"]))
    base_cmap = base.getBestCmap()
    for table in out["cmap"].tables:
        if not table.isUnicode():
            continue
        for cp in CPS:
            if cp in (ACCEPTED, ALSO_ACCEPTED):
                assert table.cmap[cp] != base_cmap[cp] and table.cmap[cp] not in base_cmap.values()
            else:
                assert table.cmap[cp] == base_cmap[cp]


def test_every_base_glyph_stays_byte_identical(case):
    """Replacing points the cmap at a new glyph: the old one (maybe used by GSUB) is untouched."""
    base, out = TTFont(str(case["base"])), TTFont(str(case["out"]))
    order = base.getGlyphOrder()
    assert out.getGlyphOrder()[: len(order)] == order
    assert len(out.getGlyphOrder()) == len(order) + 4
    for name in order:
        if case["flavor"] == "ttf":
            assert out["glyf"][name].compile(out["glyf"]) == base["glyf"][name].compile(
                base["glyf"]
            ), name
        else:
            old = base["CFF "].cff.topDictIndex[0].CharStrings[name].bytecode
            assert out["CFF "].cff.topDictIndex[0].CharStrings[name].bytecode == old, name
        assert out["hmtx"][name] == base["hmtx"][name]


def test_the_font_draws_the_accepted_forms_and_the_base_forms_elsewhere(case):
    transform = case["transform"]
    got = _render(case["out"], CPS, transform)
    base_images = _render(case["base"], CPS, transform)
    generated = dict(zip(case["gen_cps"], case["images"], strict=True))
    for i, cp in enumerate(CPS):
        if cp in (ACCEPTED, ALSO_ACCEPTED):
            assert ink_iou(got[i : i + 1], generated[cp][None])[0] > 0.9
            assert ink_iou(got[i : i + 1], base_images[i : i + 1])[0] < 0.6
        else:
            assert np.array_equal(got[i], base_images[i]), f"U+{cp:04X} changed"


def test_cli_line_counts_added_and_replaced(case, tmp_path):
    out = tmp_path / f"o.{case['flavor']}"
    args = [
        "assemble",
        "--base",
        str(case["base"]),
        "--glyphs",
        str(case["gen"]),
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "added 2 glyphs and replaced 2 (" in result.output
    assert (
        f"replaced 2 glyphs of the base, accepted in the review: U+{ACCEPTED:04X} "
        f"U+{ALSO_ACCEPTED:04X}" in result.output
    )
    assert (
        f"kept 2 characters the base already has (replacements not accepted): "
        f"U+{REJECTED:04X} U+{UNDECIDED:04X}" in result.output
    )


def test_only_accepted_adds_and_replaces_only_accepted_glyphs(case, tmp_path):
    options = AssembleOptions(only_accepted=True)
    report = assemble(case["base"], case["gen"], tmp_path / "o", options)
    assert report.replaced == (ACCEPTED, ALSO_ACCEPTED) and report.added == ()
    assert report.not_accepted == tuple(NEW)


def test_without_decisions_nothing_is_replaced(case, tmp_path):
    gen = tmp_path / "gen"
    gen.mkdir()
    for path in case["gen"].iterdir():
        if path.name != "decisions.json":
            (gen / path.name).write_bytes(path.read_bytes())
    report = assemble(case["base"], gen, tmp_path / "o")
    assert report.replaced == () and report.added == tuple(NEW)
    assert report.already_present == tuple(CPS[:4])
