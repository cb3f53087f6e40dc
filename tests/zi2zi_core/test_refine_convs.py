"""--g-refine-convs: residual 3x3 convs after each up-sampling of the generator (issue #25)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import ModelConfig
from zi2zi_core.models.networks import build_generator
from zi2zi_core.models.networks.generator import RefineConv


def _config(refine: int, px: int = 32) -> ModelConfig:
    return ModelConfig(
        glyph_px=px, base_channels=4, d_base_channels=4, style_dim=8, g_refine_convs=refine
    ).resolve(4)


def _forward(refine: int, px: int = 32) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    net = build_generator(_config(refine, px))
    source = torch.rand(4, 1, px, px) * 2 - 1
    return net, net(source, torch.zeros(4, dtype=torch.long))


def test_zero_keeps_zi2zis_generator_layer_for_layer():
    """Checkpoints of earlier runs load: no new module, the same parameter names."""
    plain = build_generator(_config(0))
    assert not any(isinstance(m, RefineConv) for m in plain.modules())
    last = plain.blocks[0].up
    assert isinstance(last[1], nn.ConvTranspose2d) and last[1].out_channels == 1
    assert isinstance(last[-1], nn.Tanh)


@pytest.mark.parametrize("refine", [1, 2])
@pytest.mark.parametrize("px", [32, 96])  # 96: the levels with a resize
def test_every_level_refines_and_the_image_is_drawn_by_a_3x3_head(refine, px):
    net, image = _forward(refine, px)
    assert image.shape == (4, 1, px, px) and image.abs().max() <= 1
    levels = len(net.blocks)
    assert sum(isinstance(m, RefineConv) for m in net.modules()) == refine * levels
    outer = net.blocks[0].up
    head = [m for m in outer if isinstance(m, nn.Conv2d)][-1]
    assert head.kernel_size == (3, 3) and head.out_channels == 1 and head.bias is not None
    assert isinstance(outer[-1], nn.Tanh)
    image.mean().backward()
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0
        for p in net.parameters()
        if p.requires_grad and p is not net.embedding.weight
    )


def test_more_refinement_costs_parameters_and_changes_the_drawing():
    counts = [build_generator(_config(r)).parameter_counts()["decoder"] for r in (0, 1, 2)]
    assert counts[0] < counts[1] < counts[2]
    assert not torch.allclose(_forward(0)[1], _forward(1)[1])


def test_negative_or_fractional_counts_are_refused():
    with pytest.raises(ConfigError, match="g_refine_convs must be >= 0"):
        ModelConfig(g_refine_convs=-1)
    with pytest.raises(ConfigError, match="g_refine_convs must be an integer"):
        ModelConfig(g_refine_convs=1.5)
