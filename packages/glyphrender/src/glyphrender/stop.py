"""A stop request (SIGTERM, SIGINT) that cannot be lost on the way to the command line.

Python runs a signal handler in the main thread between two bytecodes, wherever that thread
is. When it is inside a weakref callback or a ``__del__`` (a process pool's bookkeeping runs
them all the time), the exception the handler raises is printed as "Exception ignored in ..."
and dropped, and the command goes on to finish as if nobody had asked it to stop. So the
handler here also records the signal, and :func:`check`, which the progress reporter calls
at every unit of work, raises it again until the command line has unwound.
"""

from __future__ import annotations

import signal
from types import FrameType

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
