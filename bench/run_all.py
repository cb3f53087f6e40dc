"""Run the whole benchmark suite and write bench/results/<YYYY-MM-DD>-<machine>.json.

Each benchmark runs as its own child process (``os.wait4`` returns that child's resource
usage, so its peak RSS is its own and not the suite's). A child writes its JSON to a
temporary file; this script keeps the child's headline ``figures`` (median and every repeat),
its peak RSS, its CUDA peak (reported by the child from ``torch.cuda.max_memory_allocated``)
and its full result, next to the machine, device, versions and load averages.

    python bench/run_all.py                      # quick on CPU, full when CUDA is there
    python bench/run_all.py --quick              # CPU: 3 minutes on an idle 2-core machine
    python bench/run_all.py --device cuda        # GPU: train batch 16/64 x fp32/bf16 x compile
    python bench/run_all.py --device cpu --full  # CPU, more steps, glyphs and batches
    python bench/run_all.py --quick --only train-256 generate-256

Exit status: 0 when every benchmark succeeded, 1 when one failed (the file still records the
others and the failure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SCHEMA = 1


@dataclass(frozen=True)
class Step:
    """One benchmark child: a name unique in the suite and the script's arguments."""

    name: str
    script: str
    args: tuple[str, ...]


def plan(quick: bool, device: str) -> list[Step]:
    """The benchmarks of a mode: --quick takes about 3 minutes on an idle 2-core CPU."""
    gpu = device == "cuda"
    steps = [
        Step("build", "bench_build.py", ("--size", "256", "--repeats", "3")),
        Step(
            "shard-codec",
            "bench_shard_codec.py",
            ("--count", "1000" if quick else "2000", "--repeats", "3"),
        ),
        Step("read", "bench_read.py", ("--size", "256", "--repeats", "3", "--device", device)),
    ]
    # Training: one child per configuration, so each has its own peak memory.
    if gpu:
        for compiled in ("off", "on"):
            for precision in ("fp32", "bf16"):
                for batch in ("16", "64"):
                    tag = f"train-256-b{batch}-{precision}{'-compiled' if compiled == 'on' else ''}"
                    steps.append(
                        Step(
                            tag,
                            "bench_train.py",
                            ("--device", "cuda", "--batch-sizes", batch, "--precisions", precision)
                            + ("--compile", compiled, "--steps", "20", "--warmup", "5")
                            + ("--repeats", "3"),
                        )
                    )
    else:
        cpu_steps = "1" if quick else "2"
        steps.append(
            Step(
                "train-256-b16-fp32",
                "bench_train.py",
                ("--device", "cpu", "--batch-sizes", "16", "--precisions", "fp32")
                + ("--compile", "off", "--steps", cpu_steps, "--warmup", "1", "--repeats", "3"),
            )
        )
    steps.append(
        Step(
            "train-tiny-32",
            "bench_train.py",
            ("--device", device, "--glyph-px", "32", "--base-channels", "8")
            + ("--batch-sizes", "16", "--precisions", "fp32", "--compile", "off")
            + ("--steps", "20" if gpu else "5", "--warmup", "3", "--repeats", "3"),
        )
    )
    batches = "20" if gpu else ("2" if quick else "4")
    for model, tag in (("default-256", "generate-256"), ("tiny-32", "generate-tiny-32")):
        steps.append(
            Step(
                tag,
                "bench_generate.py",
                ("--device", device, "--models", model, "--batch-size", "16")
                + ("--batches", batches, "--repeats", "3"),
            )
        )
    steps.append(
        Step(
            "assemble",
            "bench_assemble.py",
            ("--count", "150" if quick else "500", "--repeats", "3"),
        )
    )
    return steps


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def slug(text: str, words: int = 3) -> str:
    """'AMD EPYC 7B13 64-Core Processor' -> 'amd-epyc-7b13'; drops (R), (TM), clock speeds."""
    text = re.sub(r"\((r|tm)\)|@.*$|\bprocessor\b|\bcpu\b|\d+-core", " ", text.lower())
    parts = re.findall(r"[a-z0-9]+", text)
    return "-".join(parts[:words]) or "unknown"


def gpu_slug(name: str) -> str:
    """'NVIDIA H100 80GB HBM3' -> 'h100'."""
    parts = [p for p in re.findall(r"[a-z0-9]+", name.lower()) if p not in ("nvidia", "geforce")]
    return parts[0] if parts else "gpu"


