"""Fixtures for the registry server's unit tests: a fixed clock and services over SQLite in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from snpm.registry_server.app import Registry, build_registry
from support.registry import Clock, registry_settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(tmp_path: Path, clock: Clock) -> Iterator[Registry]:
    """Services over a real SQLite storage in tmp_path; open it inside each `run_with`."""
    yield build_registry(registry_settings(tmp_path / "data"), now=clock)
