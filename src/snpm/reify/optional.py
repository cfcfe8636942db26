"""Which nodes go when an optional dependency fails to install (arborist optional-set.js and
gather-dep-set.js).

From the failed node, walk up every non-optional edge into it: those dependents cannot work
without it either. Then add what only that set depends on. Needs the tree's dependency flags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from snpm.reify.nodes import ReifyEdge, ReifyNode

__all__ = ["gather_dep_set", "optional_set"]


def gather_dep_set(start: Iterable[ReifyNode], edge_filter: Callable[[ReifyEdge], bool]) -> list[ReifyNode]:
    """`start` plus everything reached through edges passing `edge_filter`, minus whatever has a
    dependent outside the set (repeated until nothing changes). Insertion ordered."""
    deps: dict[int, ReifyNode] = {id(n): n for n in start}
    queue = list(deps.values())
    for node in queue:
        for edge in node.edges_out.values():
            to = edge.to
            if to is not None and id(to) not in deps and edge_filter(edge):
                deps[id(to)] = to
                queue.append(to)
    changed = True
    while changed and deps:
        changed = False
        for key, dep in list(deps.items()):
            for edge in dep.edges_in:
                source = edge.from_
                if (source is None or id(source) not in deps) and edge_filter(edge):
                    del deps[key]
                    changed = True
                    break
    return list(deps.values())


def optional_set(node: ReifyNode) -> list[ReifyNode]:
    """The nodes to drop (mark inert, remove from disk) when optional `node` fails."""
    found: dict[int, ReifyNode] = {id(node): node}
    queue = [node]
    for current in queue:
        for edge in current.edges_in:
            source = edge.from_
            if not edge.optional and source is not None and id(source) not in found:
                found[id(source)] = source
                queue.append(source)
    members = set(found)
    return gather_dep_set(
        found.values(),
        lambda e: (e.to is None or id(e.to) not in members) and not (e.from_ is not None and e.from_.inert),
    )
