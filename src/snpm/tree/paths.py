"""Node's path arithmetic as arborist uses it (POSIX `path.resolve`/`relative`/`dirname`), plus
`relpath` (arborist relpath.js) and `name_from_folder` (@npmcli/name-from-folder).

Python's `os.path.relpath` answers "." for equal paths where node answers "", and `os.path.join`
keeps "..": these wrappers give node's answers, which end up in lockfile keys and `resolved` paths.
"""

from __future__ import annotations

import os
import posixpath
from functools import lru_cache

__all__ = ["basename", "dirname", "name_from_folder", "relpath", "resolve", "walk_up"]


def resolve(*parts: str) -> str:
    """node's `path.resolve`: join right to left until absolute (cwd last), then normalise."""
    joined = ""
    for part in reversed(parts):
        if not part:
            continue
        joined = part if not joined else posixpath.join(part, joined)
        if joined.startswith("/"):
            break
    if not joined.startswith("/"):
        joined = posixpath.join(os.getcwd(), joined)
    return _normalize(joined)


@lru_cache(maxsize=65536)
def _normalize(path: str) -> str:
    out = posixpath.normpath(path)
    # POSIX keeps a leading "//"; node collapses it
    return "/" + out.lstrip("/") if out.startswith("//") else out


@lru_cache(maxsize=65536)
def relpath(from_path: str, to_path: str) -> str:
    """arborist relpath: `path.relative(from, to)` with `/` separators ("" when equal)."""
    a = resolve(from_path)
    b = resolve(to_path)
    if a == b:
        return ""
    return posixpath.relpath(b, a)


def dirname(path: str) -> str:
    """node's `path.dirname` (for absolute, normalised paths: "/" stays "/")."""
    if path == "/":
        return "/"
    head = path.rstrip("/").rpartition("/")[0]
    return head or ("/" if path.startswith("/") else ".")


def basename(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


def walk_up(path: str) -> list[str]:
    """walk-up-path: the path and each of its ancestors, up to "/"."""
    out: list[str] = []
    current = resolve(path)
    while True:
        out.append(current)
        parent = dirname(current)
        if parent == current:
            return out
        current = parent


def name_from_folder(path: str | None) -> str | None:
    """@npmcli/name-from-folder: `@scope/name` for a folder inside a scope folder, else the basename."""
    if not path:
        return None
    base = basename(path)
    parent = basename(dirname(path))
    return f"{parent}/{base}" if parent.startswith("@") else base
