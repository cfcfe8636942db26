"""What the user asked for, applied to the tree before resolving (build-ideal-tree.js
`#applyUserRequests`, `#add`, `#queueNamedUpdates`, `#queueVulnDependents`).

`add` specs get their names (a manifest lookup for folders, tarballs, URLs and explicit tags, whose
version is pinned), files and folders are made relative to the package, and the root's (or each
selected workspace's) dependencies are edited like add-rm-pkg-deps; `rm` names are removed.
Their edges become explicit requests, re-resolved even when valid. `update <names>` queues the
dependents of those names; global updates list what is installed in the global node_modules.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from snpm.errors import SnpmError
from snpm.manifest import add_dependencies, remove_dependencies
from snpm.spec import DirectorySpec, FileSpec, parse_spec, resolve
from snpm.tree.ideal.results import DeleteRequest, ResolvedAdd
from snpm.tree.node import Node
from snpm.tree.paths import relpath

if TYPE_CHECKING:
    from snpm.tree.ideal.build import IdealTreeBuilder

__all__ = ["apply_user_requests", "queue_named_updates", "queue_vuln_dependents"]


async def apply_user_requests(builder: IdealTreeBuilder) -> None:
    tree = builder.tree.target
    if not builder.options.workspaces:
        await apply_to_node(builder, tree)
        return
    nodes = workspace_nodes(builder, tree, builder.options.workspaces)
    if builder.options.include_workspace_root:
        nodes.append(tree)
    for node in nodes:
        await apply_to_node(builder, node)


def workspace_nodes(builder: IdealTreeBuilder, tree: Node, names: tuple[str, ...]) -> list[Node]:
    workspaces = tree.workspaces
    if not workspaces:
        builder.warn("workspaces", "filter set, but no workspaces present")
        return []
    nodes: list[Node] = []
    for name in names:
        ws_path = workspaces.get(name)
        if ws_path is None:
            builder.warn("workspaces", f"{name} in filter set, but not in workspaces")
            continue
        node = tree.inventory.get(relpath(tree.realpath or "", ws_path))
        if node is None:
            builder.warn("workspaces", f"{name} in filter set, but no workspace folder present")
            continue
        nodes.append(node)
    return nodes


async def apply_to_node(builder: IdealTreeBuilder, tree: Node) -> None:
    opts = builder.options
    if not opts.global_ and builder.update_names:
        queue_named_updates(builder)
    if opts.global_ and (builder.update_all or builder.update_names):
        _global_updates(builder, tree)
    if builder.audit_report is not None:
        queue_vuln_dependents(builder)
    if opts.rm:
        tree.package = remove_dependencies(tree.package, opts.rm)
        for name in opts.rm:
            builder.explicit[DeleteRequest(tree, name)] = None
    if opts.add:
        await add(builder, tree)
    if opts.add or opts.rm or opts.global_:
        tree.package = tree.package
    for added in builder.resolved_add:
        if added.tree is tree:
            edge = tree.edges_out.get(added.name)
            if edge is not None:
                builder.explicit[edge] = None
    builder.queue.push(tree)


def _global_updates(builder: IdealTreeBuilder, tree: Node) -> None:
    nm = os.path.join(builder.path, "node_modules")
    try:
        entries = sorted(os.listdir(nm))
    except OSError:
        return
    names: list[str] = []
    for entry in entries:
        if entry.startswith("@"):
            try:
                names.extend(f"{entry}/{sub}" for sub in sorted(os.listdir(os.path.join(nm, entry))))
            except OSError:
                continue
        else:
            names.append(entry)
    deps = tree.package.setdefault("dependencies", {})
    assert isinstance(deps, dict)
    for name in names:
        if name.startswith(".") or "/." in name:
            continue
        if builder.update_all or name in builder.update_names:
            folder = os.path.join(nm, name)
            if os.path.islink(folder):
                deps[name] = f"file:{os.path.realpath(folder)}"
            else:
                deps[name] = "*"


async def add(builder: IdealTreeBuilder, tree: Node) -> None:
    path = tree.target.path or builder.path
    cwd = builder.options.cwd or os.getcwd()

    async def name_spec(raw: str) -> ResolvedAdd:
        spec = parse_spec(raw, cwd)
        is_tag = bool(spec.raw_spec) and spec.type == "tag"
        name = spec.name
        if not name or is_tag:
            pkg = await builder.fetcher.fetch(spec, cwd)
            pkg_name = pkg.get("name")
            pkg_version = pkg.get("version")
            if is_tag:
                spec = parse_spec(f"{pkg_name}@{pkg_version}")
            name = pkg_name if isinstance(pkg_name, str) else name
        if name is None:
            # npm links the folder as node_modules/undefined, then fails reading the missing
            # edge; snpm stops before touching anything, with npm's message
            raise SnpmError("Cannot read properties of undefined (reading 'spec')")
        if isinstance(spec, FileSpec):
            spec = resolve(name, f"file:{relpath(path, spec.fetch_spec)}", path)
        elif isinstance(spec, DirectorySpec):
            try:
                real = os.path.realpath(spec.fetch_spec)
                spec = resolve(name, f"file:{relpath(path, real)}", path)
            except OSError:
                pass
        return ResolvedAdd(name, spec.raw_spec, spec, tree)

    found = await asyncio.gather(*(name_spec(raw) for raw in builder.options.add))
    builder.resolved_add.extend(found)
    pkg, warnings = add_dependencies(
        tree.package,
        [(item.name, item.raw_spec) for item in builder.resolved_add],
        save_type=builder.options.save_type,
        save_bundle=builder.options.save_bundle,
    )
    for message in warnings:
        builder.warn("idealTree", message)
    tree.package = pkg


def queue_vuln_dependents(builder: IdealTreeBuilder) -> None:
    """`npm audit fix`: re-resolve whatever depends on a vulnerable node (not bundled ones,
    which cannot be fixed from here). Forced fixes outside the ranges are not supported."""
    assert builder.audit_report is not None
    for node in builder.audit_report.vulnerable_nodes():
        bundler = node.get_bundler()
        if bundler is not None:
            builder.warn(
                f"audit fix {node.name}@{node.version}",
                f"{node.location}\nis a bundled dependency of\n{bundler.name}@{bundler.version} at "
                f"{bundler.location}\nIt cannot be fixed automatically.\n"
                f"Check for updates to the {bundler.name} package.",
            )
            continue
        for edge in node.edges_in:
            if edge.from_ is not None:
                builder.queue.push(edge.from_)


def queue_named_updates(builder: IdealTreeBuilder) -> None:
    for node in builder.tree.inventory.values():
        if (
            node.name in builder.update_names
            and not node.is_top
            and not node.in_dep_bundle
            and not node.in_shrinkwrap
        ):
            for edge in node.edges_in:
                if edge.from_ is not None:
                    builder.queue.push(edge.from_)
