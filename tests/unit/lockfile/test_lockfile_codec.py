"""Lockfile model ↔ JSON ↔ text: typed fields, unknown fields kept, npm's versions and formatting."""

from __future__ import annotations

import json

import pytest

from snpm.errors import SnpmError
from snpm.lockfile import (
    LegacyEntry,
    LockEntry,
    Lockfile,
    entry_from_json,
    entry_to_json,
    format_lockfile,
    lockfile_from_json,
    lockfile_to_json,
    parse_lockfile,
)

V3 = {
    "name": "p",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "p", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}},
        "node_modules/a": {
            "version": "1.0.0",
            "resolved": "https://r.example/a/-/a-1.0.0.tgz",
            "integrity": "sha512-x",
            "license": "MIT",
            "os": ["linux"],
            "dev": True,
            "funding": {"url": "https://f.example"},
        },
    },
}


def test_entry_typed_fields() -> None:
    entry = entry_from_json(
        {
            "version": "1.0.0",
            "devOptional": True,
            "inBundle": True,
            "peerDependencies": {"x": "*"},
            "peerDependenciesMeta": {"x": {"optional": True}},
            "bundleDependencies": ["y"],
            "engines": {"node": ">=8"},
            "workspaces": {"packages": ["w/*"]},
        }
    )
    assert entry.version == "1.0.0" and entry.dev_optional and entry.in_bundle
    assert entry.bundle_dependencies == ("y",)
    assert entry.optional_peer_names() == frozenset({"x"})
    assert entry.workspaces == {"packages": ["w/*"]}
    assert not entry.extra


def test_entry_keeps_unknown_and_mistyped_fields() -> None:
    raw = {
        "version": "1.0.0",
        "dev": False,
        "engines": ["node >= 0.4"],
        "os": "linux",
        "custom": {"k": 1},
        "bin": {},
    }
    entry = entry_from_json(dict(raw))
    assert entry.dev is False and entry.engines == {} and entry.os == ()
    assert entry.extra == {
        "dev": False,
        "engines": ["node >= 0.4"],
        "os": "linux",
        "custom": {"k": 1},
        "bin": {},
    }
    assert entry_to_json(entry) == raw
    assert entry_to_json(entry._replace(version="2.0.0")) == {**raw, "version": "2.0.0"}


def test_entry_built_in_code_serialises_only_set_fields() -> None:
    entry = LockEntry(version="1.0.0", dev=True, dependencies={"b": "1"}, os=("linux",))
    assert entry_to_json(entry) == {
        "version": "1.0.0",
        "dev": True,
        "dependencies": {"b": "1"},
        "os": ["linux"],
    }


def test_lockfile_from_json_versions() -> None:
    lf = lockfile_from_json(V3)
    assert (lf.name, lf.version, lf.lockfile_version, lf.legacy) == ("p", "1.0.0", 3, None)
    assert lf.root is not None and lf.root.dependencies == {"a": "^1.0.0"}
    v1 = lockfile_from_json(
        {"name": "p", "dependencies": {"a": {"version": "1.0.0", "requires": {"b": "^1"}}}}
    )
    assert v1.lockfile_version == 1 and v1.legacy is not None
    assert v1.legacy["a"] == LegacyEntry(version="1.0.0", requires={"b": "^1"})


def test_lockfile_to_json_drops_sections_by_version() -> None:
    lf = lockfile_from_json(V3)
    assert "dependencies" not in lockfile_to_json(lf)
    v2 = lockfile_to_json(lf, lockfile_version=2)
    assert set(v2) == {"name", "version", "lockfileVersion", "requires", "packages", "dependencies"}
    v1 = lockfile_to_json(lf, lockfile_version=1)
    assert "packages" not in v1 and v1["lockfileVersion"] == 1
    hidden = lockfile_to_json(lf, lockfile_version=1, hidden=True)
    assert hidden["lockfileVersion"] == 3 and "" not in hidden["packages"]  # type: ignore[operator]


def test_empty_root_entry_is_not_written() -> None:
    lf = Lockfile(name="p", packages={"": LockEntry(), "node_modules/a": LockEntry(version="1.0.0")})
    assert list(lockfile_to_json(lf)["packages"]) == ["node_modules/a"]  # type: ignore[arg-type]


