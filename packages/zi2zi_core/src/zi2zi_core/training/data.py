"""Training data on the device: the resident split, the streaming fallback, augmentation.

Every random choice of the data path is a pure function of ``(seed, rank, step)``:
batch ``step`` holds samples ``step * B ... step * B + B - 1`` of an endless sequence of epochs,
each epoch a permutation seeded by ``(seed, rank, epoch)``; augmentation draws come from a
generator reseeded by ``(seed, rank, step)``. Resuming at a step therefore reproduces the
uninterrupted run exactly, with no sampler state to save, and ranks of a DDP run draw
different batches.

- :class:`ResidentSampler`: the whole train split is uploaded once as uint8; batches are
  gathered on the device with indices drawn there (no host -> device copy per step).
- :class:`StreamingSampler`: when the split exceeds the memory budget, a background thread
  reads shards (in a seeded order, samples permuted within each shard) into pinned host
  tensors; they are copied to the device without blocking and cut into batches.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from glyphrender.dataset.shards import Dataset, GlyphBatch

from zi2zi_core.errors import Zi2ziError
from zi2zi_core.models.imaging import to_model

_MASK64 = (1 << 64) - 1
STREAM_EPOCH = 1
STREAM_SHARD = 2
STREAM_AUGMENT = 3
STREAM_DROPOUT = 4


def derive_seed(*parts: int) -> int:
    """Mix integers into one 63-bit seed (splitmix64 over the parts)."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (int(part) & _MASK64)) & _MASK64
        x = (x + 0x9E3779B97F4A7C15) & _MASK64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
        x ^= x >> 31
    return x & ((1 << 63) - 1)


@dataclass(frozen=True)
class UintBatch:
    """One batch as stored: uint8 (B, H, W) images and int64 (B,) style ids, on the device."""

    source: torch.Tensor
    target: torch.Tensor
    style: torch.Tensor


def split_bytes(dataset: Dataset, split: str, rows: int | None = None) -> int:
    """Device bytes the split (or ``rows`` of it) needs when resident: source + target + style."""
    count = dataset.count(split) if rows is None else rows
    return count * (2 * dataset.glyph_px**2 + 8)


def shard_rows(dataset: Dataset, rows: np.ndarray | None) -> list[np.ndarray] | None:
    """``rows`` (positions in the train split) as local positions within each train shard."""
    if rows is None:
        return None
    rows = np.asarray(rows, dtype=np.int64)
    out, start = [], 0
    for entry in dataset.shard_entries("train"):
        stop = start + entry.count
        out.append(rows[(rows >= start) & (rows < stop)] - start)
        start = stop
    return out


