"""A tree from the lockfile (arborist load-virtual.js).

Every `packages` entry becomes a Node at its location (links become Links to their targets), with
the entry itself as its package (so its recorded dependencies become edges) and its recorded
flags. The root's edges come from the current package.json, and `check_root_edges` compares them
with the lockfile's root entry: any difference makes the flags "suspect", so they are recomputed
(and extraneous nodes pruned later by the ideal-tree builder).
"""

from __future__ import annotations

import os

import msgspec

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.manifest import NORMALIZE_STEPS, normalize, read_package_json
from snpm.tree.bulk_load import bulk_load, plan_placements
from snpm.tree.flags import calc_dep_flags
from snpm.tree.link import Link
from snpm.tree.meta import TreeMeta
from snpm.tree.node import Node
from snpm.tree.paths import join_location, name_from_folder, relpath, resolve
from snpm.tree.specs import consistent_resolve
from snpm.tree.workspaces_map import map_workspaces_virtual

__all__ = ["VirtualLoad", "check_root_edges", "load_virtual", "read_root_package"]


class VirtualLoad(msgspec.Struct):
    """What loading said about the lockfile: whether the flags must be recomputed."""

    tree: Node
    flags_suspect: bool


def read_root_package(path: str) -> tuple[JsonObject | None, str | None, str | None]:
    """A package.json as `PackageJson.normalize` reads it, with its indent and newline;
    `(None, None, None)` when missing or unreadable (a JSON syntax error raises EJSONPARSE)."""
    try:
        file = read_package_json(path)
    except SnpmError as err:
        if err.code == "EJSONPARSE":
            raise
        return None, None, None
    content = normalize(dict(file.content), steps=NORMALIZE_STEPS, path=path)
    return content, file.indent, file.newline


def check_root_edges(meta: TreeMeta, root: Node) -> bool:
    """Whether the lockfile's root entry disagrees with the root's edges (`#checkRootEdges`)."""
    if not meta.loaded_from_disk or meta.ancient_lockfile:
        return False
    if meta.tree is root:
        # the root was added to this meta first (loadActual's hidden lockfile): arborist's
        # Shrinkwrap.get('') then answers from the root node itself, which always agrees
        return False
    lock = meta.get(meta.path)
    prod = dict(_map(lock.get("dependencies")))
    dev = _map(lock.get("devDependencies"))
    optional = _map(lock.get("optionalDependencies"))
    peer = dict(_map(lock.get("peerDependencies")))
    peer_optional: dict[str, str] = {}
    meta_field = lock.get("peerDependenciesMeta")
    if isinstance(meta_field, dict):
        for name, value in meta_field.items():
            if isinstance(value, dict) and value.get("optional") and name in peer:
                peer_optional[name] = peer.pop(name)
    for name in optional:
        prod.pop(name, None)
    lock_ws = {
        name: f"file:{path}" for name, path in map_workspaces_virtual(meta.path, meta.packages).items()
    }
    root_names = dict.fromkeys(root.edges_out.keys())
    by_type = {
        "dev": dev,
        "optional": optional,
        "peer": peer,
        "peerOptional": peer_optional,
        "prod": prod,
        "workspace": lock_ws,
    }
    for dep_type, deps in by_type.items():
        for name, spec in deps.items():
            edge = root.edges_out.get(name)
            if edge is None or edge.type != dep_type or edge.spec != spec:
                return True
            root_names.pop(name, None)
    return bool(root_names)


def _map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, str)}


def load_virtual(
    meta: TreeMeta,
    root: Node,
    *,
    root_option_provided: bool = True,
    install_links: bool = False,
    legacy_peer_deps: bool = False,
    subtree_only: bool = False,
) -> VirtualLoad:
    """Fill `root`'s tree from `meta` (`#loadFromShrinkwrap`). `root_option_provided` is arborist's
    "a root node was passed in" (the ideal-tree builder always passes one)."""
    flags_suspect = False
    if not root_option_provided:
        root.unset_dep_flags()
    else:
        flags_suspect = True
    if check_root_edges(meta, root):
        flags_suspect = True
    root.meta = meta
    base = root.realpath or meta.path
    links: dict[str, JsonObject] = {}
    packages: list[tuple[str, JsonObject]] = []
    for location, entry in list(meta.packages.items()):
        if not location:
            continue
        if entry.get("link"):
            links[location] = entry
        else:
            packages.append((location, entry))
    placements = None if subtree_only else plan_placements(root, packages)
    if placements is not None:

        def make_node(path: str, entry: JsonObject) -> Node:
            return _load_node(base, path, entry, None, install_links, legacy_peer_deps, unplaced=True)

        nodes = bulk_load(root, placements, make_node)
    else:
        nodes = {"": root}
        for location, entry in packages:
            path = join_location(base, location)
            _contained(base, path, location, subtree_only)
            nodes[location] = _load_node(base, path, entry, root, install_links, legacy_peer_deps)
    _resolve_links(meta, links, nodes, root, install_links, legacy_peer_deps, subtree_only)
    original = meta.original_lockfile_version
    if not (original is not None and original >= 2):
        _assign_bundles(nodes)
    if flags_suspect:
        for node in nodes.values():
            if node.is_root or (root_option_provided and node is root):
                continue
            node.reset_dep_flags()
        calc_dep_flags(root, not root_option_provided)
    return VirtualLoad(root, flags_suspect)


