"""``zi2zi model-info``: parameter counts and resolved norm choices, without allocating weights."""

from __future__ import annotations

import click

from zi2zi_core.models.config import NormKind, SpectralMode

NORM_CHOICES = [k.value for k in NormKind]
SPECTRAL_CHOICES = [m.value for m in SpectralMode]


def parse_resolutions(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """'32,16' -> (32, 16); '' or 'none' -> ()."""
    if value is None or value.strip().lower() in ("", "none"):
        return ()
    try:
        return tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(
            f"expected comma-separated sizes like 32,16, got {value!r}"
        ) from None


@click.command("model-info")
@click.option("--glyph-px", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--num-styles", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--base-channels", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--d-base-channels", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--d-layers", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--style-dim", type=click.IntRange(min=1), default=128, show_default=True)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Training batch size; decides what 'auto' norms resolve to.",
)
@click.option("--g-norm", type=click.Choice(NORM_CHOICES), default="auto", show_default=True)
@click.option("--d-norm", type=click.Choice(NORM_CHOICES), default="auto", show_default=True)
@click.option(
    "--g-spectral", type=click.Choice(SPECTRAL_CHOICES), default="auto", show_default=True
)
@click.option(
    "--d-spectral", type=click.Choice(SPECTRAL_CHOICES), default="auto", show_default=True
)
@click.option(
    "--attention",
    default="",
    callback=parse_resolutions,
    help="Encoder resolutions with self-attention, e.g. 32,16 (default: none).",
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
