"""The lockfile data model: package-lock.json / npm-shrinkwrap.json / node_modules/.package-lock.json.

`Lockfile.packages` maps install locations ("" for the root, `node_modules/a`, `packages/w`, …) to
`LockEntry` values, the v2/v3 shape npm's arborist works from. `Lockfile.legacy` is the v1/v2
`dependencies` tree, kept only as read from a file (writers derive it from `packages` when absent).

Every field npm's shrinkwrap.js writes has a typed attribute. Whatever else an object holds, and any
known key whose value has an unexpected JSON type (a hand-edited `"dev": false`, an array `engines`
from an old package), stays in `extra` untouched, so read → write loses nothing. Key order is not
part of the model: npm sorts every object when it writes (see `codec`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, Never

import msgspec

from snpm.json_types import JsonObject, JsonValue
from snpm.record import Record

__all__ = [
    "EMPTY",
    "ENTRY_FLAGS",
    "JsonPackages",
    "LegacyEntry",
    "LockEntry",
    "Lockfile",
    "VIRTUAL_ROOT",
    "entry_from_json",
    "entry_to_json",
    "packages_to_json",
    "legacy_from_json",
    "legacy_to_json",
]

# where the project is assumed to live when the caller does not say: only relative paths are written
VIRTUAL_ROOT = "/__snpm_project__/root"


class _EmptyMapping(Mapping[str, Never]):
    """An immutable, hashable empty mapping: the shared default of every map field."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Never:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and not other

    def __repr__(self) -> str:
        return "{}"


EMPTY: Final[Mapping[str, Never]] = _EmptyMapping()


class LockEntry(Record):
    """One `packages` entry: a package at one location (npm's `Shrinkwrap.metaFromNode`).

    `inert` is not a lockfile key: an optional dependency that failed to load (arborist's
    `node.inert`); without a version npm leaves it out of `packages` but still lists it in the v1/v2
    tree. `_source` is the JSON object the entry was read from: writing it back needs no
    re-assembly; it is outside equality and not copied by `_replace`, so a changed entry is always
    re-serialised from its fields."""

    _FIELDS = (
        "version",
        "name",
        "resolved",
        "integrity",
        "link",
        "dev",
        "optional",
        "dev_optional",
        "peer",
        "extraneous",
        "in_bundle",
        "has_install_script",
        "has_shrinkwrap",
        "license",
        "deprecated",
        "dependencies",
        "optional_dependencies",
        "peer_dependencies",
        "peer_dependencies_meta",
        "dev_dependencies",
        "accept_dependencies",
        "bundle_dependencies",
        "bin",
        "engines",
        "os",
        "cpu",
        "libc",
        "funding",
        "workspaces",
        "extra",
        "inert",
    )
    __slots__ = (*_FIELDS, "_source")

    def __init__(
        self,
        *,
        version: str | None = None,
        name: str | None = None,
        resolved: str | None = None,
        integrity: str | None = None,
        link: bool = False,
        dev: bool = False,
        optional: bool = False,
        dev_optional: bool = False,
        peer: bool = False,
        extraneous: bool = False,
        in_bundle: bool = False,
        has_install_script: bool = False,
        has_shrinkwrap: bool = False,
        license: str | None = None,
        deprecated: str | None = None,
        dependencies: Mapping[str, str] = EMPTY,
        optional_dependencies: Mapping[str, str] = EMPTY,
        peer_dependencies: Mapping[str, str] = EMPTY,
        peer_dependencies_meta: Mapping[str, JsonObject] = EMPTY,
        dev_dependencies: Mapping[str, str] = EMPTY,
        accept_dependencies: Mapping[str, str] = EMPTY,
        bundle_dependencies: tuple[str, ...] = (),
        bin: Mapping[str, str] = EMPTY,
        engines: Mapping[str, str] = EMPTY,
        os: tuple[str, ...] = (),
        cpu: tuple[str, ...] = (),
        libc: tuple[str, ...] = (),
        funding: JsonValue = None,
        workspaces: JsonValue = None,
        extra: Mapping[str, JsonValue] = EMPTY,
        inert: bool = False,
    ) -> None:
        self.version: Final = version
        self.name: Final = name
        self.resolved: Final = resolved
        self.integrity: Final = integrity
        self.link: Final = link
        self.dev: Final = dev
        self.optional: Final = optional
        self.dev_optional: Final = dev_optional
        self.peer: Final = peer
        self.extraneous: Final = extraneous
        self.in_bundle: Final = in_bundle
        self.has_install_script: Final = has_install_script
        self.has_shrinkwrap: Final = has_shrinkwrap
        self.license: Final = license
        self.deprecated: Final = deprecated
        self.dependencies: Final = dependencies
        self.optional_dependencies: Final = optional_dependencies
        self.peer_dependencies: Final = peer_dependencies
        self.peer_dependencies_meta: Final = peer_dependencies_meta
        self.dev_dependencies: Final = dev_dependencies
        self.accept_dependencies: Final = accept_dependencies
        self.bundle_dependencies: Final = bundle_dependencies
        self.bin: Final = bin
        self.engines: Final = engines
        self.os: Final = os
        self.cpu: Final = cpu
        self.libc: Final = libc
        self.funding: Final = funding
        self.workspaces: Final = workspaces
        self.extra: Final = extra
        self.inert: Final = inert
        self._source: JsonObject | None = None

    @property
    def is_link(self) -> bool:
        return self.link

    def optional_peer_names(self) -> frozenset[str]:
        """peerDependencies marked `{optional: true}` in peerDependenciesMeta."""
        return frozenset(
            name
            for name, meta in self.peer_dependencies_meta.items()
            if meta.get("optional") and name in self.peer_dependencies
        )


