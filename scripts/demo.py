#!/usr/bin/env python3
"""End-to-end demo: real fonts -> dataset -> tiny model -> generated glyphs -> font.

Runs the project's real command lines as subprocesses, in order, printing each command
before it runs and stopping at the first failure. Steps whose CLI subcommand does not exist
yet are skipped with a note, so the demo grows with the project. Everything lands in
``demo-out/`` (``--out`` to change), emptied at the start of each run. Sized to finish in minutes on 2 CPU cores.

    python3 scripts/fetch_fonts.py && python3 scripts/demo.py

Exit codes: 0 every available step succeeded, 1 a step failed (its command is named).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FONTS = "fonts"
SOURCE_FONT = f"{FONTS}/NotoSansTC_400Regular.ttf"
TARGET_FONT = f"{FONTS}/ZenMaruGothic_400Regular.ttf"
MARKER = ".zi2zi-demo"


@dataclass(frozen=True)
class Step:
    """One command of the demo; ``needs`` is the (program, subcommand) it relies on."""

    title: str
    argv: Callable[[Path], list[str]]  # output dir -> command line
    needs: tuple[str, str] | None = None


def cmd(*parts: str | Path) -> list[str]:
    return [str(p) for p in parts]


STEPS: list[Step] = [
    Step(
        "fetch and verify the real fonts",
        lambda out: cmd(sys.executable, "scripts/fetch_fonts.py", "--dest", FONTS),
    ),
    Step(
        "render Noto Sans TC / Zen Maru Gothic pairs into HDF5 shards",
        lambda out: cmd(
            *("glyphrender", "build", "--src", SOURCE_FONT, "--dst", TARGET_FONT),
            *("--out", out / "data", "--size", "64", "--force"),
        ),
        needs=("glyphrender", "build"),
    ),
    Step(
        "summarise the dataset",
        lambda out: cmd("glyphrender", "inspect", out / "data"),
        needs=("glyphrender", "inspect"),
    ),
    Step(
        "preview validation pairs",
        lambda out: cmd(
            *("glyphrender", "preview", out / "data"),
            *("--split", "val", "--out", out / "preview.png"),
        ),
        needs=("glyphrender", "preview"),
    ),
    Step(
        "train a tiny model (a smoke run: shows the pipeline, not a useful model)",
        lambda out: cmd(
            *("zi2zi", "train", "--shards", out / "data", "--run", out / "run"),
            *("--steps", "30", "--batch-size", "8", "--base-channels", "8"),
            *("--d-base-channels", "8", "--val-max-samples", "64", "--device", "cpu"),
        ),
        needs=("zi2zi", "train"),
    ),
    Step(
        "score it on the validation split",
        lambda out: cmd("zi2zi", "eval", "--run", out / "run", "--device", "cpu"),
        needs=("zi2zi", "eval"),
    ),
    Step(
        "draw the characters the target font lacks",
        lambda out: cmd(
            *("zi2zi", "generate", "--run", out / "run", "--split", "missing"),
            *("--out", out / "gen", "--device", "cpu"),
        ),
        needs=("zi2zi", "generate"),
    ),
    Step(
        "assemble the generated glyphs into a font",
        lambda out: cmd(
            *("glyphrender", "assemble", "--base", TARGET_FONT, "--glyphs", out / "gen"),
            *("--out", out / "ZenMaruGothicTC.ttf"),
        ),
        needs=("glyphrender", "assemble"),
    ),
]


def missing_reason(program: str, subcommand: str) -> str | None:
    """Why ``program subcommand`` cannot run yet, or None if it can.

    ``<program> <subcommand> --help`` succeeds only when the command module exists; a
    module that is missing is a skip, any other failure is a broken command (not skipped).
    """
    exe = shutil.which(program)
    if exe is None:
        return f"{program} is not installed"
    proc = subprocess.run(
        [exe, subcommand, "--help"], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    if proc.returncode == 0:
        return None
    module = f"{program.replace('zi2zi', 'zi2zi_core')}.cli."
    if f"No module named '{module}" in proc.stderr or "No such command" in proc.stderr:
        return f"{program} has no '{subcommand}' command yet"
    raise SystemExit(
        f"demo: error: '{program} {subcommand} --help' failed:\n{proc.stderr.strip()[-2000:]}"
    )


def fresh_output(out: Path) -> None:
    """Start from an empty ``out``; only a directory the demo made itself is deleted."""
    path = REPO_ROOT / out  # an absolute ``out`` stays as it is
    if path.exists():
        if not (path / MARKER).is_file():
            raise SystemExit(f"demo: error: {out} exists and was not made by the demo")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by scripts/demo.py; replaced on its next run\n")


def run_steps(out: Path, stop_after: int | None) -> int:
    started = time.monotonic()
    fresh_output(out)
    ran = skipped = 0
    first_skipped: int | None = None
    for number, step in enumerate(STEPS[:stop_after], 1):
        print(f"\n== step {number}/{len(STEPS)}: {step.title}", flush=True)
        # Each step consumes what the previous ones wrote, so one gap skips the rest.
        if first_skipped is not None:
            reason = f"uses the output of step {first_skipped}, which was skipped"
        elif step.needs is not None:
            reason = missing_reason(*step.needs)
        else:
            reason = None
        if reason is not None:
            print(f"   skipped: {reason}", flush=True)
            skipped += 1
            first_skipped = first_skipped or number
            continue
        argv = step.argv(out)
        print(f"$ {shlex.join(argv)}", flush=True)
        t0 = time.monotonic()
        code = subprocess.run(argv, cwd=REPO_ROOT, check=False).returncode
        if code != 0:
            print(
                f"demo: error: step {number} ({step.title}) failed with exit code {code}: "
                f"{shlex.join(argv)}",
                file=sys.stderr,
            )
            return 1
        print(f"   ok in {time.monotonic() - t0:.1f} s", flush=True)
        ran += 1
    print(
        f"\ndemo: {ran} step(s) ran, {skipped} skipped, "
        f"{time.monotonic() - started:.1f} s; outputs in {out}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=Path("demo-out"), help="output directory (from the repo root)"
    )
    parser.add_argument(
        "--stop-after", type=int, default=None, metavar="N", help="run only the first N steps"
    )
    args = parser.parse_args(argv)
    try:
        # Commands run in the repository root; a relative --out is relative to it.
        return run_steps(args.out, args.stop_after)
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
