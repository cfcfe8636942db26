"""The v1/v2 `dependencies` section, derived from `packages` like arborist's `#buildLegacyLockfile`.

npm builds it from its node tree; the lockfile's `packages` entries hold the same facts, so the tree
is rebuilt from locations: children are `<loc>/node_modules/<name>` entries, links stand for their
targets' children and dependencies, and each package's edges come from its recorded dependency
maps (peer < prod < optional < dev for tops, later kinds replacing earlier ones like Node#loadDeps).

Per package npm writes: `version` (the version; `file:<target>` for links; the edge's saveSpec for
tarball/remote specs; the resolved URL plus `from` for git; `npm:<name>@<version>` for aliases),
`resolved` (only for registry-style specs), `integrity`, `bundled` (inside a dependency's bundle),
the flags, `requires` (non-peer edges, `file:` specs made relative to the package) and nested
`dependencies`. "The edge it came from" is npm's choice among incoming edges: fewest `node_modules`
segments in the requester's location, then `localeCompare` on the last segment. Edges are assumed
valid; `edge_specs` can supply specs that differ from the recorded ones (npm writes the overridden
spec of an edge when `overrides` apply).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

import msgspec

from snpm.ecmascript.collation import CollationKey, locale_compare_key
from snpm.errors import SnpmError
from snpm.lockfile.model import VIRTUAL_ROOT, LegacyEntry, LockEntry
from snpm.lockfile.spec_from_lock import consistent_resolve, relpath, spec_or_none
from snpm.spec import PackageSpec, parse_spec

__all__ = ["VIRTUAL_ROOT", "build_legacy_dependencies"]

_NM = "node_modules/"


class _Edge(msgspec.Struct):
    from_loc: str
    name: str
    spec: str
    peer: bool


class _Node(msgspec.Struct):
    location: str
    entry: LockEntry
    name: str
    parent: str | None  # location of the node whose node_modules holds this one
    children: dict[str, str] = msgspec.field(default_factory=dict)  # name → location
    edges_in: list[_Edge] = msgspec.field(default_factory=list)


def _split(location: str) -> tuple[str | None, str]:
    """(parent location, folder name) for a location inside node_modules; (None, location) otherwise."""
    cut = location.rfind("/" + _NM)
    if cut >= 0:
        return location[:cut], location[cut + 1 + len(_NM) :]
    if location.startswith(_NM):
        return "", location[len(_NM) :]
    return None, location


class _Tree:
    def __init__(
        self, packages: Mapping[str, LockEntry], root_path: str, edge_specs: Mapping[str, Mapping[str, str]]
    ) -> None:
        self.root_path = root_path
        self.nodes: dict[str, _Node] = {}
        for location, entry in packages.items():
            parent, name = _split(location) if location else (None, "")
            self.nodes[location] = _Node(location, entry, name, parent)
        if "" not in self.nodes:
            self.nodes[""] = _Node("", LockEntry(), "", None)
        for node in self.nodes.values():
            if node.parent is not None and node.parent in self.nodes:
                self.nodes[node.parent].children[node.name] = node.location
        self.edge_specs = edge_specs
        for node in list(self.nodes.values()):
            if node.entry.link:
                continue
            for name, (spec, peer) in self.edges_out(node).items():
                target = self.resolve(node.location, name)
                if target is not None:
                    target.edges_in.append(_Edge(node.location, name, spec, peer))

    def realpath(self, location: str) -> str:
        return posixpath.normpath(posixpath.join(self.root_path, location)) if location else self.root_path

    def is_top(self, node: _Node) -> bool:
        return node.parent is None

    def target(self, node: _Node) -> _Node:
        if node.entry.link and node.entry.resolved is not None:
            return self.nodes.get(node.entry.resolved, node)
        return node

    def edges_out(self, node: _Node) -> dict[str, tuple[str, bool]]:
        """name → (spec, is a peer edge), in Node#loadDeps order with later kinds replacing earlier."""
        entry = node.entry
        out: dict[str, tuple[str, bool]] = {}
        for name, spec in entry.peer_dependencies.items():
            out[name] = (spec, True)
        for group in (entry.dependencies, entry.optional_dependencies):
            for name, spec in group.items():
                out[name] = (spec, False)
        if self.is_top(node):
            for name, spec in entry.dev_dependencies.items():
                out[name] = (spec, False)
        overrides = self.edge_specs.get(node.location)
        if overrides:
            for name, spec in overrides.items():
                if name in out:
                    out[name] = (spec, out[name][1])
        return out

    def fs_parent(self, location: str) -> str | None:
        if location.startswith("../") or location == "..":
            return None
        path = posixpath.dirname(location)
        while path:
            if path in self.nodes:
                return path
            path = posixpath.dirname(path)
        return ""

    def resolve(self, location: str, name: str) -> _Node | None:
        seen: set[str] = set()
        current: str | None = location
        while current is not None and current not in seen:
            seen.add(current)
            node = self.nodes.get(current)
            if node is None:
                return None
            child = node.children.get(name)
            if child is not None:
                return self.nodes[child]
            current = (
                node.parent if node.parent is not None else (self.fs_parent(current) if current else None)
            )
        return None

    def bundler(self, node: _Node, path: list[str]) -> str | None:
        """Node#getBundler: the location of the package whose bundle holds this node, if any."""
        if node.location in path:
            return None
        path.append(node.location)
        if node.parent is None or node.parent not in self.nodes:
            return None
        parent = self.nodes[node.parent]
        found = self.bundler(parent, path)
        if found is not None:
            return found
        if node.name in self.target(parent).entry.bundle_dependencies:
            return parent.location
        for edge in node.edges_in:
            source = self.nodes.get(edge.from_loc)
            if source is not None and self.bundler(source, path) == parent.location:
                return parent.location
        return None


