"""Which installed packages run which install scripts, in what order: arborist's rebuild.js (Builder).

Given the nodes reify added or changed (or every node, for `npm rebuild`), the build:

1. collects the build set: nodes with a bin, a preinstall/install/postinstall/prepare script, or a
   `binding.gyp` (no install/preinstall script, `gypfile` not false; these get `install: node-gyp
   rebuild`). Nodes the lockfile flags with hasInstallScript (or every node, for an old v1
   lockfile) whose scripts are not known yet have their package.json read first. In-bundle
   descendants come along (`rebuildBundle`). Global tops with bins are checked for bins owned by
   someone else (`check_bins`, EEXIST) before anything runs;
2. sorts the set by depth, then path (ICU order), and runs it phase by phase across all packages:
   preinstall, (prepare, for links only), bin links, install, postinstall. Regular nodes go first;
   links (workspaces, `file:` folders) get a second round of their own, since their targets are
   built through them. Within a phase scripts run concurrently (os.cpu_count()-1 at a time, as
   promise-call-limit), or one at a time with `--foreground-scripts`, which also shows their output
   and banner (stdio inherit); otherwise output is captured and only shown in an error.

A package the allowScripts policy denies still gets its bins linked but runs no scripts. The
caller owns everything tree-shaped: it passes BuildNodes, a bin linker (`snpm.reify.bin_links`),
which paths are about to be deleted, and what to do when an optional dependency fails.

Also here: the scripts npm runs around a reify (the root's `[pre|post]dependencies`, the root's
install scripts after `npm install`/`npm ci`) and pacote's `prepare` of a directory or git dep.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import msgspec
from msgspec.structs import replace

from snpm.ecmascript.collation import locale_compare_key
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.lifecycle.allow_scripts import Policy, is_script_allowed
from snpm.lifecycle.build_node import DEFAULT_GYP_INSTALL_SCRIPT, BuildNode, is_node_gyp_package
from snpm.manifest import normalize, read_package_json

if TYPE_CHECKING:
    # the script runner loads when a script runs: linking bins (--ignore-scripts) never needs it
    from snpm.lifecycle.run_script import Banner, ScriptResult, SignalForwarder, Stdio

__all__ = [
    "DEPENDENCIES_EVENTS",
    "ROOT_INSTALL_EVENTS",
    "BuildHooks",
    "BuildOptions",
    "BuildQueues",
    "Builder",
    "default_concurrency",
    "read_installed_package",
    "run_dependencies_scripts",
    "run_prepare",
    "run_root_install_scripts",
]

# what `npm install` (no package args) and `npm ci` run in the root after reify, in this order
ROOT_INSTALL_EVENTS: Final = (
    "preinstall",
    "install",
    "postinstall",
    "prepublish",
    "preprepare",
    "prepare",
    "postprepare",
)
# what reify runs in the root when it changed the tree (arborist reify.js)
DEPENDENCIES_EVENTS: Final = ("predependencies", "dependencies", "postdependencies")
_SCRIPT_EVENTS: Final = ("preinstall", "install", "postinstall", "prepare")

Log = Callable[[str, str, str], None]


def default_concurrency() -> int:
    """promise-call-limit's default: one less than the available CPUs, at least one."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, available - 1)


def read_installed_package(path: str) -> JsonObject:
    """`PackageJson.normalize(path)` with arborist's fallback: {} when it cannot be read."""
    try:
        return normalize(read_package_json(path).content, path=path)
    except (SnpmError, OSError, ValueError):
        return {}


class BuildOptions(msgspec.Struct, frozen=True):
    """The arborist options rebuild.js reads."""

    ignore_scripts: bool = False
    bin_links: bool = True
    foreground_scripts: bool = False
    script_shell: str | None = None
    allow_scripts: Policy | None = None
    dangerously_allow_all_scripts: bool = False
    global_: bool = False
    force: bool = False
    rebuild_bundle: bool = True
    # the tree came from a lockfile older than v2, which does not record hasInstallScript
    old_meta: bool = False
    # reify's first build drops failed optional deps; a plain `npm rebuild` fails on them
    handle_optional_failure: bool = False
    concurrency: int | None = None
    # the directory relative `file:` policy keys are resolved from (npm's cwd)
    policy_where: str | None = None


def _no_trash(path: str) -> bool:
    return False


