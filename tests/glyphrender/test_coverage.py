"""Coverage of a charset by a source and target fonts."""

from __future__ import annotations

from fontfactory import EMPTY_CP, FIRST_CP, NOTDEF_COPY, standard_glyphs
from glyphrender.fonts.charsets import resolve_charset
from glyphrender.fonts.coverage import compute_coverage
from glyphrender.fonts.loading import FontRef, open_font


def _open(path):
    return open_font(FontRef.parse(str(path)))


def test_pair_coverage(font_factory):
    src, dst = font_factory.pair(src_count=40, dst_count=30)
    cov = compute_coverage(_open(src), [_open(dst)], resolve_charset(["cjk"]))
    assert cov.charset_count == 27584
    assert cov.source_present == 40
    assert cov.shared == tuple(range(FIRST_CP, FIRST_CP + 30))
    assert cov.source_only == tuple(range(FIRST_CP + 30, FIRST_CP + 40))
    (t,) = cov.targets
    assert t.shared == cov.shared and t.missing == cov.source_only and t.target_only == ()
    assert t.name == "Dst Round Regular" and t.present == 30
    assert cov.to_dict()["targets"][0]["shared"] == 30


def test_several_targets_and_charset_limits(font_factory):
    src = font_factory.font("src.otf", standard_glyphs(20), flavor="otf")
    glyphs_a = {cp: s for cp, s in standard_glyphs(25, 90).items() if cp % 2 == 0}
    glyphs_a[EMPTY_CP] = []
    glyphs_b = dict(standard_glyphs(10, 90))
    glyphs_b[FIRST_CP + 5] = NOTDEF_COPY  # mapped to tofu: not drawn
    a = font_factory.font("a.ttf", glyphs_a)
    b = font_factory.font("b.ttf", glyphs_b)
    charset = resolve_charset([f"U+{FIRST_CP:04X}-U+{FIRST_CP + 21:04X}", f"U+{EMPTY_CP:04X}"])
    cov = compute_coverage(_open(src), [_open(a), _open(b)], charset)
    even = {FIRST_CP + i for i in range(0, 22, 2)}
    src_set = set(range(FIRST_CP, FIRST_CP + 20))
    b_set = set(range(FIRST_CP, FIRST_CP + 10)) - {FIRST_CP + 5}
    ta, tb = cov.targets
    assert set(ta.shared) == src_set & even
    assert set(ta.missing) == src_set - even
    assert set(ta.target_only) == {FIRST_CP + 20}  # U+4E14; U+4E16 and up lie outside the charset
    assert set(tb.shared) == b_set and set(tb.missing) == src_set - b_set
    assert set(cov.shared) == src_set & even & b_set
    assert set(cov.source_only) == src_set - even - b_set
    assert cov.charset_count == 23
    for seq in (cov.shared, cov.source_only, ta.shared, ta.missing, tb.missing):
        assert list(seq) == sorted(seq)
