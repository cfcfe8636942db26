"""Whether the install family audits after a reify: a question of settings alone, answered without
the audit machinery (the no-op install asks it before deciding to load anything)."""

from __future__ import annotations

from snpm.config import Config

__all__ = ["audit_enabled"]


def audit_enabled(config: Config) -> bool:
    """Whether the install family audits (arborist-cmd.js): `audit` left at its default is turned
    off in global mode and outside a project (no package.json at the prefix, no --location=project)."""
    location_project = config.get("location") == "project" or (
        config.is_default("location") and not config.get("global") and bool(config.local_package)
    )
    if config.is_default("audit") and (config.is_global or not location_project):
        return False
    return config.flat.get("audit") is not False
