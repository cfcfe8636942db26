"""The tree on disk (arborist load-actual.js).

Reads the project's package.json and every package folder under node_modules (recursively, scoped
folders included, dot folders skipped), making symlinks Links to their (also loaded) targets. When
the hidden lockfile `node_modules/.package-lock.json` is newer than everything it describes, it is
read instead of the folders. Workspaces are loaded even when not linked, dependencies missing from
node_modules are looked for in enclosing folders (for link targets outside the project), and
finally the flags are computed. With `root`, the loaded tree is transplanted into that node (how
the ideal-tree builder starts from node_modules, and how it reads a package's bundled deps).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.manifest import DEPENDENCY_TYPES
from snpm.tree.flags import calc_dep_flags
from snpm.tree.link import Link
from snpm.tree.load_virtual import load_virtual, read_root_package
from snpm.tree.meta import MetaLog, TreeMeta
from snpm.tree.node import Node
from snpm.tree.paths import dirname, relpath, resolve, walk_up
from snpm.tree.workspaces_map import map_workspaces

__all__ = ["load_actual"]

_HIDDEN_ENTRY = re.compile(r"^(@[^/]+/)?\.")
ChildFilter = Callable[[Node, str], bool]
NodeFilter = Callable[[Node], bool]


def _always(*_args: object) -> bool:
    return True


def _readdir_scoped(folder: str) -> list[str]:
    """@npmcli/fs readdirScoped: entries, with `@scope` folders expanded to `@scope/name`."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return []
    out: list[str] = []
    for entry in entries:
        if entry.startswith("@"):
            try:
                out.extend(f"{entry}/{sub}" for sub in sorted(os.listdir(os.path.join(folder, entry))))
            except OSError:
                continue
        else:
            out.append(entry)
    return out


def _common_ancestor(a: str, b: str) -> str | None:
    common = os.path.commonpath([a, b]) if a and b else None
    return common or None