class LegacyEntry(msgspec.Struct, frozen=True):
    """One entry of the v1/v2 `dependencies` tree (npm 6's format, `#buildLegacyLockfile`)."""

    version: str | None = None
    resolved: str | None = None
    integrity: str | None = None
    from_: str | None = None
    bundled: bool = False
    dev: bool = False
    optional: bool = False
    dev_optional: bool = False
    peer: bool = False
    extraneous: bool = False
    requires: Mapping[str, str] | None = None
    dependencies: Mapping[str, LegacyEntry] | None = None
    extra: Mapping[str, JsonValue] = EMPTY


class Lockfile(msgspec.Struct, frozen=True):
    """A whole lockfile. `lockfile_version` is what will be written (npm: 3 unless chosen or kept v2)."""

    name: str | None = None
    version: str | None = None
    lockfile_version: int = 3
    packages: Mapping[str, LockEntry] = EMPTY
    legacy: Mapping[str, LegacyEntry] | None = None
    requires: bool = True
    extra: Mapping[str, JsonValue] = EMPTY

    @property
    def root(self) -> LockEntry | None:
        return self.packages.get("")


# ── JSON ↔ model ───────────────────────────────────────────────────────────────────────────────────
# kinds: s = string, f = flag (only `true` is typed), m = map of strings, o = map of objects,
# l = list of strings, j = any JSON
_ENTRY_KEYS: Final[dict[str, tuple[str, str]]] = {
    "version": ("version", "s"),
    "name": ("name", "s"),
    "resolved": ("resolved", "s"),
    "integrity": ("integrity", "s"),
    "link": ("link", "f"),
    "dev": ("dev", "f"),
    "optional": ("optional", "f"),
    "devOptional": ("dev_optional", "f"),
    "peer": ("peer", "f"),
    "extraneous": ("extraneous", "f"),
    "inBundle": ("in_bundle", "f"),
    "hasInstallScript": ("has_install_script", "f"),
    "hasShrinkwrap": ("has_shrinkwrap", "f"),
    "license": ("license", "s"),
    "deprecated": ("deprecated", "s"),
    "dependencies": ("dependencies", "m"),
    "optionalDependencies": ("optional_dependencies", "m"),
    "peerDependencies": ("peer_dependencies", "m"),
    "peerDependenciesMeta": ("peer_dependencies_meta", "o"),
    "devDependencies": ("dev_dependencies", "m"),
    "acceptDependencies": ("accept_dependencies", "m"),
    "bundleDependencies": ("bundle_dependencies", "l"),
    "bin": ("bin", "m"),
    "engines": ("engines", "m"),
    "os": ("os", "l"),
    "cpu": ("cpu", "l"),
    "libc": ("libc", "l"),
    "funding": ("funding", "j"),
    "workspaces": ("workspaces", "j"),
}
# the boolean entry flags, JSON key → attribute
ENTRY_FLAGS: Final[dict[str, str]] = {k: a for k, (a, kind) in _ENTRY_KEYS.items() if kind == "f"}

_LEGACY_KEYS: Final[dict[str, tuple[str, str]]] = {
    "version": ("version", "s"),
    "resolved": ("resolved", "s"),
    "integrity": ("integrity", "s"),
    "from": ("from_", "s"),
    "bundled": ("bundled", "f"),
    "dev": ("dev", "f"),
    "optional": ("optional", "f"),
    "devOptional": ("dev_optional", "f"),
    "peer": ("peer", "f"),
    "extraneous": ("extraneous", "f"),
    "requires": ("requires", "m"),
}


_UNTYPED: Final = object()


def _typed(kind: str, value: JsonValue) -> object:
    """The typed form of a value, or `_UNTYPED` when its JSON type is not the expected one.

    Empty containers stay raw too: npm never writes them, so a typed "empty" means "absent".
    """
    if kind == "m":
        if type(value) is dict and value and all(type(v) is str for v in value.values()):
            return value
    elif kind == "o":
        if type(value) is dict and value and all(type(v) is dict for v in value.values()):
            return value
    elif kind == "l":
        if type(value) is list and value and all(type(v) is str for v in value):
            return tuple(value)
    elif kind == "j":
        return value
    return _UNTYPED


