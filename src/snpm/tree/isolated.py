"""npm's `install-strategy=linked` layout (arborist's isolated-reifier.js, npm RFC 0042), as plain data.

The lockfile of a linked install is the hoisted ideal tree's; only node_modules differs. Every package
outside the project gets a folder of its own in the store,

    node_modules/.store/<name>@<version>-<hash>/node_modules/<name>/

where `<hash>` digests the whole dependency graph below the package (so two copies of one version
with different dependencies get different folders), and every dependency is a symlink beside it:

    node_modules/.store/<key>/node_modules/<dep>  ->  ../../<dep key>/node_modules/<dep>
    node_modules/<root dep>                       ->  .store/<key>/node_modules/<root dep>

`isolated_layout(ideal_tree)` answers which store folders and which links, by arborist's rules:
the graph from the project root (and its workspaces) through every edge except into bundled
dependencies and omitted types; a package's dependencies are its non-optional edges' targets (local
ones, workspaces and `file:` links, stay in place), its optional edges', and, for optional peers
nobody declared an edge for, what the tree resolves by that name; the key of a package is
`shake256(16 bytes)` over the sorted `name@version->…::resolved` paths of a depth-first walk.
`hidden_lockfile(ideal_tree, layout)` is the node_modules/.package-lock.json arborist then writes:
one entry per store package, link and local folder (Shrinkwrap.metaFromNode of its isolated nodes,
which carry no dev/peer flags and an integrity only when the package was read from the registry,
its `_integrity`), and `{}` per store folder.

A package that carries an npm-shrinkwrap.json takes its dependencies from a tree of its own (arborist
builds one inside it), which the caller reads from the unpacked package (`shrinkwraps`). What the
root or a workspace bundles stays a real folder where the ideal tree has it, with everything it
depends on (`bundled`). Reify applies the layout through snpm.reify.linked.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from collections.abc import Iterable, Mapping

import msgspec

from snpm.json_types import JsonObject, JsonValue
from snpm.tree.lockfile_bridge import LockOptions, package_meta
from snpm.tree.node import Node
from snpm.tree.paths import name_from_folder
from snpm.tree.specs import consistent_resolve

__all__ = ["IsolatedLayout", "StoreLink", "StorePackage", "hidden_lockfile", "isolated_layout"]


class StorePackage(msgspec.Struct, frozen=True):
    """One store folder: the package `node` of the ideal tree, extracted at `location`."""

    key: str
    location: str
    node: Node


class StoreLink(msgspec.Struct, frozen=True):
    """A symlink at `location` (relative to the project) to the package folder at `target`;
    `resolved` is what arborist records for it (`file:.store/<key>/node_modules/<name>`)."""

    location: str
    target: str
    resolved: str | None
    optional: bool
    # what arborist names the link (its --dry-run line): the target's key, or a workspace's name
    name: str = ""


class IsolatedLayout(msgspec.Struct, frozen=True):
    store: tuple[StorePackage, ...]
    links: tuple[StoreLink, ...]
    # (folder holding `.bin`, bin name, location of the package it runs), as arborist's binPaths
    bins: tuple[tuple[str, str, str], ...]
    # the folders that stay in place and hold links of their own: workspaces and `file:` folders
    local: tuple[Node, ...] = ()
    # arborist's tree-only links to the local folders the root does not declare: never made on
    # disk, but part of every reify's diff (and build)
    undeclared: tuple[StoreLink, ...] = ()
    # what the root and the workspaces bundle, and everything that depends on, as real folders
    # where the ideal tree has them (arborist's #createBundledTree)
    bundled: tuple[Node, ...] = ()
    # the locations of arborist's first children, one per local folder (the root's link to it,
    # or the tree-only one): the order its diff lists them in
    front: tuple[str, ...] = ()


class _Proxy:
    """arborist's proxy objects of the ideal graph: a package with its dependencies split by kind."""

    __slots__ = (
        "external",
        "external_optional",
        "key",
        "local",
        "local_location",
        "name",
        "node",
        "package_name",
        "resolved",
        "version",
    )

    def __init__(self, node: Node, *, local: bool = False) -> None:
        self.node = node
        self.name = node.name or ""
        self.package_name = name_from_folder(node.package_name or node.path) or ""
        # as JavaScript's template strings show them: a package without a version has `undefined`
        # (and so has every local folder: arborist's #workspaceProxy sets none), a node without
        # `resolved` (a lockfile that omits it) has arborist's `null`
        version = None if local else node.package.get("version")
        self.version = version if isinstance(version, str) else "undefined"
        self.resolved = node.resolved
        self.local_location = node.location
        self.local: list[_Proxy] = []
        self.external: list[_Proxy] = []
        self.external_optional: list[_Proxy] = []
        self.key: str | None = None

    @property
    def dependencies(self) -> list[_Proxy]:
        return [*self.external, *self.local, *self.external_optional]


