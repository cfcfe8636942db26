"""Moving nodes between and within trees: arborist's `root` setter and `_reloadNamedEdges`.

When a node gets a new root it leaves the old inventory, finds its parent (or fs parent) by
walking up its path in the new root's inventory, adopts nodes that were added before it and belong
below it, pairs itself with links to its realpath (or, being a link, with its target), reloads the
edges that crossed trees, and brings its children along. Adding a child reloads the edges of that
name below the parent that may now resolve to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.tree.paths import dirname, relpath, resolve

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["reload_named_edges", "set_root", "stale_edge"]


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
    # (the emptiness checks below only spare a brand-new node the copies: a lockfile's worth)
    if node.links_in:
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

    if node.edges_in:
        for edge in list(node.edges_in):
            source = edge.from_
            if source is not None and source.root is not root:
                edge.reload()
    if node.edges_out:
        for edge in node.edges_out.values():
            if edge.to is None or edge.to.root is not root:
                edge.reload()

    if node.fs_children or node.children or node._inventory is not None:
        _bring_family(node, root)
    if node.is_link and target is not None and node._target is None and root is not node:  # type: ignore[attr-defined]
        target.root = root


def _bring_family(node: Node, root: Node) -> None:
    """Children, fs children and (for a former root) everything it held follow `node`."""
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


def _find_parent(node: Node, root: Node) -> None:
    """Find `node`'s parent or fs parent in its new root's inventory by walking up its path."""
    assert node.path is not None and root.realpath is not None
    path = node.path
    real = root.realpath
    inventory = root.inventory
    # walk-up-path from the folder above (node paths are normal: each step is a dirname)
    p = resolve(dirname(path))
    while True:
        if p != path:
            ploc = relpath(real, p)
            parent = inventory.get(ploc)
            if parent is not None and not parent.is_link:
                _attach(node, parent, ploc)
                return
        up = dirname(p)
        if up == p:
            return
        p = up


def _attach(node: Node, parent: Node, ploc: str) -> None:
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
    visited, in the walk's order (depth first, children before fs children).

    Only holders whose edge is stale can be reloaded: a reload sets `to` to what `resolve` finds,
    and the tree does not move meanwhile, so a holder that is up to date before the loop stays so
    (whatever the reloads of the others do). The stale ones are found first and only they are
    put in walk order, which is what makes loading a thousand-node lockfile linear."""
    if root_loc is None:
        root_loc = start.location
    inventory = start.root.inventory
    if not inventory.has(start):
        _reload_named_edges_walk(start, name, root_loc)
        return
    target_loc = f"{root_loc}/node_modules/"
    stale: list[Node] = []
    for node in inventory.with_edge(name):
        if not node.is_descendant_of(start):
            continue
        edge = node.edges_out.get(name)
        if edge is not None and stale_edge(node, edge, name, target_loc):
            stale.append(node)
    if len(stale) > 1:
        stale.sort(key=_preorder_keys(stale, start).__getitem__)
    for node in stale:
        edge = node.edges_out.get(name)
        if edge is not None and stale_edge(node, edge, name, target_loc):
            edge.reload(True)


def stale_edge(node: Node, edge: Edge, name: str, target_loc: str) -> bool:
    """Whether `reload_named_edges` reloads `node`'s edge `name` (`target_loc` is the parent's
    location with `/node_modules/`): it points at that parent's child of its name, or no longer
    at what `name` resolves to."""
    to = edge._to
    if to is not None and to.location == target_loc + edge.name:
        return True
    return node.resolve(name) is not to


_Step = tuple[int, int]


def _preorder_keys(nodes: list[Node], top: Node) -> dict[Node, tuple[_Step, ...]]:
    """Where each node comes in a depth-first walk from `top` (children before fs children), as
    comparable keys: the position of each ancestor among its parent's children (the map's
    sequence numbers) or after them among its fs children. When a node is not where its parent
    says (a tree being rearranged), every key is taken by listing the parents' children."""
    keys: dict[Node, tuple[_Step, ...]] = {}
    fs_positions: dict[Node, dict[Node, int]] = {}
    for start in nodes:
        steps: list[_Step] = []
        node = start
        while node is not top:
            parent = node._parent
            if parent is not None:
                seq = parent._children.position(node.name, node)
                if seq is None or node in parent.fs_children:
                    return _listed_preorder_keys(nodes, top)
                steps.append((0, seq))
            else:
                parent = node._fs_parent
                assert parent is not None
                order = fs_positions.get(parent)
                if order is None:
                    order = fs_positions[parent] = {kid: i for i, kid in enumerate(parent.fs_children)}
                index = order.get(node)
                if index is None:
                    return _listed_preorder_keys(nodes, top)
                steps.append((1, index))
            node = parent
        steps.reverse()
        keys[start] = tuple(steps)
    return keys


def _listed_preorder_keys(nodes: list[Node], top: Node) -> dict[Node, tuple[_Step, ...]]:
    positions: dict[Node, dict[Node, int]] = {}
    return {node: _preorder_key(node, top, positions) for node in nodes}


def _preorder_key(start: Node, top: Node, positions: dict[Node, dict[Node, int]]) -> tuple[_Step, ...]:
    """Where this node comes in a depth-first walk from `top` (children before fs children);
    `positions` caches each parent's child order across the keys of one sort."""
    steps: list[_Step] = []
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
