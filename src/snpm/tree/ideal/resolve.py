"""From a dependency edge to a candidate node with its peers: arborist build-ideal-tree.js
`#nodeFromEdge`, `#nodeFromSpec`, `#loadPeerSet`, `#virtualRoot`, `#findHoistableNode`.

A candidate is built inside a *virtual root*: a stand-in for the dependent that has the same
dependencies, so the candidate's peer dependencies (and theirs) can be resolved beside it the way
they will sit in the real tree. Peer specs are resolved through the dependent's own spec for that
name when it has one (a broad `>=1` there, narrowed by the peer's `1.x` as a hint), and a conflict
between them is ERESOLVE when it is the project's own and not forced ("unable to resolve
dependency tree"), otherwise tolerated (`peer_conflicted`). Directory specs become Links; specs
that fail to load become error nodes, which are fatal later unless optional.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from snpm.ecmascript.collation import locale_compare_key as locale_key
from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.spec import DirectorySpec, PackageSpec, resolve
from snpm.tree.ideal.manifests import ManifestFetcher
from snpm.tree.ideal.options import IdealTreeOptions
from snpm.tree.ideal.peers import EresolveError
from snpm.tree.link import Link
from snpm.tree.load_virtual import read_root_package
from snpm.tree.node import Node
from snpm.tree.paths import resolve as path_resolve

if TYPE_CHECKING:
    from snpm.tree.edge import Edge

__all__ = ["EdgeResolver"]

_ALLOW_TYPES = frozenset({"git", "remote", "file", "directory"})


class EdgeResolver:
    def __init__(self, tree: Node, options: IdealTreeOptions, fetcher: ManifestFetcher) -> None:
        self.tree = tree
        self.options = options
        self.fetcher = fetcher
        self.virtual_roots: dict[Node, Node] = {}
        self.peer_set_source: dict[Node, Node | None] = {}
        self.link_nodes: dict[Node, None] = {}
        self.load_failures: dict[Node, None] = {}

    # ── virtual roots ──

    def virtual_root(self, node: Node, reuse: bool = False) -> Node:
        if reuse:
            found = self.virtual_roots.get(node)
            if found is not None:
                return found
        vr = Node(
            path=node.realpath,
            source_reference=node,
            install_links=self.options.install_links,
            legacy_peer_deps=self.options.legacy_peer_deps,
            overrides=node.overrides,
        )
        for child in node.children.values():
            if child.is_link:
                Node(path=child.realpath, source_reference=child.target, root=vr)
        self.virtual_roots[node] = vr
        return vr

    # ── candidates ──

    def find_hoistable_node(self, root: Node, edge: Edge) -> Node | None:
        """Breadth-first: an existing node below `root` that satisfies `edge` (not bundled)."""
        queue = list(root.children.values())
        index = 0
        while index < len(queue):
            node = queue[index]
            index += 1
            if node.name == edge.name and not node.in_dep_bundle and node.satisfies(edge):
                return node
            queue.extend(node.children.values())
        return None

    async def node_from_edge(
        self, edge: Edge, parent: Node | None, second_edge: Edge | None, required: dict[Node, None]
    ) -> Node:
        source = edge.from_
        assert source is not None
        parent = parent or self.virtual_root(source)
        spec = resolve(edge.name, edge.spec, source.path)
        first = await self.node_from_spec(edge.name, spec, parent, edge)
        second: Node | None = None
        if second_edge is not None and not second_edge.valid:
            second_source = second_edge.from_
            assert second_source is not None
            spec2 = resolve(edge.name, second_edge.spec, second_source.path)
            second = await self.node_from_spec(edge.name, spec2, parent, second_edge)
        node = second if second is not None and edge.valid else first
        node.parent = parent
        if (source in required and edge.type != "peerOptional") or (
            second_edge is not None and second_edge.from_ in required and second_edge.type != "peerOptional"
        ):
            required[node] = None
        self.peer_set_source[node] = parent.source_reference
        if self.options.global_ and source.is_project_root:
            return node
        return await self.load_peer_set(node, required)

    def failure_node(self, name: str, parent: Node, error: SnpmError, edge: Edge | None) -> Node:
        source = edge.from_ if edge is not None else None
        error.extra = {**error.extra, "requiredBy": (source.location if source is not None else "") or "."}
        node = Node(
            name=name,
            parent=parent,
            error=error,
            install_links=self.options.install_links,
            legacy_peer_deps=self.options.legacy_peer_deps,
        )
        self.load_failures[node] = None
        return node

    def check_allow(self, spec: PackageSpec, edge: Edge | None) -> None:
        """The allow-git/-file/-remote/-directory policies (arborist `#checkAllow`): EALLOW<TYPE>."""
        allow = getattr(self.options, f"allow_{spec.type}", "all") if spec.type in _ALLOW_TYPES else "all"
        if allow == "all":
            return
        source = edge.from_ if edge is not None else None
        is_root = source is not None and (source.is_project_root or source.is_workspace)
        if allow != "none" and is_root:
            return
        scope = " non-root" if allow == "root" else ""
        raise SnpmError(
            f'Fetching{scope} packages of type "{spec.type}" have been disabled',
            code=f"EALLOW{spec.type.upper()}",
            extra={"package": str(spec)},
        )

    async def node_from_spec(self, name: str, spec: PackageSpec, parent: Node, edge: Edge | None) -> Node:
        try:
            self.check_allow(spec, edge)
        except SnpmError as error:
            return self.failure_node(name, parent, error, edge)
        install_links = self.options.install_links
        legacy = self.options.legacy_peer_deps
        workspaces = self.tree.workspaces
        is_workspace = bool(workspaces) and spec.name in (workspaces or {})
        internal = False
        raw = edge.raw_spec if edge is not None else ""
        if raw.startswith(("file:../", "file:./")):
            target_path = path_resolve(parent.realpath or "", raw[5:])
            project = path_resolve(self.tree.realpath or "")
            internal = target_path.startswith(project + os.sep) or target_path == project
        parent_installed = (
            not parent.is_link and parent.resolved is not None and parent.resolved.startswith("file:")
        )
        transitive_file = isinstance(spec, DirectorySpec) and parent_installed and install_links
        should_link = (is_workspace or internal or not install_links) and not transitive_file
        if isinstance(spec, DirectorySpec) and should_link:
            real = spec.fetch_spec
            try:
                content, _indent, _newline = read_root_package(real)
            except SnpmError:
                content = None
            link = Link(
                name=name,
                parent=parent,
                realpath=real,
                pkg=content or {},
                install_links=install_links,
                legacy_peer_deps=legacy,
            )
            self.link_nodes[link] = None
            return link
        if is_workspace:
            ws_edge = self.tree.edges_out.get(spec.name or "")
            existing = ws_edge.to if ws_edge is not None else None
            if (
                existing is not None
                and existing.is_workspace
                and edge is not None
                and existing.satisfies(edge)
            ):
                return existing
        if transitive_file and edge is not None and parent.resolved is not None:
            original = parent.resolved[5:]
            spec = resolve(name, f"file:{path_resolve(original, edge.raw_spec[5:])}")
        where = parent.realpath or self.tree.realpath or ""
        if edge is not None and edge.from_ is not None:
            where = edge.from_.realpath or where
        try:
            pkg = await self.fetcher.fetch(spec, where)
        except SnpmError as error:
            return self.failure_node(name, parent, error, edge)
        if not pkg.get("version") and spec.registry:
            incomplete = SnpmError(
                f"incomplete manifest for {name}, missing version", code="EINCOMPLETEMANIFEST"
            )
            return self.failure_node(name, parent, incomplete, edge)
        return Node(
            name=name,
            pkg=pkg,
            normalize_pkg=False,
            parent=parent,
            install_links=install_links,
            legacy_peer_deps=legacy,
        )

    # ── peer sets ──

    async def load_peer_set(self, node: Node, required: dict[Node, None]) -> Node:
        peer_edges = sorted(
            (e for e in node.edges_out.values() if e.peer and not (e.valid and e.to is not None)),
            key=lambda e: locale_key(e.name),
        )
        for edge in peer_edges:
            parent = node.parent
            if parent is None:
                break
            if edge.valid and edge.to is not None:
                continue
            parent_edge = parent.edges_out.get(edge.name)
            reference = parent.source_reference
            assert reference is not None
            is_mine = reference.is_project_root or reference.is_workspace
            conflict_ok = self.options.force or (not is_mine and not self.options.strict_peer_deps)
            if edge.to is None:
                if parent_edge is None:
                    await self.node_from_edge(edge, parent, None, required)
                    continue
                dep = await self.node_from_edge(parent_edge, parent, edge, required)
                if edge.valid:
                    continue
                if conflict_ok or dep not in required:
                    edge.peer_conflicted = True
                    continue
                if node.parent is None:
                    break
                self.fail_peer_conflict(edge, parent_edge)
            current = edge.to
            assert current is not None
            dep = await self.node_from_edge(edge, None, None, required)
            if dep.can_replace(current):
                await self.node_from_edge(edge, node.parent, None, required)
                continue
            if conflict_ok or edge.from_ not in required:
                continue
            self.fail_peer_conflict(edge, parent_edge)
        return node

    def fail_peer_conflict(self, edge: Edge, current_edge: Edge | None) -> None:
        raise EresolveError(
            "unable to resolve dependency tree", self.explain_peer_conflict(edge, current_edge)
        )

    def explain_peer_conflict(self, edge: Edge, current_edge: Edge | None) -> JsonObject:
        node = edge.from_
        assert node is not None
        cur_node = node.resolve(edge.name)
        return {
            "code": "ERESOLVE",
            "current": cur_node.explain() if cur_node is not None else None,
            "currentEdge": current_edge.explain() if current_edge is not None else None,
            "edge": edge.explain(),
            "strictPeerDeps": self.options.strict_peer_deps,
            "force": self.options.force,
        }
