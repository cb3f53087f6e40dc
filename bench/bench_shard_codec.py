"""Shard codec benchmark: write time, read time and size of real 256 px glyphs per codec.

Renders the first N CJK ideographs Noto Sans TC draws, then for each codec writes them as one
shard chunked one glyph per chunk (as glyphrender does) and reads it back. Also times the
per-chunk zlib encode that build workers run in parallel for gzip codecs. Shuffle is measured
too, though for uint8 data HDF5's shuffle filter is the identity (1-byte elements).

    python bench/bench_shard_codec.py [--count 2000] [--size 256] [--repeats 3] [--out FILE]

Writes bench/results/shard-codec-<machine>.json (or --out).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zlib
from pathlib import Path

import h5py
import numpy as np
from fontTools.ttLib import TTFont

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, font_path, machine, median_time, write_result  # noqa: E402
from glyphrender.rendering.placement import em_box, font_transform  # noqa: E402
from glyphrender.rendering.render import GlyphRenderer, RenderOptions, render_codepoints  # noqa: E402


class _Metrics:
    def __init__(self, font: TTFont) -> None:
        os2, hhea = font["OS/2"], font["hhea"]
        self.units_per_em = font["head"].unitsPerEm
        self.typo_ascender, self.typo_descender = os2.sTypoAscender, os2.sTypoDescender
        self.ascender, self.descender = hhea.ascent, hhea.descent


def real_glyphs(count: int, size: int) -> np.ndarray:
    path = font_path("NotoSansTC_400Regular.ttf")
    font = TTFont(path, lazy=True)
    cmap = font.getBestCmap()
    cps = [cp for cp in sorted(cmap) if 0x4E00 <= cp <= 0x9FFF][:count]
    options = RenderOptions(glyph_px=size)
    renderer = GlyphRenderer(
        path.read_bytes(), font_transform(em_box(_Metrics(font)), size), options
    )
    return render_codepoints(renderer, cps)


CODECS = {
    "none": {},
    "lzf": {"compression": "lzf"},
    "lzf+shuffle": {"compression": "lzf", "shuffle": True},
    **{f"gzip-{lv}": {"compression": "gzip", "compression_opts": lv} for lv in (1, 3, 4, 6, 9)},
    "gzip-1+shuffle": {"compression": "gzip", "compression_opts": 1, "shuffle": True},
    "gzip-4+shuffle": {"compression": "gzip", "compression_opts": 4, "shuffle": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="result JSON path [bench/results/shard-codec-MACHINE.json]")
    args = parser.parse_args()
    images = real_glyphs(args.count, args.size)
    n, px = len(images), args.size
    raw_mb = images.nbytes / 1e6
    rows, figures = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, opts in CODECS.items():
            path = Path(tmp) / f"{name}.h5"

            def write(path=path, opts=opts) -> None:
                with h5py.File(path, "w") as f:
                    f.create_dataset("source", data=images, chunks=(1, px, px), **opts)

            def read(path=path) -> None:
                with h5py.File(path, "r") as f:
                    f["source"][()]

            def read_random(path=path) -> None:
                idx = np.random.default_rng(0).choice(n, size=min(n, 256), replace=False)
                with h5py.File(path, "r") as f:
                    ds = f["source"]
                    for i in idx:
                        ds[int(i)]

            write_s, _ = median_time(write, args.repeats)
            read_s, read_all = median_time(read, args.repeats)
            if name in ("none", "gzip-1", "gzip-4"):  # the shipped default and neighbours
                figures[f"{name} read glyphs/s"] = figure([n / t for t in read_all], "glyphs/s", 0)
            rand_s, _ = median_time(read_random, args.repeats)
            row = {
                "codec": name,
                "h5py_options": opts,
                "size_mb": round(path.stat().st_size / 1e6, 3),
                "ratio": round(raw_mb / (path.stat().st_size / 1e6), 2),
                "write_s": round(write_s, 4),
                "read_all_s": round(read_s, 4),
                "read_256_random_ms_per_glyph": round(rand_s / min(n, 256) * 1e3, 4),
            }
            if opts.get("compression") == "gzip":
                level = opts["compression_opts"]

                def encode(level=level) -> None:
                    for img in images:
                        zlib.compress(img.tobytes(), level)

                enc_s, _ = median_time(encode, args.repeats)
                row["zlib_encode_us_per_glyph"] = round(enc_s / n * 1e6, 1)
            rows.append(row)
            print(
                f"{name:16s} {row['size_mb']:8.2f} MB  x{row['ratio']:6.2f}  write {write_s:6.3f} s"
                f"  read {read_s:6.3f} s  rand {row['read_256_random_ms_per_glyph']:.3f} ms/glyph"
                + (
                    f"  encode {row['zlib_encode_us_per_glyph']} us/glyph"
                    if "zlib_encode_us_per_glyph" in row
                    else ""
                )
            )
    result = {
        "benchmark": "shard_codec",
        "machine": machine(),
        "glyphs": n,
        "glyph_px": px,
        "raw_mb": round(raw_mb, 2),
        "repeats": args.repeats,
        "statistic": "median",
        "results": rows,
        "figures": figures,
    }
    print("wrote", write_result("shard-codec", result, args.out))


if __name__ == "__main__":
    main()
