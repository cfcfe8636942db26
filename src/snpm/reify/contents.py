"""The filesystem questions reify asks: what a package folder holds (@npmcli/installed-package-
contents at depth 1), which folders `mkdir -p` would create, and whether node_modules is a real
folder (arborist #validateNodeModules)."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator

from snpm.errors import from_os_error
from snpm.json_types import JsonObject
from snpm.reify.retire import remove_path

__all__ = ["first_missing", "listdir", "package_contents", "validate_node_modules", "walk_up"]


def listdir(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as err:
        raise from_os_error(err, "scandir") from None


def walk_up(path: str) -> Iterator[str]:
    current = path
    while True:
        yield current
        parent = posixpath.dirname(current)
        if parent == current:
            return
        current = parent


def first_missing(path: str, stop: str) -> str | None:
    """The shallowest folder `mkdir -p path` would create (below `stop`), or None."""
    missing: str | None = None
    for folder in walk_up(path):
        if folder == stop or os.path.lexists(folder):
            break
        missing = folder
    return missing


def package_contents(path: str, package: JsonObject) -> list[str]:
    """The package folder's entries except node_modules, its bundled dependencies, and its bins
    in the enclosing node_modules/.bin: what moves when the package moves."""
    found: list[str] = []
    bins = package.get("bin")
    if isinstance(bins, dict):
        folder = posixpath.dirname(path)
        nm = posixpath.dirname(folder) if posixpath.basename(folder).startswith("@") else folder
        for name in bins:
            link = posixpath.join(nm, ".bin", name)
            if os.path.exists(link):
                found.append(link)
    for entry in listdir(path):
        if entry != "node_modules":
            found.append(posixpath.join(path, entry))
    bundled = package.get("bundleDependencies")
    if isinstance(bundled, list):
        for dep_name in bundled:
            if isinstance(dep_name, str):
                dep = posixpath.join(path, "node_modules", dep_name)
                if os.path.lexists(dep):
                    found.append(dep)
    return found


def validate_node_modules(path: str, *, force: bool, log: Callable[[str, str, str], None]) -> None:
    """A node_modules that is not a directory (e.g. a symlink) is removed, unless --force."""
    if force:
        return
    try:
        os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise from_os_error(err, "lstat") from None
    if os.path.isdir(path) and not os.path.islink(path):
        return
    log("warn", "reify", f"Removing non-directory {path}")
    remove_path(path)