class BuildHooks(msgspec.Struct, frozen=True):
    """What the build calls back into: npm's process environment and the tree-shaped operations."""

    env: Mapping[str, str]
    # link one node's bins (and man pages); called once per node with a bin, in sorted order
    link_bins: Callable[[BuildNode], None] | None = None
    # EEXIST when a global top's bins would replace files it does not own (bin-links checkBins)
    check_bins: Callable[[BuildNode], None] | None = None
    read_package: Callable[[str], Mapping[str, JsonValue]] = read_installed_package
    # paths reify is about to delete (its trash list): nothing runs there
    is_trashed: Callable[[str], bool] = _no_trash
    # an optional node failed (handle_optional_failure): reify marks it and its set inert
    on_optional_failure: Callable[[BuildNode, SnpmError], None] | None = None
    banner: Banner | None = None
    log: Log | None = None


class BuildQueues(msgspec.Struct, frozen=True):
    """The plan of one build round: nodes per phase, each sorted by depth then path."""

    preinstall: tuple[BuildNode, ...] = ()
    install: tuple[BuildNode, ...] = ()
    postinstall: tuple[BuildNode, ...] = ()
    prepare: tuple[BuildNode, ...] = ()
    bin: tuple[BuildNode, ...] = ()

    def phase(self, name: str) -> tuple[BuildNode, ...]:
        queue: tuple[BuildNode, ...] = getattr(self, name)
        return queue


def _sort_key(node: BuildNode) -> tuple[int, object]:
    return node.depth, locale_compare_key(node.path)


def _with_scripts(node: BuildNode, scripts: Mapping[str, JsonValue]) -> BuildNode:
    """The node with its (target's) package scripts replaced; a link shares its target's package."""
    package = {**node.package, "scripts": dict(scripts)}
    if node.is_link and node.target is not None:
        return replace(node, package=package, target=replace(node.target, package=package))
    return replace(node, package=package)