def _contained(base: str, path: str, location: str, subtree_only: bool) -> None:
    if not subtree_only:
        return
    if os.path.isabs(location):
        raise SnpmError(
            f'invalid lockfile entry: "{location}" must be a relative location', code="EINVALIDLOCATION"
        )
    rel = relpath(base, path)
    if rel == ".." or rel.startswith("../") or os.path.isabs(rel) or (rel == "" and location != ""):
        raise SnpmError(
            f'invalid lockfile entry: "{location}" resolves outside of "{base}"', code="EINVALIDLOCATION"
        )


def _load_node(
    base: str,
    path: str,
    entry: JsonObject,
    root: Node | None,
    install_links: bool,
    legacy_peer_deps: bool,
    *,
    unplaced: bool = False,
) -> Node:
    pkg = dict(entry)
    if not pkg.get("name"):
        pkg["name"] = name_from_folder(path) or ""
    resolved = entry.get("resolved")
    integrity = entry.get("integrity")
    return Node(
        install_links=install_links,
        legacy_peer_deps=legacy_peer_deps,
        root=root,
        path=path,
        realpath=path,
        integrity=integrity if isinstance(integrity, str) else None,
        resolved=consistent_resolve(resolved if isinstance(resolved, str) else None, base, path),
        pkg=pkg,
        has_shrinkwrap=bool(entry.get("hasShrinkwrap")),
        extraneous=bool(entry.get("extraneous")),
        dev_optional=bool(entry.get("devOptional") or entry.get("dev") or entry.get("optional")),
        peer=bool(entry.get("peer")),
        optional=bool(entry.get("optional")),
        dev=bool(entry.get("dev")),
        unplaced=unplaced,
    )


def _resolve_links(
    meta: TreeMeta,
    links: dict[str, JsonObject],
    nodes: dict[str, Node],
    root: Node,
    install_links: bool,
    legacy_peer_deps: bool,
    subtree_only: bool,
) -> None:
    base = meta.path
    for location, entry in links.items():
        resolved = entry.get("resolved")
        target_path = resolve(base, resolved if isinstance(resolved, str) else "")
        _contained(
            base, target_path, resolved if isinstance(resolved, str) and resolved else location, subtree_only
        )
        target_loc = relpath(base, target_path)
        target = nodes.get(target_loc)
        if target is None:
            raise SnpmError(
                f'Missing target in lock file: "{target_loc}" is referenced by "{location}" but does '
                "not exist.\nTo fix:\n1. rm package-lock.json\n2. npm install",
                code="EMISSINGTARGET",
            )
        path = resolve(base, location)
        _contained(base, path, location, subtree_only)
        link = Link(
            install_links=install_links,
            legacy_peer_deps=legacy_peer_deps,
            path=path,
            realpath=resolve(base, target_loc),
            target=target,
            pkg=target.package,
        )
        link.extraneous = target.extraneous
        link.dev_optional = target.dev_optional
        link.peer = target.peer
        link.optional = target.optional
        link.dev = target.dev
        nodes[location] = link
        nodes[target_loc] = link.target
        # link targets outside node_modules are the user's folders: read their package.json again
        if link.target.parent is None:
            try:
                content, _indent, _newline = read_root_package(link.realpath or "")
            except SnpmError:
                content = None
            if content is not None:
                link.target.package = content


def _assign_bundles(nodes: dict[str, Node]) -> None:
    """v1 lockfiles mark bundled packages per entry; put them back in their bundler's list."""
    for location, node in nodes.items():
        if not location or (node.is_link and not node.target.location):
            continue
        parent = node.parent
        if parent is None:
            continue
        in_bundle = node.package.get("inBundle")
        ppkg = parent.package
        if in_bundle and not ppkg.get("inBundle") and parent.edges_out.has(node.name):
            bundled = ppkg.get("bundleDependencies")
            if isinstance(bundled, list):
                bundled.append(node.name)
            else:
                ppkg["bundleDependencies"] = [node.name]


def load_subtree(
    folder: str, node: Node, *, install_links: bool = False, legacy_peer_deps: bool = False
) -> None:
    """Read the npm-shrinkwrap.json of an unpacked package in `folder` into `node`'s subtree
    (`loadVirtual({root: node, subtreeOnly: true})`): entries may not point outside the package."""
    meta = TreeMeta.load(folder)
    load_virtual(
        meta,
        node,
        install_links=install_links,
        legacy_peer_deps=legacy_peer_deps,
        subtree_only=True,
    )
