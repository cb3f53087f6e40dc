"""studies/gpu/run_files.py: the GPU parts pack and prune run files by the names RunDir gives,
so the shell scripts spell no run-directory file name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.sweep.grid import RUNS_DIR

SCRIPT = Path(__file__).resolve().parents[2] / "studies" / "gpu" / "run_files.py"


@pytest.fixture
def run_files(monkeypatch):
    spec = importlib.util.spec_from_file_location("gpu_run_files", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_run_files", module)
    spec.loader.exec_module(module)
    return module


def _fake_run(path: Path) -> RunDir:
    run = RunDir(path)
    report = run.eval_report_dir("last", "val")
    for f in (run.config_json, run.metrics_log, run.checkpoint(100), run.checkpoint(200),
              run.best_checkpoint, run.sample(100), run.sample(200), report / "metrics.json",
              report / "per_glyph.csv"):  # fmt: skip
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    return run


def _printed(run_files, capsys, *argv: str) -> list[str]:
    assert run_files.main(list(argv)) == 0
    return capsys.readouterr().out.splitlines()


def test_each_kind_names_the_runs_files_and_a_glob_that_matched_nothing_prints_nothing(
    run_files, capsys, tmp_path
):
    run = _fake_run(tmp_path / "runs" / "a")
    report = run.eval_report_dir("last", "val")
    printed = _printed(run_files, capsys, "metrics,config,eval,last-sample", str(run.path),
                       str(tmp_path / "runs" / "*"))  # fmt: skip
    assert printed == [str(p) for p in (run.metrics_log, run.config_json,
                       report / "metrics.json", report / "per_glyph.csv", run.sample(200))]  # fmt: skip
    printed = _printed(run_files, capsys, "checkpoints,train-log", str(run.path))
    assert printed == [str(run.checkpoint(100)), str(run.checkpoint(200)), str(run.best_checkpoint)]


def test_a_sweep_folder_gives_its_runs_or_the_named_ones(run_files, capsys, tmp_path):
    sweep = tmp_path / "sweep"
    a, b = (_fake_run(sweep / RUNS_DIR / name) for name in ("a", "b"))
    assert _printed(run_files, capsys, "config", "--sweep", str(sweep)) == [
        str(a.config_json),
        str(b.config_json),
    ]
    assert _printed(run_files, capsys, "metrics", "--sweep", str(sweep), "b") == [
        str(b.metrics_log)
    ]
    assert _printed(run_files, capsys, "metrics", "--sweep", str(tmp_path / "none")) == []


def test_an_unknown_kind_is_a_usage_error(run_files, capsys):
    with pytest.raises(SystemExit) as stop:
        run_files.main(["configs", "runs/a"])
    assert stop.value.code == 2
    assert "unknown kind(s) configs" in capsys.readouterr().err
