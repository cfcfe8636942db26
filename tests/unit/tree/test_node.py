"""Node, Link and Edge: the tree model and its setters (arborist node.js, link.js, edge.js)."""

from __future__ import annotations

import pytest

from snpm.errors import SnpmError
from snpm.tree import Edge, Link, Node
from snpm.tree.cimap import CIMap


def tree() -> Node:
    root = Node(path="/p", pkg={"name": "root", "version": "1.0.0", "dependencies": {"a": "^1", "b": "^2"}})
    a = Node(pkg={"name": "a", "version": "1.0.0", "dependencies": {"b": "^1"}}, parent=root)
    Node(pkg={"name": "b", "version": "2.0.0"}, parent=root)
    Node(pkg={"name": "b", "version": "1.0.0"}, parent=a)
    return root


def test_locations_paths_and_inventory() -> None:
    root = tree()
    assert root.inventory.keys() == ["", "node_modules/a", "node_modules/b", "node_modules/a/node_modules/b"]
    nested = root.inventory.get("node_modules/a/node_modules/b")
    assert nested is not None
    assert nested.path == "/p/node_modules/a/node_modules/b"
    assert nested.depth == 2 and nested.top is root and not nested.is_top
    assert [n.location for n in root.inventory.query("name", "b")] == [
        "node_modules/b",
        "node_modules/a/node_modules/b",
    ]
    assert root.name == "p" and root.package_name == "root" and root.is_project_root


def test_edges_resolve_to_the_nearest_node() -> None:
    root = tree()
    a = root.children.get("a")
    assert a is not None
    edge = a.edges_out.get("b")
    assert edge is not None and edge.valid
    assert edge.to is not None and edge.to.location == "node_modules/a/node_modules/b"
    root_edge = root.edges_out.get("b")
    assert root_edge is not None and root_edge.to is not None and root_edge.to.version == "2.0.0"


def test_removing_a_node_reloads_the_edges_that_used_it() -> None:
    root = tree()
    nested = root.inventory.get("node_modules/a/node_modules/b")
    assert nested is not None
    nested.parent = None
    a = root.children.get("a")
    assert a is not None
    edge = a.edges_out.get("b")
    assert edge is not None and edge.to is root.children.get("b") and edge.error == "INVALID"
    assert root.inventory.get("node_modules/a/node_modules/b") is None
    assert nested.root is nested and nested.location == ""


def test_moving_a_node_takes_its_children_along() -> None:
    root = tree()
    a = root.children.get("a")
    other = Node(pkg={"name": "c", "version": "1.0.0"}, parent=root)
    assert a is not None
    a.parent = other
    assert a.location == "node_modules/c/node_modules/a"
    assert root.inventory.get("node_modules/c/node_modules/a/node_modules/b") is not None


def test_missing_and_optional_edges() -> None:
    root = Node(path="/p", pkg={"dependencies": {"x": "1"}, "optionalDependencies": {"y": "1"}})
    x, y = root.edges_out.get("x"), root.edges_out.get("y")
    assert x is not None and x.missing and x.error == "MISSING"
    assert y is not None and y.valid and y.type == "optional"


def test_dep_types_and_precedence() -> None:
    root = Node(
        path="/p",
        pkg={
            "dependencies": {"a": "1", "o": "1"},
            "devDependencies": {"a": "2", "d": "1"},
            "optionalDependencies": {"o": "2"},
            "peerDependencies": {"p": "1", "q": "1"},
            "peerDependenciesMeta": {"q": {"optional": True}},
        },
    )
    types = {name: (edge.type, edge.spec) for name, edge in root.edges_out.items()}
    # optionalDependencies win over dependencies (normalisation), dev is loaded last and wins
    assert types == {
        "p": ("peer", "1"),
        "q": ("peerOptional", "1"),
        "a": ("dev", "2"),
        "o": ("optional", "2"),
        "d": ("dev", "1"),
    }
    child = Node(pkg={"name": "c", "version": "1.0.0", "devDependencies": {"z": "1"}}, parent=root)
    assert not child.edges_out.has("z")  # only tops load devDependencies


def test_peer_local_edge() -> None:
    root = Node(path="/p", pkg={"dependencies": {"a": "1"}})
    a = Node(pkg={"name": "a", "version": "1.0.0", "peerDependencies": {"p": "1"}}, parent=root)
    Node(pkg={"name": "p", "version": "1.0.0"}, parent=a)
    edge = a.edges_out.get("p")
    assert edge is not None and edge.error == "PEER LOCAL"


def test_legacy_peer_deps_makes_no_peer_edges() -> None:
    node = Node(path="/p", pkg={"peerDependencies": {"p": "1"}}, legacy_peer_deps=True)
    assert not node.edges_out.has("p")


