"""--preset NAME: recipes shipped with the package, below --config and flags (issue #25)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from zi2zi_core.cli import main
from zi2zi_core.errors import ConfigError
from zi2zi_core.training.config import config_sections, parse_toml_text
from zi2zi_core.training.presets import load_preset, preset_names, preset_text

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(*args: str) -> dict:
    # 16 px: the tiny dataset leaves a patch map for 2 discriminator layers, not 3
    result = CliRunner().invoke(main, ["train", *args, "--d-layers", "2", "--dry-run"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_quality_preset_ships_and_every_preset_is_documented():
    assert "quality" in preset_names()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in preset_names():
        assert f"--preset {name}" in readme


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_resolves_and_is_recorded_in_the_run_config(tiny_dataset, name):
    config = _dry_run("--shards", str(tiny_dataset), "--preset", name)
    assert config["train"]["preset"] == name
    for section, values in load_preset(name).items():
        for key, value in values.items():
            assert config[section][key] == value, f"{name}: {section}.{key}"


def test_config_file_and_flags_override_the_preset(tiny_dataset, tmp_path):
    preset = load_preset("quality")
    steps = preset["train"]["steps"]
    cfg_file = tmp_path / "run.toml"
    cfg_file.write_text(f"[train]\nsteps = {steps + 1}\nbatch_size = 4\n")
    from_file = _dry_run(
        "--shards", str(tiny_dataset), "--preset", "quality", "--config", str(cfg_file)
    )
    assert from_file["train"]["steps"] == steps + 1 and from_file["train"]["batch_size"] == 4
    flagged = _dry_run(
        "--shards",
        str(tiny_dataset),
        "--preset",
        "quality",
        "--config",
        str(cfg_file),
        "--steps",
        "5",
        "--g-refine-convs",
        "0",
    )
    assert flagged["train"]["steps"] == 5 and flagged["model"]["g_refine_convs"] == 0
    assert flagged["train"]["preset"] == "quality"


def test_an_unknown_preset_is_a_usage_error_naming_the_presets(tiny_dataset):
    result = CliRunner().invoke(main, ["train", "--shards", str(tiny_dataset), "--preset", "nope"])
    assert result.exit_code == 2 and "quality" in result.output
    with pytest.raises(ConfigError, match="no preset 'nope'; presets: .*quality"):
        preset_text("nope")


def test_a_preset_outside_the_three_tables_is_refused_naming_it():
    with pytest.raises(ConfigError, match="preset 'x': unexpected top-level key 'steps'"):
        config_sections(parse_toml_text("steps = 3\n"), "preset 'x'")
