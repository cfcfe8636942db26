"""Moving nodes between and within trees: arborist's `root` setter and `_reloadNamedEdges`.

When a node gets a new root it leaves the old inventory, finds its parent (or fs parent) by
walking up its path in the new root's inventory, adopts nodes that were added before it and belong
below it, pairs itself with links to its realpath (or, being a link, with its target), reloads the
edges that crossed trees, and brings its children along. Adding a child reloads the edges of that
name below the parent that may now resolve to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.tree.paths import dirname, relpath, walk_up

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["reload_named_edges", "set_root"]


def set_root(node: Node, root: Node | None) -> None:
    """arborist's `root` setter: move `node` (and its family) into `root`'s tree (None: its own)."""
    while root is not None and root.root is not root:
        root = root.root
    root = root or node
    node._delist_from_meta()
    if not node.path or not root.realpath or not root.path:
        node._root = root
        return
    node._root = node
    for link in list(node.links_in):
        link._target = None  # type: ignore[attr-defined]
        node.links_in.pop(link, None)
    target = node.target if node.is_link else None
    if node.is_link:
        if target is not None:
            target.links_in.pop(node, None)
            if target.root is node:
                target._delist_from_meta()
        node._target = None  # type: ignore[attr-defined]
    if node._parent is not None and node._parent.root is not root:
        node._parent.children.delete(node.name)
        node._parent = None
    if node._fs_parent is not None and node._fs_parent.root is not root:
        node._fs_parent.fs_children.pop(node, None)
        node._fs_parent = None

    if root is node:
        node._refresh_location()
    else:
        loc = relpath(root.realpath, node.path)
        current = root.inventory.get(loc)
        if current is not None:
            current.root = None
        node._root = root
        node._refresh_location()
        _find_parent(node, root)
        if node._parent is None:
            root.tops[node] = None
        else:
            root.tops.pop(node, None)
        _adopt_tops(node, root)
        _connect_links(node, root)

    for edge in list(node.edges_in):
        source = edge.from_
        if source is not None and source.root is not root:
            edge.reload()
    for edge in node.edges_out.values():
        if edge.to is None or edge.to.root is not root:
            edge.reload()

    family: dict[Node, None] = dict.fromkeys(
        n
        # a node that never was a root has no inventory: do not make one just to read it
        for n in [
            *node.fs_children,
            *node.children.values(),
            *(node._inventory.values() if node._inventory is not None else ()),
        ]
        if n is not node
    )
    for child in family:
        if child.root is not root:
            child._delist_from_meta()
            child._parent = None
            node.children.delete(child.name)
            child._fs_parent = None
            node.fs_children.pop(child, None)
            for link in list(child.links_in):
                link._target = None  # type: ignore[attr-defined]
                child.links_in.pop(link, None)
    for child in family:
        if child.root is not root:
            child.root = root
    if node.is_link and target is not None and node._target is None and root is not node:  # type: ignore[attr-defined]
        target.root = root


def _find_parent(node: Node, root: Node) -> None:
    """Find `node`'s parent or fs parent in its new root's inventory by walking up its path."""
    assert node.path is not None and root.realpath is not None
    for p in walk_up(dirname(node.path)):
        if p == node.path:
            continue
        ploc = relpath(root.realpath, p)
        parent = root.inventory.get(ploc)
        if parent is None:
            continue
        if parent.is_link:
            continue
        child_loc = f"{ploc}{'/' if ploc else ''}node_modules/{node.name}"
        if node.location == child_loc:
            old_child = parent.children.get(node.name)
            if old_child is not None and old_child is not node:
                old_child.root = None
            if node._parent is not None:
                node._parent.children.delete(node.name)
                node._parent._reload_named_edges(node.name)
            parent.children.set(node.name, node)
            node._parent = parent
            if not node.is_link:
                parent._reload_named_edges(node.name)
        else:
            if node._fs_parent is not None:
                node._fs_parent.fs_children.pop(node, None)
            parent.fs_children[node] = None
            node._fs_parent = parent
        break


def _adopt_tops(node: Node, root: Node) -> None:
    """Nodes added before their parent (nm/a/nm/b before nm/a) are tops until now: adopt them."""
    assert node.path is not None
    nm_loc = f"{node.location}{'/' if node.location else ''}node_modules/"
    for child in list(root.tops):
        is_child = child.location == nm_loc + child.name
        child_dir = dirname(child.path or "")
        is_fs_child = (
            child_dir.startswith(node.path)
            and child is not node
            and child._parent is None
            and (
                child._fs_parent is None
                or child._fs_parent is node
                or dirname(node.path).startswith(child._fs_parent.path or "")
            )
        )
        if not is_child and not is_fs_child:
            continue
        if node.is_link:
            child.root = None
            continue
        if child._fs_parent is not None:
            child._fs_parent.fs_children.pop(child, None)
        child._fs_parent = None
        if is_child:
            node.children.set(child.name, child)
            child._parent = node
            root.tops.pop(child, None)
        else:
            node.fs_children[child] = None
            child._fs_parent = node


def _connect_links(node: Node, root: Node) -> None:
    """Pair a link with the node at its realpath (or a node with the links pointing at it)."""
    for other in root.inventory.query("realpath", node.realpath):
        if other is node:
            continue
        if node.is_link:
            target = other.target
            node._target = target  # type: ignore[attr-defined]
            node._package = target.package
            target.links_in[node] = None
            if node._parent is not None:
                node._parent._reload_named_edges(node.name)
            break
        if other.is_link:
            other._target = node  # type: ignore[attr-defined]
            other._package = node.package
            node.links_in[other] = None
            if other._parent is not None:
                other._parent._reload_named_edges(other.name)


def reload_named_edges(start: Node, name: str, root_loc: str | None = None) -> None:
    """Reload the edges named `name` in this subtree that may now resolve differently.

    arborist walks the whole subtree on every placement, which is quadratic over a build. The
    root's inventory indexes nodes by the names of their edges, so only those holders are
    visited, in the walk's order (depth first, children before fs children)."""
    if root_loc is None:
        root_loc = start.location
    inventory = start.root.inventory
    if not inventory.has(start):
        _reload_named_edges_walk(start, name, root_loc)
        return
    holders = [node for node in inventory.with_edge(name) if node.is_descendant_of(start)]
    if len(holders) > 1:
        positions: dict[Node, dict[Node, int]] = {}
        holders.sort(key=lambda node: _preorder_key(node, start, positions))
    for node in holders:
        edge = node.edges_out.get(name)
        if edge is None:
            continue
        to = edge._to
        root_loc_resolved = to is not None and to.location == f"{root_loc}/node_modules/{edge.name}"
        if root_loc_resolved or node.resolve(name) is not to:
            edge.reload(True)


