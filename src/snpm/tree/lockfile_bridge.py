"""Tree ↔ `snpm.lockfile` model: arborist shrinkwrap.js `metaFromNode` and `commit`.

`meta_from_node` is one `packages` entry: the package.json fields npm copies (only truthy values,
non-empty objects; `license` objects reduced to their type), `name` for the root and wherever the
package name differs from the folder name, `devDependencies` for tops, the node's integrity,
`inBundle`, `hasShrinkwrap`, `hasInstallScript`, `resolved` (relative `file:` paths; registry
tarball URLs unless `omit-lockfile-registry-resolved`) and the flags. A link is only
`{resolved: <relative target>, link: true}`.

`lockfile_from_tree` is `Shrinkwrap#commit`: the root entry (if it has anything to say), then every
node of the inventory except stale top-level link targets and versionless inert nodes; the
top-level `name`/`version` are the root's. `load_tree` reads a project's lockfile into a tree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.lockfile import (
    PKG_META_KEYS,
    JsonPackages,
    Lockfile,
    build_legacy_dependencies,
)
from snpm.tree.paths import name_from_folder, relpath
from snpm.tree.specs import consistent_resolve

if TYPE_CHECKING:
    from snpm.tree.meta import MetaLog, TreeMeta
    from snpm.tree.node import Node

__all__ = ["LockOptions", "load_tree", "lockfile_from_tree", "lockfile_text", "meta_from_node"]

_IN_NODE_MODULES = re.compile(r"(^|/)node_modules/")
_NODE_META_KEYS = (
    ("integrity", "integrity"),
    ("inBundle", "in_bundle"),
    ("hasShrinkwrap", "has_shrinkwrap"),
    ("hasInstallScript", "has_install_script"),
)


class LockOptions:
    """What changes how entries are written (npm's resolveOptions)."""

    __slots__ = ("omit_lockfile_registry_resolved",)

    def __init__(self, *, omit_lockfile_registry_resolved: bool = False) -> None:
        self.omit_lockfile_registry_resolved = omit_lockfile_registry_resolved


# (package.json key, lockfile key) for `PKG_META_KEYS`
_PKG_META_FIELDS = tuple((key, key.removeprefix("_")) for key in PKG_META_KEYS)


def package_meta(package: JsonObject) -> JsonObject:
    """The lockfile fields metaFromNode reads off a package (metaFieldFromPkg for each)."""
    meta: JsonObject = {}
    for key, lock_key in _PKG_META_FIELDS:
        value = package.get(key)
        if not value:
            continue
        if key == "license" and isinstance(value, dict) and value.get("type"):
            value = value["type"]
        meta[lock_key] = value
    return meta


def meta_from_node(node: Node, path: str, options: LockOptions | None = None) -> JsonObject:
    """The lockfile entry for `node`, paths relative to the project folder `path`."""
    if node.is_link:
        return {"resolved": relpath(path, node.realpath or ""), "link": True}
    meta: JsonObject = {}
    pkg = node.package
    get = pkg.get
    for key, lock_key in _PKG_META_FIELDS:
        # meta_field_from_pkg, inlined: it runs for every field of every package
        value = get(key)
        if not value:
            continue
        if key == "license" and isinstance(value, dict) and value.get("type"):
            value = value["type"]
        meta[lock_key] = value
    pname = node.package_name
    if pname and (node is node.root or pname != node.name or name_from_folder(node.realpath) != pname):
        meta["name"] = pname
    dev_deps: JsonValue = get("devDependencies")
    if isinstance(dev_deps, dict) and node.is_top:
        meta["devDependencies"] = dev_deps
    for key, attr in _NODE_META_KEYS:
        value = getattr(node, attr)
        if value:
            meta[key] = value
    resolved = consistent_resolve(node.resolved, node.path, path, True)
    if resolved:
        if node.is_registry_dependency:
            if not (options is not None and options.omit_lockfile_registry_resolved):
                meta["resolved"] = resolved
        else:
            meta["resolved"] = resolved
    if node.extraneous:
        meta["extraneous"] = True
    else:
        if node.peer:
            meta["peer"] = True
        if node.dev:
            meta["dev"] = True
        if node.optional:
            meta["optional"] = True
        if node.dev_optional and not node.dev and not node.optional:
            meta["devOptional"] = True
    return meta


def lockfile_packages(tree: Node, path: str, options: LockOptions | None = None) -> dict[str, JsonObject]:
    """location → entry, as `commit()` collects them."""
    packages: dict[str, JsonObject] = {}
    root_meta = meta_from_node(tree.target, path, options)
    if root_meta:
        packages[""] = root_meta
    for node in tree.root.inventory.values():
        if node is tree or node.is_root or node.location == "":
            continue
        loc = relpath(path, node.path or "")
        if (
            node.extraneous
            and not _IN_NODE_MODULES.search(loc)
            and loc != "node_modules"
            and (node.fs_parent is None or node.fs_parent.is_root)
        ):
            continue
        if node.inert and not node.package.get("version"):
            continue
        packages[loc] = meta_from_node(node, path, options)
    return packages


def lockfile_from_tree(
    tree: Node,
    meta: TreeMeta | None = None,
    *,
    lockfile_version: int | None = None,
    options: LockOptions | None = None,
) -> Lockfile:
    """The Lockfile model npm would write for `tree` (`meta` supplies the version and extras)."""
    meta = meta if meta is not None else tree.meta
    path = meta.path if meta is not None else (tree.path or "")
    version = lockfile_version or (meta.lockfile_version if meta is not None else None) or 3
    packages = lockfile_packages(tree, path, options)
    # typed entries are only made when something reads them (the v1/v2 tree below)
    entries = JsonPackages(packages)
    root = tree.target
    name: str | None = root.package_name or root.name
    root_version = root.version or None
    if version > 3 and meta is not None:
        # arborist's #buildLegacyLockfile names the root, and only runs up to v3: a newer file
        # keeps what it said itself
        name, root_version = meta.name, meta.version
    legacy = None
    if version < 3:
        legacy = build_legacy_dependencies(entries, project_path=path, edge_specs=_edge_specs(tree, path))
        if legacy is None:
            legacy = {}
    return Lockfile(
        name=name,
        version=root_version,
        lockfile_version=version,
        packages=entries,
        legacy=legacy,
        extra=dict(meta.extra) if meta is not None else {},
    )


def _edge_specs(tree: Node, path: str) -> dict[str, dict[str, str]]:
    """Locations whose edges are in force with a spec other than the recorded one (overrides)."""
    out: dict[str, dict[str, str]] = {}
    for node in tree.root.inventory.values():
        for edge in node.edges_out.values():
            try:
                spec = edge.spec
            except ValueError:
                continue
            if spec != edge.raw_spec:
                out.setdefault(relpath(path, node.path or ""), {})[edge.name] = spec
    return out


def load_tree(path: str, *, lockfile_version: int | None = None, log: MetaLog | None = None) -> Node:
    """arborist `loadVirtual()` with no root: the project's lockfile as a tree (ENOLOCK without one)."""
    from snpm.tree.load_virtual import load_virtual, read_root_package
    from snpm.tree.meta import TreeMeta
    from snpm.tree.node import Node
    from snpm.tree.workspaces_map import map_workspaces

    meta = TreeMeta.load(path, lockfile_version=lockfile_version, log=log)
    if not meta.loaded_from_disk:
        raise SnpmError("loadVirtual requires existing shrinkwrap file", code="ENOLOCK")
    try:
        content, _indent, _newline = read_root_package(meta.path)
    except SnpmError:
        content = None
    pkg = content if content is not None else dict(meta.packages.get("", {}))
    root = Node(path=meta.path, realpath=meta.path, pkg=pkg, load_overrides=True)
    workspaces = map_workspaces(meta.path, root.package)
    if workspaces:
        root.workspaces = workspaces
    load_virtual(meta, root, root_option_provided=False)
    root.assert_root_overrides()
    return root


def lockfile_text(
    tree: Node,
    meta: TreeMeta,
    *,
    package_indent: str | None,
    options: LockOptions | None = None,
    format_package_lock: bool = True,
) -> str:
    """The package-lock.json text npm's reify saves: the root package.json's indent (two spaces
    when it has none) and newline (else the lockfile's own), compact without formatting."""
    from snpm.lockfile import format_lockfile

    lockfile = lockfile_from_tree(tree, meta, options=options)
    if not format_package_lock:
        return format_lockfile(lockfile, compact=True, project_path=meta.path)
    return format_lockfile(
        lockfile,
        indent=package_indent or "  ",
        newline=meta.newline or "\n",
        project_path=meta.path,
    )