def torch_probe(device: str) -> dict:
    """torch version and the device, asked in a child so this process never touches CUDA."""
    code = (
        "import json, torch\n"
        "d = {'torch': torch.__version__, 'cuda_available': torch.cuda.is_available(),"
        " 'torch_threads': torch.get_num_threads()}\n"
        "if torch.cuda.is_available():\n"
        "    p = torch.cuda.get_device_properties(0)\n"
        "    d.update(gpu_name=p.name, gpu_memory_gib=round(p.total_memory / 2**30, 1),"
        " cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version())\n"
        "print(json.dumps(d))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    if proc.returncode != 0:
        return {"torch": None, "cuda_available": False, "error": proc.stderr.strip()[-500:]}
    return json.loads(proc.stdout)


def versions(probe: dict) -> dict:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("glyphrender", "zi2zi_core", "numpy", "h5py", "freetype-py", "fonttools"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    found["pillow"] = _version("pillow")
    found["torch"] = probe.get("torch")
    if probe.get("cuda"):
        found["cuda"], found["cudnn"] = probe["cuda"], str(probe.get("cudnn"))
    try:
        import freetype

        found["libfreetype"] = ".".join(map(str, freetype.version()))
    except Exception:  # noqa: BLE001 - informational only
        found["libfreetype"] = None
    try:
        import h5py

        found["libhdf5"] = h5py.version.hdf5_version
    except Exception:  # noqa: BLE001
        found["libhdf5"] = None
    return found


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_step(step: Step, tmp: Path) -> dict:
    """Run one benchmark child; its JSON, peak RSS (os.wait4) and wall time."""
    out = tmp / f"{step.name}.json"
    cmd = [sys.executable, str(BENCH / step.script), *step.args, "--out", str(out)]
    print(f"== {step.name}: {' '.join(cmd[1:])}", flush=True)
    before = load()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=BENCH.parent)
    # wait4, not proc.wait(): it returns the child's own rusage; ru_maxrss is the largest
    # resident set of the child or of any process it waited for (build's workers).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    entry: dict = {
        "name": step.name,
        "script": step.script,
        "args": list(step.args),
        "returncode": proc.returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "load_average_1min": {"before": before[0], "after": load()[0]},
    }
    if proc.returncode == 0 and out.is_file():
        result = json.loads(out.read_text(encoding="utf-8"))
        result.pop("machine", None)  # the suite file names the machine once
        entry["figures"] = result.pop("figures", {})
        entry["cuda_peak_mib"] = result.pop("cuda_peak_mib", None)
        entry["result"] = result
    else:
        entry["error"] = f"exit status {proc.returncode}, no result"
    print(
        f"   {step.name}: exit {proc.returncode}, {wall:.0f} s, peak RSS "
        f"{entry['peak_rss_mib']} MiB",
        flush=True,
    )
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="short runs [the default on CPU]")
    size.add_argument("--full", action="store_true", help="longer runs [the default on CUDA]")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--list", action="store_true", help="print the plan and exit")
    parser.add_argument("--out", help="result path [bench/results/<date>-<machine>.json]")
    args = parser.parse_args()

    probe = torch_probe(args.device)
    device = args.device
    if device == "auto":
        device = "cuda" if probe.get("cuda_available") else "cpu"
    if device == "cuda" and not probe.get("cuda_available") and not args.list:
        print("run_all.py: error: --device cuda but torch sees no CUDA device", file=sys.stderr)
        return 2
    quick = args.quick or (device == "cpu" and not args.full)
    steps = plan(quick, device)
    if args.only:
        unknown = set(args.only) - {s.name for s in steps}
        if unknown:
            names = ", ".join(s.name for s in steps)
            print(f"run_all.py: error: unknown {sorted(unknown)}; known: {names}", file=sys.stderr)
            return 2
        steps = [s for s in steps if s.name in args.only]
    if args.list:
        for s in steps:
            print(s.name, s.script, " ".join(s.args))
        return 0

    cores = os.cpu_count() or 1
    model = cpu_model()
    machine_slug = gpu_slug(probe["gpu_name"]) if device == "cuda" else f"cpu{cores}-{slug(model)}"
    machine = {
        "slug": machine_slug,
        "cpu_model": model,
        "cpu_count": cores,
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory_gib(),
        "os": platform.platform(),
    }
    dev = {"type": device, "torch_threads": probe.get("torch_threads")}
    if device == "cuda":
        dev |= {"name": probe["gpu_name"], "memory_gib": probe["gpu_memory_gib"]}
    else:
        dev["name"] = model
    today = dt.date.today().isoformat()
    target = Path(args.out) if args.out else RESULTS / f"{today}-{machine_slug}.json"
    suite = {
        "schema": SCHEMA,
        "suite": "zi2zi bench/run_all.py",
        "date": today,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "command": ["bench/run_all.py", *sys.argv[1:]],
        "machine": machine,
        "device": dev,
        "versions": versions(probe),
        "statistic": "median over repeats; 'all' lists every repeat",
        "peak_rss_note": "ru_maxrss of the benchmark's child from os.wait4: the largest "
        "single process of its tree, not a sum over worker processes",
        "load_average": {"before": load()},
        "benchmarks": [],
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zi2zi-bench-") as tmp:
        for step in steps:
            suite["benchmarks"].append(run_step(step, Path(tmp)))
    suite["load_average"]["after"] = load()
    suite["wall_s"] = round(time.perf_counter() - t0, 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".tmp")
    partial.write_text(json.dumps(suite, indent=2) + "\n", encoding="utf-8")
    partial.replace(target)
    failed = [b["name"] for b in suite["benchmarks"] if b["returncode"] != 0]
    print(f"wrote {target} ({suite['wall_s']:.0f} s)" + (f"; FAILED: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
