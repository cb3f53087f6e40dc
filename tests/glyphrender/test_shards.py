"""Shard writing: pre-encoded chunks equal HDF5's own gzip filter, byte for byte."""

from __future__ import annotations

import numpy as np
from glyphrender.dataset.shard_writer import write_shard
from glyphrender.dataset.shards import GlyphBatch


def batch(n=5, px=16):
    rng = np.random.default_rng(0)
    img = (rng.random((n, px, px)) > 0.7).astype(np.uint8) * 255
    return GlyphBatch(
        img, img[::-1].copy(), np.arange(n, dtype=np.uint32) + 0x4E00, np.zeros(n, np.uint16)
    )


def test_encoded_path_equals_h5py_filter_and_is_reproducible(tmp_path):
    import h5py

    b = batch()
    e1 = write_shard(tmp_path / "a.h5", "train", b)
    e2 = write_shard(tmp_path / "b.h5", "train", b)
    assert e1["sha256"] == e2["sha256"]  # no timestamps in the file
    with h5py.File(tmp_path / "a.h5") as f:
        np.testing.assert_array_equal(f["source"][()], b.source)
        np.testing.assert_array_equal(f["target"][()], b.target)
        assert f["source"].compression == "gzip" and f["source"].compression_opts == 1
    # h5py's own filter writes the same chunk bytes
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f.create_dataset(
            "x", data=b.source, chunks=(1, 16, 16), compression="gzip", compression_opts=1
        )
    with h5py.File(tmp_path / "c.h5") as f, h5py.File(tmp_path / "a.h5") as g:
        for i in range(len(b)):
            assert f["x"].id.read_direct_chunk((i, 0, 0)) == g["source"].id.read_direct_chunk(
                (i, 0, 0)
            )


def test_lzf_falls_back_to_the_filter(tmp_path):
    import h5py

    b = batch()
    write_shard(
        tmp_path / "l.h5",
        "missing",
        GlyphBatch(b.source, None, b.codepoint, b.style),
        {"compression": "lzf"},
    )
    with h5py.File(tmp_path / "l.h5") as f:
        assert f["source"].compression == "lzf" and "target" not in f
        np.testing.assert_array_equal(f["source"][()], b.source)


def test_read_shard_returns_one_shard_and_refuses_a_bad_index(tmp_path):
    import pytest
    from glyphrender.dataset.shard_writer import ShardWriter
    from glyphrender.dataset.shards import Dataset, write_manifest
    from glyphrender.errors import DatasetError

    writer = ShardWriter(tmp_path, "train", shard_size=3)
    n = 7
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 8, 8), dtype=np.uint8)
    writer.add(
        GlyphBatch(images, 255 - images, np.arange(n, dtype=np.uint32), np.zeros(n, np.uint16))
    )
    entries = writer.close()
    write_manifest(
        tmp_path,
        {
            "schema_version": 1,
            "glyph_px": 8,
            "fonts": [{"role": "target", "style_id": 0}],
            "splits": {"train": {"count": n, "shards": entries}},
        },
    )
    dataset = Dataset.open(tmp_path)
    assert [e["count"] for e in entries] == [3, 3, 1]
    last = dataset.read_shard("train", 2)
    assert last.codepoint.tolist() == [6] and np.array_equal(last.source[0], images[6])
    with pytest.raises(DatasetError, match="has no shard 3"):
        dataset.read_shard("train", 3)


# --- strict reading: checksums and values ---------------------------------------------------


def _dataset(root, n=6, shard_size=3, style=None, codepoint=None, px=8, num_styles=2):
    """A small two-style dataset written with the library's own writer."""
    from glyphrender.dataset.shard_writer import ShardWriter
    from glyphrender.dataset.shards import write_manifest

    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, px, px), dtype=np.uint8)
    style = np.arange(n, dtype=np.uint16) % 2 if style is None else np.asarray(style, np.uint16)
    cps = np.arange(0x4E00, 0x4E00 + n, dtype=np.uint32) if codepoint is None else codepoint
    writer = ShardWriter(root, "train", shard_size=shard_size)
    writer.add(GlyphBatch(images, 255 - images, np.asarray(cps, np.uint32), style))
    fonts = [{"role": "source", "style_id": None}] + [
        {"role": "target", "style_id": k} for k in range(num_styles)
    ]
    manifest = {
        "schema_version": 1,
        "glyph_px": 8,
        "fonts": fonts,
        "splits": {"train": {"count": n, "shards": writer.close()}},
    }
    write_manifest(root, manifest)
    return root


