"""Training's other outputs: TensorBoard events (when installed).

The progress line is :class:`glyphrender.progress.Progress`, shared by every command.

The metrics log itself (``metrics.jsonl``) is :mod:`zi2zi_core.rundir.metrics_log`.
"""

from __future__ import annotations

from pathlib import Path

from zi2zi_core.rundir.layout import RunDir


class TensorBoard:
    """Scalars and images to ``RUN/tensorboard`` when the tensorboard package is installed."""

    def __init__(self, run_dir: Path, enabled: bool = True) -> None:
        self.writer = None
        if not enabled:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is an optional extra
            return
        self.writer = SummaryWriter(str(RunDir(run_dir).tensorboard))

    def scalars(self, prefix: str, step: int, values: dict[str, float]) -> None:
        if self.writer is not None:
            for k, v in values.items():
                if isinstance(v, (int, float)):
                    self.writer.add_scalar(f"{prefix}/{k}", v, step)

    def image(self, tag: str, step: int, image) -> None:
        if self.writer is not None:
            self.writer.add_image(tag, image, step, dataformats="HW")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
