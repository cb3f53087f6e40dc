"""Reading runs back for comparisons: zi2zi eval's per-glyph table through RunDir, subset
means beside copy-the-source, the val curve from metrics.jsonl, the side-by-side picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.evaluation.compare import (
    read_per_glyph,
    side_by_side,
    spread_pick,
    subset_means,
    val_curve,
)
from zi2zi_core.evaluation.evaluate import EvalResult, write_report
from zi2zi_core.evaluation.metric_names import GLYPH_METRICS
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.rundir.metrics_log import MetricsLog


def _result(model_l1: list[float]) -> EvalResult:
    n = len(model_l1)
    scores = {
        system: {m: np.full(n, 0.5) for m in GLYPH_METRICS}
        for system in ("model", "copy_source", "blank")
    }
    scores["model"]["l1"] = np.array(model_l1)
    scores["copy_source"]["l1"] = np.full(n, 0.2)
    images = np.zeros((n, 8, 8), np.uint8)
    return EvalResult(
        codepoint=np.arange(0x4E00, 0x4E00 + n, dtype=np.uint32),
        style=np.zeros(n, np.int64),
        scores=scores,
        source=images,
        generated=images,
        target=images,
    )


def test_the_eval_table_is_read_back_from_where_zi2zi_eval_writes_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_report(RunDir(run).eval_report_dir("last", "val"), _result([0.1, 0.2, 0.3]), {})
    rows = read_per_glyph(run)  # last checkpoint, val split
    assert sorted(rows) == [0x4E00, 0x4E01, 0x4E02]
    assert rows[0x4E01]["model_l1"] == pytest.approx(0.2)
    means = subset_means(rows)
    assert means["count"] == 3
    assert means["model"]["l1"] == pytest.approx(0.2)
    assert means["copy_source"]["l1"] == pytest.approx(0.2)
    part = subset_means(rows, {0x4E00, 0x4E02, 0x9999})
    assert part["count"] == 2 and part["model"]["l1"] == pytest.approx(0.2)
    assert subset_means(rows, {0x4E00})["model"]["ink_iou"] == pytest.approx(0.5)


def test_a_run_without_that_eval_is_one_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(Zi2ziError) as info:
        read_per_glyph(tmp_path / "run", "best", "val")
    expected = RunDir(tmp_path / "run").eval_report_dir("best", "val") / "per_glyph.csv"
    assert str(info.value).startswith(f"{expected}: cannot read the eval table")


def test_val_curve_has_every_validation_in_order(tmp_path: Path) -> None:
    log = MetricsLog(tmp_path)
    log.write("train", 10, g_loss=1.0)
    log.write("val", 10, val_l1=0.2, val_ssim=0.5, val_iou=0.4)
    log.write("val", 20, val_l1=0.15, val_ssim=0.6, val_iou=0.5)
    log.close()
    curve = val_curve(tmp_path)
    assert [c["step"] for c in curve] == [10, 20]
    assert curve[1] == {"step": 20, "val_l1": 0.15, "val_ssim": 0.6, "val_iou": 0.5}


def test_side_by_side_draws_one_row_per_label_in_code_point_order() -> None:
    codepoints = np.array([5, 1, 4, 2, 3])
    pick = spread_pick(codepoints, 3)
    assert codepoints[pick].tolist() == [1, 3, 5]
    ink = np.full((3, 8, 8), 255, np.uint8)
    sheet = side_by_side([("source", ink), ("run", ink * 0)], gap=2, label_w=10)
    assert sheet.size == (10 + 3 * 10, 2 * 10 + 2)
    assert sheet.getpixel((10 + 4, 2 + 4)) == 0  # full ink is drawn black
    assert sheet.getpixel((10 + 4, 12 + 4)) == 255  # no ink stays white
