"""Shared pytest set-up: markers live in pyproject.toml; fixtures for isolated runs live in tests/support.

At the end of a run the counts that conformance and differential tests print (rows passed per table,
cases compared with npm) are gathered into one summary, also under xdist.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/support is importable as `support` from every test module
sys.path.insert(0, str(Path(__file__).parent))


def _is_counted(nodeid: str) -> bool:
    return nodeid.startswith("tests/conformance/") or "differential" in nodeid


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = []
    for report in terminalreporter.stats.get("passed", []):
        if getattr(report, "when", "") == "call" and _is_counted(report.nodeid) and report.capstdout:
            lines += [f"  {line}" for line in report.capstdout.splitlines() if line.strip()]
    if lines:
        terminalreporter.section("conformance and differential counts")
        for line in sorted(set(lines)):
            terminalreporter.write_line(line)
