"""Applying a ReifyPlan to node_modules, all or nothing (arborist reify.js #reifyPackages).

The steps are npm's, each paired with the rollback that undoes it and everything before it:

    retire shallow nodes      rename each changed/removed top of a branch (and its bins) aside
    create sparse tree        mkdir every new package folder (remembering the shallowest made)
    load bundles              unpack bundlers first; the caller re-plans with their contents
    unpack new modules        fetch + extract every added/changed package, symlink links
    move back unchanged       nested packages that did not change come back out of retirement
    build                     bin links and install scripts (the caller's lifecycle engine)

A failure in any step, or SIGINT/SIGTERM/SIGHUP arriving during one, rolls back: what was created
is removed and the retired folders renamed back, so the previous node_modules keeps working. The
caller then writes package.json and the lockfiles and calls `commit()`, which deletes the retired
folders; until then `rollback()` can still undo everything. Every step writes the journal
(`snpm.reify.retire`) first, so a run killed with SIGKILL is undone by the next one
(`recover_interrupted`).

What npm does differently, deliberately: an error in one package stops the packages not yet
started instead of fetching them all, and `npm ci`'s wipe of node_modules (`clean_folders`) is a
retirement too, so a failed `ci` leaves the old node_modules in place.

Size: the steps and their rollbacks share one journal and one work state; each step stays next
to the rollback that undoes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import msgspec

from snpm.errors import SnpmError, from_os_error
from snpm.reify.contents import first_missing, listdir, package_contents, validate_node_modules, walk_up
from snpm.reify.hooks import ApplyOptions, BundlesLoaded, ReifyHooks
from snpm.reify.nodes import ReifyNode, bin_paths, deprecation
from snpm.reify.optional import optional_set
from snpm.reify.plan import Action, Diff, ReifyPlan
from snpm.reify.retire import (
    JOURNAL_NAME,
    Journal,
    JournalState,
    move_path,
    recover_interrupted,
    remove_path,
    retire_path,
)
from snpm.reify.signals import ReifyTerminatedError, SignalWatch

__all__ = [
    "ApplyOptions",
    "BundlesLoaded",
    "ReifyHooks",
    "ReifyTerminatedError",
    "Reification",
    "recover_interrupted",
    "validate_node_modules",
]


class _Work(msgspec.Struct):
    """Mutable bookkeeping of one application (npm's #retiredPaths, #sparseTreeRoots, trashList)."""

    state: JournalState = msgspec.field(default_factory=JournalState)
    retired_done: dict[str, str] = msgspec.field(default_factory=dict)
    sparse_dirs: set[str] = msgspec.field(default_factory=set)
    sparse_roots: list[str] = msgspec.field(default_factory=list)
    # retired folder → the unchanged nodes moved back out of it
    moved_back: dict[str, list[tuple[str, str]]] = msgspec.field(default_factory=dict)
    bundle_unpacked: set[int] = msgspec.field(default_factory=set)
    bundle_missing: set[int] = msgspec.field(default_factory=set)


class Reification:
    """One all-or-nothing application of a plan. Use:

    reification = Reification(plan, options, hooks)
    await reification.apply()       # raises (after rolling back) on failure or signal
    ...write package.json and lockfiles; on error: await reification.rollback()
    reification.commit()
    """

    def __init__(self, plan: ReifyPlan, options: ApplyOptions, hooks: ReifyHooks) -> None:
        self.plan = plan
        self.options = options
        self.hooks = hooks
        self.journal = Journal(options.root)
        self._work = _Work()
        self._stop = False
        self._signals = SignalWatch(on_signal=self._stop_pending)
        self._done = False
        # nodes dropped because an optional dependency failed (the caller marks the tree)
        self.failed_optional: list[ReifyNode] = []
        self.extracted: list[ReifyNode] = []

    @property
    def trash(self) -> list[str]:
        return self._work.state.trash

    # ── the steps ──

    async def apply(self) -> None:
        """Run every step; on failure or a signal, roll back and raise."""
        self._install_signal_handlers()
        root_nm = self.journal.folder
        if not os.path.lexists(root_nm):
            # made by this reify (for the journal, or by mkdir -p): a rollback removes it again
            self._work.state.created.append(root_nm)
        steps: list[tuple[Callable[[], Awaitable[None]], tuple[Callable[[], Awaitable[None]], ...]]] = [
            (self._rollback_retire, (self._retire_shallow_nodes,)),
            (
                self._rollback_sparse_tree,
                (self._create_sparse_tree, self._load_bundles, self._unpack_new_modules),
            ),
            (self._rollback_move_back, (self._move_back_retired_unchanged, self._build)),
        ]
        for rollback, actions in steps:
            for action in actions:
                try:
                    await action()
                    self._check_terminated()
                except BaseException as err:
                    try:
                        await rollback()
                    except Exception as rollback_error:  # noqa: BLE001 - the first error is the one to report
                        self.hooks.log("verbose", "reify", f"rollback failed: {rollback_error}")
                    self._remove_signal_handlers()
                    received = self._signals.received
                    if isinstance(err, asyncio.CancelledError | KeyboardInterrupt) and received:
                        raise ReifyTerminatedError(received) from None
                    raise

    async def rollback(self) -> None:
        """Undo an applied (not yet committed) plan, e.g. when writing the lockfile failed."""
        with contextlib.suppress(BaseException):
            await self._rollback_move_back()
        self._remove_signal_handlers()

    def commit(self) -> None:
        """The new tree is in place and saved: delete the retired folders (npm's removeTrash)."""
        self.journal.commit(self._work.state, self.hooks.log)
        self._remove_signal_handlers()
        self._done = True

    def terminated_error(self) -> ReifyTerminatedError | None:
        received = self._signals.received
        return ReifyTerminatedError(received) if received else None

    def _stop_pending(self) -> None:
        # packages not started yet are skipped; the step in progress finishes, then rollback
        self._stop = True

    # ── signals ──

    def _install_signal_handlers(self) -> None:
        self._signals.install()

    def _remove_signal_handlers(self) -> None:
        self._signals.remove()

    def _check_terminated(self) -> None:
        self._signals.check()

    # ── journal ──

    def _save_journal(self) -> None:
        self.journal.write(self._work.state)

    # ── step 1: retire ──

    def _trash_node(self, node: ReifyNode, *, retire: bool) -> None:
        """npm #addNodeToTrashList: the node's folder and bins go to the trash (retired first)."""
        state = self._work.state
        for path in [node.path or "", *bin_paths(node)]:
            if not path:
                continue
            if retire:
                retired = retire_path(path)
                state.retired[path] = retired
                state.trash.append(retired)
            else:
                state.trash.append(path)

    async def _retire_shallow_nodes(self) -> None:
        for diff in self.plan.root.children:
            if diff.action in (Action.CHANGE, Action.REMOVE) and diff.actual is not None:
                self._trash_node(diff.actual, retire=True)
        state = self._work.state
        for folder in self.options.clean_folders:
            for entry in listdir(folder):
                if entry == JOURNAL_NAME:
                    continue
                path = posixpath.join(folder, entry)
                if path in state.retired:
                    continue
                retired = retire_path(path)
                state.retired[path] = retired
                state.trash.append(retired)
        if not state.retired:
            return
        # npm's #renamePath makes each retired path's folder, even for a path that is not there
        made = dict.fromkeys(first_missing(posixpath.dirname(p), self.options.root) for p in state.retired)
        state.created.extend(m for m in made if m is not None and m not in state.created)
        self._save_journal()
        errors: list[BaseException] = []
        for src, dest in state.retired.items():
            try:
                if move_path(src, dest):
                    self._work.retired_done[src] = dest
            except (OSError, SnpmError) as err:
                errors.append(err)
        if errors:
            raise errors[0]

    async def _rollback_retire(self) -> None:
        for src, dest in self._work.state.retired.items():
            if not os.path.lexists(dest):
                continue
            with contextlib.suppress(OSError, SnpmError):
                remove_path(src)
                move_path(dest, src)
        self.journal.remove()

    # ── step 2: sparse tree ──

    def _new_leaves(self) -> list[ReifyNode]:
        leaves: list[ReifyNode] = []
        for diff in self.plan.root.leaves:
            node = diff.ideal
            if (
                diff.action in (Action.ADD, Action.CHANGE)
                and node is not None
                and not node.is_link
                and node.path
                and node.path not in self._work.sparse_dirs
            ):
                leaves.append(node)
        return leaves

    async def _create_sparse_tree(self) -> None:
        state = self._work.state
        leaves = self._new_leaves()
        checked: set[str] = set()
        roots: dict[str, None] = {}
        for node in leaves:
            path = node.path or ""
            top = node.top.path or ""
            for folder in walk_up(path):
                if folder == top:
                    break
                if folder in checked:
                    continue
                checked.add(folder)
                if os.path.lexists(folder) and not (os.path.isdir(folder) and not os.path.islink(folder)):
                    # a file or a link where a folder must go: retire it (npm's defence in depth)
                    retired = retire_path(folder)
                    state.retired[folder] = retired
                    state.trash.append(retired)
            made = first_missing(path, top)
            if made is not None:
                roots[made] = None
        # everything this step and the next ones create, recorded before it exists
        new_paths = [*roots, *self._new_link_paths(), *self._new_bin_paths()]
        state.created.extend(p for p in new_paths if p not in state.created)
        if new_paths:
            # node_modules first, so that the journal has a place: a run killed while unpacking
            # into a project that had none is undone too
            _make_folders([self.journal.folder])
        self._save_journal()
        for folder, retired in list(state.retired.items()):
            if folder not in self._work.retired_done and folder in checked and move_path(folder, retired):
                self._work.retired_done[folder] = retired
        paths: list[str] = []
        for node in leaves:
            path = node.path or ""
            self._work.sparse_dirs.add(path)
            made = first_missing(path, node.top.path or "")
            paths.append(path)
            if made is not None:
                self._work.sparse_roots.append(made)
        # A mkdir is a new inode, which is CPU time in the file system, not waiting: two threads
        # make the folders side by side (exist_ok, so a shared parent made by both is fine).
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(None, _make_folders, paths[i::2])
                for i in range(2 if len(paths) > 64 else 1)
            )
        )

    def _new_link_paths(self) -> list[str]:
        """Symlinks (and the folders holding them) the unpack step will create."""
        found: dict[str, None] = {}
        for d in self.plan.diffs():
            node = d.ideal
            if d.action in (Action.ADD, Action.CHANGE) and node is not None and node.is_link and node.path:
                made = first_missing(node.path, self.options.root)
                if made is not None:
                    found[made] = None
        return list(found)

    def _new_bin_paths(self) -> list[str]:
        """Bin links (and the .bin folders holding them) the build will create."""
        found: dict[str, None] = {}
        for d in self.plan.diffs():
            if d.action in (Action.ADD, Action.CHANGE) and d.ideal is not None:
                for path in bin_paths(d.ideal):
                    made = first_missing(path, self.options.root)
                    if made is not None:
                        found[made] = None
        return list(found)

    async def _rollback_sparse_tree(self) -> None:
        failures: list[str] = []
        targets = [*self._work.sparse_roots, *self._work.state.created, *self._work.state.retired]
        for path in dict.fromkeys(targets):
            if posixpath.basename(path) == "node_modules" and os.path.lexists(
                posixpath.join(path, JOURNAL_NAME)
            ):
                for entry in listdir(path):
                    if entry != JOURNAL_NAME:
                        try:
                            remove_path(posixpath.join(path, entry))
                        except OSError:
                            failures.append(path)
                continue
            try:
                remove_path(path)
            except OSError:
                failures.append(path)
        if failures:
            self.hooks.log("warn", "cleanup", f"Failed to remove some directories {failures}")
        await self._rollback_retire()
        root_nm = self.journal.folder
        if root_nm in self._work.state.created and os.path.isdir(root_nm) and not os.listdir(root_nm):
            with contextlib.suppress(OSError):
                os.rmdir(root_nm)

    # ── step 3: bundles ──

    async def _load_bundles(self) -> None:
        bundlers: list[ReifyNode] = []
        for diff in self.plan.diffs():
            node = diff.ideal
            if diff.action not in (Action.ADD, Action.CHANGE) or node is None or node.is_project_root:
                continue
            bundled = node.package.get("bundleDependencies")
            if isinstance(bundled, list) and bundled and node.target is not node.root:
                bundlers.append(node)
        if not bundlers:
            return
        bundlers.sort(key=lambda n: n.depth)
        await self._run_all(bundlers)
        self._work.bundle_unpacked.update(id(n) for n in bundlers)
        loaded = await self.hooks.load_bundles(bundlers)
        if loaded is not None:
            self.plan = loaded.plan
            self._work.bundle_missing.update(id(n) for n in loaded.missing)
            self._work.state.trash.extend(loaded.trash)
            await self._create_sparse_tree()

    # ── step 4: unpack ──

    async def _unpack_new_modules(self) -> None:
        nodes: list[ReifyNode] = []
        for diff in self.plan.diffs():
            node = diff.ideal
            if diff.action not in (Action.ADD, Action.CHANGE) or node is None:
                continue
            if node.is_root or id(node) in self._work.bundle_unpacked:
                continue
            if node.in_dep_bundle and id(node) not in self._work.bundle_missing:
                continue
            nodes.append(node)
        # What the store lacks is fetched while the store's packages are linked (a thread): the
        # network's waits then overlap the linking instead of following it. Each fetched one is
        # reported once the linked ones are, as when it followed them; `tally` counts the packages
        # done by both, for the progress display.
        early = self._not_stored(nodes)
        early_ids = {id(node) for node in early}
        fetched: list[ReifyNode] = []
        tally = [0]
        fetching = asyncio.ensure_future(
            self._run_all(early, total=len(nodes), finished=fetched, tally=tally)
        )
        try:
            rest = await self._link_stored(
                [node for node in nodes if id(node) not in early_ids], tally, len(nodes)
            )
        except BaseException:
            self._stop = True
            await asyncio.gather(fetching, return_exceptions=True)
            raise
        await fetching
        for node in fetched:
            self._extracted(node)
        await self._run_all(rest, total=len(nodes), tally=tally)

    def _not_stored(self, nodes: Sequence[ReifyNode]) -> list[ReifyNode]:
        """The nodes to fetch rather than link (`hooks.stored` says the store lacks them), and
        every node nested in one of those (its folder is emptied when it is extracted). One nested
        in a node that is linked is not among them: linking empties its enclosing folder too, so
        it waits for the linking, as before."""
        stored = self.hooks.stored
        if stored is None or self.hooks.link_stored is None or self._stop:
            return []
        early: dict[str, bool] = {}  # path -> fetched early, for every non-link node of the batch
        picked: list[ReifyNode] = []
        for node in sorted((n for n in nodes if not n.is_link), key=lambda n: n.path or ""):
            path = node.path or ""
            outer = _nearest(path, self.options.root, early)
            is_early = outer if outer is not None else not stored(node)
            early[path] = is_early
            if is_early:
                picked.append(node)
        return picked

    async def _link_stored(self, nodes: list[ReifyNode], tally: list[int], total: int) -> list[ReifyNode]:
        """Link in one go the packages the store holds (`hooks.link_stored`), parents before the
        packages nested in them; return the nodes left to `_run_all`, one by one. `tally` (the
        count of packages done, shared with the fetches running meanwhile) and `total` are for
        the progress display."""
        link = self.hooks.link_stored
        if link is None or self._stop:
            return nodes
        # each package's nearest enclosing package of this step, by its index in the batch; what
        # one outside the batch (a link) holds stays out of it too
        index: dict[str, int] = {node.path or "": _OUTSIDE for node in nodes}
        candidates: list[ReifyNode] = []
        enclosing: list[int] = []
        checked: set[str] = set()
        for node in sorted((n for n in nodes if not n.is_link), key=lambda n: n.path or ""):
            outer = _enclosing(node.path or "", self.options.root, index)
            if outer == _OUTSIDE:
                continue
            index[node.path or ""] = len(candidates)
            candidates.append(node)
            enclosing.append(outer)
            parent = node.parent
            if parent is not None and parent.path and parent.path not in checked:
                checked.add(parent.path)
                validate_node_modules(
                    posixpath.join(parent.path, "node_modules"), force=self.options.force, log=self.hooks.log
                )
        if not candidates:
            return nodes
        linked = await link(candidates, enclosing, lambda: self._stop)
        done = {id(node) for node, ok in zip(candidates, linked, strict=True) if ok}
        for node in nodes:
            if id(node) in done:
                self._extracted(node)
        tally[0] += len(done)
        if done and self.hooks.progress is not None:
            self.hooks.progress("reify", tally[0], total)
        return [node for node in nodes if id(node) not in done]

    async def _run_all(
        self,
        nodes: Sequence[ReifyNode],
        *,
        total: int | None = None,
        finished: list[ReifyNode] | None = None,
        tally: list[int] | None = None,
    ) -> None:
        """Reify every node, at most `concurrency` at once. On the first failure the nodes not yet
        started are skipped; the ones running finish (their threads cannot be interrupted) before
        the error is raised, so a rollback never races a writer. With `finished`, the extracted
        nodes are added to it, to be reported by the caller, rather than reported here. `tally`:
        the count of packages done, shared with other work of the same step."""
        if not nodes:
            return
        limit = asyncio.Semaphore(max(1, self.options.concurrency))
        if total is None:
            total = len(nodes)
        count = tally if tally is not None else [0]
        errors: list[BaseException] = []
        progress = self.hooks.progress
        # a package is extracted into an emptied folder: one nested in another package of this
        # batch waits for the enclosing one, so that emptying never removes a finished child
        settled = {node.path or "": asyncio.Event() for node in nodes}

        async def one(node: ReifyNode) -> None:
            try:
                parent_done = _nearest(node.path or "", self.options.root, settled)
                if parent_done is not None:
                    await parent_done.wait()
                await limited(node)
            finally:
                settled[node.path or ""].set()

        async def limited(node: ReifyNode) -> None:
            async with limit:
                if self._stop:
                    return
                try:
                    await self._reify_node(node, finished)
                except Exception as err:  # noqa: BLE001 - the first error is re-raised below
                    self._stop = True
                    errors.append(err)
                    return
                count[0] += 1
                if progress is not None:
                    progress("reify", count[0], total)

        await asyncio.gather(*(one(node) for node in nodes))
        if errors:
            raise errors[0]

    async def _reify_node(self, node: ReifyNode, finished: list[ReifyNode] | None = None) -> None:
        """npm [_reifyNode]: extract or link one node; an optional one may fail quietly."""
        try:
            await self._extract_or_link(node)
        except Exception as err:
            if not node.optional:
                raise
            self._optional_failed(node, err)
            return
        if finished is not None:
            finished.append(node)
        else:
            self._extracted(node)

    def _extracted(self, node: ReifyNode) -> None:
        self.extracted.append(node)
        warning = deprecation(node)
        if warning is not None:
            self.hooks.log("warn", "deprecated", warning)

    def _optional_failed(self, node: ReifyNode, err: BaseException) -> None:
        self.hooks.log("verbose", "reify", f"failed optional dependency {node.path}")
        self.hooks.log("silly", "reify", f"{node.path}: {err}")
        for member in optional_set(node):
            member.inert = True
            self.failed_optional.append(member)
            self._trash_node(member, retire=False)

    async def _extract_or_link(self, node: ReifyNode) -> None:
        parent = node.parent
        if parent is not None and parent.path:
            validate_node_modules(
                posixpath.join(parent.path, "node_modules"), force=self.options.force, log=self.hooks.log
            )
        if not node.is_link:
            await self.hooks.extract(node)
            return
        path = node.path or ""
        remove_path(path)
        folder = posixpath.dirname(path)
        target = node.realpath or ""
        os.makedirs(folder, exist_ok=True)
        os.symlink(posixpath.relpath(target, folder), path)

    # ── step 5: move back what did not change ──

    async def _move_back_retired_unchanged(self) -> None:
        retired = self._work.state.retired
        for diff in self.plan.root.children:
            if diff.action not in (Action.CHANGE, Action.REMOVE) or diff.actual is None:
                continue
            real_folder = diff.actual.path or ""
            retire_folder = retired.get(real_folder)
            if retire_folder is None:
                continue
            moves = self._work.moved_back.setdefault(retire_folder, [])
            for node in diff.unchanged:
                if node.is_link:
                    os.makedirs(posixpath.dirname(node.path or ""), exist_ok=True)
                    await self._reify_node(node)
                    continue
                if node.in_dep_bundle and id(node) not in self._work.bundle_missing:
                    continue
                rel = posixpath.relpath(node.path or "", real_folder)
                from_path = posixpath.join(retire_folder, rel)
                bundled = node.package.get("bundleDependencies")
                folder = node.path or ""
                os.makedirs(
                    posixpath.join(folder, "node_modules")
                    if isinstance(bundled, list) and bundled
                    else folder,
                    exist_ok=True,
                )
                for entry in package_contents(from_path, node.package):
                    dest = posixpath.join(folder, posixpath.relpath(entry, from_path))
                    if move_path(entry, dest):
                        moves.append((entry, dest))

    async def _rollback_move_back(self) -> None:
        for moves in self._work.moved_back.values():
            for src, dest in reversed(moves):
                with contextlib.suppress(OSError, SnpmError):
                    move_path(dest, src)
        self._work.moved_back.clear()
        await self._rollback_sparse_tree()

    # ── step 6: build ──

    def build_nodes(self) -> list[ReifyNode]:
        """npm [_build]'s node list: added and changed nodes leaf first, then the unchanged links
        the root manages (their scripts run on every install)."""
        nodes: list[ReifyNode] = []
        keep: Callable[[Diff], bool] = lambda d: d.action in (Action.ADD, Action.CHANGE)  # noqa: E731
        for diff in self.plan.root.post_order(keep):
            node = diff.ideal
            if node is not None and not node.is_project_root and not node.inert:
                nodes.append(node)
        for node in self.plan.root.unchanged:
            tree = node.root.target
            linked_from_root = (node.parent is tree and not node.inert) or node.target.fs_top is tree
            if node.is_link and linked_from_root:
                nodes.append(node)
        return nodes

    async def _build(self) -> None:
        nodes = self.build_nodes()
        if not nodes:
            return
        failed = await self.hooks.build(nodes)
        for node in failed:
            self._optional_failed(node, SnpmError("install script failed"))


_OUTSIDE = -2
_V = TypeVar("_V")


def _nearest(path: str, root: str, by_folder: Mapping[str, _V]) -> _V | None:
    """`by_folder`'s value for the nearest folder above `path` (below `root`) it has, else None:
    what a package's enclosing package in a batch is known by."""
    folder = posixpath.dirname(path)
    while len(folder) > len(root):
        found = by_folder.get(folder)
        if found is not None:
            return found
        folder = posixpath.dirname(folder)
    return None


def _enclosing(path: str, root: str, index: Mapping[str, int]) -> int:
    """`index`'s value for the nearest folder above `path` (below `root`) it has, else -1."""
    found = _nearest(path, root, index)
    return -1 if found is None else found


def _make_folders(paths: Sequence[str]) -> None:
    for path in paths:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as err:
            raise from_os_error(err, "mkdir") from None
