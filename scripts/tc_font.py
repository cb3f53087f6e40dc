#!/usr/bin/env python3
"""Zen Maru Gothic TC: Zen Maru Gothic's style for Traditional Chinese, in Taiwan's forms.

One command chain through the project's real command lines (each printed before it runs;
the chain stops at the first that fails):

 1. fetch the fonts (scripts/fetch_fonts.py: Zen Maru Gothic, the Noto Sans CJK collection);
 2. the form oracle (``glyphrender forms``, JP face vs TC face, --target Zen Maru Gothic):
    the characters whose JP and TC forms agree, and those Zen Maru draws in the Japanese
    form (replacement candidates);
 3. build form-true pairs: the collection's Japanese face (whose forms Zen Maru Gothic draws)
    -> Zen Maru Gothic, over the Big5 ideographs whose JP and TC forms agree, so that no
    target shows a Japanese form Taiwan's differs from (``--train-on all``: every one);
 4. train a small model on them (``zi2zi train``), or reuse one (``--run``);
 5. choose what to generate: the Big5 ideographs Zen Maru lacks plus the candidates;
 6. draw them from the Traditional Chinese face (``zi2zi generate --src``);
 7. the review: ``--decisions FILE`` (made in ``glyphrender review``) or ``--accept-all``,
    which stands in for the font maker's review and accepts every glyph;
 8. assemble (added + accepted replacements) under the family "Zen Maru Gothic TC";
 9. name-table notes (name ID 10: what was generated and replaced, by what);
10. the OpenType Sanitizer (``ots-sanitize``, PyPI opentype-sanitizer);
11. coverage: every character of the charset maps to a drawn glyph;
12. a specimen in Traditional Chinese, added glyphs red, replaced ones blue.

    python3 scripts/tc_font.py --accept-all                      # everything, --size 64
    python3 scripts/tc_font.py --run runs/tc-font/jp-s1 --accept-all   # reuse a trained run
    python3 scripts/tc_font.py --run tc-font-out/run --decisions reviewed.json

Run again on the same --out, the chain continues the model it trained there, and refuses
(one line) if step 3 now builds other pairs than that model trained on.

Exit codes: 0 the font was made and passed every check; 1 bad input or a failed step (one
line naming it); 2 usage error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import io
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# What the model trains on: the characters whose JP and TC forms agree (Taiwan's forms kept
# in 92-93% of the characters whose forms differ, against 90%: docs/tc-font.md), or all.
TRAIN_ON = ("same-form", "all")
FAMILY_SUFFIX = " TC"
FONT_NAME = "ZenMaruGothicTC-Regular.ttf"
# Traditional Chinese mixing Zen Maru Gothic's own glyphs, characters it lacks (說 黃 貓 她 溫
# 每 您 吧: added) and characters it draws in the Japanese form (這 紅 曾 才 外 叫 令: replacement
# candidates by glyphrender forms; 級 is not: Zen Maru's glyph is nearer the TC one).
SPECIMEN_TEXT = (
    "這件紅色的外套是她曾經最愛的，\n"
    "每天早上都說：「才不冷呢！」\n"
    "那隻黃貓叫您一起喝杯溫熱的茶吧。\n"
    "命令與等級，都在臺灣的圓體裡。\n"
)


class ChainError(Exception):
    """A step of the chain failed or its input is bad (one line)."""


@dataclass(frozen=True)
class Chain:
    """The chain's settings, resolved from the command line."""

    out: Path
    size: int
    steps: int
    run: Path | None
    decisions: Path | None
    decisions_text: bytes | None  # read at the start: generate replaces OUT/gen, which may hold it
    collection: Path
    jp_face: int
    tc_face: int
    target: Path
    charset: str
    train_on: str
    fetch: bool
    train_args: tuple[str, ...]
    specimen_text: str = SPECIMEN_TEXT

    @property
    def jp(self) -> str:
        return f"{self.collection}#{self.jp_face}"

    @property
    def tc(self) -> str:
        return f"{self.collection}#{self.tc_face}"

    @property
    def run_dir(self) -> Path:
        return self.run if self.run is not None else self.out / "run"

    @property
    def font(self) -> Path:
        return self.out / FONT_NAME

    @property
    def gen(self) -> Path:
        return self.out / "gen"

    @property
    def forms(self) -> Path:
        return self.out / "forms.json"


