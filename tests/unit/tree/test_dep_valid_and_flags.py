"""dep-valid.js and calc-dep-flags.js / optional-set.js."""

from __future__ import annotations

import pytest

from snpm.tree import Link, Node, calc_dep_flags, optional_set
from snpm.tree.dep_valid import dep_valid


def _root() -> Node:
    return Node(path="/p", pkg={"name": "root"})


@pytest.mark.parametrize(
    ("version", "spec", "valid"),
    [
        ("1.2.3", "^1.0.0", True),
        ("2.0.0", "^1.0.0", False),
        ("1.0.0-beta.1", "*", True),
        ("1.0.0-beta.1", "^1.0.0-alpha", True),
        ("1.0.0-beta.1", ">=0.9.0", False),
        ("1.2.3", "", True),
        ("1.2.3", "1.2.3", True),
        ("1.2.3", "npm:foo@^1", True),
        ("1.2.3", "npm:foo@^2", False),
    ],
)
def test_registry_specs(version: str, spec: str, valid: bool) -> None:
    root = _root()
    child = Node(name="foo", pkg={"name": "foo", "version": version}, parent=root)
    assert dep_valid(child, spec, None, root) is valid


def test_tag_needs_a_registry_tarball() -> None:
    root = _root()
    child = Node(
        pkg={"name": "foo", "version": "1.0.0"}, parent=root, resolved="https://r.test/foo/-/foo-1.0.0.tgz"
    )
    assert dep_valid(child, "latest", None, root)
    child.resolved = None
    assert not dep_valid(child, "latest", None, root)


def test_accept_dependencies() -> None:
    root = _root()
    child = Node(pkg={"name": "foo", "version": "2.0.0"}, parent=root)
    assert not dep_valid(child, "^1", None, root)
    assert dep_valid(child, "^1", "^2", root)


def test_files_folders_and_urls() -> None:
    root = _root()
    tarball = Node(pkg={"name": "t", "version": "1.0.0"}, parent=root, resolved="file:/p/vendor/t.tgz")
    assert dep_valid(tarball, "file:vendor/t.tgz", None, root)
    assert not dep_valid(tarball, "file:vendor/other.tgz", None, root)
    remote = Node(pkg={"name": "r", "version": "1.0.0"}, parent=root, resolved="https://x.test/r.tgz")
    assert dep_valid(remote, "https://x.test/r.tgz", None, root)
    link = Link(name="l", parent=root, realpath="/p/libs/l", pkg={"name": "l", "version": "1.0.0"})
    assert dep_valid(link, "file:libs/l", None, root)
    assert not dep_valid(link, "file:libs/other", None, root)


def test_unparsable_spec_records_an_error() -> None:
    root = _root()
    child = Node(pkg={"name": "foo", "version": "1.0.0"}, parent=root)
    assert not dep_valid(child, "link:../foo", None, root)
    assert root.errors


def _flags(node: Node) -> tuple[bool, bool, bool, bool, bool]:
    return node.dev, node.optional, node.dev_optional, node.peer, node.extraneous


def test_calc_dep_flags() -> None:
    root = Node(
        path="/p",
        pkg={
            "dependencies": {"prod": "1"},
            "devDependencies": {"dev": "1"},
            "optionalDependencies": {"opt": "1"},
            "peerDependencies": {"peer": "1"},
        },
    )
    for name, deps in {
        "prod": {},
        "dev": {"shared": "1"},
        "opt": {"shared": "1"},
        "peer": {},
        "shared": {},
        "loose": {},
    }.items():
        Node(pkg={"name": name, "version": "1.0.0", "dependencies": deps}, parent=root)
    calc_dep_flags(root)
    got = {n.name: _flags(n) for n in root.inventory.values() if n is not root}
    assert got == {
        "prod": (False, False, False, False, False),
        "dev": (True, False, False, False, False),
        "opt": (False, True, False, False, False),
        "peer": (False, False, False, True, False),
        "shared": (False, False, True, False, False),
        "loose": (True, True, True, True, True),
    }


def test_optional_set() -> None:
    root = Node(path="/p", pkg={"optionalDependencies": {"a": "1"}, "dependencies": {"keep": "1"}})
    a = Node(pkg={"name": "a", "version": "1.0.0", "dependencies": {"b": "1", "keep": "1"}}, parent=root)
    b = Node(pkg={"name": "b", "version": "1.0.0", "dependencies": {"c": "1"}}, parent=root)
    c = Node(pkg={"name": "c", "version": "1.0.0"}, parent=root)
    Node(pkg={"name": "keep", "version": "1.0.0"}, parent=root)
    calc_dep_flags(root)
    assert set(optional_set(b)) == {a, b, c}
