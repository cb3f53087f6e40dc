"""Shard read throughput: the real Noto Sans TC -> Zen Maru Gothic dataset read back.

Builds the cjk dataset at --size px into a temporary folder (the shipped defaults: gzip-1,
one glyph per chunk), then times, each --repeats times:

- ``Dataset.read_split("train")``: the whole paired train split in memory;
- ``Dataset.iter_shards`` over every split (train, val, missing), shard by shard;
- the cost of the reader's checks (sha256 of every shard against the manifest, then values):
  both reads again, with the checks (what every reader does) and with the sha256 skipped,
  alternating repeat by repeat so machine load hits both alike, plus sha256 alone;
- zi2zi's device upload, ``zi2zi_core.training.data.ResidentSampler`` (train split to --device as
  uint8), unless --no-upload or torch is missing.

Figures are samples/s and MB/s of decoded pixels (source + target uint8) and of shard bytes
on disk. The shards were just written, so they sit in the page cache: these are decode
figures, not cold-disk figures.

    python bench/bench_read.py [--size 256] [--repeats 3] [--device cpu] [--out FILE]
    python bench/bench_read.py --no-upload --out bench/results/read-verify-MACHINE.json

Writes bench/results/read-<machine>.json (or --out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, font_path, machine, median_time, write_result  # noqa: E402
from glyphrender.dataset.build import BuildConfig, build_dataset  # noqa: E402
from glyphrender.dataset.manifest import ShardEntry  # noqa: E402
from glyphrender.dataset.shards import PAIRED_SPLITS, Dataset, sha256_file  # noqa: E402
from glyphrender.fonts.loading import FontRef  # noqa: E402
from glyphrender.rendering.render import RenderOptions  # noqa: E402

SPLITS = ("train", "val", "missing")


def split_sizes(ds: Dataset, split: str) -> tuple[int, int]:
    """(decoded pixel bytes, on-disk shard bytes) of one split."""
    count, px = ds.count(split), ds.glyph_px
    images = 2 if split in PAIRED_SPLITS else 1
    disk = sum((ds.path / e.file).stat().st_size for e in ds.shard_entries(split))
    return count * images * px * px, disk


class UncheckedDataset(Dataset):
    """The reader with the sha256 comparison skipped: the baseline of the checks' cost."""

    def _checked_file(self, entry: ShardEntry) -> Path:
        return self.path / entry.file


def verify_cost(ds: Dataset, repeats: int) -> tuple[dict, dict]:
    """Figures and raw times of reading with and without the sha256 check, interleaved."""
    unchecked = UncheckedDataset(ds.path, ds.manifest)
    files = [ds.path / e.file for s in SPLITS for e in ds.shard_entries(s)]

    def iterate(d: Dataset) -> None:
        for split in SPLITS:
            for _ in d.iter_shards(split):
                pass

    cases = {
        "read_split(train)": lambda d: d.read_split("train"),
        "iter_shards(all)": iterate,
    }
    times: dict[str, list[float]] = {}
    for r in range(repeats):
        for name, fn in cases.items():
            # Untimed first: on a busy machine the first of a series of large reads is the
            # slow one (~2x for read_split), whichever reader makes it.
            fn(unchecked)
            order = [("checked", ds), ("unchecked", unchecked)]
            for label, d in order if r % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                fn(d)
                times.setdefault(f"{name} {label}", []).append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for path in files:
            sha256_file(path)
        times.setdefault("sha256 of every shard", []).append(time.perf_counter() - t0)
    figures = {}
    for name in cases:
        checked, unchecked_t = times[f"{name} checked"], times[f"{name} unchecked"]
        figures[f"{name} check overhead %"] = figure(
            [100 * (c / u - 1) for c, u in zip(checked, unchecked_t, strict=True)], "%", 1
        )
    # The steadier measure on a busy machine: what hashing alone costs next to a read of every
    # split, repeat by repeat (both sides see the same load).
    figures["sha256 share of iter_shards(all) %"] = figure(
        [
            100 * h / u
            for h, u in zip(
                times["sha256 of every shard"], times["iter_shards(all) unchecked"], strict=True
            )
        ],
        "%",
        1,
    )
    disk = sum(p.stat().st_size for p in files)
    figures["sha256 of every shard MB/s"] = figure(
        [disk / 1e6 / t for t in times["sha256 of every shard"]], "MB/s", 0
    )
    raw = {k: [round(t, 3) for t in v] for k, v in times.items()}
    raw["medians_s"] = {k: round(statistics.median(v), 3) for k, v in times.items()}
    return figures, raw


