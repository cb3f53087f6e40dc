"""ModelConfig / LossConfig: validation messages, auto resolution, dict round trip."""

from __future__ import annotations

import json

import pytest
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import (
    AdversarialLoss,
    LossConfig,
    ModelConfig,
    NormKind,
    SpectralMode,
)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"glyph_px": 8}, "glyph_px must be >= 16"),
        ({"glyph_px": 64.0}, "glyph_px must be an integer"),
        ({"base_channels": 0}, "base_channels must be >= 1"),
        ({"num_styles": 0}, "num_styles must be >= 1"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"dropout": -0.1}, r"dropout must be in \[0, 1\)"),
        ({"in_channels": 3}, "must equal out_channels"),
        ({"g_norm": "weight"}, "g_norm: 'weight' is not one of auto, batch"),
        ({"d_spectral": "some"}, "d_spectral: 'some' is not one of auto, off, all, deep"),
        ({"attention_resolutions": (24,)}, "24 is not an encoder resolution at glyph_px=256"),
        ({"attention_resolutions": (1,)}, "1 is not an encoder resolution"),
        ({"attention_resolutions": (256,)}, "256 is not an encoder resolution"),
        ({"attention_resolutions": (32, 32)}, "duplicates"),
        ({"attention_resolutions": "32"}, "must be a list"),
        ({"glyph_px": 16}, "d_layers=3 leaves no patch map at glyph_px=16; use d_layers <= 2"),
        ({"d_layers": 0}, "d_layers must be >= 1"),
    ],
)
def test_invalid_model_config_says_what_is_wrong(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**kwargs)


def test_derived_sizes():
    assert ModelConfig().encoder_sizes == (128, 64, 32, 16, 8, 4, 2, 1)
    assert ModelConfig(glyph_px=96).encoder_sizes == (48, 24, 12, 6, 3, 1)
    assert ModelConfig(glyph_px=16, d_layers=2).num_levels == 4
    assert ModelConfig().encoding_dim == 512
    assert ModelConfig(glyph_px=32, base_channels=4).encoding_dim == 32  # level 4: 4 * min(2**4, 8)


def test_strings_become_enums_and_attention_is_sorted():
    cfg = ModelConfig(g_norm="group", d_spectral="deep", attention_resolutions=[16, 32])
    assert cfg.g_norm is NormKind.GROUP and cfg.d_spectral is SpectralMode.DEEP
    assert cfg.attention_resolutions == (32, 16)


@pytest.mark.parametrize(
    "batch,g_norm", [(1, NormKind.INSTANCE), (15, NormKind.INSTANCE), (16, NormKind.BATCH)]
)
def test_auto_resolves_from_batch_size(batch, g_norm):
    cfg = ModelConfig()
    assert not cfg.is_resolved
    r = cfg.resolve(batch)
    assert r.is_resolved
    assert (r.g_norm, r.g_spectral) == (g_norm, SpectralMode.OFF)
    assert (r.d_norm, r.d_spectral) == (NormKind.NONE, SpectralMode.ALL)
    assert r.to_dict()["g_norm"] == g_norm.value  # what auto chose is recorded


def test_explicit_choices_survive_resolve():
    cfg = ModelConfig(g_norm="layer", g_spectral="deep", d_norm="batch", d_spectral="off")
    assert cfg.resolve(1) == cfg
    with pytest.raises(ConfigError, match="batch_size must be >= 1"):
        cfg.resolve(0)


def test_model_config_round_trips_through_json():
    cfg = ModelConfig(glyph_px=96, num_styles=4, attention_resolutions=(12, 6)).resolve(8)
    d = json.loads(json.dumps(cfg.to_dict()))
    assert d["g_norm"] == "instance" and d["attention_resolutions"] == [12, 6]
    assert ModelConfig.from_dict(d) == cfg
    assert ModelConfig.from_dict({}) == ModelConfig()


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ConfigError, match="unknown key.*g_nrom"):
        ModelConfig.from_dict({"g_nrom": "batch"})
    with pytest.raises(ConfigError, match="unknown key.*l2_weight"):
        LossConfig.from_dict({"l2_weight": 1.0})
    with pytest.raises(ConfigError, match="expected a mapping"):
        ModelConfig.from_dict([1, 2])


def test_loss_config_defaults_are_zi2zis():
    cfg = LossConfig()
    assert cfg.adversarial is AdversarialLoss.BCE
    assert (cfg.l1_weight, cfg.const_weight, cfg.category_weight, cfg.tv_weight) == (
        100.0,
        15.0,
        1.0,
        0.0,
    )
    assert cfg.g_steps_per_d == 2
    assert LossConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert LossConfig(adversarial="hinge").adversarial is AdversarialLoss.HINGE


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"l1_weight": -1.0}, "l1_weight must be a finite number >= 0"),
        ({"const_weight": float("nan")}, "const_weight must be a finite number"),
        ({"tv_weight": "1"}, "tv_weight must be a number"),
        ({"g_steps_per_d": 0}, "g_steps_per_d must be >= 1"),
        ({"adversarial": "wgan"}, "adversarial: 'wgan' is not one of bce, lsgan, hinge"),
    ],
)
def test_invalid_loss_config(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        LossConfig(**kwargs)
