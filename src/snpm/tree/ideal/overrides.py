"""package.json `overrides`: arborist's OverrideSet (override-set.js).

The root's `overrides` become a tree of rules. A key is `name` or `name@range`; a string value
replaces the spec of matching edges, an object scopes nested rules to the subtree below that
package (its `"."` key overriding the package itself). A rule applies to an edge of the same name
when its key range is `*` or intersects the edge's own range (git `#semver:` ranges likewise); for
tags, files and folders it always applies. Rules are looked up from the most specific set outward
(`ruleset`). A value `$name` means the root package.json's spec for `name` (resolved by Edge.spec).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from snpm import semver
from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.spec import AliasSpec, GitSpec, PackageSpec, RegistrySpec, parse_spec

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["OverrideSet", "overrides_edge_in_added", "overrides_edge_in_removed", "spec_text"]


def spec_text(spec: PackageSpec) -> str:
    """npa's `toString()` of a spec whose name was blanked: its save/fetch/raw spec."""
    text = spec.save_spec or spec.fetch_spec or spec.raw_spec
    return text or spec.raw


def _intersects(a: str, b: str) -> bool:
    try:
        return semver.intersects(a, b)
    except TypeError:
        return False


class OverrideSet:
    """One level of the overrides tree. The root set has no `name`/`key`/`value`."""

    __slots__ = ("_ruleset", "children", "key", "key_spec", "name", "parent", "value")

    def __init__(
        self, overrides: JsonValue, *, key: str | None = None, parent: OverrideSet | None = None
    ) -> None:
        self.parent = parent
        self.children: dict[str, OverrideSet] = {}
        self.name: str | None = None
        self.key: str | None = None
        self.key_spec: str | None = None
        self.value: str | None = None
        self._ruleset: dict[str, OverrideSet] | None = None
        rules: dict[str, JsonValue]
        if isinstance(overrides, str):
            rules = {".": overrides}
        elif isinstance(overrides, dict):
            rules = dict(overrides)
        else:
            rules = {}
        if rules.get(".") == "":
            rules["."] = "*"
        if parent is not None:
            assert key is not None
            spec = parse_spec(key)
            if not spec.name:
                raise SnpmError(f"Override without name: {key}")
            self.name = spec.name
            self.key = key
            self.key_spec = spec_text(spec)
            dot = rules.get(".")
            self.value = dot if isinstance(dot, str) and dot else self.key_spec
        for child_key, child_rules in rules.items():
            if child_key == ".":
                continue
            child = OverrideSet(child_rules, key=child_key, parent=self)
            assert child.key is not None
            self.children[child.key] = child

    @classmethod
    def from_package(cls, pkg: Mapping[str, JsonValue]) -> OverrideSet | None:
        """The root set for a package's `overrides` (None when there are none)."""
        overrides = pkg.get("overrides")
        if isinstance(overrides, dict) and overrides:
            return cls(overrides)
        return None

    # ── equality ──

    def children_are_equal(self, other: OverrideSet) -> bool:
        if len(self.children) != len(other.children):
            return False
        for key, mine in self.children.items():
            theirs = other.children.get(key)
            if theirs is None or mine.value != theirs.value or not mine.children_are_equal(theirs):
                return False
        return True

    def is_equal(self, other: OverrideSet | None) -> bool:
        if self is other:
            return True
        if other is None:
            return False
        if self.key != other.key or self.value != other.value:
            return False
        if not self.children_are_equal(other):
            return False
        if self.parent is None:
            return other.parent is None
        return self.parent.is_equal(other.parent)

    # ── rules ──

    def ancestry(self) -> Iterator[OverrideSet]:
        current: OverrideSet | None = self
        while current is not None:
            yield current
            current = current.parent

    @property
    def is_root(self) -> bool:
        return self.parent is None

    @property
    def ruleset(self) -> dict[str, OverrideSet]:
        """Rules visible from here, nearest first (children of each ancestor, then the ancestor)."""
        if self._ruleset is None:
            rules: dict[str, OverrideSet] = {}
            for override in self.ancestry():
                for kid in override.children.values():
                    assert kid.key is not None
                    rules.setdefault(kid.key, kid)
                if not override.is_root:
                    assert override.key is not None
                    rules.setdefault(override.key, override)
            self._ruleset = rules
        return self._ruleset

    def get_edge_rule(self, edge: Edge) -> OverrideSet:
        for rule in self.ruleset.values():
            if rule.name != edge.name:
                continue
            if rule.key_spec == "*":
                return rule
            assert rule.key_spec is not None
            spec: PackageSpec = parse_spec(f"{edge.name}@{edge.raw_spec or edge.spec}")
            if isinstance(spec, AliasSpec):
                spec = spec.sub_spec
            if isinstance(spec, GitSpec):
                if spec.git_range and _intersects(spec.git_range, rule.key_spec):
                    return rule
                continue
            if isinstance(spec, RegistrySpec) and spec.type in ("range", "version"):
                if _intersects(spec.fetch_spec, rule.key_spec):
                    return rule
                continue
            # tag, directory, file, remote: no versions to compare, so the rule applies
            return rule
        return self

    def _version_rule(self, name: str, version: str) -> OverrideSet | None:
        for rule in self.ruleset.values():
            if rule.name != name:
                continue
            assert rule.key_spec is not None and rule.value is not None
            if semver.satisfies(version, rule.key_spec) or semver.satisfies(version, rule.value):
                return rule
        return None

    def get_node_rule(self, name: str, version: str) -> OverrideSet:
        return self._version_rule(name, version) or self

    def get_matching_rule(self, name: str, version: str) -> OverrideSet | None:
        return self._version_rule(name, version)

    # ── comparing sets ──

    @staticmethod
    def find_specific_override_set(first: OverrideSet, second: OverrideSet) -> OverrideSet | None:
        """The more specific of two sets when one contains the other; their common ancestor when
        they are compatible siblings; None when their rules conflict."""
        for override in second.ancestry():
            if override.is_equal(first):
                return second
        for override in first.ancestry():
            if override.is_equal(second):
                return first
        if OverrideSet.have_conflicting_rules(first, second):
            return None
        return OverrideSet.find_common_ancestor(first, second)

    @staticmethod
    def find_common_ancestor(first: OverrideSet, second: OverrideSet) -> OverrideSet | None:
        firsts = list(first.ancestry())
        for theirs in second.ancestry():
            for mine in firsts:
                if mine.is_equal(theirs):
                    return mine
        return None

    @staticmethod
    def do_override_sets_conflict(first: OverrideSet, second: OverrideSet) -> bool:
        if OverrideSet.find_specific_override_set(first, second) is not None:
            return False
        return OverrideSet.have_conflicting_rules(first, second)

    @staticmethod
    def have_conflicting_rules(first: OverrideSet, second: OverrideSet) -> bool:
        theirs = second.ruleset
        for key, mine in first.ruleset.items():
            other = theirs.get(key)
            if other is None or other is mine or mine.is_equal(other):
                continue
            a, b = mine.value or "", other.value or ""
            if a.startswith("$") or b.startswith("$"):
                continue
            try:
                spec_a = parse_spec(f"{mine.name}@{a}")
                spec_b = parse_spec(f"{other.name}@{b}")
            except SnpmError:
                continue
            if (
                isinstance(spec_a, RegistrySpec)
                and spec_a.type in ("range", "version")
                and isinstance(spec_b, RegistrySpec)
                and spec_b.type in ("range", "version")
                and not _intersects(spec_a.fetch_spec, spec_b.fetch_spec)
            ):
                return True
        return False

    def __repr__(self) -> str:
        return f"OverrideSet(key={self.key!r}, value={self.value!r})"


def overrides_edge_in_removed(node: Node, other: OverrideSet) -> bool:
    """An edge carrying `other` left `node`: take the most specific set of the remaining edges."""
    if node.overrides is None or not node.overrides.is_equal(other):
        return False
    new_set: OverrideSet | None = None
    for edge in node.edges_in:
        if new_set is not None and edge.overrides is not None:
            new_set = OverrideSet.find_specific_override_set(edge.overrides, new_set)
        else:
            new_set = edge.overrides
    if node.overrides.is_equal(new_set):
        return False
    node.overrides = new_set
    if node.overrides is not None:
        node.recalculate_out_edges_overrides()
    return True


def overrides_edge_in_added(node: Node, other: OverrideSet | None) -> bool:
    """An edge carrying `other` arrived at `node`: keep the more specific of the two sets."""
    if other is None:
        return False
    if node.overrides is None:
        node.overrides = other
        node.recalculate_out_edges_overrides()
        return True
    if node.overrides.is_equal(other):
        return False
    new_set = OverrideSet.find_specific_override_set(node.overrides, other)
    if new_set is not None:
        if not node.overrides.is_equal(new_set):
            node.overrides = new_set
            node.recalculate_out_edges_overrides()
            return True
        return False
    return False
