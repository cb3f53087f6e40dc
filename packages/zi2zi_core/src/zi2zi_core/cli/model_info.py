"""``zi2zi model-info``: parameter counts and resolved norm choices, without allocating weights."""

from __future__ import annotations

import click

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import NormKind, SpectralMode
from zi2zi_core.training.config import default_of, parse_attention

NORM_CHOICES = [k.value for k in NormKind]
SPECTRAL_CHOICES = [m.value for m in SpectralMode]


def parse_resolutions(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """'32,16' -> (32, 16); '' or 'none' -> () (the ``--attention`` syntax of every command)."""
    try:
        return tuple(parse_attention(value or ""))
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("model-info")
@click.option(
    "--glyph-px",
    type=click.IntRange(min=1),
    default=default_of("glyph_px"),
    show_default=True,
    help="Glyph size in pixels.",
)
@click.option(
    "--num-styles",
    type=click.IntRange(min=1),
    default=default_of("num_styles"),
    show_default=True,
    help="Target styles (fonts) of the dataset.",
)
@click.option(
    "--base-channels",
    type=click.IntRange(min=1),
    default=default_of("base_channels"),
    show_default=True,
    help="Generator channels at full resolution.",
)
@click.option(
    "--d-base-channels",
    type=click.IntRange(min=1),
    default=default_of("d_base_channels"),
    show_default=True,
    help="Discriminator channels of its first layer.",
)
@click.option(
    "--d-layers",
    type=click.IntRange(min=1),
    default=default_of("d_layers"),
    show_default=True,
    help="Stride-2 layers of the PatchGAN discriminator.",
)
@click.option(
    "--style-dim",
    type=click.IntRange(min=1),
    default=default_of("style_dim"),
    show_default=True,
    help="Size of the style embedding.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=default_of("batch_size"),
    show_default=True,
    help="Training batch size; decides what 'auto' norms resolve to.",
)
@click.option(
    "--g-norm",
    type=click.Choice(NORM_CHOICES),
    default="auto",
    show_default=True,
    help="Generator norm (auto: batch from batch 16, else instance).",
)
@click.option(
    "--d-norm",
    type=click.Choice(NORM_CHOICES),
    default="auto",
    show_default=True,
    help="Discriminator norm.",
)
@click.option(
    "--g-spectral",
    type=click.Choice(SPECTRAL_CHOICES),
    default="auto",
    show_default=True,
    help="Spectral norm in the generator.",
)
@click.option(
    "--d-spectral",
    type=click.Choice(SPECTRAL_CHOICES),
    default="auto",
    show_default=True,
    help="Spectral norm in the discriminator.",
)
@click.option(
    "--attention",
    default="none",
    show_default=True,
    callback=parse_resolutions,
    help="Self-attention at these encoder sizes, e.g. 32,16 (or 'none').",
)
def model_info(
    glyph_px: int,
    num_styles: int,
    base_channels: int,
    d_base_channels: int,
    d_layers: int,
    style_dim: int,
    batch_size: int,
    g_norm: str,
    d_norm: str,
    g_spectral: str,
    d_spectral: str,
    attention: tuple[int, ...],
) -> None:
    """Print parameter counts of G and D (per part) and the resolved norm choices.

    The networks are built on the meta device: no memory is allocated, so this is instant
    even at 256 px.

    Exit status: 0 on success; 2 on a usage error (an unknown choice, a size that is not a
    number); 1 when the settings do not make a model (one line on stderr).
    """
    import torch

    from zi2zi_core.models.config import ModelConfig
    from zi2zi_core.models.networks import build_discriminator, build_generator

    cfg = ModelConfig(
        glyph_px=glyph_px,
        num_styles=num_styles,
        base_channels=base_channels,
        d_base_channels=d_base_channels,
        d_layers=d_layers,
        style_dim=style_dim,
        attention_resolutions=attention,
        g_norm=g_norm,
        d_norm=d_norm,
        g_spectral=g_spectral,
        d_spectral=d_spectral,
    ).resolve(batch_size)
    with torch.device("meta"):
        g_counts = build_generator(cfg).parameter_counts()
        d_counts = build_discriminator(cfg).parameter_counts()

    sizes = " ".join(map(str, cfg.encoder_sizes))
    att = ",".join(map(str, cfg.attention_resolutions)) or "none"
    click.echo(f"glyph_px {cfg.glyph_px}, num_styles {cfg.num_styles}, batch_size {batch_size}")
    click.echo(
        f"generator: {cfg.num_levels} levels (encoder sizes {sizes}), "
        f"base_channels {cfg.base_channels}, attention at {att}"
    )
    click.echo(f"  norm {cfg.g_norm.value}, spectral {cfg.g_spectral.value}")
    for part in ("encoder", "attention", "decoder", "embedding"):
        click.echo(f"  {part:<12}{g_counts[part]:>14,}")
    click.echo(f"  {'total':<12}{g_counts['total']:>14,}")
    click.echo(
        f"discriminator: {cfg.d_layers} stride-2 layers, base_channels {cfg.d_base_channels}"
    )
    click.echo(f"  norm {cfg.d_norm.value}, spectral {cfg.d_spectral.value}")
    for part in ("trunk", "patch_head", "style_head"):
        click.echo(f"  {part:<12}{d_counts[part]:>14,}")
    click.echo(f"  {'total':<12}{d_counts['total']:>14,}")
