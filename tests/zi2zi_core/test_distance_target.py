"""--g-distance-px: the generator draws the signed distance to the stroke edge (issue #25)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from zi2zi_core.cli import main
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import LossConfig, ModelConfig
from zi2zi_core.models.distance import ink_from_distance, target_distance
from zi2zi_core.models.imaging import from_model, to_model
from zi2zi_core.models.losses import generator_loss
from zi2zi_core.models.networks import build_discriminator, build_generator
from zi2zi_core.rundir.checkpoint import load_for_inference
from zi2zi_core.rundir.metrics_log import read_metrics


def bar(px: int = 16, lo: int = 5, hi: int = 11) -> torch.Tensor:
    """Model-space image (paper -1, ink +1): a full-height bar of columns [lo, hi)."""
    img = -torch.ones(1, 1, px, px)
    img[..., lo:hi] = 1.0
    return img


def test_the_distance_counts_pixels_from_the_edge_and_stops_at_the_radius():
    distance = target_distance(bar(), radius_px=3)[0, 0, 0] * 3  # in pixels, one row
    # columns 5..10 are ink: 0.5 on the edge, one more per pixel inward; paper likewise < 0
    assert distance[5:11].tolist() == [0.5, 1.5, 2.5, 2.5, 1.5, 0.5]
    assert distance[2:5].tolist() == [-2.5, -1.5, -0.5]
    assert distance[11:14].tolist() == [-0.5, -1.5, -2.5]
    assert distance[0].item() == -3.0 and distance[15].item() == -3.0  # cut at the radius


def test_a_partly_covered_pixel_sits_on_the_edge_at_its_coverage():
    img = bar()
    img[..., 4] = to_model(torch.tensor(64, dtype=torch.uint8))  # a quarter covered
    distance = target_distance(img, radius_px=2)[0, 0, 0] * 2
    assert distance[4].item() == pytest.approx(64 / 255 - 0.5)


def test_the_distance_target_draws_the_target_back_exactly():
    """Nothing of the target is lost: every uint8 coverage level comes back."""
    torch.manual_seed(0)
    coverage = torch.randint(0, 256, (2, 1, 24, 24), dtype=torch.uint8)
    coverage[0, 0, 4:20, 8:14] = 255  # a stroke of full ink among the random levels
    target = to_model(coverage)
    for radius in (1, 2, 4):
        drawn = ink_from_distance(target_distance(target, radius), radius)
        assert torch.equal(from_model(drawn), coverage)


def _distance_config(radius: int = 2) -> ModelConfig:
    return ModelConfig(
        glyph_px=32, base_channels=4, d_base_channels=4, style_dim=8, g_distance_px=radius
    ).resolve(4)


def test_a_distance_generator_returns_the_ink_its_distance_map_draws():
    torch.manual_seed(0)
    net = build_generator(_distance_config(2)).eval()  # eval: no dropout draws
    source = torch.rand(3, 1, 32, 32) * 2 - 1
    style = torch.zeros(3, dtype=torch.long)
    image, encoding, distance = net(source, style, return_encoding=True, return_distance=True)
    assert torch.equal(image, ink_from_distance(distance, 2))
    assert image.abs().max() <= 1 and distance.abs().max() <= 1
    assert encoding.shape == net.encode(image).shape
    assert torch.equal(net(source, style), image)  # eval and generate see the same ink
    plain = build_generator(_distance_config(0))
    with pytest.raises(ConfigError, match="this generator draws ink"):
        plain(source, style, return_distance=True)


def test_the_l1_compares_distance_maps_when_given_them():
    torch.manual_seed(0)
    cfg = _distance_config(2)
    net, d_net = build_generator(cfg), build_discriminator(cfg)
    source, target = torch.rand(2, 1, 32, 32) * 2 - 1, bar(32).expand(2, 1, 32, 32)
    style = torch.zeros(2, dtype=torch.long)
    fake, enc, distance = net(source, style, return_encoding=True, return_distance=True)
    wanted = target_distance(target, 2)
    loss_cfg = LossConfig()
    terms = generator_loss(
        d_net(source, fake), fake, target, style, net.encode(fake), enc, loss_cfg,
        distance=(distance, wanted),
    )  # fmt: skip
    expected = loss_cfg.l1_weight * F.l1_loss(distance, wanted)
    assert terms.parts["g_l1"].item() == pytest.approx(expected.item(), rel=1e-6)


def test_a_training_step_of_a_distance_generator_charges_the_distance_l1():
    from zi2zi_core.training.phases import Phase, StepInputs, g_phase

    torch.manual_seed(0)
    cfg = dataclasses.replace(_distance_config(2), dropout=0.0)
    net, d_net = build_generator(cfg), build_discriminator(cfg)
    source, target = torch.rand(2, 1, 32, 32) * 2 - 1, bar(32).expand(2, 1, 32, 32)
    style = torch.zeros(2, dtype=torch.long)
    with torch.no_grad():  # before the step updates the generator
        _, _, distance = net(source, style, return_encoding=True, return_distance=True)
        wanted = LossConfig().l1_weight * F.l1_loss(distance, target_distance(target, 2))
    phase = Phase("g", net, torch.optim.Adam(net.parameters()))
    inputs = StepInputs(source, target, style, LossConfig(), "fp32", poison=None)
    result, _ = g_phase(phase, net, d_net, inputs, distributed=False, mark=lambda _: None)
    assert result.terms.parts["g_l1"].item() == pytest.approx(wanted.item(), rel=1e-5)


def test_negative_radii_are_refused_and_old_configs_draw_ink():
    with pytest.raises(ConfigError, match="g_distance_px must be >= 0"):
        ModelConfig(g_distance_px=-1)
    old = ModelConfig(glyph_px=64).to_dict()
    del old["g_distance_px"]  # a checkpoint written before the field existed
    assert ModelConfig.from_dict(old).g_distance_px == 0


def test_a_distance_run_trains_from_the_cli_and_its_checkpoint_draws_ink(
    dataset_factory, tmp_path, tiny_model_flags
):
    data = dataset_factory(px=32)
    run = tmp_path / "run"
    flags = ["--batch-size", "8", "--steps", "4", "--val-every", "4", "--checkpoint-every", "4"]
    train = ["train", "--shards", str(data), "--run", str(run), "--device", "cpu"]
    res = CliRunner().invoke(main, [*train, *tiny_model_flags, *flags, "--g-distance-px", "2"])
    assert res.exit_code == 0, res.output
    assert all(r["g_l1"] > 0 for r in read_metrics(run) if r["kind"] == "train")
    model = load_for_inference(run, which="last", device="cpu")
    assert model.generator.cfg.g_distance_px == 2  # saved with the checkpoint
    res = CliRunner().invoke(main, ["eval", "--run", str(run), "--checkpoint", "last"])
    assert res.exit_code == 0, res.output
    assert "ink_iou" in res.output


def test_model_info_says_what_the_generator_draws():
    res = CliRunner().invoke(main, ["model-info", "--glyph-px", "64", "--g-distance-px", "3"])
    assert res.exit_code == 0, res.output
    assert "draws the signed distance to the stroke edge, cut at 3 px" in res.output
    bad = CliRunner().invoke(main, ["model-info", "--g-distance-px", "-1"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
