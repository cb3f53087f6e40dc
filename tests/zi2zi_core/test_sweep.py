"""zi2zi sweep: grid files, run names, partitions, collapse detection, the report, and a real
2-run sweep (skip finished runs, resume unfinished ones) on the tiny synthetic dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from zi2zi_core.cli import main
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import NormKind, SpectralMode
from zi2zi_core.sweep.grid import (
    default_grid,
    load_grid,
    parse_norm_token,
    parse_part,
    run_sections,
    select_runs,
)
from zi2zi_core.sweep.report import CollapseRule, build_report, collapse_events

TINY_GRID = """\
[base]
base_channels = 4
d_base_channels = 4
style_dim = 4
d_layers = 2

[axes]
g = ["batch", "none"]
d = ["spectral"]
batch_size = [4]
"""


def test_norm_tokens_canonical_and_checked() -> None:
    assert parse_norm_token("spectral+batch", "d") == parse_norm_token("batch+spectral", "d")
    choice = parse_norm_token("batch+spectral", "d")
    assert (choice.norm, choice.spectral, choice.token) == (
        NormKind.BATCH,
        SpectralMode.ALL,
        "spectral+batch",
    )
    assert parse_norm_token("spectral", "d").norm is NormKind.NONE
    assert parse_norm_token("spectral-deep", "g").spectral is SpectralMode.DEEP
    assert parse_norm_token("none", "g").token == "none"
    for bad in ("batch+instance", "spectral+spectral-deep", "bn", "auto", ""):
        with pytest.raises(ConfigError):
            parse_norm_token(bad, "g")


def test_default_grid_is_27_plus_9_spectral_deep_generators() -> None:
    grid = default_grid()
    names = grid.names()
    assert len(names) == 36 and len(set(names)) == 36
    assert names[0] == "g-batch_d-spectral_b4"
    assert "g-none_d-spectral+batch_b64" in names
    assert "g-spectral-deep+instance_d-spectral_b16" in names
    run = grid.runs[names.index("g-instance_d-batch_b16")]
    sections = run_sections(run, steps=300)
    assert sections["model"] == {
        "g_norm": "instance",
        "g_spectral": "off",
        "d_norm": "batch",
        "d_spectral": "off",
    }
    assert sections["train"]["batch_size"] == 16 and sections["train"]["steps"] == 300


def test_part_partition_is_disjoint_and_complete() -> None:
    grid = default_grid()
    parts = [select_runs(grid, part=(i, 3)) for i in (1, 2, 3)]
    names = [r.name for p in parts for r in p]
    assert sorted(names) == sorted(grid.names())
    assert [len(p) for p in parts] == [12, 12, 12]
    # each part mixes batch sizes, so parts take about the same time
    assert {r.batch_size for r in parts[0]} == {4, 16, 64}
    assert parts[1] == select_runs(grid, part=(2, 3))  # deterministic
    with pytest.raises(ConfigError):
        parse_part("4/3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[axes]\ng = ["batch", \n', "invalid TOML"),
        ('[axes]\ng = ["batchnorm"]\n', "'batchnorm' is not a norm token"),
        ("[base]\nbase_chanels = 8\n", "unknown setting 'base_chanels'"),
        ("[base]\nglyph_px = 64\n", "'glyph_px' is set by the sweep"),
        ("[axes]\nbatch_size = 4\n", "must be a non-empty list"),
        ("[axes]\nbatch_size = [0]\n", "batch_size"),
        ("[sweep]\nx = 1\n", "unexpected top-level key"),
    ],
)
def test_bad_grid_file_is_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["sweep", "--grid", str(grid), "--out", str(tmp_path / "o"), "--list"]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zi2zi: error: ")
    assert str(grid) in lines[0] and message in lines[0]


def test_extra_runs_and_names(tmp_path: Path) -> None:
    grid_file = tmp_path / "g.toml"
    grid_file.write_text(
        '[axes]\ng = ["batch"]\nlr = [0.0001, 0.0002]\n'
        '[[extra]]\ng = "spectral-deep"\nd = "batch+spectral"\nbatch_size = 4\n'
        '[[extra]]\nname = "my-run"\ng = "instance"\n',
        encoding="utf-8",
    )
    assert load_grid(grid_file).names() == [
        "g-batch_lr-0.0001",
        "g-batch_lr-0.0002",
        "g-spectral-deep_d-spectral+batch_b4",
        "my-run",
    ]


def test_collapse_events_need_k_consecutive_low_ticks() -> None:
    rule = CollapseRule(threshold=0.05, ticks=3)
    steps = list(range(10, 110, 10))
    d_adv = [1.3, 0.01, 0.02, 1.0, 0.01, 0.02, 0.03, 0.04, 0.9, 0.01]
    assert collapse_events(steps, d_adv, rule) == [{"start_step": 50, "end_step": 80, "ticks": 4}]
    assert collapse_events(steps[:3], [0.0, 0.0, 0.0], rule) == [
        {"start_step": 10, "end_step": 30, "ticks": 3}
    ]
    assert collapse_events(steps[:3], [0.0, None, 0.0], rule) == []


def _fake_run(
    out: Path, name: str, val_l1: list[float], d_adv: list[float], grad: bool, g_norm: str = "batch"
) -> None:
    run = out / "runs" / name
    run.mkdir(parents=True)
    config = {
        "model": {"g_norm": g_norm, "g_spectral": "off", "d_norm": "none", "d_spectral": "all"},
        "loss": {},
        "train": {"batch_size": 8, "steps": 10 * len(d_adv)},
    }
    (run / "config.json").write_text(json.dumps(config))
    lines = [{"kind": "baseline", "step": 0, "val_l1": 0.2, "val_ssim": 0.5, "val_iou": 0.4}]
    for i, d in enumerate(d_adv, 1):
        rec = {"kind": "train", "step": 10 * i, "images_per_s": 16.0, "d_adv": d, "g_loss": 5.0}
        if grad:
            rec.update(grad_norm_g=float(i), grad_norm_d=0.5 * i)
        lines.append(rec)
    for i, v in enumerate(val_l1, 1):
        lines.append({"kind": "val", "step": 10 * i, "val_l1": v, "val_ssim": 0.6, "val_iou": 0.5})
    text = "".join(json.dumps(r) + "\n" for r in lines)
    (run / "metrics.jsonl").write_text(text + '{"kind": "tra')  # a line still being written


def test_report_ranks_by_final_val_l1_and_marks_missing_grad_norms(tmp_path: Path) -> None:
    _fake_run(tmp_path, "worse", [0.3, 0.25], [1.0, 0.9], grad=True, g_norm="instance")
    _fake_run(tmp_path, "better", [0.2, 0.1, 0.12], [1.0, 0.01, 0.01, 0.01], grad=False)
    summary = build_report(tmp_path)
    assert summary["ranking"] == ["better", "worse"]
    better = summary["runs"][0]
    assert better["final"]["val_l1"] == 0.12 and better["best"]["step"] == 20
    assert better["collapse_events"] == [{"start_step": 20, "end_step": 40, "ticks": 3}]
    assert better["s_per_step"] == 0.5 and better["grad_norm_g"] is None
    worse = summary["runs"][1]
    assert better["beats_copy_source"] is True and worse["beats_copy_source"] is False
    # Grad norms in the table are second-half means (tick at step 20 of 20); all ticks kept too.
    assert worse["grad_norm_g"] == 1.5 and worse["grad_norm_g_second_half"] == 2.0
    assert worse["grad_norm_d_second_half"] == 1.0
    report = (tmp_path / "report.md").read_text()
    assert "2 finished; 1 of the finished beat copying the source glyph (val L1 0.2000)" in report
    table = [ln for ln in report.splitlines() if ln.startswith("| ")]
    assert table[1].startswith("| 1 | `better` | batch | spectral | 8 | 0.1200 |")
    assert "| 0.1000 @ 20 | 0.2000 | 1 |" in table[1] and "| n/a | n/a | 0.5 |" in table[1]
    assert table[2].startswith("| 2 | `worse` |") and "| 2 | 1 | 0.5 | finished |" in table[2]
    # By-G means: mean / best final val L1, runs beating copy-source, runs with a D collapse.
    assert "| batch | 1 | 0.1200 | 0.1200 | 1 | 1 |" in table
    assert "| instance | 1 | 0.2500 | 0.2500 | 0 | 0 |" in table
    # Like-for-like table per D: G rows, batch columns, "c" marks a D collapse.
    pivot = report.split("### D spectral")[1].split("##")[0]
    assert "| G | batch 8 |" in pivot
    assert "| batch | 0.1200 c |" in pivot and "| instance | 0.2500 |" in pivot
    for png in summary["plots"]:
        assert Image.open(tmp_path / png).size[0] > 300


def test_sweep_trains_skips_finished_and_resumes(tiny_dataset: Path, tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(TINY_GRID, encoding="utf-8")
    out = tmp_path / "sweep"
    args = ["sweep", "--shards", str(tiny_dataset), "--grid", str(grid), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--steps", "4", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    names = ["g-batch_d-spectral_b4", "g-none_d-spectral_b4"]
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["ranking"]) == names
    finals = [r["final"]["val_l1"] for r in summary["runs"]]
    assert finals == sorted(finals) and all(r["status"] == "finished" for r in summary["runs"])
    assert all(r["baseline"]["val_l1"] > 0 for r in summary["runs"])
    report = (out / "report.md").read_text()
    assert f"| 1 | `{summary['ranking'][0]}` |" in report
    assert {p.name for p in (out / "plots").iterdir()} >= {"val_l1.png", "stability.png"}
    config = json.loads((out / "runs" / names[1] / "config.json").read_text())
    assert config["model"]["g_norm"] == "none" and config["model"]["base_channels"] == 4

    metrics = (out / "runs" / names[0] / "metrics.jsonl").read_text()
    again = CliRunner().invoke(main, [*args, "--steps", "4", "--device", "cpu"])
    assert again.exit_code == 0 and again.output.count("finished earlier, skipped") == 2
    assert (out / "runs" / names[0] / "metrics.jsonl").read_text() == metrics

    more = CliRunner().invoke(main, [*args, "--steps", "6", "--device", "cpu", "--only", names[0]])
    assert more.exit_code == 0 and "resuming to step 6" in more.output
    records = [json.loads(ln) for ln in (out / "runs" / names[0] / "metrics.jsonl").open()]
    assert any(r.get("event") == "resume" and r["step"] == 4 for r in records)
    assert records[-1]["step"] == 6
    summary = json.loads((out / "summary.json").read_text())
    steps = {r["name"]: r["last_step"] for r in summary["runs"]}
    assert steps == {names[0]: 6, names[1]: 4}


def test_report_only_without_runs_writes_an_empty_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sweep", "--out", str(tmp_path), "--report-only"])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "summary.json").read_text())["runs"] == []
