"""Applying npm's linked layout (`install-strategy=linked`) to node_modules, all or nothing.

arborist swaps its ideal tree for a flat "isolated" one (every store folder and every symlink a
child of the root), diffs it against the same entries as found on disk (#buildLinkedActualForDiff)
and reifies the difference, then sweeps what nothing refers to any more
(#cleanOrphanedStoreEntries). Here that is a plan read off the disk, then its application:

    plan_linked           a store folder is kept when it exists; a symlink when it resolves to
                          its target (one pointing elsewhere, or a folder where a link belongs —
                          a hoisted install before — is replaced); store entries nothing refers
                          to, and top-level entries of the swept node_modules folders that are
                          ours (links into the project, package folders) are orphans
    LinkedReification     retire what is replaced or orphaned, extract the new store folders
                          (from the store in one batch where it can), make the links, build (bins
                          and install scripts, the caller's lifecycle engine), retire the bins no
                          package provides any more

Every step writes the journal (`snpm.reify.retire`) first, so a failure, a signal or a rerun after
SIGKILL puts node_modules back as it was; `commit()` deletes what was retired. The layout itself
(which store folders, which links) is the tree engine's (`snpm.tree.isolated`), handed over by the
operations layer as absolute paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
from collections.abc import Awaitable, Callable, Mapping, Sequence

import msgspec

from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.reify.bin_links import get_paths, normalized_bins
from snpm.reify.contents import first_missing, listdir
from snpm.reify.hooks import ApplyOptions, LogFn
from snpm.reify.nodes import ReifyNode, deprecation
from snpm.reify.retire import JOURNAL_NAME, Journal, JournalState, move_path, remove_path, retire_path, undo
from snpm.reify.signals import ReifyTerminatedError, SignalWatch

__all__ = [
    "LinkedHooks",
    "LinkedLayout",
    "LinkedPlan",
    "LinkedReification",
    "StoreFolder",
    "Symlink",
    "plan_linked",
]


class StoreFolder(msgspec.Struct, frozen=True):
    """A package folder in the store: `node`'s package, extracted at `path`
    (`<root>/node_modules/.store/<key>/node_modules/<name>`)."""

    path: str
    key: str
    node: ReifyNode
    # the bin links that run it, beside every link to it (arborist's binPaths of a store node)
    bins: tuple[str, ...] = ()
    # a real folder of the root's (or a workspace's) bundle, outside the store
    in_bundle: bool = False


class Symlink(msgspec.Struct, frozen=True):
    """A symlink at `path` to the package folder `target` (a store folder, or a workspace or
    `file:` folder that stays in place); `package` is the target's, for its bins."""

    path: str
    target: str
    package: Mapping[str, JsonValue]
    optional: bool = False
    into_store: bool = True
    # arborist's name for it (its --dry-run line)
    name: str = ""


class LinkedLayout(msgspec.Struct, frozen=True):
    """What node_modules must hold. `sweep` maps each node_modules folder whose stale entries go
    to the entries (`name` or `@scope/name`) that stay."""

    root: str
    store: tuple[StoreFolder, ...]
    links: tuple[Symlink, ...]
    sweep: Mapping[str, frozenset[str]]
    # arborist's links to the workspaces the root does not declare: never made, always "added"
    # (so always built: a workspace's scripts run through them)
    undeclared: tuple[Symlink, ...] = ()
    # what the root and the workspaces bundle: real folders where the hoisted tree has them
    bundled: tuple[StoreFolder, ...] = ()
    # the links arborist lists first (one per local folder, see snpm.tree.isolated)
    front: tuple[str, ...] = ()
    # a filtered install (-w, --no-workspaces): the store folders and links its diff may touch;
    # the rest stays as it is on disk (None: everything)
    scope: frozenset[str] | None = None

    @property
    def store_dir(self) -> str:
        return posixpath.join(self.root, "node_modules", ".store")