class Builder(msgspec.Struct):
    """One `rebuild` (arborist Builder): plan with `build_queues`, run with `rebuild`."""

    options: BuildOptions
    hooks: BuildHooks
    results: list[ScriptResult] = msgspec.field(default_factory=list)
    # made with the first script (forwards a signal to every script this build runs)
    _signals: SignalForwarder | None = None

    async def rebuild(self, nodes: Iterable[BuildNode]) -> list[ScriptResult]:
        """Build the nodes: regular ones first, then links. Returns the scripts that ran."""
        if self.options.ignore_scripts and not self.options.bin_links:
            return self.results
        dep_nodes, link_nodes = self._by_type(nodes)
        await self._build(dep_nodes, links=False)
        if link_nodes:
            await self._build(link_nodes, links=True)
        return self.results

    def _by_type(self, nodes: Iterable[BuildNode]) -> tuple[list[BuildNode], list[BuildNode]]:
        deps: dict[int, BuildNode] = {}
        store: dict[int, BuildNode] = {}
        links: dict[int, BuildNode] = {}
        for node in nodes:
            bucket = store if node.is_store_link else links if node.is_link else deps
            bucket.setdefault(id(node), node)
        deps.update(store)  # store links last, so that regular nodes have their bins first
        if not self.options.global_:
            # a link and its target are the same package: build it once, through the link
            targets = {node.real.path for node in links.values()}
            deps = {k: n for k, n in deps.items() if n.is_link or n.path not in targets}
        return list(deps.values()), list(links.values())

    async def _build(self, nodes: Sequence[BuildNode], *, links: bool) -> None:
        queues = self.build_queues(nodes)
        scripts = not self.options.ignore_scripts
        if scripts:
            await self._run_phase("preinstall", queues.preinstall)
        if links and scripts:
            await self._run_phase("prepare", queues.prepare)
        if self.options.bin_links:
            self._link_all_bins(queues.bin)
        if scripts:
            await self._run_phase("install", queues.install)
            await self._run_phase("postinstall", queues.postinstall)

    # ── planning ──
    def build_queues(self, nodes: Iterable[BuildNode]) -> BuildQueues:
        """Which nodes take part in which phase (rebuild.js #buildQueues + #addToBuildSet)."""
        build_set: dict[str, BuildNode] = {}
        for node in nodes:
            self._add_to_build_set(node, build_set)
            if self.options.rebuild_bundle and node.package.get("bundleDependencies"):
                for bundled in node.bundled:
                    self._add_to_build_set(bundled, build_set)
        queues: dict[str, list[BuildNode]] = {name: [] for name in (*_SCRIPT_EVENTS, "bin")}
        for node in sorted(build_set.values(), key=_sort_key):
            package = node.real.package
            scripts = node.real.scripts
            denied = (
                not self.options.dangerously_allow_all_scripts
                and is_script_allowed(node, self.options.allow_scripts, where=self.options.policy_where)
                is False
            )
            if package.get("bin"):
                queues["bin"].append(node)
            if denied:
                continue
            for event in _SCRIPT_EVENTS:
                if scripts.get(event):
                    queues[event].append(node)
        return BuildQueues(**{name: tuple(queue) for name, queue in queues.items()})

    def _add_to_build_set(
        self, node: BuildNode, build_set: dict[str, BuildNode], refreshed: bool = False
    ) -> None:
        key = f"{node.location}\0{node.path}"
        if key in build_set:
            return
        real = node.real
        scripts = real.scripts
        any_script = any(scripts.get(e) for e in _SCRIPT_EVENTS)
        if not refreshed and not any_script and (real.has_install_script or self.options.old_meta):
            # scripts exist (or may: old lockfile) but are not known yet: read them from disk
            raw = self.hooks.read_package(node.path).get("scripts")
            node = _with_scripts(node, raw if isinstance(raw, dict) else {})
            self._add_to_build_set(node, build_set, refreshed=True)
            return
        package = real.package
        is_gyp = (
            package.get("gypfile") is not False
            and not scripts.get("install")
            and not scripts.get("preinstall")
            and is_node_gyp_package(node.path)
        )
        has_bin = bool(package.get("bin"))
        if has_bin or any_script or is_gyp:
            if has_bin and self.hooks.check_bins is not None and node.global_top and not self.options.force:
                self.hooks.check_bins(node)
            if is_gyp:
                node = _with_scripts(node, {**scripts, "install": DEFAULT_GYP_INSTALL_SCRIPT})
            build_set[key] = node

    # ── running ──
    def _link_all_bins(self, queue: Sequence[BuildNode]) -> None:
        if self.hooks.link_bins is None:
            return
        failure: SnpmError | None = None
        # sorted, so that the first package to claim a bin name always wins it
        for node in sorted(queue, key=_sort_key):
            if self.hooks.is_trashed(node.path):
                continue
            try:
                self.hooks.link_bins(node)
            except SnpmError as err:
                # promise-all-reject-late: every node is still linked, the first error is raised
                if not self._swallow_optional(node, err) and failure is None:
                    failure = err
        if failure is not None:
            raise failure

    def _swallow_optional(self, node: BuildNode, err: SnpmError) -> bool:
        if not (self.options.handle_optional_failure and node.optional):
            return False
        if self.hooks.on_optional_failure is not None:
            self.hooks.on_optional_failure(node, err)
        return True

    def _log(self, message: str) -> None:
        if self.hooks.log is not None:
            self.hooks.log("info", "run", message)

    async def _run_phase(self, event: str, queue: Sequence[BuildNode]) -> None:
        if not queue:
            return
        foreground = self.options.foreground_scripts
        limit = 1 if foreground else (self.options.concurrency or default_concurrency())
        await _call_limit(
            [self._runner(node, event, "inherit" if foreground else "pipe") for node in queue], limit
        )

    def _runner(self, node: BuildNode, event: str, stdio: Stdio) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            real = node.real
            if self.hooks.is_trashed(real.path) or (node.is_link and real.is_in_store):
                return
            pkg = real.package
            # util.format prints a missing _id as `undefined`
            pkgid = pkg.get("_id", "undefined")
            self._log(f"{pkgid} {event} {real.location} {real.scripts.get(event)}")
            env: dict[str, str | None] = {
                # arborist's null becomes the text "null" in the child's environment
                "npm_package_resolved": _js_env(real.resolved),
                "npm_package_integrity": _js_env(real.integrity),
                "npm_package_json": os.path.join(real.path, "package.json"),
                "npm_package_optional": _bool_env(real.optional),
                "npm_package_dev": _bool_env(real.dev),
                "npm_package_peer": _bool_env(real.peer),
                "npm_package_dev_optional": _bool_env(
                    real.dev_optional and not real.dev and not real.optional
                ),
            }
            if real.is_in_store:
                name = str(pkg.get("name") or real.name)
                store_nm = os.path.normpath(os.path.join(real.path, *([".."] * len(name.split("/")))))
                inherited = self.hooks.env.get("NODE_PATH")
                env["NODE_PATH"] = os.pathsep.join(p for p in (store_nm, inherited) if p)
            from snpm.lifecycle.run_script import ScriptError, SignalForwarder, run_script

            if self._signals is None:
                self._signals = SignalForwarder()
            try:
                result = await run_script(
                    event=event,
                    path=real.path,
                    pkg=pkg,
                    env=self.hooks.env,
                    stdio=stdio,
                    script_shell=self.options.script_shell,
                    extra_env=env,
                    banner=self.hooks.banner,
                    signals=self._signals,
                )
            except ScriptError as err:
                self._log(f"{pkgid} {event} {_inspect_status(err.code, err.signal)}")
                if not self._swallow_optional(node, err):
                    raise
                return
            if result is not None:
                self.results.append(result)
                self._log(f"{pkgid} {event} {_inspect_status(result.code, result.signal)}")

        return run


