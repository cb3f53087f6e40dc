"""Shared helpers of the benchmarks: real fonts, machine description, timing."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import sys
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


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (else platform's guess, else 'unknown')."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    model = cpu_model()
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


def figure(values: list[float], unit: str, digits: int = 2) -> dict:
    """A headline figure: the median of the repeats, every repeat, and its unit.

    Each script lists its figures under the result's ``figures`` key; ``run_all.py`` and
    ``report.py`` read only those, so the rest of a script's JSON can stay free-form.
    """
    return {
        "median": round(statistics.median(values), digits),
        "all": [round(v, digits) for v in values],
        "unit": unit,
    }


def cuda_peak_mib() -> float | None:
    """Peak CUDA memory allocated by this process (MiB), or None without CUDA in use."""
    import sys

    torch = sys.modules.get("torch")  # only asked when the script already uses torch
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return None
    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def slug(text: str, words: int = 3) -> str:
    """'AMD EPYC 7B13 64-Core Processor' -> 'amd-epyc-7b13'; drops (R), (TM), clock speeds."""
    text = re.sub(r"\((r|tm)\)|@.*$|\bprocessor\b|\bcpu\b|\d+-core", " ", text.lower())
    parts = re.findall(r"[a-z0-9]+", text)
    return "-".join(parts[:words]) or "unknown"


def gpu_slug(name: str) -> str:
    """'NVIDIA H100 80GB HBM3' -> 'h100'."""
    parts = [p for p in re.findall(r"[a-z0-9]+", name.lower()) if p not in ("nvidia", "geforce")]
    return parts[0] if parts else "gpu"


def machine_slug(device: str | None = None) -> str:
    """The machine part of a result file name: the GPU when this process uses CUDA or
    ``device`` is ``cuda`` (``h100``), else ``cpu<cores>-<cpu model>`` (``cpu2-amd-epyc``)."""
    torch = sys.modules.get("torch")
    if device == "cuda" and torch is None:
        import torch
    in_use = torch is not None and (device == "cuda" or torch.cuda.is_initialized())
    if in_use and torch.cuda.is_available():
        return gpu_slug(torch.cuda.get_device_name())
    return f"cpu{os.cpu_count() or 1}-{slug(cpu_model())}"


def write_result(
    name: str, result: dict, out: str | os.PathLike[str] | None = None, device: str | None = None
) -> Path:
    """Write ``result`` to ``out`` or else ``bench/results/NAME-<machine>.json`` (the
    results' one naming scheme, see bench/README.md; ``device``: the one a child process
    measured on, when this one never touched it; temp name, then rename)."""
    path = Path(out) if out else RESULTS / f"{name}-{machine_slug(device)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    peak = cuda_peak_mib()
    if peak is not None:
        result.setdefault("cuda_peak_mib", peak)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
