"""The training loop on a tiny model: it learns, resumes exactly, survives NaN losses."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import tiny_config
from zi2zi_core.rundir.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.training.trainer import Trainer, lr_factor

LOSS_KEYS = ("d_loss", "g_loss", "d_adv", "d_cat", "g_adv", "g_l1", "g_const", "g_cat", "g_tv")


def _train_records(run_dir):
    return [r for r in read_metrics(run_dir) if r["kind"] == "train"]


def test_fifty_steps_reduce_train_l1_and_write_the_run_directory(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_config(
        tiny_dataset,
        run,
        steps=50,
        lr=1e-3,  # a tiny model at the default 2e-4 moves too little in 50 steps
        log_every=10,
        val_every=25,
        sample_every=25,
        checkpoint_every=10,
        keep_checkpoints=2,
    )
    result = Trainer(cfg, run).run()
    assert result.step == 50 and not result.interrupted
    train = _train_records(run)
    assert [r["step"] for r in train] == [10, 20, 30, 40, 50]
    assert train[-1]["g_l1"] < 0.75 * train[0]["g_l1"]
    # the sweep report reads these: total gradient norms of both networks, finite and non-zero
    assert all(
        0 < r["grad_norm_g"] < float("inf") and 0 < r["grad_norm_d"] < float("inf") for r in train
    )
    records = read_metrics(run)
    val = [r for r in records if r["kind"] == "val"]
    baseline = [r for r in records if r["kind"] == "baseline"]
    assert [r["step"] for r in val] == [25, 50] and len(baseline) == 1
    assert val[-1]["val_l1"] < val[0]["val_l1"]
    assert {p.name for p in list_checkpoints(run)} == {"ckpt-00000040.pt", "ckpt-00000050.pt"}
    assert (run / "checkpoints" / "best.pt").is_file()
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "step-0000025.png",
        "step-0000050.png",
    ]
    saved = json.loads((run / "config.json").read_text())
    assert saved == cfg.to_dict() and saved["model"]["g_norm"] == "instance"
    state = load_checkpoint(latest_checkpoint(run))
    assert state["step"] == 50 and state["config"] == cfg.to_dict()


def test_stop_and_resume_gives_the_same_losses_as_an_uninterrupted_run(tiny_dataset, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    Trainer(tiny_config(tiny_dataset, straight, steps=10), straight).run()
    Trainer(tiny_config(tiny_dataset, split, steps=5), split).run()
    # resume with a longer horizon (steps is not shape-defining)
    Trainer(tiny_config(tiny_dataset, split, steps=10), split, resume=True).run()
    a, b = _train_records(straight), _train_records(split)
    assert [r["step"] for r in b] == list(range(1, 11))
    for ra, rb in zip(a, b, strict=True):
        assert {k: ra[k] for k in LOSS_KEYS} == {k: rb[k] for k in LOSS_KEYS}
    events = [r["event"] for r in read_metrics(split) if r["kind"] == "event"]
    assert events == ["resume"]
    ea = load_checkpoint(latest_checkpoint(straight))["ema"]
    eb = load_checkpoint(latest_checkpoint(split))["ema"]
    assert all(torch.equal(ea[k], eb[k]) for k in ea)


def test_injected_nan_skips_updates_then_rolls_back_with_a_lower_lr(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    messages = []
    cfg = tiny_config(
        tiny_dataset,
        run,
        steps=10,
        checkpoint_every=4,
        nan_tolerance=3,
        debug_inject_nan_at_steps=(6, 7, 8),
    )
    trainer = Trainer(cfg, run, on_message=messages.append)
    result = trainer.run()
    assert result.step == 10
    records = read_metrics(run)
    rollback = [r for r in records if r.get("event") == "nan_rollback"]
    assert len(rollback) == 1 and rollback[0]["failed_at"] == 8 and rollback[0]["step"] == 4
    assert any("lowered the learning rate" in m for m in messages)
    train = _train_records(run)
    skipped = {r["step"]: r["skipped"] for r in train}
    assert [r["step"] for r in train if r["skipped"]] == [6, 7, 8]
    assert skipped[5] == 0
    after = [r for r in train if r["step"] > 4 and records.index(r) > records.index(rollback[0])]
    assert [r["step"] for r in after] == [5, 6, 7, 8, 9, 10]
    assert all(r["lr"] == pytest.approx(1e-4) for r in after)
    assert all(r["skipped"] == 0 for r in after)
    assert load_checkpoint(latest_checkpoint(run))["schedule"]["lr_scale"] == 0.5


def test_a_skipped_step_leaves_the_weights_untouched(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(tiny_dataset, run, debug_inject_nan_at_steps=(1,)), run)
    before = {k: v.clone() for k, v in trainer.generator.state_dict().items()}
    d_before = {k: v.clone() for k, v in trainer.discriminator.state_dict().items()}
    trainer.train_step()
    after = trainer.generator.state_dict()
    params = {name for name, _ in trainer.generator.named_parameters()}
    assert all(torch.equal(before[k], after[k]) for k in params)
    d_params = {name for name, _ in trainer.discriminator.named_parameters()}
    assert all(torch.equal(d_before[k], trainer.discriminator.state_dict()[k]) for k in d_params)
    trainer.train_step()  # step 2 is not injected: weights move
    assert not all(torch.equal(before[k], trainer.generator.state_dict()[k]) for k in params)


def test_divergence_before_any_checkpoint_is_a_clear_error(tiny_dataset, tmp_path):
    from zi2zi_core.training.trainer import TrainingError

    run = tmp_path / "run"
    cfg = tiny_config(tiny_dataset, run, nan_tolerance=2, debug_inject_nan_at_steps=(1, 2))
    with pytest.raises(TrainingError, match="before the first checkpoint"):
        Trainer(cfg, run).run()


def test_lr_schedules():
    assert lr_factor("constant", 50, 100, 0.0, 10, 0.5) == 1.0
    assert lr_factor("linear", 0, 101, 0.0, 10, 0.5) == 1.0
    assert lr_factor("linear", 50, 101, 0.0, 10, 0.5) == pytest.approx(0.5)
    assert lr_factor("linear", 100, 101, 0.1, 10, 0.5) == pytest.approx(0.1)
    assert lr_factor("cosine", 50, 101, 0.0, 10, 0.5) == pytest.approx(0.5)
    assert lr_factor("cosine", 100, 101, 0.0, 10, 0.5) == pytest.approx(0.0)
    assert lr_factor("step", 25, 100, 0.0, 10, 0.5) == 0.25


def test_streaming_data_trains_and_resumes_exactly(tiny_dataset, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    stream = {"data_memory_budget": "1KiB", "steps": 6, "checkpoint_every": 3, "val_every": 100}
    trainer = Trainer(tiny_config(tiny_dataset, straight, **stream), straight)
    assert trainer.sampler.mode == "streaming"
    trainer.run()
    Trainer(tiny_config(tiny_dataset, split, **{**stream, "steps": 3}), split).run()
    Trainer(tiny_config(tiny_dataset, split, **stream), split, resume=True).run()
    a, b = _train_records(straight), _train_records(split)
    assert [r["g_l1"] for r in a] == [r["g_l1"] for r in b]


def test_bf16_autocast_and_channels_last_train_on_cpu(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_config(tiny_dataset, run, steps=2, precision="bf16", channels_last=True)
    trainer = Trainer(cfg, run)
    assert trainer.precision == "bf16"
    trainer.run()
    losses = _train_records(run)
    assert len(losses) == 2 and all(r["skipped"] == 0 for r in losses)
    assert all(isinstance(r["g_l1"], float) for r in losses)


def test_tensorboard_gets_scalars_and_sample_grids_when_installed(
    tiny_dataset, tmp_path, monkeypatch
):
    import sys
    import types

    calls = []

    class FakeWriter:  # stands in for tensorboard's SummaryWriter (an optional extra)
        def __init__(self, logdir):
            calls.append(("init", logdir))

        def add_scalar(self, tag, value, step):
            calls.append(("scalar", tag, step))

        def add_image(self, tag, image, step, dataformats):
            calls.append(("image", tag, step, dataformats, tuple(image.shape)))

        def close(self):
            calls.append(("close",))

    module = types.ModuleType("torch.utils.tensorboard")
    module.SummaryWriter = FakeWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", module)
    run = tmp_path / "run"
    Trainer(tiny_config(tiny_dataset, run, steps=2, val_every=2, sample_every=2), run).run()
    assert calls[0] == ("init", str(run / "tensorboard")) and calls[-1] == ("close",)
    tags = {c[1] for c in calls if c[0] == "scalar"}
    assert {"train/g_l1", "train/d_loss", "train/lr", "val/val_l1", "val/val_iou"} <= tags
    images = [c for c in calls if c[0] == "image"]
    assert len(images) == 1 and images[0][1:4] == ("samples", 2, "HW")