def program(name: str) -> str:
    """The CLI installed beside this Python (a venv's bin/), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        raise ChainError(f"{name} is not installed (pip install -e packages/{name})")
    return found


def run_command(argv: list[str]) -> None:
    print(f"$ {shlex.join(argv)}", flush=True)
    # Its stdout passes through this process line by line (live, and in this one's output).
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
    code = proc.returncode
    if code != 0:
        raise ChainError(f"exit code {code}: {shlex.join(argv)}")


def check_fonts(chain: Chain) -> None:
    """Both faces and the target open (a collection without the named face is one line)."""
    from glyphrender.fonts.loading import FontRef, open_font

    for spec in (chain.jp, chain.tc, str(chain.target)):
        open_font(FontRef.parse(spec))


def step_fetch(chain: Chain) -> None:
    if chain.fetch:
        # Into ./fonts, where the default font paths look (run from the repository root).
        run_command(
            [sys.executable, str(REPO_ROOT / "scripts" / "fetch_fonts.py"), "--dest", "fonts"]
        )
    # Checked once they are there (on a fresh clone the fetch brings them), before OUT exists.
    check_fonts(chain)
    chain.out.mkdir(parents=True, exist_ok=True)


def train_charset(chain: Chain) -> str:
    """The build's --charset: the chain's charset, or (same-form) a file of the characters
    whose JP and TC faces draw one form, by the oracle of step 2."""
    from glyphrender.atomic import write_text_atomic

    if chain.train_on == "all":
        return chain.charset
    same = json.loads(chain.forms.read_text(encoding="utf-8"))["same"]
    if not same:
        raise ChainError(
            f"{chain.forms}: no character of {chain.charset} has one form in both faces "
            "(--train-on all trains on every character)"
        )
    path = chain.out / "train-chars.txt"
    write_text_atomic(path, "".join(f"U+{int(cp):04X}\t{chr(int(cp))}\n" for cp in same))
    print(f"   {len(same):,} characters of {chain.charset} have one form in both faces: {path}")
    return str(path)


def trained_same_form(chain: Chain) -> bool:
    """This chain built its dataset from the same-form characters (not a reused run)."""
    return chain.run is None and chain.train_on == "same-form"


def dataset_identity(data: Path) -> dict | None:
    """What a dataset holds, from its manifest, or None where no dataset is. Its shards'
    SHA-256 (deterministic) say which pairs; left out are when it was built, by which
    glyphrender version, and the paths of the fonts and of a charset file (an --out moved
    elsewhere holds the same pairs)."""
    from glyphrender.dataset.shards import MANIFEST_NAME, read_manifest

    if not (data / MANIFEST_NAME).is_file():
        return None
    held = read_manifest(data).to_json()
    for key in ("created", "tool"):
        held.pop(key, None)
    (held.get("charset") or {}).pop("spec", None)
    for font in held.get("fonts", []):
        font.pop("path", None)
    return held


def continues_earlier_run(chain: Chain) -> bool:
    """OUT/run holds checkpoints an earlier chain trained: step 4 continues that run."""
    from zi2zi_core.rundir.layout import RunDir

    return chain.run is None and RunDir(chain.run_dir).checkpoints.is_dir()


def step_build(chain: Chain) -> None:
    """Build the pairs. A run an earlier chain trained in OUT/run is continued by step 4, so
    a dataset that is not the one it trained on (another --train-on, --charset, --size or
    font) is refused here: continuing would train that model on other pairs."""
    if chain.run is not None:
        print(f"   reusing {chain.run}: no dataset built")
        return
    data = chain.out / "data"
    earlier = dataset_identity(data) if continues_earlier_run(chain) else None
    run_command(
        [program("glyphrender"), "build", "--src", chain.jp, "--dst", str(chain.target)]
        + ["--charset", train_charset(chain), "--size", str(chain.size)]
        + ["--out", str(data), "--force"]
    )
    now = dataset_identity(data)
    if earlier is not None and now != earlier:
        differ = ", ".join(key for key in sorted(now or {}) if now.get(key) != earlier.get(key))
        raise ChainError(
            f"{chain.run_dir}: trained on another dataset than this chain builds ({differ} "
            "differ: another --train-on, --charset, --size or font?); remove it to train "
            "afresh, or give another --out"
        )


def step_train(chain: Chain) -> None:
    if chain.run is not None:
        print(f"   reusing {chain.run}")
        return
    zi2zi, run = program("zi2zi"), str(chain.run_dir)
    if continues_earlier_run(chain):
        run_command([zi2zi, "train", "--run", run, "--resume", "--steps", str(chain.steps)])
        return
    shards = str(chain.out / "data")
    run_command(
        [zi2zi, "train", "--shards", shards, "--run", run, "--steps", str(chain.steps)]
        + [*chain.train_args, "--device", "cpu"]
    )


def step_forms(chain: Chain) -> None:
    run_command(
        [program("glyphrender"), "forms", "--a", chain.jp, "--b", chain.tc]
        + ["--target", str(chain.target), "--charset", chain.charset]
        + ["--out", str(chain.forms)]
    )


def step_choose(chain: Chain) -> None:
    """generate.txt: the charset's characters the target lacks and the TC face draws, plus
    the replacement candidates (the target draws them closer to the JP form)."""
    from glyphrender.atomic import write_text_atomic
    from glyphrender.fonts.charsets import resolve_charset
    from glyphrender.fonts.loading import FontRef, open_font, present_codepoints

    charset = resolve_charset([chain.charset]).as_set()
    tc = present_codepoints(open_font(FontRef.parse(chain.tc)))
    target = present_codepoints(open_font(chain.target))
    missing = sorted((charset & tc) - target)
    forms = json.loads(chain.forms.read_text(encoding="utf-8"))
    replace = sorted(int(cp) for cp in forms["target_closer_to_a"])
    lines = [f"U+{cp:04X}\t{chr(cp)}" for cp in sorted({*missing, *replace})]
    write_text_atomic(chain.out / "generate.txt", "\n".join(lines) + "\n")
    lacking = sorted(charset - tc - target)
    print(f"   {len(missing)} to add, {len(replace)} replacement candidates")
    if lacking:
        shown = " ".join(chr(cp) for cp in lacking[:20])
        print(f"   {len(lacking)} of the charset neither the target nor the TC face draws: {shown}")


def step_generate(chain: Chain) -> None:
    run_command(
        [program("zi2zi"), "generate", "--run", str(chain.run_dir), "--checkpoint", "last"]
        + ["--src", chain.tc, "--charset", str(chain.out / "generate.txt")]
        + ["--out", str(chain.gen), "--force", "--device", "cpu"]
    )


def step_review(chain: Chain) -> None:
    """The font maker's decisions, or (--accept-all) every generated glyph accepted."""
    from glyphrender.atomic import write_bytes_atomic
    from glyphrender.generated.decisions import (
        ACCEPTED,
        decisions_path,
        read_decisions,
        write_decisions,
    )
    from glyphrender.generated.folder import read_generated

    if chain.decisions is None:
        _, _, codepoints = read_generated(chain.gen, images=False)
        write_decisions(chain.gen, {int(cp): ACCEPTED for cp in codepoints})
        print(f"   --accept-all: {len(codepoints)} glyphs accepted (standing in for the review)")
        return
    assert chain.decisions_text is not None
    write_bytes_atomic(decisions_path(chain.gen), chain.decisions_text)
    decided = read_decisions(chain.gen) or {}
    accepted = sum(status == ACCEPTED for status in decided.values())
    print(f"   {chain.decisions}: {accepted} accepted, {len(decided) - accepted} rejected")


