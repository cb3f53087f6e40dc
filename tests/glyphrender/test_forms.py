"""The form oracle (`glyphrender forms`): exact glyph identity for faces that share a glyph
table, outline IoU otherwise, a target placed between the two faces, bad input in one line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fontfactory import frame, make_font, make_regional_collection, standard_shapes
from glyphrender.cli import main
from glyphrender.fonts.charsets import resolve_charset
from glyphrender.fonts.forms import METHOD_IDENTITY, METHOD_OUTLINE, shares_glyph_set
from glyphrender.fonts.loading import FontRef, open_font
from glyphrender.rendering.formcompare import compare_forms

SHAPES = standard_shapes(60)
THICK = standard_shapes(75)  # the same designs with heavier strokes: a "target" style
CHARSET = "U+4E00-U+4E0F"
SHARED = {0x4E00: SHAPES[0], 0x4E01: SHAPES[1], 0x4E02: SHAPES[2]}
# Regional characters: face 0 ("JP") and face 1 ("TC") map them to glyphs of their own.
REGIONAL = {
    0x4E03: (SHAPES[3], SHAPES[4]),
    0x4E04: (SHAPES[5], SHAPES[6]),
    0x4E05: (SHAPES[7], SHAPES[8]),
    0x4E06: (SHAPES[9], None),  # face 1 does not map it
    0x4E07: (None, SHAPES[10]),  # face 0 does not map it
}


@pytest.fixture(params=["otf", "ttf"])
def pan(tmp_path, request):
    """A Pan-CJK-like collection: one glyph table, two cmaps (CFF or glyf outlines)."""
    return make_regional_collection(
        tmp_path / f"pan.{request.param}c", SHARED, REGIONAL, request.param
    )


@pytest.fixture
def target(tmp_path):
    """A target drawing 4E03 like face 0, 4E04 like face 1 (heavier), 4E00 and 4E08 too."""
    glyphs = {0x4E00: THICK[0], 0x4E03: THICK[3], 0x4E04: THICK[6], 0x4E08: THICK[11]}
    return make_font(tmp_path / "target.ttf", glyphs, family="Target Round")


def _forms(*args: str):
    return CliRunner().invoke(main, ["forms", *args])


def test_faces_of_one_collection_sharing_glyphs_are_compared_exactly(pan):
    a, b = open_font(FontRef(pan, 0)), open_font(FontRef(pan, 1))
    assert shares_glyph_set(a, b)
    lists = compare_forms(a, b, resolve_charset(CHARSET)).lists
    assert lists.method == METHOD_IDENTITY and lists.threshold is None
    assert lists.same == (0x4E00, 0x4E01, 0x4E02)
    assert lists.different == (0x4E03, 0x4E04, 0x4E05)
    assert lists.missing_in_a == (0x4E07, *range(0x4E08, 0x4E10))
    assert lists.missing_in_b == (0x4E06, *range(0x4E08, 0x4E10))


def test_faces_that_do_not_share_a_glyph_table_are_compared_by_outline(font_factory, tmp_path):
    glyphs = {0x4E00: SHAPES[0], 0x4E01: SHAPES[1], 0x4E02: SHAPES[2]}
    a = make_font(tmp_path / "a.ttf", glyphs, family="A")
    # b: 4E00 the same outline, 4E01 raised by 5 units (the same form), 4E02 another shape.
    # (Both TrueType: the factory's glyf fonts record lsb 0, so FreeType shifts their x.)
    moved = [(x0, y0 + 5, x1, y1 + 5) for x0, y0, x1, y1 in SHAPES[1]]
    b = make_font(
        tmp_path / "b.ttf", {0x4E00: SHAPES[0], 0x4E01: moved, 0x4E02: SHAPES[5]}, family="B"
    )
    fa, fb = open_font(a), open_font(b)
    assert not shares_glyph_set(fa, fb)
    lists = compare_forms(fa, fb, resolve_charset("U+4E00-U+4E02")).lists
    assert lists.method == METHOD_OUTLINE and lists.threshold == 0.95 and lists.glyph_px == 64
    assert lists.same == (0x4E00, 0x4E01) and lists.different == (0x4E02,)


def test_separate_collections_of_the_same_faces_are_not_one_glyph_table(pan, tmp_path):
    """Glyph IDs mean nothing across files: another file's face is compared by outline."""
    fewer = {cp: v for cp, v in REGIONAL.items() if cp != 0x4E07}  # another file
    other = make_regional_collection(tmp_path / "other.ttc", SHARED, fewer, "ttf")
    a, b = open_font(FontRef(pan, 0)), open_font(FontRef(other, 1))
    assert not shares_glyph_set(a, b)
    assert compare_forms(a, b, resolve_charset(CHARSET)).lists.method == METHOD_OUTLINE


def test_faces_of_a_collection_with_their_own_glyph_tables_are_compared_by_outline(
    font_factory,
):
    ttc = font_factory.collection("own.ttc")  # two faces, different strokes: two glyf tables
    a, b = open_font(FontRef(ttc, 0)), open_font(FontRef(ttc, 1))
    assert not shares_glyph_set(a, b)


