"""The hidden lockfile `node_modules/.package-lock.json`: when npm may trust it instead of reading
every package.json in node_modules (arborist shrinkwrap.js `assertNoNewer`).

It is trusted only when no folder it covers (package folders, `node_modules` and `@scope` folders,
followed through symlinks) has an mtime later than the file's own mtime + 10 ms, every package
folder has an entry and every entry was seen on disk. npm compares whole milliseconds: node's
`stat().mtime` is a JS Date made by *rounding* `mtimeMs` (lib/internal/fs/utils.js dateFromMs), so
a folder touched 10.6 ms after the file is "newer" for npm although its floored milliseconds are not.
Reads the filesystem only.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snpm.lockfile.model import LockEntry

__all__ = [
    "HIDDEN_LOCKFILE",
    "StaleHiddenLockfileError",
    "check_hidden_folders",
    "check_hidden_lockfile",
    "js_date_ms",
    "json_link_targets",
    "link_targets",
]

HIDDEN_LOCKFILE = "node_modules/.package-lock.json"
_STORE = re.compile(r"^(.*/\.store/.+?)/node_modules/")
_NM_SEGMENT = re.compile(r"(^|/)node_modules(/|$)")
# npm adds a few milliseconds "to account for jitter"
_JITTER_MS = 10


class StaleHiddenLockfileError(Exception):
    """Why the hidden lockfile cannot be trusted (npm's message, logged at verbose level)."""


def js_date_ms(mtime_ns: int) -> int:
    """The milliseconds of node's `stat().mtime` Date: `Math.round(sec * 1e3 + nsec / 1e6)`,
    computed in doubles as node does."""
    seconds, nanoseconds = divmod(mtime_ns, 1_000_000_000)
    return math.floor(seconds * 1e3 + nanoseconds / 1e6 + 0.5)


def _mtime_ms(path: str) -> int:
    return js_date_ms(os.stat(path).st_mtime_ns)


def _rel(root: str, path: str) -> str:
    return "" if path == root else os.path.relpath(path, root).replace(os.sep, "/")


class _Walk:
    """The folders below `root`: every path it builds is absolute and normalised (entry names
    joined to normalised folders, link targets normalised), so the part after `root/` is the
    relative path, without `os.path.relpath`'s work (a thousand folders per install)."""

    def __init__(self, root: str, locations: Collection[str], lock_ms: int) -> None:
        self.root = root
        self.prefix = root + "/" if root != "/" else None
        self.locations = locations
        self.lock_ms = lock_ms
        self.seen: set[str] = set()

    def rel(self, path: str) -> str:
        prefix = self.prefix
        if prefix is not None and path.startswith(prefix):
            return path[len(prefix) :]
        return _rel(self.root, path)

    def walk(self, folder: str) -> None:
        root = self.root
        if folder == root:
            self.seen.add("")
            self.walk(os.path.join(folder, "node_modules"))
            return
        base = folder.rpartition("/")[2]
        is_nm = base == "node_modules"
        is_scope = base.startswith("@")
        parent = folder if is_nm or is_scope else os.path.join(folder, "node_modules")
        rel = self.rel(folder)
        self.seen.add(rel)
        if _mtime_ms(folder) > self.lock_ms:
            raise StaleHiddenLockfileError(f"out of date, updated: {rel}")
        if not is_scope and not is_nm and rel not in self.locations:
            raise StaleHiddenLockfileError(f"missing from lockfile: {rel}")
        try:
            with os.scandir(parent) as scan:
                entries = list(scan)
        except OSError:
            return
        sep = "" if parent.endswith("/") else "/"
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False) and not name.startswith("."):
                self.walk(parent + sep + name)
            elif entry.is_symlink():
                child = parent + sep + name
                target = os.path.normpath(os.path.join(parent, os.readlink(child)))
                self.seen.add(self.rel(child))
                if os.path.isdir(target) and self.rel(target) not in self.seen:
                    self.walk(target)


def json_link_targets(objects: Iterable[Mapping[str, object]]) -> set[str]:
    """link_targets over the entries as JSON objects: what the typed entries would say, without
    making them (`link` is only ever `true`)."""
    return {
        resolved.replace("\\", "/")
        for obj in objects
        if obj.get("link") is True and type(resolved := obj.get("resolved")) is str and resolved
    }


def link_targets(packages: Mapping[str, LockEntry]) -> set[str]:
    """The `resolved` of every link entry: the folders the links point at."""
    # imported here: the no-op check (snpm.ops.noop_install) uses this module without the model
    from snpm.lockfile.model import JsonPackages

    if isinstance(packages, JsonPackages):
        return json_link_targets(packages.objects().values())
    return {e.resolved.replace("\\", "/") for e in packages.values() if e.link and e.resolved}


def check_hidden_lockfile(
    project: Path | str, packages: Mapping[str, LockEntry], lockfile_mtime_ns: int
) -> None:
    """Raise StaleHiddenLockfileError when npm would ignore the hidden lockfile of `project`."""
    check_hidden_folders(project, packages.keys(), link_targets(packages), lockfile_mtime_ns)


def check_hidden_folders(
    project: Path | str, locations: Collection[str], links: Collection[str], lockfile_mtime_ns: int
) -> None:
    """check_hidden_lockfile over what it reads of the file: the `packages` keys (`locations`) and
    the link entries' targets (`links`)."""
    root = os.path.abspath(project)
    walk = _Walk(root, locations, js_date_ms(lockfile_mtime_ns) + _JITTER_MS)
    try:
        walk.walk(root)
        # folders the walk cannot reach: a linked-strategy store package's siblings, and
        # workspaces that are not symlinked into the root node_modules
        extra: dict[str, None] = {}
        for location in locations:
            store = _STORE.match(location)
            if store:
                walk.seen.add(store.group(1))
                extra[f"{store.group(1)}/node_modules"] = None
                continue
            cut = location.find("/node_modules/")
            top = location if cut < 0 else location[:cut]
            if top and not _NM_SEGMENT.search(top) and top not in links:
                extra[top] = None
        for rel in extra:
            walk.walk(os.path.normpath(os.path.join(root, rel)))
    except OSError as err:
        raise StaleHiddenLockfileError(str(err)) from None
    for location in locations:
        if location not in walk.seen:
            raise StaleHiddenLockfileError(f"missing from node_modules: {location}")