def _store_key(proxy: _Proxy) -> str:
    """getKey: `<name>@<version>-<hash>` over the depth-first paths below `proxy` (treeverse's
    depth: each package once, at the first path that reaches it)."""
    if proxy.key is not None:
        return proxy.key
    paths: list[str] = []
    branch: list[str] = []
    seen: set[int] = set()
    # an explicit stack: a long dependency chain must not meet Python's recursion limit
    stack: list[tuple[_Proxy, int]] = [(proxy, 0)]
    while stack:
        node, index = stack.pop()
        if index == 0:
            if id(node) in seen:
                continue
            seen.add(id(node))
            branch.append(f"{node.package_name}@{node.version}")
            paths.append(f"{'->'.join(branch)}::{'null' if node.resolved is None else node.resolved}")
        deps = node.dependencies
        if index < len(deps):
            stack.append((node, index + 1))
            stack.append((deps[index], 0))
        else:
            branch.pop()
    paths.sort()
    digest = hashlib.shake_256(",".join(paths).encode()).digest(16)
    text = base64.b64encode(digest).decode().replace("+", "-").replace("/", "_").rstrip("=")
    proxy.key = f"{proxy.package_name}@{proxy.version}-{text}"
    return proxy.key


class _Graph:
    """makeIdealGraph: the proxies reachable from the root and its workspaces."""

    def __init__(
        self, root: Node, omit: Iterable[str], shrinkwraps: Mapping[Node, Node] | None = None
    ) -> None:
        self.root = root
        self.omit = frozenset(omit)
        self.shrinkwraps: Mapping[Node, Node] = shrinkwraps or {}
        package = root.package
        declared: set[str] = set()
        for group, kind in (
            ("dependencies", None),
            ("devDependencies", "dev"),
            ("optionalDependencies", "optional"),
            ("peerDependencies", "peer"),
        ):
            deps = package.get(group)
            if isinstance(deps, dict) and (kind is None or kind not in self.omit):
                declared.update(deps)
        self.declared = declared
        self.proxies: dict[Node, _Proxy] = {}
        self.externals: list[_Proxy] = []
        self.top = self._proxy(root, local=True)
        self.workspaces: list[_Proxy] = [
            self._proxy(w, local=True) for w in root.fs_children if not w.extraneous
        ]
        self._collect()

    def _fs_child(self, node: Node) -> bool:
        children = self.root.fs_children
        return node in children or node.target in children

    def _collect(self) -> None:
        root = self.root
        processed: set[str] = set()
        queue: list[Node] = [root, *root.fs_children]
        while queue:
            node = queue.pop()
            if node.location in processed:
                continue
            processed.add(node.location)
            bundled = _bundled(node)
            for edge in node.edges_out.values():
                to = edge.to
                if to is not None and to.name not in bundled and not to.should_omit(self.omit):
                    queue.append(to)
            local_file = node.is_link and (node.resolved or "").startswith("file:")
            if local_file and not self._fs_child(node):
                self.workspaces.append(self._proxy(node.target, local=True))
            elif not (node.is_project_root or node.is_workspace or node.inert or self._fs_child(node)):
                self.externals.append(self._proxy(node, local=False))

    def _proxy(self, node: Node, *, local: bool) -> _Proxy:
        found = self.proxies.get(node)
        if found is not None:
            return found
        proxy = self.proxies[node] = _Proxy(node, local=local)
        if local and not node.is_project_root:
            # arborist's #workspaceProxy (workspaces and `file:` folders alike) names by package
            proxy.name = node.package_name or node.name or ""
        own = None if local else self.shrinkwraps.get(node)
        if own is not None:
            # arborist builds the graph of the package's own tree (its npm-shrinkwrap.json, read
            # as a project): the package depends on what that root depends on, all in the store
            sub = _Graph(own, self.omit)
            self.externals.extend(sub.externals)
            proxy.external = sub.top.external
            proxy.external_optional = sub.top.external_optional
            return proxy
        self._dependencies(node, proxy)
        return proxy

    def _dependencies(self, node: Node, proxy: _Proxy) -> None:
        bundled = _bundled(node)
        edges = [e for e in node.edges_out.values() if e.to is not None and e.to.name not in bundled]
        if (node.is_project_root or node.is_workspace) and self.omit:
            edges = [
                e
                for e in edges
                if not (
                    (e.dev and "dev" in self.omit)
                    or (e.optional and "optional" in self.omit)
                    or (e.peer and "peer" in self.omit)
                )
            ]
        required = [_to(e.to) for e in edges if not e.optional]
        if node.is_project_root:
            required = [n for n in required if not n.is_workspace or (n.package_name or "") in self.declared]
        peers = node.package.get("peerDependencies")
        if isinstance(peers, dict) and node.legacy_peer_deps:
            names = {e.name for e in edges}
            for name in peers:
                if name not in names:
                    found = node.resolve(name)
                    if found is not None and found is not node and not found.inert:
                        required.append(found.target)
        file_targets = {
            id(_to(e.to))
            for e in edges
            if e.to is not None and e.to.is_link and (e.to.resolved or "").startswith("file:")
        }

        def is_local(n: Node) -> bool:
            return n.is_workspace or n in node.fs_children or id(n) in file_targets

        optional = [_to(e.to) for e in edges if e.optional]
        meta = node.package.get("peerDependenciesMeta")
        if isinstance(meta, dict):
            have = {n.name for n in [*required, *optional]}
            for name, value in meta.items():
                if not (isinstance(value, dict) and value.get("optional")) or name in have:
                    continue
                found = node.resolve(name)
                target = found.target if found is not None else None
                if target is not None and target is not node and not target.inert and not is_local(target):
                    optional.append(target)
        proxy.local = [self._proxy(n, local=True) for n in required if is_local(n)]
        proxy.external = [self._proxy(n, local=False) for n in required if not is_local(n) and not n.inert]
        proxy.external_optional = [self._proxy(n, local=False) for n in optional if not n.inert]


