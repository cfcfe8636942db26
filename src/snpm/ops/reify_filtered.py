"""After a filtered reify (`-w <workspace>`, global explicit requests): the tree that is now on disk.

arborist reify.js, before it saves the hidden lockfile: when the diff was filtered, everything
outside the filter was left as it was, even where the ideal tree differs. So the ideal tree is
made to say what is really there: ideal nodes outside the filter that are not on disk are dropped,
actual nodes outside the filter are moved into the ideal tree (replacing what it planned there),
tops no link points to any more are dropped, and the dependency flags are computed again.
"""

from __future__ import annotations

from collections.abc import Set

from snpm.tree.flags import calc_dep_flags
from snpm.tree.node import Node

__all__ = ["keep_unfiltered"]


def keep_unfiltered(ideal: Node, actual: Node, filter_set: Set[int]) -> None:
    """Make `ideal` describe what is on disk after a reify whose diff was limited to the nodes
    whose ids are in `filter_set`."""
    if not filter_set:
        return
    reroot: dict[Node, None] = {}
    seen: set[str] = set()
    actual_inventory = actual.inventory
    for loc, node in list(ideal.inventory.items()):
        seen.add(loc)
        if id(node) in filter_set:
            continue
        found = actual_inventory.get(loc)
        if found is None:
            node.root = None
            continue
        if any(id(link) in filter_set for link in found.links_in):
            seen.add(found.location)
            continue
        if found.is_link and node.is_link and node.realpath == found.realpath:
            continue
        reroot[found] = None
    for loc, found in list(actual_inventory.items()):
        if loc in seen:
            continue
        seen.add(loc)
        if id(found) in filter_set:
            continue
        reroot[found] = None
    for found in reroot:
        found.root = ideal
    for top in list(ideal.tops):
        if not top.links_in:
            top.root = None
    calc_dep_flags(ideal)
