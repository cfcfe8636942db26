"""After `npm version -ws`: what npm's update-workspaces.js (an Arborist reify limited to the bumped
workspaces, with save, audit and fund off) changes on disk, for the case it exists for.

A workspace's version lives in the lockfiles as `packages["<workspace path>"].version`, in
package-lock.json (or npm-shrinkwrap.json) and in the hidden lockfile node_modules/.package-lock.json.
This module rewrites those entries from the workspaces' package.json files, keeping each file's
indent and newline, and reports npm's summary line (`up to date in <time>`: nothing is added,
removed or changed in node_modules). A lockfile that does not list a workspace, or is missing,
is left alone. Dependents whose ranges no longer match the new version are not re-resolved: that
needs the full install engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from snpm.ecmascript.json import JSONParseError, parse_json, stringify
from snpm.json_types import JsonObject

__all__ = ["format_ms", "update_workspace_lock_versions"]


def _rewrite(lock: Path, versions: dict[str, str], root_version: str | None = None) -> None:
    try:
        text = lock.read_text(encoding="utf-8")
        parsed = parse_json(text, what=str(lock))
    except (OSError, JSONParseError):
        return
    doc = parsed.value
    if not isinstance(doc, dict):
        return
    packages = doc.get("packages")
    if not isinstance(packages, dict):
        return
    changed = False
    if root_version is not None and "version" in doc and doc.get("version") != root_version:
        doc["version"] = root_version  # the hidden lockfile is rewritten from the root package
        changed = True
    for location, version in versions.items():
        entry = packages.get(location)
        if isinstance(entry, dict) and entry.get("version") != version:
            entry["version"] = version
            changed = True
    if not changed:
        return
    indent = "  " if parsed.indent is None else parsed.indent
    newline = "\n" if parsed.newline is None else parsed.newline
    out = stringify(doc, indent) + "\n"
    lock.write_text(out if newline == "\n" else out.replace("\n", newline), encoding="utf-8", newline="")


def update_workspace_lock_versions(root: Path, workspaces: Iterable[Path]) -> None:
    """Set each workspace's lockfile version to its package.json version."""
    versions: dict[str, str] = {}
    for folder in workspaces:
        try:
            parsed = parse_json((folder / "package.json").read_text(encoding="utf-8"))
        except (OSError, JSONParseError):
            continue
        pkg: JsonObject = parsed.value if isinstance(parsed.value, dict) else {}
        version = pkg.get("version")
        if isinstance(version, str):
            versions[os.path.relpath(folder, root).replace(os.sep, "/")] = version
    if not versions:
        return
    for name in ("npm-shrinkwrap.json", "package-lock.json"):
        if (root / name).exists():
            _rewrite(root / name, versions)
            break
    try:
        root_pkg = parse_json((root / "package.json").read_text(encoding="utf-8")).value
    except (OSError, JSONParseError):
        root_pkg = None
    root_version = root_pkg.get("version") if isinstance(root_pkg, dict) else None
    hidden = root / "node_modules" / ".package-lock.json"
    _rewrite(hidden, versions, root_version if isinstance(root_version, str) else None)


def format_ms(milliseconds: float) -> str:
    """The `ms` package's short format, which npm's install summary uses (`in 1s`, `in 312ms`)."""
    value = abs(milliseconds)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if value >= size:
            return f"{_js_round(milliseconds / size)}{unit}"
    return f"{_js_round(milliseconds)}ms"


def _js_round(value: float) -> int:
    # Math.round: halves go up
    import math

    return math.floor(value + 0.5)
