"""Characters the user types or lists arrive composed (issue 12): か + U+3099 (decomposed, as
macOS file names and some editors produce it) means が, in ``generate --chars`` and in charset
text files; a character typed alone is kept as typed (NFC would turn the CJK compatibility
ideograph U+F900 into U+8C48, a different code point a font maker may not want)."""

from __future__ import annotations

from click.testing import CliRunner
from fontfactory import standard_glyphs
from glyphrender.fonts.charsets import compose, resolve_charset
from glyphrender.generated.folder import read_generated
from zi2zi_core.cli import main
from zi2zi_core.evaluation.generate import codepoints_for

KA, GA, VOICED = 0x304B, 0x304C, 0x3099
DECOMPOSED_GA = chr(KA) + chr(VOICED)


def test_chars_are_composed_before_they_become_code_points():
    assert codepoints_for(DECOMPOSED_GA + " 永", None) == [GA, 0x6C38]
    assert codepoints_for("\u30cf\u309a", None) == [0x30D1]  # ハ + semi-voiced mark = パ
    assert codepoints_for("\u1100\u1161", None) == [0xAC00]  # Hangul jamo ᄀ + ᅡ = 가


def test_a_character_typed_alone_is_kept_even_where_nfc_would_change_it():
    assert compose("\uf900\u212b") == "\uf900\u212b"  # CJK compatibility 豈, angstrom sign
    assert codepoints_for("\uf900", None) == [0xF900]


def test_charset_files_are_composed(tmp_path):
    listing = tmp_path / "kana.txt"
    listing.write_text(f"# decomposed\n{DECOMPOSED_GA}\u30cf\u309a\n\uf900\n", encoding="utf-8")
    assert resolve_charset([str(listing)]).codepoints == (GA, 0x30D1, 0xF900)
    assert codepoints_for(None, str(listing)) == [GA, 0x30D1, 0xF900]


def test_generate_chars_with_a_decomposed_character_draws_the_composed_one(
    tmp_path, font_factory, make_run
):
    from glyphrender.cli import main as glyphrender_main

    src = font_factory.font("src.ttf", standard_glyphs(12, 60, first=KA), family="Src Sans")
    dst = font_factory.font("dst.ttf", standard_glyphs(8, 110, first=KA), family="Dst Round")
    data = tmp_path / "data"
    args = ["build", "--src", str(src), "--dst", str(dst), "--out", str(data), "--size", "32"]
    args += ["--charset", "U+304B-U+3056", "--workers", "1"]
    built = CliRunner().invoke(glyphrender_main, args)
    assert built.exit_code == 0, built.output
    run = make_run(tmp_path / "run", data, num_styles=1)
    out = tmp_path / "gen"
    args = ["generate", "--run", str(run), "--out", str(out), "--chars", DECOMPOSED_GA]
    result = CliRunner().invoke(main, [*args, "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert read_generated(out)[2].tolist() == [GA]
    assert (out / "U+304C.png").is_file()