def step_assemble(chain: Chain) -> None:
    run_command(
        [
            program("glyphrender"),
            "assemble",
            "--base",
            str(chain.target),
            "--glyphs",
            str(chain.gen),
        ]
        + ["--family-suffix", FAMILY_SUFFIX, "--out", str(chain.font), "--force"]
    )


def changed_characters(chain: Chain) -> tuple[list[int], list[int]]:
    """(added, replaced): the folder's characters the base lacks and the font maps, and those
    the base maps that the font maps to another glyph (assemble points the cmap of an accepted
    replacement candidate at its new glyph), read from the fonts themselves."""
    from glyphrender.fonts.loading import open_font
    from glyphrender.generated.folder import read_generated

    _, _, codepoints = read_generated(chain.gen, images=False)
    base, font = open_font(chain.target), open_font(chain.font)
    generated = [int(cp) for cp in codepoints]
    added = [cp for cp in generated if cp not in base.cmap and cp in font.cmap]
    replaced = [cp for cp in generated if cp in base.cmap and font.cmap[cp] != base.cmap[cp]]
    return added, replaced


def step_notes(chain: Chain) -> None:
    """Name ID 10 (description): what was generated and replaced, by what."""
    from fontTools.ttLib import TTFont
    from glyphrender.atomic import write_bytes_atomic
    from zi2zi_core.rundir.checkpoint import resolve_checkpoint

    added, replaced = changed_characters(chain)
    checkpoint = resolve_checkpoint(chain.run_dir, "last")
    # What a reused run trained on is its own business; this chain's run, we know.
    which = " of the characters whose JP and TC forms agree" if trained_same_form(chain) else ""
    note = (
        f"Zen Maru Gothic with {len(added)} glyphs added and {len(replaced)} replaced by "
        f"generated ones in Taiwan's (Traditional Chinese) forms: drawn by a zi2zi model "
        f"({chain.run_dir.name}, {checkpoint.name}, {chain.size} px) trained on Noto Sans CJK JP "
        f"-> Zen Maru Gothic pairs{which}, from the glyphs of Noto Sans CJK TC, traced to "
        f"outlines. The other glyphs are Zen Maru Gothic's own."
    )
    font = TTFont(str(chain.font))
    font["name"].setName(note, 10, 3, 1, 0x409)
    font["name"].setName(note, 10, 1, 0, 0)
    buffer = io.BytesIO()
    font.save(buffer)
    write_bytes_atomic(chain.font, buffer.getvalue(), "the font")
    print(f"   name ID 10: {note}")


