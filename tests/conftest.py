"""Shared pytest set-up: markers live in pyproject.toml; fixtures for isolated runs live in tests/support."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/support is importable as `support` from every test module
sys.path.insert(0, str(Path(__file__).parent))
