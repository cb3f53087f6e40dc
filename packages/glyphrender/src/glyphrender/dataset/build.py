"""``glyphrender build``: a source font and target fonts -> a dataset directory of shards.

Pipeline: open and check the fonts, resolve the charset, compute coverage, assign splits
(:mod:`glyphrender.dataset.splits`), then render and compress every sample in worker processes
(one FreeType face per font per worker, opened once) and write the encoded chunks into
shards in the main process. Work is cut into fixed runs of samples whatever the number of
workers, and results are consumed in order, so the output does not depend on ``workers``.

The dataset is written into a locked staging directory next to ``out``
(:func:`glyphrender.atomic.staging_dir`) and published by
:func:`glyphrender.atomic.publish_dir`: ``out`` holds the whole old dataset or the whole new
one at every instant, also with ``force``. An interrupted or failed build removes its staging
directory; one killed outright leaves it behind, and the next build to the same ``out``
removes it (:func:`glyphrender.atomic.sweep_stale`). Worker processes exit on their own when
the build process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as _dt
import multiprocessing
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glyphrender import __version__
from glyphrender.atomic import publish_dir, staging_dir, sweep_stale
from glyphrender.dataset.manifest import SCHEMA_VERSION, SPLITS, Manifest
from glyphrender.dataset.shard_writer import (
    DEFAULT_COMPRESSION,
    can_encode,
    encode_chunk,
    write_encoded_shard,
)
from glyphrender.dataset.shards import MANIFEST_NAME, shard_name
from glyphrender.dataset.splits import (
    DEFAULT_SEED,
    DEFAULT_VAL_FRACTION,
    SPLIT_RULE,
    Sample,
    plan_splits,
)
from glyphrender.errors import DatasetError, GlyphrenderError
from glyphrender.fonts.charsets import DEFAULT_CHARSET
from glyphrender.fonts.loading import FontRef, LoadedFont
from glyphrender.outputs import claim_output
from glyphrender.rendering.blend import BlendRenderer
from glyphrender.rendering.placement import EmBox, em_box, font_transform
from glyphrender.rendering.render import GlyphRenderer, RenderOptions

DEFAULT_OUT = Path("data")
DEFAULT_SHARD_SIZE = 1000
TASK_SIZE = 64  # samples per worker task: small enough to balance, large enough to amortise
_SHARD_FILE = re.compile(r"^(train|val|missing)-\d{5}\.h5$")


@dataclass(frozen=True)
class BuildConfig:
    """Everything that decides a dataset's content (plus how to run and where to write)."""

    source: FontRef
    targets: tuple[FontRef, ...]
    out: Path = DEFAULT_OUT
    # More source designs: each source image is the mean of the source and of these fonts
    # that draw the character (glyphrender.rendering.blend). The source alone decides coverage.
    blend: tuple[FontRef, ...] = ()
    charset: tuple[str, ...] = DEFAULT_CHARSET
    render: RenderOptions = field(default_factory=RenderOptions)
    val_fraction: float = DEFAULT_VAL_FRACTION
    seed: int = DEFAULT_SEED
    shard_size: int = DEFAULT_SHARD_SIZE
    workers: int | None = None  # None: os.cpu_count()
    force: bool = False
    compression: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_COMPRESSION))

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "blend", tuple(self.blend))
        object.__setattr__(self, "charset", tuple(self.charset) or DEFAULT_CHARSET)
        object.__setattr__(self, "out", Path(self.out))
        if not self.targets:
            raise ValueError("at least one target font is needed")
        if not 0 <= self.val_fraction <= 1:
            raise ValueError(f"val fraction must be in [0, 1], got {self.val_fraction}")
        if self.shard_size < 1:
            raise ValueError(f"shard size must be at least 1, got {self.shard_size}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if not can_encode(self.compression):
            raise ValueError(f"compression {self.compression} cannot be encoded by workers")

    def inputs(self) -> list[tuple[str, Path]]:
        """What the build reads (fonts, charset files), which ``out`` must stay apart from."""
        found = [("the source font", self.source.path)]
        found += [("a blended source font", ref.path) for ref in self.blend]
        found += [("a target font", ref.path) for ref in self.targets]
        return found + [("the charset file", Path(c)) for c in self.charset if Path(c).is_file()]

    @property
    def num_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass(frozen=True)
class ClippedGlyph:
    role: str  # "source" or "target"
    style: int | None
    codepoint: int
    pixels_outside: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "style_id": self.style,
            "codepoint": f"U+{self.codepoint:04X}",
            "pixels_outside": self.pixels_outside,
        }


