"""Loading every package of a lockfile into a fresh root at once, with the result of adding them
one by one (what `snpm.tree.load_virtual` does otherwise, as arborist does).

Adding a node to a tree (the `root` setter) looks for its parent up its path, reloads the edges
below that parent that may now resolve to it, and then loads the node's own edges. For a whole
lockfile that is most of a no-op install's work, and most of it is undone later: an edge resolved
to a node far up is reloaded when a closer one arrives. Here every node is placed first and every
edge resolved once, against the finished tree. What the order of events decided is then put back:

- children, fs children, tops and the inventory get their entries in lockfile order, as before;
- each node's `edges_in` lists an edge from the moment it pointed there for good. An edge from a
  package added earlier than its target moved there when the target was added: those come in the
  order the reload visits their packages (depth first from the target's parent, children before fs
  children), before the edges of the target itself. An edge from a package added later arrived
  when that package loaded its edges.

Only plain lockfiles take this path: locations made of plain names, every `node_modules` package
after its parent, no two children whose names differ only in case, no package whose path begins
an earlier fs child's folder (arborist would adopt it, by string prefix), a root of its own with
no overrides. Links are added afterwards, one by one, as before. Anything else is loaded the
usual way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import msgspec

from snpm.json_types import JsonObject
from snpm.tree.cimap import normalize_key
from snpm.tree.paths import name_from_folder
from snpm.tree.rooting import stale_edge

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["Placement", "bulk_load", "plan_placements"]

NodeFactory = Callable[[str, JsonObject], "Node"]


class Placement(msgspec.Struct, frozen=True):
    """Where one lockfile package goes: its folder, its name, and the location of the node that
    will hold it (as a `node_modules` child, or else as an fs child)."""

    location: str
    entry: JsonObject
    path: str
    name: str
    holder: str
    in_node_modules: bool


def _plain(location: str) -> bool:
    """Segments that are names: nothing that resolving or normalising the path would change."""
    if not location or location[0] in "./" or location[-1] == "/":
        return False
    return "//" not in location and "/." not in location and "\\" not in location


def plan_placements(root: Node, entries: Iterable[tuple[str, JsonObject]]) -> list[Placement] | None:
    """Where each (non-link) package goes, or None when this lockfile must be loaded one by one."""
    base = root.realpath
    if (
        root.is_link
        or base is None
        or root.path != base
        or base == "/"
        or not _plain(base[1:])
        or root._root not in (None, root)
        or root._parent is not None
        or root._fs_parent is not None
        or root.overrides is not None
        or root.children
        or root.fs_children
        or root.tops
        or root.edges_in
        or len(root.inventory) != 1
        or root.inventory.get("") is not root
    ):
        return None
    placements: list[Placement] = []
    placed: set[str] = {""}
    child_keys: set[tuple[str, str]] = set()
    tops: list[str] = []
    for location, entry in entries:
        if not _plain(location):
            return None
        path = f"{base}/{location}"
        name = name_from_folder(path) or ""
        holder = location
        while holder:
            holder = holder.rpartition("/")[0]
            if holder in placed:
                break
        nm_location = f"{holder}{'/' if holder else ''}node_modules/{name}"
        in_node_modules = location == nm_location
        if not in_node_modules and (
            location.endswith(f"/node_modules/{name}") or location == f"node_modules/{name}"
        ):
            # a node_modules package whose parent is not (yet) there
            return None
        # arborist adopts an earlier fs child into any node whose path begins its folder's path
        for folder in tops:
            if folder.startswith(path):
                return None
        if in_node_modules:
            key = (holder, normalize_key(name))
            if key in child_keys:
                return None
            child_keys.add(key)
        else:
            tops.append(path.rpartition("/")[0])
        placements.append(Placement(location, entry, path, name, holder, in_node_modules))
        placed.add(location)
    return placements


def bulk_load(root: Node, placements: list[Placement], make_node: NodeFactory) -> dict[str, Node]:
    """Add the planned packages to `root` (made unplaced by `make_node(path, entry)`); returns
    location → node, in lockfile order."""
    inventory = root.inventory
    meta = root.meta
    nodes: dict[str, Node] = {"": root}
    order: dict[Node, int] = {root: -1}
    for index, placement in enumerate(placements):
        node = make_node(placement.path, placement.entry)
        node._root = root
        node.location = placement.location
        inventory.add(node)
        if meta is not None:
            meta.add(node)
        holder = nodes[placement.holder]
        if placement.in_node_modules:
            holder._children.set(node.name, node)
            node._parent = holder
        else:
            holder.fs_children[node] = None
            node._fs_parent = holder
            root.tops[node] = None
        nodes[placement.location] = node
        order[node] = index
    # edges already there (the root's, from package.json) moved as their targets arrived
    for edge in list(root.edges_out.values()):
        if stale_edge(root, edge, edge.name, "/node_modules/"):
            edge.reload(True)
    for node in nodes.values():
        if node is not root:
            node._load_deps()
    _order_edges_in(root, order)
    return nodes


def _order_edges_in(root: Node, order: dict[Node, int]) -> None:
    """Put each `edges_in` in the order the edges would have arrived one node at a time."""
    preorder: dict[Node, int] = {}
    for target, index in order.items():
        edges = target.edges_in
        if len(edges) < 2:
            continue
        early = sum(1 for edge in edges if order[_source(edge)] < index)
        if early > 1 and not preorder:
            preorder = _preorder(root)
        keys: dict[Edge, tuple[int, int, int]] = {}
        for edge in edges:
            source = _source(edge)
            added = order[source]
            if added < index:
                # moved here when the target was added, in the reload's walk order
                keys[edge] = (index, 0, preorder[source] if early > 1 else 0)
            else:
                # made here when its package loaded its edges (one edge per package: no ties)
                keys[edge] = (added, 1, 0)
        arrived = sorted(edges, key=keys.__getitem__)
        edges.clear()
        edges.update(dict.fromkeys(arrived))


def _source(edge: Edge) -> Node:
    source = edge._from
    assert source is not None
    return source


def _preorder(root: Node) -> dict[Node, int]:
    """Depth first from the root, children before fs children, each in order."""
    out: dict[Node, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        out[node] = len(out)
        stack.extend(reversed(list(node.fs_children)))
        stack.extend(reversed(list(node._children._data.values())))
    return out
