"""Shared helpers of the benchmarks: real fonts, machine description, timing."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def font_path(name: str) -> Path:
    """A real font from fonts/ (scripts/fetch_fonts.py) or the shared copy next to the repo."""
    for folder in (REPO / "fonts", REPO.parent / "shared" / "fonts"):
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"{name}: not found in fonts/ or ../shared/fonts (run scripts/fetch_fonts.py)")


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("glyphrender", "numpy", "h5py", "freetype-py", "fonttools", "pillow"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        import freetype

        versions["libfreetype"] = ".".join(map(str, freetype.version()))
    except Exception:  # noqa: BLE001 - informational only
        pass
    try:
        import h5py

        versions["libhdf5"] = h5py.version.hdf5_version
    except Exception:  # noqa: BLE001
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
