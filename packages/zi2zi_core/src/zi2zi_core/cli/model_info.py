"""``zi2zi model-info``: parameter counts and resolved norm choices, without allocating weights."""

from __future__ import annotations

import click

from zi2zi_core.cli._model_flags import Decorator, ModelFlag, model_flag_options
from zi2zi_core.errors import ConfigError
from zi2zi_core.training.config import default_of, parse_attention


def parse_resolutions(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """'32,16' -> (32, 16); '' or 'none' -> () (the ``--attention`` syntax of every command)."""
    try:
        return tuple(parse_attention(value or ""))
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


def _size_option(flag: str, help: str) -> Decorator:
    """A positive whole-number setting whose default is the config schema's."""
    return click.option(
        flag,
        type=click.IntRange(min=1),
        default=default_of(flag.removeprefix("--").replace("-", "_")),
        show_default=True,
        help=help,
    )


def _model_option(model_flag: ModelFlag) -> Decorator:
    """A shared model flag with its built-in default (norms and spectral norms: auto)."""
    if model_flag.type is None:  # --attention: resolutions parsed here
        return click.option(
            model_flag.flag,
            default="none",
            show_default=True,
            callback=parse_resolutions,
            help=model_flag.help,
        )
    return click.option(
        model_flag.flag,
        type=model_flag.type,
        default=default_of(model_flag.name),
        show_default=True,
        help=model_flag.help,
    )


@click.command("model-info")
@_size_option("--glyph-px", "Glyph size in pixels.")
@_size_option("--num-styles", "Target styles (fonts) of the dataset.")
@_size_option("--batch-size", "Training batch size; decides what 'auto' norms resolve to.")
@model_flag_options(_model_option)
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
    g_refine_convs: int,
    g_bottleneck_px: int,
    g_distance_px: int,
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
        g_refine_convs=g_refine_convs,
        g_bottleneck_px=g_bottleneck_px,
        g_distance_px=g_distance_px,
    ).resolve(batch_size)
    with torch.device("meta"):
        g_counts = build_generator(cfg).parameter_counts()
        d_counts = build_discriminator(cfg).parameter_counts()

    sizes = " ".join(map(str, cfg.encoder_sizes))
    att = ",".join(map(str, cfg.attention_resolutions)) or "none"
    click.echo(f"glyph_px {cfg.glyph_px}, num_styles {cfg.num_styles}, batch_size {batch_size}")
    click.echo(
        f"generator: {cfg.num_levels} levels (encoder sizes {sizes}), "
        f"base_channels {cfg.base_channels}, attention at {att}, "
        f"refine convs {cfg.g_refine_convs}, bottleneck {cfg.g_bottleneck_px}x{cfg.g_bottleneck_px}"
    )
    if cfg.g_distance_px:
        click.echo(f"  draws the signed distance to the stroke edge, cut at {cfg.g_distance_px} px")
    click.echo(f"  norm {cfg.g_norm.value}, spectral {cfg.g_spectral.value}")
    _echo_counts(g_counts, ("encoder", "attention", "decoder", "embedding"))
    click.echo(
        f"discriminator: {cfg.d_layers} stride-2 layers, base_channels {cfg.d_base_channels}"
    )
    click.echo(f"  norm {cfg.d_norm.value}, spectral {cfg.d_spectral.value}")
    _echo_counts(d_counts, ("trunk", "patch_head", "style_head"))


def _echo_counts(counts: dict[str, int], parts: tuple[str, ...]) -> None:
    """One line per part, then the total, numbers right-aligned."""
    for part in (*parts, "total"):
        click.echo(f"  {part:<12}{counts[part]:>14,}")
