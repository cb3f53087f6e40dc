"""The training step computes what it computed before the #11 restructure (golden record).

``data/golden_step.json`` holds the per-step losses, gradient norms and final weight sums of
six steps of the tiny model (seed 7, two styles, CPU), recorded at commit 7e1561d, before the
trainer was split into phases. Any rewrite of the step (phases, the GPU speed work) must
reproduce them: a change here means the step trains a different model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import tiny_config
from zi2zi_core.rundir.checkpoint import latest_checkpoint, load_checkpoint
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.training.trainer import Trainer

GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_step.json").read_text())


def test_six_steps_reproduce_the_recorded_losses_grad_norms_and_weights(dataset_factory, tmp_path):
    data = dataset_factory(num_styles=2)
    run = tmp_path / "run"
    cfg = tiny_config(
        data,
        run,
        steps=6,
        log_every=1,
        val_every=100,
        sample_every=100,
        checkpoint_every=100,
        seed=7,
    )
    Trainer(cfg, run).run()
    train = [r for r in read_metrics(run) if r["kind"] == "train"]
    assert [r["step"] for r in train] == [g["step"] for g in GOLDEN["steps"]]
    for got, want in zip(train, GOLDEN["steps"], strict=True):
        assert set(want) <= set(got)
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-9), (want["step"], key)
    state = load_checkpoint(latest_checkpoint(run))
    for name, want in GOLDEN["weight_sums"].items():
        got = sum(float(v.double().sum()) for v in state[name].values() if v.is_floating_point())
        assert got == pytest.approx(want, rel=1e-6), name
