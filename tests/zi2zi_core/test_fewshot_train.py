"""Few-shot training (``zi2zi train --train-limit N``): which rows train, what the run records."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from glyphrender.cli import main as glyphrender_main
from glyphrender.dataset.fewshot import pick_train_chars
from glyphrender.dataset.shards import Dataset
from zi2zi_core.cli import main
from zi2zi_core.training.data import ResidentSampler, StreamingSampler, open_train_sampler
from zi2zi_core.training.fewshot import select_train

CPU = torch.device("cpu")


def _keys(dataset: Dataset, rows) -> list[tuple[int, int]]:
    train = dataset.read_split("train")
    return [(int(train.style[i]), int(train.codepoint[i])) for i in rows]


def _epoch(sampler, steps: int) -> list[bytes]:
    """The samples of ``steps`` batches, each identified by its source bytes and style."""
    out = []
    for step in range(steps):
        b = sampler.batch(step)
        out += [
            bytes(s.flatten().tolist()) + bytes([int(k)])
            for s, k in zip(b.source, b.style, strict=True)
        ]
    return out


def _row_codes(dataset: Dataset, rows) -> list[bytes]:
    train = dataset.read_split("train")
    return sorted(bytes(train.source[i].flatten().tolist()) + bytes([train.style[i]]) for i in rows)


def test_kept_rows_are_each_styles_pick_and_the_samplers_draw_only_them(dataset_factory):
    ds = Dataset.open(dataset_factory(num_styles=2, n_train=40, shard_size=24))
    pick = select_train(ds, 10, "spread", 3)
    train = ds.read_split("train")
    for style in (0, 1):
        chars = train.codepoint[train.style == style].tolist()
        want = [(style, cp) for cp in pick_train_chars(chars, 10, 3, "spread")]
        assert [k for k in _keys(ds, pick.rows) if k[0] == style] == want
    assert len(pick.rows) == 20 and pick.total == 80
    assert pick.describe().startswith("few-shot: 20 of 80 train characters (10 per style")
    resident = open_train_sampler(ds, CPU, 4, seed=1, rows=pick.rows)
    streaming = open_train_sampler(ds, CPU, 4, seed=1, memory_budget=1, rows=pick.rows)
    assert isinstance(resident, ResidentSampler) and isinstance(streaming, StreamingSampler)
    try:
        for sampler in (resident, streaming):
            assert sorted(_epoch(sampler, 5)) == _row_codes(ds, pick.rows)  # one epoch: 20 rows
    finally:
        streaming.close()


def test_a_limit_at_or_above_the_train_size_keeps_every_row_in_the_same_order(tiny_dataset):
    ds = Dataset.open(tiny_dataset)
    pick = select_train(ds, 64, "common", 0)
    assert pick.rows.tolist() == list(range(64))
    assert select_train(ds, 0, "spread", 0) is None
    every = ResidentSampler(ds, CPU, 8, seed=2)
    limited = ResidentSampler(ds, CPU, 8, seed=2, rows=pick.rows)
    for step in (0, 9):
        assert torch.equal(every.batch(step).source, limited.batch(step).source)


def _build(args: list[str]) -> None:
    result = CliRunner().invoke(
        glyphrender_main, ["build", "--size", "16", "--workers", "1", *args]
    )
    assert result.exit_code == 0, result.output


def test_the_option_trains_on_the_rows_of_the_charset_route(font_factory, tmp_path):
    """--train-limit on the full dataset = a dataset built from a charset of the picked train
    characters plus every val character (how the issue-17 pilot was run): same rows, same
    batches, same val split."""
    src, dst = font_factory.pair(40, 40)
    fonts = ["--src", str(src), "--dst", str(dst), "--val-fraction", "0.25"]
    _build([*fonts, "--charset", "U+4E00-U+4EFF", "--out", str(tmp_path / "full")])
    full = Dataset.open(tmp_path / "full")
    pick = select_train(full, 12, "spread", 0)
    chars = {cp for _, cp in _keys(full, pick.rows)} | set(
        full.read_split("val").codepoint.tolist()
    )
    charset = tmp_path / "pick.txt"
    charset.write_text("".join(f"U+{cp:04X}\n" for cp in sorted(chars)))
    _build([*fonts, "--charset", str(charset), "--out", str(tmp_path / "route")])
    route = Dataset.open(tmp_path / "route")
    assert route.count("train") == 12
    assert route.read_split("val").codepoint.tolist() == full.read_split("val").codepoint.tolist()
    a = ResidentSampler(full, CPU, 5, seed=4, rows=pick.rows)
    b = ResidentSampler(route, CPU, 5, seed=4)
    for step in range(6):
        assert torch.equal(a.batch(step).source, b.batch(step).source)
        assert torch.equal(a.batch(step).target, b.batch(step).target)


def _train(dataset, run, *extra):
    args = ["train", "--shards", str(dataset), "--run", str(run), "--device", "cpu"]
    args += ["--base-channels", "4", "--d-base-channels", "4", "--d-layers", "2"]
    args += ["--style-dim", "4", "--batch-size", "4", "--log-every", "1", "--val-every", "2"]
    args += ["--checkpoint-every", "2", "--sample-every", "2", *extra]
    return CliRunner().invoke(main, args)


def test_a_few_shot_run_records_its_pick_keeps_val_and_refuses_a_changed_resume(
    tiny_dataset, tmp_path
):
    run = tmp_path / "run"
    first = _train(
        tiny_dataset, run, "--steps", "2", "--train-limit", "10", "--train-pick-seed", "5"
    )
    assert first.exit_code == 0, first.output
    assert "few-shot: 10 of 64 train characters (10 by rule spread, seed 5" in first.output
    record = json.loads((run / "train-pick.json").read_text())
    ds = Dataset.open(tiny_dataset)
    chars = ds.read_split("train").codepoint.tolist()
    want = [f"U+{cp:04X}" for cp in pick_train_chars(chars, 10, 5, "spread")]
    assert record["styles"]["0"]["codepoints"] == want and record["train_rows"] == 10
    train_cfg = json.loads((run / "config.json").read_text())["train"]
    assert (train_cfg["train_limit"], train_cfg["train_pick"], train_cfg["train_pick_seed"]) == (
        10,
        "spread",
        5,
    )
    again = _train(tiny_dataset, run, "--resume", "--steps", "4")  # same pick: fine
    assert again.exit_code == 0, again.output
    changed = _train(tiny_dataset, run, "--resume", "--steps", "6", "--train-limit", "20")
    assert changed.exit_code == 1
    lines = changed.output.strip().splitlines()
    assert len(lines) == 1 and "cannot change the few-shot pick (train_limit 10 -> 20)" in lines[0]


def test_validation_keeps_the_whole_val_split(tiny_dataset, tmp_path):
    from conftest import tiny_config
    from zi2zi_core.training.trainer import Trainer

    trainer = Trainer(tiny_config(tiny_dataset, tmp_path / "run", train_limit=3), tmp_path / "run")
    val = Dataset.open(tiny_dataset).read_split("val")
    assert trainer.sampler.count == 3
    assert trainer.validator.val.codepoint.tolist() == val.codepoint.tolist()  # all 16
    assert torch.equal(trainer.validator.val.target, torch.from_numpy(val.target))


@pytest.mark.parametrize("flag", [["--train-limit", "-1"], ["--train-pick", "alphabetical"]])
def test_bad_pick_settings_are_usage_errors(tiny_dataset, tmp_path, flag):
    result = _train(tiny_dataset, tmp_path / "run", "--steps", "2", *flag)
    assert result.exit_code == 2 and not (tmp_path / "run").exists()