class _ActualLoader:
    def __init__(
        self,
        path: str,
        *,
        install_links: bool,
        legacy_peer_deps: bool,
        child_filter: ChildFilter,
        transplant_filter: NodeFilter,
        install_strategy: str,
    ) -> None:
        self.path = resolve(path)
        self.install_links = install_links
        self.legacy_peer_deps = legacy_peer_deps
        self.child_filter = child_filter
        self.transplant_filter = transplant_filter
        self.install_strategy = install_strategy
        self.cache: dict[str, Node] = {}
        self.loaded: set[str] = set()
        self.top_nodes: dict[str, None] = {}
        self.tree: Node = None  # type: ignore[assignment]

    def load_fs_node(
        self,
        path: str,
        *,
        parent: Node | None = None,
        real: str | None = None,
        root: Node | None = None,
        load_overrides: bool = False,
        use_root_overrides: bool = False,
    ) -> Node:
        if real is None:
            try:
                real = os.path.realpath(path, strict=True)
            except OSError as err:
                error = SnpmError(str(err), code="ENOENT", path=path)
                return Node(
                    error=error,
                    path=path,
                    realpath=path,
                    parent=parent,
                    root=root,
                    load_overrides=load_overrides,
                )
        cached = self.cache.get(path)
        if cached is not None and not cached.dummy:
            cached.parent = parent
            return cached
        params: dict[str, Any] = {
            "install_links": self.install_links,
            "legacy_peer_deps": self.legacy_peer_deps,
            "path": path,
            "realpath": real,
            "parent": parent,
            "root": root,
            "load_overrides": load_overrides,
            "is_in_store": path != self.path and f"{os.sep}node_modules{os.sep}.store{os.sep}" in real,
        }
        try:
            content, _indent, _newline = read_root_package(real)
            if content is None:
                raise SnpmError(
                    f"ENOENT: no such file or directory, open '{real}/package.json'", code="ENOENT"
                )
            params["pkg"] = content
            if use_root_overrides and root is not None and root.overrides is not None:
                name, version = content.get("name"), content.get("version")
                params["overrides"] = root.overrides.get_node_rule(
                    name if isinstance(name, str) else "", version if isinstance(version, str) else ""
                )
        except SnpmError as err:
            if err.code == "EJSONPARSE":
                err.path = os.path.join(real, "package.json")
            params["error"] = err
        if os.path.normpath(path) == real:
            node = self.new_node(params)
        else:
            node = self.new_link(params)
        self.cache[path] = node
        return node

    def new_node(self, params: dict[str, Any]) -> Node:
        if params.get("parent") is None:
            self.top_nodes[params["realpath"]] = None
        return Node(**params)

    def new_link(self, params: dict[str, Any]) -> Node:
        real = params["realpath"]
        self.top_nodes[real] = None
        target = self.cache.get(real)
        link = Link(**params, target=target)
        if target is None:
            self.cache[real] = link.target
            self.load_fs_tree(link.target)
        return link

    def load_fs_tree(self, node: Node) -> None:
        if node.is_link:
            return
        target = node.target
        if target.realpath in self.loaded:
            return
        self.loaded.add(target.realpath or "")
        self.load_fs_children(target)
        for kid in target.children.values():
            if kid.realpath not in self.loaded:
                self.load_fs_tree(kid)

    def load_fs_children(self, node: Node) -> None:
        nm = resolve(node.realpath or "", "node_modules")
        for kid in _readdir_scoped(nm):
            if _HIDDEN_ENTRY.match(kid) or not self.child_filter(node, kid):
                continue
            self.load_fs_node(resolve(nm, kid), parent=node)

    def find_missing_edges(self) -> None:
        contents: dict[str, list[str]] = {}
        for node in self._inventory_as_it_grows():
            ancestor = _common_ancestor(node.realpath or "", self.path)
            for name, edge in node.edges_out.items():
                to = edge.to
                if to is not None and not to.dummy and to.parent is node:
                    continue
                for p in walk_up(dirname(node.realpath or "")):
                    if ancestor and re.match(r"\.\.(?:/|$)", relpath(ancestor, p)):
                        break
                    entries = contents.get(p)
                    if entries is None:
                        entries = contents[p] = _readdir_scoped(p + "/node_modules")
                    if name not in entries:
                        continue
                    holder = self.cache.get(p)
                    if holder is None:
                        holder = Node(path=p, root=node.root, dummy=True)
                        self.cache[p] = holder
                    if holder.dummy:
                        dep_path = os.path.normpath(f"{p}/node_modules/{name}")
                        cached = self.cache.get(dep_path)
                        if cached is None or cached.dummy:
                            found = self.load_fs_node(dep_path, root=node.root, parent=holder)
                            self.load_fs_tree(found)
                    break

    def _inventory_as_it_grows(self) -> Iterator[Node]:
        """The inventory in order, and then the nodes added while walking it (a JavaScript Map's
        iteration sees those): a link target's dependencies found above it have their own to
        find, as in a linked install's store."""
        seen: set[int] = set()
        while True:
            pending = [node for node in self.tree.inventory.values() if id(node) not in seen]
            if not pending:
                return
            for node in pending:
                seen.add(id(node))
                yield node

    def transplant(self, root: Node | None) -> None:
        actual = self.tree
        if root is None or root is actual:
            return
        actual._change_path(root.path or "")
        for node in actual.children.values():
            if not self.transplant_filter(node):
                node.root = None
        root.replace(actual)
        for node in list(actual.fs_children):
            node.root = root if self.transplant_filter(node) else None
        self.tree = root


async def load_actual(
    path: str,
    *,
    root: Node | None = None,
    ignore_missing: bool = False,
    force_actual: bool = False,
    global_: bool = False,
    child_filter: ChildFilter = _always,
    transplant_filter: NodeFilter = _always,
    install_links: bool = False,
    legacy_peer_deps: bool = False,
    lockfile_version: int | None = None,
    install_strategy: str = "hoisted",
    log: MetaLog | None = None,
) -> Node:
    """arborist `loadActual`: the tree in `path`'s node_modules (into `root` when given). `log`
    hears what npm logs while loading (a lockfile it could not use)."""
    loader = _ActualLoader(
        path,
        install_links=install_links,
        legacy_peer_deps=legacy_peer_deps,
        child_filter=child_filter,
        transplant_filter=transplant_filter,
        install_strategy=install_strategy,
    )
    tree = _load(
        loader,
        root=root,
        ignore_missing=ignore_missing,
        force_actual=force_actual,
        global_=global_,
        lockfile_version=lockfile_version,
        log=log,
    )
    if root is None:
        for node in tree.inventory.values():
            node.extraneous = True
    calc_dep_flags(tree, root is None)
    if tree.overrides is not None:
        for node in tree.inventory.values():
            if node.is_link and node.overrides is not None:
                node.recalculate_out_edges_overrides()
    return tree


