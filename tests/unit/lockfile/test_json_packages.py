"""`packages` read from JSON stay JSON until an entry is looked at (`JsonPackages`): whatever
reads them sees the same entries, and writing gives the same objects back, as the typed entries
(`entry_from_json` / `entry_to_json`) do."""

from __future__ import annotations

from snpm.json_types import JsonObject
from snpm.lockfile import (
    JsonPackages,
    LockEntry,
    Lockfile,
    entry_from_json,
    entry_to_json,
    format_lockfile,
    lockfile_to_json,
    packages_to_json,
    parse_lockfile,
)
from snpm.lockfile.hidden import link_targets

PACKAGES: dict[str, JsonObject] = {
    "": {"name": "root", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}},
    "node_modules/a": {"version": "1.0.0", "resolved": "https://r.test/a.tgz", "dev": True, "extra": [1]},
    "node_modules/b": {"resolved": "packages/b", "link": True},
    "node_modules/c": {"resolved": "packages/c", "link": "yes"},
    "node_modules/d": {"resolved": "", "link": True},
    "packages/b": {"name": "b", "version": "2.0.0", "license": {"type": "MIT"}},
}


def _typed() -> dict[str, LockEntry]:
    return {location: entry_from_json(obj) for location, obj in PACKAGES.items()}


def test_entries_are_the_typed_entries() -> None:
    lazy = JsonPackages(PACKAGES)
    assert list(lazy) == list(PACKAGES) and len(lazy) == len(PACKAGES)
    assert "node_modules/a" in lazy and "node_modules/x" not in lazy
    assert dict(lazy.items()) == _typed()
    assert lazy == _typed()
    assert lazy["node_modules/a"] is lazy["node_modules/a"]


def test_json_comes_back_as_it_was() -> None:
    lazy = JsonPackages(PACKAGES)
    as_json = packages_to_json(lazy)
    assert as_json == {location: entry_to_json(entry) for location, entry in _typed().items()}
    assert all(as_json[loc] is not PACKAGES[loc] for loc in PACKAGES)


def test_lockfile_json_and_text_match_the_typed_path() -> None:
    for version in (1, 2, 3):
        for hidden in (False, True):
            lazy = Lockfile(
                name="root", version="1.0.0", lockfile_version=version, packages=JsonPackages(PACKAGES)
            )
            typed = Lockfile(name="root", version="1.0.0", lockfile_version=version, packages=_typed())
            assert lockfile_to_json(lazy, hidden=hidden) == lockfile_to_json(typed, hidden=hidden)
            assert format_lockfile(lazy, hidden=hidden) == format_lockfile(typed, hidden=hidden)


def test_parsed_lockfiles_hold_json_packages() -> None:
    text = format_lockfile(Lockfile(name="root", version="1.0.0", packages=_typed()))
    document = parse_lockfile(text)
    assert isinstance(document.lockfile.packages, JsonPackages)
    assert format_lockfile(document.lockfile) == text


def test_link_targets_match_the_typed_entries() -> None:
    assert link_targets(JsonPackages(PACKAGES)) == link_targets(_typed()) == {"packages/b"}
