"""The shared progress reporter: a live line on a terminal, plain lines at an interval in logs."""

from __future__ import annotations

import io

from glyphrender.progress import Progress, format_duration, interval_from_env


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_come_every_interval_with_rate_eta_and_details():
    log, clock = io.StringIO(), Clock()
    progress = Progress(
        "zi2zi train",
        100,
        unit="step",
        rate_unit="img",
        per_unit=16,
        interval=30,
        plain=log,
        clock=clock,
    )
    for step in range(1, 101):
        clock.now = step * 1.0  # one step a second
        progress.update(step, "g_l1 0.12" if step >= 50 else None)
    progress.close()
    lines = log.getvalue().splitlines()
    assert lines[0] == "zi2zi train: step 30/100 (30%) | 16 img/s | ETA 0:01:10"
    assert lines[1] == "zi2zi train: step 60/100 (60%) | g_l1 0.12 | 16 img/s | ETA 0:00:40"
    assert lines[-1].startswith("zi2zi train: step 100/100 (100%)")  # the end, on close
    assert len(lines) == 4


def test_a_short_job_writes_no_plain_line_and_the_live_line_ends_with_a_newline():
    log, tty, clock = io.StringIO(), io.StringIO(), Clock()
    progress = Progress("build", 10, live=tty, plain=log, interval=30, clock=clock)
    for i in range(1, 11):
        clock.now = i * 0.5
        progress.update(i)
    progress.close()
    assert log.getvalue() == ""
    assert tty.getvalue().startswith("\rbuild: 1/10 (10%)") and tty.getvalue().endswith("\n")
    assert "build: 10/10 (100%) | 2 items/s | ETA 0:00:00" in tty.getvalue()


def test_unknown_total_shows_no_eta_and_a_disabled_reporter_writes_nothing():
    log, clock = io.StringIO(), Clock()
    progress = Progress("sweep", None, unit="run", interval=1, plain=log, clock=clock)
    clock.now = 2.0
    progress.update(1)
    assert log.getvalue() == "sweep: run 1 | rate ?\n"  # one sample: no rate yet
    quiet = Progress("x", 5, enabled=False, plain=log, clock=clock)
    clock.now = 100.0
    quiet.update(5)
    quiet.close()
    assert log.getvalue() == "sweep: run 1 | rate ?\n"


def test_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ZI2ZI_PROGRESS_INTERVAL", "2.5")
    assert interval_from_env() == 2.5
    monkeypatch.setenv("ZI2ZI_PROGRESS_INTERVAL", "soon")
    assert interval_from_env() == 30.0
    assert format_duration(3725) == "1:02:05" and format_duration(float("inf")) == "?"