def _set_workspaces(node: Node) -> None:
    workspaces = map_workspaces(node.path or "", node.package)
    if workspaces:
        node.workspaces = workspaces


def _link_actual_workspaces(loader: _ActualLoader) -> None:
    """arborist `#linkActualWorkspaces`: under install-strategy=linked the root's node_modules has no
    link to a workspace the root does not depend on, so neither the disk nor the hidden lockfile
    resolves the root's workspace edge to it; a link is made up from the workspaces map (so that
    ls and query show the workspaces, as with hoisted). A declared workspace keeps its real link:
    when that is missing, its edge is a real problem."""
    root = loader.tree
    if loader.install_strategy != "linked" or not root.workspaces:
        return
    pkg = root.package
    declared: set[str] = set()
    for group in DEPENDENCY_TYPES:
        deps = pkg.get(group)
        if isinstance(deps, dict):
            declared.update(deps)
    by_location: dict[str, Node] = {}
    for node in root.fs_children:
        for where in (node.path, node.realpath):
            if where is not None:
                by_location[where] = node
    for name, path in root.workspaces.items():
        if name in declared or root.children.get(name) is not None:
            continue
        target = by_location.get(path)
        if target is not None:
            Link(
                name=name,
                path=resolve(root.path or "", "node_modules", name),
                realpath=target.realpath,
                target=target,
                parent=root,
                root=root,
            )


def _load(
    loader: _ActualLoader,
    *,
    root: Node | None,
    ignore_missing: bool,
    force_actual: bool,
    global_: bool,
    lockfile_version: int | None,
    log: MetaLog | None = None,
) -> Node:
    path = loader.path
    real = os.path.realpath(path)
    if global_:
        params: dict[str, Any] = {
            "path": path,
            "realpath": real,
            "pkg": {},
            "global_": True,
            "load_overrides": True,
        }
        loader.tree = loader.new_node(params) if path == real else loader.new_link(params)
    else:
        loader.tree = loader.load_fs_node(path, real=real, load_overrides=True)
        loader.tree.assert_root_overrides()
        if not force_actual:
            meta = TreeMeta.load(loader.tree.path or path, hidden_lockfile=True, log=log)
            if meta.loaded_from_disk:
                loader.tree.meta = meta
                load_virtual(meta, loader.tree, root_option_provided=False)
                _set_workspaces(loader.tree)
                _link_actual_workspaces(loader)
                loader.transplant(root)
                return loader.tree
        loader.tree.meta = TreeMeta.load(
            loader.tree.path or path,
            lockfile_version=lockfile_version,
            root_package=loader.tree.package,
            log=log,
        )
    loader.load_fs_tree(loader.tree)
    _set_workspaces(loader.tree)
    workspaces = loader.tree.workspaces
    if workspaces:
        for ws_path in workspaces.values():
            if ws_path not in loader.cache:
                node = loader.load_fs_node(ws_path, root=loader.tree, use_root_overrides=True)
                loader.load_fs_tree(node)
    _link_actual_workspaces(loader)
    if not ignore_missing:
        loader.find_missing_edges()
    for top_path in list(loader.top_nodes):
        top = loader.cache.get(top_path)
        if top is not None and top.parent is None and top.fs_parent is None:
            for p in walk_up(dirname(top_path)):
                holder = loader.cache.get(p)
                if holder is not None:
                    top.fs_parent = holder
                    break
    loader.transplant(root)
    if global_:
        tree = loader.tree
        actual_root = tree.target if tree.is_link else tree
        deps_value = actual_root.package.get("dependencies")
        deps: JsonObject = dict(deps_value) if isinstance(deps_value, dict) else {}
        for name, kid in actual_root.children.items():
            default = f"file:{kid.realpath}" if kid.is_link else "*"
            deps[name] = deps.get(name) or default
        actual_root.package = {**actual_root.package, "dependencies": deps}
    return loader.tree
