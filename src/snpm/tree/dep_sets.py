"""arborist gather-dep-set.js: a set of nodes plus what only they depend on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["gather_dep_set"]


def gather_dep_set(start: Iterable[Node], edge_filter: Callable[[Edge], bool]) -> dict[Node, None]:
    """arborist gather-dep-set.js: `start` plus everything they depend on (through edges passing
    `edge_filter`) that nothing outside the set depends on. Ordered like a JS Set."""
    deps: dict[Node, None] = dict.fromkeys(start)
    queue = list(deps)
    for node in queue:
        for edge in node.edges_out.values():
            to = edge.to
            if to is not None and to not in deps and edge_filter(edge):
                deps[to] = None
                queue.append(to)
    changed = True
    while changed and deps:
        changed = False
        for dep in list(deps):
            if dep not in deps:
                continue
            for edge in list(dep.edges_in):
                if edge.from_ not in deps and edge_filter(edge):
                    changed = True
                    del deps[dep]
                    break
    return deps
