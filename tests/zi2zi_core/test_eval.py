"""Evaluation: model and baselines scored per glyph, and the report files users read."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from glyphrender.dataset.shards import GlyphBatch
from PIL import Image
from zi2zi_core.evaluation.evaluate import (
    SYSTEMS,
    EvalResult,
    evaluate,
    format_table,
    score_batch,
    write_report,
)
from zi2zi_core.evaluation.metric_names import GLYPH_METRICS as METRIC_NAMES
from zi2zi_core.models.config import ModelConfig
from zi2zi_core.models.networks import build_generator

PX = 32


def _tiny_generator(num_styles: int = 2) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = ModelConfig(
        glyph_px=PX, base_channels=4, num_styles=num_styles, style_dim=4, d_base_channels=4
    ).resolve(4)
    return build_generator(cfg).eval()


def _paired_batch(n: int = 6) -> GlyphBatch:
    rng = np.random.default_rng(0)
    source = np.zeros((n, PX, PX), np.uint8)
    target = np.zeros((n, PX, PX), np.uint8)
    for i in range(n):
        source[i, 4 + i : 10 + i, 6:26] = 255
        target[i, 5 + i : 12 + i, 6:26] = rng.integers(128, 256)
    return GlyphBatch(
        source, target, np.arange(0x4E00, 0x4E00 + n, dtype=np.uint32), np.arange(n) % 2
    )


class _Echo(torch.nn.Module):
    """A 'generator' that returns its source: its scores must equal copy-the-source."""

    def forward(self, source: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return source.clone()


def test_score_batch_baselines_by_hand():
    target = torch.zeros(2, PX, PX, dtype=torch.uint8)
    target[:, :, :8] = 255  # a quarter of the page inked
    source = target.clone()
    source[1] = 0
    generated = torch.full((2, 1, PX, PX), -1.0)  # model draws blank pages
    scores = score_batch(generated, source, target)
    assert set(scores) == set(SYSTEMS)
    assert scores["copy_source"]["l1"].tolist() == pytest.approx([0.0, 0.25])
    assert scores["copy_source"]["ink_iou"].tolist() == [1.0, 0.0]
    assert scores["copy_source"]["ssim"][0].item() == pytest.approx(1.0)
    assert scores["blank"]["l1"].tolist() == pytest.approx([0.25, 0.25])
    assert scores["blank"]["ink_iou"].tolist() == [0.0, 0.0]
    for name in METRIC_NAMES:
        assert torch.allclose(scores["model"][name], scores["blank"][name])


def test_evaluate_scores_every_glyph_for_model_and_baselines():
    batch = _paired_batch(7)
    result = evaluate(_tiny_generator(), batch, batch_size=3, device="cpu")
    assert result.count == 7
    assert result.codepoint.tolist() == batch.codepoint.tolist()
    assert result.generated.shape == batch.source.shape and result.generated.dtype == np.uint8
    for system in SYSTEMS:
        for name in METRIC_NAMES:
            values = result.scores[system][name]
            assert values.shape == (7,) and np.isfinite(values).all()
    # the batch size changes nothing beyond float32 rounding in the convolutions
    again = evaluate(_tiny_generator(), batch, batch_size=7, device="cpu")
    for name in METRIC_NAMES:
        np.testing.assert_allclose(
            result.scores["model"][name], again.scores["model"][name], atol=1e-6
        )


def test_a_generator_that_copies_scores_like_the_copy_baseline():
    result = evaluate(_Echo(), _paired_batch(), batch_size=4, device="cpu")
    for name in METRIC_NAMES:
        np.testing.assert_allclose(
            result.scores["model"][name], result.scores["copy_source"][name], atol=1e-6
        )
    np.testing.assert_array_equal(result.generated, result.source)


def test_ranked_puts_the_worst_glyph_first():
    n = 4
    scores = {s: {m: np.zeros(n) for m in METRIC_NAMES} for s in SYSTEMS}
    scores["model"]["l1"] = np.array([0.1, 0.4, 0.05, 0.4])
    scores["model"]["ssim"] = np.array([0.9, 0.2, 0.95, 0.5])
    images = np.zeros((n, PX, PX), np.uint8)
    result = EvalResult(
        np.array([10, 11, 12, 13], np.uint32), np.zeros(n, np.int64), scores, images, images, images
    )
    assert result.ranked("l1").tolist() == [1, 3, 0, 2]  # ties by code point
    assert result.ranked("ssim").tolist() == [1, 3, 0, 2]


def test_report_files(tmp_path):
    batch = _paired_batch(6)
    result = evaluate(_tiny_generator(), batch, batch_size=4, device="cpu")
    info = {"checkpoint": "best", "step": 12, "split": "val"}
    out = tmp_path / "eval" / "best-val"
    content = write_report(out, result, info)
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "per_glyph.csv", "review.png"]

    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved == content
    assert saved["checkpoint"] == "best" and saved["step"] == 12 and saved["split"] == "val"
    assert saved["count"] == 6
    assert set(saved["systems"]) == {"model", "copy_source", "blank"}
    for system in SYSTEMS:
        for name in METRIC_NAMES:
            assert saved["systems"][system][name] == pytest.approx(
                float(result.scores[system][name].mean())
            )
    assert {k: v["count"] for k, v in saved["per_style"].items()} == {"0": 3, "1": 3}

    with open(out / "per_glyph.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["codepoint"] for r in rows] == [f"U+{0x4E00 + i:04X}" for i in range(6)]
    assert rows[0]["char"] == "\u4e00" and rows[1]["style"] == "1"
    assert float(rows[2]["blank_l1"]) == pytest.approx(result.scores["blank"]["l1"][2], abs=1e-6)
    assert {f"{s}_{m}" for s in SYSTEMS for m in METRIC_NAMES} <= set(rows[0])

    with Image.open(out / "review.png") as sheet:
        assert sheet.mode == "L" and sheet.height > 6 * PX

    table = format_table(saved["systems"])
    assert table.splitlines()[0].split() == ["system", *METRIC_NAMES]
    assert [line.split()[0] for line in table.splitlines()[1:]] == list(SYSTEMS)


# --- the command -------------------------------------------------------------------------


def test_eval_command_writes_report_with_baselines(tmp_path, dataset_factory, make_run):
    from click.testing import CliRunner
    from zi2zi_core.cli import main

    data = dataset_factory("data", px=PX, n_train=4, n_val=5, n_missing=1, num_styles=2)
    run = make_run(tmp_path / "runs" / "tiny", data, num_styles=2)
    result = CliRunner().invoke(main, ["eval", "--run", str(run), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    out = run / "eval" / "best-val"
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved["count"] == 10 and saved["split"] == "val" and saved["step"] == 7
    assert saved["checkpoint"] == "best"
    assert set(saved["systems"]) == {"model", "copy_source", "blank"}
    assert (out / "review.png").is_file() and (out / "per_glyph.csv").is_file()
    lines = result.output.splitlines()
    assert any(line.split()[:1] == ["copy_source"] for line in lines)
    assert any(line.split()[:1] == ["blank"] for line in lines)


def test_eval_command_refuses_a_dataset_of_another_size(tmp_path, dataset_factory, make_run):
    from click.testing import CliRunner
    from zi2zi_core.cli import main

    data = dataset_factory("data", px=16, n_train=2, n_val=2, n_missing=1)
    run = make_run(tmp_path / "run", data, num_styles=1, glyph_px=PX)
    result = CliRunner().invoke(main, ["eval", "--run", str(run), "--device", "cpu"])
    assert result.exit_code == 1
    assert "glyphs are 16 px, the model was built for 32 px" in result.output
    assert not (run / "eval").exists()


def test_eval_command_finds_a_moved_dataset_with_shards(tmp_path, dataset_factory, make_run):
    from click.testing import CliRunner
    from zi2zi_core.cli import main

    data = dataset_factory("data", px=PX, n_train=2, n_val=3, n_missing=1)
    run = make_run(tmp_path / "run", tmp_path / "moved-away", num_styles=1)
    args = ["eval", "--run", str(run), "--device", "cpu"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "give its location with --shards" in result.output
    result = CliRunner().invoke(main, [*args, "--shards", str(data)])
    assert result.exit_code == 0, result.output
    assert json.loads((run / "eval" / "best-val" / "metrics.json").read_text())["count"] == 3


def test_command_metric_choices_are_the_computed_metrics():
    from zi2zi_core.cli import eval as eval_cli
    from zi2zi_core.evaluation.metrics import glyph_metrics

    rank_by = next(p for p in eval_cli.eval_cmd.params if p.name == "rank_by")
    computed = glyph_metrics(torch.zeros(1, 16, 16), torch.zeros(1, 16, 16))
    assert tuple(rank_by.type.choices) == tuple(computed) == METRIC_NAMES
    assert eval_cli.checkpoint_label("best") == "best"
    assert eval_cli.checkpoint_label("runs/a/checkpoints/ckpt-00000400.pt") == "ckpt-00000400"
