"""Where reify's engines meet: tree nodes described for the lifecycle engine (`build_node`), the
allowScripts policy from config, npm's `#registryResolved` for fetching, and the tree edits npm
makes while reifying bundles (`prune_bundled_metadeps`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from msgspec.structs import replace

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.tree.node import Node

if TYPE_CHECKING:
    from snpm.lifecycle.build_node import BuildNode
    from snpm.reify.nodes import ReifyNode
    from snpm.tree.ideal.build import IdealTree

__all__ = [
    "build_node",
    "empty_tree",
    "old_meta",
    "prune_bundled_metadeps",
    "registry_resolved",
    "workspace_node_modules",
]

LogFn = Callable[[str, str, str], None]


def prune_bundled_metadeps(bundlers: Sequence[ReifyNode]) -> list[str]:
    """arborist #pruneBundledMetadeps (npm/cli#1597): nodes outside a bundle that only bundled
    copies needed are removed. Returns their folders, to delete."""
    shadowed: dict[Node, None] = {}
    for bundler in bundlers:
        assert isinstance(bundler, Node)
        parent = bundler.parent
        if parent is None:
            continue
        for name in bundler.children:
            shadow = parent.resolve(name)
            if shadow is not None:
                shadowed[shadow] = None
                shadow.extraneous = True
    for shadow in list(shadowed):
        for edge in shadow.edges_out.values():
            if edge.to is not None:
                shadowed[edge.to] = None
                edge.to.extraneous = True
    changed = True
    while changed:
        changed = False
        for shadow in list(shadowed):
            if any(edge.from_ not in shadowed for edge in shadow.edges_in):
                shadow.extraneous = False
                del shadowed[shadow]
                changed = True
    trash: list[str] = []
    for shadow in shadowed:
        if shadow.path:
            trash.append(shadow.path)
        shadow.root = None
    return trash


def empty_tree(root: str) -> Node:
    """What `loadActual` finds in a folder with nothing installed (npm ci empties node_modules
    before loading it): the root package alone."""
    from snpm.manifest import read_package_json

    try:
        pkg: JsonObject = read_package_json(root).content
    except SnpmError:
        pkg = {}
    return Node(path=root, realpath=root, pkg=pkg)


def workspace_node_modules(root: Node) -> list[str]:
    """node_modules of the root and of every workspace (npm ci empties them all)."""
    folders = [os.path.join(root.path or "", "node_modules")]
    for node in root.fs_children:
        if node.path:
            folders.append(os.path.join(node.path, "node_modules"))
    return [f for f in folders if os.path.isdir(f)]


def old_meta(built: IdealTree) -> bool:
    meta = built.meta
    return bool(meta.loaded_from_disk and not (meta.original_lockfile_version or 0) >= 2)


def build_node(node: Node, built: IdealTree | None = None, *, with_target: bool = True) -> BuildNode:
    """The lifecycle engine's view of a tree node."""
    from snpm.lifecycle.build_node import BuildNode  # only runs that check or run scripts need it

    target = node.target if node.is_link else None
    bundled: tuple[BuildNode, ...] = ()
    bd = node.package.get("bundleDependencies")
    if isinstance(bd, list) and bd and not node.is_link:
        bundled = tuple(
            build_node(n, built, with_target=False)
            for n in node.root.inventory.values()
            if n is not node and n.in_bundle and n.path and n.path.startswith((node.path or "") + "/")
        )
    return BuildNode(
        path=node.path or "",
        package=node.package,
        location=node.location,
        depth=node.depth,
        name=node.name,
        is_link=node.is_link,
        target=build_node(target, built, with_target=False) if target is not None and with_target else None,
        realpath=node.realpath or "",
        resolved=node.resolved,
        integrity=node.integrity,
        optional=node.optional,
        dev=node.dev,
        peer=node.peer,
        dev_optional=node.dev_optional,
        lockfile_has_install_script=bool(node.package.get("hasInstallScript")),
        in_bundle=node.in_bundle,
        is_top=node.is_top,
        global_top=node.global_top,
        is_project_root=node.is_project_root,
        is_workspace=node.is_workspace,
        inert=node.inert,
        is_in_store=node.is_in_store,
        is_registry_dependency=node.is_registry_dependency,
        edges_in=tuple((e.name, e.spec) for e in node.edges_in),
        links_in=tuple(link.resolved for link in node.links_in),
        bundled=bundled,
    )


# URLs the WHATWG parser gives back unchanged: lower-case host, no default port, no dot segments
# or characters it would escape (what registries write)
_CANONICAL_URL = re.compile(
    r"(https?://[a-z0-9.-]+(?::[0-9]+)?/)(?:[A-Za-z0-9@%_~+-][A-Za-z0-9@%._~+-]*/?)*\Z"
)


def registry_resolved(resolved: str, registry: str, replace_host: str) -> str | None:
    """arborist #registryResolved: a lockfile URL on the replaced host points at the configured
    registry instead (`replace-registry-host`); anything else is used as it is."""
    from snpm.fetch.options import public_registry_host

    public = public_registry_host()
    found = _CANONICAL_URL.match(resolved) if "%2e" not in resolved.lower() else None
    if found is not None and replace_host == "npmjs" and registry == f"https://{public}/":
        # the common case, decided without parsing: another host's URL is used as it is, and the
        # public registry's own URL already points where it would be moved to
        origin = found.group(1)
        hostname = origin.partition("://")[2].rstrip("/").partition(":")[0]
        if hostname != public or origin == registry:
            return resolved
    from snpm.spec.whatwg_url import parse as parse_url

    resolved_url = parse_url(resolved)
    registry_url = parse_url(registry)
    if resolved_url is None or registry_url is None:
        return None if resolved_url is None else resolved
    match_url = parse_url(replace_host) if replace_host not in ("npmjs", "always", "never") else None
    match_host = (
        match_url.hostname if match_url is not None else (public if replace_host == "npmjs" else replace_host)
    )
    match_path = match_url.pathname.rstrip("/") if match_url is not None else None
    pathname = resolved_url.pathname

    def has_prefix(path: str, prefix: str) -> bool:
        return path == prefix or path.startswith(prefix + "/")

    host_matches = replace_host == "always" or match_host == resolved_url.hostname
    path_matches = not match_path or has_prefix(pathname, match_path)
    if not host_matches or not path_matches:
        return resolved
    registry_path = registry_url.pathname.rstrip("/")
    if match_path:
        pathname = registry_path + pathname[len(match_path) :]
    elif registry_path and not has_prefix(pathname, registry_path):
        pathname = registry_path + pathname
    moved = replace(
        resolved_url,
        scheme=registry_url.scheme,
        host=registry_url.host,
        port=registry_url.port,
        path=tuple(pathname.split("/")[1:]) if isinstance(resolved_url.path, tuple) else pathname,
    )
    return moved.href
