"""glyphrender assemble with small FontBuilder fonts: render -> assemble -> re-render, font
tables of the added glyphs, untouched existing glyphs, and the refusals."""

from __future__ import annotations

import doctest
import io

import freetype
import glyphrender.assembly.assemble as assemble_mod
import glyphrender.assembly.tables as tables_mod
import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from fontfactory import build_ttfont, make_font, standard_glyphs
from fontTools.ttLib import TTFont
from glyphrender.assembly.assemble import AssembleOptions, assemble
from glyphrender.cli import main
from glyphrender.errors import AssembleError, DatasetError, GlyphrenderError
from glyphrender.fonts.loading import open_font
from glyphrender.generated.folder import GLYPHS_NAME, GeneratedMeta, write_generated
from glyphrender.metrics import ink_iou
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints

PX = 96
N_BASE = 12  # the base font draws the first N_BASE standard glyphs
N_ALL = 30
SUPPLEMENTARY = 0x20000  # where supplementary-plane copies of glyphs go


def _raw(font: TTFont, name: str) -> bytes:
    """A glyph's stored glyf record (empty glyphs have none)."""
    return getattr(font["glyf"].glyphs[name], "data", b"")


def _render(font_path, codepoints, transform):
    font = open_font(font_path)
    renderer = GlyphRenderer(font.sfnt_bytes, transform, RenderOptions(glyph_px=PX))
    return render_codepoints(renderer, codepoints)


@pytest.fixture(scope="module", params=["ttf", "otf"])
def setup(request, tmp_path_factory):
    """A base font, the "generated" glyphs (renders of a fuller font) and the assembled font."""
    flavor = request.param
    d = tmp_path_factory.mktemp(flavor)
    glyphs = standard_glyphs(N_ALL, stroke=100)
    base_glyphs = dict(list(glyphs.items())[:N_BASE])
    base_font = build_ttfont(base_glyphs, flavor=flavor, family="Test Round")
    # Vertical metrics like a CJK font: advance 1000, vertical origin at the ascender (880).
    glyph_set = base_font.getGlyphSet()
    from fontTools.pens.boundsPen import BoundsPen

    vmtx = {}
    for name in base_font.getGlyphOrder():
        pen = BoundsPen(glyph_set)
        glyph_set[name].draw(pen)
        vmtx[name] = (1000, 880 - (pen.bounds[3] if pen.bounds else 880))
    from fontTools.fontBuilder import FontBuilder

    fb = FontBuilder(font=base_font)
    fb.setupNameTable(
        {
            "familyName": "Test Round",
            "styleName": "Regular",
            "fullName": "Test Round Regular",
            "psName": "TestRound-Regular",
            "uniqueFontIdentifier": "1.000;TEST;TestRound-Regular",
        }
    )
    fb.setupVerticalHeader(ascent=500, descent=-500)
    fb.setupVerticalMetrics({n: (a, round(t)) for n, (a, t) in vmtx.items()})
    base = d / f"base.{flavor}"
    base_font.save(str(base))
    full = make_font(d / f"full.{flavor}", glyphs, flavor=flavor)
    transform = font_transform(em_box(open_font(base)), PX)
    cps = list(glyphs)
    images = _render(full, cps, transform)
    # The base's own characters come back too (they must be kept as they were); two glyphs
    # also go to the supplementary plane, which needs a format 12 cmap.
    gen_cps = cps + [SUPPLEMENTARY, SUPPLEMENTARY + 1]
    gen_images = np.concatenate([images, images[-2:]])
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
    gen = write_generated(d / "gen", gen_images, gen_cps, meta)
    out = d / f"out.{flavor}"
    report = assemble(base, gen, out, AssembleOptions(family_suffix=" TC"))
    return {
        "flavor": flavor,
        "dir": d,
        "base": base,
        "out": out,
        "gen": gen,
        "meta": meta,
        "report": report,
        "gen_cps": gen_cps,
        "gen_images": gen_images,
        "transform": transform,
    }


