"""Adding and removing dependency specs in a package.json (arborist add-rm-pkg-deps.js).

`npm install <spec>` with a save type puts the spec in one dependency group and removes it from the
groups it may not share: prod excludes dev and peer; dev excludes prod; optional excludes peer; peer
excludes prod and optional. With no save type the group the name is already in is kept (dev,
optional, prod, peer in that priority), else prod. An optional add is mirrored into dependencies (an
affordance for old npm versions; update-dependencies removes it again on save). Each removal that
replaces a spec yields npm's warning text (`npm warn idealTree …`). Pure: returns new content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from snpm.ecmascript.collation import locale_compare_key
from snpm.ecmascript.values import to_string
from snpm.json_types import JsonObject, JsonValue

__all__ = ["SAVE_TYPES", "add_dependencies", "infer_save_type", "remove_dependencies"]

# saveTypeMap: save type → the package.json group it is stored in (in npm's priority order)
SAVE_TYPES: Final[Mapping[str, str]] = {
    "dev": "devDependencies",
    "optional": "optionalDependencies",
    "prod": "dependencies",
    "peerOptional": "peerDependencies",
    "peer": "peerDependencies",
}
_GROUPS: Final = ("devDependencies", "optionalDependencies", "dependencies", "peerDependencies")


def _working_copy(content: Mapping[str, JsonValue]) -> JsonObject:
    """A copy whose dependency groups may be changed without touching `content`."""
    pkg: JsonObject = dict(content)
    for group in (*_GROUPS, "peerDependenciesMeta"):
        value = pkg.get(group)
        if isinstance(value, dict):
            pkg[group] = {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
    return pkg


def _group(pkg: JsonObject, group: str) -> dict[str, JsonValue] | None:
    value = pkg.get(group)
    return value if isinstance(value, dict) else None


def _has(pkg: JsonObject, group: str, name: str) -> bool:
    found = _group(pkg, group)
    return found is not None and name in found


def infer_save_type(content: Mapping[str, JsonValue], name: str) -> str:
    """The save type an unqualified `npm install <name>` keeps (inferSaveType)."""
    pkg = dict(content)
    for save_type, group in SAVE_TYPES.items():
        if _has(pkg, group, name):
            if save_type == "peerOptional":
                meta = _group(pkg, "peerDependenciesMeta")
                entry = meta.get(name) if meta is not None else None
                if not (isinstance(entry, dict) and entry.get("optional")):
                    return "peer"
            return save_type
    return "prod"


def _delete(pkg: JsonObject, group: str, name: str, replaced_by: str | None, warnings: list[str]) -> None:
    deps = _group(pkg, group)
    if deps is None or name not in deps:
        return
    if replaced_by:
        warnings.append(f"Removing {group}.{name} in favor of {replaced_by}.{name}")
    del deps[name]
    meta = _group(pkg, "peerDependenciesMeta")
    if group == "peerDependencies" and meta is not None:
        meta.pop(name, None)
        if not meta:
            del pkg["peerDependenciesMeta"]
    if not deps:
        del pkg[group]


def add_dependencies(
    content: Mapping[str, JsonValue],
    adds: Iterable[tuple[str, str]],
    *,
    save_type: str | None = None,
    save_bundle: bool = False,
) -> tuple[JsonObject, list[str]]:
    """Add `(name, raw spec)` pairs (`add({pkg, add, saveType, saveBundle})`).

    Returns the new content and npm's warnings. `save_type` is one of SAVE_TYPES or None.
    """
    if save_type is not None and save_type not in SAVE_TYPES:
        raise ValueError(f"Invalid saveType {save_type}")
    pkg = _working_copy(content)
    warnings: list[str] = []
    for name, raw_spec in adds:
        kind = save_type or infer_save_type(pkg, name)
        if kind == "prod":
            _delete(pkg, "devDependencies", name, "dependencies", warnings)
            _delete(pkg, "peerDependencies", name, "dependencies", warnings)
        elif kind == "dev":
            _delete(pkg, "dependencies", name, "devDependencies", warnings)
        elif kind == "optional":
            _delete(pkg, "peerDependencies", name, "optionalDependencies", warnings)
        else:
            _delete(pkg, "dependencies", name, "peerDependencies", warnings)
            _delete(pkg, "optionalDependencies", name, "peerDependencies", warnings)
        group_name = SAVE_TYPES[kind]
        group = _group(pkg, group_name)
        if group is None:
            group = pkg[group_name] = {}
        if raw_spec != "*" or name not in group:
            group[name] = raw_spec
        if kind == "optional":
            prod = _group(pkg, "dependencies")
            if prod is None:
                prod = pkg["dependencies"] = {}
            prod[name] = group[name]
        if kind in ("peer", "peerOptional"):
            _mark_peer(pkg, name, kind, group)
        if save_bundle and kind not in ("peer", "peerOptional"):
            bundled = pkg.get("bundleDependencies")
            names = list(dict.fromkeys(bundled if isinstance(bundled, list) else []))
            if name not in names:
                names.append(name)
            pkg["bundleDependencies"] = sorted(names, key=lambda n: locale_compare_key(to_string(n)))
    return pkg, warnings


def _mark_peer(pkg: JsonObject, name: str, kind: str, peers: dict[str, JsonValue]) -> None:
    meta = _group(pkg, "peerDependenciesMeta")
    entry = meta.get(name) if meta is not None else None
    if kind == "peer" and isinstance(entry, dict) and entry.get("optional"):
        entry["optional"] = False
    elif kind == "peerOptional":
        if meta is None:
            meta = {}
        if not isinstance(entry, dict):
            entry = meta[name] = {}
        entry["optional"] = True
        pkg["peerDependenciesMeta"] = meta
    # peer dependencies are often dev dependencies too (to test with them): keep the two in step
    dev = _group(pkg, "devDependencies")
    if dev is not None and name in dev:
        dev[name] = peers[name]


def remove_dependencies(content: Mapping[str, JsonValue], names: Iterable[str]) -> JsonObject:
    """Remove names from every dependency group and bundleDependencies (`rm(pkg, names)`)."""
    pkg = _working_copy(content)
    removed = list(names)
    ignored: list[str] = []
    for group in dict.fromkeys(SAVE_TYPES.values()):
        for name in removed:
            _delete(pkg, group, name, None, ignored)
    bundled = pkg.get("bundleDependencies")
    if isinstance(bundled, list):
        kept: list[JsonValue] = [n for n in bundled if n not in removed]
        if kept:
            pkg["bundleDependencies"] = kept
        else:
            del pkg["bundleDependencies"]
    return pkg
