#!/usr/bin/env python3
"""The one GPU entry point: the open GPU questions in priority order within one time budget.

Usage (on a machine with a CUDA GPU, in the repository root; ``run.sh`` calls this)::

    bash studies/gpu/run.sh [BUDGET_S] [OUT]     # default 540 s, studies/gpu/results/<date>/

Parts, in priority order, each a script here run with its own deadline:

1. ``quality`` (quality.sh): the 256 px quality runs of docs/quality.md, and the form-true
   source pairs (face 0, Japanese, of fonts/NotoSansCJK-Regular.ttc -> Zen Maru Gothic).
2. ``speed`` (speed.sh): the speed table at batch 16 and 64 (bench/run_all.py --plan gpu-check).
3. ``normalization`` (normalization.sh): the normalization study of
   studies/normalization-gpu, as far as the time allows.

The budget counts from this script's start, setup included. Before each part the time left
(less a reserve for the summary) is given to it, up to what it wants; a part that would get
less than its minimum is skipped and the summary says why. A part gets its seconds in
``PART_BUDGET`` and plans inside them (its own deadlines, then packing its results into OUT);
at its deadline it is sent SIGINT, and ``GRACE_S`` later SIGKILL, and what it left in OUT is
kept. OUT ends with at most 8 files, none over 16 MiB, no folders (see ``check_out``).

Environment: ``SMALL=1`` (tiny sizes) and ``DEV=cpu`` rehearse the same code paths on a CPU;
``PY`` the Python to use; ``QUALITY_S`` / ``SPEED_S`` / ``NORMALIZATION_S`` what each part
wants. Exit status: 0 when every part finished or was skipped for time, 1 when a part failed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from glyphrender.atomic import write_text_atomic

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_BUDGET_S = 540.0
RESERVE_S = 10.0  # kept back for the summary and the checks of OUT
GRACE_S = 20.0  # from SIGINT at a part's deadline to SIGKILL
MAX_FILES, MAX_BYTES = 8, 16 * 2**20  # what OUT may hold


@dataclass(frozen=True)
class Part:
    """One question: its script and how many seconds it wants and needs at least."""

    name: str
    question: str
    command: tuple[str, ...]
    wants_s: float
    min_s: float


@dataclass
class Outcome:
    """What became of a part: ``finished``, ``stopped`` (at its deadline), ``failed`` (exit
    status), or ``skipped`` (with the reason); its seconds given and used."""

    name: str
    question: str
    status: str
    given_s: float = 0.0
    used_s: float = 0.0
    detail: str = ""


def parts(small: bool, env: dict[str, str]) -> list[Part]:
    """The three parts in priority order; SMALL=1 wants less (a tiny-size rehearsal)."""

    def wants(key: str, full: float, tiny: float) -> float:
        return float(env.get(key, tiny if small else full))

    return [
        Part(
            "quality",
            "256 px quality: do dropout 0 / no augmentation / edge L1 beat the defaults, "
            "and does a form-true (Japanese) source?",
            ("bash", str(HERE / "quality.sh")),
            wants("QUALITY_S", 360, 240),
            90 if not small else 45,
        ),
        Part(
            "speed",
            "training speed at batch 16 and 64 (fp32/bf16, eager/graphs, compiled)",
            ("bash", str(HERE / "speed.sh")),
            wants("SPEED_S", 170, 100),
            60 if not small else 30,
        ),
        Part(
            "normalization",
            "which normalization for G and D, at 128 px with two seeds",
            ("bash", str(HERE / "normalization.sh")),
            wants("NORMALIZATION_S", 480, 150),
            150 if not small else 45,
        ),
    ]


def allot(part: Part, left_s: float) -> tuple[float, str]:
    """Seconds to give ``part`` with ``left_s`` left (0 and the reason when it is skipped)."""
    if part.wants_s <= 0:
        return 0.0, "skipped: asked for 0 s"
    if left_s < part.min_s:
        return 0.0, f"skipped: {max(left_s, 0):.0f} s left, it needs at least {part.min_s:.0f} s"
    return min(part.wants_s, left_s), ""


def run_part(
    part: Part, given_s: float, env: dict[str, str], clock: Callable[[], float]
) -> Outcome:
    """Run ``part`` in its own process group with ``PART_BUDGET``; stop it at its deadline."""
    start = clock()
    proc = subprocess.Popen(
        part.command, env={**env, "PART_BUDGET": f"{given_s:.0f}"}, start_new_session=True
    )
    status, detail = "finished", ""
    try:
        code = proc.wait(timeout=given_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)
        status, detail = (
            "stopped",
            f"stopped at its {given_s:.0f} s deadline (partial results kept)",
        )
        try:
            code = proc.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
            detail += f"; killed {GRACE_S:.0f} s later"
    if status == "finished" and code != 0:
        status, detail = "failed", f"exit status {code} (see log.txt)"
    return Outcome(part.name, part.question, status, given_s, clock() - start, detail)


def run_all(
    todo: Sequence[Part],
    budget_s: float,
    env: dict[str, str],
    clock: Callable[[], float] = time.monotonic,
    started: float | None = None,
    say: Callable[[str], None] = print,
) -> list[Outcome]:
    """Each part in order with the time left; the budget counts from ``started``."""
    t0 = clock() if started is None else started
    outcomes = []
    for part in todo:
        left = t0 + budget_s - RESERVE_S - clock()
        given, reason = allot(part, left)
        if not given:
            outcomes.append(Outcome(part.name, part.question, "skipped", detail=reason))
            say(f"[t+{clock() - t0:.0f}s] {part.name}: {reason}")
            continue
        say(f"[t+{clock() - t0:.0f}s] {part.name}: {given:.0f} s of {left:.0f} s left")
        outcome = run_part(part, given, env, clock)
        say(f"[t+{clock() - t0:.0f}s] {part.name}: {outcome.status} {outcome.detail}".rstrip())
        outcomes.append(outcome)
    return outcomes


def check_out(out: Path, keep: Sequence[str], still_to_write: int = 0) -> list[str]:
    """Enforce OUT's limits: folders and files over 16 MiB are removed, then the oldest files
    beyond 8 less ``still_to_write`` (never those named in ``keep``); one line per removal."""
    removed = []
    for path in sorted(out.iterdir()):
        if path.is_dir() or path.stat().st_size >= MAX_BYTES:
            why = "a folder" if path.is_dir() else f"{path.stat().st_size / 2**20:.0f} MiB"
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(f"{path.name} ({why})")
    files = sorted(out.iterdir(), key=lambda p: p.stat().st_mtime)
    over = len(files) + still_to_write - MAX_FILES
    for path in [p for p in files if p.name not in keep][: max(0, over)]:
        path.unlink()
        removed.append(f"{path.name} (over {MAX_FILES} files)")
    return removed


def summary_md(outcomes: Sequence[Outcome], info: dict, removed: Sequence[str]) -> str:
    """summary.md: the machine, the budget, then per part its status, time and reason."""
    lines = [
        f"# GPU studies, {info['date']}",
        "",
        f"Machine: {info['device']}. Budget {info['budget_s']:.0f} s (setup included), "
        f"used {info['wall_s']:.0f} s; SMALL={info['small']}, DEV={info['dev']}.",
        "",
        "| part | question | status | given s | used s | note |",
        "|---|---|---|---:|---:|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.name} | {o.question} | **{o.status}** | {o.given_s:.0f} | {o.used_s:.0f} "
            f"| {o.detail} |"
        )
    skipped = [o.name for o in outcomes if o.status == "skipped"]
    lines += [""]
    if skipped:
        lines.append(
            f"Not run: {', '.join(skipped)}; rerun with a larger budget (the first "
            "argument), or only what was skipped (a part that wants 0 s is left out, e.g. "
            "QUALITY_S=0 SPEED_S=0 runs only the normalization study)."
        )
    if removed:
        lines.append(f"Removed from OUT to fit its limits: {', '.join(removed)}.")
    return "\n".join(lines) + "\n"


def device_name(dev: str) -> str:
    if dev != "cuda":
        return f"CPU ({os.cpu_count()} cores), load {os.getloadavg()[0]:.1f}"
    query = ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"]
    try:
        return subprocess.run(query, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "CUDA GPU (nvidia-smi not found)"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # The budget counts from run.sh's start (GPU_T0, epoch seconds): its setup is included.
    since_t0 = time.time() - float(os.environ.get("GPU_T0", time.time()))
    started = time.monotonic() - max(0.0, since_t0)
    budget = float(args[0]) if args else DEFAULT_BUDGET_S
    date = dt.date.today().isoformat()
    out = Path(args[1] if len(args) > 1 else HERE / "results" / date).resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    small, dev = env.get("SMALL", "0") == "1", env.get("DEV", "cuda")
    env.update(OUT=str(out), ROOT=str(ROOT), SMALL="1" if small else "0", DEV=dev)
    outcomes = run_all(parts(small, env), budget, env, started=started)
    info = {
        "date": date,
        "device": device_name(dev),
        "budget_s": budget,
        "wall_s": time.monotonic() - started,
        "small": int(small),
        "dev": dev,
    }
    removed = check_out(out, keep=("log.txt",), still_to_write=2)
    record = {**info, "parts": [asdict(o) for o in outcomes], "removed": removed}
    write_text_atomic(out / "summary.json", json.dumps(record, indent=1) + "\n", "the summary")
    text = summary_md(outcomes, info, removed)
    write_text_atomic(out / "summary.md", text, "the summary")
    print(text, end="")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
