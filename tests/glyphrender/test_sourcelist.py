"""Source lists: each character from the first font that draws it, rendered as a build would."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from fontfactory import build_ttfont, standard_glyphs
from glyphrender.cli import main
from glyphrender.dataset.shards import Dataset
from glyphrender.dataset.sourcelist import NO_SOURCE, open_source_list, target_lacks
from glyphrender.errors import FontError

PX = 32
FIRST = 0x4E00


def _build(tmp_path, src, dst, name: str, placement: str = "font", *extra: str) -> Dataset:
    out = tmp_path / name
    args = ["build", "--src", str(src), "--dst", str(dst), "--out", str(out), "--size", str(PX)]
    args += ["--charset", "U+4E00-U+4E27", "--workers", "1", "--placement", placement, *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return Dataset.open(out)


def _shard_images(dataset: Dataset) -> dict[int, np.ndarray]:
    images = {}
    for split in ("train", "val", "missing"):
        batch = dataset.read_split(split)
        images.update({int(cp): img for cp, img in zip(batch.codepoint, batch.source, strict=True)})
    return images


@pytest.fixture
def fonts(font_factory):
    """Source draws U+4E00-4E13 (20), target U+4E00-4E04 (5), the fallback U+4E0A-4E1D (20,
    other strokes, and an em box placed lower: typo ascender 800, descender -200)."""
    src = font_factory.font("src.ttf", standard_glyphs(20, 60), family="Src Sans")
    dst = font_factory.font("dst.ttf", standard_glyphs(5, 110), family="Dst Round")
    fallback = build_ttfont(
        {cp: shape for cp, shape in standard_glyphs(30, 90).items() if cp >= FIRST + 10},
        family="Fallback Sans",
    )
    fallback["OS/2"].sTypoAscender, fallback["OS/2"].sTypoDescender = 800, -200
    path = font_factory.path("fallback.ttf")
    fallback.save(str(path))
    return src, dst, path


@pytest.mark.parametrize("placement", ["font", "center"])
def test_each_character_comes_from_the_first_font_that_draws_it(tmp_path, fonts, placement):
    src, dst, fallback = fonts
    dataset = _build(tmp_path, src, dst, "data", placement)
    sources = open_source_list(dataset, [str(fallback)])
    assert [f.name for f in sources.fonts] == ["Src Sans Regular", "Fallback Sans Regular"]
    chosen = [FIRST + 3, FIRST + 12, FIRST + 19, FIRST + 20, FIRST + 29]
    images, picks = sources.render(chosen)
    assert picks.tolist() == [0, 0, 0, 1, 1]  # 4E0C and 4E13: both draw them, the source wins

    # The source's glyphs are the shards' bit for bit; a fallback's glyph is the one a dataset
    # built with the fallback as --src holds (its own em box, not the source's).
    shards = _shard_images(dataset)
    for cp, image in zip(chosen[:3], images[:3], strict=True):
        np.testing.assert_array_equal(image, shards[cp])
    fallback_data = _build(tmp_path, fallback, src, "fallback-data", placement)
    as_source = _shard_images(fallback_data)
    for cp, image in zip(chosen[3:], images[3:], strict=True):
        np.testing.assert_array_equal(image, as_source[cp])
    # ... and that em box is not the source's: the two transforms differ.
    assert fallback_data.source_font.transform != dataset.source_font.transform


def test_characters_no_font_draws_are_listed(tmp_path, fonts):
    src, dst, fallback = fonts
    sources = open_source_list(_build(tmp_path, src, dst, "data"), [str(fallback)])
    assert sources.pick([FIRST + 40, FIRST]).tolist() == [NO_SOURCE, 0]
    with pytest.raises(FontError, match=r"no source font draws U\+4E28 .*src\.ttf, .*fallback"):
        sources.render([FIRST, FIRST + 40])


def test_target_lacks_is_the_missing_split_extended_by_the_fallbacks(tmp_path, fonts):
    src, dst, fallback = fonts
    dataset = _build(tmp_path, src, dst, "data")
    missing = sorted(dataset.read_split("missing").codepoint.tolist())
    assert missing == list(range(FIRST + 5, FIRST + 20))
    assert target_lacks(dataset, 0, open_source_list(dataset, [])) == missing
    # The fallback adds U+4E14-4E1D; the build's charset (U+4E00-4E27) bounds the list.
    extended = target_lacks(dataset, 0, open_source_list(dataset, [str(fallback)]))
    assert extended == list(range(FIRST + 5, FIRST + 30))


def test_a_font_given_twice_is_refused(tmp_path, fonts):
    src, dst, fallback = fonts
    dataset = _build(tmp_path, src, dst, "data")
    with pytest.raises(FontError, match="already in the source list"):
        open_source_list(dataset, [str(src)])
    with pytest.raises(FontError, match="no such font file"):
        open_source_list(dataset, [str(tmp_path / "nope.ttf")])


def test_every_font_of_the_list_takes_the_sources_place_in_a_blend(tmp_path, fonts, font_factory):
    src, dst, fallback = fonts
    thin = font_factory.font("thin.ttf", standard_glyphs(40, 30), family="Thin Sans")
    dataset = _build(tmp_path, src, dst, "data", "font", "--blend", str(thin))
    images, picks = open_source_list(dataset, [str(fallback)]).render([FIRST + 3, FIRST + 25])
    assert picks.tolist() == [0, 1]
    # The source's glyph is the shards' (blended) one; the fallback's is the one a dataset
    # built with it as --src and the same --blend holds, not the fallback alone.
    np.testing.assert_array_equal(images[0], _shard_images(dataset)[FIRST + 3])
    blended = _build(tmp_path, fallback, src, "fb-blend", "font", "--blend", str(thin))
    np.testing.assert_array_equal(images[1], _shard_images(blended)[FIRST + 25])
    alone = _build(tmp_path, fallback, src, "fb-alone")
    assert not np.array_equal(images[1], _shard_images(alone)[FIRST + 25])