class LinkedPlan(msgspec.Struct, frozen=True):
    """The difference between the layout and the disk: the store folders to extract (`change`: the
    ones that exist but are extracted again, as arborist's diff does when one of their bin links
    is missing), the links to make (and those already right), and the paths nothing refers to any
    more."""

    layout: LinkedLayout
    extract: tuple[StoreFolder, ...]
    link: tuple[Symlink, ...]
    unchanged: tuple[Symlink, ...]
    orphans: tuple[str, ...]
    change: tuple[StoreFolder, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to add or change (arborist's diff has no children; orphans do not count)."""
        return not (self.extract or self.link or self.change or self.layout.undeclared)


class LinkedHooks(msgspec.Struct, frozen=True):
    """What the application delegates. `extract(node, folder)` makes `folder` hold the package of
    `node` (fetch, integrity, store); `link_stored(pairs, stop)`, when given, does that in one go
    for the packages the store holds and tells which it did; `build(folders, links)` links bins
    and runs install scripts for the new store folders and every link, returning the store folders
    (paths) of optional packages whose build failed."""

    extract: Callable[[ReifyNode, str], Awaitable[None]]
    build: Callable[[Sequence[StoreFolder], Sequence[Symlink]], Awaitable[Sequence[str]]]
    log: LogFn
    link_stored: (
        Callable[[Sequence[tuple[ReifyNode, str]], Callable[[], bool]], Awaitable[Sequence[bool]]] | None
    ) = None
    progress: Callable[[str, int, int], None] | None = None


# ── the plan ──


def plan_linked(layout: LinkedLayout, *, clean: bool = False) -> LinkedPlan:
    """Compare the layout with what is on disk (#buildLinkedActualForDiff, then the orphan sweep).
    `clean` (npm ci): node_modules is emptied first, so everything is made anew."""
    scope = layout.scope
    folders = [f for f in (*layout.store, *layout.bundled) if scope is None or f.path in scope]
    links = [s for s in layout.links if scope is None or s.path in scope]
    if clean:
        return LinkedPlan(layout=layout, extract=tuple(folders), link=tuple(links), unchanged=(), orphans=())
    extract = tuple(folder for folder in folders if not os.path.lexists(folder.path))
    # getAction: same version, no integrity, same resolved: unchanged only if every bin link exists
    change = tuple(
        folder
        for folder in folders
        if folder.bins
        and not folder.in_bundle
        and folder not in extract
        and not all(os.path.exists(b) for b in folder.bins)
    )
    new_targets = {folder.path for folder in extract}
    link: list[Symlink] = []
    unchanged: list[Symlink] = []
    for symlink in links:
        if symlink.target not in new_targets and _points_to(symlink.path, symlink.target):
            unchanged.append(symlink)
        else:
            link.append(symlink)
    orphans = [*_store_orphans(layout), *_top_level_orphans(layout)]
    return LinkedPlan(
        layout=layout,
        extract=extract,
        link=tuple(link),
        unchanged=tuple(unchanged),
        orphans=tuple(orphans),
        change=change,
    )


def _points_to(path: str, target: str) -> bool:
    """Whether `path` exists and resolves to `target` (which exists): arborist compares real
    paths; a link whose text leads to `target` is settled without resolving every component."""
    try:
        text = os.readlink(path)
    except OSError:
        return False  # nothing there, or a folder where the link belongs
    if posixpath.normpath(posixpath.join(posixpath.dirname(path), text)) == target:
        return os.path.exists(target)
    if not os.path.exists(path) or not os.path.exists(target):
        return False
    try:
        return os.path.realpath(path) == os.path.realpath(target)
    except OSError:
        return False


def _store_keys(store_dir: str) -> list[str]:
    """The store's entries as keys: a scoped package's key spans two segments (`@scope/name@…`)."""
    keys: list[str] = []
    for entry in listdir(store_dir):
        if entry.startswith("@"):
            keys.extend(f"{entry}/{name}" for name in listdir(posixpath.join(store_dir, entry)))
        else:
            keys.append(entry)
    return keys


def _store_orphans(layout: LinkedLayout) -> list[str]:
    valid = {folder.key for folder in layout.store}
    store_dir = layout.store_dir
    return [posixpath.join(store_dir, key) for key in _store_keys(store_dir) if key not in valid]


def _top_level_orphans(layout: LinkedLayout) -> list[str]:
    """#cleanOrphanedTopLevelLinks: in each swept node_modules, an entry not in the layout that is
    ours: a symlink resolving inside the project, or a package folder (a hoisted install's). Links
    out of the project (`npm link` without saving) and other folders are left alone."""
    prefix = layout.root.rstrip("/") + "/"
    found: list[str] = []
    for nm_dir, valid in layout.sweep.items():
        entries: list[str] = []
        for entry in listdir(nm_dir):
            if entry.startswith("."):
                continue
            if entry.startswith("@"):
                entries.extend(f"{entry}/{name}" for name in listdir(posixpath.join(nm_dir, entry)))
            else:
                entries.append(entry)
        for entry in entries:
            if entry in valid:
                continue
            path = posixpath.join(nm_dir, entry)
            if os.path.islink(path):
                try:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), os.readlink(path)))
                except OSError:
                    continue
                if target.startswith(prefix):
                    found.append(path)
            elif os.path.isdir(path) and os.path.exists(posixpath.join(path, "package.json")):
                found.append(path)
    return found


