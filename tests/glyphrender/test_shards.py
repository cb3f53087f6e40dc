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
