"""studies/gpu/run.py, the one GPU entry point: each part gets the time left in priority order
(up to what it wants), a part that would get less than its minimum is skipped with the reason,
a part past its deadline is stopped with its partial results kept, and OUT stays within the
limits (8 files, each under 16 MiB, no folders)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "studies" / "gpu" / "run.py"


@pytest.fixture
def entry(monkeypatch):
    spec = importlib.util.spec_from_file_location("gpu_entry", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_entry", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESERVE_S", 10.0)
    return module


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_goes_to_the_parts_in_priority_order(entry, monkeypatch) -> None:
    clock = FakeClock()
    ran = []

    def fake_run(part, given_s, env, clk):  # each part uses all it was given
        ran.append((part.name, given_s))
        clock.now += given_s
        return entry.Outcome(part.name, part.question, "finished", given_s, given_s)

    monkeypatch.setattr(entry, "run_part", fake_run)
    todo = entry.parts(small=False, env={})
    assert [p.name for p in todo] == ["quality", "speed", "normalization"]
    clock.now += 20  # setup
    outcomes = entry.run_all(todo, 540, {}, clock, started=1000.0, say=lambda _m: None)
    # 540 - 20 setup - 10 reserve = 510: quality wants 360, speed 150 of its 170, none left
    assert ran == [("quality", 360.0), ("speed", 150.0)]
    skipped = outcomes[2]
    assert (skipped.name, skipped.status) == ("normalization", "skipped")
    assert skipped.detail == "skipped: 0 s left, it needs at least 150 s"


def test_a_big_budget_runs_every_part_and_time_a_part_leaves_flows_on(entry, monkeypatch) -> None:
    clock = FakeClock()
    ran = []

    def fake_run(part, given_s, env, clk):  # quality ends early: 100 of its 360 s
        used = 100.0 if part.name == "quality" else given_s
        ran.append((part.name, given_s))
        clock.now += used
        return entry.Outcome(part.name, part.question, "finished", given_s, used)

    monkeypatch.setattr(entry, "run_part", fake_run)
    todo = entry.parts(small=False, env={"NORMALIZATION_S": "1000"})
    entry.run_all(todo, 800, {}, clock, started=clock.now, say=lambda _m: None)
    assert ran == [("quality", 360.0), ("speed", 170.0), ("normalization", 520.0)]
    ran.clear()
    todo = entry.parts(small=False, env={"QUALITY_S": "0"})
    outcomes = entry.run_all(todo, 800, {}, clock, started=clock.now, say=lambda _m: None)
    assert outcomes[0].detail == "skipped: asked for 0 s"
    assert [name for name, _s in ran] == ["speed", "normalization"]


def _part(entry, name: str, script: str, wants: float, least: float = 0.5):
    return entry.Part(name, f"{name}?", ("sh", "-c", script), wants, least)


def test_a_part_past_its_deadline_is_stopped_and_keeps_what_it_wrote(
    entry, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(entry, "RESERVE_S", 0.0)
    monkeypatch.setattr(entry, "GRACE_S", 2.0)
    todo = [
        _part(entry, "slow", 'echo partial > "$OUT/slow.txt"; sleep 30', 1.0),
        _part(entry, "broken", "exit 3", 1.0),
        _part(entry, "budget", 'echo "$PART_BUDGET" > "$OUT/budget.txt"', 1.0),
        _part(entry, "last", "true", 60.0, least=60.0),
    ]
    env = {"OUT": str(tmp_path), "PATH": "/usr/bin:/bin"}
    outcomes = entry.run_all(todo, 6.0, env, say=lambda _m: None)
    status = {o.name: o.status for o in outcomes}
    assert status == {
        "slow": "stopped",
        "broken": "failed",
        "budget": "finished",
        "last": "skipped",
    }
    assert outcomes[0].used_s < 1.0 + 2.0 + 1.0  # SIGINT at 1 s ends the sleep
    assert "at its 1 s deadline (partial results kept)" in outcomes[0].detail
    assert (tmp_path / "slow.txt").read_text() == "partial\n"
    assert outcomes[1].detail == "exit status 3 (see log.txt)"
    assert (tmp_path / "budget.txt").read_text() == "1\n"
    assert (
        outcomes[3].detail.startswith("skipped: ") and "needs at least 60 s" in outcomes[3].detail
    )


def test_out_is_kept_within_its_limits(entry, tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("log")
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "x.txt").write_text("x")
    (tmp_path / "big.bin").write_bytes(b"\0" * entry.MAX_BYTES)
    for i in range(9):
        (tmp_path / f"f{i}.txt").write_text(str(i))
    removed = entry.check_out(tmp_path, keep=("log.txt",), still_to_write=2)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 6 and "log.txt" in left  # 8 less the 2 summary files
    assert "deep (a folder)" in removed and "big.bin (16 MiB)" in removed
    assert sum("over 8 files" in r for r in removed) == 4


def test_the_summary_says_what_was_skipped_and_why(entry, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(entry, "RESERVE_S", 0.0)
    monkeypatch.setattr(
        entry,
        "parts",
        lambda small, env: [
            _part(entry, "first", 'echo done > "$OUT/first.txt"', 2.0),
            _part(entry, "second", "true", 100.0, least=100.0),
        ],
    )
    monkeypatch.setenv("DEV", "cpu")
    assert entry.main(["3", str(tmp_path)]) == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "| first | first? | **finished** |" in summary
    assert "| second | second? | **skipped** |" in summary and "needs at least 100 s" in summary
    assert "Not run: second; rerun with a larger budget" in summary
    record = json.loads((tmp_path / "summary.json").read_text())
    assert [p["status"] for p in record["parts"]] == ["finished", "skipped"]
    assert record["budget_s"] == 3.0
