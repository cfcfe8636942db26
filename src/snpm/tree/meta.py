"""TreeMeta: the lockfile attached to a tree's root (the in-memory side of arborist shrinkwrap.js).

It remembers what was read (`packages`: location → the lockfile entry as JSON), where it came
from (`filename`, `loaded_from_disk`, `original_lockfile_version`, `ancient_lockfile`), how to
write it back (`lockfile_version`, `indent`, `newline`), and decorates nodes that join the tree
without `resolved`/`integrity` with what the lockfile recorded for their location (`add`).
Turning a tree back into lockfile entries is `snpm.tree.lockfile_bridge`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.lockfile import DEFAULT_LOCKFILE_VERSION, packages_to_json, read_lockfile
from snpm.tree.paths import relpath, resolve

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["MetaLog", "TreeMeta"]

# npm's log calls: (level, title, message)
MetaLog = Callable[[str, str, str], None]

SHRINKWRAP = "npm-shrinkwrap.json"
PACKAGE_LOCK = "package-lock.json"
HIDDEN = "node_modules/.package-lock.json"


class TreeMeta:
    """A loaded (or fresh) lockfile for the tree rooted at `path`."""

    def __init__(
        self,
        path: str,
        *,
        lockfile_version: int | None = None,
        hidden_lockfile: bool = False,
        shrinkwrap_only: bool = False,
    ) -> None:
        self.path = resolve(path)
        self.lockfile_version: int | None = 3 if hidden_lockfile else lockfile_version
        self.hidden_lockfile = hidden_lockfile
        self.shrinkwrap_only = shrinkwrap_only
        self.filename: str | None = None
        self.type: str | None = None
        self.loaded_from_disk = False
        self.ancient_lockfile = False
        self.original_lockfile_version: int | None = None
        self.loading_error: SnpmError | None = None
        self.indent: str = "  "
        self.newline: str = "\n"
        self.name: str | None = None
        self.version: str | None = None
        self.packages: dict[str, JsonObject] = {}
        # top-level keys npm does not know, kept as read (npm spreads the old data into the new)
        self.extra: dict[str, JsonValue] = {}
        self.tree: Node | None = None

    # ── loading ──

    @classmethod
    def load(
        cls,
        path: str,
        *,
        lockfile_version: int | None = None,
        hidden_lockfile: bool = False,
        shrinkwrap_only: bool = False,
        root_package: JsonObject | None = None,
        log: MetaLog | None = None,
    ) -> TreeMeta:
        """Shrinkwrap.load: read npm-shrinkwrap.json, else package-lock.json (or the hidden one).
        A file that could not be used loads as empty and, as npm, is reported on `log` at verbose
        level (`shrinkwrap failed to load <file, relative to the project> <message>`)."""
        meta = cls(
            path,
            lockfile_version=lockfile_version,
            hidden_lockfile=hidden_lockfile,
            shrinkwrap_only=shrinkwrap_only,
        )
        loaded = read_lockfile(
            meta.path,
            hidden=hidden_lockfile,
            shrinkwrap_only=shrinkwrap_only,
            lockfile_version=lockfile_version,
            root_package=root_package,
        )
        meta.filename = str(loaded.path)
        meta.type = loaded.path.name
        meta.loaded_from_disk = loaded.loaded_from_disk
        meta.loading_error = loaded.loading_error
        meta.original_lockfile_version = loaded.original_version
        meta.ancient_lockfile = loaded.ancient
        meta.indent = loaded.indent
        meta.newline = loaded.newline
        lockfile = loaded.lockfile
        meta.lockfile_version = lockfile.lockfile_version
        meta.name = lockfile.name
        meta.version = lockfile.version
        meta.packages = packages_to_json(lockfile.packages)
        meta.extra = dict(lockfile.extra)
        if log is not None and meta.loading_error is not None:
            rel = relpath(meta.path, meta.filename)
            log("verbose", "shrinkwrap", f"failed to load {rel} {meta.loading_error.message}")
        return meta

    @classmethod
    def reset_from(cls, path: str, *, lockfile_version: int | None = None) -> TreeMeta:
        """Shrinkwrap.reset: a fresh, empty lockfile that remembers which file exists."""
        meta = cls(path, lockfile_version=lockfile_version)
        meta.reset()
        shrinkwrap = os.path.isfile(os.path.join(meta.path, SHRINKWRAP))
        lock = os.path.isfile(os.path.join(meta.path, PACKAGE_LOCK))
        meta.filename = os.path.join(meta.path, SHRINKWRAP if shrinkwrap else PACKAGE_LOCK)
        meta.loaded_from_disk = shrinkwrap or lock
        meta.type = Path(meta.filename).name
        return meta

    def reset(self) -> None:
        self.tree = None
        version = self.lockfile_version or DEFAULT_LOCKFILE_VERSION
        self.original_lockfile_version = version
        self.packages = {}

    def infer_formatting(self, indent: str | None, newline: str | None) -> None:
        """Take package.json's indent and newline for writing (npm's inferFormattingOptions)."""
        if indent is not None:
            self.indent = indent
        if newline is not None:
            self.newline = newline

    # ── nodes joining and leaving the tree ──

    def _location(self, path: str) -> str:
        return relpath(self.path, resolve(self.path, path))

    def get(self, path: str) -> JsonObject:
        return self.packages.get(self._location(path)) or {}

    def delete(self, path: str) -> None:
        self.packages.pop(self._location(path), None)

    def add(self, node: Node) -> None:
        """A node joined the tree: fill a missing resolved/integrity from the lockfile when the
        entry at its location is plainly the same package."""
        if not node.path:
            return
        if node.path == self.path:
            self.tree = node
        if node.resolved is not None and node.integrity is not None:
            return
        lock = self.get(node.path)
        resolved = _s(lock.get("resolved"))
        integrity = _s(lock.get("integrity"))
        version = _s(lock.get("version"))
        path_fixed: str | None = None
        if resolved:
            path_fixed = (
                resolved if not resolved.startswith("file:") else f"file:{resolve(self.path, resolved[5:])}"
            )
        resolved_ok = not resolved or not node.resolved or node.resolved == path_fixed
        integrity_ok = not integrity or not node.integrity or node.integrity == integrity
        version_ok = not version or not node.version or version == node.version
        if (resolved or integrity or version) and resolved_ok and integrity_ok and version_ok:
            node.resolved = node.resolved or path_fixed or None
            node.integrity = node.integrity or integrity or None
            node.has_shrinkwrap = node.has_shrinkwrap or bool(lock.get("hasShrinkwrap"))

    def add_edge(self, edge: object) -> None:
        """yarn.lock hints (not supported: snpm does not read yarn.lock)."""
        return


def _s(value: JsonValue) -> str | None:
    return value if isinstance(value, str) and value else None