def _to(node: Node | None) -> Node:
    assert node is not None
    return node.target


def _bundled(node: Node) -> frozenset[str]:
    package = node.package
    value = package.get("bundleDependencies") or package.get("bundledDependencies")
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) else frozenset()


def isolated_layout(
    root: Node, *, omit: Iterable[str] = (), shrinkwraps: Mapping[Node, Node] | None = None
) -> IsolatedLayout:
    """The store folders, links and bins of a linked install of the ideal tree `root`.
    `shrinkwraps` maps each package that carries an npm-shrinkwrap.json to the tree read from it
    (its root that package): its dependencies are that tree's, not the ideal tree's."""
    graph = _Graph(root, omit, shrinkwraps)
    store: dict[str, StorePackage] = {}
    for proxy in graph.externals:
        key = _store_key(proxy)
        if key not in store:
            location = f"node_modules/.store/{key}/node_modules/{proxy.package_name}"
            store[key] = StorePackage(key=key, location=location, node=proxy.node)
    links: dict[str, StoreLink] = {}
    bins: list[tuple[str, str, str]] = []
    done: set[str] = set()

    def edges(proxy: _Proxy, external: bool) -> None:
        key = _store_key(proxy)
        if key in done:
            return
        done.add(key)
        if external:
            folder = f"node_modules/.store/{key}/node_modules"
        else:
            folder = posixpath.join(proxy.local_location, "node_modules")
        for dep in proxy.local:
            edges(dep, False)
            link(dep, False, False, folder)
        for dep in proxy.external:
            edges(dep, True)
            link(dep, False, True, folder)
        for dep in proxy.external_optional:
            edges(dep, True)
            link(dep, True, True, folder)

    def link(dep: _Proxy, optional: bool, external: bool, folder: str) -> None:
        key = _store_key(dep)
        if external:
            target = store[key].location
            resolved: str | None = f"file:.store/{key}/node_modules/{dep.package_name}"
        else:
            target = dep.local_location
            resolved = dep.resolved
        binmap = dep.node.package.get("bin")
        if isinstance(binmap, dict):
            bins.extend((posixpath.join(folder, ".bin"), name, target) for name in binmap)
        location = posixpath.join(folder, dep.name)
        links[location] = StoreLink(
            location=location, target=target, resolved=resolved, optional=optional, name=key
        )

    edges(graph.top, False)
    for workspace in graph.workspaces:
        edges(workspace, False)
    # a store package's own bins go beside it, as bin-links links any package's (its node_modules)
    for package in store.values():
        binmap = package.node.package.get("bin")
        if isinstance(binmap, dict):
            folder = package.location.rsplit("/node_modules/", 1)[0] + "/node_modules/.bin"
            bins.extend((folder, name, package.location) for name in binmap)
    undeclared = tuple(
        StoreLink(
            location=posixpath.join(w.local_location, "node_modules", w.package_name),
            target=w.local_location,
            resolved=None,
            optional=False,
            name=w.package_name,
        )
        for w in graph.workspaces
        if w.package_name not in graph.declared
    )
    front = tuple(
        posixpath.join("node_modules", w.package_name)
        if w.package_name in graph.declared
        else posixpath.join(w.local_location, "node_modules", w.package_name)
        for w in graph.workspaces
    )
    return IsolatedLayout(
        store=tuple(store.values()),
        links=tuple(links.values()),
        bins=tuple(bins),
        local=tuple(w.node for w in graph.workspaces),
        undeclared=undeclared,
        bundled=_bundled_tree(root),
        front=front,
    )


