"""Where ``zi2zi eval`` and ``zi2zi generate`` may write: apart from what they read, and
writable, decided before a checkpoint is loaded or a glyph computed."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from glyphrender.outputs import check_output_apart, claim_output

from zi2zi_core.rundir.checkpoint import resolve_checkpoint


def claim_inference_output(
    out: str | os.PathLike[str],
    run_dir: Path,
    which: str,
    shards: Path | None,
    fonts: Iterable[Path] = (),
    what: str = "the output folder",
    charset_file: Path | None = None,
) -> Path:
    """Refuse ``out`` if it is, contains or lies inside the checkpoint to be read, the dataset
    given with ``--shards``, a font or the ``--charset`` file, or if it cannot be written;
    return the checkpoint path.

    (``--out runs`` would contain every run; ``--out RUN`` the run's checkpoints.) The dataset
    the checkpoint records is checked with :func:`check_apart_from_dataset` once it is known.
    """
    checkpoint = resolve_checkpoint(Path(run_dir), which)
    inputs: list[tuple[str, Path | None]] = [("the checkpoint", checkpoint)]
    inputs.append(("the dataset", shards))
    inputs += [("the source font", font) for font in fonts]
    inputs.append(("the charset file", charset_file))
    claim_output(out, inputs, what)
    return checkpoint


def check_apart_from_dataset(out: str | os.PathLike[str], dataset_path: Path) -> None:
    """Refuse ``out`` if it is, contains or lies inside the dataset being read."""
    check_output_apart(out, [("the dataset", dataset_path)])
