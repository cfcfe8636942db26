"""The ideal-tree builder's first and last steps (build-ideal-tree.js `#initTree`,
`#inflateAncientLockfile`, `#fixDepFlags`, `#pruneFailedOptional`, `#checkEngineAndPlatform`).

    init tree        the root from package.json (a Link when the project folder is a symlink),
                     its workspaces, and the lockfile as a virtual tree, or node_modules when
                     there is no lockfile; every node with a missing or invalid edge is queued
    inflate          v1 lockfiles: every package's manifest is fetched again
    fix flags        recompute dev/optional/peer/extraneous; prune extraneous nodes when the tree
                     came from disk and changed (or its root edges disagreed with the lockfile)
    failed optional  load failures throw unless optional; optional ones make their optional set
                     inert (kept in the lockfile, not installed)
    engines/platform EBADENGINE warnings (errors with engine-strict), EBADPLATFORM errors, and
                     optional nodes that cannot run here made inert
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.spec import resolve
from snpm.tree.flags import calc_dep_flags, optional_set, reset_dep_flags
from snpm.tree.ideal.checks import check_engine, check_platform, current_platform
from snpm.tree.ideal.resolve import EdgeResolver
from snpm.tree.link import Link
from snpm.tree.load_virtual import load_virtual, read_root_package
from snpm.tree.meta import TreeMeta
from snpm.tree.node import Node
from snpm.tree.workspaces_map import map_workspaces

if TYPE_CHECKING:
    from snpm.tree.ideal.build import IdealTreeBuilder

__all__ = [
    "check_engine_and_platform",
    "fix_dep_flags",
    "inflate_ancient_lockfile",
    "init_tree",
    "prune_failed_optional",
]


async def init_tree(builder: IdealTreeBuilder) -> None:
    opts = builder.options
    if opts.global_:
        root = root_node(builder, {"dependencies": {}})
        meta = TreeMeta(builder.path, lockfile_version=opts.lockfile_version)
        meta.reset()
        root.meta = meta
    else:
        content, indent, newline = read_root_package(builder.path)
        builder.package_indent, builder.package_newline = indent, newline
        root = root_node(builder, content if content is not None else {})
        workspaces = map_workspaces(root.path or builder.path, root.package)
        if workspaces:
            root.workspaces = workspaces
    builder.tree = root
    builder.resolver = EdgeResolver(root, opts, builder.fetcher)
    if opts.global_:
        pass
    elif not opts.package_lock or builder.update_all:
        root.meta = TreeMeta.reset_from(builder.path, lockfile_version=opts.lockfile_version)
    else:
        meta = TreeMeta.load(
            builder.path, lockfile_version=opts.lockfile_version, root_package=root.package, log=builder.log
        )
        loaded = load_virtual(
            meta,
            root,
            install_links=opts.install_links,
            legacy_peer_deps=opts.legacy_peer_deps,
        )
        builder.flags_suspect = builder.flags_suspect or loaded.flags_suspect
    root_meta = root.meta
    assert root_meta is not None
    meta = root_meta
    from_disk = not builder.update_all and not opts.global_ and not meta.loaded_from_disk
    if from_disk and os.path.isdir(os.path.join(builder.path, "node_modules", ".store")):
        # node_modules is an isolated (install-strategy=linked) layout: its packages sit in the
        # store behind links, so a tree read from it is no starting point for a logical tree.
        # arborist starts from it anyway (package-lock.json then lists `.store/…` folders, and the
        # reify empties the store, leaving every link dangling); snpm resolves afresh, as with no
        # node_modules, and the reify keeps what is already in place.
        from_disk = False
    if from_disk or (opts.global_ and builder.update_names):
        from snpm.tree.load_actual import load_actual

        await load_actual(
            builder.path,
            root=root,
            # arborist's loadActual takes the builder's options: global mode makes the global
            # root depend on every package in it, so none of them looks extraneous
            global_=opts.global_,
            install_links=opts.install_links,
            legacy_peer_deps=opts.legacy_peer_deps,
            lockfile_version=opts.lockfile_version,
            install_strategy=opts.install_strategy,
            log=builder.log,
        )
        target = root.target
        if len(target.children):
            meta.loaded_from_disk = True
            version = opts.lockfile_version or 3
            meta.original_lockfile_version = meta.lockfile_version = version
    meta.infer_formatting(builder.package_indent, builder.package_newline)
    _queue_problem_nodes(builder, root)


def root_node(builder: IdealTreeBuilder, pkg: JsonObject) -> Node:
    real = os.path.realpath(builder.path)
    common = {
        "pkg": pkg,
        "extraneous": False,
        "dev": False,
        "dev_optional": False,
        "peer": False,
        "optional": False,
        "global_": builder.options.global_,
        "install_links": builder.options.install_links,
        "legacy_peer_deps": builder.options.legacy_peer_deps,
        "load_overrides": True,
    }
    if real == builder.path:
        return Node(path=builder.path, realpath=real, **common)  # type: ignore[arg-type]
    root = Link(path=builder.path, realpath=real, **common)  # type: ignore[arg-type]
    root.target = Node(path=real, realpath=real, root=root, **common)  # type: ignore[arg-type]
    return root


def _queue_problem_nodes(builder: IdealTreeBuilder, tree: Node) -> None:
    skip_peer_optional = not builder.options.save and not builder.requested_mutation
    seen: set[Node] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge in node.edges_out.values():
            skip = edge.type == "peerOptional" and skip_peer_optional
            if not skip and (edge.to is None or not edge.valid):
                builder.queue.push(node)
                break
        stack.extend(e.to for e in node.edges_out.values() if e.to is not None)


async def inflate_ancient_lockfile(builder: IdealTreeBuilder) -> None:
    meta = builder.tree.meta
    assert meta is not None
    inventory = builder.tree.inventory
    ancient = meta.ancient_lockfile
    original = meta.original_lockfile_version
    old = meta.loaded_from_disk and not (original is not None and original >= 2)
    if len(inventory) == 0 or (not ancient and not old):
        return
    heading = "ancient lockfile" if ancient else "old lockfile"
    if ancient or not builder.options.lockfile_version or builder.options.lockfile_version >= 3:
        builder.warn(
            heading,
            f"\nThe {meta.type} file was created with an old version of npm,\n"
            "so supplemental metadata must be fetched from the registry.\n\n"
            "This is a one-time fix-up, please be patient...\n",
        )

    async def inflate(node: Node) -> None:
        resolved, version = node.resolved, node.version
        use_resolved = bool(resolved and (not version or resolved.startswith("file:")))
        ident = resolved if use_resolved and resolved else version
        try:
            spec = resolve(node.name, ident, os.path.dirname(node.path or ""))
            pkg = await builder.fetcher.fetch(spec, os.path.dirname(node.path or ""))
        except SnpmError as err:
            builder.warn(heading, f"Could not fetch metadata for {node.name}@{ident}", None)
            builder.log("silly", heading, str(err))
            return
        package = dict(pkg)
        name, ver = package.get("name"), package.get("version")
        package["_id"] = f"{name}@{ver}"
        node.package = package

    jobs = [
        inflate(node)
        for node in inventory.values()
        if not node.is_project_root and node.location.startswith("node_modules")
    ]
    await asyncio.gather(*jobs)
    reset_dep_flags(builder.tree)
    calc_dep_flags(builder.tree)
    if not builder.options.lockfile_version and not meta.hidden_lockfile:
        meta.original_lockfile_version = 3


def fix_dep_flags(builder: IdealTreeBuilder) -> None:
    meta = builder.tree.meta
    assert meta is not None
    from_disk = meta.loaded_from_disk
    if from_disk and builder.mutate_tree:
        reset_dep_flags(builder.tree)
    if not from_disk or builder.mutate_tree:
        calc_dep_flags(builder.tree)
    else:
        builder.tree.unset_dep_flags()
    if builder.options.prune and from_disk and (builder.mutate_tree or builder.flags_suspect):
        prune_extraneous(builder)


def prune_extraneous(builder: IdealTreeBuilder) -> None:
    for node in builder.tree.inventory.values():
        if node.extraneous:
            node.parent = None


def prune_failed_optional(builder: IdealTreeBuilder) -> None:
    for node in list(builder.resolver.load_failures):
        if not node.optional:
            error = node.errors[0]
            raise error
        for member in optional_set(node):
            member.inert = True


def check_engine_and_platform(builder: IdealTreeBuilder) -> None:
    opts = builder.options
    omit = opts.omit
    env = current_platform(opts.os, opts.cpu, opts.libc)
    here = current_platform()  # the machine itself (npm checks required packages against it)
    for node in builder.tree.inventory.values():
        if not node.optional and not node.should_omit(omit):
            try:
                if not (node.is_root and node.package.get("devEngines")):
                    check_engine(node.package, opts.npm_version, opts.node_version, opts.force)
            except SnpmError as err:
                if opts.engine_strict:
                    raise
                _warn_engine(builder, err)
            check_platform(node.package, opts.force, here)
        if node.optional and not node.inert:
            try:
                check_engine(node.package, opts.npm_version, opts.node_version, False)
                check_platform(node.package, False, env)
            except SnpmError:
                for member in optional_set(node):
                    member.inert = True


def _warn_engine(builder: IdealTreeBuilder, err: SnpmError) -> None:
    extra = err.extra
    explanation: JsonObject = {
        "package": err.pkgid,
        "required": extra.get("required"),  # type: ignore[dict-item]
        "current": extra.get("current"),  # type: ignore[dict-item]
    }
    builder.warn(str(err.code), err.message, explanation)
