"""Placing a dependency in the ideal tree: arborist place-dep.js.

`PlaceDep(dep, edge)` walks up from the deepest place the dep may go (`deepest_nesting_target`)
asking CanPlaceDep at each level, keeps the last level that did not conflict and stops at the
first that did (install strategy `nested` stops after one level, `shallow` below the project's
direct dependencies). Then it KEEPs what is there (pruning duplicates that can now dedupe), or
puts a copy of the dep there (a Link back to an ancestor instead, to break a cycle), replacing
whatever was there and pruning what only the old node needed, prunes deeper duplicates, and
places the dep's peers beside it (child PlaceDeps). With no level left it raises ERESOLVE when
the conflict is the project's own (or strict-peer-deps) and `force` is off; otherwise it warns
(`overriding peer dependency`) and keeps what is there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from snpm.ecmascript.collation import locale_compare_key as locale_key
from snpm.json_types import JsonObject
from snpm.tree.dep_sets import gather_dep_set
from snpm.tree.ideal.can_place import (
    CONFLICT,
    KEEP,
    AuditLike,
    CanPlaceDep,
    deepest_nesting_target,
)
from snpm.tree.ideal.peers import EresolveError, peer_entry_sets
from snpm.tree.link import Link
from snpm.tree.node import Node

if TYPE_CHECKING:
    from snpm.tree.edge import Edge

__all__ = ["PlaceDep", "WarnFn"]

# (title, message, explanation): npm's `log.warn('ERESOLVE', 'overriding peer dependency', expl)`
WarnFn = Callable[[str, str, JsonObject], None]


def _no_warn(title: str, message: str, explanation: JsonObject) -> None:
    return


class PlaceDep:
    def __init__(
        self,
        *,
        dep: Node,
        edge: Edge,
        explicit_request: bool = False,
        force: bool = False,
        install_links: bool = False,
        install_strategy: str = "hoisted",
        legacy_peer_deps: bool = False,
        prefer_dedupe: bool = False,
        strict_peer_deps: bool = False,
        update_names: Sequence[str] = (),
        audit_report: AuditLike | None = None,
        parent: PlaceDep | None = None,
        warn: WarnFn = _no_warn,
    ) -> None:
        self.audit_report = audit_report
        self.dep = dep
        self.edge = edge
        self.explicit_request = explicit_request
        self.force = force
        self.install_links = install_links
        self.install_strategy = install_strategy
        self.legacy_peer_deps = legacy_peer_deps
        self.parent = parent
        self.prefer_dedupe = prefer_dedupe
        self.strict_peer_deps = strict_peer_deps
        self.update_names = update_names
        self.warn = warn

        self.can_place: CanPlaceDep | None = None
        self.can_place_self: CanPlaceDep | None = None
        self.checks: dict[Node, CanPlaceDep] = {}
        self.children: list[PlaceDep] = []
        self.need_evaluation: dict[Node, None] = {}
        self.placed: Node | None = None
        self.old_dep: Node | None = None
        self.current = edge.to
        self.name = edge.name
        self.top: PlaceDep = parent.top if parent is not None else self

        if (
            edge.to is not None
            and not edge.error
            and not explicit_request
            and edge.name not in update_names
            and not (audit_report is not None and audit_report.is_vulnerable(edge.to))
        ):
            return

        self._place()

    def _place(self) -> None:
        edge, dep = self.edge, self.dep
        start = self.get_start_node()
        for target in start.ancestry():
            target_edge = target.edges_out.get(edge.name)
            if not target.is_top and target_edge is not None and target_edge.peer:
                continue
            check = CanPlaceDep(
                dep=dep,
                edge=edge,
                parent=self.parent.can_place if self.parent is not None else None,
                target=target,
                prefer_dedupe=self.prefer_dedupe,
                explicit_request=self.explicit_request,
                audit_report=self.audit_report,
            )
            self.checks[target] = check
            if check.can_place_self is not CONFLICT:
                self.can_place_self = check
            if check.can_place is not CONFLICT:
                self.can_place = check
            else:
                break
            if dep.errors:
                break
            if self.install_strategy == "nested":
                break
            if self.install_strategy == "shallow":
                rp = target.resolve_parent
                if rp is not None and rp.is_project_root:
                    break

        if self.can_place is None:
            if not self.force and (self.is_mine or self.strict_peer_deps):
                self.fail_peer_conflict()
            if self.can_place_self is None:
                self.warn_peer_conflict()
                return
            self.can_place = self.can_place_self

        target = self.can_place.target
        placement_type = (
            self.can_place.can_place_self
            if self.can_place.can_place is CONFLICT
            else self.can_place.can_place
        )
        if placement_type is KEEP:
            if edge.peer and not edge.valid:
                self.warn_peer_conflict()
            self.prune_dedupable(target)
            return

        # a loop (a1 -> b1 -> a2 -> b2 -> a1 …) gets a link to the earlier instance, not more nesting
        p: Node | None = target
        while p is not None:
            if p.matches(dep) and not p.is_top:
                self.placed = Link(parent=target, target=p)
                return
            p = p.resolve_parent

        # arborist reads `this.dep.parent` only in the peer loop below, when the placed node has an
        # invalid peer edge; a dep without one (its virtual root let go of it) is placed all the same
        virtual_root = dep.parent
        error = dep.errors[0] if dep.errors else None
        if dep.is_link:
            self.placed = Link(
                name=dep.name,
                pkg=dep.package,
                normalize_pkg=False,
                install_links=self.install_links,
                legacy_peer_deps=self.legacy_peer_deps,
                error=error,
                overrides=dep.overrides,
                target=dep.target,
                realpath=dep.realpath,
            )
        else:
            self.placed = Node(
                name=dep.name,
                pkg=dep.package,
                normalize_pkg=False,
                resolved=dep.resolved,
                integrity=dep.integrity,
                install_links=self.install_links,
                legacy_peer_deps=self.legacy_peer_deps,
                error=error,
                overrides=dep.overrides,
            )
        placed = self.placed

        self.old_dep = target.children.get(self.name)
        if self.old_dep is not None:
            self.replace_old_dep()
        else:
            placed.parent = target

        if edge.peer and not placed.satisfies(edge):
            self.warn_peer_conflict()

        if edge.valid and edge.to is not None and edge.to is not placed:
            self.prune_dedupable(edge.to, False)

        for node in target.root.inventory.query("name", self.name):
            if node.is_descendant_of(target) and not node.is_top:
                self.prune_dedupable(node, False)
                if node.root is target.root:
                    for kid in node.children.values():
                        self.prune_dedupable(kid, False)

        # place the peers we brought along, beside the node (copies out of the virtual root)
        for peer_edge in placed.edges_out.values():
            if peer_edge.valid or not peer_edge.peer or peer_edge.peer_conflicted:
                continue
            peer = virtual_root.children.get(peer_edge.name) if virtual_root is not None else None
            if peer is None:
                continue
            if not peer.satisfies(peer_edge):
                continue
            self.children.append(
                PlaceDep(
                    audit_report=self.audit_report,
                    explicit_request=self.explicit_request,
                    force=self.force,
                    install_links=self.install_links,
                    install_strategy=self.install_strategy,
                    legacy_peer_deps=self.legacy_peer_deps,
                    prefer_dedupe=self.prefer_dedupe,
                    strict_peer_deps=self.strict_peer_deps,
                    # arborist passes `this.updateName` (undefined) here: peers get no update names
                    update_names=(),
                    parent=self,
                    dep=peer,
                    edge=peer_edge,
                    warn=self.warn,
                )
            )

    def replace_old_dep(self) -> None:
        old, placed = self.old_dep, self.placed
        assert old is not None and placed is not None
        target = old.parent
        old_deps: list[Node] = []
        for name, edge in old.edges_out.items():
            to = edge.to
            if not placed.edges_out.has(name) and to is not None:
                old_deps.extend(gather_dep_set([to], _not_into(to)))

        prune_peer_sets: list[Node] = []
        for edge in list(old.edges_in):
            source = edge.from_
            assert source is not None
            if placed.satisfies(edge) or not edge.peer or source.parent is not target or edge.peer_conflicted:
                continue
            for entry_edge in peer_entry_sets(source):
                entry_node = entry_edge.to
                assert entry_node is not None
                # arborist calls deepestNestingTarget(entryNode) without a name, which always
                # answers entryNode itself
                deepest = entry_node
                entry_from = entry_edge.from_
                assert entry_from is not None
                if deepest is not target and not (entry_from.is_project_root or entry_from.is_workspace):
                    prune_peer_sets.extend(
                        gather_dep_set(
                            [entry_node],
                            _not_into(entry_node, skip_conflicted=True),
                        )
                    )
                else:
                    self.warn_peer_conflict(edge, self.dep)

        placed.replace(old)
        self.prune_for_replacement(placed, old_deps)
        for dep in prune_peer_sets:
            for edge_in in list(dep.edges_in):
                source = edge_in.from_
                if source is not None:
                    self.need_evaluation[source] = None
            dep.root = None

    def prune_for_replacement(self, node: Node, old_deps: list[Node]) -> None:
        invalid: dict[Node, None] = {}
        for edge in node.edges_out.values():
            if edge.to is not None and not edge.valid:
                invalid[edge.to] = None
        for dep in old_deps:
            for member in gather_dep_set([dep], _not_into(dep, valid_only=True)):
                invalid[member] = None
        junk = gather_dep_set(invalid, lambda e: e.from_ is not node and e.to is not node and e.valid)
        for dep in junk:
            dep.root = None

    def prune_dedupable(self, node: Node, descend: bool = True) -> None:
        if node.can_dedupe(self.prefer_dedupe, self.explicit_request):
            for member in gather_dep_set([node], lambda e: e.to is not node and e.valid):
                member.root = None
            return
        if descend:
            for child in sorted(node.children.values(), key=_location_key):
                self.prune_dedupable(child)
            for top in sorted(node.fs_children, key=_location_key):
                for child in sorted(top.children.values(), key=_location_key):
                    self.prune_dedupable(child)

    @property
    def is_mine(self) -> bool:
        edge = self.top.edge
        node = edge.from_
        assert node is not None
        if node.is_workspace or node.is_project_root:
            return True
        if not edge.peer:
            return False
        has_peer_edges = False
        for edge_in in node.edges_in:
            if edge_in.peer:
                has_peer_edges = True
                continue
            source = edge_in.from_
            if source is not None and (source.is_workspace or source.is_project_root):
                return True
        if has_peer_edges:
            for entry in peer_entry_sets(node):
                source = entry.from_
                if source is not None and (source.is_workspace or source.is_project_root):
                    return True
        return False

    def warn_peer_conflict(self, edge: Edge | None = None, dep: Node | None = None) -> None:
        edge = edge or self.edge
        dep = dep or self.dep
        edge.peer_conflicted = True
        self.warn("ERESOLVE", "overriding peer dependency", self.explain_peer_conflict(edge, dep))

    def fail_peer_conflict(self, edge: Edge | None = None, dep: Node | None = None) -> None:
        edge = edge or self.top.edge
        dep = dep or self.top.dep
        raise EresolveError("could not resolve", self.explain_peer_conflict(edge, dep))

    def explain_peer_conflict(self, edge: Edge, dep: Node) -> JsonObject:
        node = edge.from_
        assert node is not None
        cur_node = node.resolve(edge.name)
        expl: JsonObject = {
            "code": "ERESOLVE",
            "edge": edge.explain(),
            "dep": dep.explain(edge),
            "force": self.force,
            "isMine": self.is_mine,
            "strictPeerDeps": self.strict_peer_deps,
        }
        if self.parent is not None:
            expl["current"] = cur_node.explain(edge) if cur_node is not None else None
            expl["peerConflict"] = self.current.explain(self.edge) if self.current is not None else None
        else:
            expl["current"] = cur_node.explain() if cur_node is not None else None
            cps = self.can_place_self
            if cps is not None and cps.can_place_self is not CONFLICT:
                for peer in cps.conflict_children:
                    if peer.current is not None:
                        expl["peerConflict"] = {
                            "current": peer.current.explain(),
                            "peer": peer.dep.explain(peer.edge),
                        }
                        break
            else:
                expl["peerConflict"] = {
                    "current": self.current.explain() if self.current is not None else None,
                    "peer": self.dep.explain(self.edge),
                }
        return expl

    def get_start_node(self) -> Node:
        source = self.parent.get_start_node() if self.parent is not None else self.edge.from_
        assert source is not None
        return deepest_nesting_target(source, self.name)

    @property
    def all_children(self) -> list[PlaceDep]:
        found: dict[PlaceDep, None] = dict.fromkeys(self.children)
        queue = list(found)
        for child in queue:
            for grandchild in child.children:
                if grandchild not in found:
                    found[grandchild] = None
                    queue.append(grandchild)
        return list(found)


def _not_into(
    node: Node, *, valid_only: bool = False, skip_conflicted: bool = False
) -> Callable[[Edge], bool]:
    """An edge filter for gather_dep_set: edges not into `node` (and valid / not peer-conflicted)."""

    def keep(edge: Edge) -> bool:
        if edge.to is node:
            return False
        if valid_only and not edge.valid:
            return False
        return not (skip_conflicted and edge.peer_conflicted)

    return keep


def _location_key(node: Node) -> tuple[str, str, str]:
    return locale_key(node.location)