@dataclass(frozen=True)
class BuildResult:
    out: Path
    manifest: Manifest  # the typed view of what was written
    clipped: tuple[ClippedGlyph, ...]

    def count(self, split: str) -> int:
        return self.manifest.split(split).count


ProgressFn = Callable[[int, int], None]  # (samples done, samples total)
NotifyFn = Callable[[str], None]  # one line for the user (the CLI prints it on stderr)


# --- worker side ----------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _exit_with_parent(parent_pid: int) -> None:
    """Make this worker process exit as soon as the build process dies, even by SIGKILL.

    Otherwise a killed build's workers live on, blocked writing results nobody reads, and
    keep the caller's stdout/stderr pipes open. Linux: the kernel sends SIGKILL on the
    parent's death (PR_SET_PDEATHSIG). Elsewhere: a thread waits on multiprocessing's
    parent sentinel, which becomes ready when the parent exits.
    """
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent_pid:  # it died before the line above took effect
                os._exit(1)
            return
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(1)), daemon=True).start()


def _init_worker(
    fonts: list[tuple[bytes, dict[str, float], str]],
    num_sources: int,
    options,
    compression,
    parent_pid: int,
) -> None:
    """Open one FreeType face per font, once per worker process: the first ``num_sources``
    make the (blended) source, the rest are the targets by style id."""
    from glyphrender.rendering.transform import Transform

    if multiprocessing.parent_process() is not None:
        _exit_with_parent(parent_pid)
        with contextlib.suppress(ValueError):  # not the main thread of the main process
            # Ctrl-C goes to the whole process group; the main process alone handles it and
            # shuts the pool down. A forked worker would also inherit the CLI's SIGTERM handler.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    renderers = [
        GlyphRenderer(data, Transform.from_dict(t), options, name=name) for data, t, name in fonts
    ]
    _STATE["source"] = BlendRenderer(renderers[:num_sources])
    _STATE["targets"] = renderers[num_sources:]
    _STATE["compression"] = compression
    _STATE["px"] = options.glyph_px


Task = tuple[str, int, tuple[tuple[int, int], ...]]  # split, shard index, (codepoint, style)
TaskResult = tuple[list[bytes], list[bytes] | None, list[ClippedGlyph]]


def _render_task(task: Task) -> TaskResult:
    split, _, samples = task
    source: BlendRenderer = _STATE["source"]
    targets: list[GlyphRenderer] = _STATE["targets"]
    compression = _STATE["compression"]
    px = _STATE["px"]
    canvas = np.zeros((px, px), np.uint8)
    source_chunks: list[bytes] = []
    target_chunks: list[bytes] | None = [] if split != "missing" else None
    clipped: list[ClippedGlyph] = []
    source_cache: dict[int, bytes] = {}

    def draw(
        renderer: GlyphRenderer | BlendRenderer, cp: int, role: str, style: int | None
    ) -> bytes:
        canvas.fill(0)
        outside = renderer.render_into(cp, canvas)
        if outside:
            clipped.append(ClippedGlyph(role, style, cp, outside))
        return encode_chunk(canvas, compression)

    for cp, style in samples:
        if cp not in source_cache:  # several styles of one character share the source image
            source_cache[cp] = draw(source, cp, "source", None)
        source_chunks.append(source_cache[cp])
        if target_chunks is not None:
            target_chunks.append(draw(targets[style], cp, "target", style))
    return source_chunks, target_chunks, clipped


# --- main side ------------------------------------------------------------------------------


def _tasks(plan: dict[str, tuple[Sample, ...]], shard_size: int) -> Iterator[Task]:
    for split in SPLITS:
        samples = plan[split]
        for shard_index, start in enumerate(range(0, len(samples), shard_size)):
            shard = samples[start : start + shard_size]
            for t in range(0, len(shard), TASK_SIZE):
                yield (
                    split,
                    shard_index,
                    tuple((s.codepoint, s.style) for s in shard[t : t + TASK_SIZE]),
                )