def read_figures(ds: Dataset, repeats: int) -> tuple[dict, dict]:
    """Figures and raw times of reading the train split whole and every split shard by shard,
    then the checks' cost (:func:`verify_cost`)."""
    counts = {s: ds.count(s) for s in SPLITS}
    pixels_train, _ = split_sizes(ds, "train")
    disk_all = sum(split_sizes(ds, s)[1] for s in SPLITS)
    _, read_all = median_time(lambda: ds.read_split("train"), repeats)

    def iterate() -> None:
        for split in SPLITS:
            for _ in ds.iter_shards(split):
                pass

    _, iter_all = median_time(iterate, repeats)
    n_train, n_all = counts["train"], sum(counts.values())
    figures = {
        "read_split(train) samples/s": figure([n_train / t for t in read_all], "samples/s", 0),
        "read_split(train) decoded MB/s": figure(
            [pixels_train / 1e6 / t for t in read_all], "MB/s", 1
        ),
        "iter_shards(all) samples/s": figure([n_all / t for t in iter_all], "samples/s", 0),
        "iter_shards(all) disk MB/s": figure([disk_all / 1e6 / t for t in iter_all], "MB/s", 1),
    }
    detail = {
        "read_split_train_s_all": [round(t, 3) for t in read_all],
        "iter_shards_all_s_all": [round(t, 3) for t in iter_all],
    }
    check_figures, detail["checks_s_all"] = verify_cost(ds, repeats)
    figures.update(check_figures)
    return figures, detail


def upload_figures(ds: Dataset, device_name: str, repeats: int) -> tuple[dict, dict, dict | None]:
    """Figures, raw times and the device of zi2zi's upload of the train split; all empty (and
    no device) where torch or zi2zi_core is not importable."""
    try:
        import torch
        from zi2zi_core.training.data import ResidentSampler
    except ImportError:
        print("torch/zi2zi_core not importable: upload timing skipped", file=sys.stderr)
        return {}, {}, None
    device = torch.device(device_name)

    def upload() -> None:
        sampler = ResidentSampler(ds, device, batch_size=16, seed=0)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        sampler.close()

    _, up_all = median_time(upload, repeats)
    figures = {
        f"upload train to {device.type} samples/s": figure(
            [ds.count("train") / t for t in up_all], "samples/s", 0
        )
    }
    device_info = {"type": device.type, "torch": torch.__version__}
    if device.type == "cuda":
        device_info["name"] = torch.cuda.get_device_name(device)
    return figures, {"upload_s_all": [round(t, 3) for t in up_all]}, device_info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="device of the upload timing [cpu]")
    parser.add_argument("--no-upload", action="store_true", help="skip the torch upload timing")
    parser.add_argument("--out", help="result JSON path [bench/results/read-MACHINE.json]")
    args = parser.parse_args()
    load_before = os.getloadavg()
    src, dst = font_path("NotoSansTC_400Regular.ttf"), font_path("ZenMaruGothic_400Regular.ttf")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ds"
        build_dataset(
            BuildConfig(
                FontRef(src),
                (FontRef(dst),),
                out=out,
                render=RenderOptions(glyph_px=args.size),
                workers=os.cpu_count() or 1,
            )
        )
        ds = Dataset.open(out)
        counts = {s: ds.count(s) for s in SPLITS}
        sizes = {s: split_sizes(ds, s) for s in SPLITS}
        figures, detail = read_figures(ds, args.repeats)
        device_info = None
        if not args.no_upload:
            up_figures, up_detail, device_info = upload_figures(ds, args.device, args.repeats)
            figures.update(up_figures)
            detail.update(up_detail)
    result = {
        "benchmark": "read",
        "machine": machine(),
        "device": device_info,
        "glyph_px": args.size,
        "samples": counts,
        "train_decoded_mb": round(sizes["train"][0] / 1e6, 1),
        "train_disk_mb": round(sizes["train"][1] / 1e6, 1),
        "all_decoded_mb": round(sum(p for p, _ in sizes.values()) / 1e6, 1),
        "all_disk_mb": round(sum(d for _, d in sizes.values()) / 1e6, 1),
        "compression": dict(ds.manifest.compression or {}),
        "repeats": args.repeats,
        "statistic": "median",
        "note": "shards just written, so read from the page cache: decode-bound figures",
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
        **detail,
        "figures": figures,
    }
    for name, fig in figures.items():
        print(f"{name:>36}: {fig['median']:>10} {fig['unit']}")
    print("wrote", write_result("read", result, args.out))


if __name__ == "__main__":
    main()