def _chosen_edge(node: _Node) -> _Edge | None:
    def key(edge: _Edge) -> tuple[int, CollationKey]:
        pieces = edge.from_loc.split("node_modules")
        return len(pieces), locale_compare_key(pieces[-1])

    return min(node.edges_in, key=key) if node.edges_in else None


def _spec_from_resolved(resolved: str, where: str) -> PackageSpec | None:
    """shrinkwrap.js `specFromResolved`: `npa(resolved)`, or nothing where npa throws."""
    try:
        return parse_spec(resolved, where)
    except SnpmError:
        return None


_LOCAL_TYPES = frozenset(["git", "file", "directory"])


def _legacy_entry(tree: _Tree, node: _Node, path: list[str]) -> LegacyEntry:
    entry = node.entry
    target = tree.target(node)
    root = tree.root_path
    resolved = consistent_resolve(entry.resolved, root, root, True) if not entry.link else None
    r_spec = _spec_from_resolved(resolved, root) if resolved else None
    r_type = r_spec.type if r_spec is not None else None
    edge = _chosen_edge(node)
    spec = spec_or_none(node.name, edge.spec, tree.realpath(edge.from_loc)) if edge is not None else r_spec
    s_type = spec.type if spec is not None else None

    version: str | None = None
    from_: str | None = None
    if entry.link:
        version = f"file:{entry.resolved}"
    elif spec is not None and s_type in ("file", "remote"):
        version = spec.save_spec
    elif s_type == "git" or r_type == "git":
        version = entry.resolved
        from_ = spec.raw if spec is not None and spec.raw else None
    elif entry.name and entry.name != node.name:
        version = f"npm:{entry.name}@{entry.version or ''}"
    elif entry.version:
        version = entry.version

    bundler = tree.bundler(node, []) if entry.in_bundle else None
    keep_resolved = (
        entry.resolved
        and not entry.link
        and r_type not in _LOCAL_TYPES
        and s_type not in ("directory", "git", "file", "remote")
    )
    # npm writes the flags of links only when extraneous
    flagged = not entry.extraneous and not entry.link

    requires: dict[str, str] | None = None
    edges = tree.edges_out(target)
    if edges:
        requires = {}
        real = tree.realpath(target.location)
        for name, (dep_spec, peer) in edges.items():
            if peer:
                continue
            if dep_spec.startswith("file:"):
                dep_path = posixpath.normpath(posixpath.join(real, dep_spec[5:]))
                requires[name] = f"file:{relpath(real, dep_path)}"
            else:
                requires[name] = dep_spec

    return LegacyEntry(
        version=version,
        resolved=entry.resolved if keep_resolved else None,
        integrity=entry.integrity,
        from_=from_,
        bundled=bundler is not None and bundler != "",
        extraneous=entry.extraneous,
        peer=flagged and entry.peer,
        dev_optional=flagged and entry.dev_optional and not entry.dev and not entry.optional,
        dev=flagged and entry.dev,
        optional=flagged and entry.optional,
        requires=requires,
        dependencies=_children(tree, target, path + [tree.realpath(target.location)]),
    )


def _children(tree: _Tree, node: _Node, path: list[str]) -> dict[str, LegacyEntry] | None:
    if not node.children:
        return None
    out: dict[str, LegacyEntry] = {}
    for name in sorted(node.children, key=locale_compare_key):
        kid = tree.nodes[node.children[name]]
        if tree.realpath(tree.target(kid).location) in path:
            continue
        out[name] = _legacy_entry(tree, kid, path)
    return out or None


def build_legacy_dependencies(
    packages: Mapping[str, LockEntry],
    *,
    project_path: str = VIRTUAL_ROOT,
    edge_specs: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, LegacyEntry] | None:
    """The top-level `dependencies` object of a v1/v2 lockfile (None when the root has no children).

    `project_path` is the absolute project folder (it only matters for absolute `file:` specs);
    `edge_specs` maps a location to dependency specs that replace the recorded ones.
    """
    tree = _Tree(packages, project_path, edge_specs or {})
    return _children(tree, tree.nodes[""], [project_path])
