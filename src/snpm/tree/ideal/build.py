"""The ideal tree: arborist build-ideal-tree.js, step for step.

    init tree        the root from package.json (a Link when the project folder is a symlink),
                     its workspaces, and the lockfile as a virtual tree, or node_modules when
                     there is no lockfile; every node with a missing or invalid edge is queued
    inflate          v1 lockfiles: every package's manifest is fetched again
    user requests    `add`/`rm` edit the root's (or the chosen workspaces') dependencies;
                     `update <names>` queues the dependents of those names
    build deps       pop nodes by depth then path (ICU); for each, its problem edges (missing,
                     invalid, explicitly requested, updated) get candidates with their peer sets,
                     placed in edge-name order by PlaceDep; placed nodes are queued in turn;
                     links inside the project get their own dependencies
    fix flags        recompute dev/optional/peer/extraneous; prune extraneous nodes when the tree
                     came from disk and changed (or its root edges disagreed with the lockfile)
    failed optional  load failures throw unless optional; optional ones make their optional set
                     inert (kept in the lockfile, not installed)
    engines/platform EBADENGINE warnings (errors with engine-strict), EBADPLATFORM errors, and
                     optional nodes that cannot run here made inert

This module holds the driver and the "build deps" loop; the first and last steps are in
`stages`, the user requests in `user_requests`, candidates and peer sets in `resolve`, placement in
`placement`. Manifests are fetched concurrently (`ManifestFetcher`), and the candidates of one node
are prefetched together, but the order of every decision is arborist's, so the tree does not depend
on which request answers first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from snpm.ecmascript.collation import locale_compare_key as locale_key
from snpm.errors import SnpmError
from snpm.fetch.base import ManifestSource
from snpm.json_types import JsonObject
from snpm.spec import parse_spec, resolve
from snpm.tree.ideal import stages, user_requests
from snpm.tree.ideal.can_place import CONFLICT, OK, REPLACE, AuditLike
from snpm.tree.ideal.manifests import ManifestFetcher
from snpm.tree.ideal.options import IdealTreeOptions
from snpm.tree.ideal.placement import PlaceDep
from snpm.tree.ideal.queue import DepsQueue
from snpm.tree.ideal.resolve import EdgeResolver
from snpm.tree.ideal.results import DeleteRequest, IdealTree, ResolvedAdd, TreeLog, TreeWarning
from snpm.tree.node import Node
from snpm.tree.specs import from_path

if TYPE_CHECKING:
    from snpm.tree.edge import Edge

__all__ = [
    "DeleteRequest",
    "IdealTree",
    "TarballExtractor",
    "TreeLog",
    "TreeWarning",
    "build_ideal_tree",
    "dedupe_names",
]


@runtime_checkable
class TarballExtractor(Protocol):
    """Unpack a package into a folder (pacote.extract): used to read bundles and shrinkwraps
    when building a complete tree (`--package-lock-only`, `--dry-run`)."""

    async def extract(
        self, spec: str, dest: Path, *, integrity: str | None = None, resolved: str | None = None
    ) -> object: ...


def _no_log(level: str, title: str, message: str) -> None:
    return


async def build_ideal_tree(
    path: str | Path,
    source: ManifestSource,
    options: IdealTreeOptions | None = None,
    *,
    log: TreeLog = _no_log,
    audit_report: AuditLike | None = None,
    extractor: TarballExtractor | None = None,
    concurrency: int = 64,
    on_placed: Callable[[Node], None] | None = None,
) -> IdealTree:
    """Build the ideal tree of the project at `path` (arborist `buildIdealTree`).

    `on_placed` is told of every node placed from a manifest, as it is placed: a caller may start
    fetching its tarball while the rest of the tree is resolved. It cannot change the tree."""
    builder = IdealTreeBuilder(
        str(path),
        source,
        options or IdealTreeOptions(),
        log=log,
        audit_report=audit_report,
        extractor=extractor,
        concurrency=concurrency,
        on_placed=on_placed,
    )
    try:
        return await builder.build()
    finally:
        await builder.fetcher.close()


async def dedupe_names(path: str | Path) -> tuple[str, ...]:
    """The names `npm dedupe` updates: every name held by more than one node of the lockfile's tree
    (node_modules' tree when there is no lockfile). Build with `prefer_dedupe=True`,
    `update_names=<these>`, `save=False`."""
    from snpm.tree.lockfile_bridge import load_tree

    try:
        tree = load_tree(str(path))
    except SnpmError:
        from snpm.tree.load_actual import load_actual

        tree = await load_actual(str(path))
    return tuple(tree.inventory.duplicate_names())


class IdealTreeBuilder:
    def __init__(
        self,
        path: str,
        source: ManifestSource,
        options: IdealTreeOptions,
        *,
        log: TreeLog = _no_log,
        audit_report: AuditLike | None = None,
        extractor: TarballExtractor | None = None,
        concurrency: int = 64,
        on_placed: Callable[[Node], None] | None = None,
    ) -> None:
        self.path = os.path.abspath(path)
        self.on_placed = on_placed
        self.source = source
        self.options = options
        self.log = log
        self.audit_report = audit_report
        self.extractor = (
            extractor if extractor is not None else (source if isinstance(source, TarballExtractor) else None)
        )
        self.fetcher = ManifestFetcher(source, concurrency=concurrency, peers=not options.legacy_peer_deps)
        self.install_strategy = options.effective_install_strategy
        self.update_all = options.update_all
        self.update_names = list(options.update_names) if not options.update_all else []
        self.explicit: dict[object, None] = {}
        self.resolved_add: list[ResolvedAdd] = []
        self.warnings: list[TreeWarning] = []
        self.queue = DepsQueue()
        self.seen: set[Node] = set()
        self.flags_suspect = False
        self.requested_mutation = bool(
            options.add or options.rm or options.update_all or options.update_names
        )
        self.mutate_tree = self.requested_mutation
        self.package_indent: str | None = None
        self.package_newline: str | None = None
        self.tree: Node = None  # type: ignore[assignment]
        self.resolver: EdgeResolver = None  # type: ignore[assignment]

    # ── the pipeline ──

    async def build(self) -> IdealTree:
        opts = self.options
        if not opts.add and not opts.rm and not (opts.update_all or opts.update_names) and opts.global_:
            raise SnpmError("global requires add, rm, or update option")
        for name in self.update_names:
            spec = parse_spec(name)
            if spec.raw != spec.name:
                raise SnpmError(
                    f"Update arguments must only contain package names, eg:\n    npm update {spec.name}",
                    code="EUPDATEARGS",
                )
        await self.init_tree()
        await self.inflate_ancient_lockfile()
        await self.apply_user_requests()
        await self.build_deps()
        self.fix_dep_flags()
        self.prune_failed_optional()
        self.check_engine_and_platform()
        meta = self.tree.meta
        assert meta is not None
        return IdealTree(
            root=self.tree,
            meta=meta,
            options=opts,
            explicit_requests=list(self.explicit),  # type: ignore[arg-type]
            resolved_add=self.resolved_add,
            warnings=self.warnings,
            package_indent=self.package_indent,
            package_newline=self.package_newline,
            manifest_requests=self.fetcher.requests,
        )

    def warn(self, title: str, message: str, explanation: JsonObject | None = None) -> None:
        self.warnings.append(TreeWarning(title, message, explanation))
        if explanation is not None and title == "ERESOLVE":
            # npm's display (utils/display.js) shows a peer override's explanation abbreviated
            from snpm.tree.explain import explain_eresolve

            self.log("warn", title, message)
            try:
                self.log("warn", "", explain_eresolve(explanation, 2))
            except TypeError as err:
                # npm's explain throws on some explanations; its display logs that at verbose level
                self.log("verbose", "", f"attempt to log crashed {title} {message} {err}")
            return
        if explanation is not None:
            # npm's display formats the arguments as util.format does: the object inspected
            # (EBADENGINE's package, required and current, over several lines)
            from snpm.ecmascript.inspect import inspect

            message = f"{message} {inspect(explanation, depth=2)}"
        self.log("warn", title, message)

    # ── init, user requests, finishing (snpm.tree.ideal.stages) ──

    async def init_tree(self) -> None:
        await stages.init_tree(self)

    async def inflate_ancient_lockfile(self) -> None:
        await stages.inflate_ancient_lockfile(self)

    async def apply_user_requests(self) -> None:
        await user_requests.apply_user_requests(self)

    # ── building ──

    async def build_deps(self) -> None:
        tree = self.tree.target
        tree.assert_root_overrides()
        self.queue.push(tree)
        while True:
            while len(self.queue):
                node = self.queue.pop()
                await self.build_dep_step(node)
            if not self.resolve_links():
                break

    async def build_dep_step(self, node: Node) -> None:
        bundled_names = node.package.get("bundleDependencies")
        has_bundle = isinstance(bundled_names, list) and bool(bundled_names)
        if (
            node in self.seen
            or node.root is not self.tree
            or (node.has_shrinkwrap and not self.options.complete)
        ):
            return
        self.seen.add(node)
        if (
            self.options.complete
            and node is not self.tree
            and node.resolved
            and (has_bundle or node.has_shrinkwrap)
            and not node.inert
        ):
            await self.crack_open(node, has_bundle)

        resolver = self.resolver
        tasks: list[tuple[Edge, Node]] = []
        peer_source = resolver.peer_set_source.get(node) or node
        problems = self.problem_edges(node)
        # the candidates below are built one at a time (their order matters); their manifests
        # need not be fetched one at a time
        self._prefetch(node, problems)
        for edge in problems:
            if edge.peer_conflicted:
                continue
            source = peer_source if edge.peer else node
            virtual_root = resolver.virtual_root(source, True)
            vr_edge = virtual_root.edges_out.get(edge.name)
            vr_dep = vr_edge.to if vr_edge is not None and vr_edge.valid else None
            required: dict[Node, None] = {edge.from_: None} if edge.from_ is not None else {}
            parent = virtual_root if edge.peer else None
            dep = vr_dep if vr_dep is not None and vr_dep.satisfies(edge) else None
            skip_shortcut = (
                edge.name in self.update_names
                or edge in self.explicit
                or (
                    edge.to is not None
                    and self.audit_report is not None
                    and self.audit_report.is_vulnerable(edge.to)
                )
            )
            if dep is None and edge.type == "peerOptional" and not skip_shortcut:
                source_node = edge.from_
                assert source_node is not None
                dep = resolver.find_hoistable_node(source_node.resolve_parent or source_node, edge)
            if dep is None:
                dep = await resolver.node_from_edge(edge, parent, None, required)
            tasks.append((edge, dep))

        tasks.sort(key=lambda task: locale_key(task[0].name))
        for edge, dep in tasks:
            placement = PlaceDep(
                edge=edge,
                dep=dep,
                audit_report=self.audit_report,
                explicit_request=edge in self.explicit,
                force=self.options.force,
                install_links=self.options.install_links,
                install_strategy=self.install_strategy,
                legacy_peer_deps=self.options.legacy_peer_deps,
                prefer_dedupe=self.options.prefer_dedupe,
                strict_peer_deps=self.options.strict_peer_deps,
                update_names=self.update_names,
                warn=self.warn,
            )
            self._visit_placement(placement)

        for edge in node.edges_out.values():
            to = edge.to
            if to is not None and to.is_link and to.target is not None:
                resolver.link_nodes[to] = None

    def _visit_placement(self, root_placement: PlaceDep) -> None:
        stack = [root_placement]
        while stack:
            placement = stack.pop()
            self._visit_one(placement)
            stack.extend(reversed(placement.children))

    def _visit_one(self, placement: PlaceDep) -> None:
        placed, edge, check = placement.placed, placement.edge, placement.can_place
        if placed is None:
            return
        assert check is not None
        if placed.errors:
            self.resolver.load_failures[placed] = None
        self.mutate_tree = True
        if check.can_place_self is OK:
            for edge_in in list(placed.edges_in):
                if edge_in is edge:
                    continue
                source = edge_in.from_
                if source is None or edge_in.peer_conflicted or edge_in.valid:
                    continue
                if source in self.seen and (self.options.save or self.requested_mutation):
                    # npm/cli#8726: a newly placed dep made an already-processed edge invalid
                    self.seen.discard(source)
                    self.queue.push(source)
                elif source not in self.seen:
                    self.queue.push(source)
        elif check.can_place_self is REPLACE:
            for edge_in in list(placed.edges_in):
                if edge_in is edge:
                    continue
                source = edge_in.from_
                if source is not None and not edge_in.valid and not edge_in.peer_conflicted:
                    self.seen.discard(source)
                    self.queue.push(source)
        if check.can_place_self is CONFLICT:
            return
        self.queue.push(placed)
        if self.on_placed is not None:
            self.on_placed(placed)
        for dep in placement.need_evaluation:
            self.seen.discard(dep)
            self.queue.push(dep)
        for problem in self.problem_edges(placed):
            try:
                spec = resolve(problem.name, problem.spec, from_path(placed, problem))
                self.resolver.check_allow(spec, problem)
            except (SnpmError, ValueError):
                continue
            self.fetcher.prefetch(spec, from_path(placed, problem))

    def _prefetch(self, node: Node, edges: list[Edge]) -> None:
        for edge in edges:
            try:
                spec = resolve(edge.name, edge.spec, node.path)
            except (SnpmError, ValueError):
                continue
            if spec.registry:
                self.fetcher.prefetch(spec, node.realpath or self.path)

    def problem_edges(self, node: Node) -> list[Edge]:
        bundled = (
            None if (node.is_project_root or node.is_workspace) else node.package.get("bundleDependencies")
        )
        bundle = set(bundled) if isinstance(bundled, list) else set()
        problems: list[Edge] = []
        for edge in node.edges_out.values():
            to = edge.to
            if edge.name in bundle:
                continue
            if to is not None and to in self.resolver.load_failures:
                continue
            if to is not None and to.in_shrinkwrap:
                continue
            if to is None:
                if edge.type != "peerOptional" or edge in self.explicit:
                    problems.append(edge)
                continue
            if not edge.valid:
                if edge.type != "peerOptional" or self.options.save or self.requested_mutation:
                    problems.append(edge)
                continue
            if to.is_workspace:
                continue
            if edge.name in self.update_names:
                problems.append(edge)
                continue
            if self.audit_report is not None and self.audit_report.is_vulnerable(to):
                problems.append(edge)
                continue
            if edge in self.explicit:
                problems.append(edge)
        return problems

    async def crack_open(self, node: Node, has_bundle: bool) -> None:
        """Read a package's bundled node_modules (and npm-shrinkwrap.json) into the tree."""
        if self.extractor is None or not node.resolved:
            return
        import tempfile

        from snpm.tree.load_virtual import load_subtree

        with tempfile.TemporaryDirectory(prefix="snpm-crack-") as tmp:
            await self.extractor.extract(
                node.resolved, Path(tmp), integrity=node.integrity, resolved=node.resolved
            )
            if node.has_shrinkwrap:
                load_subtree(
                    tmp,
                    node,
                    install_links=self.options.install_links,
                    legacy_peer_deps=self.options.legacy_peer_deps,
                )
            if has_bundle:
                from snpm.tree.load_actual import load_actual

                await load_actual(
                    tmp,
                    root=node,
                    ignore_missing=True,
                    install_links=self.options.install_links,
                    legacy_peer_deps=self.options.legacy_peer_deps,
                )

    def resolve_links(self) -> bool:
        """Queue link targets inside the project that were not processed yet; True if any."""
        resolver = self.resolver
        for link in list(resolver.link_nodes):
            resolver.link_nodes.pop(link, None)
            if link.root is not self.tree:
                continue
            tree = self.tree.target
            target = link.target
            if target is None:
                continue
            external = not target.is_descendant_of(tree)
            if external and not self.options.follow:
                continue
            unseen = (target.parent is not None or target.fs_parent is not None) and target not in self.seen
            if (self.options.follow and target.parent is None and target.fs_parent is None) or unseen:
                if link.overrides is not None:
                    target.update_overrides_edge_in_added(link.overrides)
                self.queue.push(target)
        return bool(len(self.queue))

    def fix_dep_flags(self) -> None:
        stages.fix_dep_flags(self)

    def prune_failed_optional(self) -> None:
        stages.prune_failed_optional(self)

    def check_engine_and_platform(self) -> None:
        stages.check_engine_and_platform(self)
