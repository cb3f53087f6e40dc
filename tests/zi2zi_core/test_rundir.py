"""The run directory: its layout object, and the metrics log surviving a crash mid-line."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import zi2zi_core
from zi2zi_core.rundir.checkpoint import latest_checkpoint
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.rundir.metrics_log import MetricsLog, read_metrics


def test_run_dir_names_every_file_a_run_holds(tmp_path):
    run = RunDir(tmp_path / "run")
    assert run.metrics_log == tmp_path / "run" / "metrics.jsonl"
    assert run.config_json.name == "config.json" and run.config_toml.name == "config.toml"
    assert run.checkpoint(40) == tmp_path / "run" / "checkpoints" / "ckpt-00000040.pt"
    assert run.best_checkpoint == tmp_path / "run" / "checkpoints" / "best.pt"
    assert run.sample(25) == tmp_path / "run" / "samples" / "step-0000025.png"
    assert run.eval_dir("best-val") == tmp_path / "run" / "eval" / "best-val"
    for step in (5, 100, 20):
        run.checkpoint(step).parent.mkdir(parents=True, exist_ok=True)
        run.checkpoint(step).write_bytes(b"")
    run.best_checkpoint.write_bytes(b"")
    assert [s for s, _ in run.step_checkpoints()] == [5, 20, 100]
    assert latest_checkpoint(run.path) == run.checkpoint(100)


RUN_FILE_NAMES = {v for k, v in vars(RunDir).items() if k.isupper() and isinstance(v, str)}


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
    }


def literal_run_file_names(source: str) -> list[str]:
    """Run-dir file names written as literals (docstrings aside): any string holding a dotted
    name (``best.pt``), and a folder name (``eval``) joined onto a path with ``/``."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    dotted = sorted(n for n in RUN_FILE_NAMES if "." in n)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found += [f"{node.lineno}: {name}" for name in dotted if name in node.value]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value in RUN_FILE_NAMES:
                    found.append(f"{node.lineno}: / {side.value!r}")
    return sorted(found)


def test_only_the_layout_names_the_files_of_a_run():
    src = Path(zi2zi_core.__file__).parent
    found = [
        f"{path.relative_to(src)}:{hit}"
        for path in sorted(src.rglob("*.py"))
        if path.parent.name != "rundir"
        for hit in literal_run_file_names(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "use RunDir's names instead:\n" + "\n".join(found)


def test_the_literal_check_finds_literals():
    bad = '''"""Docs may say best.pt."""
out = run_dir / "eval" / label
help = "Val metric that picks best.pt."
tag = "samples"  # not a path
'''
    assert literal_run_file_names(bad) == ["2: / 'eval'", "3: best.pt"]


def test_a_line_cut_short_by_a_crash_is_skipped_and_the_log_goes_on(tmp_path):
    log = MetricsLog(tmp_path)
    log.write("train", 1, g_l1=0.5)
    log.write("train", 2, g_l1=0.4)
    log.close()
    with open(tmp_path / "metrics.jsonl", "a", encoding="utf-8") as f:
        f.write('{"kind": "train", "step": 3, "g_l')  # the process died here
    assert [r["step"] for r in read_metrics(tmp_path)] == [1, 2]
    resumed = MetricsLog(tmp_path)
    resumed.write("event", 2, event="resume")  # appended on a fresh line, not glued to the cut
    resumed.close()
    assert [(r["kind"], r["step"]) for r in read_metrics(tmp_path)] == [
        ("train", 1),
        ("train", 2),
        ("event", 2),
    ]


def test_truncate_after_drops_later_steps_and_cut_lines(tmp_path):
    lines = [{"kind": "train", "step": s, "g_l1": 1.0 / s} for s in (1, 2, 3)]
    text = "".join(json.dumps(r) + "\n" for r in lines) + '{"kind": "tr'
    (tmp_path / "metrics.jsonl").write_text(text, encoding="utf-8")
    MetricsLog(tmp_path).truncate_after(2)
    assert (tmp_path / "metrics.jsonl").read_text().splitlines() == [
        json.dumps(r) for r in lines[:2]
    ]
    assert read_metrics(tmp_path / "absent") == []
