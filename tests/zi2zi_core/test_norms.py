"""The norm factory: one place decides norm placement, conv bias and spectral norm."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import NormKind, SpectralMode
from zi2zi_core.models.norms import LayerFactory, Position, has_shift, norm_module, num_groups

KINDS = [NormKind.BATCH, NormKind.INSTANCE, NormKind.GROUP, NormKind.LAYER, NormKind.NONE]


@pytest.mark.parametrize(
    "channels,groups", [(1, 1), (4, 4), (6, 6), (64, 32), (96, 32), (100, 25), (512, 32), (37, 1)]
)
def test_group_count_is_the_largest_divisor_up_to_32(channels, groups):
    assert num_groups(channels) == groups


def test_norm_modules_are_what_each_kind_names():
    assert type(norm_module(NormKind.BATCH, 8)) is nn.BatchNorm2d
    inst = norm_module(NormKind.INSTANCE, 8)
    assert type(inst) is nn.InstanceNorm2d and inst.affine and not inst.track_running_stats
    group = norm_module(NormKind.GROUP, 64)
    assert type(group) is nn.GroupNorm and group.num_groups == 32
    layer = norm_module(NormKind.LAYER, 64)
    assert type(layer) is nn.GroupNorm and layer.num_groups == 1
    assert type(norm_module(NormKind.NONE, 8)) is nn.Identity
    with pytest.raises(ConfigError):
        norm_module(NormKind.AUTO, 8)


def test_layer_norm_normalizes_over_channels_and_space():
    x = torch.randn(3, 8, 5, 5) * 4 + 2
    y = norm_module(NormKind.LAYER, 8)(x)
    assert torch.allclose(y.mean(dim=(1, 2, 3)), torch.zeros(3), atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_norm_only_on_inner_layers_bigger_than_1x1(kind):
    f = LayerFactory(kind, SpectralMode.OFF)
    assert type(f.norm(8, 16, Position.FIRST)) is nn.Identity
    assert type(f.norm(8, 16, Position.LAST)) is nn.Identity
    assert type(f.norm(8, 1, Position.INNER)) is nn.Identity
    inner = f.norm(8, 2, Position.INNER)
    assert (type(inner) is nn.Identity) == (kind is NormKind.NONE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("transposed", [False, True])
def test_conv_bias_only_without_a_shifting_norm(kind, transposed):
    f = LayerFactory(kind, SpectralMode.OFF)
    norm = f.norm(8, 4, Position.INNER)
    conv = f.conv(
        4,
        8,
        kernel=4,
        stride=2,
        padding=1,
        norm=norm,
        position=Position.INNER,
        transposed=transposed,
    )
    assert isinstance(conv, nn.ConvTranspose2d if transposed else nn.Conv2d)
    assert has_shift(norm) == (kind is not NormKind.NONE)
    assert (conv.bias is None) == has_shift(norm)


@pytest.mark.parametrize(
    "mode,first,inner,last",
    [
        (SpectralMode.OFF, False, False, False),
        (SpectralMode.ALL, True, True, True),
        (SpectralMode.DEEP, False, True, False),
    ],
)
def test_spectral_placement_by_position(mode, first, inner, last):
    f = LayerFactory(NormKind.BATCH, mode)
    for pos, want in ((Position.FIRST, first), (Position.INNER, inner), (Position.LAST, last)):
        conv = f.conv(2, 4, kernel=3, stride=1, padding=1, norm=nn.Identity(), position=pos)
        tconv = f.conv(
            2, 4, kernel=4, stride=2, padding=1, norm=nn.Identity(), position=pos, transposed=True
        )
        lin = f.linear(4, 3, pos)
        for layer in (conv, tconv, lin):
            assert parametrize.is_parametrized(layer, "weight") == want


def test_spectral_norm_bounds_the_largest_singular_value():
    f = LayerFactory(NormKind.NONE, SpectralMode.ALL)
    lin = f.linear(16, 8, Position.INNER)
    with torch.no_grad():
        lin.parametrizations.weight.original.mul_(10)
    for _ in range(30):  # power iterations run in training-mode forwards
        lin(torch.zeros(1, 16))
    assert torch.linalg.matrix_norm(lin.weight, ord=2).item() == pytest.approx(1.0, rel=1e-2)


def test_auto_must_be_resolved_first():
    with pytest.raises(ConfigError, match="resolve"):
        LayerFactory(NormKind.AUTO, SpectralMode.OFF)
    with pytest.raises(ConfigError, match="resolve"):
        LayerFactory(NormKind.BATCH, SpectralMode.AUTO)
