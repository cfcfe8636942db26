"""diff(actual, ideal): npm's diff.js decisions on small trees built in memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from snpm.reify.nodes import bin_paths
from snpm.reify.plan import Action, diff_trees, get_action
from snpm.tree.link import Link
from snpm.tree.node import Node

ROOT = "/project"
SHA_A = "sha512-" + "A" * 86 + "=="
SHA_B = "sha512-" + "B" * 86 + "=="


def root(deps: Mapping[str, str] | None = None, **pkg: Any) -> Node:
    return Node(
        path=ROOT,
        realpath=ROOT,
        pkg={"name": "root", "version": "1.0.0", "dependencies": dict(deps or {}), **pkg},
    )


def child(
    parent: Node,
    name: str,
    version: str,
    *,
    integrity: str | None = SHA_A,
    resolved: str | None = None,
    **pkg: Any,
) -> Node:
    return Node(
        pkg={"name": name, "version": version, **pkg},
        parent=parent,
        integrity=integrity,
        resolved=resolved or f"https://registry.test/{name}/-/{name}-{version}.tgz",
        extraneous=False,
        dev=False,
        optional=False,
        dev_optional=False,
        peer=False,
    )


def never(_path: str) -> bool:
    return False


def always(_path: str) -> bool:
    return True


def test_identical_trees_have_nothing_to_do() -> None:
    actual, ideal = root({"a": "1"}), root({"a": "1"})
    child(actual, "a", "1.0.0")
    child(ideal, "a", "1.0.0")
    plan = diff_trees(actual, ideal, exists=always)
    assert plan.is_empty
    assert [n.location for n in plan.root.unchanged] == ["node_modules/a"]


def test_add_change_remove_by_location() -> None:
    actual, ideal = root(), root()
    child(actual, "kept", "1.0.0")
    child(ideal, "kept", "1.0.0")
    child(actual, "old", "1.0.0")
    child(actual, "bumped", "1.0.0")
    child(ideal, "bumped", "1.1.0", integrity=SHA_B)
    child(ideal, "new", "2.0.0")
    plan = diff_trees(actual, ideal, exists=always)
    assert plan.by_location() == {
        "node_modules/old": Action.REMOVE,
        "node_modules/bumped": Action.CHANGE,
        "node_modules/new": Action.ADD,
    }
    assert [d.actual.location for d in plan.removes if d.actual is not None] == ["node_modules/old"]
    assert plan.root.removed == [actual.children.get("old")]


@pytest.mark.parametrize(
    ("actual_kw", "ideal_kw", "bins_exist", "expected"),
    [
        # same integrity: nothing to do, unless a bin link is missing
        ({}, {}, True, None),
        ({}, {}, False, Action.CHANGE),
        # another integrity for the same version: the bits differ
        ({}, {"integrity": SHA_B}, True, Action.CHANGE),
        # integrity known only on one side: fetched again and locked down
        ({"integrity": None}, {}, True, Action.CHANGE),
        # neither has integrity: resolved decides (links, git, bundled)
        ({"integrity": None}, {"integrity": None}, True, None),
        (
            {"integrity": None, "resolved": "git+ssh://x#1"},
            {"integrity": None, "resolved": "git+ssh://x#2"},
            True,
            Action.CHANGE,
        ),
    ],
    ids=[
        "same",
        "bin-missing",
        "integrity-differs",
        "integrity-one-side",
        "no-integrity-same",
        "resolved-differs",
    ],
)
def test_what_counts_as_a_change(
    actual_kw: dict[str, Any], ideal_kw: dict[str, Any], bins_exist: bool, expected: Action | None
) -> None:
    actual, ideal = root(), root()
    a = child(actual, "a", "1.0.0", bin={"a": "cli.js"}, **actual_kw)
    b = child(ideal, "a", "1.0.0", bin={"a": "cli.js"}, **ideal_kw)
    assert get_action(a, b, always if bins_exist else never) is expected


def test_version_change_is_always_a_change() -> None:
    actual, ideal = root(), root()
    assert get_action(child(actual, "a", "1.0.0"), child(ideal, "a", "1.0.1"), always) is Action.CHANGE


def test_a_changed_parent_carries_its_unchanged_children() -> None:
    actual, ideal = root(), root()
    a1 = child(actual, "a", "1.0.0")
    child(a1, "b", "1.0.0")
    a2 = child(ideal, "a", "2.0.0", integrity=SHA_B)
    child(a2, "b", "1.0.0")
    child(a2, "c", "1.0.0")
    plan = diff_trees(actual, ideal, exists=always)
    (change,) = plan.root.children
    assert change.action is Action.CHANGE and change.node.location == "node_modules/a"
    # the nested addition is a child of the change, the unchanged b is moved back out of retirement
    assert [(d.action, d.node.location) for d in change.children] == [
        (Action.ADD, "node_modules/a/node_modules/c")
    ]
    assert [n.location for n in change.unchanged] == ["node_modules/a/node_modules/b"]
    assert [d.node.location for d in plan.root.leaves] == ["node_modules/a/node_modules/c"]


def test_changes_below_unchanged_nodes_rise_to_the_nearest_changed_ancestor() -> None:
    actual, ideal = root(), root()
    child(child(actual, "a", "1.0.0"), "b", "1.0.0")
    child(child(ideal, "a", "1.0.0"), "b", "1.1.0", integrity=SHA_B)
    plan = diff_trees(actual, ideal, exists=always)
    assert [d.node.location for d in plan.root.children] == ["node_modules/a/node_modules/b"]


def test_omitted_nodes_are_left_off_disk_and_reported() -> None:
    actual, ideal = root(), root()
    child(actual, "dev-dep", "1.0.0")
    dev = child(ideal, "dev-dep", "1.0.0")
    dev.dev = True
    new_dev = child(ideal, "other-dev", "1.0.0")
    new_dev.dev = True
    plan = diff_trees(actual, ideal, omit=["dev"], exists=always)
    assert plan.by_location() == {"node_modules/dev-dep": Action.REMOVE}
    assert {n.location for n in plan.omitted} == {"node_modules/dev-dep", "node_modules/other-dev"}
    # the plan does not touch the tree itself
    assert not dev.inert


def test_inert_nodes_count_as_absent() -> None:
    actual, ideal = root(), root()
    failed = child(ideal, "opt", "1.0.0")
    failed.inert = True
    assert diff_trees(actual, ideal, exists=always).is_empty


def test_bundled_children_arrive_with_their_bundler() -> None:
    actual, ideal = root(), root()
    bundler = child(ideal, "bund", "1.0.0", bundleDependencies=["h"], dependencies={"h": "^1"})
    child(bundler, "h", "1.0.0")
    plan = diff_trees(actual, ideal, exists=always)
    assert plan.by_location() == {"node_modules/bund": Action.ADD}


def test_unchanged_bundler_keeps_its_bundled_children() -> None:
    actual, ideal = root(), root()
    on_disk = child(actual, "bund", "1.0.0", bundleDependencies=["h"], dependencies={"h": "^1"})
    child(on_disk, "h", "1.0.0")
    child(ideal, "bund", "1.0.0", bundleDependencies=["h"], dependencies={"h": "^1"})
    plan = diff_trees(actual, ideal, exists=always)
    assert plan.is_empty
    assert [(c.location, b.location) for c, b in plan.bundled_moves] == [
        ("node_modules/bund/node_modules/h", "node_modules/bund")
    ]


def test_links_compare_by_target(tmp_path: Any) -> None:
    actual, ideal = root(), root()
    target_a = Node(path=f"{ROOT}/packages/w", pkg={"name": "w", "version": "1.0.0"}, fs_parent=actual)
    Link(path=f"{ROOT}/node_modules/w", realpath=target_a.path, parent=actual, target=target_a)
    target_i = Node(path=f"{ROOT}/packages/w", pkg={"name": "w", "version": "1.0.0"}, fs_parent=ideal)
    Link(path=f"{ROOT}/node_modules/w", realpath=target_i.path, parent=ideal, target=target_i)
    assert diff_trees(actual, ideal, exists=always).is_empty


def test_visit_order_is_treeverse_depth_last_child_first() -> None:
    actual, ideal = root(), root()
    for name in ("a", "b", "c"):
        child(ideal, name, "1.0.0")
    plan = diff_trees(actual, ideal, exists=always)
    assert [d.node.name for d in plan.diffs()] == ["c", "b", "a"]
    assert [d.node.name for d in plan.root.post_order(lambda d: True)][:-1] == ["a", "b", "c"]


def test_filter_nodes_limit_the_diff_to_a_workspace() -> None:
    actual, ideal = root(), root()
    child(actual, "outside", "1.0.0")
    ws_target = Node(
        path=f"{ROOT}/packages/w",
        pkg={"name": "w", "version": "1.0.0", "dependencies": {"d": "1"}},
        fs_parent=ideal,
    )
    ideal.package = {**ideal.package, "dependencies": {"w": "file:packages/w"}}
    link = Link(path=f"{ROOT}/node_modules/w", realpath=ws_target.path, parent=ideal, target=ws_target)
    child(ideal, "d", "1.0.0")
    plan = diff_trees(actual, ideal, filter_nodes=[link], exists=always)
    # "outside" is not in the filter set: left alone even though the ideal tree lacks it
    assert set(plan.by_location()) == {"node_modules/w", "node_modules/d"}


def test_bin_paths_follow_bin_links_get_paths() -> None:
    top = root()
    a = child(top, "a", "1.0.0", bin={"x": "cli.js"})
    nested = child(a, "b", "1.0.0", bin={"y": "y.js"})
    assert bin_paths(top) == []
    assert bin_paths(a) == [f"{ROOT}/node_modules/.bin/x"]
    assert bin_paths(nested) == [f"{ROOT}/node_modules/a/node_modules/.bin/y"]
