"""The front end of the no-op install (snpm.ops.noop_install): what `snpm install` prints when a
stamp says there is nothing to do, the same lines the full run's reify-finish prints then."""

from __future__ import annotations

import os
from collections.abc import Sequence

from snpm.cli.output import Output
from snpm.ops.noop_install import NoopHit
from snpm.ops.reify_message import ReifySummary, changed_message, funding_lines

__all__ = ["process_age", "show_noop"]


def process_age() -> float:
    """Seconds since this process started (npm times its summary from its own start)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rpartition(")")[2].split()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        return max(0.0, uptime - int(fields[19]) / ticks)
    except (OSError, ValueError, IndexError):
        return 0.0


def show_noop(out: Output, hit: NoopHit) -> None:
    """The warnings a no-op gives again, `\\nup to date in 9ms` and the funding lines (only the
    warnings' log lines with --silent)."""
    before, after = split_alerts(hit.alerts)
    for level, title, text in before:
        out.emit(level, title, text)
    if out.settings.loglevel != "silent":
        summary = ReifySummary(funding=hit.funding)
        out.standard("\n" + changed_message(summary, round(process_age() * 1000)))
        for line in funding_lines(summary):
            out.standard(line)
    for level, title, text in after:
        out.emit(level, title, text)


def split_alerts(
    alerts: Sequence[tuple[str, str, str]],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """A run's warnings as a no-op shows them again: most before the summary, the unreviewed
    install scripts after it (npm's reify-output prints that one last)."""
    before = [a for a in alerts if a[1] != "install-scripts"]
    return before, [a for a in alerts if a[1] == "install-scripts"]
