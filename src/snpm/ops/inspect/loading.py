"""The tree an inspection command reads, and arborist's workspace filters over it.

`load_tree_for` is `new Arborist({...flatOptions, path}).loadActual()` (or `loadVirtual()` with
--package-lock-only); the filters are arborist's `workspaceNodes`, `workspaceDependencySet` and
`excludeWorkspacesDependencySet` (lib/arborist/index.js), which `ls`, `outdated`, `explain` and
`fund` use for -w/-ws and --no-workspaces. Their warnings go through `warn(title, message)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.tree import Node, load_tree
from snpm.tree.load_actual import load_actual
from snpm.tree.meta import MetaLog
from snpm.tree.paths import relpath

__all__ = [
    "Warn",
    "exclude_workspaces_dependency_set",
    "global_tree_path",
    "load_tree_for",
    "node_relative",
    "workspace_dependency_set",
    "workspace_nodes",
]

Warn = Callable[[str, str], None]


def global_tree_path(config: Config) -> str:
    """`resolve(npm.globalDir, '..')`: the `lib` folder holding the global node_modules."""
    return str(config.global_prefix / "lib")


async def load_tree_for(
    path: str,
    *,
    global_: bool = False,
    package_lock_only: bool = False,
    force_actual: bool = False,
    flat: Mapping[str, object],
    log: MetaLog | None = None,
) -> Node:
    """The actual tree at `path` (the lockfile's tree with `package_lock_only`); `flat`: the
    flattened options arborist is given (installLinks, installStrategy); `log` hears what npm logs
    while loading it."""
    if package_lock_only:
        return load_tree(path, log=log)
    if not os.path.lexists(path):
        # arborist realpaths the folder first: lstat fails (a global prefix never installed into)
        raise SnpmError(
            f"ENOENT: no such file or directory, lstat '{path}'",
            code="ENOENT",
            syscall="lstat",
            path=path,
            errno=-2,
        )
    return await load_actual(
        path,
        global_=global_,
        force_actual=force_actual,
        install_links=bool(flat.get("installLinks")),
        install_strategy=str(flat.get("installStrategy") or "hoisted"),
        log=log,
    )


def node_relative(from_path: str | None, to_path: str | None) -> str:
    """node's `path.relative(from, to)` ('' when equal)."""
    return relpath(from_path or "", to_path or "")


def workspace_nodes(tree: Node, names: Iterable[str], warn: Warn) -> list[Node]:
    """arborist workspaceNodes: the nodes of the named workspaces (warning about the others)."""
    ws_map = tree.workspaces
    if not ws_map:
        warn("workspaces", "filter set, but no workspaces present")
        return []
    nodes: list[Node] = []
    for name in names:
        path = ws_map.get(name)
        if not path:
            warn("workspaces", f"{name} in filter set, but not in workspaces")
            continue
        node = tree.inventory.get(relpath(tree.realpath or "", path))
        if node is None:
            warn("workspaces", f"{name} in filter set, but no workspace folder present")
            continue
        nodes.append(node)
    return nodes


def workspace_dependency_set(
    tree: Node, names: Iterable[str], warn: Warn, include_workspace_root: bool = False
) -> dict[Node, None]:
    """arborist workspaceDependencySet: the named workspaces, their dependencies (transitively),
    and the extraneous children met on the way. Ordered like the JS Set it builds."""
    ws_nodes = workspace_nodes(tree, names, warn)
    if include_workspace_root:
        ws_nodes.extend(e.to for e in tree.edges_out.values() if e.type != "workspace" and e.to is not None)
    dep_set: dict[Node, None] = dict.fromkeys(ws_nodes)
    extraneous: dict[Node, None] = {}
    queue = list(dep_set)
    for node in queue:  # a JS Set iterates over what is added while it iterates
        for edge in node.edges_out.values():
            dep = edge.to
            if dep is None:
                continue
            for added in (dep, dep.target) if dep.is_link else (dep,):
                if added not in dep_set:
                    dep_set[added] = None
                    queue.append(added)
        for child in node.children.values():
            if child.extraneous:
                extraneous[child] = None
    for extra in extraneous:
        dep_set.setdefault(extra, None)
    return dep_set


def exclude_workspaces_dependency_set(tree: Node) -> dict[Node, None]:
    """arborist excludeWorkspacesDependencySet: the root's dependencies that are not only there for
    a workspace (treeverse's depth-first descent: a stack, the last child first)."""
    root_dep_set: dict[Node, None] = {}
    seen: set[Node] = set()
    stack: list[Node] = [tree]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge in node.edges_out.values():
            to = edge.to
            if to is None or to.is_workspace:
                continue
            for edge_in in list(to.edges_in):
                source = edge_in.from_
                if source is not None and (source.is_root or source in root_dep_set):
                    root_dep_set[to] = None
        stack.extend(e.to for e in node.edges_out.values() if e.to is not None)
    return root_dep_set
