#!/usr/bin/env python3
"""End-to-end demo: real fonts -> dataset -> small model -> generated glyphs -> font -> specimen.

Runs the project's real command lines as subprocesses, in order, printing each command
before it runs and stopping at the first failure. Steps whose CLI subcommand does not exist
yet are skipped with a note, so the demo grows with the project. Everything lands in
``demo-out/`` (``--out`` to change), emptied at the start of each run.

Sized for a laptop CPU (268 s on 2 quiet cores, 242 s of it training, see the README): 64 px
glyphs, a small model trained for 1,000 steps with ``--preset quality`` at 16 channels (its CPU
threads chosen for a shared machine by ``zi2zi train``), and only the characters the specimen
text needs plus a few hundred common Traditional Chinese ones (not all 9,912 that Zen Maru
Gothic lacks). It ends with ``ZenMaruGothicDemo.ttf`` and ``specimen.png``, text set in that
font with the generated characters in red.

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
GLYPH_PX = 64  # small enough to train in minutes on a CPU, large enough to trace cleanly
TRAIN_STEPS = 1000
EXTRA_CHARS = 250  # common Traditional characters generated besides the specimen's own
# Traditional Chinese in which Zen Maru Gothic lacks 每 她 溫 說 黃 貓 您 吧 (Noto Sans TC
# draws them all): the specimen mixes the font's own glyphs with generated ones.
SPECIMEN_TEXT = "每天早上，她喝一杯溫熱的茶。\n說起那隻黃貓，您一定聽過吧？\n"
DEMO_FONT = "ZenMaruGothicDemo.ttf"


@dataclass(frozen=True)
class Step:
    """One step of the demo: a command line, or (``action``) a little Python of its own.

    ``needs`` are the (program, subcommand) pairs it relies on.
    """

    title: str
    argv: Callable[[Path], list[str]] | None = None  # output dir -> command line
    needs: tuple[tuple[str, str], ...] = ()
    action: Callable[[Path], None] | None = None  # output dir -> None (in-process step)


def cmd(*parts: str | Path) -> list[str]:
    return [str(p) for p in parts]


def read_list(path: Path) -> list[int]:
    """Code points of a ``glyphrender coverage --write-lists`` file (``U+XXXX<TAB>char``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [int(line.split()[0][2:], 16) for line in lines if line.startswith("U+")]


def choose_characters(out: Path) -> None:
    """Write the specimen text and the characters to generate: those of the text the target
    lacks, then the first EXTRA_CHARS common (Big5) ones it lacks, as a charset file."""
    lacking = read_list(REPO_ROOT / out / "coverage" / "source_only.txt")
    in_text = sorted({ord(c) for c in SPECIMEN_TEXT} & set(lacking))
    extra = [cp for cp in lacking if cp not in in_text][:EXTRA_CHARS]
    (REPO_ROOT / out / "specimen.txt").write_text(SPECIMEN_TEXT, encoding="utf-8")
    chosen = [f"U+{cp:04X}\t{chr(cp)}" for cp in in_text + extra]
    (REPO_ROOT / out / "generate.txt").write_text("\n".join(chosen) + "\n", encoding="utf-8")
    print(f"   {len(in_text)} characters of the text and {len(extra)} more: {out / 'generate.txt'}")


STEPS: list[Step] = [
    Step(
        "fetch and verify the real fonts",
        lambda out: cmd(sys.executable, "scripts/fetch_fonts.py", "--dest", FONTS),
    ),
    Step(
        f"render Noto Sans TC / Zen Maru Gothic pairs into HDF5 shards ({GLYPH_PX} px)",
        lambda out: cmd(
            *("glyphrender", "build", "--src", SOURCE_FONT, "--dst", TARGET_FONT),
            *("--out", out / "data", "--size", GLYPH_PX, "--force"),
        ),
        needs=(("glyphrender", "build"),),
    ),
    Step(
        "summarise the dataset",
        lambda out: cmd("glyphrender", "inspect", out / "data"),
        needs=(("glyphrender", "inspect"),),
    ),
    Step(
        "preview validation pairs",
        lambda out: cmd(
            *("glyphrender", "preview", out / "data"),
            *("--split", "val", "--out", out / "preview.png"),
        ),
        needs=(("glyphrender", "preview"),),
    ),
    Step(
        f"train a small model ({TRAIN_STEPS} steps: a demo, far from a finished model)",
        lambda out: cmd(
            *("zi2zi", "train", "--shards", out / "data", "--run", out / "run"),
            # The quality recipe (README: Presets) at the demo's width and length: at 1,000
            # steps it draws val at ink IoU 0.683 where zi2zi's defaults drew 0.66 (README).
            *("--preset", "quality", "--steps", TRAIN_STEPS, "--base-channels", "16"),
            *("--val-every", "500", "--val-max-samples", "128"),
            *("--log-every", "100", "--device", "cpu"),
        ),
        needs=(("zi2zi", "train"),),
    ),
    Step(
        "score it on the validation split",
        lambda out: cmd("zi2zi", "eval", "--run", out / "run", "--device", "cpu"),
        needs=(("zi2zi", "eval"),),
    ),
    Step(
        "list the common Traditional (Big5) characters Zen Maru Gothic lacks",
        lambda out: cmd(
            *("glyphrender", "coverage", "--src", SOURCE_FONT, "--dst", TARGET_FONT),
            *("--charset", "big5-han", "--write-lists", out / "coverage"),
        ),
        needs=(("glyphrender", "coverage"),),
    ),
    Step("choose the characters to generate", action=choose_characters),
    Step(
        "draw them in Zen Maru Gothic's style",
        lambda out: cmd(
            *("zi2zi", "generate", "--run", out / "run", "--charset", out / "generate.txt"),
            *("--out", out / "gen", "--device", "cpu"),
        ),
        needs=(("zi2zi", "generate"),),
    ),
    Step(
        "assemble the generated glyphs into a copy of Zen Maru Gothic",
        lambda out: cmd(
            *("glyphrender", "assemble", "--base", TARGET_FONT, "--glyphs", out / "gen"),
            *("--dataset", out / "data", "--family-suffix", " Demo", "--out", out / DEMO_FONT),
        ),
        needs=(("glyphrender", "assemble"),),
    ),
    Step(
        "set the specimen text in the new font (generated characters in red)",
        lambda out: cmd(
            *("glyphrender", "specimen", "--font", out / DEMO_FONT),
            *("--text-file", out / "specimen.txt", "--highlight-from", out / "gen"),
            *("--out", out / "specimen.png"),
        ),
        needs=(("glyphrender", "specimen"),),
    ),
]

# What the demo leaves behind, printed at the end (those that exist).
OUTPUTS = [
    ("data", "dataset (glyphrender inspect)"),
    ("preview.png", "source | target pairs of the val split"),
    ("run", "training run: config, metrics.jsonl, samples/, checkpoints/"),
    ("run/eval", "eval metrics.json, per_glyph.csv, review.png"),
    ("gen", "generated glyphs: glyphs.h5 and one U+XXXX.png each"),
    (DEMO_FONT, "Zen Maru Gothic Demo: the base font plus the generated glyphs"),
    ("specimen.png", "text set in it, generated characters in red"),
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
    timings: list[tuple[int, str, float]] = []
    for number, step in enumerate(STEPS[:stop_after], 1):
        print(f"\n== step {number}/{len(STEPS)}: {step.title}", flush=True)
        # Each step consumes what the previous ones wrote, so one gap skips the rest.
        reason = None
        if first_skipped is not None:
            reason = f"uses the output of step {first_skipped}, which was skipped"
        for need in step.needs:
            reason = reason or missing_reason(*need)
        if reason is not None:
            print(f"   skipped: {reason}", flush=True)
            skipped += 1
            first_skipped = first_skipped or number
            continue
        t0 = time.monotonic()
        if step.action is not None:
            step.action(out)
        else:
            assert step.argv is not None
            argv = step.argv(out)
            print(f"$ {shlex.join(argv)}", flush=True)
            code = subprocess.run(argv, cwd=REPO_ROOT, check=False).returncode
            if code != 0:
                print(
                    f"demo: error: step {number} ({step.title}) failed with exit code {code}: "
                    f"{shlex.join(argv)}",
                    file=sys.stderr,
                )
                return 1
        elapsed = time.monotonic() - t0
        timings.append((number, step.title, elapsed))
        print(f"   ok in {elapsed:.1f} s", flush=True)
        ran += 1
    print(f"\ndemo: {ran} step(s) ran, {skipped} skipped, {time.monotonic() - started:.1f} s")
    for number, title, elapsed in timings:
        print(f"  {elapsed:7.1f} s  step {number}: {title}")
    print(f"outputs in {out}/:")
    for name, what in OUTPUTS:
        if (REPO_ROOT / out / name).exists():
            print(f"  {out / name}: {what}")
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
