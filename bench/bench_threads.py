"""CPU training speed of the demo's model on a quiet and on a shared machine, per thread setting.

Issue #23: on a 2-core machine torch's default (one thread per core, OpenMP threads that spin
while they wait) collapses when another process wants a core. This measures, in ONE run, the
demo's model (64 px, ``--base-channels 16 --d-base-channels 16``, batch 16, fp32, synthetic
stroke shards through the trainer's own data path) for each candidate setting twice: alone
(``idle``) and beside one competing busy process (``contended``: a pure-Python spin loop, one
core's worth of work, as a browser tab or another build would be). The figure that matters is
``contended / idle`` per setting: how much of its own quiet-machine speed a setting keeps.

Each measurement is a fresh child process (OpenMP reads its wait policy once, at load), timed
for ``--seconds`` after ``--warmup`` steps; the settings and conditions are interleaved round
by round so that other load on the machine affects them alike. The 1-minute load average is
recorded before and after each measurement and for the whole run.

    python bench/bench_threads.py                         # 4 settings x 2 conditions x 3 rounds
    python bench/bench_threads.py --seconds 5 --rounds 1  # a rehearsal (about 2 minutes)
    python bench/bench_threads.py --settings 1:passive,2:default

A setting is ``THREADS:WAIT``: THREADS torch threads (``torch.set_num_threads``), WAIT the
OpenMP wait policy (``default``: OMP_WAIT_POLICY unset, libgomp spins a while before
sleeping; ``passive``: waiting threads sleep at once; ``active``: they spin). ``auto`` is what
``zi2zi train`` chooses on this machine (``zi2zi_core.cpu_threads``). Writes
bench/results/threads-<machine>.json (``--name`` / ``--out`` to change).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _glyphs import figure, machine, write_result  # noqa: E402

MODEL = {"base_channels": 16, "d_base_channels": 16}  # scripts/demo.py's training step
GLYPH_PX = 64
BATCH = 16
WAIT_POLICIES = {"default": None, "passive": "PASSIVE", "active": "ACTIVE"}
SPIN = "while True: pass"  # one competing process: a core's worth of pure-Python work


def uptime() -> str:
    """``uptime``'s line (load averages as the machine's owner sees them)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def parse_setting(text: str) -> tuple[str, str]:
    threads, _, wait = text.partition(":")
    if threads == "auto":  # the wait policy is part of what auto chooses
        return "auto", ""
    wait = wait or "default"
    if threads != "auto" and (not threads.isdigit() or int(threads) < 1):
        raise SystemExit(f"--settings: {text!r}: THREADS must be a positive number or auto")
    if wait not in WAIT_POLICIES:
        raise SystemExit(f"--settings: {text!r}: WAIT must be one of {', '.join(WAIT_POLICIES)}")
    return threads, wait


def label(threads: str, wait: str) -> str:
    """``1:passive``; ``auto`` alone."""
    return f"{threads}:{wait}" if wait else threads


def child_env(threads: str, wait: str) -> dict[str, str]:
    """The child's environment: no inherited thread settings, the setting's wait policy."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    env.pop("MKL_NUM_THREADS", None)
    if threads != "auto" and WAIT_POLICIES[wait] is not None:
        env["OMP_WAIT_POLICY"] = WAIT_POLICIES[wait]
    return env


def measure_child(data: Path, threads: str, seconds: float, warmup: int) -> dict:
    """In the child: train the demo's model for ``seconds`` and report images/s (JSON line)."""
    if threads == "auto":  # as zi2zi train does: the wait policy before torch loads
        from zi2zi_core.cpu_threads import (
            apply_cpu_threads,
            choose_cpu_threads,
            prefer_passive_waiting,
        )

        prefer_passive_waiting()
        choice = choose_cpu_threads()
        apply_cpu_threads(choice)
    import torch

    if threads != "auto":
        torch.set_num_threads(int(threads))
    from bench_train import make_trainer

    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(data, Path(tmp) / "run", "cpu", MODEL, batch_size=BATCH)
        t0 = time.perf_counter()
        for _ in range(warmup):  # at least one step; no more than half the timed seconds
            trainer.train_step()
            if time.perf_counter() - t0 > seconds / 2:
                break
        steps, t0 = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < seconds:
            trainer.train_step()
            steps += 1
        trainer.sampler.close()
    out = {
        "torch_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "steps": steps,
        "seconds": round(elapsed, 3),
        "images_per_s": round(steps * BATCH / elapsed, 2),
    }
    if threads == "auto":
        out["auto_reason"] = choice.reason
    return out