def test_round_trip_renders_back_closely(setup):
    report = setup["report"]
    new = [cp for cp in setup["gen_cps"] if cp not in set(report.already_present)]
    assert list(report.added) == new
    rerendered = _render(setup["out"], new, setup["transform"])
    originals = setup["gen_images"][[setup["gen_cps"].index(cp) for cp in new]]
    iou = ink_iou(rerendered, originals)
    np.testing.assert_allclose(iou, report.iou)
    assert iou.mean() >= 0.95 and iou.min() >= 0.85
    assert report.outline == ("glyf" if setup["flavor"] == "ttf" else "CFF")


def test_existing_characters_are_kept_and_reported(setup):
    report = setup["report"]
    assert list(report.already_present) == setup["gen_cps"][:N_BASE]
    base, out = TTFont(str(setup["base"])), TTFont(str(setup["out"]))
    base_cmap, out_cmap = base.getBestCmap(), out.getBestCmap()
    for cp, name in base_cmap.items():
        assert out_cmap[cp] == name


def test_existing_glyphs_are_byte_identical_and_keep_their_ids(setup):
    base, out = TTFont(str(setup["base"])), TTFont(str(setup["out"]))
    old_order = base.getGlyphOrder()
    assert out.getGlyphOrder()[: len(old_order)] == old_order
    for name in old_order:
        if setup["flavor"] == "ttf":
            assert _raw(out, name) == _raw(base, name), name
        else:
            old_cs = base["CFF "].cff.topDictIndex[0].CharStrings[name]
            new_cs = out["CFF "].cff.topDictIndex[0].CharStrings[name]
            assert new_cs.bytecode == old_cs.bytecode, name
        assert out["hmtx"][name] == base["hmtx"][name]
        assert out["vmtx"][name] == base["vmtx"][name]


def test_cmap_formats_names_and_metrics_of_added_glyphs(setup):
    out = TTFont(str(setup["out"]))
    report = setup["report"]
    bmp = [cp for cp in report.added if cp <= 0xFFFF]
    supp = [cp for cp in report.added if cp > 0xFFFF]
    assert supp == [SUPPLEMENTARY, SUPPLEMENTARY + 1]
    fmt4 = out["cmap"].getcmap(3, 1)
    fmt12 = out["cmap"].getcmap(3, 10)
    assert fmt4.format == 4 and fmt12 is not None and fmt12.format == 12
    for cp in bmp:
        assert fmt4.cmap[cp] == f"uni{cp:04X}" == fmt12.cmap[cp]
    for cp in supp:
        assert cp not in fmt4.cmap and fmt12.cmap[cp] == f"u{cp:05X}"
    glyph_set = out.getGlyphSet()
    from fontTools.pens.boundsPen import BoundsPen

    assert out["maxp"].numGlyphs == len(out.getGlyphOrder())
    for cp in report.added:
        name = out.getBestCmap()[cp]
        pen = BoundsPen(glyph_set)
        glyph_set[name].draw(pen)
        x_min, _, _, y_max = pen.bounds
        advance, lsb = out["hmtx"][name]
        assert advance == 1000 and abs(lsb - x_min) <= 1
        assert (
            out["vmtx"][name] == (1000, round(880 - y_max))
            or abs(out["vmtx"][name][1] - (880 - y_max)) <= 1
        )
        assert out["head"].xMax >= pen.bounds[2] and out["head"].yMin <= pen.bounds[1]


def test_glyf_outlines_are_quadratic_and_cff_cubic(setup):
    from fontTools.pens.recordingPen import RecordingPen

    out = TTFont(str(setup["out"]))
    ops = set()
    glyph_set = out.getGlyphSet()
    for cp in setup["report"].added:
        pen = RecordingPen()
        glyph_set[out.getBestCmap()[cp]].draw(pen)
        ops |= {op for op, _ in pen.value}
    assert ops <= {"moveTo", "lineTo", "qCurveTo", "curveTo", "closePath"}
    assert ("curveTo" in ops) == (setup["flavor"] == "otf")


