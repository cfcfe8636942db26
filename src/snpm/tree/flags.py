"""The dev/optional/devOptional/peer/extraneous flags (arborist calc-dep-flags.js,
reset-dep-flags.js, optional-set.js).

Every node starts with all five flags set; a walk from the root over edges clears what a path
proves false: `extraneous` once reachable (except through peerOptional edges), `dev` through a
non-dev edge from a non-dev node, `optional` through a non-optional edge from a non-optional node,
`peer` through a non-peer edge from a non-peer node, `devOptional` (the overlap of dev and
optional) through a plain prod path; finally devOptional is dropped wherever dev or optional
remained. Links pass their cleared flags to their targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.tree.dep_sets import gather_dep_set

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["calc_dep_flags", "optional_set", "reset_dep_flags"]


def calc_dep_flags(tree: Node, reset_root: bool = True) -> None:
    if reset_root:
        tree.unset_dep_flags()
    seen: dict[Node, None] = {}
    queue: list[Node] = [tree]
    while queue:
        node = queue.pop()
        seen[node] = None
        if not node.extraneous:
            parent = node.resolve_parent
            while parent is not None and parent.extraneous:
                parent.extraneous = False
                parent = parent.resolve_parent
        if node.is_link:
            target = node.target
            if target is None:
                continue
            changed = False
            if target.dev and not node.dev:
                target.dev = False
                changed = True
            if target.optional and not node.optional:
                target.optional = False
                changed = True
            if target.dev_optional and not node.dev_optional:
                target.dev_optional = False
                changed = True
            if target.peer and not node.peer:
                target.peer = False
                changed = True
            if target.extraneous and not node.extraneous:
                target.extraneous = False
                changed = True
            if changed or target not in seen:
                queue.append(target)
            continue
        for edge in node.edges_out.values():
            to = edge.to
            if to is None:
                continue
            peer, optional, dev = edge.peer, edge.optional, edge.dev
            changed = False
            if to.extraneous and not node.extraneous and not (peer and optional):
                to.extraneous = False
                changed = True
            if to.dev and not node.dev and not dev:
                to.dev = False
                changed = True
            if to.optional and not node.optional and not optional:
                to.optional = False
                changed = True
            if (
                to.dev_optional
                and not node.dev_optional
                and not node.dev
                and not node.optional
                and not dev
                and not optional
            ):
                to.dev_optional = False
                changed = True
            if to.peer and not node.peer and not peer:
                to.peer = False
                changed = True
            if changed:
                queue.append(to)
    seen.pop(tree, None)
    for node in seen:
        if node.dev_optional and (node.dev or node.optional):
            node.dev_optional = False


def reset_dep_flags(tree: Node) -> None:
    """Set every flag on every node, so a walk can find what is really extraneous."""
    for node in tree.inventory.values():
        node.reset_dep_flags()


def optional_set(node: Node) -> dict[Node, None]:
    """The nodes to drop when optional `node` cannot be installed: it and its non-optional
    dependents up to the optional boundary, plus what only they need."""
    members: dict[Node, None] = {node: None}
    queue = [node]
    for current in queue:
        for edge in current.edges_in:
            source = edge.from_
            if not edge.optional and source is not None and source not in members:
                members[source] = None
                queue.append(source)
    return gather_dep_set(
        members, lambda e: e.to not in members and not (e.from_ is not None and e.from_.inert)
    )
