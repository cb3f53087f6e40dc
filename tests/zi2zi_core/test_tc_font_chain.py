"""scripts/tc_font.py, the Zen Maru Gothic TC command chain, end to end at a tiny size on
fontfactory fonts: a Pan-CJK-like collection (one glyph table, JP and TC cmaps) and a target
drawing some characters in the JP form and lacking others."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from fontfactory import make_font, make_regional_collection, standard_shapes
from fontTools.ttLib import TTFont
from glyphrender.fonts.loading import open_font, present_codepoints

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tc_font.py"
THIN, THICK = standard_shapes(60), standard_shapes(75)  # THICK: the target's style
SHARED = {0x4E00 + i: THIN[15 + i] for i in range(20)}  # 20 characters, one form
# Regional characters: the JP face draws one shape, the TC face another.
REGIONAL = {0x4E14 + i: (THIN[2 * i], THIN[2 * i + 1]) for i in range(6)}
CHARSET = "U+4E00-U+4E19"
TINY_TRAIN = (
    "--batch-size 4 --base-channels 4 --d-base-channels 4 --style-dim 4 --log-every 1 "
    "--val-every 2 --checkpoint-every 2 --sample-every 2"
)


def _load():
    spec = importlib.util.spec_from_file_location("tc_font", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["tc_font"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fonts(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fonts")
    pan = make_regional_collection(tmp_path / "pan.otc", SHARED, REGIONAL)
    # The target draws 4E00-4E0F (16 of the shared characters) and 4E14-4E16 in the JP form
    # (heavier strokes): those 3 are replacement candidates, 4E17 in the TC form is not; it
    # lacks 4E10-4E13 and 4E18-4E19: 6 to add.
    glyphs = {0x4E00 + i: THICK[15 + i] for i in range(16)}
    glyphs.update({0x4E14 + i: THICK[2 * i] for i in range(3)})
    glyphs[0x4E17] = THICK[2 * 3 + 1]
    target = make_font(tmp_path / "target.ttf", glyphs, family="Target Round")
    return pan, target


def _args(out, pan, target, *more: str) -> list[str]:
    return [
        *("--out", str(out), "--size", "32", "--steps", "2", "--no-fetch"),
        *("--collection", str(pan), "--jp-face", "0", "--tc-face", "1"),
        *("--target", str(target), "--charset", CHARSET, "--train-args", TINY_TRAIN),
        *("--specimen-text", "\u4e00\u4e10\u4e14\u4e17"),  # base, added, replaced, base
        *more,
    ]


@pytest.fixture(scope="module")
def accepted_all(tmp_path_factory, fonts):
    """One whole chain with --accept-all: (output folder, what it printed, its exit code)."""
    import contextlib
    import io

    pan, target = fonts
    out = tmp_path_factory.mktemp("chain") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = _load().main(_args(out, pan, target, "--accept-all"))
    return out, printed.getvalue(), code


def test_chain_makes_a_renamed_complete_font_with_notes(fonts, accepted_all):
    _, target = fonts
    tc_font = _load()
    out, printed, code = accepted_all
    assert code == 0, printed
    assert "6 to add, 3 replacement candidates" in printed
    assert "6 glyphs added, 3 replaced" in printed
    assert "File sanitized successfully" in printed  # ots-sanitize's own line
    forms = json.loads((out / "forms.json").read_text())
    assert forms["target_closer_to_a"] == [0x4E14, 0x4E15, 0x4E16]
    font_path = out / tc_font.FONT_NAME
    font = TTFont(str(font_path))
    assert font["name"].getDebugName(1) == "Target Round TC"
    note = font["name"].getDebugName(10)
    assert "6 glyphs added and 3 replaced" in note and "Noto Sans CJK TC" in note
    assert "pairs of the characters whose JP and TC forms agree" in note
    assembled, base = open_font(font_path), open_font(target)
    assert set(range(0x4E00, 0x4E1A)) <= present_codepoints(assembled)
    for cp in (0x4E14, 0x4E15, 0x4E16):  # accepted candidates point at new glyphs
        assert assembled.cmap[cp] != base.cmap[cp]
    assert assembled.cmap[0x4E17] == base.cmap[0x4E17]  # not a candidate: kept
    assert "4 characters, 2 highlighted (1 of them replaced), 0 missing" in printed


def _trained_characters(data: Path) -> set[int]:
    from glyphrender.dataset.shards import Dataset

    dataset = Dataset.open(data)
    return {
        int(cp)
        for split in ("train", "val")
        if dataset.has_split(split)
        for cp in dataset.read_split(split).codepoint
    }


def test_chain_trains_only_on_characters_whose_forms_agree(accepted_all):
    """No training target shows a Japanese form that Taiwan's differs from: the target's
    JP-form glyphs (4E14-4E16) and its TC-form one (4E17) are left out, the 16 shared kept."""
    out, printed, _ = accepted_all
    assert _trained_characters(out / "data") == set(range(0x4E00, 0x4E10))
    listed = (out / "train-chars.txt").read_text(encoding="utf-8").splitlines()
    assert listed[0] == "U+4E00\t\u4e00" and len(listed) == 20  # every shared one, drawn or not
    assert f"20 characters of {CHARSET} have one form in both faces" in printed


def test_train_on_all_keeps_every_pair_and_no_shared_form_is_one_line(tmp_path, fonts, capsys):
    pan, target = fonts
    tc_font = _load()
    args = _args(tmp_path / "all", pan, target, "--accept-all", "--train-on", "all")
    chain = tc_font.parse_args(args)
    for step in (tc_font.step_fetch, tc_font.step_forms, tc_font.step_build):  # no model needed
        step(chain)
    regional_drawn = {0x4E14, 0x4E15, 0x4E16, 0x4E17}  # three in the JP form, one in the TC
    trained = _trained_characters(tmp_path / "all" / "data")
    assert trained == set(range(0x4E00, 0x4E10)) | regional_drawn
    assert not (tmp_path / "all" / "train-chars.txt").exists()
    # A collection whose faces share no form: the build step says so, and builds nothing.
    none_shared = make_regional_collection(tmp_path / "apart.otc", {}, REGIONAL)
    args = _args(tmp_path / "apart", none_shared, target, "--accept-all")
    args[args.index("--charset") + 1] = "U+4E14-U+4E19"
    assert tc_font.main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "tc_font: error: step 3 (build form-true pairs (Noto Sans CJK JP -> Zen Maru Gothic)) "
        f"failed: {tmp_path / 'apart' / 'forms.json'}: no character of U+4E14-U+4E19 has one "
        "form in both faces (--train-on all trains on every character)"
    ]
    assert not (tmp_path / "apart" / "data").exists()


def test_chain_reuses_a_run_and_takes_the_review_decisions(tmp_path, fonts, accepted_all, capsys):
    pan, target = fonts
    tc_font = _load()
    # Reviewed in place (glyphrender review OUT/gen), then the chain run again: generate
    # replaces OUT/gen, the decisions read at the start survive it.
    decisions = tmp_path / "out" / "gen" / "decisions.json"
    decisions.parent.mkdir(parents=True)
    entries = {"U+4E14": "accepted", "U+4E15": "rejected", "U+4E10": "rejected"}
    decisions.write_text(json.dumps({"format": "glyphrender-review-decisions", "version": 1,
                                     "decisions": entries}))  # fmt: skip
    args = _args(tmp_path / "out", pan, target, "--run", str(accepted_all[0] / "run"))
    code = tc_font.main([*args, "--decisions", str(decisions)])
    printed = capsys.readouterr()
    # 4E10 rejected: Big5 is no longer complete, which the coverage step says in one line.
    assert code == 1, printed.out
    assert "reusing" in printed.out and "1 accepted, 2 rejected" in printed.out
    assert printed.err.strip().splitlines() == [
        f"tc_font: error: step 11 (coverage) failed: {tmp_path / 'out' / tc_font.FONT_NAME}: "
        f"lacks 1 of {CHARSET}: U+4E10 \u4e10"
    ]
    font = open_font(tmp_path / "out" / tc_font.FONT_NAME)
    base = open_font(target)
    assert font.cmap[0x4E14] != base.cmap[0x4E14]  # accepted: replaced
    assert font.cmap[0x4E15] == base.cmap[0x4E15]  # rejected: the base's own
    assert font.cmap[0x4E16] == base.cmap[0x4E16]  # undecided: the base's own
    # A reused run's dataset is not this chain's: the notes do not say what it trained on.
    note = TTFont(str(tmp_path / "out" / tc_font.FONT_NAME))["name"].getDebugName(10)
    assert "pairs, from the glyphs" in note and "forms agree" not in note


def test_bad_input_is_one_line_and_nothing_written(tmp_path, fonts, capsys):
    pan, target = fonts
    tc_font = _load()
    args = _args(tmp_path / "out", pan, target, "--accept-all")
    args[args.index("--tc-face") + 1] = "5"
    assert tc_font.main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(pan) in err[0] and "face index 5" in err[0]
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as usage:  # the review is required: decisions or accept-all
        tc_font.main(_args(tmp_path / "out", pan, target))
    assert usage.value.code == 2


def test_the_fonts_are_checked_after_the_fetch_brings_them(tmp_path, fonts, monkeypatch, capsys):
    """On a fresh clone the collection is not there until step 1 fetches it."""
    import shutil

    pan, target = fonts
    tc_font = _load()
    fetched = tmp_path / "fonts" / "pan.otc"
    args = _args(tmp_path / "out", fetched, target, "--accept-all")
    args.remove("--no-fetch")
    commands = []

    def fake_run(argv):
        commands.append(argv)
        if str(argv[1]).endswith("fetch_fonts.py"):
            fetched.parent.mkdir()
            shutil.copyfile(pan, fetched)
            return
        raise tc_font.ChainError("stopped here by the test")

    monkeypatch.setattr(tc_font, "run_command", fake_run)
    assert tc_font.main(args) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "tc_font: error: step 2 (the form oracle: which forms agree, which of the target's glyphs are JP) failed: stopped here by the test"
    )
    assert len(commands) == 2 and (tmp_path / "out").is_dir()


def test_chain_run_again_continues_its_own_run(tmp_path, fonts, accepted_all, capsys):
    import shutil

    pan, target = fonts
    out = tmp_path / "out"
    for part in ("run", "data"):  # an earlier chain's 2-step run and the pairs it trained on
        shutil.copytree(accepted_all[0] / part, out / part)
    args = _args(out, pan, target, "--accept-all")
    args[args.index("--steps") + 1] = "4"
    assert _load().main(args) == 0
    assert "--resume --steps 4" in capsys.readouterr().out
    assert max(_checkpoint_steps(out / "run")) == 4


def _checkpoint_steps(run: Path) -> list[int]:
    return [int(p.stem.split("-")[1]) for p in (run / "checkpoints").glob("ckpt-*.pt")]


def test_chain_refuses_to_continue_a_run_on_other_pairs(tmp_path, fonts, accepted_all, capsys):
    """Run again with --train-on all where the earlier chain trained on the same-form
    characters: continuing would train that model on the JP-form pairs it was kept from."""
    import shutil

    pan, target = fonts
    out = tmp_path / "out"
    for part in ("run", "data"):
        shutil.copytree(accepted_all[0] / part, out / part)
    args = _args(out, pan, target, "--accept-all", "--train-on", "all")
    args[args.index("--steps") + 1] = "4"
    assert _load().main(args) == 1
    printed = capsys.readouterr()
    assert "--resume" not in printed.out
    assert printed.err.strip().splitlines() == [
        "tc_font: error: step 3 (build form-true pairs (Noto Sans CJK JP -> Zen Maru Gothic)) "
        f"failed: {out / 'run'}: trained on another dataset than this chain builds (charset, "
        "coverage, splits differ: another --train-on, --charset, --size or font?); remove it "
        "to train afresh, or give another --out"
    ]
    assert _checkpoint_steps(out / "run") == _checkpoint_steps(accepted_all[0] / "run")
