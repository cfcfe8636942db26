"""Which packages are bundled: arborist Node#getBundler.

A node is bundled when its parent lists it in `bundleDependencies`, or when its parent bundled a
package that depends on it (deps deduped up to the bundling level), or when an ancestor bundles
its parent. Bundled nodes come from the tarball, are never re-resolved, and get `inBundle` in the
lockfile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snpm.tree.node import Node

__all__ = ["get_bundler"]


def get_bundler(node: Node, path: list[Node] | None = None) -> Node | None:
    if path is None and not _may_be_bundled(node):
        return None
    path = path if path is not None else []
    if node in path:
        return None
    path.append(node)
    parent = node._parent
    if parent is None:
        return None
    bundler = get_bundler(parent, path)
    if bundler is not None:
        return bundler
    bundled = parent.package.get("bundleDependencies")
    if isinstance(bundled, list) and node.name in bundled:
        return parent
    for edge in node.edges_in:
        source = edge.from_
        if source is None:
            continue
        found = get_bundler(source, path)
        if found is not None and found is parent:
            return found
    return None


def _may_be_bundled(node: Node) -> bool:
    """Whether an ancestor declares bundleDependencies: a bundler is always such an ancestor,
    so without one `get_bundler` is None and its (costly) walk over dependents is skipped."""
    parent = node._parent
    while parent is not None:
        bundled = parent._package.get("bundleDependencies")
        if isinstance(bundled, list) and bundled:
            return True
        parent = parent._parent
    return False
