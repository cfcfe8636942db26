"""Is one node a stand-in for another? Node#matches, #canReplaceWith and #canDedupe (node.js).

`matches`: the same package (integrity, else resolved, else name and version). `can_replace_with`:
every dependent of a node (outside what only that node needs) accepts the other one, with the same
overrides. `can_dedupe`: a node may go because the node its grandparent resolves to serves its
dependents (equal or newer, or preferred by dedupe, or explicitly requested).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from snpm import semver
from snpm.tree.dep_sets import gather_dep_set

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["can_dedupe", "can_replace_with", "matches"]


def matches(a: Node, node: Node) -> bool:
    if node is a:
        return True
    if node.name != a.name:
        return False
    if a.is_link:
        return node.is_link and a.target.matches(node.target)
    if a.is_project_root and node.is_project_root:
        return a.path == node.path
    if a.integrity and node.integrity:
        return a.integrity == node.integrity
    if a.resolved and node.resolved:
        return a.resolved == node.resolved
    return bool(
        a.package_name
        and node.package_name
        and a.package_name == node.package_name
        and a.version
        and node.version
        and a.version == node.version
    )


def can_replace_with(a: Node, node: Node, ignore_peers: Iterable[str] = ()) -> bool:
    """Whether every dependent of this node would accept `node` in its place."""
    if node.name != a.name or node.package_name != a.package_name:
        return False
    if len(a.edges_out):
        if node.overrides is not None:
            if not node.overrides.is_equal(a.overrides):
                return False
        elif a.overrides is not None:
            return False
    ignored = set(ignore_peers)
    dep_set = gather_dep_set([a], lambda e: e.to is not a and e.valid)
    for edge in list(a.edges_in):
        source = edge.from_
        assert source is not None
        if not a.is_top and source.parent is a.parent and edge.peer and source.name in ignored:
            continue
        if source not in dep_set and not edge.satisfied_by(node):
            return False
    return True


def can_dedupe(a: Node, prefer_dedupe: bool = False, explicit_request: bool = False) -> bool:
    if a.in_dep_bundle or a.in_shrinkwrap:
        return False
    rp = a.resolve_parent
    if rp is None or rp.resolve_parent is None:
        return False
    if not a.edges_in:
        return True
    other = rp.resolve_parent.resolve(a.name)
    if other is None:
        return False
    if other.matches(a):
        return True
    if not can_replace_with(a, other):
        return False
    if prefer_dedupe or _semver_eq(other.version, a.version):
        return True
    if not a.overridden and _semver_gt(other.version, a.version):
        return True
    return explicit_request


def _semver_eq(a: str, b: str) -> bool:
    try:
        return semver.eq(a, b)
    except TypeError:
        return False


def _semver_gt(a: str, b: str) -> bool:
    try:
        return semver.gt(a, b)
    except TypeError:
        return False
