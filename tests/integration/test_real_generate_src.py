"""`zi2zi generate --src` on the real collection: a model trained on the JP face draws from the
TC face exactly the glyphs a dataset built with the TC face holds (docs/tc-font.md)."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from glyphrender.cli import main as glyphrender
from glyphrender.dataset.shards import Dataset
from glyphrender.generated.folder import read_generated, read_source_fonts, read_sources
from realfonts import real_font
from zi2zi_core.cli import main as zi2zi

# 紅 級 這 令 曾 才 外 叫: JP and TC forms differ; 說 黃: Zen Maru Gothic lacks them.
CHARS = "紅級這令曾才外叫說黃一二三四五六七八九十"
PX = "32"


def _build(tmp_path, face: int, charset, *extra: str, name: str = "") -> Dataset:
    cjk, maru = real_font("NotoSansCJK-Regular.ttc"), real_font("ZenMaruGothic_400Regular.ttf")
    out = tmp_path / (name or f"face{face}")
    args = ["build", "--src", f"{cjk}#{face}", "--dst", str(maru), "--charset", str(charset)]
    args += extra
    result = CliRunner().invoke(
        glyphrender, [*args, "--size", PX, "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return Dataset.open(out)


def test_generate_src_draws_what_a_tc_build_holds(tmp_path):
    charset = tmp_path / "chars.txt"
    charset.write_text(CHARS, encoding="utf-8")
    jp, tc = _build(tmp_path, 0, charset), _build(tmp_path, 3, charset)
    run = tmp_path / "run"
    train = ["train", "--shards", str(jp.path), "--run", str(run), "--steps", "1"]
    train += ["--base-channels", "4", "--d-base-channels", "4", "--batch-size", "2"]
    result = CliRunner().invoke(zi2zi, [*train, "--device", "cpu"])
    assert result.exit_code == 0, result.output
    cjk = real_font("NotoSansCJK-Regular.ttc")
    out = tmp_path / "gen"
    gen = ["generate", "--run", str(run), "--checkpoint", "last", "--out", str(out)]
    result = CliRunner().invoke(zi2zi, [*gen, "--chars", CHARS, "--src", f"{cjk}#3"])
    assert result.exit_code == 0, result.output
    assert "20 from Noto Sans CJK TC Regular" in result.output
    assert "18 of them the target already draws: replacement candidates" in result.output
    shards = {}
    for split in ("train", "val", "missing"):
        batch = tc.read_split(split)
        shards.update(zip(batch.codepoint.tolist(), batch.source, strict=True))
    codepoints = read_generated(out, images=False)[2].tolist()
    assert sorted(codepoints) == sorted(map(ord, CHARS))
    stored = read_sources(out)
    for row, cp in enumerate(codepoints):  # bit for bit the TC build's source glyph
        np.testing.assert_array_equal(stored[row], shards[cp])
    assert read_source_fonts(out).fonts[0]["path"] == f"{cjk}#3"


def test_generate_from_a_blended_dataset_draws_the_blend_it_trained_on(tmp_path):
    charset = tmp_path / "chars.txt"
    charset.write_text(CHARS, encoding="utf-8")
    kaku = real_font("ZenKakuGothicNew_400Regular.ttf")
    blended = _build(tmp_path, 0, charset, "--blend", str(kaku))
    plain = _build(tmp_path, 0, charset, name="plain")
    assert [f.role for f in blended.manifest.fonts] == ["source", "blend", "target"]
    run = tmp_path / "run"
    train = ["train", "--shards", str(blended.path), "--run", str(run), "--steps", "1"]
    train += ["--base-channels", "4", "--d-base-channels", "4", "--batch-size", "2"]
    result = CliRunner().invoke(zi2zi, [*train, "--device", "cpu"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "gen"
    gen = ["generate", "--run", str(run), "--checkpoint", "last", "--out", str(out)]
    result = CliRunner().invoke(zi2zi, [*gen, "--chars", CHARS])
    assert result.exit_code == 0, result.output
    shards, alone = _sources(blended), _sources(plain)
    codepoints = read_generated(out, images=False)[2].tolist()
    stored = read_sources(out)
    for row, cp in enumerate(codepoints):  # bit for bit the blended build's source glyph
        np.testing.assert_array_equal(stored[row], shards[cp])
    # Zen Kaku Gothic New draws 紅 (so its glyph is blended in) but not 說 (Noto's alone).
    assert not np.array_equal(shards[ord("紅")], alone[ord("紅")])
    np.testing.assert_array_equal(shards[ord("說")], alone[ord("說")])


def _sources(dataset: Dataset) -> dict[int, np.ndarray]:
    out = {}
    for split in ("train", "val", "missing"):
        batch = dataset.read_split(split)
        out.update(zip(batch.codepoint.tolist(), batch.source, strict=True))
    return out
