"""The progress line of reify (snpm.cli.progress): shown only on an interactive terminal."""

from __future__ import annotations

import io

from snpm.cli.progress import TerminalProgress, progress_for


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_unless_an_interactive_terminal() -> None:
    tty = Tty()
    assert progress_for(io.StringIO(), {}, enabled=True, loglevel="notice", json=False) is None
    assert progress_for(tty, {}, enabled=False, loglevel="notice", json=False) is None
    assert progress_for(tty, {}, enabled=True, loglevel="silent", json=False) is None
    assert progress_for(tty, {}, enabled=True, loglevel="notice", json=True) is None
    assert progress_for(tty, {"CI": "true"}, enabled=True, loglevel="notice", json=False) is None
    assert isinstance(progress_for(tty, {}, enabled=True, loglevel="notice", json=False), TerminalProgress)


def test_counts_are_drawn_and_cleared() -> None:
    tty = Tty()
    progress = TerminalProgress(tty)
    progress.phase("reify", 1, 3)
    progress.phase("reify", 3, 3)
    progress.stop()
    progress.stop()
    assert "packages fetched and linked" in tty.getvalue()
