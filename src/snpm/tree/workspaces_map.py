"""Which folders are workspaces: @npmcli/map-workspaces.

`map_workspaces(cwd, pkg)` expands the root package.json `workspaces` globs (an array, or yarn's
`{packages: [...]}`) to folders holding a package.json, ignoring `node_modules`, and maps each
package name (or folder name) to its absolute folder, in the order of the patterns and, within a
pattern, of ICU-sorted paths. `!pattern` excludes. Two folders with one name fail with
EDUPLICATEWORKSPACE. `map_workspaces_virtual` does the same over a lockfile's `packages` keys.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache

from snpm.ecmascript.collation import locale_compare_key as locale_key
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.manifest import read_package_json
from snpm.tree.paths import name_from_folder, resolve

__all__ = ["map_workspaces", "map_workspaces_virtual"]


def _patterns(workspaces: JsonValue) -> tuple[list[str], list[str]]:
    declared = workspaces.get("packages") if isinstance(workspaces, dict) else workspaces
    if isinstance(workspaces, dict) and not isinstance(declared, list):
        declared = workspaces
    if not isinstance(declared, list):
        raise SnpmError("workspaces config expects an Array", code="EWORKSPACESCONFIG")
    patterns: list[str] = []
    negated: list[str] = []
    for raw in declared:
        if not isinstance(raw, str):
            continue
        bangs = len(raw) - len(raw.lstrip("!"))
        pattern = re.sub(r"^\.?/+", "", raw[bangs:])
        if bangs % 2 == 1:
            negated.append(pattern)
        else:
            negated = [n for n in negated if not _match(pattern, n)]
            patterns.append(pattern)
    for pattern in list(negated):
        for matched in [p for p in patterns if _match(p, pattern)]:
            patterns.remove(matched)
    return patterns, negated


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    """minimatch (dot: false) for `/`-separated paths; matched against `path + "/"`."""
    out = ""
    for part in [p for p in pattern.strip("/").split("/") if p]:
        if part == "**":
            out += "(?:(?!\\.)[^/]+/)*"
            continue
        seg = ""
        j = 0
        while j < len(part):
            ch = part[j]
            end = part.find("]", j + 1) if ch == "[" else -1
            if ch == "*":
                seg += "[^/]*"
            elif ch == "?":
                seg += "[^/]"
            elif end != -1:
                body = part[j + 1 : end].replace("\\", "\\\\")
                seg += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                j = end
            else:
                seg += re.escape(ch)
            j += 1
        out += ("" if part.startswith(".") else "(?!\\.)") + seg + "/"
    return re.compile(out)


def _match(path: str, pattern: str) -> bool:
    return _regex(pattern).fullmatch(path.strip("/") + "/") is not None


def _partial(path: str, pattern: str) -> bool:
    """minimatch's `partial`: `path` could be the start of something `pattern` matches."""
    if _match(path, pattern):
        return True
    parts = [p for p in pattern.strip("/").split("/") if p]
    depth = len([p for p in path.strip("/").split("/") if p])
    if "**" in parts[:depth]:
        return True
    return _match(path, "/".join(parts[:depth])) if depth < len(parts) else False


def _walk_dirs(cwd: str) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, _files in os.walk(cwd):
        dirnames[:] = sorted(d for d in dirnames if d != "node_modules")
        rel = os.path.relpath(dirpath, cwd)
        if rel != ".":
            found.append(rel.replace(os.sep, "/"))
    return found


def map_workspaces(cwd: str, pkg: Mapping[str, JsonValue]) -> dict[str, str]:
    workspaces = pkg.get("workspaces")
    if workspaces is None:
        return {}
    patterns, negated = _patterns(workspaces)
    if not patterns and not negated:
        return {}
    dirs = _walk_dirs(cwd)
    matches = [
        d for d in dirs if any(_match(d, p) for p in patterns) and not any(_match(d, n) for n in negated)
    ]
    matches.sort(key=locale_key)
    ordered: list[str] = []
    for pattern in patterns:
        ordered.extend(m for m in matches if _partial(m, pattern))
    seen: dict[str, dict[str, None]] = {}
    for match in ordered:
        folder = resolve(cwd, match)
        try:
            content: JsonObject = dict(read_package_json(folder).content)
        except SnpmError as err:
            if err.code in ("ENOENT", "ENOTDIR"):
                continue
            raise
        name = content.get("name")
        ws_name = name if isinstance(name, str) and name else name_from_folder(folder) or ""
        seen.setdefault(ws_name, {})[folder] = None
    results: dict[str, str] = {}
    errors = ["must not have multiple workspaces with the same name"]
    for ws_name, folders in seen.items():
        if len(folders) > 1:
            errors.append(f"package '{ws_name}' has conflicts in the following paths:")
            errors.extend(f"    {f}" for f in folders)
        else:
            results[ws_name] = next(iter(folders))
    if len(errors) > 1:
        raise SnpmError("\n".join(errors), code="EDUPLICATEWORKSPACE")
    return results


def map_workspaces_virtual(cwd: str, packages: Mapping[str, JsonObject]) -> dict[str, str]:
    root = packages.get("") or {}
    workspaces = root.get("workspaces")
    if workspaces is None:
        return {}
    patterns, negated = _patterns(workspaces)
    if not patterns and not negated:
        return {}
    negated = [*negated, "**/node_modules/**"]
    keys = [k for k in packages if not any(_match(k, n) for n in negated)]
    by_path: dict[str, str] = {}
    for pattern in patterns:
        for key in keys:
            if not _match(key, pattern):
                continue
            folder = resolve(cwd, key)
            entry = packages[key]
            name = entry.get("name")
            by_path[folder] = name if isinstance(name, str) and name else name_from_folder(folder) or ""
    return {name: path for path, name in by_path.items()}
