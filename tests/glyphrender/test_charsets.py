"""Named sets (counts pinned to what Python's codecs decode), ranges, files, errors."""

from __future__ import annotations

import pytest
from glyphrender.errors import CharsetError
from glyphrender.fonts.charsets import DEFAULT_CHARSET, NAMED_SETS, Charset, resolve_charset


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("cjk", 20992 + 6592),
        ("kana", 183),
        ("ascii", 94),
        ("gb2312", 7445),
        ("gb2312-han", 6763),
        ("big5", 13706),
        ("big5-han", 13063),
        ("big5-1", 5401),
        ("big5-1-han", 5401),
        ("big5-2", 7652),
        ("big5-2-han", 7652),
        ("jis0208", 6879),
        ("jis0208-han", 6356),
        ("ksx1001", 8225),
        ("ksx1001-han", 4888),
    ],
)
def test_named_set_counts(name, count):
    assert name in NAMED_SETS
    charset = resolve_charset([name])
    assert len(charset) == count
    assert charset.spec == (name,)


def test_named_sets_contain_expected_characters():
    assert {ord("一"), 0x9FFF, 0x3400, 0x4DBF} <= resolve_charset(["cjk"]).as_set()
    assert 0x4DC0 not in resolve_charset(["cjk"]).as_set()  # Yijing hexagrams, not Han
    assert {ord("あ"), ord("ア"), ord("ー")} <= resolve_charset(["kana"]).as_set()
    assert 0x3099 not in resolve_charset(["kana"]).as_set()  # combining voicing mark
    assert ord("们") in resolve_charset(["gb2312-han"]).as_set()  # simplified
    assert ord("們") in resolve_charset(["big5-han"]).as_set()  # traditional
    assert ord("們") not in resolve_charset(["gb2312"]).as_set()
    assert ord("한") in resolve_charset(["ksx1001"]).as_set()
    assert ord("ひ") in resolve_charset(["jis0208"]).as_set()


def test_big5_levels_are_the_standards_two_ideograph_ranges():
    level1, level2 = resolve_charset(["big5-1"]).as_set(), resolve_charset(["big5-2"]).as_set()
    assert not level1 & level2
    assert ord("一") in level1 and ord("們") in level1  # A440, common
    assert ord("乂") in level2 and ord("乂") not in level1  # C940, the first of level 2
    # First and last code of each level, decoded: A440, C67E, C940, F9D5.
    ends = [bytes.fromhex(code).decode("big5") for code in ("a440", "c67e", "c940", "f9d5")]
    assert {ord(ch) for ch in ends[:2]} <= level1 and {ord(ch) for ch in ends[2:]} <= level2
    # big5-han adds only ten ideographs of the symbol rows A1-A3 (unit characters such as 兙).
    extra = resolve_charset(["big5-han"]).as_set() - level1 - level2
    assert len(extra) == 10 and ord("兙") in extra
    assert all(bytes.fromhex("a1") <= chr(cp).encode("big5")[:1] <= b"\xa3" for cp in extra)


def test_default_and_case():
    assert DEFAULT_CHARSET == ("cjk",)
    assert resolve_charset(()).spec == DEFAULT_CHARSET
    assert resolve_charset(["CJK"]).codepoints == resolve_charset(["cjk"]).codepoints


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("U+4E00-U+4E0F", range(0x4E00, 0x4E10)),
        ("4e00-4e0f", range(0x4E00, 0x4E10)),
        ("U+4E00", [0x4E00]),
        ("u+20000-u+20002", range(0x20000, 0x20003)),
    ],
)
def test_ranges(spec, expected):
    assert resolve_charset([spec]).codepoints == tuple(expected)


def test_union_sorted_unique():
    charset = resolve_charset(["U+4E05-U+4E0A", "U+4E00-U+4E06", "kana"])
    assert isinstance(charset, Charset)
    assert charset.codepoints == tuple(sorted(set(charset.codepoints)))
    assert set(range(0x4E00, 0x4E0B)) <= charset.as_set() and 0x3041 in charset.as_set()
    assert len(charset) == 11 + 183
    assert charset.to_dict() == {"spec": ["U+4E05-U+4E0A", "U+4E00-U+4E06", "kana"], "count": 194}


def test_file_of_characters_and_codepoints(tmp_path):
    path = tmp_path / "chars.txt"
    path.write_text(
        "\ufeff# a comment line: 這些不算\n"
        "一二 三\n"
        "\n"
        "U+4E07\t万\n"
        "U+4E10-U+4E12\n"
        "  u+4E20  # trailing note\n",
        encoding="utf-8",
    )
    charset = resolve_charset([str(path)])
    # 一 U+4E00, 二 U+4E8C, 三 U+4E09; the comment line's characters are not included
    assert charset.codepoints == (0x4E00, 0x4E07, 0x4E09, 0x4E10, 0x4E11, 0x4E12, 0x4E20, 0x4E8C)


def test_coverage_list_format_reads_back(tmp_path):
    path = tmp_path / "shared.txt"
    path.write_text("U+4E00\t一\nU+4E01\t丁\n", encoding="utf-8")
    assert resolve_charset([str(path)]).codepoints == (0x4E00, 0x4E01)


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ("klingon", "'klingon'.*named set"),
        ("U+4E10-U+4E00", "start U\\+4E10 is after its end"),
        ("U+110000", "beyond U\\+10FFFF"),
        ("", "empty charset spec"),
        ("missing.txt", "'missing.txt'.*existing text file"),
    ],
)
def test_bad_specs(spec, pattern):
    with pytest.raises(CharsetError, match=pattern):
        resolve_charset([spec])


def test_bad_file_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("一\nU+4E0Z\n", encoding="utf-8")
    with pytest.raises(CharsetError, match=rf"{path}:2: bad codepoint line 'U\+4E0Z'"):
        resolve_charset([str(path)])


def test_bad_range_in_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("# ok\nU+4E05-U+4E00\n", encoding="utf-8")
    with pytest.raises(CharsetError, match=rf"{path}:2: range start"):
        resolve_charset([str(path)])


def test_non_utf8_and_empty_files(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(CharsetError, match=rf"{latin}: charset file is not UTF-8"):
        resolve_charset([str(latin)])
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(CharsetError, match="contains no characters"):
        resolve_charset([str(empty)])
    with pytest.raises(CharsetError, match="directory"):
        resolve_charset([str(tmp_path)])
