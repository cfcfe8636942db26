"""Where a linked install's engines meet (`install-strategy=linked`): the tree engine's isolated
layout (`snpm.tree.isolated`) as the reify engine's absolute paths (`snpm.reify.linked`), the
store folders and links described for the lifecycle engine, and the hidden lockfile's text.

What arborist sweeps after a linked reify (#cleanOrphanedStoreEntries) is decided here too: the
root's node_modules and every workspace's (or only the filtered workspaces', and the root's with
--include-workspace-root), each keeping the entries the layout puts there. So is what a filtered
install may touch (arborist's filterSet: what the filter's nodes reach through the store).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from snpm.ecmascript.json import stringify_nice
from snpm.lockfile.codec import KEY_ORDER
from snpm.reify.linked import LinkedLayout, StoreFolder, Symlink
from snpm.tree.isolated import IsolatedLayout, hidden_lockfile
from snpm.tree.lockfile_bridge import LockOptions
from snpm.tree.node import Node

if TYPE_CHECKING:
    from snpm.lifecycle.build_node import BuildNode

__all__ = ["build_nodes", "linked_hidden_lockfile_text", "linked_layout"]


def linked_layout(
    root: Node,
    layout: IsolatedLayout,
    *,
    workspaces: Sequence[str] = (),
    include_workspace_root: bool = False,
    workspaces_enabled: bool = True,
) -> LinkedLayout:
    """The layout with absolute paths, the node_modules folders to sweep, and what a filtered
    install may touch. `workspaces`: the -w names (given only when workspaces are enabled)."""
    path = root.path or ""
    # a store package's binPaths: its bins beside every link to it (processDeps)
    packages = {package.location: package.node.package for package in layout.store}
    bins: dict[str, list[str]] = {}
    for link in layout.links:
        binmap = packages[link.target].get("bin") if link.target in packages else None
        if isinstance(binmap, dict):
            folder = posixpath.join(path, _node_modules_of(link.location), ".bin")
            bins.setdefault(link.target, []).extend(posixpath.join(folder, name) for name in binmap)
    store = tuple(
        StoreFolder(
            path=posixpath.join(path, package.location),
            key=package.key,
            node=package.node,
            bins=tuple(bins.get(package.location, ())),
        )
        for package in layout.store
    )
    local_packages = {node.location: node.package for node in layout.local}
    links: list[Symlink] = []
    sweep: dict[str, set[str]] = {}
    for link in layout.links:
        into_store = link.target in packages
        package = packages[link.target] if into_store else local_packages.get(link.target, {})
        links.append(
            Symlink(
                path=posixpath.join(path, link.location),
                target=posixpath.join(path, link.target),
                package=package,
                optional=link.optional,
                into_store=into_store,
                name=link.name,
            )
        )
        if "/.store/" in link.location or link.location.startswith(".store/"):
            continue
        nm = _node_modules_of(link.location)
        sweep.setdefault(posixpath.join(path, nm), set()).add(posixpath.relpath(link.location, nm))
    # a bundle's top-level folders stay too (arborist records every real top-level node as valid)
    for node in layout.bundled:
        nm = _node_modules_of(node.location)
        if nm in ("node_modules", *(posixpath.join(n.location, "node_modules") for n in layout.local)):
            sweep.setdefault(posixpath.join(path, nm), set()).add(posixpath.relpath(node.location, nm))
    local_dirs = {
        node.package_name or node.name: posixpath.join(node.path or "", "node_modules")
        for node in layout.local
    }
    if workspaces:
        allowed = {folder for name, folder in local_dirs.items() if name in workspaces}
        if include_workspace_root:
            allowed.add(posixpath.join(path, "node_modules"))
        sweep = {folder: sweep.get(folder, set()) for folder in allowed}
    else:
        for folder in (posixpath.join(path, "node_modules"), *local_dirs.values()):
            sweep.setdefault(folder, set())
    bundled = tuple(
        StoreFolder(path=posixpath.join(path, node.location), key="", node=node, in_bundle=True)
        for node in layout.bundled
    )
    scope = _filter_scope(
        layout,
        workspaces=workspaces,
        root_dependencies=not workspaces_enabled or (include_workspace_root and bool(workspaces)),
    )
    undeclared = tuple(
        Symlink(
            path=posixpath.join(path, link.location),
            target=posixpath.join(path, link.target),
            package=local_packages.get(link.target, {}),
            into_store=False,
            name=link.name,
        )
        for link in layout.undeclared
        if scope is None or link.location in scope
    )
    return LinkedLayout(
        root=path,
        store=store,
        links=tuple(links),
        sweep={folder: frozenset(entries) for folder, entries in sweep.items()},
        undeclared=undeclared,
        bundled=bundled,
        front=tuple(posixpath.join(path, location) for location in layout.front),
        scope=None if scope is None else frozenset(posixpath.join(path, location) for location in scope),
    )


def _filter_scope(
    layout: IsolatedLayout, *, workspaces: Sequence[str], root_dependencies: bool
) -> set[str] | None:
    """arborist's Diff.calculate filterSet over the isolated tree, as locations. The filter nodes:
    each named workspace's node in the isolated tree (its tree-only link when the root does not
    declare it); with `root_dependencies`, whatever the root's edges lead to (the isolated tree's
    edges have no type, so a declared workspace counts too). From them, everything they depend on,
    through links to their targets (store folders, workspaces, `file:` folders) and on to those
    targets' links. None when there is no filter node (nothing is filtered)."""
    starts: list[str] = []
    if root_dependencies:
        starts += [
            link.location for link in layout.links if _node_modules_of(link.location) == "node_modules"
        ]
    undeclared = {link.name: link.location for link in layout.undeclared}
    locals_by_name = {node.package_name or node.name: node.location for node in layout.local}
    for name in workspaces:
        target = locals_by_name.get(name)
        if target is not None:
            starts += [undeclared[name], target] if name in undeclared else [target]
    if not starts:
        return None
    links = {link.location: link for link in (*layout.links, *layout.undeclared)}
    by_folder: dict[str, list[str]] = {}
    for location in links:
        by_folder.setdefault(_node_modules_of(location), []).append(location)
    store = {package.location for package in layout.store}
    local = {node.location for node in layout.local}
    scope: set[str] = set()
    stack = starts[::-1]
    while stack:
        location = stack.pop()
        if location in scope:
            continue
        scope.add(location)
        link = links.get(location)
        if link is not None:
            stack.append(link.target)
        elif location in store:
            # a store package's dependencies are the links beside it in its store entry
            stack.extend(by_folder.get(_node_modules_of(location), ()))
        elif location in local:
            stack.extend(by_folder.get(posixpath.join(location, "node_modules"), ()))
    # what an in-scope folder bundles stays a real folder in its node_modules
    for node in layout.bundled:
        holder = _node_modules_of(node.location)
        owner = "" if holder == "node_modules" else posixpath.dirname(holder)
        if owner in scope or (owner == "" and root_dependencies):
            scope.add(node.location)
    return scope