def _run_tasks(
    tasks: list[Task], init_args: tuple, workers: int
) -> Iterator[tuple[Task, TaskResult]]:
    """Results in task order, rendered inline (workers == 1) or by a process pool."""
    if workers == 1 or len(tasks) <= 1:
        saved = dict(_STATE)
        _init_worker(*init_args)
        try:
            for task in tasks:
                yield task, _render_task(task)
        finally:
            _STATE.clear()
            _STATE.update(saved)
        return
    # fork starts workers in milliseconds; elsewhere (macOS, Windows) spawn is the safe choice.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    ctx = multiprocessing.get_context(method)
    executor = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=init_args,
    )
    try:
        yield from zip(tasks, executor.map(_render_task, tasks, chunksize=1), strict=True)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _font_entry(
    font: LoadedFont, role: str, style_id: int | None, box: EmBox, transform_dict: dict
) -> dict[str, Any]:
    return {
        "role": role,
        "style_id": style_id,
        "path": str(font.path.resolve()),
        "sha256": font.sha256,
        "family": font.family,
        "style_name": font.style_name,
        "face_index": font.face_index,
        "units_per_em": font.units_per_em,
        "em_box": {"top": box.top, "bottom": box.bottom, "metrics": box.source},
        "transform": transform_dict,
    }


def build_dataset(
    config: BuildConfig, progress: ProgressFn | None = None, notify: NotifyFn | None = None
) -> BuildResult:
    """Build the dataset ``config`` describes; raise GlyphrenderError on bad input.

    First cleans up after earlier builds to the same ``out`` that were killed (``notify``
    gets one line per directory removed or dataset restored).
    """
    from glyphrender.fonts.charsets import resolve_charset
    from glyphrender.fonts.coverage import compute_coverage
    from glyphrender.fonts.loading import open_font

    out = config.out
    for line in sweep_stale(out):
        if notify:
            notify(line)
    _check_out(config)
    source = open_font(config.source)
    blend = [open_font(ref) for ref in config.blend]
    _check_blend_distinct(source, blend)
    targets = [open_font(ref) for ref in config.targets]
    charset = resolve_charset(config.charset)
    coverage = compute_coverage(source, targets, charset)
    for ref, cov in zip(config.targets, coverage.targets, strict=True):
        if not cov.shared:
            raise GlyphrenderError(
                f"{ref}: shares no characters with {config.source} within charset "
                f"{' '.join(charset.spec)} ({len(charset)} characters): nothing to train on"
            )
    plan = plan_splits(
        [c.shared for c in coverage.targets],
        [c.missing for c in coverage.targets],
        seed=config.seed,
        val_fraction=config.val_fraction,
    ).by_name()

    entries, init_args = _font_plan(source, blend, targets, config)
    with staging_dir(out, "the dataset") as tmp:
        splits, clipped = _render_and_write(tmp, plan, config, init_args, progress)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "glyphrender", "version": __version__},
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "glyph_px": config.render.glyph_px,
            "render": config.render.to_dict()
            | {
                "clipped": {
                    "count": len(clipped),
                    "glyphs": [c.to_dict() for c in clipped],
                }
            },
            "fonts": entries,
            "charset": charset.to_dict(),
            "split": {
                "rule": SPLIT_RULE,
                "seed": config.seed,
                "val_fraction": config.val_fraction,
            },
            "coverage": coverage.to_dict(),
            "splits": splits,
            "compression": dict(config.compression),
        }
        typed = Manifest.from_json(manifest, out / MANIFEST_NAME)  # what readers will see
        _write_manifest_file(tmp, manifest)
        _check_out(config)  # a dataset may have appeared there while we rendered
        # No dataset there, or force: replace the folder, keeping files that are not part of
        # a dataset (data/README.md).
        publish_dir(tmp, out, replace=True, keep=_not_dataset_file, what="the dataset")
    return BuildResult(out, typed, tuple(clipped))


