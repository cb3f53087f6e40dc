"""zi2zi_core.evaluation.compare.same_form on the real fonts: the studies' same-form subset
(Noto Sans TC against the Japanese face of Noto Sans CJK) keeps characters whose forms agree
and drops those whose Traditional form differs, at the dataset's rendering."""

from __future__ import annotations

from realfonts import real_font
from zi2zi_core.evaluation.compare import same_form

# 一 二 三 口 are drawn alike; 直 and 紅 have regional forms (docs/forms.md).
ALIKE = [ord(ch) for ch in "一二三口"]
REGIONAL = [ord(ch) for ch in "直紅"]


def test_the_japanese_face_agrees_with_tc_only_where_the_forms_agree() -> None:
    tc = real_font("NotoSansTC_400Regular.ttf")
    jp = f"{real_font('NotoSansCJK-Regular.ttc')}#0"  # face 0: Japanese
    same = same_form(tc, jp, ALIKE + REGIONAL + [0x10FFFF], 64)
    assert set(ALIKE) <= same
    assert not set(REGIONAL) & same
    assert 0x10FFFF not in same  # drawn by neither: never in the subset


def test_a_font_agrees_with_itself_everywhere_it_draws() -> None:
    maru = real_font("ZenMaruGothic_400Regular.ttf")
    assert same_form(maru, maru, ALIKE + REGIONAL, 32) == set(ALIKE + REGIONAL)
