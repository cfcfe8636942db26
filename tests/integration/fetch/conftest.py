"""The `harness` fixture: a FetchSource against the fake registry with an npm cache in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.fake_registry import FakeRegistry, fake_registry  # noqa: F401 - a fixture
from support.fetch_harness import Harness


@pytest.fixture
def harness(fake_registry: FakeRegistry, tmp_path: Path) -> Harness:  # noqa: F811
    return Harness(fake_registry, tmp_path)