def _font_plan(
    source: LoadedFont, blend: list[LoadedFont], targets: list[LoadedFont], config: BuildConfig
) -> tuple[list[dict[str, Any]], tuple]:
    """The manifest's font entries and the render workers' arguments: the source, the fonts
    blended into it, then the targets by style id, each with its own em-box transform."""
    fonts = [source, *blend, *targets]
    boxes = [em_box(f) for f in fonts]
    px, margin = config.render.glyph_px, config.render.margin
    transforms = [font_transform(b, px, margin).to_dict() for b in boxes]
    roles = [("source", None)] + [("blend", None)] * len(blend)
    roles += [("target", i) for i in range(len(targets))]
    entries = [
        _font_entry(f, role, style, b, t)
        for f, (role, style), b, t in zip(fonts, roles, boxes, transforms, strict=True)
    ]
    init_args = (
        [(f.sfnt_bytes, t, str(f.path)) for f, t in zip(fonts, transforms, strict=True)],
        1 + len(blend),  # the workers' BlendRenderer takes that many
        config.render,
        config.compression,
        os.getpid(),
    )
    return entries, init_args


def _check_blend_distinct(source: LoadedFont, blend: list[LoadedFont]) -> None:
    """Refuse a face given twice among --src and --blend: it would weigh double in the mean."""
    seen = {(source.sha256, source.face_index): source.ref}
    for font in blend:
        key = (font.sha256, font.face_index)
        if key in seen:
            raise GlyphrenderError(
                f"{font.ref}: the same face as {seen[key]}; give each source design once "
                "among --src and --blend"
            )
        seen[key] = font.ref


def _render_and_write(
    tmp: Path,
    plan: dict[str, tuple[Sample, ...]],
    config: BuildConfig,
    init_args: tuple,
    progress: ProgressFn | None,
) -> tuple[dict[str, Any], list[ClippedGlyph]]:
    tasks = list(_tasks(plan, config.shard_size))
    total = sum(len(plan[s]) for s in SPLITS)
    done = 0
    clipped: list[ClippedGlyph] = []
    splits: dict[str, Any] = {s: {"count": len(plan[s]), "shards": []} for s in SPLITS}
    pending: dict[str, list] = {}  # the shard being filled: source chunks, target chunks

    def flush(split: str, shard_index: int) -> None:
        src, dst = pending.pop("chunks")
        start = shard_index * config.shard_size
        samples = plan[split][start : start + len(src)]
        entry = write_encoded_shard(
            tmp / shard_name(split, shard_index),
            split,
            config.render.glyph_px,
            src,
            dst,
            np.array([s.codepoint for s in samples], np.uint32),
            np.array([s.style for s in samples], np.uint16),
            config.compression,
        )
        splits[split]["shards"].append(entry)

    current: tuple[str, int] | None = None
    if progress:
        progress(0, total)
    for (split, shard_index, samples), (src, dst, clip) in _run_tasks(
        tasks, init_args, config.num_workers
    ):
        if current != (split, shard_index):
            if current is not None:
                flush(*current)
            current = (split, shard_index)
            pending["chunks"] = ([], [] if dst is not None else None)
        pending["chunks"][0].extend(src)
        if dst is not None:
            pending["chunks"][1].extend(dst)
        clipped.extend(clip)
        done += len(samples)
        if progress:
            progress(done, total)
    if current is not None:
        flush(*current)
    return splits, clipped


def _write_manifest_file(directory: Path, manifest: dict[str, Any]) -> None:
    from glyphrender.dataset.shards import write_manifest

    write_manifest(directory, manifest)


# --- the output directory -------------------------------------------------------------------


def _check_out(config: BuildConfig) -> None:
    """Refuse an existing dataset without ``force``, anything that is not a directory, an
    ``out`` that overlaps an input, and one that cannot be written; before any work."""
    out, force = config.out, config.force
    claim_output(out, config.inputs(), "the dataset")
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a directory")
    if (out / MANIFEST_NAME).exists() and not force:
        raise DatasetError(
            f"{out}: already holds a dataset ({MANIFEST_NAME}); use --force to replace it"
        )


def _not_dataset_file(name: str) -> bool:
    return name != MANIFEST_NAME and not _SHARD_FILE.match(name)
