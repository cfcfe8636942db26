"""Reading a v1 lockfile (npm ≤ 6: only the nested `dependencies` tree) into `packages` entries,
the way arborist's Shrinkwrap.load does (`#loadAll`, `#metaFromLock`, `#fixDependencies`).

What a v1 file lets npm recover per location: `version` (also from tarball names and aliases),
`resolved` (registry URL, `file:` path relative to the project, normalised git URL, remote URL),
`integrity`, the `dev`/`optional` flags, `inBundle`, links (a `file:` directory version becomes a
link entry plus a target entry without a version), and each package's dependency names and specs
from `requires`, sorted into dependencies/optionalDependencies by whether the resolved dependency is
optional. It cannot recover license, engines, os/cpu, bin, funding, peerDependencies,
hasInstallScript, or devDependencies of anything but the root: npm fetches every manifest again
afterwards ("old lockfile" inflation), which is the install engine's job, not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from snpm.json_types import JsonObject, JsonValue
from snpm.lockfile.model import LegacyEntry, LockEntry, entry_from_json
from snpm.lockfile.spec_from_lock import consistent_resolve, relpath, spec_from_lock, version_from_tgz
from snpm.spec import AliasSpec, DirectorySpec

__all__ = ["PKG_META_KEYS", "meta_field_from_pkg", "packages_from_legacy"]

# the package.json fields shrinkwrap.js copies into lockfile entries (`pkgMetaKeys`)
PKG_META_KEYS = (
    "version",
    "dependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "optionalDependencies",
    "bundleDependencies",
    "acceptDependencies",
    "funding",
    "engines",
    "os",
    "cpu",
    "libc",
    "_integrity",
    "license",
    "_hasShrinkwrap",
    "hasInstallScript",
    "bin",
    "deprecated",
    "workspaces",
)

_LAST_SEGMENT = re.compile(r"(^|/)[^/]*$")


def meta_field_from_pkg(pkg: Mapping[str, JsonValue], key: str) -> JsonValue:
    """shrinkwrap.js `metaFieldFromPkg`: truthy values only, objects only when non-empty, and a
    license object reduced to its `type`."""
    value = pkg.get(key)
    # falsy values and empty objects are skipped alike (an empty array is an empty object to JS)
    if not value:
        return None
    if key == "license" and isinstance(value, dict) and value.get("type"):
        return value["type"]
    return value


def _legacy_json(entry: LegacyEntry) -> dict[str, object]:
    """The few raw fields `#metaFromLock` reads off a legacy entry."""
    out: dict[str, object] = dict(entry.extra)
    out.update(
        version=entry.version,
        resolved=entry.resolved,
        integrity=entry.integrity,
        bundled=entry.bundled,
        dev=entry.dev,
        optional=entry.optional,
    )
    if entry.from_ is not None:
        out["from"] = entry.from_
    if entry.requires is not None:
        out["requires"] = dict(entry.requires)
    return out


class _Upgrade:
    def __init__(self, where: str) -> None:
        self.where = where
        self.packages: dict[str, JsonObject] = {}

    def load_all(
        self, location: str, name: str | None, lock: dict[str, object], children: Mapping[str, LegacyEntry]
    ) -> None:
        meta = self.meta_from_lock(location, name, lock)
        if meta.get("link"):
            resolved = meta.get("resolved")
            location = resolved if isinstance(resolved, str) else location
        for child_name, child in children.items():
            loc = f"{location}{'/' if location else ''}node_modules/{child_name}"
            self.load_all(loc, child_name, _legacy_json(child), child.dependencies or {})

    def meta_from_lock(self, location: str, name: str | None, lock: dict[str, object]) -> JsonObject:
        spec = spec_from_lock(name or "", lock, self.where)
        if isinstance(spec, DirectorySpec):
            target = relpath(self.where, spec.fetch_spec)
            self.packages[location] = {"link": True, "resolved": target}
            if target not in self.packages:
                self.meta_from_lock(target, name, {**lock, "version": None})
            return self.packages[location]

        meta: JsonObject = {}
        requires = lock.get("requires")
        if isinstance(requires, dict):
            meta["requires"] = requires
        if lock.get("optional"):
            meta["optional"] = True
        if lock.get("dev"):
            meta["dev"] = True
        if location == "":
            root_name = lock.get("name")
            if isinstance(root_name, str):
                meta["name"] = root_name
        integrity = lock.get("integrity")
        if isinstance(integrity, str) and integrity:
            meta["integrity"] = integrity
        version = lock.get("version")
        if isinstance(version, str) and version and not integrity and spec is not None:
            if spec.type == "git":
                meta["resolved"] = consistent_resolve(spec, self.where, self.where)
                self.packages[location] = meta
                return meta
            if spec.registry:
                meta["version"] = version
        resolved = lock.get("resolved")
        if spec is not None and (resolved or not spec.registry):
            if spec.registry:
                meta["resolved"] = resolved if isinstance(resolved, str) else None
            elif spec.type == "file":
                meta["resolved"] = consistent_resolve(spec, self.where, self.where, True)
            elif spec.fetch_spec:
                meta["resolved"] = spec.fetch_spec
            if meta.get("resolved") is None:
                meta.pop("resolved", None)
        if not meta.get("version") and spec is not None:
            if spec.type in ("file", "remote"):
                found = version_from_tgz(spec.name, spec.fetch_spec) or version_from_tgz(
                    spec.name,
                    meta.get("resolved"),  # type: ignore[arg-type]
                )
                if found:
                    meta["version"] = found[1]
                    if found[0] != name:
                        meta["name"] = found[0]
            elif isinstance(spec, AliasSpec):
                meta["name"] = spec.sub_spec.name
                meta["version"] = spec.sub_spec.fetch_spec
            elif spec.type == "version":
                meta["version"] = spec.fetch_spec
        if lock.get("bundled"):
            meta["inBundle"] = True
        self.packages[location] = meta
        return meta

    def resolve_meta_node(self, loc: str, name: str) -> JsonObject | None:
        path = loc
        while True:
            found = self.packages.get(f"{path}{'/' if path else ''}node_modules/{name}")
            if found is not None:
                return found
            if not path:
                return None
            path = _LAST_SEGMENT.sub("", path, count=1)

    def fix_dependencies(self, pkg: Mapping[str, JsonValue]) -> None:
        root = self.packages[""]
        for key in PKG_META_KEYS:
            value = meta_field_from_pkg(pkg, key)
            if value:
                root[key.removeprefix("_")] = value
        for loc, meta in self.packages.items():
            requires = meta.get("requires")
            if not loc or not isinstance(requires, dict):
                continue
            for name, spec in requires.items():
                dep = self.resolve_meta_node(loc, name)
                dep_type = "dependencies"
                if dep is not None and dep.get("optional") and not meta.get("optional"):
                    dep_type = "optionalDependencies"
                elif dep is not None and dep.get("dev") and not meta.get("dev"):
                    dep_type = "devDependencies"
                group = meta.setdefault(dep_type, {})
                assert isinstance(group, dict)
                group[name] = spec
            del meta["requires"]


def packages_from_legacy(
    *,
    name: str | None,
    version: str | None,
    dependencies: Mapping[str, LegacyEntry],
    root_package: Mapping[str, JsonValue],
    project_path: str,
) -> dict[str, LockEntry]:
    """The `packages` entries arborist builds when it loads a v1 lockfile.

    `root_package` is the root package.json as `@npmcli/package-json` normalize() reads it (npm uses
    `{}` when it cannot be read); its pkgMetaKeys fields fill the root entry. `project_path` is the
    absolute project folder (for `file:` specs).
    """
    upgrade = _Upgrade(project_path)
    root_lock: dict[str, object] = {"requires": True}
    if name is not None:
        root_lock["name"] = name
    if version is not None:
        root_lock["version"] = version
    upgrade.load_all("", None, root_lock, dependencies)
    upgrade.fix_dependencies(root_package)
    return {loc: entry_from_json(meta) for loc, meta in upgrade.packages.items()}