def default_memory_budget(device: torch.device) -> int:
    """Half of free CUDA memory; on CPU or MPS half of physical RAM (8 GiB when unknown)."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return free // 2
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


class ResidentSampler:
    """The train split uploaded once; batches are gathered on the device."""

    mode = "resident"

    def __init__(
        self,
        dataset: Dataset,
        device: torch.device,
        batch_size: int,
        seed: int,
        rank: int = 0,
        rows: np.ndarray | None = None,
    ) -> None:
        kept = shard_rows(dataset, rows)
        n, px = dataset.count("train") if rows is None else len(rows), dataset.glyph_px
        if n == 0:
            raise Zi2ziError(f"{dataset.path}: the train split is empty")
        self.device, self.batch_size, self.seed, self.rank, self.count = (
            device,
            batch_size,
            seed,
            rank,
            n,
        )
        self.source = torch.empty((n, px, px), dtype=torch.uint8, device=device)
        self.target = torch.empty((n, px, px), dtype=torch.uint8, device=device)
        self.style = torch.empty((n,), dtype=torch.int64, device=device)
        start = 0
        # Shard by shard, so the host never holds more than one shard beyond the device copy.
        for index, shard in enumerate(dataset.iter_shards("train")):
            keep = slice(None) if kept is None else kept[index]  # few-shot: the picked rows
            stop = start + len(shard.style[keep])
            self.source[start:stop] = torch.from_numpy(shard.source[keep])
            self.target[start:stop] = torch.from_numpy(shard.target[keep])
            self.style[start:stop] = torch.from_numpy(shard.style[keep].astype("int64"))
            start = stop
        self._generator = torch.Generator(device=device)
        self._perms: dict[int, torch.Tensor] = {}

    def _perm(self, epoch: int) -> torch.Tensor:
        if epoch not in self._perms:
            if len(self._perms) > 2:
                self._perms.pop(min(self._perms))
            self._generator.manual_seed(derive_seed(self.seed, self.rank, STREAM_EPOCH, epoch))
            self._perms[epoch] = torch.randperm(
                self.count, generator=self._generator, device=self.device
            )
        return self._perms[epoch]

    def indices(self, step: int) -> torch.Tensor:
        offset, need, parts = step * self.batch_size, self.batch_size, []
        while need:
            epoch, pos = divmod(offset, self.count)
            take = min(need, self.count - pos)
            parts.append(self._perm(epoch)[pos : pos + take])
            offset, need = offset + take, need - take
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def batch(self, step: int) -> UintBatch:
        idx = self.indices(step)
        return UintBatch(self.source[idx], self.target[idx], self.style[idx])

    def close(self) -> None:
        pass


class StreamingSampler:
    """Shards stream through (pinned) host memory with a prefetching thread.

    Epoch ``e`` visits the shards in an order seeded by ``(seed, rank, e)`` and each shard's
    samples in an order seeded by ``(seed, rank, e, position)``; batch ``step`` is again
    samples ``step * B ...`` of that sequence, so resuming is exact here too.
    """

    mode = "streaming"

    def __init__(
        self,
        dataset: Dataset,
        device: torch.device,
        batch_size: int,
        seed: int,
        rank: int = 0,
        prefetch: int = 2,
        rows: np.ndarray | None = None,
    ) -> None:
        self.dataset, self.device, self.batch_size, self.seed, self.rank = (
            dataset,
            device,
            batch_size,
            seed,
            rank,
        )
        self.entries = dataset.shard_entries("train")
        self.kept = shard_rows(dataset, rows)
        self.counts = (
            [e.count for e in self.entries] if self.kept is None else [len(k) for k in self.kept]
        )
        self.count = sum(self.counts)
        if self.count == 0:
            raise Zi2ziError(f"{dataset.path}: the train split is empty")
        self.prefetch = prefetch
        self.pin = device.type == "cuda"
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=prefetch)
        self._next_step: int | None = None
        self._buffer: list[torch.Tensor] | None = None

    # -- producer ------------------------------------------------------------------------
    def _shard_order(self, epoch: int) -> list[int]:
        g = torch.Generator().manual_seed(derive_seed(self.seed, self.rank, STREAM_EPOCH, epoch))
        return torch.randperm(len(self.entries), generator=g).tolist()

    def _read(self, index: int) -> Any:
        shard = self.dataset.read_shard("train", index)
        if self.kept is None:
            return shard
        keep = self.kept[index]  # few-shot: the picked rows of this shard
        return GlyphBatch(
            shard.source[keep], shard.target[keep], shard.codepoint[keep], shard.style[keep]
        )

    def _chunks(self, start_offset: int) -> Iterator[tuple[torch.Tensor, ...]]:
        epoch, skip = divmod(start_offset, self.count)
        while True:
            for position, index in enumerate(self._shard_order(epoch)):
                n = self.counts[index]
                if skip >= n:
                    skip -= n
                    continue
                shard = self._read(index)
                g = torch.Generator().manual_seed(
                    derive_seed(self.seed, self.rank, STREAM_SHARD, epoch, position)
                )
                order = torch.randperm(n, generator=g)[skip:]
                skip = 0
                tensors = (
                    torch.from_numpy(shard.source)[order],
                    torch.from_numpy(shard.target)[order],
                    torch.from_numpy(shard.style.astype("int64"))[order],
                )
                yield tuple(t.pin_memory() for t in tensors) if self.pin else tensors
            epoch += 1

    def _produce(self, start_offset: int) -> None:
        try:
            for chunk in self._chunks(start_offset):
                while not self._stop.is_set():
                    try:
                        self._queue.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            self._queue.put(exc)

    # -- consumer ------------------------------------------------------------------------
    def _restart(self, step: int) -> None:
        self.close()
        self._stop = threading.Event()
        self._queue = queue.Queue(maxsize=self.prefetch)
        self._thread = threading.Thread(
            target=self._produce, args=(step * self.batch_size,), daemon=True
        )
        self._thread.start()
        self._buffer = None
        self._next_step = step

    def _take_chunk(self) -> list[torch.Tensor]:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return [t.to(self.device, non_blocking=True) for t in item]

    def batch(self, step: int) -> UintBatch:
        if step != self._next_step:
            self._restart(step)
        while self._buffer is None or len(self._buffer[0]) < self.batch_size:
            chunk = self._take_chunk()
            self._buffer = (
                chunk
                if self._buffer is None
                else [torch.cat([a, b]) for a, b in zip(self._buffer, chunk, strict=True)]
            )
        head = [t[: self.batch_size] for t in self._buffer]
        self._buffer = [t[self.batch_size :] for t in self._buffer]
        self._next_step = step + 1
        return UintBatch(*head)

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            while self._thread.is_alive():
                try:  # unblock a producer waiting on a full queue
                    self._queue.get_nowait()
                except queue.Empty:
                    self._thread.join(timeout=0.05)
            self._thread = None


def open_train_sampler(
    dataset: Dataset,
    device: torch.device,
    batch_size: int,
    seed: int,
    rank: int = 0,
    memory_budget: int | None = None,
    rows: np.ndarray | None = None,
) -> ResidentSampler | StreamingSampler:
    """The resident sampler when the split fits ``memory_budget`` bytes, else streaming.

    ``rows`` (positions in the train split, ascending) keeps only those rows: a few-shot run.
    """
    budget = default_memory_budget(device) if memory_budget is None else memory_budget
    if split_bytes(dataset, "train", None if rows is None else len(rows)) <= budget:
        return ResidentSampler(dataset, device, batch_size, seed, rank, rows=rows)
    return StreamingSampler(dataset, device, batch_size, seed, rank, rows=rows)


class Augmenter:
    """zi2zi's augmentation on the device: scale up by a random factor, crop back to size.

    One factor in ``[1, 1 + max_scale]`` and one crop offset per sample, identical for source
    and target (both go through one ``grid_sample`` call as two channels). The uint8 -> float
    conversion happens here, on the device, through :func:`zi2zi_core.models.imaging.to_model`.
    """

    def __init__(
        self, device: torch.device, max_scale: float, enabled: bool, seed: int, rank: int = 0
    ) -> None:
        self.device, self.max_scale, self.enabled, self.seed, self.rank = (
            device,
            max_scale,
            enabled and max_scale > 0,
            seed,
            rank,
        )
        self._generator = torch.Generator(device=device)

    def __call__(self, batch: UintBatch, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 batch -> (source, target) float (B, 1, H, W) in [-1, 1]."""
        pair = to_model(torch.stack([batch.source, batch.target], dim=1))
        if not self.enabled:
            return pair[:, :1], pair[:, 1:]
        b = pair.shape[0]
        self._generator.manual_seed(derive_seed(self.seed, self.rank, STREAM_AUGMENT, step))
        u = torch.rand((b, 3), generator=self._generator, device=self.device)
        inv = 1.0 / (1.0 + self.max_scale * u[:, 0])  # the crop covers 1/s of the scaled glyph
        room = 1.0 - inv
        theta = torch.zeros((b, 2, 3), device=self.device)
        theta[:, 0, 0] = inv
        theta[:, 1, 1] = inv
        theta[:, 0, 2] = room * (2 * u[:, 1] - 1)
        theta[:, 1, 2] = room * (2 * u[:, 2] - 1)
        grid = F.affine_grid(theta, list(pair.shape), align_corners=False)
        out = F.grid_sample(pair, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return out[:, :1], out[:, 1:]


@dataclass(frozen=True)
class ValSet:
    """The validation pairs, kept as uint8 on the host (pinned on CUDA) and moved per batch."""

    source: torch.Tensor
    target: torch.Tensor
    style: torch.Tensor
    codepoint: torch.Tensor

    def __len__(self) -> int:
        return len(self.style)

    def batches(self, batch_size: int, device: torch.device) -> Iterator[UintBatch]:
        for start in range(0, len(self), batch_size):
            sl = slice(start, start + batch_size)
            yield UintBatch(
                self.source[sl].to(device, non_blocking=True),
                self.target[sl].to(device, non_blocking=True),
                self.style[sl].to(device, non_blocking=True),
            )


def load_val(dataset: Dataset, max_samples: int, pin: bool) -> ValSet:
    """The val split (evenly thinned to ``max_samples`` when that is > 0)."""
    batch = dataset.read_split("val")
    tensors = [
        torch.from_numpy(batch.source),
        torch.from_numpy(batch.target),
        torch.from_numpy(batch.style.astype("int64")),
        torch.from_numpy(batch.codepoint.astype("int64")),
    ]
    if max_samples and len(batch) > max_samples:
        keep = torch.linspace(0, len(batch) - 1, max_samples).round().long()
        tensors = [t[keep] for t in tensors]
    if pin:
        tensors = [t.pin_memory() for t in tensors]
    return ValSet(*tensors)
