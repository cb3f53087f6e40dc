"""Assemble on the real Zen Maru Gothic: 500 of its own glyphs, rendered at 256 px like a
dataset build, go back in under code points it lacks; re-rendered they must match."""

from __future__ import annotations

import statistics

import freetype
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from glyphrender.assembly.assemble import assemble
from glyphrender.fonts.loading import FontRef, open_font, present_codepoints
from glyphrender.generated.folder import GeneratedMeta, write_generated
from glyphrender.metrics import ink_iou
from glyphrender.rendering.placement import em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints
from realfonts import real_font

ZEN_MARU = "ZenMaruGothic_400Regular.ttf"
PX = 256
COUNT = 500


def _raw(font: TTFont, name: str) -> bytes:
    """A glyph's stored glyf record (empty glyphs have none)."""
    return getattr(font["glyf"].glyphs[name], "data", b"")


@pytest.fixture(scope="module")
def assembled(tmp_path_factory):
    d = tmp_path_factory.mktemp("real_assemble")
    path = real_font(ZEN_MARU)
    font = open_font(FontRef(path))
    transform = font_transform(em_box(font), PX)
    drawn = sorted(c for c in present_codepoints(font) if 0x4E00 <= c <= 0x9FFF)
    lacking = [c for c in range(0x4E00, 0xA000) if c not in font.cmap]
    rng = np.random.default_rng(7)
    picked = sorted(rng.choice(drawn, COUNT, replace=False).tolist())
    targets = sorted(rng.choice(lacking, COUNT, replace=False).tolist())
    renderer = GlyphRenderer(font.sfnt_bytes, transform, RenderOptions(glyph_px=PX))
    images = render_codepoints(renderer, picked)
    meta = GeneratedMeta(
        style_id=0,
        style_name=font.display_name,
        glyph_px=PX,
        placement="font",
        target_font_sha256=font.sha256,
        target_font_path=str(path),
        transform=transform,
        dataset_manifest_sha256="0" * 64,
    )
    gen = write_generated(d / "gen", images, targets, meta)
    out = d / "ZenMaruGothicTC.ttf"
    report = assemble(path, gen, out)
    return {
        "path": path,
        "out": out,
        "report": report,
        "images": images,
        "targets": targets,
        "transform": transform,
    }


def test_real_glyphs_render_back_with_high_ink_iou(assembled):
    report = assembled["report"]
    assert list(report.added) == assembled["targets"]
    out = open_font(FontRef(assembled["out"]))
    renderer = GlyphRenderer(out.sfnt_bytes, assembled["transform"], RenderOptions(glyph_px=PX))
    iou = ink_iou(render_codepoints(renderer, assembled["targets"]), assembled["images"])
    print(
        f"\n{len(iou)} Zen Maru glyphs at {PX} px: ink IoU mean {iou.mean():.4f} "
        f"median {np.median(iou):.4f} min {iou.min():.4f}; outline points median "
        f"{statistics.median(report.points)}"
    )
    assert iou.mean() >= 0.95
    np.testing.assert_allclose(iou, report.iou)


def test_real_existing_glyphs_untouched_and_freetype_draws_new_ones(assembled):
    base, out = TTFont(str(assembled["path"])), TTFont(str(assembled["out"]))
    order = base.getGlyphOrder()
    assert out.getGlyphOrder()[: len(order)] == order
    for name in order[:: max(1, len(order) // 2000)]:
        assert _raw(out, name) == _raw(base, name), name
        assert out["hmtx"][name] == base["hmtx"][name]
    face = freetype.Face(str(assembled["out"]))
    face.set_pixel_sizes(0, 48)
    face.load_char(chr(assembled["targets"][0]))
    assert max(face.glyph.bitmap.buffer) > 128
