"""CPU threads for a shared machine (issue #23): the choice, its reason, and `zi2zi train`'s
record of it. The speed behind the rule is measured by bench/bench_threads.py, not here."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from zi2zi_core.cpu_threads import choose_cpu_threads, prefer_passive_waiting
from zi2zi_core.rundir.layout import RunDir


def test_idle_cores_are_all_used_and_each_busy_process_takes_one_away():
    assert choose_cpu_threads(env={}, cores=8, others=0.0).threads == 8
    assert choose_cpu_threads(env={}, cores=8, others=0.2).threads == 8  # a blip is no process
    three_busy = choose_cpu_threads(env={}, cores=8, others=3.0)
    assert three_busy.threads == 5
    assert "5 of 8 core(s): ~3 other busy process(es)" in three_busy.reason
    assert choose_cpu_threads(env={}, cores=4, others=9.0).threads == 1  # never below one


def test_two_cores_or_fewer_train_on_one_thread_whatever_the_load():
    # bench/results/threads-cpu2-amd-epyc.json: on 2 cores one thread is as fast as two
    # passive ones when quiet and keeps its speed beside a competitor.
    for cores, others in [(2, 0.0), (2, 1.0), (2, 6.0), (1, 0.0)]:
        choice = choose_cpu_threads(env={}, cores=cores, others=others)
        assert choice.threads == 1
        assert f"1 of {cores} core(s): on 2 or fewer one thread" in choice.reason


def test_threads_flag_then_environment_override_the_rule():
    env = {"OMP_NUM_THREADS": "3", "OMP_WAIT_POLICY": "ACTIVE"}
    flag = choose_cpu_threads(2, env=env, cores=8, others=0.0)
    assert (flag.threads, flag.reason, flag.wait_policy) == (2, "--threads 2", "ACTIVE")
    from_env = choose_cpu_threads(0, env=env, cores=8, others=0.0)
    assert from_env.threads == 3 and "OMP_NUM_THREADS=3 from the environment" in from_env.reason


def test_passive_waiting_is_set_before_torch_loads_unless_the_environment_chose():
    code = "from zi2zi_core.cpu_threads import prefer_passive_waiting as p; print(p())"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, env=env, capture_output=True, text=True).stdout == "PASSIVE\n"
    chosen = {**env, "OMP_WAIT_POLICY": "ACTIVE"}
    assert subprocess.run(run, env=chosen, capture_output=True, text=True).stdout == "ACTIVE\n"
    assert prefer_passive_waiting({}) == ""  # torch is loaded here: too late, nothing set


def test_train_logs_progress_to_a_redirected_stdout_and_records_its_threads(
    tiny_dataset, tmp_path, tiny_model_flags
):
    """`zi2zi train ... > log`: plain progress lines arrive in the log at the set interval
    (1 s here; 30 s by default), and the start line and config.json say which threads."""
    run, log = tmp_path / "run", tmp_path / "train.log"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    env["ZI2ZI_PROGRESS_INTERVAL"] = "1"
    cmd = [sys.executable, "-m", "zi2zi_core.cli.train", "--shards", str(tiny_dataset)]
    cmd += ["--run", str(run), "--device", "cpu", *tiny_model_flags, "--threads", "1"]
    cmd += ["--batch-size", "8", "--steps", "100000", "--log-every", "5"]
    cmd += ["--val-every", "100000", "--sample-every", "100000", "--checkpoint-every", "100000"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE, text=True)
        arrivals: list[float] = []
        deadline = time.time() + 180
        while time.time() < deadline and len(arrivals) < 3 and proc.poll() is None:
            lines = [x for x in log.read_text().splitlines() if x.startswith("zi2zi train: step")]
            arrivals += [time.time()] * (len(lines) - len(arrivals))
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    lines = [x for x in log.read_text().splitlines() if x.startswith("zi2zi train: step")]
    assert len(lines) >= 3, log.read_text()
    assert max(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) < 60
    steps = [int(x.split()[3].split("/")[0]) for x in lines]
    assert steps == sorted(steps) and steps[0] < steps[-1]
    assert all("/100000 (" in x and " img/s | ETA " in x for x in lines), lines
    assert "g_l1 " in lines[-1]  # the latest tick's losses
    assert "1 CPU thread (--threads 1)" in err
    recorded = json.loads(RunDir(run).config_json.read_text())
    assert recorded["train"]["threads"] == 1
    assert recorded["cpu_threads"] == {
        "threads": 1,
        "wait_policy": "PASSIVE",
        "reason": "--threads 1",
    }


def test_a_cgroup_quota_caps_the_cores(tmp_path):
    from zi2zi_core.cpu_threads import cgroup_cpu_limit

    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("150000 100000\n")  # 1.5 CPUs of a 64-core host
    assert cgroup_cpu_limit(cpu_max) == 2
    cpu_max.write_text("max 100000\n")
    assert cgroup_cpu_limit(cpu_max) is None
    assert cgroup_cpu_limit(tmp_path / "absent") is None
