"""Spec helpers arborist keeps next to its tree: consistent-resolve.js and from-path.js.

`consistent_resolve` turns a `resolved` value into the one form arborist compares and records:
`file:<absolute path>` (or relative to `to_path` with `rel_paths`), hosted git repos as
`git+ssh://…#commit` (`git+https` when the URL carries credentials), other git URLs as their save
spec, registry tarball URLs untouched. Anything npa rejects is returned unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.errors import SnpmError
from snpm.spec import GitSpec, PackageSpec, parse_spec
from snpm.tree.paths import dirname, relpath

if TYPE_CHECKING:
    from snpm.tree.edge import Edge
    from snpm.tree.node import Node

__all__ = ["consistent_resolve", "from_path", "npa"]


def npa(arg: str, where: str | None = None) -> PackageSpec | None:
    """npa(arg, where), or None where npa would throw."""
    try:
        return parse_spec(arg, where)
    except SnpmError:
        return None


_GIT_HOSTS = ("github", "gitlab", "bitbucket", "sr.ht")
_NETWORK_SCHEMES = ("https://", "http://", "git+", "git://")


def _plain_tarball_url(resolved: str) -> bool:
    """An http(s) URL npa can only read as a remote tarball, which resolves to itself."""
    if not resolved.startswith(("https://", "http://")) or "#" in resolved:
        return False
    host = resolved.split("/", 3)[2]
    return not any(git in host for git in _GIT_HOSTS)


def consistent_resolve(
    resolved: str | None, from_path: str | None = None, to_path: str | None = None, rel_paths: bool = False
) -> str | None:
    if not resolved:
        return None
    if _plain_tarball_url(resolved):
        return resolved
    spec = npa(resolved, from_path)
    if spec is None:
        return resolved
    if spec.type in ("file", "directory"):
        fetch = spec.fetch_spec or ""
        if rel_paths and to_path:
            return f"file:{relpath(to_path, fetch)}"
        return f"file:{fetch}"
    if isinstance(spec, GitSpec):
        hosted = spec.hosted
        if hosted is not None:
            url = hosted.https(no_committish=False) if hosted.auth else hosted.sshurl(no_committish=False)
            return f"git+{url}"
        return spec.save_spec
    if spec.raw_spec == "*":
        return spec.raw
    return spec.raw_spec


def from_path(node: Node, edge: Edge | None) -> str:
    """Where a node's dependency specs are resolved from: the folder of the tarball a `file:`
    package came from, the project root for overridden edges, else the node's real path."""
    if edge is not None:
        rule = edge.overrides
        if rule is not None and rule.name == edge.name and rule.value:
            source = node.source_reference
            if source is not None:
                return source.root.realpath or ""
            return node.root.realpath or ""
    resolved = node.resolved
    # a URL with a network scheme never parses as a `file:` spec: skip npa (URL parsing is costly
    # and every registry node has its own tarball URL)
    if resolved and not resolved.startswith(_NETWORK_SCHEMES):
        spec = npa(resolved)
        if spec is not None and spec.type == "file":
            return dirname(spec.fetch_spec or "")
    return node.realpath or ""
