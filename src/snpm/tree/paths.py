"""Node's path arithmetic as arborist uses it (POSIX `path.resolve`/`relative`/`dirname`), plus
`relpath` (arborist relpath.js) and `name_from_folder` (@npmcli/name-from-folder).

Python's `os.path.relpath` answers "." for equal paths where node answers "", and `os.path.join`
keeps "..": these wrappers give node's answers, which end up in lockfile keys and `resolved` paths.
"""

from __future__ import annotations

import os
import posixpath
from functools import lru_cache

__all__ = ["basename", "dirname", "join_location", "name_from_folder", "relpath", "resolve", "walk_up"]


def resolve(*parts: str) -> str:
    """node's `path.resolve`: join right to left until absolute (cwd last), then normalise."""
    if parts:
        # joining stops at the last absolute part: one already normal (as node paths always
        # are) is the answer
        last = parts[-1]
        if last[:1] == "/" and len(last) > 1 and _is_normal(last):
            return last
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


def _is_normal(path: str) -> bool:
    """An absolute path with no `//`, no `.` or `..` segment (nor any name starting with a dot,
    to keep the test simple) and no trailing slash: `path.normalize` leaves it as it is."""
    return "//" not in path and "/." not in path and path[-1] != "/"


def join_location(base: str, location: str) -> str:
    """`resolve(base, location)` for a project folder and a lockfile location."""
    if (
        location
        and location[0] not in "./"
        and base[:1] == "/"
        and len(base) > 1
        and _is_normal(base)
        and _is_normal("/" + location)
    ):
        return f"{base}/{location}"
    return resolve(base, location)


def relpath(from_path: str, to_path: str) -> str:
    """arborist relpath: `path.relative(from, to)` with `/` separators ("" when equal)."""
    if from_path == to_path:
        return ""
    if not from_path or not to_path:
        # (untyped callers may pass None: like "", the current directory)
        return _relpath(from_path or "", to_path or "")
    # the common case, a folder below another: both absolute and already normal (no `//`, `.` or
    # `..` segments, no trailing slash), it is the rest of the longer path
    size = len(from_path)
    if (
        size > 1
        and to_path.startswith(from_path)
        and to_path[size : size + 1] == "/"
        and from_path[0] == "/"
        and _is_normal(to_path)
    ):
        return to_path[size + 1 :]
    return _relpath(from_path, to_path)


@lru_cache(maxsize=65536)
def _relpath(from_path: str, to_path: str) -> str:
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
    # basename(path) and basename(dirname(path)), in one pass
    head, _, base = path.rstrip("/").rpartition("/")
    parent = head.rstrip("/").rpartition("/")[2]
    return f"{parent}/{base}" if parent.startswith("@") else base
