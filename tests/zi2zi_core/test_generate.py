"""Generation: which glyphs are generated, in which order and style, and what is written."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from glyphrender.dataset.shard_writer import ShardWriter
from glyphrender.dataset.shards import MANIFEST_NAME, Dataset, GlyphBatch, write_manifest
from glyphrender.generated.folder import read_generated, read_sources
from glyphrender.rendering.transform import Transform
from PIL import Image
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.generate import (
    SourceGlyphs,
    check_out_dir,
    codepoints_for,
    generate_images,
    prepare_inputs,
    resolve_style,
    sources_from_codepoints,
    sources_from_split,
    write_glyphs,
)
from zi2zi_core.models.config import ModelConfig
from zi2zi_core.models.networks import build_generator

PX = 32


def _tiny_generator(num_styles: int) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = ModelConfig(
        glyph_px=PX, base_channels=4, num_styles=num_styles, style_dim=4, d_base_channels=4
    ).resolve(4)
    return build_generator(cfg).eval()


def _shuffle_missing(root, seed: int = 1) -> None:
    """Rewrite the missing split in a scrambled order over several shards."""
    ds = Dataset.open(root)
    batch = ds.read_split("missing")
    order = np.random.default_rng(seed).permutation(len(batch))
    for entry in ds.shard_entries("missing"):
        (root / entry.file).unlink()
    writer = ShardWriter(root, "missing", shard_size=5)
    writer.add(GlyphBatch(batch.source[order], None, batch.codepoint[order], batch.style[order]))
    manifest = ds.manifest.to_json()
    manifest["splits"]["missing"] = {"count": len(batch), "shards": writer.close()}
    write_manifest(root, manifest)


@pytest.fixture
def two_style_data(dataset_factory):
    root = dataset_factory("data", px=PX, n_train=4, n_val=2, n_missing=9, num_styles=2)
    _shuffle_missing(root)
    return Dataset.open(root)


def test_style_selection(dataset_factory, two_style_data):
    one = Dataset.open(dataset_factory("one", px=PX, n_train=2, n_val=1, n_missing=1))
    assert resolve_style(one, None) == 0
    ds = two_style_data
    with pytest.raises(Zi2ziError, match=r"2 target styles; choose one with --style .*1: "):
        resolve_style(ds, None)
    assert resolve_style(ds, "1") == 1
    assert resolve_style(ds, 0) == 0
    assert resolve_style(ds, "dilate2") == 1  # style name, any case
    assert resolve_style(ds, "SyntheticBold-Dilate1") == 0  # file stem
    assert resolve_style(ds, "Synthetic Bold Dilate2") == 1  # family + style name
    with pytest.raises(Zi2ziError, match="matches styles 0, 1"):
        resolve_style(ds, "Synthetic Bold")  # the family of both
    with pytest.raises(Zi2ziError, match="no target style named 'Heavy'"):
        resolve_style(ds, "Heavy")
    with pytest.raises(Zi2ziError, match="no style id 2"):
        resolve_style(ds, "2")


def test_split_sources_are_one_style_in_codepoint_order(two_style_data):
    ds = two_style_data
    raw = ds.read_split("missing")
    assert not np.all(np.diff(raw.codepoint.astype(np.int64)) > 0)  # the shards are scrambled
    glyphs = sources_from_split(ds, "missing", 1)
    assert glyphs.style_id == 1
    assert glyphs.codepoints.tolist() == sorted(raw.codepoint[raw.style == 1].tolist())
    assert len(glyphs.codepoints) == 9
    for cp, image in zip(glyphs.codepoints, glyphs.images, strict=True):
        (row,) = np.flatnonzero((raw.codepoint == cp) & (raw.style == 1))
        np.testing.assert_array_equal(image, raw.source[row])


def test_prepare_inputs_scales_uint8_to_model_range():
    u8 = np.array([[[0, 255], [51, 204]]], dtype=np.uint8)
    source, style = prepare_inputs(u8, [3], "cpu")
    assert source.shape == (1, 1, 2, 2) and source.dtype == torch.float32
    expected = torch.tensor([[[[-1.0, 1.0], [51 / 127.5 - 1, 204 / 127.5 - 1]]]])
    assert torch.allclose(source, expected)
    assert style.dtype == torch.long and style.tolist() == [3]


def test_generated_folder_count_order_and_meta(tmp_path, two_style_data):
    ds = two_style_data
    glyphs = sources_from_split(ds, "missing", 1)
    images = generate_images(_tiny_generator(2), glyphs, batch_size=4, device="cpu")
    assert images.shape == (9, PX, PX) and images.dtype == np.uint8
    out = write_glyphs(tmp_path / "gen" / "run", ds, glyphs, images)
    meta, saved, codepoints = read_generated(out)
    assert codepoints.tolist() == glyphs.codepoints.tolist()
    np.testing.assert_array_equal(saved, images)
    np.testing.assert_array_equal(read_sources(out), glyphs.images)  # for glyphrender review
    pngs = sorted(p.name for p in out.glob("U+*.png"))
    assert pngs == [f"U+{cp:04X}.png" for cp in glyphs.codepoints]
    with Image.open(out / pngs[0]) as png:  # black ink on white
        np.testing.assert_array_equal(np.asarray(png), 255 - images[0])
    font = ds.manifest.to_json()["fonts"][2]  # the style-1 target, as the manifest records it
    assert meta.style_id == 1 and meta.glyph_px == PX and meta.placement == "center"
    assert meta.transform == Transform.from_dict(font["transform"])
    assert meta.target_font_sha256 == font["sha256"]
    assert meta.target_font_path == font["path"]
    manifest_text = (ds.path / MANIFEST_NAME).read_bytes()
    assert json.loads(manifest_text)["glyph_px"] == PX
    assert len(meta.dataset_manifest_sha256) == 64


def test_style_reaches_the_generator(two_style_data):
    ds = two_style_data
    glyphs = sources_from_split(ds, "missing", 0)
    gen = _tiny_generator(2)
    as_0 = generate_images(gen, glyphs, batch_size=16, device="cpu")
    as_1 = generate_images(
        gen, SourceGlyphs(glyphs.codepoints, glyphs.images, 1), batch_size=16, device="cpu"
    )
    assert not np.array_equal(as_0, as_1)


def test_existing_output_is_refused_without_force(tmp_path):
    out = tmp_path / "gen"
    check_out_dir(out, force=False)  # absent: fine
    out.mkdir()
    check_out_dir(out, force=False)  # empty: fine
    (out / "U+4E00.png").write_bytes(b"")
    with pytest.raises(Zi2ziError, match="not empty .*--force"):
        check_out_dir(out, force=False)
    check_out_dir(out, force=True)


def test_chars_are_unique_and_sorted(tmp_path):
    assert codepoints_for("東 永東\n一", None) == [0x4E00, 0x6771, 0x6C38]
    charset = tmp_path / "chars.txt"
    charset.write_text("# mine\nU+4E01\n永\n", encoding="utf-8")
    assert codepoints_for(None, str(charset)) == [0x4E01, 0x6C38]


# --- the command, and characters rendered like the shards ----------------------------------


def _invoke(*args: str):
    from click.testing import CliRunner
    from zi2zi_core.cli import main

    return CliRunner().invoke(main, ["generate", *args, "--device", "cpu"])


def test_generate_command_missing_split(tmp_path, two_style_data, make_run):
    run = make_run(tmp_path / "run", two_style_data.path, num_styles=2)
    out = tmp_path / "gen" / "tiny"
    result = _invoke("--run", str(run), "--out", str(out))
    assert result.exit_code == 1
    assert "2 target styles; choose one with --style" in result.output
    assert not out.exists()

    result = _invoke("--run", str(run), "--out", str(out), "--style", "Dilate2")
    assert result.exit_code == 0, result.output
    meta, images, codepoints = read_generated(out)
    expected = sources_from_split(two_style_data, "missing", 1).codepoints
    assert codepoints.tolist() == expected.tolist() and len(codepoints) == 9
    assert meta.style_id == 1
    assert len(list(out.glob("U+*.png"))) == 9

    again = _invoke("--run", str(run), "--out", str(out), "--style", "0")
    assert again.exit_code == 1 and "not empty" in again.output
    assert read_generated(out)[0].style_id == 1  # untouched
    forced = _invoke("--run", str(run), "--out", str(out), "--style", "0", "--force")
    assert forced.exit_code == 0, forced.output
    assert read_generated(out)[0].style_id == 0


@pytest.fixture
def built_data(tmp_path, font_factory):
    """A dataset built by `glyphrender build` from test fonts: the source draws U+4E00-4E27,
    the target the first 30 of them (so 10 are in the missing split)."""
    from click.testing import CliRunner
    from glyphrender.cli import main as glyphrender_main

    src, dst = font_factory.pair(src_count=40, dst_count=30)
    out = tmp_path / "built"
    args = ["build", "--src", str(src), "--dst", str(dst), "--out", str(out), "--size", str(PX)]
    args += ["--charset", "U+4E00-U+4E27", "--workers", "1", "--shard-size", "7"]
    result = CliRunner().invoke(glyphrender_main, args)
    assert result.exit_code == 0, result.output
    return Dataset.open(out)


class _Recorder(torch.nn.Module):
    """Records the inputs the generator is given and returns them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[torch.Tensor] = []

    def forward(self, source: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        self.sources.append(source.clone())
        return source


def test_chosen_characters_are_rendered_exactly_like_the_shards(built_data):
    ds = built_data
    shards, split_of = {}, {}
    for split in ("train", "val", "missing"):
        batch = ds.read_split(split)
        for cp, image in zip(batch.codepoint, batch.source, strict=True):
            shards[int(cp)], split_of[int(cp)] = image, split
    chosen = [0x4E27, 0x4E26, 0x4E00, 0x4E05] + [cp for cp, s in split_of.items() if s == "val"]
    assert {split_of[cp] for cp in chosen} == {"train", "val", "missing"}
    glyphs = sources_from_codepoints(ds, chosen, style_id=0)
    assert glyphs.codepoints.tolist() == sorted(chosen)
    recorder = _Recorder()
    images = generate_images(recorder, glyphs, batch_size=3, device="cpu")
    fed = torch.cat(recorder.sources)
    expected, _ = prepare_inputs(
        np.stack([shards[cp] for cp in sorted(chosen)]), [0] * len(chosen), "cpu"
    )
    assert torch.equal(fed, expected)  # the generator sees the shard's source, bit for bit
    np.testing.assert_array_equal(images, np.stack([shards[cp] for cp in sorted(chosen)]))


def test_generate_command_chars_and_charset(tmp_path, built_data, make_run):
    run = make_run(tmp_path / "run", built_data.path, num_styles=1)
    out = tmp_path / "gen"
    result = _invoke("--run", str(run), "--out", str(out), "--chars", "\u4e05\u4e01 \u4e01")
    assert result.exit_code == 0, result.output
    assert read_generated(out)[2].tolist() == [0x4E01, 0x4E05]

    charset = tmp_path / "few.txt"
    charset.write_text("U+4E20-U+4E22\n", encoding="utf-8")
    result = _invoke("--run", str(run), "--out", str(out), "--charset", str(charset), "--force")
    assert result.exit_code == 0, result.output
    assert read_generated(out)[2].tolist() == [0x4E20, 0x4E21, 0x4E22]

    both = _invoke(
        "--run", str(run), "--out", str(tmp_path / "x"), "--chars", "a", "--split", "val"
    )
    assert both.exit_code == 2 and "exclude each other" in both.output


def test_characters_the_source_font_lacks_are_listed(tmp_path, built_data, make_run):
    run = make_run(tmp_path / "run", built_data.path, num_styles=1)
    out = tmp_path / "gen"
    result = _invoke("--run", str(run), "--out", str(out), "--chars", "\u4e00\u4e30\u6c38")
    assert result.exit_code == 1
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("zi2zi: error: ")
    assert "U+4E30" in message and "U+6C38" in message and "U+4E00" not in message
    assert not out.exists()


def test_limit_keeps_the_first_characters_in_codepoint_order(tmp_path, two_style_data, make_run):
    ds = two_style_data
    every = sources_from_split(ds, "missing", 1)
    first = sources_from_split(ds, "missing", 1, limit=4)
    assert first.codepoints.tolist() == every.codepoints[:4].tolist()
    np.testing.assert_array_equal(first.images, every.images[:4])
    assert len(sources_from_split(ds, "missing", 1, limit=100).codepoints) == 9
    assert codepoints_for("永東一", None, limit=2) == [0x4E00, 0x6771]
    with pytest.raises(Zi2ziError, match="--limit"):
        codepoints_for("永", None, limit=0)

    run = make_run(tmp_path / "run", ds.path, num_styles=2)
    out = tmp_path / "gen"
    result = _invoke("--run", str(run), "--out", str(out), "--style", "1", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "first 3 characters of the missing split" in result.output
    assert read_generated(out)[2].tolist() == every.codepoints[:3].tolist()
    zero = _invoke("--run", str(run), "--out", str(tmp_path / "z"), "--limit", "0")
    assert zero.exit_code == 2


def test_limit_applies_to_chosen_characters(tmp_path, built_data, make_run):
    run = make_run(tmp_path / "run", built_data.path, num_styles=1)
    out = tmp_path / "gen"
    # The source lacks U+6C38 (永); it lies past the limit, so it is never rendered.
    chars = "\u6c38\u4e05\u4e01\u4e03"
    result = _invoke("--run", str(run), "--out", str(out), "--chars", chars, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert read_generated(out)[2].tolist() == [0x4E01, 0x4E03]


# --- fallback source fonts (--fallback-src) -------------------------------------------------


@pytest.fixture
def fallback_case(tmp_path, font_factory):
    """A dataset whose source draws U+4E00-4E1D (30) and target U+4E00-4E13 (20), built over
    U+4E00-4E27; a fallback font draws all 40 (other strokes); a run of a tiny model."""
    from click.testing import CliRunner
    from fontfactory import standard_glyphs
    from glyphrender.cli import main as glyphrender_main

    src = font_factory.font("src.ttf", standard_glyphs(30, 60), family="Src Sans")
    dst = font_factory.font("dst.ttf", standard_glyphs(20, 110), family="Dst Round")
    fallback = font_factory.font("fb.ttf", standard_glyphs(40, 90), family="Fallback Sans")
    out = tmp_path / "built"
    args = ["build", "--src", str(src), "--dst", str(dst), "--out", str(out), "--size", str(PX)]
    args += ["--charset", "U+4E00-U+4E27", "--workers", "1"]
    assert CliRunner().invoke(glyphrender_main, args).exit_code == 0
    return Dataset.open(out), fallback


def test_generate_with_a_fallback_source(tmp_path, fallback_case, make_run):
    from glyphrender.dataset.sourcelist import open_source_list
    from glyphrender.generated.folder import read_source_fonts

    dataset, fallback = fallback_case
    run = make_run(tmp_path / "run", dataset.path, num_styles=1)
    out = tmp_path / "gen"
    # The missing split (U+4E14-4E1D, from the source) plus what only the fallback draws.
    result = _invoke("--run", str(run), "--out", str(out), "--fallback-src", str(fallback))
    assert result.exit_code == 0, result.output
    assert "missing split with fallbacks (20 characters)" in result.output
    assert "10 from Src Sans Regular" in result.output
    assert "10 from Fallback Sans Regular" in result.output
    _, _, codepoints = read_generated(out)
    assert codepoints.tolist() == list(range(0x4E14, 0x4E28))
    origin = read_source_fonts(out)
    assert [f["name"] for f in origin.fonts] == ["Src Sans Regular", "Fallback Sans Regular"]
    assert origin.font_ids.tolist() == [0] * 10 + [1] * 10
    # The stored source glyphs: the shards' for the source's characters, the fallback's own.
    missing = sources_from_split(dataset, "missing", 0)
    stored = read_sources(out)
    np.testing.assert_array_equal(stored[:10], missing.images)
    expected, _ = open_source_list(dataset, [str(fallback)]).render(list(range(0x4E1E, 0x4E28)))
    np.testing.assert_array_equal(stored[10:], expected)

    # Chosen characters: each from the first font that draws it; --limit counts after merging.
    chars = "\u4e01\u4e25\u4e1d\u4e26"
    again = _invoke(
        "--run", str(run), "--out", str(out), "--force", "--chars", chars,
        "--fallback-src", str(fallback), "--limit", "3",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert read_generated(out)[2].tolist() == [0x4E01, 0x4E1D, 0x4E25]
    assert read_source_fonts(out).font_ids.tolist() == [0, 0, 1]


def test_fallback_refusals_and_the_record_without_fallbacks(tmp_path, fallback_case, make_run):
    from glyphrender.generated.folder import read_source_fonts

    dataset, fallback = fallback_case
    run = make_run(tmp_path / "run", dataset.path, num_styles=1)
    out = tmp_path / "gen"
    val = _invoke("--run", str(run), "--out", str(out), "--split", "val", "--fallback-src", "x")
    assert val.exit_code == 2 and "--fallback-src needs" in val.output
    index = _invoke(
        "--run", str(run), "--out", str(out), "--fallback-src", str(fallback),
        "--fallback-src-index", "0", "--fallback-src-index", "0",
    )  # fmt: skip
    assert index.exit_code == 2 and "given 2 times for 1" in index.output
    lacking = _invoke("--run", str(run), "--out", str(out), "--chars", "\u4e30\u4e01",
                      "--fallback-src", str(fallback))  # fmt: skip
    assert lacking.exit_code == 1 and "no source font draws U+4E30" in lacking.output
    assert not out.exists()
    plain = _invoke("--run", str(run), "--out", str(out), "--chars", "\u4e01\u4e15")
    assert plain.exit_code == 0, plain.output
    origin = read_source_fonts(out)  # without fallbacks every glyph is the dataset source's
    assert origin.font_ids.tolist() == [0, 0] and origin.fonts[0]["name"] == "Src Sans Regular"


@pytest.fixture
def other_source(tmp_path, font_factory, fallback_case):
    """The fallback_case dataset, a font other than its source drawing U+4E00-4E27 (other
    strokes, em box shifted up by 200 units), and the same pair built with it as --src."""
    from click.testing import CliRunner
    from fontfactory import make_collection, standard_glyphs
    from fontTools.ttLib import TTFont
    from glyphrender.cli import main as glyphrender_main

    dataset, _ = fallback_case
    other = font_factory.font("tc.ttf", standard_glyphs(40, 90), family="Other Sans")
    font = TTFont(str(other))
    font["OS/2"].sTypoAscender += 200
    font["OS/2"].sTypoDescender += 200
    font.save(str(other))
    dst = dataset.target_font(0).path
    built = tmp_path / "built-other"
    args = ["build", "--src", str(other), "--dst", dst, "--out", str(built), "--size", str(PX)]
    args += ["--charset", "U+4E00-U+4E27", "--workers", "1"]
    assert CliRunner().invoke(glyphrender_main, args).exit_code == 0
    short = font_factory.font("short.ttf", standard_glyphs(10, 90), family="Short Sans")
    collection = make_collection(tmp_path / "pair.ttc", [short, other])
    return dataset, other, Dataset.open(built), collection


def test_generate_from_another_source_font(tmp_path, other_source, make_run):
    from glyphrender.generated.folder import read_source_fonts

    dataset, other, built, collection = other_source
    run = make_run(tmp_path / "run", dataset.path, num_styles=1)
    out = tmp_path / "gen"
    # Characters the target draws (U+4E00-4E13) are generated too: replacement candidates.
    chars = "\u4e01\u4e13\u4e14\u4e25"
    result = _invoke("--run", str(run), "--out", str(out), "--chars", chars, "--src", str(other))
    assert result.exit_code == 0, result.output
    assert "4 from Other Sans Regular" in result.output
    assert "2 of them the target already draws: replacement candidates" in result.output
    codepoints = read_generated(out)[2].tolist()
    assert codepoints == [0x4E01, 0x4E13, 0x4E14, 0x4E25]
    origin = read_source_fonts(out)
    assert [f["name"] for f in origin.fonts] == ["Other Sans Regular"]
    assert origin.font_ids.tolist() == [0, 0, 0, 0]
    # Each source glyph is the one a dataset built with --src tc.ttf holds (own em box).
    shards = {}
    for split in ("train", "val", "missing"):
        batch = built.read_split(split)
        shards.update(zip(batch.codepoint.tolist(), batch.source, strict=True))
    stored = read_sources(out)
    for row, cp in enumerate(codepoints):
        np.testing.assert_array_equal(stored[row], shards[cp])
    assert not np.array_equal(stored[0], sources_from_codepoints(dataset, [0x4E01], 0).images[0])

    # The missing split from --src: every charset character the target lacks and tc.ttf draws.
    missing = _invoke("--run", str(run), "--out", str(out), "--force", "--src", str(other))
    assert missing.exit_code == 0, missing.output
    assert "missing split from --src (20 characters)" in missing.output
    assert "already draws" not in missing.output
    assert read_generated(out)[2].tolist() == list(range(0x4E14, 0x4E28))

    # The val split drawn by a collection face (--src-index), as that face's own build.
    val = _invoke(
        "--run", str(run), "--out", str(out), "--force", "--split", "val",
        "--src", str(collection), "--src-index", "1",
    )  # fmt: skip
    assert val.exit_code == 0, val.output
    expected = sources_from_split(built, "val", 0)
    assert read_generated(out)[2].tolist() == expected.codepoints.tolist()
    np.testing.assert_array_equal(read_sources(out), expected.images)
    assert read_source_fonts(out).fonts[0]["path"] == f"{collection}#1"


def test_another_source_font_refusals(tmp_path, other_source, make_run):
    dataset, other, _, collection = other_source
    run = make_run(tmp_path / "run", dataset.path, num_styles=1)
    out = tmp_path / "gen"
    # A face that does not draw a requested character: one line naming the face and them.
    lacking = _invoke("--run", str(run), "--out", str(out), "--chars", "\u4e01\u4e0c\u4e0d",
                      "--src", f"{collection}#0")  # fmt: skip
    assert lacking.exit_code == 1
    assert f"{collection}#0: does not draw U+4E0C \u4e0c, U+4E0D \u4e0d" in lacking.output
    assert len(lacking.output.strip().splitlines()) == 1 and not out.exists()
    no_face = _invoke("--run", str(run), "--out", str(out), "--chars", "\u4e01",
                      "--src", str(collection), "--src-index", "5")  # fmt: skip
    assert no_face.exit_code == 1 and len(no_face.output.strip().splitlines()) == 1
    assert str(collection) in no_face.output and not out.exists()
    no_src = _invoke("--run", str(run), "--out", str(out), "--src-index", "1")
    assert no_src.exit_code == 2 and "--src-index needs --src" in no_src.output
    twice = _invoke("--run", str(run), "--out", str(out), "--src", str(other), "--chars", "\u4e01",
                    "--fallback-src", str(other))  # fmt: skip
    assert twice.exit_code == 1 and "already in the source list" in twice.output


# --- blended sources (glyphrender build --blend; generate --blend) ---------------------------


@pytest.fixture
def blend_case(tmp_path, font_factory):
    """build(name, *blend fonts): datasets of one source and target over U+4E00-4E27 (the
    target draws 20), blended with the given fonts; two more designs to blend, drawing all 40."""
    from click.testing import CliRunner
    from fontfactory import standard_glyphs
    from glyphrender.cli import main as glyphrender_main

    src = font_factory.font("src.ttf", standard_glyphs(40, 60), family="Src Sans")
    dst = font_factory.font("dst.ttf", standard_glyphs(20, 110), family="Dst Round")
    jp = font_factory.font("jp.ttf", standard_glyphs(40, 30), family="Thin JP")
    tc = font_factory.font("tc.ttf", standard_glyphs(40, 150), family="Thick TC")

    def build(name: str, *blend) -> Dataset:
        out = tmp_path / name
        args = ["build", "--src", str(src), "--dst", str(dst), "--out", str(out)]
        args += ["--size", str(PX), "--charset", "U+4E00-U+4E27", "--workers", "1"]
        for font in blend:
            args += ["--blend", str(font)]
        result = CliRunner().invoke(glyphrender_main, args)
        assert result.exit_code == 0, result.output
        return Dataset.open(out)

    return build, jp, tc


def test_generate_draws_the_blend_and_swaps_it_with_blend(tmp_path, blend_case, make_run):
    build, jp, tc = blend_case
    trained, swapped = build("jp", jp), build("tc", tc)
    run = make_run(tmp_path / "run", trained.path, num_styles=1)
    out = tmp_path / "gen"
    same = _invoke("--run", str(run), "--out", str(out))
    assert same.exit_code == 0, same.output
    np.testing.assert_array_equal(read_sources(out), trained.read_split("missing").source)
    # --blend tc.ttf: the glyphs a dataset blended with tc.ttf holds, not the trained blend.
    other = _invoke("--run", str(run), "--out", str(out), "--force", "--blend", str(tc))
    assert other.exit_code == 0, other.output
    assert "missing split with --blend (20 characters)" in other.output
    np.testing.assert_array_equal(read_sources(out), swapped.read_split("missing").source)
    assert not np.array_equal(read_sources(out), trained.read_split("missing").source)


def test_blend_must_swap_as_many_fonts_as_the_build_blended(tmp_path, blend_case, make_run):
    build, jp, tc = blend_case
    for name, blend, given in (("jp", (jp,), (jp, tc)), ("plain", (), (tc,))):
        run = make_run(tmp_path / f"run-{name}", build(name, *blend).path, num_styles=1)
        out = tmp_path / f"gen-{name}"
        args = ["--run", str(run), "--out", str(out)]
        for font in given:
            args += ["--blend", str(font)]
        result = _invoke(*args)
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if line]
        assert len(lines) == 1 and f"blended {len(blend)} font(s) into the source" in lines[0]
        assert not out.exists()


def test_generate_counts_the_characters_drawn_from_fewer_blend_fonts(
    tmp_path, blend_case, make_run, font_factory
):
    """The missing split is U+4E14-4E27; part.ttf draws U+4E00-4E1D, so 10 of its 20."""
    from fontfactory import standard_glyphs

    build, jp, _ = blend_case
    part = font_factory.font("part.ttf", standard_glyphs(30, 90), family="Part Gothic")
    run = make_run(tmp_path / "run", build("jp", jp).path, num_styles=1)
    full = _invoke("--run", str(run), "--out", str(tmp_path / "full"))
    assert full.exit_code == 0, full.output
    assert "source blend of 2 fonts: 20 characters drawn by all, 0 by fewer (0 by" in full.output
    assert "review them closely" not in full.output
    swapped = _invoke("--run", str(run), "--out", str(tmp_path / "part"), "--blend", str(part))
    assert swapped.exit_code == 0, swapped.output
    assert (
        "source blend of 2 fonts: 10 characters drawn by all, 10 by fewer "
        "(10 by the source font alone): inputs unlike the full blends it trained on"
        in swapped.output
    )
    plain = make_run(tmp_path / "plain-run", build("plain").path, num_styles=1)
    unblended = _invoke("--run", str(plain), "--out", str(tmp_path / "gen-plain"))
    assert unblended.exit_code == 0, unblended.output
    assert "source blend" not in unblended.output
