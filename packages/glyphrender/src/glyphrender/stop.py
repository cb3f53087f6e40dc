"""A stop request (SIGTERM, SIGINT) that cannot be lost on the way to the command line.

Python runs a signal handler in the main thread between two bytecodes, wherever that thread
is. When it is inside a weakref callback or a ``__del__`` (a process pool's bookkeeping runs
them all the time), the exception the handler raises is printed as "Exception ignored in ..."
and dropped, and the command goes on to finish as if nobody had asked it to stop. So the
handler here also records the signal, and :func:`check`, which the progress reporter calls
at every unit of work, raises it again until the command line has unwound. Since it is not
lost, :func:`unraisable_hook` keeps CPython from printing the dropped one as a traceback.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

_requested: int | None = None


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds exactly like Ctrl-C."""


def _exception(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def handle(signum: int, frame: FrameType | None) -> None:
    """The signal handler: remember the request, then raise it at once."""
    global _requested
    _requested = signum
    raise _exception(signum)


def requested() -> int | None:
    """The signal number of a stop asked for and not yet cleared, else None."""
    return _requested


def check() -> None:
    """Raise the pending stop request, if any (a no-op when no handler of this module ran)."""
    if _requested is not None:
        raise _exception(_requested)


def clear() -> None:
    """Forget the request: the command line has reported it."""
    global _requested
    _requested = None


def unraisable_hook(previous: Callable[[Any], object]) -> Callable[[Any], None]:
    """A ``sys.unraisablehook`` that keeps quiet about this module's stop exception while the
    request is pending (:func:`check` raises it again, so its "Exception ignored ...
    Traceback" would only bury the one line the command prints); the rest goes to
    ``previous``."""

    def hook(unraisable: Any) -> None:
        if _requested is not None and isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        previous(unraisable)

    return hook
