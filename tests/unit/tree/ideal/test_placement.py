"""PlaceDep / CanPlaceDep on hand-built trees (place-dep.js, can-place-dep.js)."""

from __future__ import annotations

from typing import Any

import pytest

from snpm.tree import EresolveError, Node
from snpm.tree.ideal.can_place import CONFLICT, KEEP, OK, REPLACE, CanPlaceDep, deepest_nesting_target
from snpm.tree.ideal.placement import PlaceDep


def _candidate(source: Node, name: str, version: str, **pkg: Any) -> Node:
    """A candidate the way the builder makes one: inside a virtual root for `source`."""
    vr = Node(path=source.realpath, source_reference=source)
    return Node(name=name, pkg={"name": name, "version": version, **pkg}, parent=vr)


def _root(**deps: str) -> Node:
    return Node(path="/p", pkg={"name": "root", "dependencies": deps})


def test_places_at_the_shallowest_spot_without_conflict() -> None:
    root = _root(a="1")
    a = Node(pkg={"name": "a", "version": "1.0.0", "dependencies": {"c": "^1"}}, parent=root)
    edge = a.edges_out.get("c")
    assert edge is not None
    placement = PlaceDep(dep=_candidate(a, "c", "1.0.0"), edge=edge)
    assert placement.placed is not None and placement.placed.location == "node_modules/c"
    assert edge.valid


def test_conflict_above_nests_below() -> None:
    root = _root(a="1", c="^2")
    a = Node(pkg={"name": "a", "version": "1.0.0", "dependencies": {"c": "^1"}}, parent=root)
    Node(pkg={"name": "c", "version": "2.0.0"}, parent=root)
    edge = a.edges_out.get("c")
    assert edge is not None and edge.invalid
    placement = PlaceDep(dep=_candidate(a, "c", "1.0.0"), edge=edge)
    assert placement.placed is not None and placement.placed.location == "node_modules/a/node_modules/c"


def test_can_place_answers() -> None:
    root = _root(a="1")
    a = Node(pkg={"name": "a", "version": "1.0.0", "dependencies": {"c": "^1"}}, parent=root)
    current = Node(pkg={"name": "c", "version": "1.0.0"}, parent=root)
    edge = a.edges_out.get("c")
    assert edge is not None
    same = _candidate(a, "c", "1.0.0")
    assert CanPlaceDep(dep=same, target=root, edge=edge).can_place is KEEP
    newer = _candidate(a, "c", "1.1.0")
    assert CanPlaceDep(dep=newer, target=root, edge=edge).can_place is REPLACE
    assert CanPlaceDep(dep=newer, target=a, edge=edge).can_place is OK
    a.package = {"name": "a", "version": "1.0.0", "dependencies": {"c": "^2"}}
    root.package = {"name": "root", "dependencies": {"a": "1", "c": "1.0.0"}}
    wanted = a.edges_out.get("c")
    assert wanted is not None and current.version == "1.0.0"
    conflicting = _candidate(a, "c", "2.0.0")
    assert CanPlaceDep(dep=conflicting, target=root, edge=wanted).can_place is CONFLICT
    assert CanPlaceDep(dep=conflicting, target=a, edge=wanted).can_place is OK


def test_deepest_nesting_target_skips_peer_dependents() -> None:
    root = _root(a="1")
    a = Node(pkg={"name": "a", "version": "1.0.0", "peerDependencies": {"p": "1"}}, parent=root)
    b = Node(pkg={"name": "b", "version": "1.0.0", "dependencies": {"p": "1"}}, parent=a)
    assert deepest_nesting_target(a, "p") is root
    assert deepest_nesting_target(b, "p") is b


def test_keep_prunes_a_deeper_duplicate() -> None:
    root = _root(a="1", c="^1")
    a = Node(pkg={"name": "a", "version": "1.0.0", "dependencies": {"c": "^1"}}, parent=root)
    Node(pkg={"name": "c", "version": "1.0.0"}, parent=a)
    top = Node(pkg={"name": "c", "version": "1.0.0"}, parent=root)
    edge = root.edges_out.get("c")
    assert edge is not None
    PlaceDep(dep=_candidate(root, "c", "1.0.0"), edge=edge, explicit_request=True)
    assert root.inventory.get("node_modules/a/node_modules/c") is None
    assert root.children.get("c") is not top  # replaced on an explicit request


def test_root_peer_conflict_is_eresolve() -> None:
    root = _root(a="1", p="^2")
    Node(pkg={"name": "p", "version": "2.0.0"}, parent=root)
    a = Node(pkg={"name": "a", "version": "1.0.0"}, parent=root)
    vr = Node(path=root.realpath, source_reference=root)
    dep = Node(name="a", pkg={"name": "a", "version": "1.1.0", "peerDependencies": {"p": "^1"}}, parent=vr)
    Node(name="p", pkg={"name": "p", "version": "1.0.0"}, parent=vr)
    edge = root.edges_out.get("a")
    assert edge is not None and a is edge.to
    with pytest.raises(EresolveError) as err:
        PlaceDep(dep=dep, edge=edge, explicit_request=True)
    assert err.value.message == "could not resolve"
    warned: list[str] = []
    PlaceDep(dep=dep, edge=edge, explicit_request=True, force=True, warn=lambda t, m, e: warned.append(m))
    assert warned == ["overriding peer dependency"]
