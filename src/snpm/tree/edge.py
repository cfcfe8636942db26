"""Edge: one dependency of a node (arborist edge.js).

An edge goes from a node (`from_`) to the node its name resolves to from there (`to`, or None),
with a type (`prod`, `dev`, `optional`, `peer`, `peerOptional`, `workspace`), the spec as written
(`raw_spec`) and the spec in force (`spec`, after `overrides`). `error` is None when the edge is
satisfied, else `MISSING`, `PEER LOCAL` (a peer placed inside its dependent), `INVALID` or
`DETACHED`; it is computed lazily and cached until `reload`. Edges register themselves with both
ends (`from_.edges_out[name]`, `to.edges_in`), so the graph and the tree stay in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from snpm.json_types import JsonObject, JsonValue
from snpm.spec import DirectorySpec, parse_spec
from snpm.tree.dep_valid import dep_valid
from snpm.tree.ideal.overrides import OverrideSet

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["EDGE_TYPES", "Edge"]

EDGE_TYPES: Final = ("prod", "dev", "optional", "peer", "peerOptional", "workspace")
_EDGE_TYPE_SET: Final = frozenset(EDGE_TYPES)
_OK: Final = "OK"


class Edge:
    """A dependency edge. Public attributes: `name`, `type`, `spec`, `raw_spec`, `accept`,
    `from_`, `to`, `error`, `valid`, `overrides`, `peer_conflicted`."""

    __slots__ = (
        "_accept",
        "_error",
        "_explanation",
        "_from",
        "_name",
        "_spec",
        "_to",
        "_type",
        "overrides",
        "peer_conflicted",
    )

    def __init__(
        self,
        *,
        from_: Node,
        name: str,
        spec: str,
        type: str,
        accept: str | None = None,
        overrides: OverrideSet | None = None,
    ) -> None:
        if not isinstance(spec, str):
            raise TypeError("must provide string spec")
        if type not in _EDGE_TYPE_SET:
            raise TypeError(f"invalid type: {type}\n(valid types are: {', '.join(EDGE_TYPES)})")
        if type == "workspace" and not isinstance(parse_spec(spec), DirectorySpec):
            raise TypeError("workspace edges must be a symlink")
        self._accept: str | None = (accept or "*") if accept is not None else None
        self.overrides: OverrideSet | None = overrides
        self._name = name
        self._type = type
        self._spec = spec
        self._explanation: JsonObject | None = None
        self._from: Node | None = from_
        self._to: Node | None = None
        self._error: str | None = None
        self.peer_conflicted = False
        current = from_.edges_out.get(name)
        if current is not None:
            current.detach()
        from_.add_edge_out(self)
        self.reload(True)
        self.peer_conflicted = False

    # ── identity ──

    @property
    def name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def raw_spec(self) -> str:
        return self._spec

    @property
    def accept(self) -> str | None:
        return self._accept

    @property
    def from_(self) -> Node | None:
        return self._from

    @property
    def to(self) -> Node | None:
        return self._to

    @property
    def spec(self) -> str:
        """The spec in force: the override's value when an override rule applies to this edge."""
        rule = self.overrides
        if rule is not None and rule.value and rule.value != "*" and rule.name == self._name:
            value = rule.value
            if value.startswith("$"):
                ref = value[1:]
                source = self._from.source_reference if self._from is not None else None
                if source is not None:
                    pkg = source.root.package
                else:
                    pkg = self._from.root.package if self._from is not None else {}
                found = _referential_spec(ref, pkg)
                if not found and self._from is not None:
                    found = _referential_spec(ref, self._from.package)
                if found:
                    return found
                raise ValueError(f"Unable to resolve reference {value}")
            return value
        return self._spec

    # ── type predicates ──

    @property
    def workspace(self) -> bool:
        return self._type == "workspace"

    @property
    def prod(self) -> bool:
        return self._type == "prod"

    @property
    def dev(self) -> bool:
        return self._type == "dev"

    @property
    def optional(self) -> bool:
        return self._type in ("optional", "peerOptional")

    @property
    def peer(self) -> bool:
        return self._type in ("peer", "peerOptional")

    @property
    def bundled(self) -> bool:
        if self._from is None:
            return False
        bundle = self._from.package.get("bundleDependencies")
        return isinstance(bundle, list) and self._name in bundle

    # ── validity ──

    def satisfied_by(self, node: Node) -> bool:
        if node.name != self._name or self._from is None:
            return False
        if node.has_shrinkwrap or node.in_shrinkwrap or node.in_bundle:
            return dep_valid(node, self.raw_spec, self._accept, self._from)
        rule = self.overrides
        if rule is None or not rule.key_spec:
            return dep_valid(node, self.spec, self._accept, self._from)
        if dep_valid(node, self.spec, self._accept, self._from):
            return True
        if not dep_valid(node, self.raw_spec, self._accept, self._from):
            return False
        # satisfies the original spec but not the override: fine unless the override's key
        # range (the versions it was meant to replace) matches it too
        return not dep_valid(node, rule.key_spec, self._accept, self._from)

    @property
    def error(self) -> str | None:
        if self._error is None:
            to = self._to
            if to is None:
                self._error = _OK if self.optional else "MISSING"
            elif self.peer and self._from is to.parent and self._from is not None and not self._from.is_top:
                self._error = "PEER LOCAL"
            elif not self.satisfied_by(to) or (
                self.overrides is not None
                and to.overrides is not None
                and len(to.edges_out)
                and OverrideSet.do_override_sets_conflict(self.overrides, to.overrides)
            ):
                self._error = "INVALID"
            else:
                self._error = _OK
        return None if self._error == _OK else self._error

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def missing(self) -> bool:
        return self.error == "MISSING"

    @property
    def invalid(self) -> bool:
        return self.error == "INVALID"

    @property
    def peer_local(self) -> bool:
        return self.error == "PEER LOCAL"

    # ── graph maintenance ──

    def reload(self, hard: bool = False) -> None:
        """Re-resolve `to` from `from_` (and the override rule); `hard` also forgets the error."""
        self._explanation = None
        need_update = False
        new_set: OverrideSet | None = None
        old_set: OverrideSet | None = None
        source = self._from
        if source is not None and source.overrides is not None:
            new_set = source.overrides.get_edge_rule(self)
            if not new_set.is_equal(self.overrides):
                need_update = True
                old_set = self.overrides
                self.overrides = new_set
        else:
            self.overrides = None
        new_to = source.resolve(self._name) if source is not None else None
        if new_to is not self._to:
            if self._to is not None:
                self._to.delete_edge_in(self)
            self._to = new_to
            self._error = None
            if new_to is not None:
                new_to.add_edge_in(self)
        elif hard:
            self._error = None
        elif need_update and self._to is not None:
            if old_set is not None:
                self._to.update_overrides_edge_in_removed(old_set)
            self._to.update_overrides_edge_in_added(new_set)

    def detach(self) -> None:
        self._explanation = None
        if self._to is not None:
            self._to.delete_edge_in(self)
        source = self._from
        if source is not None:
            inventory = source.root.inventory
            if inventory.has(source):
                inventory.unindex_edge(source, self._name)
            source.edges_out.delete(self._name)
        self._to = None
        self._error = "DETACHED"
        self._from = None

    # ── explanations ──

    def explain(self, seen: list[Node] | None = None) -> JsonObject:
        """arborist's edge explanation object (what `npm explain` and ERESOLVE reports print)."""
        if self._explanation is None:
            explanation: JsonObject = {"type": self._type, "name": self._name, "spec": self.spec}
            if self.raw_spec != self.spec:
                explanation["rawSpec"] = self.raw_spec
                explanation["overridden"] = True
            if self.bundled:
                explanation["bundled"] = True
            if self.error:
                explanation["error"] = self.error
            if self._from is not None:
                explanation["from"] = self._from.explain(None, seen or [])
            self._explanation = explanation
        return self._explanation

    def __repr__(self) -> str:
        source = self._from.location if self._from is not None else None
        target = self._to.location if self._to is not None else None
        return f"Edge({self._type} {self._name}@{self._spec!r} {source!r} -> {target!r})"


def _referential_spec(ref: str, pkg: JsonObject) -> str | None:
    for group in ("devDependencies", "optionalDependencies", "dependencies", "peerDependencies"):
        deps: JsonValue = pkg.get(group)
        if isinstance(deps, dict):
            value = deps.get(ref)
            if isinstance(value, str) and value:
                return value
    return None
