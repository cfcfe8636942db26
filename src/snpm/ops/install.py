"""The install family, one function per npm command (lib/commands/{install,ci,uninstall,update,
dedupe,prune,rebuild,install-test,install-ci-test,shrinkwrap}.js).

Each function takes an `InstallContext` (config, environment, logging) and returns what the front
end renders: a ReifyOutcome for the commands that reify (summarised by `snpm.ops.reify_output`),
notices for shrinkwrap. npm's rules that live in the commands rather than in arborist are here:

- install: global mode (-g) works on `{prefix}/lib` (`snpm.ops.global_mode`), where no arguments
  mean `.`; locally, without package arguments the root's install scripts (preinstall …
  postprepare) run after the reify, unless --ignore-scripts;
- ci: ECIGLOBAL with -g; EUSAGE without a lockfile, or when the lockfile and package.json are out
  of sync (one `Missing:`/`Invalid:` line per problem); node_modules is replaced entirely; neither
  package.json nor the lockfile is written;
- uninstall: a name is required (`Must provide a package name to remove`), except with -g;
- update: save defaults to false (the lockfile is still written); --depth is ignored with npm's
  warning; names must be bare names (EUPDATEARGS);
- dedupe: EDEDUPEGLOBAL with -g; every name found more than once is updated, preferring dedupe;
- prune: the ideal tree without its extraneous nodes;
- rebuild: bins and install scripts for every installed package, or those matching the specs;
- shrinkwrap: ESHRINKWRAPGLOBAL with -g; package-lock.json becomes npm-shrinkwrap.json.

What only one command needs (the script runner, the rebuild's builder, the shrinkwrap writer, …) is
imported inside that command's function: `snpm install` with nothing to do is mostly start-up time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from snpm.errors import SnpmError, UsageError
from snpm.ops.audit import with_quick_audit
from snpm.ops.global_mode import install_args, uninstall_names
from snpm.ops.reify_session import ReifyIO, ReifyOutcome, ReifyRequest, ReifySession
from snpm.tree.lockfile_bridge import load_tree

if TYPE_CHECKING:
    from snpm.config import Config
    from snpm.json_types import JsonValue
    from snpm.lifecycle import Policy
    from snpm.ops.scripts import Suggest
    from snpm.tree.node import Node

__all__ = [
    "InstallContext",
    "RebuildOutcome",
    "audit_unchanged",
    "ci",
    "dedupe",
    "install",
    "prune",
    "rebuild",
    "run_test",
    "shrinkwrap",
    "uninstall",
    "update",
    "validate_lockfile",
]

_CI_NO_LOCK = (
    "The `npm ci` command can only install with an existing package-lock.json or\n"
    "npm-shrinkwrap.json with lockfileVersion >= 1. Run an install with npm@5 or\n"
    "later to generate a package-lock.json file, then try again."
)
_CI_OUT_OF_SYNC = (
    "`npm ci` can only install packages when your package.json and package-lock.json or "
    "npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before "
    "continuing.\n\n"
)


class InstallContext(msgspec.Struct, frozen=True):
    """What an install-family operation needs from its front end."""

    config: Config
    env: Mapping[str, str]
    io: ReifyIO
    command: str
    workspaces: tuple[str, ...] = ()
    started: float = msgspec.field(default_factory=time.monotonic)

    def session(self) -> ReifySession:
        return ReifySession(
            self.config,
            command=self.command,
            env=self.env,
            io=self.io,
            workspaces=self.workspaces,
            started=self.started,
        )


def _no_global(config: Config, message: str, code: str) -> None:
    if config.is_global:
        raise SnpmError(message, code=code)


def _global_unsupported(config: Config) -> None:
    """arborist's buildIdealTree refuses a global tree with nothing to add, remove or update
    (`npm prune -g`), before it touches anything."""
    if config.is_global:
        raise SnpmError("global requires add, rm, or update option")


async def install(ctx: InstallContext, specs: Sequence[str]) -> ReifyOutcome:
    """`npm install [<spec>...]`."""
    config = ctx.config
    prefix = str(config.local_prefix)
    async with ctx.session() as session:
        if config.is_global:
            from snpm.fetch.options import fetch_options
            from snpm.ops.global_mode import check_npm_self_install

            await check_npm_self_install(
                session.source,
                specs,
                node_version=fetch_options(config).node_version,
                force=bool(config.get("force")),
                log=ctx.io.log,
            )
        args = install_args(config, specs)
        outcome = await with_quick_audit(
            session, await session.reify(ReifyRequest(add=args, strict_allow_scripts=True))
        )
        # npm runs them even with --dry-run
        if not args and not config.is_global and not config.get("ignore-scripts"):
            await _root_install_scripts(ctx, session.process_env, prefix)
    return outcome


async def audit_unchanged(ctx: InstallContext) -> ReifyOutcome:
    """The audit of an install the stamp found nothing to do for (snpm.ops.noop_install): the
    lockfile's tree, which a no-op leaves as it is, audited as the full install audits its result.
    The session is not entered: its policy warnings were the stamp's to show again."""
    session = ctx.session()
    try:
        tree = load_tree(session.root)
        outcome = ReifyOutcome(
            plan=None, tree=tree, ideal=None, dry_run=False, package_lock_only=False, started=ctx.started
        )
        return await with_quick_audit(session, outcome)
    finally:
        await session.close()


