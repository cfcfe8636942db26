"""Lockfile text ↔ model, byte for byte as npm 11 writes it (arborist shrinkwrap.js).

Writing is npm's `Shrinkwrap#toString`: `json-stringify-nice` with the preferred key order
`name, version, lockfileVersion, resolved, integrity, requires, packages, dependencies`, which sorts
every object at every depth (non-objects first, then preferred keys, then `localeCompare(…, 'en')`),
so the `packages` locations and all maps come out in ICU order whatever order the model holds them
in. Then every `\\n` becomes the newline npm detected (package.json's, in a real install). Versions:
1 writes only the legacy `dependencies` tree, 2 both sections, 3 only `packages`; the hidden lockfile
is always 3 and has no root entry. `requires: true` is always written.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from snpm.ecmascript.json import JSONParseError, parse_json, stringify_nice
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.lockfile.conflicts import has_conflict_markers, resolve_conflicts
from snpm.lockfile.model import (
    VIRTUAL_ROOT,
    JsonPackages,
    LegacyEntry,
    LockEntry,
    Lockfile,
    entry_to_json,
    legacy_from_json,
    legacy_to_json,
)

__all__ = [
    "DEFAULT_LOCKFILE_VERSION",
    "KEY_ORDER",
    "LockfileDocument",
    "format_lockfile",
    "lockfile_from_json",
    "lockfile_to_json",
    "parse_lockfile",
]

DEFAULT_LOCKFILE_VERSION = 3
# shrinkwrap.js `swKeyOrder`
KEY_ORDER = (
    "name",
    "version",
    "lockfileVersion",
    "resolved",
    "integrity",
    "requires",
    "packages",
    "dependencies",
)


class LockfileDocument(msgspec.Struct, frozen=True):
    """A parsed lockfile and what npm remembers about its text."""

    lockfile: Lockfile
    indent: str  # json-parse-even-better-errors' Symbol.for('indent') ('' for one-line JSON)
    newline: str  # Symbol.for('newline')
    original_version: int | None  # the file's own lockfileVersion (None when absent)


def lockfile_from_json(data: Mapping[str, JsonValue]) -> Lockfile:
    """The model of a lockfile's JSON object, any version. Nothing is converted: a v1 file gives a
    Lockfile with only `legacy` (see `snpm.lockfile.upgrade` for npm's v1 → packages reading)."""
    extra: JsonObject = {}
    name = version = None
    lockfile_version: int | None = None
    requires = False
    packages: Mapping[str, LockEntry] = {}
    legacy: dict[str, LegacyEntry] | None = None
    for key, value in data.items():
        if key == "name" and isinstance(value, str):
            name = value
        elif key == "version" and isinstance(value, str):
            version = value
        elif key == "lockfileVersion" and isinstance(value, int) and not isinstance(value, bool):
            lockfile_version = value
        elif key == "requires" and isinstance(value, bool):
            requires = value
        elif key == "packages" and isinstance(value, dict):
            packages = JsonPackages({loc: meta for loc, meta in value.items() if isinstance(meta, dict)})
        elif key == "dependencies" and isinstance(value, dict):
            legacy = {n: legacy_from_json(meta) for n, meta in value.items() if isinstance(meta, dict)}
        else:
            extra[key] = value
    if lockfile_version is None:
        lockfile_version = 1 if legacy is not None and "packages" not in data else DEFAULT_LOCKFILE_VERSION
    return Lockfile(
        name=name,
        version=version,
        lockfile_version=lockfile_version,
        packages=packages,
        legacy=legacy,
        requires=requires,
        extra=extra,
    )


def lockfile_to_json(
    lockfile: Lockfile,
    *,
    lockfile_version: int | None = None,
    hidden: bool = False,
    project_path: str = VIRTUAL_ROOT,
) -> JsonObject:
    """The JSON object npm's `Shrinkwrap#commit` produces (unsorted; formatting sorts).

    The legacy `dependencies` tree of v1/v2 is `lockfile.legacy` when set, otherwise derived from
    `packages` (`snpm.lockfile.legacy`); `project_path` only matters for absolute `file:` specs there.
    """
    target = DEFAULT_LOCKFILE_VERSION if hidden else (lockfile_version or lockfile.lockfile_version)
    data: JsonObject = dict(lockfile.extra)
    if lockfile.name is not None:
        data["name"] = lockfile.name
    if lockfile.version is not None:
        data["version"] = lockfile.version
    data["lockfileVersion"] = target
    data["requires"] = True
    if target >= 2 or hidden:
        packages: JsonObject = {}
        entries = lockfile.packages
        if isinstance(entries, JsonPackages):
            # entries read from JSON are their objects again (and never inert)
            for location, obj in entries.objects().items():
                if location == "" and (hidden or not obj):
                    continue
                packages[location] = dict(obj)
        else:
            for location, entry in entries.items():
                meta = entry_to_json(entry)
                # the root entry is only written when it has something to say; hidden lockfiles never
                if location == "" and (hidden or not meta):
                    continue
                if entry.inert and not entry.version:
                    continue
                packages[location] = meta
        data["packages"] = packages
    else:
        data.pop("packages", None)
    if target >= 3 or hidden:
        data.pop("dependencies", None)
    else:
        legacy = lockfile.legacy
        if legacy is None:
            # only v1/v2 lockfiles need it: imported here, so reading and writing v3 never loads it
            from snpm.lockfile.legacy import build_legacy_dependencies

            legacy = build_legacy_dependencies(lockfile.packages, project_path=project_path)
        if legacy:
            data["dependencies"] = {name: legacy_to_json(entry) for name, entry in legacy.items()}
        else:
            data.pop("dependencies", None)
    return data


def parse_lockfile(text: str | bytes) -> LockfileDocument:
    """Parse lockfile text (BOM stripped, merge conflicts resolved, like npm's parse-conflict-json).
    Raises SnpmError EJSONPARSE when invalid, with json-parse-even-better-errors' message (what
    arborist logs as `failed to load <file>`)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        parsed = resolve_conflicts(text) if has_conflict_markers(text) else parse_json(text)
    except JSONParseError as err:
        raise SnpmError(err.message, code=err.code) from None
    value = parsed.value
    if not isinstance(value, dict):
        raise SnpmError("lockfile is not a JSON object", code="EJSONPARSE")
    raw_version = value.get("lockfileVersion")
    original = raw_version if isinstance(raw_version, int) and not isinstance(raw_version, bool) else None
    return LockfileDocument(
        lockfile=lockfile_from_json(value),
        indent=parsed.indent if parsed.indent is not None else "  ",
        newline=parsed.newline if parsed.newline is not None else "\n",
        original_version=original,
    )


def format_lockfile(
    lockfile: Lockfile,
    *,
    lockfile_version: int | None = None,
    indent: str | int = "  ",
    newline: str = "\n",
    compact: bool = False,
    hidden: bool = False,
    project_path: str = VIRTUAL_ROOT,
) -> str:
    """The lockfile text npm writes (`Shrinkwrap#toString`).

    `indent`/`newline` are the root package.json's (npm's reify passes them; an empty indent means
    the default 2 spaces, an empty newline "\\n"). `compact` is `format-package-lock=false`: one line,
    no trailing newline.
    """
    data = lockfile_to_json(
        lockfile, lockfile_version=lockfile_version, hidden=hidden, project_path=project_path
    )
    if compact:
        return stringify_nice(data, KEY_ORDER, 0)
    text = stringify_nice(data, KEY_ORDER, indent or 2)
    eol = newline or "\n"
    return text if eol == "\n" else text.replace("\n", eol)