def test_target_is_placed_beside_the_face_it_is_closer_to(pan, target):
    a, b = open_font(FontRef(pan, 0)), open_font(FontRef(pan, 1))
    report = compare_forms(a, b, resolve_charset(CHARSET), open_font(target))
    near = report.closeness
    assert near.closer_to_a == (0x4E03,) and near.closer_to_b == (0x4E04,) and near.ties == ()
    # 4E00 has one form in both faces and 4E05 is not drawn by the target: neither is placed.
    assert report.to_dict()["target"]["drawn_with_different_forms"] == 2


def test_identical_regional_glyphs_tie(tmp_path):
    """Two glyph IDs that draw the same outline: different by identity, a tie for a target."""
    pan = make_regional_collection(tmp_path / "tie.otc", {}, {0x4E00: (SHAPES[3], SHAPES[3])})
    tgt = make_font(tmp_path / "t.ttf", {0x4E00: THICK[3]})
    a, b = open_font(FontRef(pan, 0)), open_font(FontRef(pan, 1))
    report = compare_forms(a, b, resolve_charset("U+4E00"), open_font(tgt))
    assert report.lists.different == (0x4E00,)
    assert report.closeness.ties == (0x4E00,)


def test_cli_prints_counts_and_writes_the_lists(pan, target, tmp_path):
    out = tmp_path / "forms.json"
    result = _forms(
        "--a", f"{pan}#0", "--b", f"{pan}#1", "--charset", CHARSET, "--target", str(target),
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "method: glyph-identity" in result.output
    assert "drawn by both: 6  same form: 3  different: 3 (50.0%)" in result.output
    assert "missing in a: 9  missing in b: 9" in result.output
    assert "draws 2 of the 3 characters with different forms" in result.output
    assert "closer to a: 1 (50.0%)  closer to b: 1 (50.0%)  ties: 0" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "glyphrender-forms/1" and data["method"] == "glyph-identity"
    assert data["counts"] == {"same": 3, "different": 3, "missing_in_a": 9, "missing_in_b": 9}
    assert data["different"] == [0x4E03, 0x4E04, 0x4E05]
    assert data["a"]["face_index"] == 0 and data["b"]["face_index"] == 1
    assert data["a"]["sha256"] == open_font(FontRef(pan, 0)).sha256
    assert data["a"]["name"] == "Pan JP Regular" and data["b"]["name"] == "Pan TC Regular"
    assert data["charset"] == {"spec": [CHARSET], "count": 16}
    assert data["target_closer_to_a"] == [0x4E03] and data["target_closer_to_b"] == [0x4E04]
    assert data["target"]["name"] == "Target Round Regular" and data["target"]["glyph_px"] == 64


def test_cli_outline_method_records_its_threshold(tmp_path):
    a = make_font(tmp_path / "a.ttf", {0x4E00: SHAPES[0], 0x4E01: frame(100, 0, 900, 800, 60)})
    b = make_font(tmp_path / "b.ttf", {0x4E00: SHAPES[0], 0x4E01: frame(100, 0, 900, 800, 90)})
    out = tmp_path / "f.json"
    # The two frames overlap at IoU ~0.68: the same form at 0.6, different at the default.
    for threshold, different in (("0.6", []), ("0.95", [0x4E01])):
        result = _forms(
            "--a", str(a), "--b", str(b), "--charset", "U+4E00-U+4E01",
            "--threshold", threshold, "--out", str(out),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"below {threshold} counts as a different form" in result.output
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data["method"] == "outline-iou" and data["threshold"] == float(threshold)
        assert data["glyph_px"] == 64 and data["different"] == different
        assert "target" in data and data["target"] is None and "target_closer_to_a" not in data


@pytest.mark.parametrize(
    ("face", "message"),
    [
        ("{pan}#5", "{pan}: face index 5 out of range: the collection has 2 faces (0-1)"),
        ("{pan}", "{pan}: is a font collection of 2 faces; choose one with {pan}#N"),
        ("{tmp}/nowhere.ttc#0", "{tmp}/nowhere.ttc: no such font file"),
    ],
)
def test_bad_face_is_one_line_and_nothing_is_written(pan, tmp_path, face, message):
    out = tmp_path / "forms.json"
    spec = face.format(pan=pan, tmp=tmp_path)
    result = _forms("--a", f"{pan}#0", "--b", spec, "--charset", CHARSET, "--out", str(out))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glyphrender: error: ")
    assert message.format(pan=pan, tmp=tmp_path) in lines[0]
    assert not out.exists() and list(tmp_path.glob(".forms.json*")) == []


def test_bad_target_is_one_line_and_nothing_is_written(pan, tmp_path):
    out = tmp_path / "forms.json"
    missing = tmp_path / "gone.ttf"
    result = _forms(
        "--a", f"{pan}#0", "--b", f"{pan}#1", "--target", str(missing), "--out", str(out)
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"glyphrender: error: {missing}: no such font file"
    ]
    assert not out.exists()


def test_missing_output_folder_is_refused_before_any_work(pan, tmp_path):
    out = tmp_path / "nowhere" / "forms.json"
    result = _forms("--a", f"{pan}#0", "--b", f"{pan}#1", "--out", str(out))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"glyphrender: error: {out.parent}: output folder does not exist"
    ]


def test_cli_threshold_default_is_the_librarys():
    from glyphrender.cli import forms as cli_forms
    from glyphrender.rendering import formcompare

    assert cli_forms.DEFAULT_THRESHOLD == formcompare.DEFAULT_THRESHOLD