async def _root_install_scripts(ctx: InstallContext, env: Mapping[str, str], where: str) -> None:
    from snpm.lifecycle import run_root_install_scripts

    shell = ctx.config.get("script-shell")
    await run_root_install_scripts(
        where,
        env=env,
        script_shell=shell if isinstance(shell, str) and shell else None,
        banner=ctx.io.banner,
    )


def validate_lockfile(virtual: Mapping[str, Node], ideal: Mapping[str, Node]) -> list[str]:
    """npm's validate-lockfile.js: every ideal node must be in the lockfile, at the same version.

    One npm bug is not copied: an optional dependency nothing could resolve (no version of it
    matches, typically a binding for another platform) stays in npm's ideal tree as a failed
    placeholder, so npm's `ci` refuses the very lockfile npm wrote ("Missing: name@ from lock
    file"). Such a node is never installed; it is not asked of the lockfile here."""
    errors: list[str] = []
    for key, entry in ideal.items():
        lock = virtual.get(key)
        if lock is None and entry.inert and entry.errors:
            continue
        if lock is None:
            errors.append(f"Missing: {entry.name}@{entry.version} from lock file")
            continue
        if entry.version != lock.version:
            errors.append(
                f"Invalid: lock file's {lock.name}@{lock.version} does not satisfy {entry.name}@{entry.version}"
            )
    return errors


async def ci(ctx: InstallContext) -> ReifyOutcome:
    """`npm ci`: a clean install from the lockfile, which must agree with package.json."""
    config = ctx.config
    _no_global(config, "`npm ci` does not work for global packages", "ECIGLOBAL")
    root = str(config.local_prefix)
    try:
        virtual = load_tree(root)
    except SnpmError as err:
        ctx.io.log("verbose", "loadVirtual", str(err))
        raise UsageError(_CI_NO_LOCK) from None
    virtual_inventory = dict(virtual.inventory.items())
    async with ctx.session() as session:
        options = session.ideal_options(ReifyRequest(save=False, clean_install=True))
        ideal = await session.build_ideal(options)
        # npm ci checks the policy before validating the lockfile
        from snpm.ops.allow_scripts_preflight import strict_allow_scripts_preflight

        strict_allow_scripts_preflight(config, ideal.root.inventory.values(), session.allow_scripts_policy())
        errors = validate_lockfile(virtual_inventory, dict(ideal.root.inventory.items()))
        if errors:
            raise UsageError(_CI_OUT_OF_SYNC + "\n".join(errors))
        request = ReifyRequest(save=False, clean_install=not options.dry_run)
        outcome = await with_quick_audit(session, await session.reify(request, ideal=ideal))
        if not config.get("ignore-scripts"):
            await _root_install_scripts(ctx, session.process_env, root)
    return outcome


async def uninstall(ctx: InstallContext, names: Sequence[str]) -> ReifyOutcome:
    """`npm uninstall <name>...`."""
    rm = uninstall_names(ctx.config, names)
    async with ctx.session() as session:
        return await with_quick_audit(session, await session.reify(ReifyRequest(rm=rm)))


