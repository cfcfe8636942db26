"""The RFC's pin-mismatch table as snpm.ops.allow_scripts_writer applies it (expectations are what
npm 11.19's allow-scripts-writer.js gives for the same rows; tests/e2e checks many more against it)."""

from __future__ import annotations

from typing import Any

import pytest

from snpm.lifecycle import BuildNode
from snpm.ops.allow_scripts_writer import (
    Change,
    apply_approval_for_package,
    apply_deny_for_package,
    is_single_version_pin,
    key_targets_node,
    name_key_for,
    resolved_source_specs,
    versioned_key_for,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def registry(name: str, version: str, *, path: str = "") -> BuildNode:
    base = name.rsplit("/", 1)[-1]
    return BuildNode(
        path=path or f"/p/node_modules/{name}",
        package={"name": name, "version": version},
        resolved=f"https://r.example/{name}/-/{base}-{version}.tgz",
    )


CANVAS2 = registry("canvas", "2.11.2")
CANVAS1 = registry("canvas", "1.0.0", path="/p/node_modules/x/node_modules/canvas")
NO_RESOLVED = BuildNode(
    path="/p/node_modules/canvas",
    package={"name": "canvas", "version": "2.11.2"},
    edges_in=(("canvas", "^2"),),
)
FORGED = BuildNode(
    path="/p/node_modules/canvas",
    package={"name": "canvas", "version": "1.0.0"},
    resolved="https://r.example/naughty/-/naughty-1.0.0.tgz",
)
GIT = BuildNode(
    path="/p/node_modules/x", package={"name": "x"}, resolved=f"git+ssh://git@github.com/user/x.git#{SHA}"
)
PLAIN_GIT = BuildNode(
    path="/p/node_modules/x", package={"name": "x"}, resolved=f"git+https://git.example/x.git#{SHA}"
)
LINK_TARGET = BuildNode(path="/p/dep", realpath="/p/dep", package={"name": "dep"}, links_in=("file:../dep",))


def changes(*pairs: tuple[str, str]) -> tuple[Change, ...]:
    return tuple(Change(key, change) for key, change in pairs)


def test_keys_come_from_trusted_sources_only() -> None:
    assert (name_key_for(CANVAS2), versioned_key_for(CANVAS2)) == ("canvas", "canvas@2.11.2")
    # the tarball says "canvas", the registry URL says "naughty": the URL wins
    assert (name_key_for(FORGED), versioned_key_for(FORGED)) == ("naughty", "naughty@1.0.0")
    # no resolved URL: the name from the dependency edge, and no version to pin
    assert (name_key_for(NO_RESOLVED), versioned_key_for(NO_RESOLVED)) == ("canvas", None)
    assert (name_key_for(GIT), versioned_key_for(GIT)) == ("github:user/x", f"github:user/x#{SHA}")
    assert (name_key_for(PLAIN_GIT), versioned_key_for(PLAIN_GIT)) == (None, None)
    assert resolved_source_specs(LINK_TARGET) == ["file:../dep", "/p/dep"]
    assert (name_key_for(LINK_TARGET), versioned_key_for(LINK_TARGET)) == ("file:../dep", "file:../dep")


def test_an_unreadable_mirror_url_leaves_a_breadcrumb() -> None:
    node = BuildNode(path="/p/node_modules/c", package={"name": "c"}, resolved="https://m.example/get?c")
    said: list[tuple[str, str]] = []
    assert versioned_key_for(node, lambda title, message: said.append((title, message))) is None
    assert said == [
        (
            "install-scripts",
            "unable to derive trusted versioned key for /p/node_modules/c (resolved: https://m.example/get?c); "
            "key will be pruned on next save",
        )
    ]


@pytest.mark.parametrize(
    ("key", "targets"),
    [
        ("canvas", True),
        ("canvas@1.0.0", True),
        ("canvas@latest", True),
        ("canvas@^2", True),
        ("other", False),
        ("npm:canvas@2.11.2", False),
        ("@@bad", False),
    ],
)
def test_registry_keys_target_by_trusted_name(key: str, targets: bool) -> None:
    assert key_targets_node(key, CANVAS2) is targets


def test_git_keys_target_the_repository_whatever_the_commit() -> None:
    assert key_targets_node("github:user/x#abcdef0", GIT)
    assert not key_targets_node("github:user/y", GIT)


def test_single_version_pins() -> None:
    assert is_single_version_pin("canvas@2.11.2")
    assert not is_single_version_pin("canvas@2.11.1 || 2.11.2")
    assert not is_single_version_pin("canvas")


@pytest.mark.parametrize(
    ("existing", "nodes", "pin", "policy", "expected"),
    [
        ({}, [CANVAS2], True, {"canvas@2.11.2": True}, [("canvas@2.11.2", "added")]),
        (
            {"canvas": True, "canvas@0.9.0": True},
            [CANVAS2, CANVAS1],
            True,
            {"canvas@2.11.2": True, "canvas@1.0.0": True},
            [
                ("canvas@0.9.0", "removed-stale"),
                ("canvas@2.11.2", "added"),
                ("canvas@1.0.0", "added"),
                ("canvas", "replaced-by-pin"),
            ],
        ),
        # a multi-version statement is intent the command cannot infer: left alone
        (
            {"canvas@2.11.1 || 2.11.2": True},
            [CANVAS2],
            True,
            {"canvas@2.11.1 || 2.11.2": True, "canvas@2.11.2": True},
            [("canvas@2.11.2", "added")],
        ),
        ({"canvas@2.11.2": True, "x": 1}, [CANVAS2], False, {"x": 1, "canvas": True}, [("canvas", "added")]),
        ({"canvas": True}, [CANVAS2], False, {"canvas": True}, []),
    ],
)
def test_approval(
    existing: dict[str, Any],
    nodes: list[BuildNode],
    pin: bool,
    policy: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    edit = apply_approval_for_package(existing, nodes, pin=pin)
    assert edit.allow_scripts == policy
    assert list(edit.allow_scripts) == list(policy)
    assert edit.changes == changes(*expected)
    assert edit.warning is None


def test_deny_wins_over_an_approval() -> None:
    edit = apply_approval_for_package({"canvas": False}, [CANVAS2])
    assert (edit.allow_scripts, edit.changes) == ({"canvas": False}, ())
    assert edit.warning == "canvas is denied; remove the entry from allowScripts to approve canvas."
    edit = apply_approval_for_package({"canvas@1.0.0": False}, [CANVAS2, CANVAS1])
    assert edit.warning == (
        "canvas@1.0.0 is a versioned deny; run `npm install-scripts deny canvas` to widen the deny to all "
        "versions of canvas, or remove the entry to approve canvas."
    )


def test_a_node_without_resolved_is_approved_by_name() -> None:
    edit = apply_approval_for_package({"canvas@2.11.2": True}, [NO_RESOLVED])
    assert edit.allow_scripts == {"canvas": True}
    assert edit.changes == changes(("canvas@2.11.2", "removed-pinned-allow"), ("canvas", "added"))
    assert edit.warning is not None and edit.warning.startswith("canvas: approved by name (all versions)")
    assert apply_approval_for_package({"canvas": True}, [NO_RESOLVED]).warning is None


def test_deny_is_name_only_and_drops_the_other_entries() -> None:
    edit = apply_deny_for_package({"canvas@2.11.2": True, "canvas@^1": True, "x": True}, [CANVAS2])
    assert edit.allow_scripts == {"x": True, "canvas": False}
    assert edit.changes == changes(
        ("canvas@2.11.2", "removed-pinned-allow"), ("canvas@^1", "removed-pinned-allow"), ("canvas", "added")
    )
    assert apply_deny_for_package({"canvas": False}, [CANVAS2]).changes == ()
    assert apply_deny_for_package({}, [PLAIN_GIT]).changes == ()


def test_the_input_map_is_never_changed() -> None:
    existing = {"canvas": True}
    apply_approval_for_package(existing, [CANVAS2])
    apply_deny_for_package(existing, [CANVAS2])
    assert existing == {"canvas": True}
