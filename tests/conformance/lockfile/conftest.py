"""The `npm` fixture: the real npm, isolated in the test's temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from npm_lockfile_projects import Npm, isolated_npm


@pytest.fixture
def npm(tmp_path: Path) -> Npm:
    return isolated_npm(tmp_path)
