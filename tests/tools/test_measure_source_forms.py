"""scripts/measure_source_forms.py: its IoU matches the eval's definition; bad input is one line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "measure_source_forms.py"
spec = importlib.util.spec_from_file_location("measure_source_forms", SCRIPT)
MEASURE = importlib.util.module_from_spec(spec)
spec.loader.exec_module(MEASURE)


def test_ink_iou_binarises_at_half_coverage():
    a = np.zeros((4, 8, 8), np.uint8)
    b = np.zeros((4, 8, 8), np.uint8)
    a[0, :4], b[0, :4] = 255, 200  # same ink, different grey: identical shapes
    a[1, :4], b[1, 4:] = 255, 255  # disjoint
    a[2, :4], b[2, :2] = 128, 255  # 128/255 counts as ink: half of the union shared
    a[3], b[3] = 127, 0  # below half coverage on both: blank pair
    assert MEASURE.ink_iou(a, b).tolist() == [1.0, 0.0, 0.5, 1.0]


def test_missing_font_is_one_clear_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--fonts", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("measure_source_forms: error: ")
    assert "NotoSansJP_400Regular.ttf" in lines[0]