def _preorder_key(
    start: Node, top: Node, positions: dict[Node, dict[Node, int]]
) -> tuple[tuple[int, int], ...]:
    """Where this node comes in a depth-first walk from `top` (children before fs children);
    `positions` caches each parent's child order across the keys of one sort."""
    steps: list[tuple[int, int]] = []
    node = start
    while node is not top:
        parent = node._parent
        group = 0
        if parent is None:
            parent = node._fs_parent
            group = 1
        assert parent is not None
        order = positions.get(parent)
        if order is None:
            kids = [*parent._children._data.values(), *parent.fs_children]
            order = positions[parent] = {kid: i for i, kid in enumerate(kids)}
        steps.append((group, order.get(node, -1)))
        node = parent
    steps.reverse()
    return tuple(steps)


def _reload_named_edges_walk(start: Node, name: str, root_loc: str) -> None:
    stack: list[Node] = [start]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        edge = node.edges_out._data.get(name) or node.edges_out.get(name)
        if edge is not None:
            to = edge._to
            root_loc_resolved = to is not None and to.location == f"{root_loc}/node_modules/{edge.name}"
            if root_loc_resolved or node.resolve(name) is not to:
                edge.reload(True)
        # depth first, children before fs children, in order (as arborist recurses)
        fs_kids = node.fs_children
        if fs_kids:
            extend(reversed(list(fs_kids)))
        if not node.is_link:
            kids = node._children._data
            if kids:
                extend(reversed(list(kids.values())))
