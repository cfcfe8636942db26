"""npm's lockfiles: package-lock.json, npm-shrinkwrap.json and node_modules/.package-lock.json.

Read any version (v1 is converted to `packages` entries the way arborist does), write v3 or a chosen
lockfileVersion byte for byte as npm 11 does. Local files only; imports layer 0 (`snpm.ecmascript` for
JavaScript's JSON and collation) and `snpm.spec` (npm-package-arg).

    model      Lockfile, LockEntry (one `packages` entry), LegacyEntry (v1/v2 `dependencies`)
    codec      text ↔ model: parse_lockfile, format_lockfile (npm's key order and formatting)
    files      read_lockfile / write_lockfile: which file, version policy, v1 conversion
    upgrade    v1 `dependencies` → `packages` (what npm can and cannot recover)
    legacy     `packages` → v1/v2 `dependencies`
    hidden     when node_modules/.package-lock.json may be trusted
    conflicts  git merge-conflict markers resolved like npm (parse-conflict-json)
    spec_from_lock  arborist's spec-from-lock, consistent-resolve and version-from-tgz (over snpm.spec)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snpm.lockfile.codec import (
        DEFAULT_LOCKFILE_VERSION,
        KEY_ORDER,
        LockfileDocument,
        format_lockfile,
        lockfile_from_json,
        lockfile_to_json,
        parse_lockfile,
    )
    from snpm.lockfile.files import LoadedLockfile, read_lockfile, write_lockfile
    from snpm.lockfile.hidden import HIDDEN_LOCKFILE, StaleHiddenLockfileError, check_hidden_lockfile
    from snpm.lockfile.legacy import build_legacy_dependencies
    from snpm.lockfile.model import (
        JsonPackages,
        LegacyEntry,
        LockEntry,
        Lockfile,
        entry_from_json,
        entry_to_json,
        packages_to_json,
    )
    from snpm.lockfile.upgrade import PKG_META_KEYS, meta_field_from_pkg, packages_from_legacy

# The names load with their module on first use: the no-op check (snpm.ops.noop_install) reads
# `snpm.lockfile.hidden` without the codec, the model and the v1 converters.
_MODULES = {
    "DEFAULT_LOCKFILE_VERSION": "snpm.lockfile.codec",
    "HIDDEN_LOCKFILE": "snpm.lockfile.hidden",
    "JsonPackages": "snpm.lockfile.model",
    "KEY_ORDER": "snpm.lockfile.codec",
    "LegacyEntry": "snpm.lockfile.model",
    "LoadedLockfile": "snpm.lockfile.files",
    "LockEntry": "snpm.lockfile.model",
    "Lockfile": "snpm.lockfile.model",
    "LockfileDocument": "snpm.lockfile.codec",
    "PKG_META_KEYS": "snpm.lockfile.upgrade",
    "StaleHiddenLockfileError": "snpm.lockfile.hidden",
    "build_legacy_dependencies": "snpm.lockfile.legacy",
    "check_hidden_lockfile": "snpm.lockfile.hidden",
    "entry_from_json": "snpm.lockfile.model",
    "entry_to_json": "snpm.lockfile.model",
    "format_lockfile": "snpm.lockfile.codec",
    "lockfile_from_json": "snpm.lockfile.codec",
    "lockfile_to_json": "snpm.lockfile.codec",
    "meta_field_from_pkg": "snpm.lockfile.upgrade",
    "packages_from_legacy": "snpm.lockfile.upgrade",
    "packages_to_json": "snpm.lockfile.model",
    "parse_lockfile": "snpm.lockfile.codec",
    "read_lockfile": "snpm.lockfile.files",
    "write_lockfile": "snpm.lockfile.files",
}


__all__ = [
    "DEFAULT_LOCKFILE_VERSION",
    "HIDDEN_LOCKFILE",
    "JsonPackages",
    "KEY_ORDER",
    "PKG_META_KEYS",
    "LegacyEntry",
    "LoadedLockfile",
    "LockEntry",
    "Lockfile",
    "LockfileDocument",
    "StaleHiddenLockfileError",
    "build_legacy_dependencies",
    "check_hidden_lockfile",
    "entry_from_json",
    "entry_to_json",
    "format_lockfile",
    "lockfile_from_json",
    "lockfile_to_json",
    "meta_field_from_pkg",
    "packages_from_legacy",
    "packages_to_json",
    "parse_lockfile",
    "read_lockfile",
    "write_lockfile",
]


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