def _node_modules_of(location: str) -> str:
    """The node_modules folder holding the package folder at `location`."""
    parent = posixpath.dirname(location)
    return posixpath.dirname(parent) if posixpath.basename(parent).startswith("@") else parent


def build_nodes(
    project: Node,
    folders: Sequence[StoreFolder],
    links: Sequence[Symlink],
    undeclared: Collection[Symlink] = (),
) -> list[BuildNode]:
    """The lifecycle engine's view of arborist's isolated nodes: a store folder (scripts run there,
    with its dependencies on NODE_PATH; its bins go beside it), a link (its bins go beside it;
    scripts run through it only for folders outside the store, as workspaces), and the isolated
    root. That root does not say it is the project's (IsolatedNode#isProjectRoot is false), so
    arborist builds it like a dependency: its preinstall, install and postinstall run here, and
    again with the root's own lifecycle after the reify."""
    from snpm.lifecycle.build_node import BuildNode

    root = project.path or ""

    def store_node(folder: StoreFolder) -> BuildNode:
        node = folder.node
        assert isinstance(node, Node)
        package = {k: v for k, v in node.package.items() if k != "bundleDependencies"}
        return BuildNode(
            path=folder.path,
            package=package,
            location=posixpath.relpath(folder.path, root),
            name=node.name if folder.in_bundle else node.package_name or node.name,
            realpath=folder.path,
            resolved=node.resolved,
            optional=node.optional,
            lockfile_has_install_script=bool(node.package.get("hasInstallScript")),
            in_bundle=folder.in_bundle,
            is_in_store=not folder.in_bundle,
            is_registry_dependency=node.is_registry_dependency if not folder.in_bundle else False,
            edges_in=tuple((e.name, e.spec) for e in node.edges_in),
        )

    by_path = {folder.path: store_node(folder) for folder in folders}
    isolated_root = BuildNode(
        path=root, package=project.package, name=project.name, realpath=root, is_top=True
    )
    nodes: list[BuildNode] = [isolated_root, *by_path.values()]
    for link in links:
        target = by_path.get(link.target)
        if target is None:
            target = BuildNode(
                path=link.target,
                package=link.package,
                location=posixpath.relpath(link.target, root),
                name=str(link.package.get("name") or posixpath.basename(link.target)),
                realpath=link.target,
                is_in_store=link.into_store,
                is_workspace=not link.into_store,
            )
        nodes.append(
            BuildNode(
                path=link.path,
                package=link.package,
                location=posixpath.relpath(link.path, root),
                name=posixpath.basename(link.path),
                is_link=True,
                target=target,
                realpath=link.target,
                optional=link.optional,
                # every link of arborist's isolated tree is a store link, but for the tree-only
                # links to undeclared workspaces
                is_store_link=link not in undeclared,
            )
        )
    return nodes


def linked_hidden_lockfile_text(
    root: Node, layout: IsolatedLayout, *, omit_lockfile_registry_resolved: bool, failed: Sequence[str] = ()
) -> str:
    """node_modules/.package-lock.json of a linked install; `failed` are store locations of optional
    packages that did not install (left out, with the links to them)."""
    data = hidden_lockfile(
        root, layout, options=LockOptions(omit_lockfile_registry_resolved=omit_lockfile_registry_resolved)
    )
    if failed:
        gone = set(failed)
        packages = data.get("packages")
        assert isinstance(packages, dict)
        for link in layout.links:
            if link.target in gone:
                packages.pop(link.location, None)
        for location in gone:
            packages.pop(location, None)
            packages.pop(location.rsplit("/node_modules/", 1)[0], None)
    return stringify_nice(data, KEY_ORDER, 2)