def test_family_suffix_renames_the_family(setup):
    name = TTFont(str(setup["out"]))["name"]
    assert name.getDebugName(1) == "Test Round TC"
    assert name.getDebugName(4) == "Test Round TC Regular"
    assert name.getDebugName(6) == "TestRoundTC-Regular"
    assert "TestRoundTC-Regular" in name.getDebugName(3)


def test_freetype_loads_the_output_and_draws_a_new_glyph(setup):
    face = freetype.Face(str(setup["out"]))
    face.set_pixel_sizes(0, 64)
    cp = setup["report"].added[0]
    assert face.get_char_index(cp) > 0
    face.load_char(chr(cp))
    bitmap = np.array(face.glyph.bitmap.buffer, np.uint8)
    assert bitmap.size and bitmap.max() > 128
    face.load_char(chr(SUPPLEMENTARY))
    assert max(face.glyph.bitmap.buffer) > 128


# --- refusals: one clear error, nothing written ---------------------------------------------------


def _meta_like(setup, **changes) -> GeneratedMeta:
    fields = {**setup["meta"].__dict__, **changes}
    return GeneratedMeta(**fields)


def test_base_that_is_not_the_target_font_needs_force(setup, tmp_path):
    gen = write_generated(
        tmp_path / "gen",
        setup["gen_images"],
        setup["gen_cps"],
        _meta_like(setup, target_font_sha256="f" * 64),
    )
    out = tmp_path / "out.ttf"
    with pytest.raises(AssembleError, match="not the font these glyphs were generated for"):
        assemble(setup["base"], gen, out)
    assert list(tmp_path.iterdir()) == [gen]
    report = assemble(setup["base"], gen, out, AssembleOptions(force=True))
    assert report.base_mismatch and out.is_file()


def test_existing_output_needs_force(setup, tmp_path):
    out = tmp_path / "out.ttf"
    out.write_bytes(b"keep me")
    with pytest.raises(AssembleError, match="exists"):
        assemble(setup["base"], setup["gen"], out)
    assert out.read_bytes() == b"keep me"
    assemble(setup["base"], setup["gen"], out, AssembleOptions(overwrite=True))
    assert TTFont(str(out)).getBestCmap()[setup["report"].added[0]]


def test_missing_or_empty_glyph_folder(setup, tmp_path):
    with pytest.raises(DatasetError, match="missing or not a directory"):
        assemble(setup["base"], tmp_path / "nope", tmp_path / "o.ttf")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=f"no {GLYPHS_NAME}"):
        assemble(setup["base"], tmp_path / "empty", tmp_path / "o.ttf")
    empty = write_generated(tmp_path / "none", np.zeros((0, PX, PX), np.uint8), [], setup["meta"])
    with pytest.raises(AssembleError, match="holds no glyphs"):
        assemble(setup["base"], empty, tmp_path / "o.ttf")
    assert not (tmp_path / "o.ttf").exists()


