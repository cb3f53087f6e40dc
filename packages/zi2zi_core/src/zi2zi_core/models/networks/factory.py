"""Build the generator and discriminator from a resolved ModelConfig."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

from zi2zi_core.models.config import ModelConfig
from zi2zi_core.models.networks.discriminator import Discriminator, MultiScaleDiscriminator
from zi2zi_core.models.networks.generator import Generator

INIT_STD = 0.02  # DCGAN / pix2pix / zi2zi weight init


def init_weights(net: nn.Module) -> None:
    """N(0, 0.02) conv/linear weights and zero biases; norm scales N(1, 0.02), shifts 0.

    Spectral-normed layers are initialized through their unnormalized ``original`` weight.
    Embeddings keep PyTorch's N(0, 1).
    """
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                if parametrize.is_parametrized(m, "weight"):
                    m.parametrizations.weight.original.normal_(0.0, INIT_STD)
                else:
                    m.weight.normal_(0.0, INIT_STD)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm)) and (
                m.weight is not None
            ):
                m.weight.normal_(1.0, INIT_STD)
                m.bias.zero_()


def build_generator(cfg: ModelConfig) -> Generator:
    """The U-Net generator, initialized; ``cfg`` must be resolved (ConfigError otherwise)."""
    cfg.require_resolved()
    net = Generator(cfg)
    init_weights(net)
    return net


def build_discriminator(cfg: ModelConfig) -> Discriminator | MultiScaleDiscriminator:
    """The PatchGAN discriminator (multi-scale when ``cfg.d_scales > 1``), initialized; ``cfg``
    must be resolved."""
    cfg.require_resolved()
    net = Discriminator(cfg) if cfg.d_scales == 1 else MultiScaleDiscriminator(cfg)
    init_weights(net)
    return net
