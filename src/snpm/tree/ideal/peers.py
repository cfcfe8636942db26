"""Peer-dependency sets (arborist peer-entry-sets.js) and the ERESOLVE error.

A node's peer set is every node joined to it by valid peer edges, in either direction. An *entry
edge* brings a set in from outside: a non-peer edge, or any edge from a top node. Knowing which
entry edges brought which subset lets placement decide whether a whole set can be replaced or
pushed deeper. `EresolveError` carries npm's explanation object (`current`, `edge`, `dep`,
`peerConflict`, `currentEdge`, `strictPeerDeps`, `force`, `isMine`) for `snpm.tree.explain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from snpm.errors import ResolveError

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["EresolveError", "peer_entry_sets"]


class EresolveError(ResolveError):
    """ERESOLVE: "unable to resolve dependency tree" (loading a peer set) or "could not resolve"
    (placing one). `explanation` is arborist's object, in its camelCase keys."""

    def __init__(self, message: str, explanation: Mapping[str, object]) -> None:
        super().__init__(message, code="ERESOLVE", extra=dict(explanation))
        self.explanation: dict[str, object] = dict(explanation)


def peer_entry_sets(node: Node) -> dict[Edge, dict[Node, None]]:
    """entry edge → the subset of `node`'s peer group that edge brings in (only subsets that
    contain `node`)."""
    union: dict[Node, None] = {node: None}
    queue = [node]
    for current in queue:
        for edge in current.edges_out.values():
            to = edge.to
            if edge.valid and edge.peer and to is not None and to not in union:
                union[to] = None
                queue.append(to)
        for edge in current.edges_in:
            source = edge.from_
            if edge.valid and edge.peer and source is not None and source not in union:
                union[source] = None
                queue.append(source)
    entry_sets: dict[Edge, dict[Node, None]] = {}
    for peer in union:
        for edge in peer.edges_in:
            if not edge.valid:
                continue
            source = edge.from_
            if not edge.peer or (source is not None and source.is_top):
                sub: dict[Node, None] = {peer: None}
                sub_queue = [peer]
                for member in sub_queue:
                    for out in member.edges_out.values():
                        to = out.to
                        if out.valid and out.peer and to is not None and to not in sub:
                            sub[to] = None
                            sub_queue.append(to)
                if node in sub:
                    entry_sets[edge] = sub
    return entry_sets
