"""Finding npm's local prefix: the project folder that `npm` run from `cwd` works on.

@npmcli/config `loadLocalPrefix`: walk up from cwd to the first folder with a package.json or a
node_modules folder; then keep walking, and if an ancestor's package.json declares workspaces that
include that folder, the ancestor becomes the prefix and the folder the implicit `workspace`.
The workspace match reproduces @npmcli/map-workspaces for this one question (does a pattern select
this folder?) without listing every workspace: glob patterns with `*`, `**`, `?`, `[...]` and
`!negations`, never inside node_modules, and the folder must hold a readable package.json.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import NamedTuple


class LocalPrefix(NamedTuple):
    """Where the walk ended: the prefix, whether it has a package.json, and the implicit workspace."""

    path: str
    has_package_json: bool | None
    workspace: str | None = None


def walk_up(start: str) -> list[str]:
    """walk-up-path: start, its parent, … up to the root."""
    out = []
    current = os.path.normpath(start)
    while True:
        out.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            return out
        current = parent


def _is_file(path: str) -> bool:
    return os.path.isfile(path)


def _read_workspaces(folder: str) -> list[str] | None:
    try:
        with open(os.path.join(folder, "package.json"), encoding="utf-8") as f:
            pkg = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(pkg, dict):
        return None
    ws = pkg.get("workspaces")
    if isinstance(ws, dict):
        ws = ws.get("packages")
    if not ws:
        return None
    if not isinstance(ws, list):
        return []
    return [p for p in ws if isinstance(p, str)]


@lru_cache(maxsize=128)
def _segment_regex(segment: str) -> re.Pattern[str]:
    """One path segment of a minimatch pattern: `*`/`?` never match a leading dot."""
    out = "" if segment.startswith(".") else r"(?!\.)"
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            out += r"[^/]*"
        elif ch == "?":
            out += r"[^/]"
        elif ch == "[" and segment.find("]", i + 1) != -1:
            close = segment.find("]", i + 1)
            body = segment[i + 1 : close]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
            i = close
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out)


def _match_segments(patterns: list[str], segments: list[str]) -> bool:
    if not patterns:
        return not segments
    head = patterns[0]
    if head == "**":
        for k in range(len(segments) + 1):
            if k and segments[k - 1].startswith("."):
                break
            if _match_segments(patterns[1:], segments[k:]):
                return True
        return False
    if not segments or not _segment_regex(head).fullmatch(segments[0]):
        return False
    return _match_segments(patterns[1:], segments[1:])


def _matches(rel: str, pattern: str) -> bool:
    return _match_segments([p for p in pattern.split("/") if p], [s for s in rel.split("/") if s])


def is_workspace_of(root: str, folder: str, patterns: list[str]) -> bool:
    """Whether map-workspaces(root) would list `folder` among root's workspaces."""
    rel = os.path.relpath(folder, root)
    if rel.startswith("..") or rel == ".":
        return False
    if "node_modules" in rel.split(os.sep):
        return False
    positive: list[str] = []
    negative: list[str] = []
    for raw in patterns:
        excl = re.match(r"^!+", raw)
        pattern = raw[excl.end() :] if excl else raw
        pattern = re.sub(r"^\.?/+", "", pattern.replace("\\", "/")).rstrip("/")
        if excl and len(excl.group(0)) % 2 == 1:
            negative.append(pattern)
        else:
            negative = [n for n in negative if not _matches(pattern, n)]
            positive.append(pattern)
    rel_posix = rel.replace(os.sep, "/")
    if not any(_matches(rel_posix, p) for p in positive):
        return False
    if any(_matches(rel_posix, n) for n in negative):
        return False
    try:
        with open(os.path.join(folder, "package.json"), encoding="utf-8") as f:
            json.load(f)
    except (OSError, ValueError):
        return False
    return True


def find_local_prefix(cwd: str, *, cli_workspaces_off: bool, is_global: bool) -> LocalPrefix:
    """The walk of loadLocalPrefix (without a --prefix on the command line)."""
    found: str | None = None
    found_pkg: bool | None = None
    for p in walk_up(cwd):
        has_pkg = _is_file(os.path.join(p, "package.json"))
        if found is None and (has_pkg or os.path.isdir(os.path.join(p, "node_modules"))):
            found = p
            found_pkg = has_pkg
            if cli_workspaces_off or is_global:
                return LocalPrefix(found, found_pkg)
            continue
        if found is not None and has_pkg:
            patterns = _read_workspaces(p)
            if not patterns:
                continue
            if is_workspace_of(p, found, patterns):
                return LocalPrefix(p, has_pkg, workspace=found)
    if found is None:
        return LocalPrefix(cwd, None)
    return LocalPrefix(found, found_pkg)
