"""``zi2zi model-info``: counts and resolved norms, as a user runs it."""

from __future__ import annotations

from click.testing import CliRunner
from zi2zi_core.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["model-info", *args])


def counts(output: str) -> dict[str, int]:
    """Part name -> parameter count from lines like '  encoder    19,536,192' (last wins)."""
    out = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].replace(",", "").isdigit():
            out[parts[0]] = int(parts[1].replace(",", ""))
    return out


def test_default_256_counts_and_auto_choices():
    res = run()
    assert res.exit_code == 0, res.output
    out = res.output
    assert "8 levels (encoder sizes 128 64 32 16 8 4 2 1)" in out
    assert "norm batch, spectral off" in out  # G auto at batch 16
    assert "norm none, spectral all" in out  # D auto
    assert "55,457,089" in out and "2,764,226" in out


def test_options_reach_the_networks():
    res = run(
        "--glyph-px",
        "96",
        "--num-styles",
        "4",
        "--base-channels",
        "8",
        "--batch-size",
        "2",
        "--d-norm",
        "group",
        "--g-spectral",
        "deep",
        "--attention",
        "12,24",
    )
    assert res.exit_code == 0, res.output
    assert "6 levels (encoder sizes 48 24 12 6 3 1)" in res.output
    assert "attention at 24,12" in res.output
    assert "norm instance, spectral deep" in res.output  # G: auto -> instance below batch 16
    assert "norm group, spectral all" in res.output
    c = counts(res.output)
    assert c["embedding"] == 4 * 128
    assert c["style_head"] == 512 * 4 + 4  # D base 64 -> 512 pooled features -> 4 logits


def test_bad_attention_resolution_is_one_line_exit_1():
    res = run("--glyph-px", "64", "--attention", "24")
    assert res.exit_code == 1
    assert "24 is not an encoder resolution at glyph_px=64" in res.output
    assert "Traceback" not in res.output


def test_bad_choice_is_a_usage_error():
    assert run("--g-norm", "weight").exit_code == 2
    assert run("--attention", "x").exit_code == 2


def test_train_and_model_info_share_one_declaration_of_the_model_flags():
    """Same help and accepted values in both commands; the auto-norm help names the batch
    size where the code switches G from instance to batch norm."""
    from zi2zi_core.cli._model_flags import MODEL_FLAGS
    from zi2zi_core.cli.model_info import model_info
    from zi2zi_core.cli.train import train
    from zi2zi_core.models.config import AUTO_BATCH_NORM_MIN_BATCH

    def options(command):
        return {p.opts[0]: p for p in command.params}

    in_train, in_info = options(train), options(model_info)
    for model_flag in MODEL_FLAGS:
        assert in_info[model_flag.flag].help == model_flag.help
        assert in_train[model_flag.flag].help.startswith(model_flag.help + "  [default: ")
        assert in_train[model_flag.flag].type == in_info[model_flag.flag].type
    assert f"batch from batch {AUTO_BATCH_NORM_MIN_BATCH}," in in_info["--g-norm"].help
    below = run("--glyph-px", "32", "--batch-size", str(AUTO_BATCH_NORM_MIN_BATCH - 1))
    at = run("--glyph-px", "32", "--batch-size", str(AUTO_BATCH_NORM_MIN_BATCH))
    assert "norm instance, spectral off" in below.output
    assert "norm batch, spectral off" in at.output
    for command in (["model-info"], ["train", "--dry-run"]):
        result = CliRunner().invoke(main, [*command, "--base-channels", "0"])
        assert result.exit_code == 2 and "x>=1" in result.output
