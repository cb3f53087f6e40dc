"""--g-bottleneck-px: where the generator stops down-sampling (issue #25)."""

from __future__ import annotations

import pytest
import torch
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import ModelConfig
from zi2zi_core.models.networks import build_generator


def _config(bottleneck: int, px: int = 32, **kw) -> ModelConfig:
    return ModelConfig(
        glyph_px=px,
        base_channels=4,
        d_base_channels=4,
        style_dim=8,
        g_bottleneck_px=bottleneck,
        **kw,
    ).resolve(4)


def test_the_default_is_zi2zis_1x1_bottleneck():
    assert ModelConfig(glyph_px=64).encoder_sizes == (32, 16, 8, 4, 2, 1)
    # A checkpoint written before the field existed loads with the old network.
    old = ModelConfig(glyph_px=64).to_dict()
    del old["g_bottleneck_px"]
    assert ModelConfig.from_dict(old).g_bottleneck_px == 1


@pytest.mark.parametrize(
    ("px", "bottleneck", "sizes"), [(32, 4, (16, 8, 4)), (96, 3, (48, 24, 12, 6, 3))]
)
def test_a_spatial_bottleneck_draws_full_size_and_encodes_its_whole_map(px, bottleneck, sizes):
    cfg = _config(bottleneck, px, num_styles=2)
    assert cfg.encoder_sizes == sizes and cfg.num_levels == len(sizes)
    torch.manual_seed(0)
    net = build_generator(cfg)
    source = torch.rand(2, 1, px, px) * 2 - 1
    image, encoding = net(source, torch.tensor([0, 1]), return_encoding=True)
    assert image.shape == (2, 1, px, px)
    assert encoding.shape == net.encode(source).shape == (2, cfg.encoding_dim)
    assert cfg.encoding_dim == cfg.g_channels(len(sizes) - 1) * bottleneck**2
    # The style still reaches every position: the same source in two styles draws two images.
    net.eval()
    same = torch.cat([source[:1], source[:1]])
    drawn = net(same, torch.tensor([0, 1]))
    assert not torch.allclose(drawn[0], drawn[1])


def test_fewer_levels_cost_fewer_parameters():
    counts = [build_generator(_config(b, 64)).parameter_counts()["total"] for b in (1, 4, 8)]
    assert counts[0] > counts[1] > counts[2]


def test_sizes_that_are_not_an_encoder_size_are_refused():
    with pytest.raises(
        ConfigError, match="g_bottleneck_px=5 is not an encoder size at glyph_px=64"
    ):
        ModelConfig(glyph_px=64, g_bottleneck_px=5)
    with pytest.raises(ConfigError, match="g_bottleneck_px must be >= 1"):
        ModelConfig(glyph_px=64, g_bottleneck_px=0)
    # Attention can only sit on a level the generator still has.
    with pytest.raises(ConfigError, match="attention_resolutions: 2 is not an encoder resolution"):
        ModelConfig(glyph_px=64, g_bottleneck_px=4, attention_resolutions=(2,))


def test_model_info_shows_the_levels_a_user_asks_for_and_a_bad_size_is_one_line():
    from click.testing import CliRunner
    from zi2zi_core.cli import main

    res = CliRunner().invoke(main, ["model-info", "--glyph-px", "64", "--g-bottleneck-px", "4"])
    assert res.exit_code == 0, res.output
    assert "4 levels (encoder sizes 32 16 8 4)" in res.output
    assert "bottleneck 4x4" in res.output
    bad = CliRunner().invoke(main, ["model-info", "--glyph-px", "64", "--g-bottleneck-px", "5"])
    assert bad.exit_code == 1
    assert "g_bottleneck_px=5 is not an encoder size at glyph_px=64" in bad.output
    assert "Traceback" not in bad.output