def _js_env(value: str | None) -> str:
    return "null" if value is None else value


def _bool_env(value: bool) -> str:
    return "1" if value else ""


def _inspect_status(code: int | str | None, signal: str | None) -> str:
    """node's util.inspect of `{ code, signal }`, as arborist logs it."""

    def show(value: int | str | None) -> str:
        return "null" if value is None else f"'{value}'" if isinstance(value, str) else str(value)

    return f"{{ code: {show(code)}, signal: {show(signal)} }}"


async def _call_limit(tasks: Sequence[Callable[[], Awaitable[None]]], limit: int) -> None:
    """promise-call-limit: at most `limit` running; the first failure stops new starts and is raised
    once the running ones have finished (so no script is left running unwatched)."""
    pending = list(reversed(tasks))
    running: set[asyncio.Task[None]] = set()
    failure: BaseException | None = None
    while pending or running:
        while pending and len(running) < limit and failure is None:
            running.add(asyncio.ensure_future(pending.pop()()))
        if not running:
            break
        done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and failure is None:
                failure = exc
    if failure is not None:
        raise failure


# ── scripts around a reify ─────────────────────────────────────────────────────────────────────────
async def run_dependencies_scripts(
    root_path: str,
    root_package: Mapping[str, JsonValue],
    *,
    env: Mapping[str, str],
    foreground_scripts: bool = False,
    script_shell: str | None = None,
    banner: Banner | None = None,
    log: Log | None = None,
) -> list[ScriptResult]:
    """The root's predependencies/dependencies/postdependencies, run after a reify that changed the
    tree (not with --ignore-scripts or --dry-run, not for global installs: the caller decides)."""
    from snpm.lifecycle.run_script import run_script

    raw = root_package.get("scripts")
    scripts = raw if isinstance(raw, dict) else {}
    results: list[ScriptResult] = []
    for event in DEPENDENCIES_EVENTS:
        if event not in scripts:
            continue
        if log is not None:
            log("info", "run", f"{root_package.get('_id', 'undefined')} {event} {scripts[event]}")
        result = await run_script(
            event=event,
            path=root_path,
            pkg=root_package,
            env=env,
            stdio="inherit" if foreground_scripts else "pipe",
            script_shell=script_shell,
            banner=banner,
        )
        if result is not None:
            results.append(result)
    return results


async def run_root_install_scripts(
    root_path: str,
    *,
    env: Mapping[str, str],
    script_shell: str | None = None,
    banner: Banner | None = None,
    events: Sequence[str] = ROOT_INSTALL_EVENTS,
) -> list[ScriptResult]:
    """`npm install` (no package args, not global) and `npm ci`: the root's install scripts after
    reify, in the foreground. The manifest is re-read before each event, as run-script does."""
    from snpm.lifecycle.run_script import SignalForwarder, run_script

    signals = SignalForwarder()
    results: list[ScriptResult] = []
    for event in events:
        pkg = normalize(read_package_json(root_path).content, path=root_path)
        result = await run_script(
            event=event,
            path=root_path,
            pkg=pkg,
            env=env,
            stdio="inherit",
            script_shell=script_shell,
            banner=banner,
            signals=signals,
        )
        if result is not None:
            results.append(result)
    return results


async def run_prepare(
    path: str,
    manifest: Mapping[str, JsonValue],
    *,
    env: Mapping[str, str],
    resolved: str,
    integrity: str | None = None,
    ignore_scripts: bool = False,
    foreground_scripts: bool = False,
    script_shell: str | None = None,
    banner: Banner | None = None,
) -> ScriptResult | None:
    """pacote's DirFetcher: a directory (or prepared git clone) runs only `prepare` before packing."""
    raw = manifest.get("scripts")
    if ignore_scripts or not isinstance(raw, dict) or not raw.get("prepare"):
        return None
    from snpm.lifecycle.run_script import run_script

    return await run_script(
        event="prepare",
        path=path,
        pkg=manifest,
        env=env,
        stdio="inherit" if foreground_scripts else "pipe",
        script_shell=script_shell,
        extra_env={
            "npm_package_resolved": resolved,
            "npm_package_integrity": integrity,
            "npm_package_json": os.path.join(resolved, "package.json"),
        },
        banner=banner,
    )
