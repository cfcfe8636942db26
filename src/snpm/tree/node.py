"""Node: one package at one location in a tree (arborist node.js).

A tree is a graph of Nodes. Each node has a `path` on disk and a `location` relative to its
`root` ("" for the root, `node_modules/a`, `packages/w`, …). `parent` is the node whose
node_modules folder holds it (`children` is the reverse, name → Node); `fs_parent` is the nearest
node in an enclosing folder for nodes outside any node_modules (workspaces, `file:` targets).
`edges_out` (name → Edge) are the node's dependencies, loaded from its `package`; `edges_in` are
the edges that resolve to it. The root owns the `inventory` of every node below it.

Assigning `parent`, `fs_parent` or `root` moves a node (and everything under it) and reloads the
edges that may now resolve differently: the setters keep tree and graph consistent, exactly as
arborist's setters do, so the ideal-tree algorithms can be ported without change. Flags (`dev`,
`optional`, `dev_optional`, `peer`, `extraneous`) start true and are cleared by `calc_dep_flags`.

Public names are arborist's in snake case; `Link` (a symlink to a `target` node) lives in
`snpm.tree.link`.

Size: arborist's Node is one class of ~1,500 lines whose setters keep tree, graph and inventory
consistent together; rooting, edges, dependency loading and paths already live in their own modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.manifest import REGISTRY_STEPS, normalize
from snpm.spec import parse_spec
from snpm.tree.bundles import get_bundler
from snpm.tree.cimap import CIMap
from snpm.tree.dep_sets import gather_dep_set
from snpm.tree.dep_valid import is_simple_spec
from snpm.tree.deps import load_dependency_edges, load_workspace_edges
from snpm.tree.edge import Edge
from snpm.tree.ideal.overrides import OverrideSet, overrides_edge_in_added, overrides_edge_in_removed
from snpm.tree.inventory import Inventory
from snpm.tree.paths import dirname, name_from_folder, relpath, resolve
from snpm.tree.replacement import can_dedupe, can_replace_with, matches
from snpm.tree.rooting import reload_named_edges, set_root
from snpm.tree.specs import consistent_resolve
from snpm.tree.why import explain_node_data

if TYPE_CHECKING:
    from snpm.tree.meta import TreeMeta

__all__ = ["Node", "gather_dep_set"]


class Node:
    """A package at a location. See the module docstring for the model."""

    is_link: ClassVar[bool] = False

    def __init__(
        self,
        *,
        path: str | None = None,
        realpath: str | None = None,
        name: str | None = None,
        pkg: Mapping[str, JsonValue] | None = None,
        normalize_pkg: bool = True,
        parent: Node | None = None,
        fs_parent: Node | None = None,
        root: Node | None = None,
        resolved: str | None = None,
        integrity: str | None = None,
        has_shrinkwrap: bool = False,
        dev: bool = True,
        optional: bool = True,
        dev_optional: bool = True,
        peer: bool = True,
        extraneous: bool = True,
        dummy: bool = False,
        error: Exception | None = None,
        global_: bool = False,
        inert: bool = False,
        install_links: bool = False,
        legacy_peer_deps: bool = False,
        is_in_store: bool = False,
        load_overrides: bool = False,
        overrides: OverrideSet | None = None,
        meta: TreeMeta | None = None,
        source_reference: Node | None = None,
        links_in: Iterable[Node] = (),
        children: Iterable[Mapping[str, Any]] = (),
        fs_children: Iterable[Mapping[str, Any]] = (),
        unplaced: bool = False,
    ) -> None:
        """`unplaced`: only the node's own fields are set; it is in no tree (not even its own)
        and has no edges until `snpm.tree.bulk_load` places it, which is how a whole lockfile is
        loaded without moving each node into the tree on its own."""
        self._global = global_
        self._root: Node | None = None
        self._workspaces: dict[str, str] | None = None
        self._meta: TreeMeta | None = None
        self._explanation: JsonObject | None = None
        self.errors: list[Exception] = [error] if error is not None else []
        self.is_in_store = is_in_store
        self.source_reference = source_reference
        if source_reference is not None:
            self._package: JsonObject = source_reference.package
        elif pkg is not None and isinstance(pkg, dict) and not normalize_pkg:
            self._package = pkg
        else:
            # normalize() copies what it is given
            self._package = normalize(pkg if isinstance(pkg, Mapping) else {}, steps=REGISTRY_STEPS)

        pkg_name = self._package.get("name")
        self.name: str = (
            name
            or name_from_folder(path or (pkg_name if isinstance(pkg_name, str) else None) or realpath)
            or (pkg_name if isinstance(pkg_name, str) else None)
            or ""
        )
        self.path: str | None = resolve(path) if path else None
        if not self.name and (not self.path or self.path != dirname(self.path)):
            raise TypeError("could not detect node name from path or package")
        self.realpath: str | None = (
            self.path if not self.is_link else (resolve(realpath) if realpath else None)
        )
        self.location: str = ""

        self._resolved: str | None = resolved or None
        if not self._resolved:
            # pacote's manifests carry `_resolved`; a `file:` one from an old npm's package.json
            # (with `_where`) is not portable, so it is not trusted
            legacy = consistent_resolve(_str(self._package.get("_resolved")))
            if legacy and not (legacy.startswith("file:") and self._package.get("_where")):
                self._resolved = legacy
        self.integrity: str | None = integrity or _str(self._package.get("_integrity"))
        self.has_shrinkwrap: bool = bool(has_shrinkwrap or self._package.get("_hasShrinkwrap"))
        self.install_links = install_links
        self.legacy_peer_deps = legacy_peer_deps

        self._children: CIMap[Node] = CIMap()
        self.fs_children: dict[Node, None] = {}
        self._inventory: Inventory | None = None
        self.tops: dict[Node, None] = {}
        self.links_in: dict[Node, None] = dict.fromkeys(links_in)

        self.dummy = dummy
        if dummy:
            self.dev = self.optional = self.dev_optional = self.peer = self.extraneous = False
        else:
            self.dev = dev
            self.optional = optional
            self.dev_optional = dev_optional
            self.peer = peer
            self.extraneous = extraneous
        self.inert = inert

        self.edges_in: dict[Edge, None] = {}
        self.edges_out: CIMap[Edge] = CIMap()
        self.overrides: OverrideSet | None = None
        if overrides is not None:
            self.overrides = overrides
        elif load_overrides:
            self.overrides = OverrideSet.from_package(self._package)

        self.meta = meta

        self._parent: Node | None = None
        self._fs_parent: Node | None = None
        if unplaced:
            return
        if parent is not None:
            self.parent = parent
        if fs_parent is not None:
            self.fs_parent = fs_parent
        if parent is None and fs_parent is None:
            self.root = root

        for child in children:
            Node(**{**child, "parent": self})
        for child in fs_children:
            Node(**{**child, "fs_parent": self})

        self._load_deps()

    # ── package metadata ──

    @property
    def package(self) -> JsonObject:
        return self._package

    @package.setter
    def package(self, pkg: JsonObject) -> None:
        # detach every edge and load them again: the dependents may now be (in)valid
        for edge in self.edges_out.values():
            edge.detach()
        self._explanation = None
        self._package = pkg
        self._load_workspaces()
        self._load_deps()
        for edge in list(self.edges_in):
            edge.reload(True)

    @property
    def resolved(self) -> str | None:
        return self._resolved

    @resolved.setter
    def resolved(self, value: str | None) -> None:
        self._resolved = value

    @property
    def children(self) -> CIMap[Node]:
        return self._children

    @property
    def version(self) -> str:
        version = self._package.get("version")
        return version if isinstance(version, str) and version else ""

    @property
    def package_name(self) -> str | None:
        name = self._package.get("name")
        return name if isinstance(name, str) and name else None

    @property
    def pkgid(self) -> str:
        pkg_name = self.package_name or ""
        if self.is_project_root:
            return f"{pkg_name or self.name}@{self.version}"
        alias = f"npm:{pkg_name}@" if pkg_name and self.name != pkg_name else ""
        return f"{self.name}@{alias}{self.version}"

    @property
    def has_install_script(self) -> bool:
        if self._package.get("hasInstallScript"):
            return True
        scripts = self._package.get("scripts")
        if not isinstance(scripts, dict):
            return False
        return any(scripts.get(event) for event in ("install", "preinstall", "postinstall"))

    @property
    def inventory(self) -> Inventory:
        """Every node of this node's tree by location (only a root's is ever filled)."""
        inventory = self._inventory
        if inventory is None:
            inventory = self._inventory = Inventory()
        return inventory

    @property
    def meta(self) -> TreeMeta | None:
        return self._meta

    @meta.setter
    def meta(self, meta: TreeMeta | None) -> None:
        self._meta = meta
        if meta is not None:
            meta.add(self)

    @property
    def global_(self) -> bool:
        root = self.root
        return self._global if root is self else root.global_

    @property
    def global_top(self) -> bool:
        parent = self._parent
        return bool(self.global_ and parent is not None and parent.is_project_root)

    @property
    def workspaces(self) -> dict[str, str] | None:
        """Workspace name → absolute folder (the root's `workspaces`, once mapped)."""
        return self._workspaces

    @workspaces.setter
    def workspaces(self, workspaces: dict[str, str]) -> None:
        if self._workspaces:
            for name in self._workspaces:
                if name not in workspaces:
                    edge = self.edges_out.get(name)
                    if edge is not None:
                        edge.detach()
        self._workspaces = workspaces
        self._load_workspaces()
        self._load_deps()

    @property
    def overridden(self) -> bool:
        rule = self.overrides
        if rule is None or not rule.value or rule.name != self.name:
            return False
        for edge in self.edges_in:
            eo = edge.overrides
            if eo is not None and eo.name == self.name and eo.value == self.version:
                source = edge.from_
                if not eo.is_equal(source.overrides if source is not None else None):
                    return True
        return False

    # ── position in the tree ──

    @property
    def root(self) -> Node:
        return self._root or self

    @root.setter
    def root(self, root: Node | None) -> None:
        set_root(self, root)

    @property
    def parent(self) -> Node | None:
        return self._parent

    @parent.setter
    def parent(self, parent: Node | None) -> None:
        if parent is None:
            if self._parent is not None:
                self.root = None
            return
        if parent.is_link:
            parent = parent.target
        if self is parent or self._parent is parent:
            return
        new_path = resolve(parent.path or "", "node_modules", self.name)
        if self._parent is not None:
            self._parent.children.delete(self.name)
            self._parent = None
        if self._fs_parent is not None:
            self._fs_parent.fs_children.pop(self, None)
            self._fs_parent = None
        if new_path != self.path:
            self._change_path(new_path)
        self.root = parent.root

    @property
    def fs_parent(self) -> Node | None:
        return self._fs_parent

    @fs_parent.setter
    def fs_parent(self, fs_parent: Node | None) -> None:
        if fs_parent is None:
            if self._fs_parent is not None:
                self.root = None
            return
        if fs_parent.is_link:
            fs_parent = fs_parent.target
        if self is fs_parent or fs_parent.realpath == self.realpath:
            return
        if self._fs_parent is fs_parent:
            return
        old = self._fs_parent
        new_path = (
            self.path
            if old is None
            else resolve(fs_parent.path or "", relpath(old.path or "", self.path or ""))
        )
        nm_path = resolve(fs_parent.path or "", "node_modules", self.name)
        if new_path == nm_path:
            self.parent = fs_parent
            return
        old_parent, old_name = self._parent, self.name
        if self._parent is not None:
            self._parent.children.delete(self.name)
            self._parent = None
        if self._fs_parent is not None:
            self._fs_parent.fs_children.pop(self, None)
            self._fs_parent = None
        if new_path != self.path and new_path is not None:
            self._change_path(new_path)
        if old_parent is not None:
            old_parent._reload_named_edges(old_name)
        self.root = fs_parent.root

    @property
    def resolve_parent(self) -> Node | None:
        return self._parent or self._fs_parent

    @property
    def is_root(self) -> bool:
        return self is self.root

    @property
    def is_project_root(self) -> bool:
        root = self.root
        return self is root or self is root.target

    @property
    def is_top(self) -> bool:
        return self._parent is None or self.global_top

    @property
    def top(self) -> Node:
        node = self
        while not node.is_top:
            assert node._parent is not None
            node = node._parent
        return node

    @property
    def is_fs_top(self) -> bool:
        return self._fs_parent is None

    @property
    def fs_top(self) -> Node:
        node = self
        while node._fs_parent is not None:
            node = node._fs_parent
        return node

    @property
    def depth(self) -> int:
        depth = 0
        node = self
        while not node.is_top:
            assert node._parent is not None
            node = node._parent
            depth += 1
        return depth

    @property
    def target(self) -> Node:
        return self

    @property
    def is_workspace(self) -> bool:
        if self.is_project_root:
            return False
        name = self.package_name
        edge = self.root.edges_out.get(name) if name else None
        if edge is None or edge.type != "workspace" or edge.to is None:
            return False
        return edge.to.target is self or edge.to is self

    @property
    def is_registry_dependency(self) -> bool:
        if not self.edges_in:
            return False
        for edge in self.edges_in:
            requested = edge.spec
            if is_simple_spec(requested):
                # a registry range or version for npa (or, bare, a registry package name)
                continue
            try:
                spec = parse_spec(requested)
            except SnpmError:
                return False
            if not spec.registry:
                return False
        return True

    @property
    def in_shrinkwrap(self) -> bool:
        parent = self._parent
        while parent is not None:
            if parent.has_shrinkwrap:
                return True
            parent = parent._parent
        return False

    def ancestry(self) -> Iterator[Node]:
        node: Node | None = self
        while node is not None:
            yield node
            node = node.resolve_parent

    def is_descendant_of(self, node: Node) -> bool:
        current: Node | None = self
        while current is not None:
            if current is node:
                return True
            current = current.resolve_parent
        return False

    def resolve(self, name: str) -> Node | None:
        """The node `name` resolves to from here: a child, else up the resolve-parent chain."""
        # CIMap.get, inlined for the common case: found as spelled, or not there at all when
        # no key of the map is spelled out of normal form and `name` is in normal form
        plain = name.isascii() and name.islower()
        node: Node | None = self
        while node is not None:
            kids = node.children if node.is_link else node._children
            mine = kids._data.get(name)
            if mine is None and (kids._odd or not plain):
                mine = kids.get(name)
            if mine is not None:
                return mine
            node = node._parent or node._fs_parent
        return None

    def in_node_modules(self) -> str | None:
        """The folder whose node_modules holds this node, when it sits where its name says."""
        real = self.realpath or ""
        scoped = self.name.startswith("@")
        d = dirname(real)
        nm = dirname(d) if scoped else d
        folder = dirname(nm)
        base = f"{d.rpartition('/')[2]}/{real.rpartition('/')[2]}" if scoped else real.rpartition("/")[2]
        return folder if base == self.name and nm.rpartition("/")[2] == "node_modules" else None

    # ── bundles ──

    def get_bundler(self, path: list[Node] | None = None) -> Node | None:
        """The node whose bundleDependencies ship this one (None when not bundled)."""
        return get_bundler(self, path)

    @property
    def in_bundle(self) -> bool:
        return self.get_bundler() is not None

    @property
    def in_dep_bundle(self) -> bool:
        bundler = self.get_bundler()
        return bundler is not None and bundler is not self.root

    # ── flags ──

    def should_omit(self, omit: frozenset[str] | set[str]) -> bool:
        if not omit:
            return False
        top = self.top
        if not top.is_project_root and not top.is_workspace:
            return False
        return bool(
            (self.peer and "peer" in omit)
            or (self.dev and "dev" in omit)
            or (self.optional and "optional" in omit)
            or (self.dev_optional and "optional" in omit and "dev" in omit)
        )

    def reset_dep_flags(self) -> None:
        self.extraneous = self.dev = self.optional = self.dev_optional = self.peer = True

    def unset_dep_flags(self) -> None:
        self.extraneous = self.dev = self.optional = self.dev_optional = self.peer = False

    # ── comparisons ──

    def satisfies(self, requested: Edge | str) -> bool:
        if isinstance(requested, Edge):
            return self.name == requested.name and requested.satisfied_by(self)
        parsed = parse_spec(requested)
        name = parsed.name or self.name
        if self.name != name:
            return False
        probe = Node(path=self.root.realpath)
        return self.satisfies(Edge(from_=probe, type="prod", name=name, spec=parsed.raw_spec))

    def matches(self, node: Node) -> bool:
        """The same package (same integrity, else resolved, else name and version)."""
        return matches(self, node)

    def can_replace_with(self, node: Node, ignore_peers: Iterable[str] = ()) -> bool:
        """Whether every dependent of this node would accept `node` in its place."""
        return can_replace_with(self, node, ignore_peers)

    def can_replace(self, node: Node, ignore_peers: Iterable[str] = ()) -> bool:
        return can_replace_with(node, self, ignore_peers)

    def can_dedupe(self, prefer_dedupe: bool = False, explicit_request: bool = False) -> bool:
        """Whether this node may be removed because the node above would serve its dependents."""
        return can_dedupe(self, prefer_dedupe, explicit_request)

    # ── replacing ──

    def replace_with(self, node: Node) -> None:
        node.replace(self)

    def replace(self, node: Node) -> None:
        """Take `node`'s place in its tree (keeping its children)."""
        self._delist_from_meta()
        parent = node.parent
        if parent is not None and parent.children.get(self.name) is node:
            self.path = resolve(parent.path or "", "node_modules", self.name)
        else:
            self.path = node.path
            self.name = node.name
        if not self.is_link:
            self.realpath = self.path
        self._refresh_location()
        if not self.is_link:
            for kid in node.children.values():
                kid.parent = self
            if node.is_link:
                target = node.target
                if target is not None:
                    target.root = None
        if not node.is_root:
            self.root = node.root

    # ── overrides ──

    def assert_root_overrides(self) -> None:
        if not self.is_project_root or self.overrides is None:
            return
        for edge in self.edges_out.values():
            if edge.spec != edge.raw_spec and not edge.spec.startswith("$"):
                raise SnpmError(
                    f"Override for {edge.name}@{edge.raw_spec} conflicts with direct dependency",
                    code="EOVERRIDE",
                )

    def add_edge_out(self, edge: Edge) -> None:
        if self.overrides is not None:
            edge.overrides = self.overrides.get_edge_rule(edge)
        self.edges_out.set(edge.name, edge)
        inventory = (self._root or self)._inventory  # none yet: nothing is indexed there
        if inventory is not None and inventory.has(self):
            inventory.index_edge(self, edge.name)

    def recalculate_out_edges_overrides(self) -> None:
        for edge in self.edges_out.values():
            edge.reload(True)
            if edge.to is not None:
                edge.to.update_overrides_edge_in_added(edge.overrides)

    def update_overrides_edge_in_removed(self, other: OverrideSet) -> bool:
        return overrides_edge_in_removed(self, other)

    def update_overrides_edge_in_added(self, other: OverrideSet | None) -> bool:
        return overrides_edge_in_added(self, other)

    def delete_edge_in(self, edge: Edge) -> None:
        self.edges_in.pop(edge, None)
        if edge.overrides is not None:
            self.update_overrides_edge_in_removed(edge.overrides)

    def add_edge_in(self, edge: Edge) -> None:
        # an edge without overrides has nothing to add (update_overrides_edge_in_added(None))
        rule = edge.overrides
        if rule is not None and (self.overrides is None or not self.overrides.is_equal(rule)):
            self.update_overrides_edge_in_added(rule)
        self.edges_in[edge] = None

    # ── explanations ──

    def explain(self, edge: Edge | None = None, seen: list[Node] | None = None) -> JsonObject:
        """arborist's explanation object: why this node is in the tree (`npm explain`)."""
        if self._explanation is None:
            self._explanation = self._explain(edge, seen or [])
        return self._explanation

    def _explain(self, edge: Edge | None, seen: list[Node]) -> JsonObject:
        return explain_node_data(self, edge, seen)

    # ── internals: dependencies ──

    def _load_workspaces(self) -> None:
        load_workspace_edges(self)

    def _load_deps(self) -> None:
        load_dependency_edges(self)

    def _reload_named_edges(self, name: str, root_loc: str | None = None) -> None:
        reload_named_edges(self, name, root_loc)

    # ── internals: paths and inventory ──

    def _delist_from_meta(self) -> None:
        root = self.root
        if not root.realpath or not self.path:
            return
        if root._inventory is not None:
            root._inventory.delete(self)
        root.tops.pop(self, None)
        if root.meta is not None:
            root.meta.delete(self.path)

    def _change_path(self, new_path: str) -> None:
        self._delist_from_meta()
        old_path = self.path or ""
        self.path = new_path
        marker = new_path.rfind("node_modules/")
        if marker != -1 and (marker == 0 or new_path[marker - 1] == "/"):
            tail = new_path[marker + len("node_modules/") :]
            parts = tail.split("/")
            found = (
                tail
                if (len(parts) == 2 and parts[0].startswith("@"))
                else (tail if len(parts) == 1 else None)
            )
            if found and self.name != found:
                self.name = found
        if not self.is_link:
            self.realpath = new_path
            for link in list(self.links_in):
                link._delist_from_meta()
                link.realpath = new_path
                link._refresh_location()
        for child in list(self.fs_children):
            child._change_path(resolve(new_path, relpath(old_path, child.path or "")))
        for child_name, child in self.children.items():
            child._change_path(resolve(new_path, "node_modules", child_name))
        self._refresh_location()

    def _refresh_location(self) -> None:
        root = self.root
        self.location = relpath(root.realpath or "", self.path or "")
        root.inventory.add(self)
        if root.meta is not None:
            root.meta.add(self)

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"{kind}({self.name}@{self.version or '?'} at {self.location!r})"


def _str(value: JsonValue) -> str | None:
    return value if isinstance(value, str) and value else None
