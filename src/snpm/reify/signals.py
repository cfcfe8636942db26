"""Signals during a reify (arborist signal-handling.js): note the first, let the step finish.

While node_modules is being changed, SIGINT, SIGTERM and SIGHUP do not kill snpm: the first one is
recorded and the handlers are removed at once, so the step in progress ends and reify rolls back
(`ReifyTerminatedError`, npm's "process terminated"); a second signal is not caught, and the
journal then lets the next run undo what was left. Plain `signal.signal` handlers are used rather
than the event loop's: they run as soon as the signal arrives (a blocking select() is interrupted),
so the flag is set before the step in progress ends.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from snpm.errors import SnpmError

__all__ = ["REIFY_SIGNALS", "ReifyTerminatedError", "SignalWatch"]

# the signals npm's reify catches that matter on POSIX (signal-exit's list, minus the rare ones)
REIFY_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_Handler = Callable[[int, FrameType | None], Any] | int | None


class ReifyTerminatedError(SnpmError):
    """npm's `process terminated` error: a signal arrived while node_modules was being changed."""

    def __init__(self, signame: str) -> None:
        super().__init__("process terminated", extra={"signal": signame})
        self.signal = signame


class SignalWatch:
    """Records the first reify signal between `install()` and `remove()`."""

    def __init__(self, on_signal: Callable[[], None] | None = None) -> None:
        self.received: str | None = None
        self._on_signal = on_signal
        self._installed: list[tuple[signal.Signals, _Handler]] = []

    def install(self) -> None:
        for sig in REIFY_SIGNALS:
            try:
                previous = signal.signal(sig, self._handle)
            except (ValueError, OSError):
                # not the main thread, or a signal this platform lacks
                continue
            self._installed.append((sig, previous))

    def remove(self) -> None:
        for sig, previous in self._installed:
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, previous)
        self._installed = []

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum).name
            if self._on_signal is not None:
                self._on_signal()
        self.remove()

    def check(self) -> None:
        """Raise ReifyTerminatedError when a signal arrived."""
        if self.received is not None:
            raise ReifyTerminatedError(self.received)
