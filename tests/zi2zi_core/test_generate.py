"""Generation: which glyphs are generated, in which order and style, and what is written."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from glyphrender.generated import read_generated
from glyphrender.shards import MANIFEST_NAME, Dataset, GlyphBatch, ShardWriter, write_manifest
from glyphrender.transform import Transform
from PIL import Image
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.generation import (
    SourceGlyphs,
    check_out_dir,
    codepoints_for,
    generate_images,
    prepare_inputs,
    resolve_style,
    sources_from_split,
    write_glyphs,
)
from zi2zi_core.model_config import ModelConfig
from zi2zi_core.networks import build_generator

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
        (root / entry["file"]).unlink()
    writer = ShardWriter(root, "missing", shard_size=5)
    writer.add(GlyphBatch(batch.source[order], None, batch.codepoint[order], batch.style[order]))
    manifest = ds.manifest
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
    pngs = sorted(p.name for p in out.glob("U+*.png"))
    assert pngs == [f"U+{cp:04X}.png" for cp in glyphs.codepoints]
    with Image.open(out / pngs[0]) as png:  # black ink on white
        np.testing.assert_array_equal(np.asarray(png), 255 - images[0])
    font = ds.target_fonts[1]
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