def _fields(obj: JsonObject, keys: Mapping[str, tuple[str, str]]) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    extra: JsonObject | None = None
    for key, value in obj.items():
        spec = keys.get(key)
        if spec is not None:
            attr, kind = spec
            # the common kinds inline: this loop runs for every key of every lockfile entry
            if kind == "s":
                if type(value) is str:
                    kwargs[attr] = value
                    continue
            elif kind == "f":
                if value is True:
                    kwargs[attr] = True
                    continue
            else:
                typed = _typed(kind, value)
                if typed is not _UNTYPED:
                    kwargs[attr] = typed
                    continue
        if extra is None:
            extra = {}
        extra[key] = value
    if extra:
        kwargs["extra"] = extra
    return kwargs


def entry_from_json(obj: JsonObject) -> LockEntry:
    """A `packages` entry from its JSON object (which must not be changed afterwards)."""
    entry = LockEntry(**_fields(obj, _ENTRY_KEYS))  # type: ignore[arg-type]
    entry._source = obj
    return entry


def _put(out: JsonObject, key: str, kind: str, value: object) -> None:
    if kind == "f":
        if value:
            out[key] = True
    elif kind == "l":
        if value:
            out[key] = list(value)  # type: ignore[call-overload]
    elif kind in ("m", "o"):
        if value:
            out[key] = value  # type: ignore[assignment]
    elif value is not None:
        out[key] = value  # type: ignore[assignment]


def entry_to_json(entry: LockEntry) -> JsonObject:
    """The JSON object for a `packages` entry (unsorted; the codec orders keys like npm)."""
    if entry._source is not None:
        return dict(entry._source)
    out: JsonObject = {}
    for key, (attr, kind) in _ENTRY_KEYS.items():
        _put(out, key, kind, getattr(entry, attr))
    out.update(entry.extra)
    return out


class JsonPackages(Mapping[str, LockEntry]):
    """`packages` as read from JSON: each LockEntry is made when first looked at.

    A read only to be written again, or turned into a tree, never needs the typed entries: the JSON
    objects are what both use (`entry_to_json` gives back an entry's source object). Immutable, like
    the dict of entries it stands for; the objects must not be changed afterwards."""

    __slots__ = ("_entries", "_objects")

    def __init__(self, objects: Mapping[str, JsonObject]) -> None:
        self._objects = objects
        self._entries: dict[str, LockEntry] = {}

    def __getitem__(self, location: str) -> LockEntry:
        entry = self._entries.get(location)
        if entry is None:
            entry = self._entries[location] = entry_from_json(self._objects[location])
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, location: object) -> bool:
        return location in self._objects

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def objects(self) -> Mapping[str, JsonObject]:
        """location → the JSON object of the entry (not to be changed)."""
        return self._objects


def packages_to_json(packages: Mapping[str, LockEntry]) -> dict[str, JsonObject]:
    """location → the entry's JSON object (a fresh copy of each, as `entry_to_json`)."""
    if isinstance(packages, JsonPackages):
        return {location: dict(obj) for location, obj in packages.objects().items()}
    return {location: entry_to_json(entry) for location, entry in packages.items()}


def legacy_from_json(obj: JsonObject) -> LegacyEntry:
    """A v1/v2 `dependencies` entry (recursively) from its JSON object."""
    kwargs = _fields({k: v for k, v in obj.items() if k != "dependencies"}, _LEGACY_KEYS)
    deps = obj.get("dependencies")
    if isinstance(deps, dict) and all(isinstance(v, dict) for v in deps.values()):
        kwargs["dependencies"] = {
            name: legacy_from_json(child)  # type: ignore[arg-type]
            for name, child in deps.items()
        }
    elif "dependencies" in obj:
        extra = dict(kwargs.get("extra", {}))  # type: ignore[call-overload]
        extra["dependencies"] = deps
        kwargs["extra"] = extra
    return LegacyEntry(**kwargs)  # type: ignore[arg-type]


def legacy_to_json(entry: LegacyEntry) -> JsonObject:
    """The JSON object for a legacy `dependencies` entry, children included."""
    out: JsonObject = {}
    for key, (attr, kind) in _LEGACY_KEYS.items():
        value = getattr(entry, attr)
        if key == "requires":
            # npm writes `"requires": {}` for a package whose only dependencies are peers
            if value is not None:
                out[key] = dict(value)
        else:
            _put(out, key, kind, value)
    if entry.dependencies is not None:
        out["dependencies"] = {name: legacy_to_json(child) for name, child in entry.dependencies.items()}
    out.update(entry.extra)
    return out