def test_bitmaps_of_another_size_are_refused(setup, tmp_path):
    gen = write_generated(tmp_path / "gen", setup["gen_images"], setup["gen_cps"], setup["meta"])
    with h5py.File(gen / GLYPHS_NAME, "a") as f:
        f.attrs["glyph_px"] = PX // 2
    with pytest.raises(DatasetError, match="glyph_px says"):
        assemble(setup["base"], gen, tmp_path / "o.ttf")
    # Images and glyph_px agree, but the recorded transform was made for 96 px.
    small = setup["gen_images"][:, ::4, ::4].copy()
    gen2 = write_generated(
        tmp_path / "gen2", small, setup["gen_cps"], _meta_like(setup, glyph_px=PX // 4)
    )
    with pytest.raises(AssembleError, match="does not fit 24 px bitmaps"):
        assemble(setup["base"], gen2, tmp_path / "o.ttf")
    assert not (tmp_path / "o.ttf").exists()


def test_glyph_limit_is_checked(setup, tmp_path, monkeypatch):
    monkeypatch.setattr(assemble_mod, "MAX_GLYPHS", N_BASE + 5)
    with pytest.raises(AssembleError, match="glyph limit"):
        assemble(setup["base"], setup["gen"], tmp_path / "o.ttf")
    assert not (tmp_path / "o.ttf").exists()


def test_blank_bitmaps_are_not_added(setup, tmp_path):
    images = np.zeros((2, PX, PX), np.uint8)
    images[1, 40:42, 40:42] = 255  # specks of about 4 and 1 px^2
    images[1, 10:11, 10:11] = 255
    gen = write_generated(tmp_path / "gen", images, [0x9000, 0x9001], setup["meta"])
    from glyphrender.assembly.trace import TraceOptions

    opts = AssembleOptions(trace=TraceOptions(min_area=6.0))
    report = assemble(setup["base"], gen, tmp_path / "o.ttf", opts)
    assert report.blank == (0x9000, 0x9001) and report.added == ()


# --- the command line -----------------------------------------------------------------------------


def test_cli_reports_added_kept_and_quality(setup, tmp_path):
    out = tmp_path / "o.ttf"
    result = CliRunner().invoke(
        main,
        [
            "assemble",
            "--base",
            str(setup["base"]),
            "--glyphs",
            str(setup["gen"]),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = setup["report"]
    assert f"added {len(report.added)} glyphs" in result.output
    assert (
        f"kept {N_BASE} characters the base already has (replacements not accepted): U+4E00 U+4E01"
        in result.output
    )
    assert "ink IoU mean" in result.output and "outline points per glyph: median" in result.output


def test_cli_bad_input_is_one_line_and_writes_nothing(setup, tmp_path):
    out = tmp_path / "o.ttf"
    other = make_font(tmp_path / "other.ttf", standard_glyphs(3))
    args = ["assemble", "--base", str(other), "--glyphs", str(setup["gen"]), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"glyphrender: error: {other}:")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["other.ttf"]


def test_cli_defaults_match_the_library():
    from glyphrender.assembly.trace import TraceOptions
    from glyphrender.cli import assemble as cli_assemble

    opts = TraceOptions()
    assert opts.threshold == cli_assemble.DEFAULT_THRESHOLD
    assert opts.min_area == cli_assemble.DEFAULT_MIN_AREA
    assert opts.tolerance == cli_assemble.DEFAULT_TOLERANCE
    assert opts.corner_angle == cli_assemble.DEFAULT_CORNER_ANGLE


def test_variable_fonts_are_refused(setup, tmp_path):
    font = TTFont(str(setup["base"]))
    from fontTools.ttLib import newTable

    font["fvar"] = newTable("fvar")
    font["fvar"].axes, font["fvar"].instances = [], []
    var = tmp_path / "var.ttf"
    buf = io.BytesIO()
    font.save(buf)
    var.write_bytes(buf.getvalue())
    with pytest.raises(GlyphrenderError, match="variable fonts"):
        assemble(var, setup["gen"], tmp_path / "o.ttf", AssembleOptions(force=True))


# --- edited PNGs and the review's decisions -------------------------------------------------------


def _small_folder(setup, tmp_path, count: int = 4):
    """A generated folder of ``count`` glyphs the base lacks; returns (folder, cps, images)."""
    start = N_BASE
    cps = setup["gen_cps"][start : start + count]
    images = setup["gen_images"][start : start + count]
    return write_generated(tmp_path / "gen", images, cps, setup["meta"]), cps, images


def test_an_edited_png_is_used_instead_of_glyphs_h5(setup, tmp_path):
    from PIL import Image

    gen, cps, images = _small_folder(setup, tmp_path)
    edited = images[1].copy()
    edited[8:24, 8:88] = 255  # the font maker draws a bar over the glyph
    # Saved by an image editor as RGB: still read back as the same grey levels.
    Image.fromarray(255 - edited, "L").convert("RGB").save(gen / f"U+{cps[1]:04X}.png")
    report = assemble(setup["base"], gen, tmp_path / "o.ttf")
    assert report.edited == (cps[1],)
    got = _render(tmp_path / "o.ttf", [cps[1]], setup["transform"])
    added_strokes = (edited >= 128) & (images[1] < 128)
    assert added_strokes.sum() > 500
    assert (got[0][added_strokes] >= 128).mean() > 0.9  # not the unedited glyph of glyphs.h5
    assert ink_iou(got, edited[None])[0] > 0.9


def test_an_edited_png_of_another_size_is_one_line_naming_it(setup, tmp_path):
    from PIL import Image

    gen, cps, _ = _small_folder(setup, tmp_path)
    png = gen / f"U+{cps[0]:04X}.png"
    Image.new("L", (PX + 4, PX), 255).save(png)
    out = tmp_path / "o.ttf"
    args = ["assemble", "--base", str(setup["base"]), "--glyphs", str(gen), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"glyphrender: error: {png}: is {PX + 4}x{PX} px; the glyphs of this folder are "
        f"{PX}x{PX} (edit it without resizing)"
    ]
    assert not out.exists()


def test_rejected_glyphs_are_left_out_and_reported(setup, tmp_path):
    from glyphrender.generated.decisions import write_decisions

    gen, cps, _ = _small_folder(setup, tmp_path)
    write_decisions(gen, {cps[0]: "accepted", cps[2]: "rejected"})
    out = tmp_path / "o.ttf"
    args = ["assemble", "--base", str(setup["base"]), "--glyphs", str(gen), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"left out 1 glyphs rejected in the review: U+{cps[2]:04X}" in result.output
    cmap = TTFont(str(out)).getBestCmap()
    assert [cp in cmap for cp in cps] == [True, True, False, True]


def test_only_accepted_keeps_only_accepted_glyphs(setup, tmp_path):
    from glyphrender.generated.decisions import write_decisions

    gen, cps, _ = _small_folder(setup, tmp_path)
    with pytest.raises(AssembleError, match="has no decisions.json for --only-accepted"):
        assemble(setup["base"], gen, tmp_path / "o.ttf", AssembleOptions(only_accepted=True))
    write_decisions(gen, {cps[0]: "accepted", cps[1]: "rejected", cps[3]: "accepted"})
    report = assemble(setup["base"], gen, tmp_path / "o.ttf", AssembleOptions(only_accepted=True))
    assert report.added == (cps[0], cps[3])
    assert report.rejected == (cps[1],) and report.not_accepted == (cps[2],)
    cmap = TTFont(str(tmp_path / "o.ttf")).getBestCmap()
    assert [cp in cmap for cp in cps] == [True, False, False, True]


def test_the_tables_module_example_runs_as_shown():
    """The runnable example in glyphrender.assembly.tables' docstring (make a font, add a
    traced glyph, map it, rename, save, read back) gives the outputs it shows."""
    results = doctest.testmod(tables_mod)
    assert results.failed == 0
    assert results.attempted >= 30  # the example really ran, not an empty docstring


def test_cli_writes_tracing_progress_lines_into_a_log(setup, tmp_path, monkeypatch):
    """Issue #23: stdout that is not a terminal gets plain progress lines (every 30 s; here at
    once), so a long assemble never looks hung in a log."""
    monkeypatch.setenv("ZI2ZI_PROGRESS_INTERVAL", "1e-9")
    out = tmp_path / "o.ttf"
    args = ["assemble", "--base", str(setup["base"]), "--glyphs", str(setup["gen"])]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [x for x in result.output.splitlines() if x.startswith("glyphrender assemble: tracing")]
    n = len(setup["report"].added) + len(setup["report"].blank)
    assert len(lines) >= 2 and f" {n}/{n} (100%) | " in lines[-1], lines