# ── the application ──


class LinkedReification:
    """One all-or-nothing application of a LinkedPlan:

    reification = LinkedReification(plan, options, hooks)
    await reification.apply()       # raises (after rolling back) on failure or signal
    ...write the lockfiles; on error: await reification.rollback()
    reification.commit()
    """

    def __init__(self, plan: LinkedPlan, options: ApplyOptions, hooks: LinkedHooks) -> None:
        self.plan = plan
        self.options = options
        self.hooks = hooks
        self.journal = Journal(options.root)
        self.state = JournalState()
        self._stop = False
        self._signals = SignalWatch(on_signal=self._stop_pending)
        # store folders of optional packages that failed (left out of node_modules)
        self.failed: list[StoreFolder] = []
        self.extracted: list[StoreFolder] = []
        self.linked: list[Symlink] = []

    async def apply(self) -> None:
        """Every step; on failure or a signal, roll back and raise."""
        self._signals.install()
        try:
            self._prepare()
            await self._extract()
            self._signals.check()
            self._link()
            self._signals.check()
            await self._build()
            self._signals.check()
            self._sweep_bins()
        except BaseException as err:
            self._undo()
            self._signals.remove()
            received = self._signals.received
            if isinstance(err, asyncio.CancelledError | KeyboardInterrupt) and received:
                raise ReifyTerminatedError(received) from None
            raise

    async def rollback(self) -> None:
        """Undo an applied (not yet committed) plan, e.g. when writing a lockfile failed."""
        self._undo()
        self._signals.remove()

    def commit(self) -> None:
        """The layout is in place and saved: delete what was retired."""
        self.journal.commit(self.state, self.hooks.log)
        self._prune_empty_scopes()
        self._signals.remove()

    def terminated_error(self) -> ReifyTerminatedError | None:
        received = self._signals.received
        return ReifyTerminatedError(received) if received else None

    def _stop_pending(self) -> None:
        self._stop = True

    def _undo(self) -> None:
        failures = undo(self.state)
        for path, err in failures:
            self.hooks.log("verbose", "reify", f"rollback failed: {path}: {err}")
        self.journal.remove()
        nm = self.journal.folder
        if nm in self.state.created and os.path.isdir(nm) and not os.listdir(nm):
            with contextlib.suppress(OSError):
                os.rmdir(nm)

    def _retire(self, path: str) -> None:
        retired = retire_path(path)
        self.state.retired[path] = retired
        self.state.trash.append(retired)

    def _created(self, path: str) -> None:
        made = first_missing(path, self.options.root)
        if made is not None and made not in self.state.created:
            self.state.created.append(made)

    # ── step 1: what goes, what comes ──

    def _prepare(self) -> None:
        """Record everything this application creates or moves aside, then move aside what goes:
        the orphans, every entry of a folder to clean (npm ci), whatever sits where a link must be
        made. The journal is written before each batch of moves."""
        plan = self.plan
        root_nm = self.journal.folder
        if not os.path.lexists(root_nm):
            self.state.created.append(root_nm)
        first: list[str] = [*plan.orphans]
        for clean in self.options.clean_folders:
            first.extend(posixpath.join(clean, e) for e in listdir(clean) if e != JOURNAL_NAME)
        self._move_aside(first)
        self._move_aside([s.path for s in plan.link if os.path.lexists(s.path)])
        self._move_aside([folder.path for folder in plan.change])
        for folder in plan.extract:
            self._created(folder.path)
            for path in get_paths(folder.node.package, folder.path, global_=False, top=False):
                self._created(path)
        for symlink in plan.link:
            self._created(symlink.path)
            for path in get_paths(symlink.package, symlink.path, global_=False, top=False):
                self._created(path)
        if plan.extract or plan.link:
            # node_modules first, so that the journal has a place: a run killed while extracting
            # into a project that had none is undone too (a half-made store folder is never kept)
            os.makedirs(root_nm, exist_ok=True)
        self.journal.write(self.state)

    def _move_aside(self, paths: Sequence[str]) -> None:
        fresh = [path for path in dict.fromkeys(paths) if path not in self.state.retired]
        if not fresh:
            return
        for path in fresh:
            self._retire(path)
        self.journal.write(self.state)
        for path in fresh:
            move_path(path, self.state.retired[path])

    # ── step 2: the store ──

    async def _extract(self) -> None:
        pending = [f for f in (*self.plan.extract, *self.plan.change) if not f.in_bundle]
        await self._extract_store(pending)
        # a bundle's folders may nest: one at a time, the enclosing one first
        for folder in sorted((f for f in self.plan.extract if f.in_bundle), key=lambda f: f.path):
            if self._stop:
                break
            try:
                await self.hooks.extract(folder.node, folder.path)
            except Exception as err:
                if not folder.node.optional:
                    raise
                self._optional_failed(folder, err)
                continue
            self._extracted(folder)

    async def _extract_store(self, pending: list[StoreFolder]) -> None:
        if not pending:
            return
        total = len(pending)
        done = 0
        progress = self.hooks.progress
        link_stored = self.hooks.link_stored
        if link_stored is not None:
            linked = await link_stored([(f.node, f.path) for f in pending], lambda: self._stop)
            for folder, ok in zip(pending, linked, strict=True):
                if ok:
                    self._extracted(folder)
            pending = [f for f, ok in zip(pending, linked, strict=True) if not ok]
            done = total - len(pending)
            if done and progress is not None:
                progress("reify", done, total)
        limit = asyncio.Semaphore(max(1, self.options.concurrency))
        errors: list[BaseException] = []

        async def one(folder: StoreFolder) -> None:
            nonlocal done
            async with limit:
                if self._stop:
                    return
                try:
                    await self.hooks.extract(folder.node, folder.path)
                except Exception as err:  # noqa: BLE001 - the first error is re-raised below
                    if folder.node.optional:
                        self._optional_failed(folder, err)
                        return
                    self._stop = True
                    errors.append(err)
                    return
                self._extracted(folder)
                done += 1
                if progress is not None:
                    progress("reify", done, total)

        await asyncio.gather(*(one(folder) for folder in pending))
        if errors:
            raise errors[0]

    def _extracted(self, folder: StoreFolder) -> None:
        self.extracted.append(folder)
        warning = deprecation(folder.node)
        if warning is not None:
            self.hooks.log("warn", "deprecated", warning)

    def _optional_failed(self, folder: StoreFolder, err: BaseException) -> None:
        self.hooks.log("verbose", "reify", f"failed optional dependency {folder.path}")
        self.hooks.log("silly", "reify", f"{folder.path}: {err}")
        self.failed.append(folder)
        self.state.trash.append(
            folder.path if folder.in_bundle else posixpath.dirname(posixpath.dirname(folder.path))
        )

    # ── step 3: the links ──

    def _link(self) -> None:
        failed = {folder.path for folder in self.failed}
        for symlink in self.plan.link:
            if symlink.target in failed:
                continue
            path = symlink.path
            folder = posixpath.dirname(path)
            remove_path(path)
            os.makedirs(folder, exist_ok=True)
            os.symlink(_relative(symlink.target, folder), path)
            self.linked.append(symlink)

    # ── step 4: build ──

    async def _build(self) -> None:
        failed_before = {folder.path for folder in self.failed}
        made = (*self.linked, *self.plan.unchanged, *self.plan.layout.undeclared)
        links = [s for s in made if s.target not in failed_before]
        failed = await self.hooks.build(list(self.extracted), links)
        by_path = {folder.path: folder for folder in self.extracted}
        for path in failed:
            folder = by_path.get(path)
            if folder is not None and folder not in self.failed:
                self._optional_failed(folder, SnpmError("install script failed"))
        gone = {folder.path for folder in self.failed}
        if gone - failed_before:
            for symlink in self.linked:
                if symlink.target in gone:
                    self.state.trash.append(symlink.path)
            self.journal.write(self.state)

    # ── step 5: bins nothing provides ──

    def _sweep_bins(self) -> None:
        """#cleanStaleBinLinks: in each swept node_modules/.bin, a bin no link there provides any
        more, or one that leads nowhere, is retired. What the links provide is read from the
        whole layout, also after a filtered install (arborist reads the whole ideal tree)."""
        provided: dict[str, set[str]] = {nm: set() for nm in self.plan.layout.sweep}
        gone = {folder.path for folder in self.failed}
        for symlink in self.plan.layout.links:
            names = provided.get(_node_modules_of(symlink.path))
            if names is not None and symlink.target not in gone:
                names.update(normalized_bins(symlink.package))
        for folder in self.plan.layout.bundled:
            names = provided.get(_node_modules_of(folder.path))
            if names is not None and folder.path not in gone:
                names.update(normalized_bins(folder.node.package))
        stale: list[str] = []
        for nm_dir, names in provided.items():
            bin_dir = posixpath.join(nm_dir, ".bin")
            for entry in listdir(bin_dir):
                path = posixpath.join(bin_dir, entry)
                base = entry.removesuffix(".cmd").removesuffix(".ps1")
                if path in self.state.retired:
                    continue
                if base not in names or not os.path.exists(path):
                    stale.append(path)
        self._move_aside(stale)

    def _prune_empty_scopes(self) -> None:
        """An orphan removed last from its `@scope` folder leaves the folder empty: it goes too."""
        scopes = {
            posixpath.dirname(path)
            for path in self.plan.orphans
            if posixpath.basename(posixpath.dirname(path)).startswith("@")
        }
        for scope in scopes:
            with contextlib.suppress(OSError):
                if not os.listdir(scope):
                    os.rmdir(scope)


def _relative(target: str, folder: str) -> str:
    """posixpath.relpath for two absolute, normalised paths, without its getcwd per call (a
    linked install makes thousands of links)."""
    to, start = target.split("/"), folder.split("/")
    common = 0
    for a, b in zip(to, start, strict=False):
        if a != b:
            break
        common += 1
    parts = [".."] * (len(start) - common) + to[common:]
    return "/".join(parts) or "."


def _node_modules_of(path: str) -> str:
    """The node_modules folder holding the package folder `path` (`<nm>/name`, `<nm>/@scope/name`)."""
    parent = posixpath.dirname(path)
    return posixpath.dirname(parent) if posixpath.basename(parent).startswith("@") else parent
