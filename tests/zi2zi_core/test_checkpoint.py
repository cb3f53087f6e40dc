"""Checkpoints: atomic, weights-only, pruned, loadable for inference, fine-tunable, guarded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import tiny_config
from glyphrender.dataset.shards import Dataset
from zi2zi_core.errors import CheckpointError
from zi2zi_core.models.imaging import to_model
from zi2zi_core.rundir.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    load_for_inference,
    save_checkpoint,
)
from zi2zi_core.rundir.checkpoint_file import UnverifiedCheckpoint
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.training.trainer import Trainer


def test_save_is_atomic_and_load_rejects_foreign_files(tmp_path):
    path = tmp_path / "ckpt" / "ckpt-00000001.pt"
    save_checkpoint({"format_version": 1, "step": 1, "w": torch.ones(2)}, path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert load_checkpoint(path)["step"] == 1
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_checkpoint(junk)
    future = tmp_path / "future.pt"
    torch.save({"format_version": 99}, future)  # no checksum header: loaded, then refused
    with pytest.warns(UnverifiedCheckpoint), pytest.raises(CheckpointError, match="format 99"):
        load_checkpoint(future)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "absent.pt")


def test_checkpoint_holds_everything_and_inference_gets_the_ema(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_config(
        tiny_dataset, run, steps=6, val_every=3, checkpoint_every=2, keep_checkpoints=2
    )
    trainer = Trainer(cfg, run)
    trainer.run()
    assert [p.name for p in list_checkpoints(run)] == ["ckpt-00000004.pt", "ckpt-00000006.pt"]
    state = load_checkpoint(latest_checkpoint(run))
    expected = {
        "format_version",
        "step",
        "config",
        "dataset",
        "generator",
        "discriminator",
        "ema",
        "opt_g",
        "opt_d",
        "scaler",
        "schedule",
        "rng",
        "best",
    }
    assert expected <= set(state)
    assert state["dataset"]["path"] == str(tiny_dataset.resolve())
    bundle = load_for_inference(run, "last")
    assert bundle.step == 6 and bundle.model_config == cfg.model
    assert bundle.dataset_path == tiny_dataset.resolve() and bundle.train_config["steps"] == 6
    assert not bundle.generator.training
    ema = trainer.ema.module
    for k, v in ema.state_dict().items():
        assert torch.equal(bundle.generator.state_dict()[k], v)
    val = torch.from_numpy(Dataset.open(tiny_dataset).read_split("val").source[:2])
    src, style = to_model(val).unsqueeze(1), torch.zeros(2, dtype=torch.long)
    with torch.no_grad():
        assert torch.equal(bundle.generator(src, style), ema(src, style))
    best = load_for_inference(run)  # default "best"
    assert best.checkpoint_path.name == "best.pt"
    assert best.step == state["best"]["step"]


def test_ema_averages_parameters_and_copies_buffers():
    from zi2zi_core.training.ema import EMA

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    ema = EMA(net, decay=0.5)
    with torch.no_grad():
        net[0].weight.add_(1.0)
        net[1].running_mean.fill_(3.0)
    before = ema.module[0].weight.clone()
    ema.update(net, step=1000)
    assert torch.allclose(ema.module[0].weight, before + 0.5)
    assert torch.equal(ema.module[1].running_mean, torch.full((2,), 3.0))
    # spectral norm: the unnormalized weight is a parameter (averaged), u/v are buffers (copied)
    sn = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(3, 3))
    ema = EMA(sn, decay=0.5)
    original = ema.module.parametrizations.weight.original.clone()
    with torch.no_grad():
        sn.parametrizations.weight.original.add_(2.0)
    sn(torch.ones(1, 3))  # a training-mode forward advances the power iteration (u, v)
    ema.update(sn, step=1000)
    assert torch.allclose(ema.module.parametrizations.weight.original, original + 1.0)
    u = sn.parametrizations.weight[0]._u
    assert torch.equal(ema.module.parametrizations.weight[0]._u, u)


def test_resume_refuses_a_conflicting_shape_setting(tiny_dataset, tmp_path, tiny_model_flags):
    from click.testing import CliRunner
    from zi2zi_core.cli import main

    run = tmp_path / "run"
    base = [
        "train",
        "--shards",
        str(tiny_dataset),
        "--run",
        str(run),
        "--device",
        "cpu",
        *tiny_model_flags,
        "--batch-size",
        "8",
        "--steps",
        "2",
        "--checkpoint-every",
        "2",
        "--val-every",
        "2",
    ]
    runner = CliRunner()
    assert runner.invoke(main, base).exit_code == 0
    again = runner.invoke(main, base)
    assert again.exit_code == 1 and "--resume" in again.output
    bad = runner.invoke(main, ["train", "--run", str(run), "--resume", "--base-channels", "8"])
    assert bad.exit_code == 1
    assert "base_channels=8" in bad.output and "checkpoint" in bad.output
    ok = runner.invoke(
        main, ["train", "--run", str(run), "--resume", "--steps", "3", "--base-channels", "4"]
    )
    assert ok.exit_code == 0, ok.output
    assert load_checkpoint(latest_checkpoint(run))["step"] == 3


def test_init_from_copies_weights_and_grows_the_style_tables(dataset_factory, tmp_path):
    one = dataset_factory("one", num_styles=1, n_train=16, n_val=4)
    two = dataset_factory("two", num_styles=2, n_train=16, n_val=4)
    first = tmp_path / "first"
    Trainer(tiny_config(one, first, steps=2, checkpoint_every=2), first).run()
    source = load_checkpoint(latest_checkpoint(first))
    second = tmp_path / "second"
    cfg = tiny_config(two, second, steps=1, init_from=str(first))
    trainer = Trainer(cfg, second)
    g = trainer.generator.state_dict()
    assert g["embedding.weight"].shape[0] == 2
    assert torch.equal(g["embedding.weight"][:1], source["generator"]["embedding.weight"])
    same = [k for k in g if k != "embedding.weight"]
    assert all(torch.equal(g[k], source["generator"][k]) for k in same)
    d = trainer.discriminator.state_dict()
    head = [
        k
        for k in d
        if k.startswith("style_head.") and d[k].shape != source["discriminator"][k].shape
    ]
    assert head  # the style head grew from 1 to 2 rows
    trainer.run()
    # a different architecture is refused
    other = tmp_path / "other"
    with pytest.raises(CheckpointError, match="shape"):
        Trainer(tiny_config(two, other, model={"base_channels": 8}, init_from=str(first)), other)


def test_sigint_checkpoints_prints_the_resume_command_and_exits_zero(
    tiny_dataset, tmp_path, tiny_model_flags
):
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "zi2zi_core.cli.train",
        "--shards",
        str(tiny_dataset),
        "--run",
        str(run),
        "--device",
        "cpu",
        *tiny_model_flags,
        "--batch-size",
        "8",
        "--steps",
        "100000",
        "--log-every",
        "1",
        "--checkpoint-every",
        "100000",
        "--val-every",
        "100000",
        "--sample-every",
        "100000",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while (
        time.time() < deadline and len([r for r in read_metrics(run) if r["kind"] == "train"]) < 3
    ):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    resume = f"zi2zi train --run {run} --resume"
    assert resume in err
    path = latest_checkpoint(run)
    stopped = load_checkpoint(path)["step"]
    assert stopped >= 3 and path.name == f"ckpt-{stopped:08d}.pt"
    assert read_metrics(run)[-1]["event"] == "interrupted"
    cont = subprocess.run(
        [
            sys.executable,
            "-m",
            "zi2zi_core.cli.train",
            "--run",
            str(run),
            "--resume",
            "--steps",
            str(stopped + 2),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cont.returncode == 0, cont.stderr
    assert load_checkpoint(latest_checkpoint(run))["step"] == stopped + 2