def test_format_lockfile_sorts_and_formats_like_npm() -> None:
    lf = Lockfile(
        name="p",
        version="1.0.0",
        packages={
            "node_modules/b": LockEntry(version="2.0.0", license="MIT", engines={"node": "*"}, cpu=("x64",)),
            "": LockEntry(name="p", version="1.0.0", dependencies={"b": "^2", "a": "^1"}),
            "node_modules/a": LockEntry(version="1.0.0", integrity="sha512-a", resolved="r", dev=True),
        },
        extra={"custom": True},
    )
    text = format_lockfile(lf)
    data = json.loads(text)
    assert list(data) == ["name", "version", "lockfileVersion", "requires", "custom", "packages"]
    assert list(data["packages"]) == ["", "node_modules/a", "node_modules/b"]
    assert list(data["packages"]["node_modules/a"]) == ["version", "resolved", "integrity", "dev"]
    assert list(data["packages"]["node_modules/b"]) == ["version", "cpu", "license", "engines"]
    assert list(data["packages"][""]["dependencies"]) == ["a", "b"]
    assert text.endswith("}\n") and text.startswith('{\n  "name"')
    tabs = format_lockfile(lf, indent="\t", newline="\r\n")
    assert tabs.startswith('{\r\n\t"name": "p",\r\n') and tabs.endswith("}\r\n")
    assert format_lockfile(lf, indent="") == text  # an empty indent means the default
    compact = format_lockfile(lf, compact=True)
    assert "\n" not in compact and compact.startswith('{"name":"p"')


def test_parse_lockfile_remembers_format_and_version() -> None:
    text = format_lockfile(lockfile_from_json(V3), indent="    ", newline="\r\n")
    doc = parse_lockfile("\ufeff" + text)
    assert (doc.indent, doc.newline, doc.original_version) == ("    ", "\r\n", 3)
    assert format_lockfile(doc.lockfile, indent=doc.indent, newline=doc.newline) == text


@pytest.mark.parametrize("bad", ["[]", "{", "null"])
def test_parse_lockfile_rejects_non_objects(bad: str) -> None:
    with pytest.raises(SnpmError) as info:
        parse_lockfile(bad)
    assert info.value.code == "EJSONPARSE"


def test_legacy_section_kept_from_file_is_written_as_is() -> None:
    text = json.dumps(
        {
            "name": "p",
            "lockfileVersion": 2,
            "requires": True,
            "packages": {"": {"name": "p"}},
            "dependencies": {"a": {"version": "1.0.0", "custom": 1, "requires": {}}},
        },
        indent=2,
    )
    doc = parse_lockfile(text + "\n")
    assert doc.lockfile.legacy is not None and doc.lockfile.legacy["a"].requires is None
    assert format_lockfile(doc.lockfile) == text + "\n"


CONFLICTED = """{
  "name": "p",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
<<<<<<< HEAD
    "node_modules/a": {
      "version": "1.1.0"
    },
||||||| base
    "node_modules/a": {
      "version": "1.0.0"
    },
=======
    "node_modules/a": {
      "version": "1.0.0",
      "dev": true
    },
    "node_modules/b": {
      "version": "2.0.0"
    },
>>>>>>> theirs
    "node_modules/c": {
      "version": "3.0.0"
    }
  }
}
"""


def test_merge_conflicts_are_resolved_like_npm() -> None:
    doc = parse_lockfile(CONFLICTED)
    packages = doc.lockfile.packages
    # ours' change (a → 1.1.0) replayed onto theirs (which added b and a dev flag)
    assert packages["node_modules/a"] == LockEntry(version="1.1.0", dev=True)
    assert packages["node_modules/b"].version == "2.0.0" and packages["node_modules/c"].version == "3.0.0"
    # the pieces are joined into one line, so npm remembers no indent: writing uses the defaults
    assert (doc.indent, doc.newline) == ("", "")
    assert format_lockfile(doc.lockfile, indent=doc.indent, newline=doc.newline).startswith(
        '{\n  "name": "p"'
    )


def test_conflict_without_base_section_is_invalid() -> None:
    text = "<<<<<<< a\n{}\n=======\n{}\n>>>>>>> b\n"
    with pytest.raises(SnpmError) as info:
        parse_lockfile(text)
    assert info.value.code == "EJSONPARSE"