def _bundled_tree(root: Node) -> tuple[Node, ...]:
    """#createBundledTree: from each bundled dependency of the root or a workspace, every node
    reachable through edges, at its place in the ideal tree."""
    queue: list[tuple[Node, Node]] = []
    for owner in (root, *root.fs_children):
        names = _bundled(owner)
        for edge in owner.edges_out.values():
            if edge.to is not None and edge.to.name in names:
                queue.append((owner, edge.to))
    found: dict[str, Node] = {}
    processed: set[tuple[str, str]] = set()
    while queue:
        origin, to = queue.pop()
        key = (origin.location, to.location)
        if key in processed:
            continue
        processed.add(key)
        if not (origin.is_root or origin.is_workspace):
            found[origin.location] = origin
        found[to.location] = to
        for edge in to.edges_out.values():
            if edge.to is not None:
                queue.append((to, edge.to))
    return tuple(found.values())


# node_modules/.store/<key> of a location inside it (a key may hold a scope's `/`)
_CONTAINER = re.compile(r"^(.*/\.store/.+?)/node_modules/")


def hidden_lockfile(root: Node, layout: IsolatedLayout, *, options: LockOptions | None = None) -> JsonObject:
    """node_modules/.package-lock.json of a linked install (reify's #saveLinkedHiddenLockfile): an
    entry per store package, per link and per local folder, as Shrinkwrap.metaFromNode writes the
    isolated nodes arborist makes of them, and an empty one per store folder."""
    path = root.path or ""
    packages: dict[str, JsonValue] = {}
    containers: set[str] = set()
    for package in layout.store:
        packages[package.location] = _store_meta(package, path, options)
    for link in layout.links:
        packages[link.location] = {"resolved": link.target, "link": True}
    for location in packages:
        found = _CONTAINER.match(location)
        if found is not None:
            containers.add(found.group(1))
    for node in layout.local:
        packages[node.location] = _local_meta(node, path)
    for node in layout.bundled:
        packages[node.location] = _bundled_meta(node, path)
    for container in containers:
        packages[container] = {}
    return {"lockfileVersion": 3, "requires": True, "packages": packages}


def _package_fields(package: JsonObject) -> JsonObject:
    """metaFromNode's fields read off the package (bundled dependencies left out, as arborist's
    proxies drop them)."""
    meta = package_meta(package)
    meta.pop("bundleDependencies", None)
    return meta


def _has_install_script(package: JsonObject) -> bool:
    scripts = package.get("scripts")
    scripts = scripts if isinstance(scripts, dict) else {}
    return bool(
        package.get("hasInstallScript")
        or scripts.get("install")
        or scripts.get("preinstall")
        or scripts.get("postinstall")
    )


def _store_meta(package: StorePackage, path: str, options: LockOptions | None) -> JsonObject:
    node = package.node
    meta = _package_fields(node.package)
    pname = node.package.get("name")
    folder_name = name_from_folder(package.location)
    if isinstance(pname, str) and pname and folder_name != pname:
        meta["name"] = pname
    if _has_install_script(node.package):
        meta["hasInstallScript"] = True
    resolved = consistent_resolve(node.resolved, posixpath.join(path, package.location), path, True)
    if resolved and not (
        node.is_registry_dependency and options is not None and options.omit_lockfile_registry_resolved
    ):
        meta["resolved"] = resolved
    if node.optional:
        meta["optional"] = True
    return meta


def _bundled_meta(node: Node, path: str) -> JsonObject:
    """A real folder of the root's bundle: as a store package, marked inBundle (arborist's node of
    it does not say it came from the registry, so its `resolved` stays)."""
    meta = _store_meta(StorePackage(key="", location=node.location, node=node), path, None)
    meta["inBundle"] = True
    return meta


def _local_meta(node: Node, path: str) -> JsonObject:
    """A workspace (or `file:` folder) as the isolated tree's top-level node: its devDependencies
    too, and its name whenever its folder is named otherwise."""
    meta = _package_fields(node.package)
    pname = node.package.get("name")
    if isinstance(pname, str) and pname and name_from_folder(node.path) != pname:
        meta["name"] = pname
    dev = node.package.get("devDependencies")
    if isinstance(dev, dict) and dev:
        meta["devDependencies"] = dev
    if _has_install_script(node.package):
        meta["hasInstallScript"] = True
    resolved = consistent_resolve(node.resolved, node.path, path, True)
    if resolved:
        meta["resolved"] = resolved
    return meta
