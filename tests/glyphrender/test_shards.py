"""Shard writing: pre-encoded chunks equal HDF5's own gzip filter, byte for byte."""

from __future__ import annotations

import numpy as np
from glyphrender.shards import GlyphBatch, write_shard


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
    from glyphrender.errors import DatasetError
    from glyphrender.shards import Dataset, ShardWriter, write_manifest

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
            "fonts": [],
            "splits": {"train": {"count": n, "shards": entries}},
        },
    )
    dataset = Dataset.open(tmp_path)
    assert [e["count"] for e in entries] == [3, 3, 1]
    last = dataset.read_shard("train", 2)
    assert last.codepoint.tolist() == [6] and np.array_equal(last.source[0], images[6])
    with pytest.raises(DatasetError, match="has no shard 3"):
        dataset.read_shard("train", 3)
