"""bench/report.py: suite results become a Markdown table; README rewritten only between markers.

Runs the script as users do (a subprocess) on small fixture files; nothing here is timed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "report.py"


def _suite(date: str, slug: str, build_median: float) -> dict:
    return {
        "schema": 1,
        "date": date,
        "mode": "quick",
        "machine": {"slug": slug, "cpu_model": "Test CPU", "cpu_count": 2, "memory_gib": 8.0},
        "device": {"type": "cpu", "name": "Test CPU"},
        "versions": {"python": "3.11.7", "torch": "2.13.0+cpu"},
        "load_average": {"before": [0.5, 0.4, 0.3], "after": [1.5, 0.9, 0.4]},
        "benchmarks": [
            {
                "name": "build",
                "returncode": 0,
                "peak_rss_mib": 812.4,
                "cuda_peak_mib": None,
                "figures": {
                    "build glyph images/s": {
                        "median": build_median,
                        "all": [build_median - 100, build_median, build_median + 50],
                        "unit": "images/s",
                    },
                    "raw FreeType images/s": {"median": 950.0, "all": [950.0], "unit": "images/s"},
                },
            },
            {"name": "assemble", "returncode": 1, "peak_rss_mib": 120.0, "error": "exit status 1"},
        ],
    }


def _write(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_table_has_medians_ranges_peak_memory_and_failures(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "suite-cpu2-test-2030-01-02.json", _suite("2030-01-02", "cpu2-test", 2200.0)
    )
    proc = _run(str(path))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "**cpu2-test** (2030-01-02, quick run" in out
    assert "| Benchmark | Figure | Median | Range (n) | Peak RSS MiB | CUDA peak MiB |" in out
    assert "| build | build glyph images/s | 2,200 images/s | 2,100–2,250 (3) | 812 |  |" in out
    assert "|  | raw FreeType images/s | 950 images/s | 950–950 (1) |  |  |" in out
    assert "| assemble | failed: exit status 1 |" in out


def test_latest_file_per_machine_is_chosen(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_report", SCRIPT)
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    old = _write(
        tmp_path, "suite-cpu2-test-2030-01-01.json", _suite("2030-01-01", "cpu2-test", 1.0)
    )
    new = _write(
        tmp_path, "suite-cpu2-test-2030-02-01.json", _suite("2030-02-01", "cpu2-test", 2.0)
    )
    other = _write(tmp_path, "suite-h100-2029-05-05.json", _suite("2029-05-05", "h100", 3.0))
    _write(tmp_path, "build-cpu2-test.json", {"benchmark": "build"})  # one script's: ignored
    _write(tmp_path, "gpu-check-cpu2-test-rehearsal.json", _suite("2030-03-01", "cpu2-test", 4.0))
    check = _write(tmp_path, "gpu-check-h100-2029-06-01.json", _suite("2029-06-01", "h100", 5.0))
    assert report.latest_files(tmp_path) == [new, other, check]
    assert old not in report.latest_files(tmp_path)


def test_update_readme_replaces_only_the_marked_section(tmp_path: Path) -> None:
    results = _write(
        tmp_path, "suite-cpu2-test-2030-01-02.json", _suite("2030-01-02", "cpu2-test", 5.0)
    )
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\nbefore\n<!-- bench:start -->\nold table\n<!-- bench:end -->\nafter\n",
        encoding="utf-8",
    )
    proc = _run("--update-readme", "--readme", str(readme), str(results))
    assert proc.returncode == 0, proc.stderr
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text
    assert text.startswith("# Title\n\nbefore\n<!-- bench:start -->\n**cpu2-test**")
    assert text.endswith("<!-- bench:end -->\nafter\n")
    assert "| build | build glyph images/s | 5 images/s |" in text


@pytest.mark.parametrize(
    "content, problem",
    [
        ("# No markers here\n", "markers"),
        (None, "cannot read results"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# No markers here\n", encoding="utf-8")
    results = tmp_path / "suite-cpu2-test-2030-01-02.json"
    if content is None:
        results.write_text("{not json", encoding="utf-8")
    else:
        results.write_text(json.dumps(_suite("2030-01-02", "cpu2-test", 5.0)), encoding="utf-8")
    proc = _run("--update-readme", "--readme", str(readme), str(results))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and problem in proc.stderr
    assert "Traceback" not in proc.stderr
    assert readme.read_text(encoding="utf-8") == "# No markers here\n"


def test_training_cases_get_a_table_with_data_share_and_mfu(tmp_path: Path) -> None:
    suite = _suite("2030-03-03", "h200", 1.0)
    case = {"batch_size": 16, "precision": "bf16", "compile": False, "cuda_graphs": True}
    case |= {"images_per_s": 812.5, "phase_share": {"data": 0.0123}, "mfu": 0.1746}
    mfu_inputs = {"flops_per_image": 170e9, "peak_flops_per_s": 790e12, "peak": {"matmul": "m"}}
    suite["benchmarks"] += [
        {
            "name": "train-graphs",
            "returncode": 0,
            "figures": {"b16 images/s": {"median": 812.5, "all": [812.5], "unit": "images/s"}},
            "result": {"benchmark": "train", "mfu": mfu_inputs, "results": [case]},
        },
        {
            "name": "train-run-b16-graphs",
            "returncode": 0,
            "figures": {"run images/s": {"median": 790.0, "all": [790.0], "unit": "images/s"}},
            "result": {
                "benchmark": "train-run",
                "command": ["zi2zi", "train", "--cuda-graphs"],
                "batch_size": 16,
                "precision": "bf16",
                "images_per_s": 790.0,
            },
        },
    ]
    proc = _run(str(_write(tmp_path, "gpu-check-h200-2030-03-03.json", suite)))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Training speed (h200). FLOPs/image 170.0 G" in out
    assert "peak 790 TFLOP/s (m)" in out
    assert "| train-graphs | 16 | bf16 | graphs | 812 | 1.2 % | 17.5 % |" in out
    assert "| train-run-b16-graphs | 16 | bf16 | zi2zi train --cuda-graphs | 790 | | |" in out


def test_files_without_training_cases_get_no_training_table(tmp_path: Path) -> None:
    proc = _run(
        str(_write(tmp_path, "suite-cpu2-2030-01-02.json", _suite("2030-01-02", "cpu2", 1.0)))
    )
    assert proc.returncode == 0 and "Training speed" not in proc.stdout
