"""snpm.spec.kinds: the PackageSpec classes themselves."""

from __future__ import annotations

import pytest

from snpm.spec import AliasSpec, DirectorySpec, GitSpec, RegistrySpec, RemoteSpec


def test_registry_spec_derived_fields() -> None:
    spec = RegistrySpec(raw="@s/p@^1", name="@s/p", raw_spec="^1", type="range", fetch_spec="^1")
    assert spec.escaped_name == "@s%2fp"
    assert spec.scope == "@s"
    assert spec.registry is True
    assert spec.save_spec is None
    assert str(spec) == "@s/p@^1"


def test_to_string_falls_back_to_raw_spec_and_raw() -> None:
    nameless = RegistrySpec(raw="", name=None, raw_spec="", type="range", fetch_spec="")
    assert str(nameless) == ""
    alias = AliasSpec(
        raw="a@npm:b@1",
        name="a",
        raw_spec="npm:b@1",
        sub_spec=RegistrySpec(raw="b@1", name="b", raw_spec="1", type="range", fetch_spec="1"),
    )
    assert str(alias) == "a@npm:b@1"
    assert alias.type == "alias"
    assert alias.registry


def test_kinds_are_frozen_and_typed() -> None:
    remote = RemoteSpec(
        raw="x",
        name=None,
        raw_spec="https://h/x.tgz",
        save_spec="https://h/x.tgz",
        fetch_spec="https://h/x.tgz",
    )
    assert remote.type == "remote"
    assert not remote.registry
    with pytest.raises(AttributeError):
        remote.raw = "y"  # type: ignore[misc]
    git = GitSpec(raw="u/r", name=None, raw_spec="u/r", save_spec="github:u/r", fetch_spec=None)
    assert git.type == "git"
    assert git.hosted is None
    directory = DirectorySpec(
        raw=".", name=None, raw_spec=".", save_spec="file:", fetch_spec="/p", where="/p"
    )
    assert directory.type == "directory"
    assert str(directory) == "file:"
