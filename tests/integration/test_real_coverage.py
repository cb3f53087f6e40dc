"""Coverage on the real fonts, checked against an independent analysis with fontTools."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from glyphrender.fonts.charsets import resolve_charset
from glyphrender.fonts.coverage import compute_coverage
from glyphrender.fonts.loading import FontRef, open_font, present_codepoints
from realfonts import real_font

NOTO = "NotoSansTC_400Regular.ttf"
ZEN_MARU = "ZenMaruGothic_400Regular.ttf"


@pytest.fixture(scope="module")
def noto():
    return open_font(FontRef.parse(str(real_font(NOTO))))


@pytest.fixture(scope="module")
def zen_maru():
    return open_font(FontRef.parse(str(real_font(ZEN_MARU))))


def test_noto_vs_zen_maru_cjk(noto, zen_maru):
    cov = compute_coverage(noto, [zen_maru], resolve_charset(["cjk"]))
    assert len(cov.shared) == 6046
    assert len(cov.source_only) == 9912
    assert cov.targets[0].missing == cov.source_only


def _independent_present(path: Path, codepoints: set[int]) -> set[int]:
    """Drawn = mapped to a glyph whose bounds are not None and differ from .notdef's outline."""
    font = TTFont(str(path))
    cmap = font.getBestCmap()
    glyph_set = font.getGlyphSet()
    glyf = font["glyf"]
    notdef = glyf[".notdef"].getCoordinates(glyf)
    notdef_key = (list(notdef[0]), list(notdef[1]))
    out = set()
    for cp in codepoints:
        name = cmap.get(cp)
        if name is None or name == ".notdef":
            continue
        pen = BoundsPen(glyph_set)
        glyph_set[name].draw(pen)
        if pen.bounds is None:
            continue
        coords, ends, _ = glyf[name].getCoordinates(glyf)
        if (list(coords), list(ends)) == notdef_key:
            continue
        out.add(cp)
    return out


@pytest.mark.parametrize("name", [NOTO, ZEN_MARU])
def test_present_matches_independent_analysis(name):
    path = real_font(name)
    font = open_font(FontRef.parse(str(path)))
    # every 7th CJK codepoint keeps this quick while touching thousands of glyphs
    sample = set(resolve_charset(["cjk"]).codepoints[::7])
    assert present_codepoints(font) & sample == _independent_present(path, sample)


def test_notdef_shapes(noto, zen_maru):
    """Noto's .notdef is a box, Zen Maru's is empty: the rule must work for both."""
    for font, empty in ((noto, False), (zen_maru, True)):
        tt = font.ttfont()
        pen = BoundsPen(tt.getGlyphSet())
        tt.getGlyphSet()[".notdef"].draw(pen)
        assert (pen.bounds is None) is empty


def test_zen_maru_against_big5_levels(zen_maru):
    """`coverage --font`'s counts for the font of issue 20 (Big5 level 1 is most of it)."""
    from glyphrender.fonts.coverage import font_coverage

    rows = font_coverage(zen_maru, [resolve_charset([s]) for s in ("big5-1", "big5-2", "big5-han")])
    assert [(len(r.present), r.count) for r in rows] == [(4469, 5401), (1056, 7652), (5527, 13063)]
