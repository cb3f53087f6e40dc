"""Run the whole benchmark suite and write bench/results/suite-<machine>-<YYYY-MM-DD>.json.

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
    python bench/run_all.py --plan gpu-check --device cuda   # issue #13's GPU check (studies/gpu)
    python bench/run_all.py --plan gpu-check --device cpu --small  # its CPU rehearsal

Exit status: 0 when every benchmark succeeded, 1 when one failed (the file still records the
others and the failure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from _glyphs import cpu_model, gpu_slug, slug  # bench/ is on sys.path: run as a script

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SCHEMA = 1


@dataclass(frozen=True)
class Step:
    """One benchmark child: a name unique in the suite and the script's arguments."""

    name: str
    script: str
    args: tuple[str, ...]
    timeout_s: float | None = None  # killed after this long (the GPU check's time budget)


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


COMPILED = ("--precisions", "bf16", "--graphs", "both", "--compile", "on", "--mfu")
# The GPU check (#13): every figure of its Done-when in one run, most important first, each
# child with a time limit so the whole fits the speed part's budget (studies/gpu/speed.sh).
# Seconds are the limits on an H200; --small (a CPU rehearsal) uses a tiny model instead.
GPU_CHECK = (
    ("train-eager", "bench_train.py", ("--graphs", "off", "--compile", "off", "--mfu"), 120),
    ("train-graphs", "bench_train.py", ("--graphs", "on", "--compile", "off", "--mfu"), 120),
    (
        "train-graphs-channels-last",
        "bench_train.py",
        ("--precisions", "bf16", "--graphs", "on", "--compile", "off", "--channels-last", "--mfu"),
        90,
    ),
    ("profile-eager-b16", "profile_step.py", ("--batch-size", "16", "--precision", "bf16"), 60),
    (
        "profile-graphs-b16",
        "profile_step.py",
        ("--batch-size", "16", "--precision", "bf16", "--graphs"),
        60,
    ),
    ("train-run-b16-graphs", "bench_train_run.py", ("--batch-size", "16", "--cuda-graphs"), 75),
    # one process per batch size: a second shape in one process makes dynamo recompile dynamic
    ("train-compiled-b16", "bench_train.py", ("--batch-sizes", "16", *COMPILED), 150),
    ("train-run-b64-graphs", "bench_train_run.py", ("--batch-size", "64", "--cuda-graphs"), 75),
    ("train-compiled-b64", "bench_train.py", ("--batch-sizes", "64", *COMPILED), 150),
)


def gpu_check_plan(device: str, small: bool) -> list[Step]:
    """Issue #13's GPU check: batch 16/64 x fp32/bf16 eager and graphed with MFU, profiles,
    ``zi2zi train`` images/s, then torch.compile (slowest to start, so last)."""
    model = ("--glyph-px", "32", "--base-channels", "8") if small else ()
    timing = ("--steps", "2", "--warmup", "1", "--repeats", "1") if small else ()
    timing = timing or ("--steps", "20", "--warmup", "5", "--repeats", "3")
    cpu = device != "cuda"
    steps = []
    for name, script, extra, limit in GPU_CHECK:
        args = ("--device", device, *model)
        if script == "bench_train.py":
            args += ("--batch-sizes", "16,64", "--precisions", "fp32,bf16", *timing, *extra)
        elif script == "profile_step.py":
            args += (*extra, "--steps", "2" if small else "10", "--warmup", "1" if small else "5")
        else:  # bench_train_run.py: the zi2zi train flags go after --
            batch, flags = extra[:2], extra[2:]
            run = ("--steps", "12", "--log-every", "4", "--samples", "64") if small else ()
            run = run or ("--steps", "3000", "--log-every", "100", "--timeout", "45")
            args += (*batch, "--precision", "bf16", *run)
            args += ("--", *flags) if flags and not cpu else ()  # --cuda-graphs: CUDA only
        steps.append(Step(name, script, args, limit * (3 if small else 1)))
    return steps


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


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
    """Run one benchmark child; its JSON, peak RSS (os.wait4) and wall time. A child still
    running at ``step.timeout_s`` is killed (and recorded as such)."""
    out = tmp / f"{step.name}.json"
    cmd = [sys.executable, str(BENCH / step.script), *step.args, "--out", str(out)]
    print(f"== {step.name}: {' '.join(cmd[1:])}", flush=True)
    before = load()
    t0 = time.perf_counter()
    # its own process group, so a kill at the limit also ends what it started (zi2zi train)
    proc = subprocess.Popen(cmd, cwd=BENCH.parent, start_new_session=True)
    kill = functools.partial(os.killpg, proc.pid, signal.SIGKILL)
    timer = threading.Timer(step.timeout_s, kill) if step.timeout_s else None
    if timer is not None:
        timer.start()
    # wait4, not proc.wait(): it returns the child's own rusage; ru_maxrss is the largest
    # resident set of the child or of any process it waited for (build's workers).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    timed_out = timer is not None and not timer.is_alive() and proc.returncode < 0
    if timer is not None:
        timer.cancel()
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
    if out.is_file():  # a child killed at its limit may have written the cases it finished
        result = json.loads(out.read_text(encoding="utf-8"))
        result.pop("machine", None)  # the suite file names the machine once
        entry["figures"] = result.pop("figures", {})
        entry["cuda_peak_mib"] = result.pop("cuda_peak_mib", None)
        entry["result"] = result
        if timed_out:
            entry["error"] = f"killed at its {step.timeout_s:.0f} s limit; the result is partial"
    elif timed_out:
        entry["error"] = f"killed at its {step.timeout_s:.0f} s limit, no result"
    else:
        entry["error"] = f"exit status {proc.returncode}, no result"
    print(
        f"   {step.name}: exit {proc.returncode}, {wall:.0f} s, peak RSS "
        f"{entry['peak_rss_mib']} MiB",
        flush=True,
    )
    return entry