def _one_line_error(call, *fragments):
    import pytest
    from glyphrender.errors import DatasetError

    with pytest.raises(DatasetError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_a_flipped_byte_in_a_shard_is_refused_naming_the_file(tmp_path):
    from glyphrender.dataset.shards import Dataset

    root = _dataset(tmp_path)
    shard = root / "train-00001.h5"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    ds = Dataset.open(root)
    assert len(ds.read_shard("train", 0)) == 3  # the intact shard still reads
    for call in (
        lambda: ds.read_split("train"),
        lambda: list(ds.iter_shards("train")),
        lambda: ds.read_shard("train", 1),
        lambda: ds.read_samples("train", [4]),
    ):
        _one_line_error(call, str(shard), "sha256 does not match the manifest")


def test_a_truncated_or_missing_shard_is_refused(tmp_path):
    from glyphrender.dataset.shards import Dataset

    root = _dataset(tmp_path)
    shard = root / "train-00000.h5"
    shard.write_bytes(shard.read_bytes()[:100])
    _one_line_error(lambda: Dataset.open(root).read_split("train"), str(shard), "sha256")
    shard.unlink()
    _one_line_error(lambda: Dataset.open(root).read_split("train"), str(shard), "missing")


def test_style_ids_beyond_the_manifests_styles_are_refused(tmp_path):
    from glyphrender.dataset.shards import Dataset

    # Consistent checksums: the shard was written like this, the manifest lists 2 styles.
    root = _dataset(tmp_path, style=[0, 1, 0, 1, 7, 0])
    ds = Dataset.open(root)
    assert len(ds.read_shard("train", 0)) == 3
    message = _one_line_error(
        lambda: ds.read_split("train"), "train-00001.h5", "style id 7", "2 target style(s)"
    )
    assert "sample 1 " in message
    _one_line_error(lambda: ds.read_samples("train", [3]), "train-00001.h5", "style id 7")
    (problem,) = ds.verify()  # inspect --verify: the same check, one line per bad shard
    assert "train-00001.h5: sample 1 has style id 7" in problem


def test_code_points_that_are_not_unicode_scalar_values_are_refused(tmp_path):
    from glyphrender.dataset.shards import Dataset

    for bad in (0xD800, 0x110000, 0xFFFFFFFF):
        root = _dataset(tmp_path / f"{bad:x}", n=4, codepoint=[0x4E00, bad, 0x4E02, 0x4E03])
        _one_line_error(
            lambda root=root: Dataset.open(root).read_split("train"),
            "train-00000.h5",
            f"code point {bad:#x}",
            "not a Unicode scalar value",
        )


def test_images_of_another_size_or_dtype_are_refused(tmp_path):
    import json

    from glyphrender.dataset.shards import Dataset

    root = _dataset(tmp_path)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["glyph_px"] = 16  # the shards hold 8 px images
    (root / "manifest.json").write_text(json.dumps(manifest))
    _one_line_error(
        lambda: Dataset.open(root).read_split("train"), "train-00000.h5", "(3, 16, 16) uint8"
    )


def test_split_counts_that_disagree_with_the_shards_are_refused_at_open(tmp_path):
    import json

    from glyphrender.dataset.shards import Dataset

    root = _dataset(tmp_path)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["splits"]["train"]["count"] = 9
    (root / "manifest.json").write_text(json.dumps(manifest))
    _one_line_error(lambda: Dataset.open(root), "manifest.json", "counts 9", "list 6")


def test_the_manifest_is_written_atomically(tmp_path):
    import pytest
    from glyphrender.dataset.shards import write_manifest

    write_manifest(tmp_path, {"a": 1})
    with pytest.raises(TypeError):
        write_manifest(tmp_path, {"a": object()})  # cannot be serialised
    assert (tmp_path / "manifest.json").read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_a_shard_that_fails_to_write_leaves_nothing_under_its_name(tmp_path, monkeypatch):
    import pytest
    from glyphrender.dataset import shard_writer

    real = shard_writer._create_image_dataset

    def disk_full_at_target(f, name, *args):
        if name == "target":
            raise OSError(28, "No space left on device")
        return real(f, name, *args)

    monkeypatch.setattr(shard_writer, "_create_image_dataset", disk_full_at_target)
    with pytest.raises(OSError, match="No space"):
        write_shard(tmp_path / "train-00000.h5", "train", batch(n=3))  # source already written
    assert list(tmp_path.iterdir()) == []


# --- the typed manifest -----------------------------------------------------------------------


def _rewrite_manifest(root, change):
    """Edit the manifest JSON of the dataset at ``root`` with ``change(manifest)``."""
    import json

    from glyphrender.dataset.shards import MANIFEST_NAME, write_manifest

    manifest = json.loads((root / MANIFEST_NAME).read_text())
    change(manifest)
    write_manifest(root, manifest)


def test_the_typed_manifest_reports_what_the_json_says(tmp_path):
    import json

    from glyphrender.dataset.shards import MANIFEST_NAME, Dataset
    from glyphrender.rendering.transform import Transform

    root = _dataset(tmp_path)
    transform = {"scale": 0.008, "x_offset": 0.5, "y_offset": 7.0}

    def add_details(m):
        m["fonts"][2].update(path="/fonts/Bold.otf", sha256="ab" * 32, family="Zen", style_name="B")
        m["fonts"][2]["transform"] = transform
        m["render"] = {"size": 8, "placement": "center", "margin": 0.1, "clipped": {"count": 2}}

    _rewrite_manifest(root, add_details)
    ds = Dataset.open(root)
    assert ds.glyph_px == 8 and ds.num_styles == 2 and ds.count("train") == 6
    assert ds.has_split("train") and not ds.has_split("val")
    font = ds.target_font(1)
    assert (font.style_id, font.name, font.stem, font.sha256) == (1, "Zen B", "Bold", "ab" * 32)
    assert font.transform == Transform.from_dict(transform)
    assert ds.target_fonts[0].transform is None and ds.source_font.style_id is None
    assert (ds.manifest.placement, ds.manifest.margin, ds.manifest.clipped_count) == (
        "center",
        0.1,
        2,
    )
    assert [(e.file, e.count) for e in ds.shard_entries("train")] == [
        ("train-00000.h5", 3),
        ("train-00001.h5", 3),
    ]
    copy = ds.manifest.to_json()
    assert copy == json.loads((root / MANIFEST_NAME).read_text())
    copy["glyph_px"] = 99  # a copy: the view does not change
    assert ds.manifest.to_json()["glyph_px"] == 8


def test_a_missing_style_and_bad_style_ids_are_refused_in_one_line(tmp_path):
    from glyphrender.dataset.shards import Dataset

    root = _dataset(tmp_path)
    _one_line_error(lambda: Dataset.open(root).target_font(2), "no target style 2", "it has 2")
    _one_line_error(lambda: Dataset.open(root).count("val"), "has no 'val' split")

    def skip_an_id(m):
        m["fonts"][2]["style_id"] = 3

    _rewrite_manifest(root, skip_an_id)
    _one_line_error(lambda: Dataset.open(root), "manifest.json", "target style ids are [0, 3]")

    def drop_the_role(m):
        m["fonts"][2]["style_id"] = 1
        del m["fonts"][1]["role"]

    _rewrite_manifest(root, drop_the_role)
    _one_line_error(lambda: Dataset.open(root), "fonts[1] has no role")


def test_a_manifest_naming_a_shard_outside_the_dataset_or_twice_is_refused(tmp_path):
    from glyphrender.dataset.shards import Dataset

    (tmp_path / "x.h5").write_bytes(b"outside")
    root = _dataset(tmp_path / "ds")

    def outside(manifest):
        manifest["splits"]["train"]["shards"][0]["file"] = "../x.h5"

    _rewrite_manifest(root, outside)
    _one_line_error(lambda: Dataset.open(root), "shard '../x.h5' of split 'train' is not a file")
    root = _dataset(tmp_path / "twice")

    def twice(manifest):
        shards = manifest["splits"]["train"]["shards"]
        shards[1] = dict(shards[0])

    _rewrite_manifest(root, twice)
    _one_line_error(lambda: Dataset.open(root), "shard 'train-00000.h5' is listed more than once")