def step_sanitize(chain: Chain) -> None:
    try:
        import ots  # noqa: F401  (opentype-sanitizer: ships the ots-sanitize binary)
    except ImportError:
        raise ChainError(
            "the OpenType Sanitizer is not installed (pip install -c constraints.txt "
            "opentype-sanitizer)"
        ) from None
    run_command([sys.executable, "-m", "ots", str(chain.font)])


def step_coverage(chain: Chain) -> None:
    """Every character of the charset maps to a drawn glyph (big5-1/-2 counted for Big5)."""
    from glyphrender.fonts.charsets import resolve_charset
    from glyphrender.fonts.loading import open_font, present_codepoints

    drawn = present_codepoints(open_font(chain.font))
    charset = resolve_charset([chain.charset]).as_set()
    lacking = sorted(charset - drawn)
    for name in ("big5-1", "big5-2"):
        part = resolve_charset([name]).as_set()
        if part <= charset:
            print(f"   {name}: {len(part & drawn):,} of {len(part):,} drawn")
    print(f"   {chain.charset}: {len(charset & drawn):,} of {len(charset):,} drawn")
    if lacking:
        shown = " ".join(f"U+{cp:04X} {chr(cp)}" for cp in lacking[:20])
        raise ChainError(f"{chain.font}: lacks {len(lacking)} of {chain.charset}: {shown}")


def step_specimen(chain: Chain) -> None:
    from glyphrender.atomic import write_text_atomic

    text = write_text_atomic(chain.out / "specimen.txt", chain.specimen_text)
    run_command(
        [program("glyphrender"), "specimen", "--font", str(chain.font), "--text-file", str(text)]
        + ["--highlight-from", str(chain.gen), "--base", str(chain.target)]
        + ["--out", str(chain.out / "specimen.png")]
    )


STEPS: list[tuple[str, Callable[[Chain], None]]] = [
    ("fetch and verify the fonts", step_fetch),
    ("the form oracle: which forms agree, which of the target's glyphs are JP", step_forms),
    ("build form-true pairs (Noto Sans CJK JP -> Zen Maru Gothic)", step_build),
    ("train the model", step_train),
    ("choose the characters: missing ones and replacement candidates", step_choose),
    ("draw them from the TC face", step_generate),
    ("the review's decisions", step_review),
    ("assemble the font (added + accepted replacements)", step_assemble),
    ("name-table notes", step_notes),
    ("OpenType Sanitizer", step_sanitize),
    ("coverage", step_coverage),
    ("specimen (added red, replaced blue)", step_specimen),
]


