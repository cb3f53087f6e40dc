#!/usr/bin/env python3
"""Build the multi-style pretraining dataset of docs/few-shot.md from the font zoo.

Usage::

    python3 scripts/build_zoo.py [--glyph-px 64] [--out data/zoo64] [--force] [--dry-run]

Fetches the zoo (``scripts/fetch_fonts.py --zoo``: checksummed, instant when the files are
there), then runs one ``glyphrender build`` with Noto Sans JP as the source and every
pretraining font as a ``--dst`` (style ids 0.. in PRETRAIN_TARGETS order). Each style's pairs
are the characters the source and that font share; the train/val split is glyphrender's
seeded hash of the code point, so a character is val in every style and in any other dataset
built with the same seed (the few-shot target's val characters are never trained on here).

Zen Maru Gothic (the few-shot study's target) and Zen Kaku Gothic New (the design Zen Maru
Gothic was rounded from) are held out. The command is printed before it runs.

Exit codes: 0 built (or printed with --dry-run), 1 a failure (one line on stderr), otherwise
glyphrender build's own exit status.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch_fonts  # noqa: E402  (the sibling script: one fetch/verify implementation)

REPO_ROOT = fetch_fonts.REPO_ROOT
# Japanese forms, the same design family as the comparison's Noto Sans TC, and it draws
# every character any zoo font draws (12,950 CJK ideographs).
SOURCE = "NotoSansJP_400Regular.ttf"
# Style ids 0.. in this order. Varied designs: gothic, rounded, mincho, decorative,
# handwriting, brush, marker, heavy display.
PRETRAIN_TARGETS: tuple[str, ...] = (
    "BIZUDPGothic_400Regular.ttf",
    "MPLUSRounded1c_400Regular.ttf",
    "NotoSerifJP_400Regular.ttf",
    "ZenOldMincho_400Regular.ttf",
    "KaiseiDecol_400Regular.ttf",
    "KiwiMaru_400Regular.ttf",
    "KleeOne_400Regular.ttf",
    "YuseiMagic_400Regular.ttf",
    "ZenKurenaido_400Regular.ttf",
    "DelaGothicOne_400Regular.ttf",
    "RocknRollOne_400Regular.ttf",
)
# Never in the pretraining set: the few-shot target and its unrounded sibling.
HELD_OUT: tuple[str, ...] = (
    "ZenMaruGothic_400Regular.ttf",
    "ZenMaruGothic_700Bold.ttf",
    "ZenKakuGothicNew_400Regular.ttf",
)


class ZooError(Exception):
    """A failure to report as one line and exit 1."""


def build_argv(glyphrender: str, fonts: Path, out: Path, glyph_px: int, force: bool) -> list[str]:
    """The ``glyphrender build`` command line for the zoo dataset."""
    argv = [glyphrender, "build", "--src", str(fonts / SOURCE)]
    for name in PRETRAIN_TARGETS:
        argv += ["--dst", str(fonts / name)]
    argv += ["--size", str(glyph_px), "--out", str(out), "--seed", "0"]
    return argv + (["--force"] if force else [])


def find_glyphrender() -> str:
    """``glyphrender`` on PATH, else next to this Python (an unactivated venv)."""
    found = shutil.which("glyphrender") or shutil.which(
        "glyphrender", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise ZooError("glyphrender not found: install packages/glyphrender or activate its venv")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--glyph-px", type=int, default=64, help="canvas size in pixels (default: 64)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="dataset directory (default: data/zooPX)"
    )
    parser.add_argument(
        "--fonts", type=Path, default=fetch_fonts.DEFAULT_DEST, help="font directory"
    )
    parser.add_argument("--force", action="store_true", help="replace a dataset already at --out")
    parser.add_argument(
        "--no-fetch",
        action="store_true",
        help="use the files in --fonts as they are (no download, no checksum check)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the build command; fetch and build nothing"
    )
    args = parser.parse_args(argv)
    out = args.out or Path("data") / f"zoo{args.glyph_px}"
    try:
        if args.dry_run:
            print(shlex.join(build_argv("glyphrender", args.fonts, out, args.glyph_px, args.force)))
            return 0
        command = build_argv(find_glyphrender(), args.fonts, out, args.glyph_px, args.force)
        if not args.no_fetch:
            code = fetch_fonts.fetch(
                args.fonts, fetch_fonts.DEFAULT_SHARED, fetch_fonts.DEFAULT_SUMS, False, zoo=True
            )
            if code != 0:
                return code
        print(f"$ {shlex.join(command)}", flush=True)
        return subprocess.run(command, check=False).returncode
    except (ZooError, fetch_fonts.FetchError) as exc:
        print(f"build_zoo: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
