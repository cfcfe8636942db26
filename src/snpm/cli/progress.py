"""A progress line on stderr while packages are fetched and linked (npm's spinner, but counting).

Shown only when stderr is a terminal, not in CI, not with --json, --silent or a quieter loglevel,
and not when `progress=false`. rich is imported only when the display is actually shown, so plain
and scripted runs never pay for it. The line is transient: it is gone when the command prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = ["TerminalProgress", "progress_for"]

_CI_VARIABLES = ("CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "RUN_ID", "GITHUB_ACTIONS", "TF_BUILD")
_LABELS = {"reify": "fetched and linked", "build": "built"}


class TerminalProgress:
    """Counts per phase (`phase(name, done, total)`), drawn with rich on a terminal."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._progress: RichProgress | None = None
        self._tasks: dict[str, TaskID] = {}

    def _ensure(self) -> RichProgress:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            console = Console(file=self._stream, stderr=True)
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
        return self._progress

    def phase(self, name: str, done: int, total: int) -> None:
        progress = self._ensure()
        task = self._tasks.get(name)
        if task is None:
            task = progress.add_task(f"packages {_LABELS.get(name, name)}", total=total)
            self._tasks[name] = task
        progress.update(task, completed=done, total=total)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def progress_for(
    stream: IO[str], env: Mapping[str, str], *, enabled: bool, loglevel: str, json: bool
) -> TerminalProgress | None:
    """The display for this run, or None when it must stay quiet."""
    if not enabled or json or loglevel in ("silent", "error"):
        return None
    if any(env.get(name) for name in _CI_VARIABLES):
        return None
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    if env.get("TERM") == "dumb":
        return None
    return TerminalProgress(stream)