async def update(ctx: InstallContext, names: Sequence[str]) -> ReifyOutcome:
    """`npm update [<name>...]`: package.json is saved only with an explicit --save."""
    config = ctx.config
    save = False if config.is_default("save") else bool(config.get("save"))
    if config.get("depth"):
        ctx.io.log(
            "warn",
            "update",
            "The --depth option no longer has any effect. See RFC0019.\n"
            "https://github.com/npm/rfcs/blob/latest/implemented/0019-remove-update-depth-option.md",
        )
    request = ReifyRequest(
        update_all=not names, update_names=tuple(names), save=save, strict_allow_scripts=True
    )
    async with ctx.session() as session:
        return await with_quick_audit(session, await session.reify(request))


async def dedupe(ctx: InstallContext) -> ReifyOutcome:
    """`npm dedupe`: update every duplicated name, preferring to dedupe."""
    config = ctx.config
    _no_global(config, "`npm dedupe` does not work in global mode.", "EDEDUPEGLOBAL")
    from snpm.tree.ideal.build import dedupe_names

    async with ctx.session() as session:
        names = await dedupe_names(session.root)
        request = ReifyRequest(update_names=names, save=False, prefer_dedupe=True)
        return await with_quick_audit(session, await session.reify(request))


async def prune(ctx: InstallContext) -> ReifyOutcome:
    """`npm prune`: remove what the project does not need (and what --omit leaves out)."""
    _global_unsupported(ctx.config)
    async with ctx.session() as session:
        return await with_quick_audit(session, await session.reify(ReifyRequest(prune_extraneous=True)))


async def run_test(ctx: InstallContext, suggest: Suggest) -> None:
    """`npm test` after install-test / install-ci-test."""
    from snpm.ops import scripts as scripts_ops

    settings = scripts_ops.scripts_settings(ctx.config)
    env = scripts_ops.script_process_env(ctx.config, ctx.env, command="test", color=ctx.io.color)
    await scripts_ops.run_named_script(
        ["test"],
        path=settings.local_prefix,
        settings=settings,
        env=env,
        suggest=suggest,
        banner=ctx.io.banner,
    )


# ── rebuild ──


def _rebuild_specs(args: Sequence[str], where: str) -> list[tuple[str | None, str, str | None]]:
    """(name, rawSpec or '', directory) per argument; only versions, ranges and folders."""
    from snpm.spec import DirectorySpec, RegistrySpec, parse_spec

    specs: list[tuple[str | None, str, str | None]] = []
    for arg in args:
        spec = parse_spec(arg, where)
        if spec.raw_spec == "*":
            specs.append((spec.name, "*", None))
            continue
        if isinstance(spec, DirectorySpec):
            specs.append((None, "", spec.fetch_spec))
            continue
        if not isinstance(spec, RegistrySpec) or spec.type not in ("range", "version"):
            raise SnpmError("`npm rebuild` only supports SemVer version/range specifiers")
        specs.append((spec.name, spec.raw_spec, None))
    return specs


def _selected(node: Node, specs: Sequence[tuple[str | None, str, str | None]]) -> bool:
    from snpm import semver

    if node.in_bundle:
        return False
    for name, raw, folder in specs:
        if folder is not None:
            if node.path == folder:
                return True
            continue
        if name != node.name:
            continue
        if raw in ("", "*"):
            return True
        version: JsonValue = node.package.get("version")
        try:
            if isinstance(version, str) and semver.satisfies(version, raw):
                return True
        except (TypeError, ValueError):
            continue
    return False


class RebuildOutcome(msgspec.Struct, frozen=True):
    """The tree that was rebuilt and the allowScripts policy in force (for npm's advisory)."""

    tree: Node
    allow_scripts: Policy | None


