"""Tiny synthetic glyphrender datasets for the zi2zi_core tests.

Sources are random strokes and boxes; the target of style ``k`` is the source dilated
``k + 1`` times (3x3 max filter), a deterministic transform a small model can learn.
Shards and manifest are written through glyphrender's own writer, so the trainer reads
them exactly as it reads a dataset built from fonts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from glyphrender.dataset.manifest import SCHEMA_VERSION
from glyphrender.dataset.shard_writer import ShardWriter
from glyphrender.dataset.shards import GlyphBatch, write_manifest

# Tiny models run fastest on one thread, and a shared 2-core CI box thrashes with more. The
# environment variable keeps `zi2zi train` run in-process (CliRunner) on that one thread too:
# its thread choice (zi2zi_core.cpu_threads) honours OMP_NUM_THREADS.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


def _strokes(rng: np.random.Generator, n: int, px: int) -> np.ndarray:
    images = np.zeros((n, px, px), np.uint8)
    for img in images:
        for _ in range(rng.integers(2, 5)):
            if rng.random() < 0.5:  # horizontal or vertical stroke
                a, b = sorted(rng.integers(px // 8, px - px // 8, 2))
                c = rng.integers(px // 8, px - px // 8)
                w = max(1, px // 16)
                if rng.random() < 0.5:
                    img[c : c + w, a : b + 1] = 255
                else:
                    img[a : b + 1, c : c + w] = 255
            else:  # a small filled box
                y, x = rng.integers(px // 8, px - px // 4, 2)
                img[y : y + px // 8, x : x + px // 8] = 255
    return images


def dilate(images: np.ndarray, times: int) -> np.ndarray:
    out = images.copy()
    for _ in range(times):
        padded = np.pad(out, ((0, 0), (1, 1), (1, 1)))
        h, w = out.shape[1:]
        out = np.max(
            [padded[:, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)], axis=0
        )
    return out


def make_dataset(
    root: Path,
    *,
    px: int = 16,
    n_train: int = 64,
    n_val: int = 16,
    n_missing: int = 8,
    num_styles: int = 1,
    shard_size: int = 24,
    seed: int = 0,
) -> Path:
    """Write a complete dataset (manifest + shards) under ``root`` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    splits = {}
    codepoint = 0x4E00
    for split, n in (("train", n_train), ("val", n_val), ("missing", n_missing)):
        writer = ShardWriter(root, split, shard_size)
        source = _strokes(rng, n * num_styles, px)
        style = np.repeat(np.arange(num_styles, dtype=np.uint16), n)
        target = None
        if split != "missing":
            target = np.empty_like(source)
            for k in range(num_styles):
                target[style == k] = dilate(source[style == k], k + 1)
        codepoints = np.tile(np.arange(codepoint, codepoint + n, dtype=np.uint32), num_styles)
        codepoint += n
        writer.add(GlyphBatch(source, target, codepoints, style))
        entries = writer.close()
        splits[split] = {"count": n * num_styles, "shards": entries}
    fonts = [_font("source", None, "Synthetic Sans", "Regular")] + [
        _font("target", k, "Synthetic Bold", f"Dilate{k + 1}") for k in range(num_styles)
    ]
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "zi2zi-tests", "version": "0"},
        "created": "2024-01-01T00:00:00Z",
        "glyph_px": px,
        "render": {"size": px, "placement": "center", "margin": 0},
        "fonts": fonts,
        "charset": {"spec": "synthetic", "count": n_train + n_val + n_missing},
        "split": {"rule": "synthetic", "seed": seed, "val_fraction": n_val / (n_train + n_val)},
        "coverage": {},
        "splits": splits,
        "compression": {"compression": "gzip", "compression_opts": 1, "shuffle": False},
    }
    write_manifest(root, manifest)
    return root


def _font(role: str, style_id: int | None, family: str, style_name: str) -> dict:
    path = f"fonts/{family.replace(' ', '')}-{style_name}.ttf"
    return {
        "role": role,
        "path": path,
        "sha256": hashlib.sha256(path.encode()).hexdigest(),
        "family": family,
        "style_name": style_name,
        "face_index": 0,
        "style_id": style_id,
        "transform": {"scale": 0.016, "x_offset": 0.0, "y_offset": 14.0},
        "units_per_em": 1000,
    }


@pytest.fixture
def dataset_factory(tmp_path: Path) -> Callable[..., Path]:
    """``dataset_factory(name="data", **kw)`` writes a tiny dataset under tmp_path."""

    def factory(name: str = "data", **kwargs) -> Path:
        return make_dataset(tmp_path / name, **kwargs)

    return factory


@pytest.fixture
def tiny_dataset(dataset_factory) -> Path:
    return dataset_factory()


TINY_MODEL = {"base_channels": 4, "d_base_channels": 4, "d_layers": 2, "style_dim": 4}
TINY_TRAIN = {
    "batch_size": 8,
    "steps": 10,
    "log_every": 1,
    "val_every": 5,
    "sample_every": 5,
    "checkpoint_every": 5,
    "device": "cpu",
}


def tiny_config(dataset: Path, run_dir: Path, model: dict | None = None, **train):
    """A resolved RunConfig for a tiny model on ``dataset`` (train settings as keywords)."""
    from glyphrender.dataset.shards import Dataset
    from zi2zi_core.training.config import resolve_run_config

    ds = Dataset.open(dataset)
    flags = {
        "model": {**TINY_MODEL, **(model or {})},
        "loss": {},
        "train": {**TINY_TRAIN, "shards": str(dataset), "run_dir": str(run_dir), **train},
    }
    return resolve_run_config(
        flags=flags,
        file_layer=None,
        dataset_glyph_px=ds.glyph_px,
        dataset_num_styles=ds.num_styles,
    )


def _make_run(run_dir, dataset, num_styles: int, glyph_px: int = 32, step: int = 7):
    """A run directory holding one checkpoint of an untrained tiny generator."""
    from zi2zi_core.models.config import ModelConfig
    from zi2zi_core.models.networks import build_generator
    from zi2zi_core.rundir.checkpoint import save_checkpoint
    from zi2zi_core.rundir.layout import RunDir

    torch.manual_seed(0)
    cfg = ModelConfig(
        glyph_px=glyph_px, base_channels=4, num_styles=num_styles, style_dim=4, d_base_channels=4
    ).resolve(4)
    state = {
        "format_version": 1,
        "step": step,
        "config": {"model": cfg.to_dict(), "loss": {}, "train": {}},
        "dataset": {"path": str(dataset)},
        "ema": build_generator(cfg).state_dict(),
    }
    save_checkpoint(state, RunDir(run_dir).best_checkpoint)
    return run_dir


@pytest.fixture
def make_run():
    """``make_run(run_dir, dataset, num_styles)``: a run holding one untrained tiny checkpoint."""
    return _make_run


@pytest.fixture
def tiny_model_flags() -> list[str]:
    """``zi2zi train`` flags for the smallest model the CLI tests train (4 channels, 2 D layers)."""
    return ["--base-channels", "4", "--d-base-channels", "4", "--d-layers", "2", "--style-dim", "4"]
