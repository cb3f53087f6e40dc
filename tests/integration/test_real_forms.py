"""The form oracle on Debian's Noto Sans CJK collection reproduces issue 20's figures.

JP face 0 and TC face 3 share one CFF table, so the answer is exact (glyph identity). The
issue's "9,133 of 13,051" counts the unified ideographs of Big5 levels 1 and 2; over big5-han
(13,063: ten symbol-row ideographs and the two duplicate codes' compatibility ideographs more)
it is 9,135, two of the ten (兝 糎) having regional forms. See docs/forms.md.
"""

from __future__ import annotations

import pytest
from glyphrender.fonts.charsets import named_set, resolve_charset
from glyphrender.fonts.loading import FontRef, open_font
from glyphrender.rendering.formcompare import compare_forms
from realfonts import real_font

CJK_TTC = "NotoSansCJK-Regular.ttc"
ZEN_MARU = "ZenMaruGothic_400Regular.ttf"


@pytest.fixture(scope="module")
def report():
    ttc = real_font(CJK_TTC)
    jp, tc = open_font(FontRef(ttc, 0)), open_font(FontRef(ttc, 3))
    target = open_font(real_font(ZEN_MARU))
    return compare_forms(jp, tc, resolve_charset("big5-han"), target)


def test_jp_and_tc_faces_differ_on_9135_big5_ideographs(report):
    lists = report.lists
    assert lists.method == "glyph-identity"
    assert report.a.name == "Noto Sans CJK JP Regular" and report.b.name.startswith(
        "Noto Sans CJK TC"
    )
    assert (len(lists.same), len(lists.different)) == (3928, 9135)
    assert lists.missing_in_a == () and lists.missing_in_b == ()
    assert {ord(ch) for ch in "紅級這祀令曾才外叫"} <= set(lists.different)


def test_the_issues_9133_of_13051_are_the_unified_ideographs_of_levels_1_and_2(report):
    levels = named_set("big5-1") | named_set("big5-2")
    unified = {cp for cp in levels if not 0xF900 <= cp <= 0xFAFF}
    assert (len(levels), len(unified)) == (13053, 13051)
    assert len(unified & set(report.lists.different)) == 9133
    assert set(report.lists.different) - levels == {ord("兝"), ord("糎")}


def test_zen_maru_glyphs_are_closer_to_jp_for_two_thirds(report):
    near = report.closeness
    drawn = len(near.closer_to_a) + len(near.closer_to_b) + len(near.ties)
    assert drawn == 4153
    assert (len(near.closer_to_a), len(near.closer_to_b), len(near.ties)) == (2771, 1382, 0)
    assert round(len(near.closer_to_a) / drawn, 2) == 0.67