def within_budget(step: Step, budget_s: float | None, spent_s: float) -> Step | None:
    """``step`` with its limit cut to the budget left; None (skipped) under 15 s left."""
    if budget_s is None:
        return step
    left = budget_s - spent_s
    if left < 15:
        print(f"== {step.name}: skipped, {left:.0f} s of the budget left", flush=True)
        return None
    limit = min(step.timeout_s or left, left)
    return Step(step.name, step.script, step.args, limit)


def write_suite(target: Path, suite: dict) -> None:
    """The suite file, whole or not at all (a temporary name, then a rename)."""
    partial = target.with_name(target.name + ".tmp")
    partial.write_text(json.dumps(suite, indent=2) + "\n", encoding="utf-8")
    partial.replace(target)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="short runs [the default on CPU]")
    size.add_argument("--full", action="store_true", help="longer runs [the default on CUDA]")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument(
        "--plan",
        choices=("suite", "gpu-check"),
        default="suite",
        help="suite: every stage; gpu-check: issue #13's training-speed figures [suite]",
    )
    parser.add_argument("--small", action="store_true", help="gpu-check: tiny model (rehearsal)")
    parser.add_argument(
        "--budget-s",
        type=float,
        help="seconds for the whole run: each child's limit is cut to what is left [none]",
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--list", action="store_true", help="print the plan and exit")
    parser.add_argument("--out", help="result path [bench/results/suite-<machine>-<date>.json]")
    return parser.parse_args()


def machine_and_device(device: str, probe: dict) -> tuple[dict, dict]:
    """The suite's ``machine`` (with its file-name slug) and ``device`` records."""
    cores = os.cpu_count() or 1
    model = cpu_model()
    machine = {
        "slug": gpu_slug(probe["gpu_name"]) if device == "cuda" else f"cpu{cores}-{slug(model)}",
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
    return machine, dev


def run_suite(steps: list[Step], budget_s: float | None, suite: dict, target: Path) -> None:
    """Run the steps one by one, rewriting ``target`` after each: a run cut short (a device's
    time limit) keeps what it did."""
    t0 = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zi2zi-bench-") as tmp:
        for step in steps:
            limited = within_budget(step, budget_s, time.perf_counter() - t0)
            if limited is None:
                skipped = {"returncode": None, "error": "skipped: the --budget-s was spent"}
                suite["benchmarks"].append({"name": step.name, "script": step.script, **skipped})
            else:
                suite["benchmarks"].append(run_step(limited, Path(tmp)))
            suite["load_average"]["after"] = load()
            suite["wall_s"] = round(time.perf_counter() - t0, 1)
            write_suite(target, suite)


def main() -> int:
    args = parse_args()
    probe = torch_probe(args.device)
    device = args.device
    if device == "auto":
        device = "cuda" if probe.get("cuda_available") else "cpu"
    if device == "cuda" and not probe.get("cuda_available") and not args.list:
        print("run_all.py: error: --device cuda but torch sees no CUDA device", file=sys.stderr)
        return 2
    quick = args.quick or (device == "cpu" and not args.full)
    steps = gpu_check_plan(device, args.small) if args.plan == "gpu-check" else plan(quick, device)
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

    machine, dev = machine_and_device(device, probe)
    today = dt.date.today().isoformat()
    target = Path(args.out) if args.out else RESULTS / f"suite-{machine['slug']}-{today}.json"
    suite = {
        "schema": SCHEMA,
        "suite": "zi2zi bench/run_all.py",
        "date": today,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": args.plan if args.plan != "suite" else ("quick" if quick else "full"),
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
    run_suite(steps, args.budget_s, suite, target)
    failed = [b["name"] for b in suite["benchmarks"] if b["returncode"] != 0]
    print(f"wrote {target} ({suite['wall_s']:.0f} s)" + (f"; FAILED: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