def run_chain(chain: Chain) -> None:
    started = time.monotonic()
    timings = []
    for number, (title, step) in enumerate(STEPS, 1):
        print(f"\n== step {number}/{len(STEPS)}: {title}", flush=True)
        t0 = time.monotonic()
        try:
            step(chain)
        except ChainError as exc:
            raise ChainError(f"step {number} ({title}) failed: {exc}") from None
        timings.append((time.monotonic() - t0, number, title))
        print(f"   ok in {timings[-1][0]:.1f} s", flush=True)
    added, replaced = changed_characters(chain)
    print(f"\ntc_font: {chain.font}: {len(added)} glyphs added, {len(replaced)} replaced, ", end="")
    print(f"{time.monotonic() - started:.1f} s")
    for elapsed, number, title in timings:
        print(f"  {elapsed:7.1f} s  step {number}: {title}")


def parse_args(argv: list[str] | None) -> Chain:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=Path("tc-font-out"), help="output folder (default tc-font-out)"
    )
    parser.add_argument("--size", type=int, default=64, help="glyph size in px (default 64)")
    parser.add_argument("--steps", type=int, default=1200, help="training steps (default 1200)")
    parser.add_argument("--run", type=Path, default=None, help="reuse this trained run")
    review = parser.add_mutually_exclusive_group(required=True)
    review.add_argument("--decisions", type=Path, help="decisions.json from glyphrender review")
    review.add_argument(
        "--accept-all", action="store_true", help="accept every glyph (stands in for the review)"
    )
    parser.add_argument(
        "--collection",
        type=Path,
        default=Path("fonts/NotoSansCJK-Regular.ttc"),
        help="the Pan-CJK collection whose JP and TC faces are the sources (default %(default)s)",
    )
    parser.add_argument("--jp-face", type=int, default=0, help="JP face index (default 0)")
    parser.add_argument("--tc-face", type=int, default=3, help="TC face index (default 3)")
    parser.add_argument(
        "--target",
        type=Path,
        default=Path("fonts/ZenMaruGothic_400Regular.ttf"),
        help="the font whose style is learnt and which is extended (default %(default)s)",
    )
    parser.add_argument("--charset", default="big5-han", help="characters (default big5-han)")
    parser.add_argument(
        "--train-on",
        choices=TRAIN_ON,
        default="same-form",
        help="train on the characters whose JP and TC forms agree, or on all (default same-form)",
    )
    parser.add_argument("--no-fetch", action="store_true", help="use the fonts as they are")
    parser.add_argument(
        "--specimen-text", default=SPECIMEN_TEXT, help="the specimen's text (default: Traditional)"
    )
    parser.add_argument(
        "--train-args",
        default="--batch-size 16 --base-channels 16 --d-base-channels 16 --dropout 0 "
        "--no-augment --val-every 500 --checkpoint-every 500 --sample-every 500",
        help="more zi2zi train flags (default: the demo-size model of docs/tc-font.md)",
    )
    args = parser.parse_args(argv)
    decisions_text = None
    if args.decisions is not None:
        try:
            decisions_text = args.decisions.read_bytes()
        except OSError as exc:
            parser.error(f"--decisions {args.decisions}: cannot read it ({exc.strerror})")
    return Chain(
        out=args.out,
        size=args.size,
        steps=args.steps,
        run=args.run,
        decisions=args.decisions,
        decisions_text=decisions_text,
        collection=args.collection,
        jp_face=args.jp_face,
        tc_face=args.tc_face,
        target=args.target,
        charset=args.charset,
        train_on=args.train_on,
        fetch=not args.no_fetch,
        train_args=tuple(shlex.split(args.train_args)),
        specimen_text=args.specimen_text.replace("\\n", "\n"),
    )


def main(argv: list[str] | None = None) -> int:
    chain = parse_args(argv)
    from glyphrender.errors import GlyphrenderError

    try:
        run_chain(chain)
    except (ChainError, GlyphrenderError, OSError) as exc:
        print(f"tc_font: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tc_font: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
