"""One reify of a project, wired from config: npm's Arborist as the install family drives it.

    build the ideal tree    (snpm.tree.ideal, manifests through snpm.fetch.FetchSource)
    load the actual tree    (snpm.tree.load_actual; empty for `ci`, which replaces everything)
    plan                    (snpm.reify.plan.diff_trees)
    apply                   (snpm.reify.apply.Reification: extraction through the FetchSource's
                             store, builds through snpm.lifecycle.Builder and bin_links)
    save                    package.json, package-lock.json, then node_modules/.package-lock.json
    commit                  the retired folders go; then the root's dependencies scripts

With install-strategy=linked the lockfile is still the hoisted tree's; node_modules is npm's
isolated layout of it (snpm.tree.isolated), compared with the disk and applied by
snpm.reify.linked instead of the plan and Reification above (no actual tree is loaded).

Engines do not import each other, so this module is where trees meet fetchers and the lifecycle:
the extraction and build hooks handed to reify are defined here. Saving is all or nothing too:
the files' previous bytes are kept until the commit, and a failure restores them along with
node_modules.

Size: one session object holds what the steps share (config, client, fetch source, policy, bin
linker, process env) and hands its methods to the engines as hooks; the pieces with a life of their
own are already apart (reify_bridge, reify_linked, reify_save, reify_filtered, git_prepare,
allow_scripts_*).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

import msgspec

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.options import fetch_options
from snpm.json_types import JsonObject
from snpm.ops.allow_scripts_preflight import strict_allow_scripts_preflight
from snpm.ops.allow_scripts_resolve import resolve_policy
from snpm.ops.global_mode import global_actual_filter, global_filter_nodes, global_top
from snpm.ops.noop_install import Refetch, refetch_digests
from snpm.ops.reify_bridge import (
    build_node,
    empty_tree,
    old_meta,
    prune_bundled_metadeps,
    registry_resolved,
    workspace_node_modules,
)
from snpm.ops.reify_filtered import keep_unfiltered
from snpm.ops.reify_save import save_ideal_tree, write_hidden_lockfile, write_hidden_text
from snpm.reify.bin_links import BinLinker, check_bins
from snpm.reify.contents import validate_node_modules
from snpm.reify.hooks import ApplyOptions, BundlesLoaded, ReifyHooks
from snpm.reify.nodes import ReifyNode
from snpm.reify.plan import ReifyPlan, diff_trees
from snpm.reify.save import FileBackup
from snpm.tree.ideal.build import IdealTree, build_ideal_tree
from snpm.tree.ideal.options import IdealTreeOptions
from snpm.tree.load_actual import load_actual
from snpm.tree.node import Node

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from snpm.fetch.context import PrepareKind
    from snpm.fetch.source import FetchSource
    from snpm.lifecycle import BuildNode, Policy
    from snpm.registry_client import RegistryClient
    from snpm.reify.apply import Reification
    from snpm.reify.linked import LinkedHooks, LinkedLayout, LinkedPlan, StoreFolder, Symlink
    from snpm.spec import PackageSpec
    from snpm.tree.isolated import IsolatedLayout

__all__ = [
    "Progress",
    "ReifyIO",
    "ReifyOutcome",
    "ReifyRequest",
    "ReifySession",
]

LogFn = Callable[[str, str, str], None]


class Progress(Protocol):
    """A progress display (the CLI's); every method may be called from the event loop only."""

    def phase(self, name: str, done: int, total: int) -> None: ...

    def stop(self) -> None: ...


class ReifyIO(msgspec.Struct, frozen=True):
    """What the front end lends a reify: npm's log, a progress display, a banner for foreground
    scripts (`\\n> name@1.0.0 install\\n> node build.js\\n`)."""

    log: LogFn
    progress: Progress | None = None
    banner: Callable[[str], None] | None = None
    color: bool = False


class ReifyRequest(msgspec.Struct, frozen=True):
    """What to change, in arborist's reify options."""

    add: tuple[str, ...] = ()
    rm: tuple[str, ...] = ()
    update_all: bool = False
    update_names: tuple[str, ...] = ()
    # None: the `save` config (npm update and dedupe decide for themselves)
    save: bool | None = None
    prefer_dedupe: bool | None = None
    # npm prune: drop extraneous nodes from the ideal tree before reifying
    prune_extraneous: bool = False
    # npm ci: replace everything in node_modules, never write package.json or the lockfile
    clean_install: bool = False
    # npm link: prune=false keeps extraneous nodes (earlier unsaved links) in the ideal tree
    prune: bool = True
    # npm install, update and link's global half: --strict-allow-scripts checks the ideal tree first
    strict_allow_scripts: bool = False


class ReifyOutcome(msgspec.Struct):
    """What happened: the plan (None for --package-lock-only, and for a no-op's audit), the tree as
    it now is on disk (the ideal tree for --dry-run), and the ideal-tree result."""

    plan: ReifyPlan | None
    tree: Node
    ideal: IdealTree | None  # None: no tree was built (a no-op's audit, snpm.ops.install)
    dry_run: bool
    package_lock_only: bool
    started: float
    allow_scripts: Policy | None = None
    # what rebuilding this tree would fetch again, for the no-op stamp (snpm.ops.noop_install);
    # None when that cannot be told
    refetch: Refetch | None = None
    # install-strategy=linked: what the layout changed (`plan` is None), and the store folders of
    # optional packages that failed
    linked: LinkedPlan | None = None
    linked_failed: frozenset[str] = frozenset()


# an http(s) URL plain enough that npa reads it as a remote spec and #registryResolved cannot fail
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?/[A-Za-z0-9@%._~/+-]*\Z")


def _store_key(node: ReifyNode) -> str | None:
    """The integrity a node's package is stored under, when the store may hold it."""
    if isinstance(node, Node) and node.integrity and _extractable(node):
        return node.integrity
    return None


def _extractable(node: Node) -> bool:
    """Whether `_extract` would fetch this node (rather than warn about a damaged lockfile)."""
    resolved = node.resolved
    if resolved:
        return _PLAIN_URL.match(resolved) is not None
    return bool(node.package_name and node.version)


class _Applied(Protocol):
    """What both appliers (snpm.reify.apply, snpm.reify.linked) offer once applied."""

    def terminated_error(self) -> SnpmError | None: ...

    async def rollback(self) -> None: ...

    def commit(self) -> None: ...


async def _save_or_roll_back(reification: _Applied, save: Callable[[list[FileBackup]], None]) -> None:
    """After an apply: write the files (`save` records each one's previous bytes in the list it is
    given), then commit. A failure, or a signal that arrived meanwhile, puts the files back and
    rolls node_modules back instead, and is raised."""
    backups: list[FileBackup] = []
    try:
        save(backups)
        terminated = reification.terminated_error()
        if terminated is not None:
            raise terminated
    except BaseException:
        for backup in reversed(backups):
            backup.restore()
        await reification.rollback()
        raise
    reification.commit()


def _flag(flat: Mapping[str, object], key: str) -> bool:
    return bool(flat.get(key))


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class _DeferredSource:
    """The session's FetchSource as the tree builder sees it, made only when first asked."""

    def __init__(self, session: ReifySession) -> None:
        self._session = session

    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        return await self._session.source.packument(name, full=full)

    async def manifest(self, spec: PackageSpec, *, where: Path, is_root: bool = False) -> ResolvedManifest:
        return await self._session.source.manifest(spec, where=where, is_root=is_root)

    async def extract(
        self, spec: str, dest: Path, *, integrity: str | None = None, resolved: str | None = None
    ) -> object:
        return await self._session.source.extract(spec, dest, integrity=integrity, resolved=resolved)


class ReifySession:
    """One project's reify. Use `async with ReifySession(...) as session:` then `await reify(...)`."""

    def __init__(
        self,
        config: Config,
        *,
        command: str,
        env: Mapping[str, str],
        io: ReifyIO,
        workspaces: Sequence[str] = (),
        started: float | None = None,
        global_: bool | None = None,
    ) -> None:
        self.config = config
        self.command = command
        self.env = env
        self.io = io
        self.workspaces = tuple(workspaces)
        self.started = time.monotonic() if started is None else started
        flat = config.flat
        self.flat = flat
        # global mode (snpm.ops.global_mode): the -g config, or `npm link`'s global half
        self.global_ = config.is_global if global_ is None else global_
        self.root = global_top(config) if self.global_ else str(config.local_prefix)
        self.cache_dir = Path(str(config.get("cache")))
        self.fetch_options = fetch_options(config)
        # made on first use: a reify that needs nothing from the registry (an up-to-date
        # project) never loads the fetchers, the HTTP cache or aiohttp
        self._client: RegistryClient | None = None
        self._source: FetchSource | None = None
        # the fetchers' thread pool, made before them when packages only need linking from the store
        self._pool: ThreadPoolExecutor | None = None
        self._process_env: dict[str, str] | None = None
        self.linker = BinLinker()
        self._policy: Policy | None = None
        self._policy_resolved = False
        self.refetch: Refetch | None = None

    @property
    def client(self) -> RegistryClient:
        if self._client is None:
            from snpm.ops.context import registry_client

            self._client = registry_client(self.config, self.command, log=self.io.log)
        return self._client

    @property
    def source(self) -> FetchSource:
        if self._source is None:
            from snpm.fetch.source import FetchSource

            self._source = FetchSource(
                self.client,
                cache_dir=self.cache_dir,
                options=self.fetch_options,
                log=self.io.log,
                prepare=self._prepare,
                pool=self._pool,
            )
        return self._source

    async def _link_stored(self, integrity: str, dest: str) -> bool:
        """`FetchSource.link_stored` without making the source: a package the store holds needs
        no registry client, so an install from a lockfile over a warm store loads none of it."""
        if self._source is not None:
            return await self._source.link_stored(integrity, Path(dest))
        if not self._store_usable():
            return False
        from snpm.fetch.store import materialize

        loop = asyncio.get_running_loop()
        linked: bool = await loop.run_in_executor(
            self._thread_pool(), materialize, self.cache_dir, integrity, Path(dest)
        )
        return linked

    async def _link_stored_many(
        self, nodes: Sequence[ReifyNode], enclosing: Sequence[int], stop: Callable[[], bool]
    ) -> Sequence[bool]:
        """The reify hook `link_stored`: `_link_stored` for many nodes, in one thread."""
        return await self._link_stored_pairs([(node, node.path or "") for node in nodes], enclosing, stop)

    async def _link_stored_pairs(
        self, pairs: Sequence[tuple[ReifyNode, str]], enclosing: Sequence[int], stop: Callable[[], bool]
    ) -> Sequence[bool]:
        """`_link_stored` for many (node, folder) pairs, in one thread."""
        packages = [(key, dest) if (key := _store_key(node)) else None for node, dest in pairs]
        if self._source is not None:
            return await self._source.link_stored_many(packages, enclosing, stop)
        if not self._store_usable():
            return [False] * len(pairs)
        from snpm.fetch.store import materialize_many

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._thread_pool(), materialize_many, self.cache_dir, packages, enclosing, stop
        )

    def _stored(self, node: ReifyNode) -> bool:
        """The reify hook `stored`: whether `_link_stored_pairs` would find this node's package in
        the store (one stat, no linking)."""
        key = _store_key(node)
        if key is None or not self._store_usable():
            return False
        from snpm.cache.store import has_package

        return has_package(self.cache_dir, key)

    def _store_usable(self) -> bool:
        """Whether packages may come from the store: through the source once it is made, else
        only when every kind of package may be fetched (the store skips no policy then)."""
        return self._source is not None or self.fetch_options.allows_every_kind

    def _thread_pool(self) -> ThreadPoolExecutor:
        """The fetchers' thread pool, made before them when packages only need linking."""
        if self._pool is None:
            from snpm.fetch.options import cpu_pool

            self._pool = cpu_pool()
        return self._pool

    @property
    def process_env(self) -> dict[str, str]:
        """The environment scripts run in (npm's, with PATH through the .bin folders)."""
        if self._process_env is None:
            from snpm.ops.scripts import script_process_env

            self._process_env = script_process_env(
                self.config, self.env, command=self.command, color=self.io.color
            )
        return self._process_env

    async def __aenter__(self) -> ReifySession:
        # npm resolves the policy before anything else: its warnings come first, EALLOWSCRIPTS early
        self.allow_scripts_policy()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close(exc_type, exc, tb)

    async def close(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        """What leaving `async with` does, for a session used without it (no policy resolved)."""
        if self._source is not None:
            self._source.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._client is not None:
            await self._client.__aexit__(exc_type, exc, tb)

    # ── options ──

    def ideal_options(self, request: ReifyRequest) -> IdealTreeOptions:
        flat = self.flat
        save = _flag(flat, "save") if request.save is None else request.save
        omit = flat.get("omit")
        save_type = _opt_str(flat.get("saveType"))
        lockfile_version = flat.get("lockfileVersion")
        return IdealTreeOptions(
            add=request.add,
            rm=request.rm,
            update_all=request.update_all,
            update_names=request.update_names,
            save=save,
            save_type=save_type,
            save_bundle=_flag(flat, "saveBundle"),
            save_prefix=str(flat.get("savePrefix") if flat.get("savePrefix") is not None else "^"),
            save_exact=False,
            legacy_peer_deps=_flag(flat, "legacyPeerDeps"),
            strict_peer_deps=_flag(flat, "strictPeerDeps"),
            force=_flag(flat, "force"),
            prefer_dedupe=_flag(flat, "preferDedupe")
            if request.prefer_dedupe is None
            else request.prefer_dedupe,
            install_strategy=str(flat.get("installStrategy") or "hoisted"),
            install_links=_flag(flat, "installLinks"),
            omit=frozenset(str(o) for o in omit) if isinstance(omit, list) else frozenset(),
            engine_strict=_flag(flat, "engineStrict"),
            default_tag=str(flat.get("defaultTag") or "latest"),
            node_version=self.fetch_options.node_version,
            npm_version=self.fetch_options.npm_version,
            os=_opt_str(flat.get("os")),
            cpu=_opt_str(flat.get("cpu")),
            libc=_opt_str(flat.get("libc")),
            workspaces=self.workspaces,
            include_workspace_root=_flag(flat, "includeWorkspaceRoot"),
            workspaces_enabled=flat.get("workspacesEnabled") is not False,
            global_=self.global_,
            prune=request.prune,
            package_lock=_flag(flat, "packageLock"),
            package_lock_only=_flag(flat, "packageLockOnly"),
            dry_run=_flag(flat, "dryRun"),
            lockfile_version=lockfile_version if isinstance(lockfile_version, int) else None,
            omit_lockfile_registry_resolved=_flag(flat, "omitLockfileRegistryResolved"),
            # npm resolves the specs of a global install from the current directory
            cwd=None if self.global_ else self.root,
        )

    # ── the trees ──

    async def build_ideal(self, options: IdealTreeOptions) -> IdealTree:
        source = _DeferredSource(self)
        # downloads start as nodes are placed, when the reify will extract them: not for a dry
        # run or a lockfile-only run, nor when --omit may leave a placed node out. (Not as soon as
        # a manifest is picked: measured, those downloads slowed the packuments the tree waits for.)
        prefetch = not (options.dry_run or options.package_lock_only or options.omit or self.global_)
        try:
            built = await build_ideal_tree(
                self.root,
                source,
                options,
                log=self.io.log,
                extractor=source,
                on_placed=self._prefetch if prefetch else None,
            )
            if self.command == "install" and not self.global_:
                # while the packuments are still at hand
                self.refetch = refetch_digests(built.root, self._settled_bodies)
            return built
        finally:
            # the packuments are the bulk of a resolution's memory; the reify does not need them
            if self._source is not None:
                self._source.forget_packuments()

    async def load_actual(self, child_filter: Callable[[Node, str], bool] | None = None) -> Node:
        flat = self.flat
        return await load_actual(
            self.root,
            ignore_missing=True,
            global_=self.global_,
            child_filter=child_filter or (lambda node, kid: True),
            install_links=_flag(flat, "installLinks"),
            legacy_peer_deps=_flag(flat, "legacyPeerDeps"),
            install_strategy=str(flat.get("installStrategy") or "hoisted"),
            log=self.io.log,
        )

    # ── reify ──

    async def reify(self, request: ReifyRequest, *, ideal: IdealTree | None = None) -> ReifyOutcome:
        """arborist reify(): build, plan, apply, save. `ideal` is a tree already built (npm ci)."""
        options = ideal.options if ideal is not None else self.ideal_options(request)
        lock_only = options.package_lock_only
        dry_run = options.dry_run
        if lock_only and self.global_:
            raise SnpmError("cannot generate lockfile for global packages", code="ESHRINKWRAPGLOBAL")
        nm = os.path.join(self.root, "node_modules")
        if not lock_only and not dry_run:
            os.makedirs(self.root, exist_ok=True)
            from snpm.reify.retire import recover_interrupted

            validate_node_modules(nm, force=options.force, log=self.io.log)
            recover_interrupted(self.root, self.io.log)
        if lock_only:
            built = ideal or await self.build_ideal(options)
            self._strict_preflight(built, request)
            self._prune_if_asked(built, request)
            self._save_ideal_tree(built, request)
            if options.effective_install_strategy == "linked":
                # arborist saves the isolated tree's hidden lockfile all the same
                self._clean_inert(built.root)
                self._write_linked_hidden_lockfile(built, await self._isolated_layout(built))
            else:
                self._save_hidden_lockfile_quirk(built)
            return ReifyOutcome(
                None, built.root, built, dry_run, True, self.started, self.allow_scripts_policy()
            )
        # install-strategy=linked compares npm's isolated layout with the disk, not two trees
        linked = options.effective_install_strategy == "linked"
        if ideal is not None:
            built = ideal
            fresh = request.clean_install or linked
            actual = empty_tree(self.root) if fresh else await self.load_actual()
        elif request.clean_install or linked:
            built = await self.build_ideal(options)
            actual = empty_tree(self.root)
        elif self.global_:
            # the global space is loaded after the ideal tree, keeping only what was asked for
            built = await self.build_ideal(options)
            actual = await self.load_actual(global_actual_filter(built))
        else:
            built, actual = await asyncio.gather(self.build_ideal(options), self.load_actual())
        self._strict_preflight(built, request)
        self._prune_if_asked(built, request)
        if linked:
            return await self._reify_linked(built, request)
        plan = self._plan(actual, built, options)
        if dry_run:
            self._clean_inert(built.root)
            return ReifyOutcome(
                plan, built.root, built, True, False, self.started, self.allow_scripts_policy()
            )
        clean = tuple(workspace_node_modules(built.root)) if request.clean_install else ()
        from snpm.reify.apply import Reification

        reification = Reification(
            plan,
            ApplyOptions(root=self.root, force=options.force, clean_folders=clean),
            self._hooks(built, actual),
        )
        await reification.apply()

        def save(backups: list[FileBackup]) -> None:
            self._mark_failed_optional(reification)
            # the global space has no package.json, lockfile or hidden lockfile
            if not self.global_:
                backups.extend(self._save_ideal_tree(built, request))
            self._clean_inert(built.root)
            self._clean_trash(built.root, reification.trash)
            # a filtered diff left the rest of node_modules as it was: the tree must say so
            keep_unfiltered(built.root, actual, reification.plan.filter_set)
            if not self.global_:
                hidden = Path(nm) / ".package-lock.json"
                backups.append(FileBackup.take(hidden))
                lock_saved = any(b.path.name in ("package-lock.json", "npm-shrinkwrap.json") for b in backups)
                write_hidden_lockfile(built, hidden, lock_saved=lock_saved)

        await _save_or_roll_back(reification, save)
        if not (self.global_ or options.workspaces or not options.workspaces_enabled):
            self._remove_stale_store(nm)
        if not self.global_:
            # npm removes its trash before it saves the hidden lockfile, which must be the newest
            # thing in node_modules (or the next run ignores it); the commit just removed ours
            with contextlib.suppress(OSError):
                os.utime(Path(nm) / ".package-lock.json")
        await self._dependencies_scripts(built, changed=not plan.is_empty)
        return ReifyOutcome(
            plan, built.root, built, False, False, self.started, self.allow_scripts_policy(), self.refetch
        )

    async def _reify_linked(self, built: IdealTree, request: ReifyRequest) -> ReifyOutcome:
        """arborist reify() under install-strategy=linked: the lockfile is the hoisted tree's,
        node_modules npm's isolated layout (snpm.tree.isolated), applied by snpm.reify.linked."""
        from snpm.ops.reify_linked import linked_layout
        from snpm.reify.linked import LinkedReification, plan_linked

        options = built.options
        root = built.root
        isolated = await self._isolated_layout(built)
        filtered = options.workspaces if options.workspaces_enabled else ()
        layout = linked_layout(
            root,
            isolated,
            workspaces=filtered,
            include_workspace_root=options.include_workspace_root,
            workspaces_enabled=options.workspaces_enabled,
        )
        plan = plan_linked(layout, clean=request.clean_install)
        if options.dry_run:
            self._clean_inert(root)
            return ReifyOutcome(
                None, root, built, True, False, self.started, self.allow_scripts_policy(), linked=plan
            )
        clean = tuple(workspace_node_modules(root)) if request.clean_install else ()
        reification = LinkedReification(
            plan,
            ApplyOptions(root=self.root, force=options.force, clean_folders=clean),
            self._linked_hooks(built, layout),
        )
        await reification.apply()
        hidden = Path(self.root) / "node_modules" / ".package-lock.json"

        def save(backups: list[FileBackup]) -> None:
            backups.extend(self._save_ideal_tree(built, request))
            self._clean_inert(root)
            backups.append(FileBackup.take(hidden))
            failed = [os.path.relpath(f.path, self.root).replace(os.sep, "/") for f in reification.failed]
            self._write_linked_hidden_lockfile(built, isolated, failed=failed)

        await _save_or_roll_back(reification, save)
        with contextlib.suppress(OSError):
            os.utime(hidden)
        await self._dependencies_scripts(built, changed=not plan.is_empty)
        return ReifyOutcome(
            None,
            root,
            built,
            False,
            False,
            self.started,
            self.allow_scripts_policy(),
            self.refetch,
            linked=plan,
            linked_failed=frozenset(f.path for f in reification.failed),
        )

    async def _isolated_layout(self, built: IdealTree) -> IsolatedLayout:
        """npm's isolated layout of the ideal tree (what --omit leaves out is not in it). A package
        with its own npm-shrinkwrap.json is unpacked first, as arborist does, to read its tree."""
        import tempfile

        from snpm.tree.isolated import isolated_layout
        from snpm.tree.lockfile_bridge import load_tree

        root = built.root
        wrapped = [
            n
            for n in root.inventory.values()
            if n.has_shrinkwrap and n is not root and not (n.inert or n.is_link) and self._fetch_spec(n)
        ]
        if not wrapped:
            return isolated_layout(root, omit=built.options.omit)
        with tempfile.TemporaryDirectory(prefix="snpm-shrinkwrap-") as tmp:
            trees: dict[Node, Node] = {}
            for index, node in enumerate(wrapped):
                folder = os.path.join(tmp, str(index))
                await self._extract_to(node, folder)
                try:
                    trees[node] = load_tree(folder)
                except SnpmError:
                    continue  # no shrinkwrap after all: the ideal tree's dependencies stand
            return isolated_layout(root, omit=built.options.omit, shrinkwraps=trees)

    def _write_linked_hidden_lockfile(
        self, built: IdealTree, isolated: IsolatedLayout, *, failed: Sequence[str] = ()
    ) -> None:
        from snpm.ops.reify_linked import linked_hidden_lockfile_text

        omit_resolved = built.options.omit_lockfile_registry_resolved
        write_hidden_text(
            Path(self.root) / "node_modules" / ".package-lock.json",
            lambda: linked_hidden_lockfile_text(
                built.root, isolated, omit_lockfile_registry_resolved=omit_resolved, failed=failed
            ),
        )

    def _linked_hooks(self, built: IdealTree, layout: LinkedLayout) -> LinkedHooks:
        from snpm.reify.linked import LinkedHooks

        progress = self.io.progress

        async def extract(node: ReifyNode, folder: str) -> None:
            assert isinstance(node, Node)
            await self._extract_to(node, folder)

        async def link_stored(
            pairs: Sequence[tuple[ReifyNode, str]], stop: Callable[[], bool]
        ) -> Sequence[bool]:
            return await self._link_stored_pairs(pairs, [-1] * len(pairs), stop)

        async def build(folders: Sequence[StoreFolder], links: Sequence[Symlink]) -> Sequence[str]:
            from snpm.ops.reify_linked import build_nodes

            nodes = build_nodes(built.root, folders, links, layout.undeclared)
            if _flag(self.flat, "ignoreScripts"):
                # without scripts a build only links bins (as `_build` leaves out the others)
                nodes = [b for b in nodes if b.real.package.get("bin")]
            failed = await self._build_nodes(built, nodes)
            return [b.path for b in failed]

        return LinkedHooks(
            extract=extract,
            build=build,
            log=self.io.log,
            link_stored=link_stored,
            progress=progress.phase if progress is not None else None,
        )

    def _remove_stale_store(self, nm: str) -> None:
        """A linked install's node_modules/.store goes with the first install of another strategy
        (arborist #removeStaleStoreDir): nothing reads it any more. Not after a filtered install,
        whose workspaces outside the filter may still link into it."""
        store = os.path.join(nm, ".store")
        if not os.path.isdir(store):
            return
        self.io.log("silly", "reify", "removing stale .store from a previous linked install")
        from snpm.reify.retire import remove_path

        try:
            remove_path(store)
        except OSError as err:
            self.io.log("warn", "cleanup", f"Failed to remove stale .store directory {err}")

    def _settled_bodies(self, name: str) -> list[tuple[bool, bytes | None]]:
        if self._source is None:
            return []
        return [(full, doc.body) for full, doc in self._source.ctx.packuments.settled(name)]

    def _plan(self, actual: Node, built: IdealTree, options: IdealTreeOptions) -> ReifyPlan:
        ideal = built.root
        filter_nodes: list[ReifyNode] = []
        if self.global_:
            filter_nodes.extend(global_filter_nodes(built, actual))
        elif options.workspaces_enabled and options.workspaces:
            for name in options.workspaces:
                for tree in (ideal, actual):
                    node = tree.children.get(name)
                    if node is not None:
                        filter_nodes.append(node)
            if options.include_workspace_root:
                for tree in (ideal, actual):
                    filter_nodes.extend(
                        e.to for e in tree.edges_out.values() if e.type != "workspace" and e.to is not None
                    )
        elif not options.workspaces_enabled:
            for tree in (ideal, actual):
                filter_nodes.extend(
                    e.to for e in tree.edges_out.values() if e.type != "workspace" and e.to is not None
                )
        plan = diff_trees(actual, ideal, filter_nodes=filter_nodes, omit=options.omit)
        for omitted in plan.omitted:
            omitted.inert = True
        for child, bundler in plan.bundled_moves:
            assert isinstance(child, Node) and isinstance(bundler, Node)
            child.parent = bundler
        return plan

    def _strict_preflight(self, built: IdealTree, request: ReifyRequest) -> None:
        if request.strict_allow_scripts:
            strict_allow_scripts_preflight(
                self.config, built.root.inventory.values(), self.allow_scripts_policy()
            )

    def _prune_if_asked(self, built: IdealTree, request: ReifyRequest) -> None:
        if request.prune_extraneous:
            for node in built.root.inventory.values():
                if node.extraneous:
                    node.parent = None

    # ── hooks ──

    def _hooks(self, built: IdealTree, actual: Node) -> ReifyHooks:
        progress = self.io.progress

        async def load_bundles(bundlers: Sequence[ReifyNode]) -> BundlesLoaded:
            return await self._load_bundles(built, actual, bundlers)

        return ReifyHooks(
            extract=self._extract,
            build=lambda nodes: self._build(built, nodes),
            log=self.io.log,
            load_bundles=load_bundles,
            progress=progress.phase if progress is not None else None,
            link_stored=self._link_stored_many,
            stored=self._stored,
        )

    async def _load_bundles(
        self, built: IdealTree, actual: Node, bundlers: Sequence[ReifyNode]
    ) -> BundlesLoaded:
        """npm [_loadBundlesAndUpdateTrees] after the bundlers were unpacked: read each bundle
        into the ideal tree, prune what the bundles shadow, and plan again."""
        missing: list[ReifyNode] = []
        for bundler in bundlers:
            assert isinstance(bundler, Node)
            if bundler.root is not built.root or not bundler.path:
                continue
            not_transplanted = set(bundler.children.keys())

            def transplant(node: Node, names: set[str] = not_transplanted) -> bool:
                if node.package.get("_id"):
                    names.discard(node.name)
                    return True
                return False

            await load_actual(
                bundler.path,
                root=bundler,
                transplant_filter=transplant,
                install_links=_flag(self.flat, "installLinks"),
                legacy_peer_deps=_flag(self.flat, "legacyPeerDeps"),
            )
            for name in not_transplanted:
                child = bundler.children.get(name)
                if child is not None:
                    missing.append(child)
        trash = prune_bundled_metadeps(bundlers)
        plan = self._plan(actual, built, built.options)
        return BundlesLoaded(plan, tuple(missing), tuple(trash))

    def _fetch_spec(self, node: Node) -> str | None:
        """What arborist hands pacote.extract for a node (None: a damaged lockfile entry)."""
        if node.resolved:
            fetch_from = registry_resolved(
                node.resolved,
                str(self.flat.get("registry")),
                str(self.flat.get("replaceRegistryHost") or "npmjs"),
            )
            return f"{node.name}@{fetch_from}" if fetch_from else None
        if node.package_name and node.version:
            return f"{node.package_name}@{node.version}"
        return None

    def _prefetch(self, node: Node) -> None:
        """A node the ideal tree just placed: start getting its tarball into the store. Only
        registry packages that can run on this platform (an optional one that cannot is made
        inert, and never fetched, once the tree is complete; one that can is often among the
        biggest downloads, a native binary)."""
        integrity = node.integrity
        if not integrity or node.is_link or not _extractable(node):
            return
        package = node.package
        resolved = node.resolved
        if not resolved or not self._runs_here(package):
            return
        url = registry_resolved(
            resolved, str(self.flat.get("registry")), str(self.flat.get("replaceRegistryHost") or "npmjs")
        )
        if url:
            self.source.prefetch(url, name=node.name, integrity=integrity)

    def _runs_here(self, package: JsonObject) -> bool:
        """npm-install-checks' checkPlatform against the configured `os`/`cpu`/`libc`, as a question."""
        if not (package.get("os") or package.get("cpu") or package.get("libc")):
            return True
        from snpm.tree.ideal.checks import check_platform, current_platform

        flat = self.flat
        here = current_platform(
            _opt_str(flat.get("os")), _opt_str(flat.get("cpu")), _opt_str(flat.get("libc"))
        )
        try:
            check_platform(package, False, here)
        except SnpmError:
            return False
        return True

    async def _extract(self, node: ReifyNode) -> None:
        assert isinstance(node, Node)
        await self._extract_to(node, node.path or "")

    async def _extract_to(self, node: Node, dest: str) -> None:
        """Make `dest` hold the package of `node` (its own folder, or its store folder when linked)."""
        # one stat says whether the store has it: a package it lacks goes straight to its fetch,
        # not through the thread pool (busy linking the others) to learn the same
        if node.integrity and self._stored(node) and await self._link_stored(node.integrity, dest):
            return
        res = self._fetch_spec(node)
        if res is None:
            self.io.log(
                "warn",
                "reify",
                "invalid or damaged lockfile detected\nplease re-try this operation once it completes\n"
                "so that the damage can be corrected, or perform\n"
                "a fresh install with no lockfile if the problem persists.",
            )
            self.io.log("verbose", "reify", f"unrecognized node in tree {node.path}")
            node.parent = None
            return
        is_root = any(
            e.valid and e.from_ is not None and (e.from_.is_project_root or e.from_.is_workspace)
            for e in node.edges_in
        )
        await self.source.extract(
            res,
            Path(dest),
            where=Path(self.root),
            integrity=node.integrity,
            resolved=node.resolved,
            is_root=is_root,
        )

    async def _prepare(self, folder: Path, manifest: JsonObject, *, kind: PrepareKind) -> None:
        if kind == "git":
            # the clone's own dependencies first (pacote's GitFetcher), then as a directory
            from snpm.ops.git_prepare import install_clone_dependencies

            # pacote passes npm's process.env, where npm's config was exported (setEnvs)
            env = {**self.env, **self.config.export_env()}
            await install_clone_dependencies(
                folder, manifest, env=env, flat=self.flat, cache_dir=self.cache_dir, log=self.io.log
            )
        from snpm.lifecycle import run_prepare

        await run_prepare(
            str(folder),
            manifest,
            env=self.process_env,
            resolved=str(folder),
            ignore_scripts=_flag(self.flat, "ignoreScripts"),
            foreground_scripts=_flag(self.flat, "foregroundScripts"),
            script_shell=_opt_str(self.flat.get("scriptShell")),
            banner=self.io.banner,
        )

    def allow_scripts_policy(self) -> Policy | None:
        """npm's resolveAllowScripts, once per session (it may warn)."""
        if not self._policy_resolved:
            self._policy = resolve_policy(self.config, self.io.log).policy
            self._policy_resolved = True
        return self._policy

    async def _build(self, built: IdealTree, nodes: Sequence[ReifyNode]) -> list[ReifyNode]:
        by_path: dict[str, Node] = {}
        build_nodes: list[BuildNode] = []
        # without scripts a build only links bins: the nodes without any take no part in it
        bins_only = _flag(self.flat, "ignoreScripts")
        for node in nodes:
            assert isinstance(node, Node)
            if bins_only and not node.package.get("bin"):
                continue
            by_path[node.path or ""] = node
            build_nodes.append(build_node(node, built))
        failed = await self._build_nodes(built, build_nodes)
        return [by_path[b.path] for b in failed if b.path in by_path]

    async def _build_nodes(self, built: IdealTree, build_nodes: Sequence[BuildNode]) -> list[BuildNode]:
        """Link bins and run install scripts; the optional nodes whose build failed."""
        flat = self.flat
        failed: list[BuildNode] = []
        bins_only = _flag(flat, "ignoreScripts")
        force = _flag(flat, "force")

        def link_bins(b: BuildNode) -> None:
            self.linker.link(
                b.package, b.path, top=b.is_top or b.global_top, global_=b.global_top, force=force
            )

        def on_optional_failure(b: BuildNode, err: SnpmError) -> None:
            failed.append(b)

        from snpm.lifecycle import Builder, BuildHooks, BuildOptions, read_installed_package

        builder = Builder(
            BuildOptions(
                ignore_scripts=bins_only,
                bin_links=flat.get("binLinks") is not False,
                foreground_scripts=_flag(flat, "foregroundScripts"),
                script_shell=_opt_str(flat.get("scriptShell")),
                allow_scripts=self.allow_scripts_policy(),
                dangerously_allow_all_scripts=_flag(flat, "dangerouslyAllowAllScripts"),
                force=force,
                old_meta=old_meta(built),
                handle_optional_failure=True,
                policy_where=self.root,
            ),
            BuildHooks(
                # scripts are what the environment is for: without them it is not worked out
                env={} if bins_only else self.process_env,
                link_bins=link_bins,
                check_bins=lambda b: check_bins(b.package, b.path, top=True, global_=True, force=force),
                read_package=read_installed_package,
                on_optional_failure=on_optional_failure,
                banner=self.io.banner,
                log=self.io.log,
            ),
        )
        await builder.rebuild(build_nodes)
        return failed

    # ── after apply ──

    def _mark_failed_optional(self, reification: Reification) -> None:
        for node in reification.failed_optional:
            node.inert = True

    def _save_ideal_tree(self, built: IdealTree, request: ReifyRequest) -> list[FileBackup]:
        return save_ideal_tree(
            built,
            clean_install=request.clean_install,
            root=self.root,
            format_package_lock=self.flat.get("formatPackageLock") is not False,
            log=self.io.log,
        )

    def _save_hidden_lockfile_quirk(self, built: IdealTree) -> None:
        """--package-lock-only: npm still saves the ideal tree as node_modules/.package-lock.json
        when a node_modules folder exists (the write simply fails, and is dropped, without one)."""
        nm = Path(self.root) / "node_modules"
        if nm.is_dir():
            self._clean_inert(built.root)
            write_hidden_lockfile(built, nm / ".package-lock.json", lock_saved=True)

    def _clean_inert(self, root: Node) -> None:
        for node in root.inventory.values():
            if node.inert:
                node.parent = None

    def _clean_trash(self, root: Node, trash: Sequence[str]) -> None:
        for path in trash:
            loc = os.path.relpath(path, root.realpath or self.root).replace(os.sep, "/")
            node = root.inventory.get(loc)
            if node is not None and node.root is root:
                node.parent = None

    async def _dependencies_scripts(self, built: IdealTree, *, changed: bool) -> None:
        if _flag(self.flat, "ignoreScripts") or not changed or self.global_:
            return
        target = built.root.target
        from snpm.lifecycle import run_dependencies_scripts

        await run_dependencies_scripts(
            target.path or self.root,
            target.package,
            env=self.process_env,
            foreground_scripts=_flag(self.flat, "foregroundScripts"),
            script_shell=_opt_str(self.flat.get("scriptShell")),
            banner=self.io.banner,
            log=self.io.log,
        )
