"""After a filtered reify the ideal tree is made to describe what is on disk (arborist reify.js)."""

from __future__ import annotations

from pathlib import Path

from snpm.json_types import JsonObject
from snpm.ops.reify_filtered import keep_unfiltered
from snpm.tree.node import Node


def _root(path: str, deps: JsonObject) -> Node:
    return Node(
        path=path,
        realpath=path,
        pkg={"name": "root", "version": "1.0.0", "dependencies": deps},
        extraneous=False,
        dev=False,
        dev_optional=False,
        optional=False,
        peer=False,
    )


def test_outside_the_filter_the_actual_tree_wins(tmp_path: Path) -> None:
    path = str(tmp_path)
    deps: JsonObject = {"a": "^2.0.0", "b": "^1.0.0", "c": "^1.0.0"}
    ideal = _root(path, deps)
    actual = _root(path, deps)
    ideal_a = Node(path=f"{path}/node_modules/a", pkg={"name": "a", "version": "2.0.0"}, parent=ideal)
    Node(path=f"{path}/node_modules/b", pkg={"name": "b", "version": "1.1.0"}, parent=ideal)
    Node(path=f"{path}/node_modules/c", pkg={"name": "c", "version": "1.0.0"}, parent=ideal)
    Node(path=f"{path}/node_modules/a", pkg={"name": "a", "version": "1.0.0"}, parent=actual)
    Node(path=f"{path}/node_modules/b", pkg={"name": "b", "version": "1.0.0"}, parent=actual)
    keep_unfiltered(ideal, actual, {id(ideal), id(ideal_a)})
    versions = {loc: node.version for loc, node in ideal.inventory.items() if loc}
    # a was in the filter (changed); b stays as on disk; c was never installed
    assert versions == {"node_modules/a": "2.0.0", "node_modules/b": "1.0.0"}
    b = ideal.children.get("b")
    assert b is not None and not b.extraneous


def test_an_empty_filter_changes_nothing(tmp_path: Path) -> None:
    path = str(tmp_path)
    ideal = _root(path, {"c": "1"})
    actual = _root(path, {})
    Node(path=f"{path}/node_modules/c", pkg={"name": "c", "version": "1.0.0"}, parent=ideal)
    keep_unfiltered(ideal, actual, set())
    assert ideal.inventory.get("node_modules/c") is not None