def test_links_and_targets() -> None:
    root = Node(path="/p", pkg={"name": "root", "dependencies": {"w": "file:packages/w"}})
    link = Link(name="w", parent=root, realpath="/p/packages/w", pkg={"name": "w", "version": "1.0.0"})
    assert link.is_link and link.target.location == "packages/w"
    assert link.target.fs_parent is root
    assert link.resolved == "file:../packages/w"
    assert link.version == "1.0.0" and link.target.links_in == {link: None}
    edge = root.edges_out.get("w")
    assert edge is not None and edge.valid
    assert len(link.children) == 0


def test_replace_keeps_children() -> None:
    root = tree()
    a = root.children.get("a")
    assert a is not None
    newer = Node(pkg={"name": "a", "version": "1.1.0", "dependencies": {"b": "^1"}})
    newer.replace(a)
    assert root.children.get("a") is newer
    assert newer.children.get("b") is not None
    assert a.root is a


def test_matches_and_satisfies() -> None:
    root = tree()
    b = root.children.get("b")
    assert b is not None
    assert b.satisfies("b@^2") and not b.satisfies("b@^1") and not b.satisfies("c@*")
    twin = Node(path="/q/node_modules/b", pkg={"name": "b", "version": "2.0.0"})
    assert b.matches(twin)
    twin.integrity = "sha512-x"
    b.integrity = "sha512-y"
    assert not b.matches(twin)


def test_can_dedupe_and_can_replace() -> None:
    root = tree()
    nested = root.inventory.get("node_modules/a/node_modules/b")
    top_b = root.children.get("b")
    assert nested is not None and top_b is not None
    assert not nested.can_dedupe()  # the root's b@2 does not satisfy a's ^1
    assert not top_b.can_replace(nested)
    same = Node(pkg={"name": "b", "version": "1.0.0"}, parent=root)
    assert nested.can_dedupe()
    assert same.location == "node_modules/b"


def test_flags_and_should_omit() -> None:
    root = tree()
    a = root.children.get("a")
    assert a is not None
    a.unset_dep_flags()
    a.dev = True
    assert a.should_omit(frozenset({"dev"})) and not a.should_omit(frozenset({"optional"}))
    a.reset_dep_flags()
    assert a.extraneous and a.peer and a.dev_optional
    a.unset_dep_flags()
    assert not (a.extraneous or a.peer or a.dev or a.optional or a.dev_optional)


def test_bundled_nodes() -> None:
    root = Node(path="/p", pkg={"dependencies": {"a": "1"}})
    a = Node(
        pkg={"name": "a", "version": "1.0.0", "dependencies": {"x": "1"}, "bundleDependencies": ["x"]},
        parent=root,
    )
    x = Node(pkg={"name": "x", "version": "1.0.0", "dependencies": {"y": "1"}}, parent=a)
    y = Node(pkg={"name": "y", "version": "1.0.0"}, parent=a)
    assert x.in_bundle and x.in_dep_bundle and x.get_bundler() is a
    assert y.in_bundle  # bundled by way of x
    assert not a.in_bundle


def test_pkgid_and_alias() -> None:
    root = Node(path="/p", pkg={"name": "proj", "version": "1.0.0"})
    alias = Node(name="my-num", pkg={"name": "is-number", "version": "6.0.0"}, parent=root)
    assert alias.pkgid == "my-num@npm:is-number@6.0.0"
    assert root.pkgid == "proj@1.0.0"


def test_explain() -> None:
    root = tree()
    nested = root.inventory.get("node_modules/a/node_modules/b")
    assert nested is not None
    why = nested.explain()
    assert why["name"] == "b" and why["location"] == "node_modules/a/node_modules/b"
    dependents = why["dependents"]
    assert isinstance(dependents, list) and len(dependents) == 1
    assert dependents[0]["spec"] == "^1"  # type: ignore[index]


def test_package_setter_reloads_edges() -> None:
    root = tree()
    root.package = {"name": "root", "dependencies": {"b": "^1"}}
    assert list(root.edges_out.keys()) == ["b"]
    edge = root.edges_out.get("b")
    assert edge is not None and edge.invalid


def test_edge_validation() -> None:
    root = Node(path="/p")
    with pytest.raises(TypeError):
        Edge(from_=root, name="x", spec="1", type="bogus")
    with pytest.raises(TypeError):
        Edge(from_=root, name="x", spec="^1", type="workspace")
    edge = Edge(from_=root, name="x", spec="1", type="prod")
    edge.detach()
    assert edge.error == "DETACHED" and edge.from_ is None and not root.edges_out.has("x")


def test_root_override_conflict() -> None:
    root = Node(
        path="/p", pkg={"dependencies": {"a": "^1"}, "overrides": {"a": "2.0.0"}}, load_overrides=True
    )
    with pytest.raises(SnpmError) as err:
        root.assert_root_overrides()
    assert err.value.code == "EOVERRIDE"


def test_case_insensitive_children() -> None:
    names: CIMap[int] = CIMap()
    names.set("Foo", 1)
    assert names.get("foo") == 1 and names.has("FOO")
    names.set("foo", 2)
    assert names.items() == [("foo", 2)]
    assert names.delete("FOO") and len(names) == 0
