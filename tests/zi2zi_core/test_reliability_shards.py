"""Bad shards through the commands (issue 12): train, eval and generate stop with one line
naming the shard, exit 1, and leave nothing behind (no new run directory, no report, no
generated folder). Each split a command reads is read through glyphrender's verifying reader.
"""

from __future__ import annotations

import json

import h5py
import pytest
from click.testing import CliRunner
from glyphrender.dataset.shards import MANIFEST_NAME, sha256_file
from zi2zi_core.cli import main

PX = 32


def corrupt(dataset, split: str, how: str):
    """Damage the first shard of ``split`` and return its path. ``flip``: bytes changed after
    the build (the manifest's sha256 no longer matches); ``style``/``codepoint``: a crafted
    shard whose sha256 was recomputed, so only the value checks can catch it."""
    manifest_path = dataset / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = manifest["splits"][split]["shards"][0]
    path = dataset / entry["file"]
    if how == "flip":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        return path
    with h5py.File(path, "r+") as f:
        if how == "style":
            f["style"][0] = 7  # the dataset has one style: id 0
        else:
            f["codepoint"][0] = 0xD800  # a surrogate is not a character
    entry["sha256"] = sha256_file(path)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


EXPECTED = {
    "flip": "sha256 does not match the manifest",
    "style": "style id",
    "codepoint": "code point 0xd800, not a Unicode scalar value",
}
HOW = sorted(EXPECTED)


@pytest.fixture
def data(dataset_factory):
    return dataset_factory("data", px=PX, n_train=16, n_val=6, n_missing=4, shard_size=8)


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("split", ["train", "val"])
@pytest.mark.parametrize("budget", ["auto", "1KiB"], ids=["resident", "streaming"])
def test_train_on_a_bad_shard_is_one_line_and_leaves_no_run_directory(
    data, tmp_path, tiny_model_flags, how, split, budget
):
    shard = corrupt(data, split, how)
    run = tmp_path / "runs" / "new"
    args = ["train", "--shards", str(data), "--run", str(run), *tiny_model_flags]
    args += ["--device", "cpu", "--batch-size", "4", "--steps", "2", "--val-every", "1"]
    result = CliRunner().invoke(main, [*args, "--data-memory-budget", budget])
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(f"zi2zi: error: {shard}: ") and EXPECTED[how] in line
    assert not run.exists()


@pytest.mark.parametrize("how", HOW)
def test_eval_on_a_bad_val_shard_is_one_line_and_writes_no_report(data, tmp_path, make_run, how):
    run = make_run(tmp_path / "run", data, num_styles=1)
    shard = corrupt(data, "val", how)
    result = CliRunner().invoke(main, ["eval", "--run", str(run), "--device", "cpu"])
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(f"zi2zi: error: {shard}: ") and EXPECTED[how] in line
    assert not (run / "eval").exists()


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("split", ["missing", "val"])
def test_generate_from_a_bad_shard_is_one_line_and_writes_nothing(
    data, tmp_path, make_run, how, split
):
    run = make_run(tmp_path / "run", data, num_styles=1)
    shard = corrupt(data, split, how)
    out = tmp_path / "gen"
    args = ["generate", "--run", str(run), "--out", str(out), "--split", split]
    result = CliRunner().invoke(main, [*args, "--device", "cpu"])
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(f"zi2zi: error: {shard}: ") and EXPECTED[how] in line
    assert not out.exists()
