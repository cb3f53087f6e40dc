"""The #14 quality options: edge-aware L1, multi-scale discriminator, feature matching."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from conftest import tiny_config
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import LossConfig, ModelConfig, discriminator_scales
from zi2zi_core.models.edge_weights import edge_weighted_l1, edge_weights
from zi2zi_core.models.losses import discriminator_loss, discriminator_views, generator_loss
from zi2zi_core.models.networks import (
    Discriminator,
    MultiScaleDiscriminator,
    build_discriminator,
    build_generator,
)
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.training.trainer import Trainer


def square_target(px: int = 16, lo: int = 4, hi: int = 12) -> torch.Tensor:
    """Model-space image (paper -1, ink +1) holding one ink square [lo, hi)."""
    img = -torch.ones(1, 1, px, px)
    img[..., lo:hi, lo:hi] = 1.0
    return img


def test_edge_weights_fall_linearly_from_the_stroke_edge():
    w = edge_weights(square_target(), radius=2, strength=3.0)[0, 0]
    # row 8 crosses the square's left edge between columns 3 (paper) and 4 (ink)
    row = w[8].tolist()
    assert row[3] == pytest.approx(4.0) and row[4] == pytest.approx(4.0)  # on the edge: 1 + 3
    assert row[2] == pytest.approx(2.5) and row[5] == pytest.approx(2.5)  # one pixel away
    assert row[0] == pytest.approx(1.0) and w[8, 8].item() == pytest.approx(1.0)  # far: 1
    assert w.min().item() == pytest.approx(1.0)


def test_edge_weighted_l1_is_the_plain_l1_without_strength_and_charges_edge_errors_more():
    target = square_target()
    fake = target.clone()
    assert edge_weighted_l1(fake, target, 2, 3.0).item() == 0.0
    noise = torch.rand_like(target)
    assert edge_weighted_l1(target + noise, target, 2, 0.0).item() == pytest.approx(
        noise.abs().mean().item()
    )
    at_edge, far = target.clone(), target.clone()
    at_edge[..., 8, 4] -= 1.0  # the same error on an edge pixel ...
    far[..., 8, 8] -= 1.0  # ... and on the square's centre
    assert edge_weighted_l1(at_edge, target, 2, 3.0) > 2 * edge_weighted_l1(far, target, 2, 3.0)


def test_multi_scale_discriminator_outputs_one_patch_map_per_scale_and_trains_every_head():
    torch.manual_seed(0)
    cfg = ModelConfig(
        glyph_px=64, d_base_channels=4, d_layers=3, d_scales=2, num_styles=3, base_channels=4
    ).resolve(2)
    net = build_discriminator(cfg)
    assert isinstance(net, MultiScaleDiscriminator) and discriminator_scales(64, 2) == (64, 32)
    source, image = torch.rand(2, 1, 64, 64), torch.rand(2, 1, 64, 64)
    patches, style, feats = net(source, image, features=True)
    assert [tuple(p.shape) for p in patches] == [(2, 1, 6, 6), (2, 1, 2, 2)]
    assert style.shape == (2, 3) and len(feats) == 2 * (cfg.d_layers + 1)
    (sum(p.mean() for p in patches) + style.sum()).backward()
    assert all(p.grad is not None for p in net.parameters())
    assert net.parameter_counts()["total"] == sum(p.numel() for p in net.parameters())


def test_one_scale_is_the_plain_patchgan_and_features_do_not_change_its_output():
    cfg = ModelConfig(glyph_px=32, d_base_channels=4, base_channels=4).resolve(2)
    net = build_discriminator(cfg).eval()
    assert type(net) is Discriminator
    source, image = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    plain, with_feats = net(source, image), net(source, image, features=True)
    assert torch.equal(plain[0], with_feats[0]) and torch.equal(plain[1], with_feats[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"d_scales": 0}, "d_scales must be >= 1"),
        ({"glyph_px": 32, "d_scales": 3}, "leaves no patch map at the coarsest scale (8 px"),
    ],
)
def test_model_config_rejects_scales_without_a_patch_map(kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        ModelConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"edge_weight": -1.0}, "edge_weight must be a finite number >= 0"),
        ({"edge_radius": 0}, "edge_radius must be >= 1"),
        ({"fm_weight": float("nan")}, "fm_weight must be a finite number >= 0"),
    ],
)
def test_loss_config_validates_the_new_weights(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        LossConfig(**kwargs)


def test_feature_matching_term_is_zero_on_the_real_pair_and_backprops_into_the_generator():
    torch.manual_seed(0)
    mcfg = ModelConfig(
        glyph_px=32, base_channels=4, d_base_channels=4, d_layers=2, d_scales=2
    ).resolve(2)
    G, D = build_generator(mcfg), build_discriminator(mcfg)
    cfg = LossConfig(fm_weight=10.0, edge_weight=2.0)
    source, target = torch.rand(2, 1, 32, 32) * 2 - 1, torch.rand(2, 1, 32, 32) * 2 - 1
    style = torch.zeros(2, dtype=torch.long)
    fake, enc = G(source, style, return_encoding=True)
    D.eval()  # in train mode each spectral-norm forward refines its estimate: not bit-equal
    out, real_feats = discriminator_views(D, source, target, target, cfg)
    same = generator_loss(out, target, target, style, enc, enc, cfg, real_feats)
    assert same.parts["g_fm"].item() == 0.0
    D.train()
    out, real_feats = discriminator_views(D, source, fake, target, cfg)
    g = generator_loss(out, fake, target, style, G.encode(fake), enc, cfg, real_feats)
    assert g.parts["g_fm"].item() > 0
    assert g.total.item() == pytest.approx(sum(v.item() for v in g.parts.values()))
    g.total.backward()
    assert all(p.grad is not None for p in G.parameters())
    with pytest.raises(ConfigError, match="needs D's features"):
        generator_loss(D(source, fake), fake, target, style, enc, enc, cfg)
    d = discriminator_loss(D(source, target), D(source, fake.detach()), style, cfg)
    assert torch.isfinite(d.total)


def test_training_with_every_quality_option_runs_and_logs_the_feature_matching_term(
    dataset_factory, tmp_path
):
    data = dataset_factory(px=32)
    run = tmp_path / "run"
    cfg = tiny_config(data, run, {"d_scales": 2}, steps=4, log_every=2, val_every=4)
    loss = LossConfig(edge_weight=2.0, edge_radius=2, fm_weight=10.0)
    cfg = dataclasses.replace(cfg, loss=loss)
    result = Trainer(cfg, run).run()
    assert result.step == 4
    train = [r for r in read_metrics(run) if r["kind"] == "train"]
    assert [r["step"] for r in train] == [2, 4]
    assert all(r["g_fm"] > 0 and r["g_l1"] > 0 for r in train)