def run_child(data: Path, threads: str, wait: str, seconds: float, warmup: int) -> dict:
    cmd = [sys.executable, __file__, "--child", "--data", str(data), "--seconds", str(seconds)]
    cmd += ["--warmup", str(warmup), "--settings", label(threads, wait)]
    proc = subprocess.run(cmd, env=child_env(threads, wait), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench_threads: child {threads}:{wait} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(data: Path, setting: tuple[str, str], contended: bool, args) -> dict:
    """One child run, alone or beside a spinning competitor started a second before."""
    competitor = None
    if contended:
        competitor = subprocess.Popen([sys.executable, "-c", SPIN])
        time.sleep(1.0)
    before = load1()
    try:
        result = run_child(data, *setting, args.seconds, args.warmup)
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    return {**result, "load_average_1min": {"before": before, "after": load1()}}


def summarize(settings: list[tuple[str, str]], runs: list[dict]) -> tuple[list[dict], dict]:
    """Per setting: median images/s idle and contended, their ratio; the headline figures."""
    table, figures = [], {}
    for threads, wait in settings:
        name = label(threads, wait)
        idle = [r["images_per_s"] for r in runs if r["setting"] == name and not r["contended"]]
        busy = [r["images_per_s"] for r in runs if r["setting"] == name and r["contended"]]
        ratios = [b / i for b, i in zip(busy, idle, strict=True)]  # per round: same conditions
        row = {
            "setting": name,
            "idle_images_per_s": round(statistics.median(idle), 2),
            "contended_images_per_s": round(statistics.median(busy), 2),
            "contended_over_idle": round(statistics.median(busy) / statistics.median(idle), 3),
            "contended_over_idle_per_round": [round(r, 3) for r in ratios],
        }
        table.append(row)
        figures[f"{name} idle images/s"] = figure(idle, "images/s")
        figures[f"{name} contended images/s"] = figure(busy, "images/s")
        figures[f"{name} contended/idle"] = figure(ratios, "x", 3)
    return table, figures


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--settings",
        default="1:default,1:passive,2:default,2:passive,auto",
        help="comma list of THREADS:WAIT (or auto) [%(default)s]",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="timed seconds per run [20]")
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed steps first (at most --seconds/2) [3]"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every run [3]")
    parser.add_argument("--note", default="", help="free text kept in the result (the machine)")
    parser.add_argument("--name", help="result bench/results/NAME-<machine>.json [threads]")
    parser.add_argument("--out", help="result JSON path (overrides --name)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    settings = [parse_setting(s) for s in args.settings.split(",") if s]
    if args.child:
        print(json.dumps(measure_child(args.data, settings[0][0], args.seconds, args.warmup)))
        return
    from bench_train import synthetic_dataset

    info = machine()
    started, uptime_before, runs = time.time(), uptime(), []
    print(f"bench_threads: {uptime_before}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        data = synthetic_dataset(Path(tmp) / "data", GLYPH_PX, BATCH * 8 + 16)
        for round_no in range(1, args.rounds + 1):
            for setting in settings:
                for contended in (False, True):
                    r = measure(data, setting, contended, args)
                    r |= {"round": round_no, "setting": label(*setting), "contended": contended}
                    runs.append(r)
                    print(
                        f"  round {round_no} {r['setting']:>10} "
                        f"{'contended' if contended else 'idle':>9}: {r['images_per_s']} images/s "
                        f"({r['torch_threads']} thread(s), load {r['load_average_1min']['before']})",
                        file=sys.stderr,
                    )
    table, figures = summarize(settings, runs)
    uptime_after = uptime()
    print(f"bench_threads: {uptime_after}", file=sys.stderr)
    for row in table:
        print(
            f"  {row['setting']:>10}: idle {row['idle_images_per_s']}, contended "
            f"{row['contended_images_per_s']} images/s, kept {row['contended_over_idle']:.0%}",
            file=sys.stderr,
        )
    result = {
        "benchmark": "threads",
        "what": "demo model (64 px, G/D base channels 16, batch 16, fp32) images/s per thread "
        "setting, alone and beside one busy process (pure-Python spin loop)",
        "date": time.strftime("%Y-%m-%d", time.gmtime(started)),
        "machine": info,
        "note": args.note,
        "uptime": {"before": uptime_before, "after": uptime_after},
        "args": {k: v for k, v in vars(args).items() if k not in ("child", "data")},
        "statistic": "per run: images/s over --seconds after --warmup steps; per setting: "
        "median over rounds; contended/idle per round, and of the medians",
        "table": table,
        "runs": runs,
        "figures": figures,
    }
    print(write_result(args.name or "threads", result, args.out, device="cpu"))


if __name__ == "__main__":
    main()
