"""Configuration precedence (flags > --config file > defaults), validation, --dry-run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from zi2zi_core.cli import main
from zi2zi_core.errors import ConfigError
from zi2zi_core.training.config import TrainConfig, load_config_file, parse_size, to_toml

TOML = """
[model]
base-channels = 8
g_norm = "batch"
attention_resolutions = [4]
d_layers = 2

[loss]
l1_weight = 50.0

[train]
batch_size = 4
steps = 123
lr_schedule = "cosine"
"""


def _dry_run(*args: str) -> dict:
    result = CliRunner().invoke(main, ["train", *args, "--dry-run"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_flags_beat_the_file_which_beats_the_defaults(tiny_dataset, tmp_path):
    cfg_file = tmp_path / "run.toml"
    cfg_file.write_text(TOML)
    config = _dry_run(
        "--shards",
        str(tiny_dataset),
        "--config",
        str(cfg_file),
        "--steps",
        "7",
        "--d-norm",
        "instance",
    )
    assert config["train"]["steps"] == 7  # flag over file
    assert config["train"]["batch_size"] == 4 and config["train"]["lr_schedule"] == "cosine"  # file
    assert config["train"]["lr"] == 2e-4 and config["loss"]["const_weight"] == 15.0  # defaults
    assert config["loss"]["l1_weight"] == 50.0
    assert config["model"]["base_channels"] == 8 and config["model"]["attention_resolutions"] == [4]
    assert config["model"]["g_norm"] == "batch" and config["model"]["d_norm"] == "instance"
    # glyph_px and num_styles come from the dataset; auto norms are resolved
    assert config["model"]["glyph_px"] == 16 and config["model"]["num_styles"] == 1
    assert config["model"]["d_spectral"] == "all" and config["model"]["g_spectral"] == "off"


def test_auto_norm_follows_the_batch_size(tiny_dataset):
    small = _dry_run("--shards", str(tiny_dataset), "--batch-size", "4", "--d-layers", "2")
    large = _dry_run("--shards", str(tiny_dataset), "--batch-size", "16", "--d-layers", "2")
    assert small["model"]["g_norm"] == "instance" and large["model"]["g_norm"] == "batch"


def test_saved_config_toml_round_trips_as_a_config_file(tiny_dataset, tmp_path):
    config = _dry_run("--shards", str(tiny_dataset), "--attention", "4", "--d-layers", "2")
    path = tmp_path / "config.toml"
    path.write_text(to_toml(config))
    again = _dry_run("--config", str(path), "--shards", str(tiny_dataset))
    assert again == config


def test_bad_input_is_one_clear_line(tiny_dataset, tmp_path):
    runner = CliRunner()
    wrong_px = runner.invoke(
        main, ["train", "--shards", str(tiny_dataset), "--glyph-px", "64", "--dry-run"]
    )
    assert wrong_px.exit_code == 1 and "does not match the dataset (16 px)" in wrong_px.output
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text("[train]\nsteps = \n")
    out = runner.invoke(
        main, ["train", "--shards", str(tiny_dataset), "--config", str(bad_file), "--dry-run"]
    )
    assert out.exit_code == 1 and "bad.toml: invalid TOML" in out.output
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[train]\nstepz = 3\n")
    out = runner.invoke(
        main, ["train", "--shards", str(tiny_dataset), "--config", str(unknown), "--dry-run"]
    )
    assert out.exit_code == 1 and "stepz" in out.output
    assert "Traceback" not in out.output
    choice = runner.invoke(main, ["train", "--shards", str(tiny_dataset), "--g-norm", "fancy"])
    assert choice.exit_code == 2


def test_train_config_validation_and_sizes(tmp_path):
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ConfigError, match="best_metric"):
        TrainConfig(best_metric="val_fid")
    with pytest.raises(ConfigError, match="memory budget"):
        TrainConfig(data_memory_budget="lots")
    assert parse_size("2GiB") == 2 << 30 and parse_size("512M") == 512 * 10**6
    assert TrainConfig.from_dict(TrainConfig(steps=5).to_dict()) == TrainConfig(steps=5)
    top = tmp_path / "top.toml"
    top.write_text("steps = 3\n")
    with pytest.raises(ConfigError, match="top-level key 'steps'"):
        load_config_file(top)