async def rebuild(ctx: InstallContext, args: Sequence[str]) -> RebuildOutcome:
    """`npm rebuild [<spec>...]`: bins and install scripts again, for installed packages."""
    from snpm.lifecycle import Builder, BuildHooks, BuildOptions, read_installed_package
    from snpm.ops.allow_scripts_preflight import strict_allow_scripts_preflight
    from snpm.ops.reify_bridge import build_node
    from snpm.reify.bin_links import BinLinker

    config = ctx.config
    async with ctx.session() as session:
        tree = await session.load_actual()
        if args:
            specs = _rebuild_specs(args, session.root)
            nodes = [n for n in tree.inventory.values() if _selected(n, specs)]
        else:
            nodes = [n for n in tree.inventory.values() if not n.is_project_root]
        # the whole installed tree, whatever was selected (rebuild.js)
        strict_allow_scripts_preflight(config, tree.inventory.values(), session.allow_scripts_policy())
        flat = config.flat
        force = bool(flat.get("force"))
        linker = BinLinker()
        shell = flat.get("scriptShell")
        builder = Builder(
            BuildOptions(
                ignore_scripts=bool(flat.get("ignoreScripts")),
                bin_links=flat.get("binLinks") is not False,
                foreground_scripts=bool(flat.get("foregroundScripts")),
                script_shell=shell if isinstance(shell, str) and shell else None,
                allow_scripts=session.allow_scripts_policy(),
                dangerously_allow_all_scripts=bool(flat.get("dangerouslyAllowAllScripts")),
                force=force,
                policy_where=session.root,
            ),
            BuildHooks(
                env=session.process_env,
                link_bins=lambda b: linker.link(
                    b.package, b.path, top=b.is_top or b.global_top, global_=b.global_top, force=force
                ),
                read_package=read_installed_package,
                banner=ctx.io.banner,
                log=ctx.io.log,
            ),
        )
        await builder.rebuild([build_node(n) for n in nodes])
        return RebuildOutcome(tree, session.allow_scripts_policy())


# ── shrinkwrap ──


async def shrinkwrap(ctx: InstallContext, notice: Callable[[str], None]) -> None:
    """`npm shrinkwrap`: write the lockfile as npm-shrinkwrap.json (and drop package-lock.json)."""
    from snpm.lockfile import format_lockfile
    from snpm.reify.save import write_text_atomic
    from snpm.tree.load_actual import load_actual
    from snpm.tree.lockfile_bridge import lockfile_from_tree
    from snpm.tree.meta import TreeMeta

    config = ctx.config
    _no_global(config, "`npm shrinkwrap` does not work for global packages", "ESHRINKWRAPGLOBAL")
    root = str(config.local_prefix)
    sw = Path(root) / "npm-shrinkwrap.json"
    try:
        tree = load_tree(root)
    except SnpmError:
        strategy = str(config.flat.get("installStrategy") or "hoisted")
        tree = await load_actual(root, ignore_missing=True, install_strategy=strategy)
    meta = tree.meta
    if meta is None:
        meta = TreeMeta(root, hidden_lockfile=True)
        meta.reset()
        tree.meta = meta
    new_file = meta.hidden_lockfile or not meta.loaded_from_disk
    old_filename = meta.filename
    not_sw = not new_file and Path(old_filename or "").name != "npm-shrinkwrap.json"
    lockfile_version = config.flat.get("lockfileVersion")
    if meta.hidden_lockfile:
        meta.lockfile_version = (
            lockfile_version if isinstance(lockfile_version, int) else meta.original_lockfile_version
        )
    version = meta.lockfile_version or 3
    lockfile = lockfile_from_tree(tree, meta, lockfile_version=version)
    text = format_lockfile(
        lockfile,
        lockfile_version=version,
        indent=meta.indent or "  ",
        newline=meta.newline or "\n",
        compact=config.flat.get("formatPackageLock") is False,
        project_path=meta.path,
    )
    write_text_atomic(sw, text)
    updated = version if meta.original_lockfile_version != version else None
    if new_file:
        notice("created a lockfile as npm-shrinkwrap.json" + (f" with version {updated}" if updated else ""))
    elif not_sw:
        if old_filename:
            Path(old_filename).unlink(missing_ok=True)
        notice(
            "package-lock.json has been renamed to npm-shrinkwrap.json"
            + (f" and updated to version {updated}" if updated else "")
        )
    elif updated:
        notice(f"npm-shrinkwrap.json updated to version {updated}")
    else:
        notice("npm-shrinkwrap.json up to date")
