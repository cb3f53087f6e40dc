"""Every CPU-runnable variant of the training step computes the golden step's losses.

``data/golden_step.json`` pins six steps of the tiny model (see test_golden_step.py). The
CUDA-graph step's body (static buffers, gradients zeroed in place, a device learning rate, the
NaN factor always multiplied in) is the code ``--cuda-graphs`` records; run eagerly here it
must reproduce the record exactly. ``--compile`` (inductor on the CPU) may reorder float sums,
so its losses are compared within a tolerance.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tiny_config
from zi2zi_core.cli import main
from zi2zi_core.errors import ConfigError
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.training.trainer import Trainer

GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_step.json").read_text())
LOSSES = ("d_loss", "g_loss", "d_adv", "d_cat", "g_adv", "g_l1", "g_const", "g_cat")


def _golden_config(data, run, **train):
    return tiny_config(
        data,
        run,
        steps=6,
        log_every=1,
        val_every=100,
        sample_every=100,
        checkpoint_every=100,
        seed=7,
        **train,
    )


def _train_rows(run: Path) -> list[dict]:
    return [r for r in read_metrics(run) if r["kind"] == "train"]


def test_graph_step_body_run_eagerly_reproduces_the_golden_step(dataset_factory, tmp_path):
    data = dataset_factory(num_styles=2)
    run = tmp_path / "run"
    trainer = Trainer(_golden_config(data, run), run)
    trainer.use_graph_step(capture=False)
    trainer.run()
    rows = _train_rows(run)
    assert [r["step"] for r in rows] == [g["step"] for g in GOLDEN["steps"]]
    for got, want in zip(rows, GOLDEN["steps"], strict=True):
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-9), (want["step"], key)


def test_graph_step_body_skips_an_injected_nan_step_like_the_eager_step(dataset_factory, tmp_path):
    data = dataset_factory(num_styles=2)
    rows = {}
    for variant in ("eager", "graph-body"):
        run = tmp_path / variant
        trainer = Trainer(_golden_config(data, run, debug_inject_nan_at_steps=[3]), run)
        if variant == "graph-body":
            trainer.use_graph_step(capture=False)
        trainer.run()
        rows[variant] = _train_rows(run)
    assert [r["skipped"] for r in rows["eager"]] == [0, 0, 1, 0, 0, 0]
    for eager, graph in zip(rows["eager"], rows["graph-body"], strict=True):
        assert graph["skipped"] == eager["skipped"]
        if eager["skipped"]:  # no good step in the tick: the means are not numbers
            assert all(graph[k] == eager[k] for k in LOSSES), graph
            continue
        for key in LOSSES:
            assert graph[key] == pytest.approx(eager[key], rel=1e-6), key


def test_cuda_graphs_on_cpu_is_refused_with_one_line_and_nothing_written(
    dataset_factory, tiny_model_flags, tmp_path
):
    data = dataset_factory(num_styles=2)
    run = tmp_path / "run"
    cfg = _golden_config(data, run, cuda_graphs=True, device="cpu")
    with pytest.raises(ConfigError, match=r"^--cuda-graphs needs a CUDA device") as info:
        Trainer(cfg, run)
    assert "\n" not in str(info.value)
    flags = [
        "train",
        "--shards",
        str(data),
        "--run",
        str(run),
        "--device",
        "cpu",
        *tiny_model_flags,
    ]
    result = CliRunner().invoke(main, [*flags, "--cuda-graphs", "--steps", "1"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"zi2zi: error: {info.value}"]
    assert not run.exists()


def test_cuda_graphs_with_a_compile_mode_that_makes_graphs_is_refused(dataset_factory, tmp_path):
    data = dataset_factory(num_styles=2)
    cfg = _golden_config(
        data, tmp_path / "run", cuda_graphs=True, compile=True, compile_mode="reduce-overhead"
    )
    with pytest.raises(ConfigError, match=r"^--cuda-graphs with --compile-mode reduce-overhead"):
        Trainer(cfg, tmp_path / "run")


def test_compiled_step_computes_the_golden_losses_within_tolerance(dataset_factory, tmp_path):
    """Two steps through inductor (C++ on the CPU). ``fallback_random`` makes compiled dropout
    draw eager's random numbers; what is left to differ is the order of float sums."""
    inductor_config = pytest.importorskip("torch._inductor.config")
    data = dataset_factory(num_styles=2)
    run = tmp_path / "run"
    cfg = _golden_config(data, run, compile=True)
    cfg = replace(cfg, train=replace(cfg.train, steps=2))
    with inductor_config.patch(fallback_random=True):
        Trainer(cfg, run).run()
    rows = _train_rows(run)
    assert [r["step"] for r in rows] == [1, 2]
    for got, want in zip(rows, GOLDEN["steps"][:2], strict=True):
        for key in (*LOSSES, "grad_norm_g", "grad_norm_d"):
            assert got[key] == pytest.approx(want[key], rel=1e-4, abs=1e-6), (want["step"], key)
