"""A run's identity (issue 22): eval and generate refuse another run's checkpoint, and
--resume says when it trains nothing or on a dataset other than the checkpoint's."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from glyphrender.outputs import LOCK_NAME
from zi2zi_core.cli import main
from zi2zi_core.rundir.layout import RunDir

PX = 32


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def trained(dataset_factory, tmp_path, tiny_model_flags):
    """A run trained for 2 steps on a tiny dataset, and that dataset."""
    data = dataset_factory("data", px=PX, n_train=16, n_val=6, n_missing=4, shard_size=8)
    run = tmp_path / "run"
    args = ["train", "--shards", data, "--run", run, *tiny_model_flags, "--device", "cpu"]
    result = invoke(*args, "--batch-size", "4", "--steps", "2", "--checkpoint-every", "2")
    assert result.exit_code == 0, result.output
    return run, data


def test_eval_and_generate_refuse_a_checkpoint_of_another_run(trained, tmp_path, make_run):
    run, data = trained
    other = make_run(tmp_path / "other", data, num_styles=1, glyph_px=PX)
    foreign = RunDir(run).checkpoint(2)
    for command in (["eval"], ["generate", "--out", tmp_path / "gen"]):
        result = invoke(*command, "--run", other, "--checkpoint", foreign, "--device", "cpu")
        assert result.exit_code == 1, result.output
        assert result.stderr.strip() == (
            f"zi2zi: error: {foreign}: a checkpoint of run {run}, not of --run {other} "
            f"(give --run {run})"
        )
    assert not (tmp_path / "gen").exists() and not RunDir(other).eval_dir("x").parent.exists()


def test_resume_with_steps_not_past_the_checkpoint_says_nothing_is_trained(trained):
    run, _ = trained
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.name != LOCK_NAME}
    result = invoke("train", "--run", run, "--resume", "--steps", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "zi2zi train: the run is already at step 2, --steps is 1: nothing to train "
        "(give a larger --steps to continue)\n"
    )
    after = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.name != LOCK_NAME}
    assert after == before  # the recorded config still ends at step 2


def test_resume_on_another_dataset_of_the_same_shape_says_so(trained, dataset_factory):
    run, data = trained
    other = dataset_factory("other", px=PX, n_train=16, n_val=6, n_missing=4, seed=5)
    result = invoke("train", "--run", run, "--resume", "--shards", other, "--steps", "3")
    assert result.exit_code == 0, result.output
    assert f"zi2zi train: {other}: its manifest differs from that of the dataset" in (result.stderr)
    same = invoke("train", "--run", run, "--resume", "--steps", "4")
    assert "manifest differs" not in same.stderr
