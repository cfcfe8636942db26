"""override-set.js: rules, key ranges, nesting, and comparing sets."""

from __future__ import annotations

from snpm.tree import Node
from snpm.tree.ideal.overrides import OverrideSet


def test_rules_and_key_specs() -> None:
    root = OverrideSet({"foo": "1.0.0", "bar@^2": {".": "2.1.0", "baz": "3"}, "qux": {"quux": ""}})
    foo, bar, qux = root.children["foo"], root.children["bar@^2"], root.children["qux"]
    assert (foo.name, foo.key_spec, foo.value) == ("foo", "*", "1.0.0")
    assert (bar.name, bar.key_spec, bar.value) == ("bar", "^2", "2.1.0")
    assert bar.children["baz"].value == "3"
    assert qux.children["quux"].value == "*"
    assert list(bar.ruleset) == ["baz", "bar@^2", "foo", "qux"]


def _edge_rule(overrides: dict[str, object], spec: str) -> str | None:
    root = Node(path="/p", pkg={"dependencies": {"x": "1"}, "overrides": overrides}, load_overrides=True)
    child = Node(pkg={"name": "x", "version": "1.0.0", "dependencies": {"dep": spec}}, parent=root)
    edge = child.edges_out.get("dep")
    assert edge is not None
    return edge.spec


def test_edges_take_the_override() -> None:
    assert _edge_rule({"dep": "2.0.0"}, "^1.0.0") == "2.0.0"
    assert _edge_rule({"dep@^1": "2.0.0"}, "^1.0.0") == "2.0.0"
    assert _edge_rule({"dep@^3": "2.0.0"}, "^1.0.0") == "^1.0.0"
    assert _edge_rule({"dep@^3": "2.0.0"}, "latest") == "2.0.0"
    assert _edge_rule({"x": {"dep": "9.9.9"}}, "^1.0.0") == "9.9.9"
    assert _edge_rule({"other": {"dep": "9.9.9"}}, "^1.0.0") == "^1.0.0"


def test_reference_values() -> None:
    root = Node(
        path="/p",
        pkg={"dependencies": {"x": "1", "dep": "^4.1.0"}, "overrides": {"dep": "$dep"}},
        load_overrides=True,
    )
    child = Node(pkg={"name": "x", "version": "1.0.0", "dependencies": {"dep": "^1"}}, parent=root)
    edge = child.edges_out.get("dep")
    assert edge is not None and edge.spec == "^4.1.0" and edge.raw_spec == "^1"


def test_specific_sets() -> None:
    root = OverrideSet({"a": {"b": "1"}, "c": {"b": "2"}})
    a, c = root.children["a"], root.children["c"]
    assert OverrideSet.find_specific_override_set(root, a) is a
    assert OverrideSet.find_specific_override_set(a, root) is a
    assert OverrideSet.find_specific_override_set(a, c) is None
    assert OverrideSet.do_override_sets_conflict(a, c)
    assert a.is_equal(OverrideSet({"a": {"b": "1"}, "c": {"b": "2"}}).children["a"])
