"""Can a dependency go here? arborist can-place-dep.js, read-only by contract.

`CanPlaceDep(dep, target, edge)` answers OK (nothing there, no objections), KEEP (what is there is
the same package and satisfies the edge), REPLACE (what is there can be swapped for the new one)
or CONFLICT, and checks the dep's peers the same way (always in prefer-dedupe mode), so a dep whose
peers cannot come along is a CONFLICT even when it could go there alone (`can_place_self` keeps
that answer). Nothing here changes the tree: PlaceDep does that with the answers.

    current node there?  same package & satisfies edge → KEEP (REPLACE on explicit request)
                         newer (or audit-fix older) and every dependent accepts it → REPLACE
                         current satisfies edge (and not explicit, or prefer-dedupe) → KEEP
                         prefer-dedupe and dependents accept the older one → REPLACE
                         this is the deepest place it could go → REPLACE (push the current deeper)
                         else CONFLICT
    nothing there        a node further up that dependents inside this target rely on must be
                         satisfied by the dep too, else CONFLICT; otherwise OK (peers permitting)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from snpm import semver
from snpm.tree.ideal.peers import peer_entry_sets

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["AuditLike", "CanPlaceDep", "Placement", "deepest_nesting_target"]


class Placement(enum.Enum):
    OK = "OK"
    REPLACE = "REPLACE"
    KEEP = "KEEP"
    CONFLICT = "CONFLICT"


OK = Placement.OK
REPLACE = Placement.REPLACE
KEEP = Placement.KEEP
CONFLICT = Placement.CONFLICT


class AuditLike(Protocol):
    """What the builder asks an audit report (`npm audit fix`): is a node vulnerable, and which
    nodes are (their dependents get re-resolved, steering away from the vulnerable range)."""

    def is_vulnerable(self, node: Node) -> bool: ...

    def vulnerable_nodes(self) -> Iterable[Node]: ...


def deepest_nesting_target(start: Node, name: str) -> Node:
    """The deepest node under which `name` may be placed, starting at `start` and walking up past
    nodes that have a peer dependency on `name` (a peer must sit beside its dependent)."""
    target: Node | None = start
    while target is not None:
        if target.is_project_root or target.resolve_parent is None or target.global_top:
            return target
        edge = target.edges_out.get(name)
        if edge is None or not edge.peer:
            return target
        target = target.resolve_parent
    raise AssertionError("deepest_nesting_target walked off the tree")


def _lt(a: str, b: str) -> bool:
    try:
        return semver.lt(a, b)
    except TypeError:
        return False


def _gte(a: str, b: str) -> bool:
    try:
        return semver.gte(a, b)
    except TypeError:
        return False


class CanPlaceDep:
    def __init__(
        self,
        *,
        dep: Node,
        target: Node,
        edge: Edge,
        prefer_dedupe: bool = False,
        parent: CanPlaceDep | None = None,
        peer_path: list[Node] | None = None,
        explicit_request: bool = False,
        audit_report: AuditLike | None = None,
    ) -> None:
        self.can_place: Placement | None = None
        self.can_place_self: Placement | None = None
        self.dep = dep
        self.target = target
        self.edge = edge
        self.explicit_request = explicit_request
        self.audit_report = audit_report
        self.peer_path: list[Node] = peer_path or []
        # peers always prefer deduping: they try harder to be singletons
        self.prefer_dedupe = prefer_dedupe or edge.peer
        self.parent = parent
        self.children: list[CanPlaceDep] = []
        self._can_place_peers: Placement | None = None
        self.is_source = target is self.peer_set_source
        self.name = edge.name
        self.current = target.children.get(self.name)
        self.target_edge = target.edges_out.get(self.name)
        # was the dep already forced past this edge by a peer override while building its set?
        self.edge_override = not dep.satisfies(edge)
        self.can_place = self.check_can_place()
        if self.can_place_self is None:
            self.can_place_self = self.can_place

    def check_can_place(self) -> Placement:
        target, target_edge, current, dep = self.target, self.target_edge, self.current, self.dep
        if dep.errors:
            return REPLACE if current is not None else OK
        if target_edge is not None and target_edge.peer and not target.is_top:
            return CONFLICT
        if (
            current is None
            and target_edge is not None
            and not dep.satisfies(target_edge)
            and target_edge is not self.edge
        ):
            return CONFLICT
        return self.check_can_place_current() if current is not None else self.check_can_place_no_current()

    def check_can_place_current(self) -> Placement:
        current, target, edge, dep = self.current, self.target, self.edge, self.dep
        assert current is not None
        if dep.matches(current) and (current.satisfies(edge) or self.edge_override):
            return REPLACE if self.explicit_request else KEEP

        cur_ver, new_ver = current.version, dep.version
        audit = self.audit_report
        audit_fix_downgrade = bool(
            cur_ver
            and new_ver
            and _lt(new_ver, cur_ver)
            and audit is not None
            and audit.is_vulnerable(current)
            and not audit.is_vulnerable(dep)
        )
        try_replace = bool(cur_ver and new_ver and (_gte(new_ver, cur_ver) or audit_fix_downgrade))
        if try_replace and dep.can_replace(current):
            # rare: replaceable but its pinned peers conflict; then keep looking
            cpp = self.can_place_peers(REPLACE)
            if cpp is not CONFLICT:
                return cpp

        if current.satisfies(edge) and (not self.explicit_request or self.prefer_dedupe):
            return KEEP

        if self.prefer_dedupe and not try_replace and dep.can_replace(current):
            cpp = self.can_place_peers(REPLACE)
            if cpp is not CONFLICT:
                return cpp

        my_deepest = self.deepest_nesting_target
        if target is not my_deepest:
            return CONFLICT
        if not edge.peer and target is edge.from_:
            return self.can_place_peers(REPLACE)
        if self.parent is None and not edge.peer:
            return CONFLICT

        can_replace = True
        virtual_root = dep.parent
        assert virtual_root is not None
        for entry_edge, current_peers in peer_entry_sets(current).items():
            if entry_edge is self.edge or entry_edge is self.peer_entry_edge:
                continue
            entry_node = entry_edge.to
            assert entry_node is not None
            entry_rep = virtual_root.children.get(entry_node.name)
            if entry_rep is not None and entry_rep.can_replace(entry_node, virtual_root.children.keys()):
                continue
            can_clobber = entry_rep is None
            if entry_rep is None:
                walk: dict[Node, None] = {entry_node: None}
                queue = [entry_node]
                for current_peer in queue:
                    stop = False
                    for peer_edge in current_peer.edges_out.values():
                        if not peer_edge.peer or not peer_edge.valid:
                            continue
                        rep = virtual_root.children.get(peer_edge.name)
                        if rep is None:
                            to = peer_edge.to
                            if to is not None and to not in walk:
                                walk[to] = None
                                queue.append(to)
                            continue
                        if not rep.satisfies(peer_edge):
                            can_clobber = False
                            stop = True
                            break
                    if stop:
                        break
            if can_clobber:
                continue
            # can't replace; can the current set be nested deeper?
            entry_from = entry_edge.from_
            assert entry_from is not None
            for current_peer in current_peers:
                cur_deep = deepest_nesting_target(entry_from, current_peer.name)
                if cur_deep is target or target.is_descendant_of(cur_deep):
                    can_replace = False
                    break

        if can_replace:
            return self.can_place_peers(REPLACE)
        return CONFLICT

    def check_can_place_no_current(self) -> Placement:
        target, dep, name = self.target, self.dep, self.name
        entry_from = self.peer_entry_edge.from_
        current = target.resolve(name) if target is not entry_from else None
        if current is not None:
            for edge in list(current.edges_in):
                source = edge.from_
                if (
                    source is not None
                    and source.is_descendant_of(target)
                    and edge.valid
                    and not dep.satisfies(edge)
                ):
                    return CONFLICT
        return self.can_place_peers(OK)

    @property
    def deepest_nesting_target(self) -> Node:
        start = self.parent.deepest_nesting_target if self.parent is not None else self.edge.from_
        assert start is not None
        return deepest_nesting_target(start, self.name)

    @property
    def conflict_children(self) -> list[CanPlaceDep]:
        return [child for child in self.all_children if child.can_place is CONFLICT]

    @property
    def all_children(self) -> list[CanPlaceDep]:
        found: dict[CanPlaceDep, None] = dict.fromkeys(self.children)
        queue = list(found)
        for child in queue:
            for grandchild in child.children:
                if grandchild not in found:
                    found[grandchild] = None
                    queue.append(grandchild)
        return list(found)

    @property
    def top(self) -> CanPlaceDep:
        return self.parent.top if self.parent is not None else self

    def can_place_peers(self, state: Placement) -> Placement:
        self.can_place_self = state
        if self._can_place_peers is not None:
            return self._can_place_peers
        peer_path = [*self.peer_path, self.dep]
        saw_conflict = False
        for peer_edge in self.dep.edges_out.values():
            peer = peer_edge.to
            if not peer_edge.peer or peer is None or peer in peer_path:
                continue
            target = deepest_nesting_target(self.target, peer.name)
            check = CanPlaceDep(
                dep=peer,
                target=target,
                parent=self,
                edge=peer_edge,
                peer_path=peer_path,
                audit_report=self.audit_report,
                prefer_dedupe=True,
            )
            self.children.append(check)
            if check.can_place is CONFLICT:
                saw_conflict = True
        self._can_place_peers = CONFLICT if saw_conflict else state
        return self._can_place_peers

    @property
    def peer_set_source(self) -> Node | None:
        return self.parent.peer_set_source if self.parent is not None else self.edge.from_

    @property
    def peer_entry_edge(self) -> Edge:
        return self.top.edge

    @property
    def description(self) -> str:
        return self.can_place.value if self.can_place is not None else "null"
