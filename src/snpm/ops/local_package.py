"""The package in the current project, for commands whose package argument defaults to it
(`npm owner ls`, `dist-tag ls`, `access get status`, `view`): npm reads `<prefix>/package.json`.

Each command reacts differently to a missing or broken file, so the callers choose: `owner` treats
any problem as "no name" (a usage error), `dist-tag` and `view` let the read error through, and
`access` reports a missing file as "no package name given and no package.json found".
"""

from __future__ import annotations

from pathlib import Path

from snpm.errors import SnpmError
from snpm.manifest.files import read_package_json

__all__ = ["local_package_name"]


def local_package_name(prefix: Path, *, lenient: bool = False, for_access: bool = False) -> str | None:
    """The `name` of `<prefix>/package.json`, or None when it has none."""
    try:
        content = read_package_json(prefix).content
    except SnpmError as err:
        if lenient:
            return None
        if for_access and err.code == "ENOENT":
            raise SnpmError("no package name given and no package.json found", code="ENOENT") from None
        raise
    name = content.get("name")
    return name if isinstance(name, str) and name else None
