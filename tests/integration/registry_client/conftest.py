"""The fake registry fixture for the registry-client integration tests."""

from __future__ import annotations

from support.fake_registry import fake_registry  # noqa: F401  (a pytest fixture)
