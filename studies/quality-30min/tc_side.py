"""The TC side of a blend: fed Taiwan's forms, does a blend-trained run still beat a plain one?

    python3 studies/quality-30min/tc_side.py \\
        --blend-run runs/quality-30min/serif2maru-quality-s1 \\
        --tc-blend fonts/NotoSerifTC_400Regular.ttf \\
        --plain-run runs/quality-30min/maru-quality-s1 [--out studies/quality-30min/tc-side.json]

``serif2maru`` trains on Noto Sans CJK JP blended with Noto Serif JP; the Taiwanese font maker
would generate from the TC faces of both designs (``zi2zi generate --src …#3 --blend
NotoSerifTC_400Regular.ttf``), which draw every Big5 character. Each run is fed the TC inputs
its generate call would render (the blend run: the TC face blended with ``--tc-blend``; the
plain run: the TC face alone), through glyphrender's own source list, and scored:

1. style: ink IoU and L1 against Zen Maru Gothic on the val characters whose JP and TC glyphs
   are the same in the collection (glyph identity), fed the TC inputs and the run's own JP
   inputs (the dataset's shards); and, fed its own inputs, on the val characters where every
   run's TC input is its JP input pixel for pixel, the one subset where Zen Maru's glyph is
   the right answer for the TC font too (elsewhere a TC input may have another form);
2. form fidelity, on the characters whose JP and TC glyphs differ, val and held out (the
   ``big5-han`` characters Zen Maru lacks, which no run saw): the share of generated glyphs
   nearer (ink IoU) Noto Sans CJK's TC glyph than its JP glyph, the measure of
   docs/tc-font.md (``studies/tc-font/measure.py``, whose helpers this reuses); also apart
   for the characters whose two glyphs differ plainly (ink IoU below 0.8 to each other) and
   subtly (a dot, a stroke end), where a 64 px drawing can land nearer either.

Any number of runs of either kind; the first ``--plain-run`` must be unblended.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from glyphrender.atomic import write_text_atomic
from glyphrender.dataset.shards import Dataset
from glyphrender.dataset.sourcelist import open_source_list
from glyphrender.fonts.charsets import named_set
from glyphrender.fonts.loading import open_font, present_codepoints
from zi2zi_core.evaluation.generate import open_run_dataset
from zi2zi_core.evaluation.metrics import ink_iou
from zi2zi_core.rundir.checkpoint import load_for_inference

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tc-font"))
from measure import differing, fidelity, generate, scores, unit  # noqa: E402  (studies/tc-font)

COLLECTION = "fonts/NotoSansCJK-Regular.ttc"
JP_FACE, TC_FACE = f"{COLLECTION}#0", f"{COLLECTION}#3"
MARU = "fonts/ZenMaruGothic_400Regular.ttf"
CLEAR_BELOW = 0.8  # JP and TC glyphs at ink IoU below this differ plainly (measure_source_forms)


def val_split(dataset: Dataset):
    """(codepoints, sources, targets) of the val split, by code point."""
    split = dataset.read_split("val")
    order = np.argsort(split.codepoint)
    return split.codepoint[order], split.source[order], split.target[order]


def held_out(dataset: Dataset) -> np.ndarray:
    """The big5-han characters Zen Maru Gothic lacks that both faces draw, ascending."""
    maru = present_codepoints(open_font(MARU))
    jp, tc = (present_codepoints(open_font(ref)) for ref in (JP_FACE, TC_FACE))
    return np.array(sorted(cp for cp in named_set("big5-han") - maru if cp in jp and cp in tc))


_TC_INPUTS: dict[tuple, np.ndarray] = {}


def tc_inputs(dataset: Dataset, codepoints: np.ndarray, tc_blend: list[str] | None) -> np.ndarray:
    """What ``zi2zi generate --src …#3 [--blend …]`` renders for these characters (rendered
    once per dataset, blend and characters: the plain runs share theirs)."""
    key = (str(dataset.path), tuple(tc_blend or ()), codepoints.tobytes())
    if key not in _TC_INPUTS:
        source_list = open_source_list(dataset, [], source=TC_FACE, blend=tc_blend)
        _TC_INPUTS[key], _ = source_list.render(codepoints.tolist())
    return _TC_INPUTS[key]


def fidelity_by_gap(gen: np.ndarray, jp: np.ndarray, tc: np.ndarray, differ: np.ndarray) -> dict:
    """Form fidelity on the characters whose JP and TC glyphs differ: all, then split into
    those that differ plainly (the two glyphs at ink IoU < CLEAR_BELOW) and subtly."""
    gap = ink_iou(unit(jp), unit(tc)).numpy()
    parts = {"all": differ, "plain": differ & (gap < CLEAR_BELOW)}
    parts["subtle"] = differ & (gap >= CLEAR_BELOW)
    return {name: fidelity(gen, jp, tc, np.flatnonzero(rows)) for name, rows in parts.items()}


def face_glyphs(dataset: Dataset, codepoints: np.ndarray, face: str) -> np.ndarray:
    """The collection face alone, as a build with it as ``--src`` draws it (the form reference);
    ``dataset`` must be unblended (the plain run's)."""
    if dataset.manifest.blend_fonts:
        raise SystemExit(f"{dataset.path}: give an unblended run first as --plain-run")
    images, _ = open_source_list(dataset, [], source=face).render(codepoints.tolist())
    return images


def measure(run: Path, tc_blend: list[str] | None, held: np.ndarray, refs: dict):
    """The run's scores, its val drawings from its own inputs, (N,) bool: its TC input is its
    own input pixel for pixel, and the val targets in [0, 1]."""
    dataset = open_run_dataset(load_for_inference(run, which="last", device="cpu"), None)
    cps, own_src, target = val_split(dataset)
    if not np.array_equal(cps, refs["val_cps"]):
        raise SystemExit(f"{run}: its val characters differ from the other runs'")
    tc_src = tc_inputs(dataset, cps, tc_blend)
    t = target.astype(np.float32) / 255.0
    same = np.flatnonzero(~refs["val_differ"])
    # One pass of the generator (one checkpoint load) over the three sets of inputs.
    drawn = generate(run, np.concatenate([own_src, tc_src, tc_inputs(dataset, held, tc_blend)]))
    gen_own, gen_tc, gen_held = np.split(drawn, [len(cps), 2 * len(cps)])
    unchanged = np.array([np.array_equal(a, b) for a, b in zip(own_src, tc_src, strict=True)])
    result = {
        "own_inputs_all": scores(gen_own, t, np.arange(len(cps))),
        "own_inputs_same_form": scores(gen_own, t, same),
        "tc_inputs_same_form": scores(gen_tc, t, same),
        "same_form_tc_input_unchanged": int(unchanged[same].sum()),
        "fidelity_val": fidelity_by_gap(gen_tc, refs["val_jp"], refs["val_tc"], refs["val_differ"]),
        "fidelity_held_out": fidelity_by_gap(
            gen_held, refs["held_jp"], refs["held_tc"], refs["held_differ"]
        ),
    }
    return result, gen_own, unchanged, t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain-run", type=Path, required=True, action="append")
    parser.add_argument("--blend-run", type=Path, default=[], action="append")
    parser.add_argument("--tc-blend", default=[], action="append", help="the TC blend font(s)")
    parser.add_argument("--out", type=Path, default=Path("studies/quality-30min/tc-side.json"))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    if bool(args.blend_run) != bool(args.tc_blend):
        parser.error("--blend-run and --tc-blend go together")
    torch.set_num_threads(args.threads)
    first = open_run_dataset(load_for_inference(args.plain_run[0], which="last"), None)
    cps, _, _ = val_split(first)
    held = held_out(first)
    refs = {"val_cps": cps, "val_differ": differing(cps), "held_differ": differing(held)}
    for part, chars in (("val", cps), ("held", held)):
        refs[f"{part}_jp"] = face_glyphs(first, chars, JP_FACE)
        refs[f"{part}_tc"] = face_glyphs(first, chars, TC_FACE)
    result = {
        "val_chars": len(cps),
        "val_jp_tc_differ": int(refs["val_differ"].sum()),
        "held_out_chars": len(held),
        "held_out_jp_tc_differ": int(refs["held_differ"].sum()),
        "tc_blend": args.tc_blend,
        "runs": {},
    }
    runs = [(r, args.tc_blend) for r in args.blend_run] + [(r, None) for r in args.plain_run]
    drawn, unchanged_everywhere = {}, np.ones(len(cps), dtype=bool)
    for run, tc_blend in runs:
        result["runs"][run.name], gen_own, unchanged, target = measure(run, tc_blend, held, refs)
        drawn[run.name] = gen_own
        unchanged_everywhere &= unchanged
        print(run.name, json.dumps(result["runs"][run.name]), flush=True)
    # Where every run's TC input is its JP input, the TC font gets the JP-input drawing: the
    # one subset on which the runs' style can be compared for the TC font.
    rows = np.flatnonzero(unchanged_everywhere)
    result["tc_input_unchanged_for_every_run"] = len(rows)
    for name, gen_own in drawn.items():
        result["runs"][name]["tc_input_unchanged"] = scores(gen_own, target, rows)
    result["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    text = json.dumps(result, indent=1, ensure_ascii=False) + "\n"
    write_text_atomic(args.out, text, "the TC-side results")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
