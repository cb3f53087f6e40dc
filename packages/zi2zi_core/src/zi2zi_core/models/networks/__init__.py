"""The zi2zi networks: U-Net generator, PatchGAN discriminator, and their factory."""

from zi2zi_core.models.networks.attention import SelfAttention
from zi2zi_core.models.networks.discriminator import Discriminator, MultiScaleDiscriminator
from zi2zi_core.models.networks.factory import build_discriminator, build_generator, init_weights
from zi2zi_core.models.networks.generator import Generator, UNetBlock

__all__ = [
    "Discriminator",
    "Generator",
    "MultiScaleDiscriminator",
    "SelfAttention",
    "UNetBlock",
    "build_discriminator",
    "build_generator",
    "init_weights",
]
