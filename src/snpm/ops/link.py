"""`npm link` (lib/commands/link.js): symlink a package folder into the global space, or a global
package into the project.

- `npm link` (in a package folder, or with -w for each chosen workspace): a global reify adding
  `file:<folder>`. `{prefix}/lib/node_modules/<name>` becomes a relative symlink to the folder (the
  name is the package.json's, never the folder's), its bins go to `{prefix}/bin` and its man
  pages to `{prefix}/share/man`. The folder's own dependencies are not installed: a link whose
  target is outside the tree being built is left to that package.
- `npm link <spec|folder>...` (in a project): the global space is loaded with only the named
  packages; whatever is not there yet is installed globally first (a registry spec from the
  registry, a folder as a link), then a local reify adds `file:{prefix}/lib/node_modules/<name>`
  for each, which the tree builder resolves to the realpath (a linked folder's own path). The
  local reify runs with prune=false, so earlier unsaved links stay.
- Saving: only an explicit --save (or -D/-O/-P/--save-peer) writes package.json and
  package-lock.json; otherwise only node_modules/.package-lock.json records the links.
- `npm link -g` fails with ELINKGLOBAL; install-links is always false for link.
- A folder whose package.json has no name cannot be linked: npm's global reify gets an undefined
  explicit request and dies with the TypeError of arborist's [diffTrees], printed as it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.manifest.files import read_package_json
from snpm.ops.audit import with_quick_audit
from snpm.ops.global_mode import global_dir, global_top, require_global_top
from snpm.ops.install import InstallContext
from snpm.ops.reify_session import ReifyOutcome, ReifyRequest, ReifySession
from snpm.spec import DirectorySpec, parse_spec
from snpm.tree.load_actual import load_actual
from snpm.tree.node import Node

__all__ = ["LINK_GLOBAL_MESSAGE", "NAMELESS_MESSAGE", "link", "link_save"]

LINK_GLOBAL_MESSAGE = "link should never be --global.\nPlease re-run this command with --local"
NAMELESS_MESSAGE = "Cannot destructure property 'name' of '.for' as it is undefined."


def link_save(config: Config) -> bool:
    """npm link saves only when asked: an explicit --save, or one of the save-type flags."""
    get = config.get
    return bool(
        (config.find("save") != "default" and get("save"))
        or get("save-optional")
        or get("save-peer")
        or get("save-dev")
        or get("save-prod")
    )


def _global_session(ctx: InstallContext) -> ReifySession:
    return ReifySession(
        ctx.config,
        command=ctx.command,
        env=ctx.env,
        io=ctx.io,
        started=ctx.started,
        global_=True,
    )


async def link(
    ctx: InstallContext, args: Sequence[str], *, workspace_paths: Sequence[str] = ()
) -> ReifyOutcome:
    """`npm link [<spec>...]`; `workspace_paths` are the folders chosen with -w/-ws."""
    config = ctx.config
    if config.is_global:
        raise SnpmError(LINK_GLOBAL_MESSAGE, code="ELINKGLOBAL")
    # install-links is implicitly false when running `npm link`
    config.set("install-links", False)
    prefix = str(config.local_prefix)
    wanted = [a for a in args if os.path.abspath(a) != prefix]
    if wanted:
        return await _link_install(ctx, wanted)
    return await _link_package(ctx, workspace_paths or [prefix])


def _require_names(folders: Iterable[str]) -> None:
    """A nameless folder dies in npm's global reify (module docstring); a missing or unreadable
    package.json is left to the reify, which reports it as npm does."""
    for folder in folders:
        try:
            content = read_package_json(folder).content
        except SnpmError:
            continue
        if content.get("name") is None:
            raise SnpmError(NAMELESS_MESSAGE)


async def _link_package(ctx: InstallContext, paths: Sequence[str]) -> ReifyOutcome:
    """linkPkg: the folders into the global space."""
    _require_names(paths)
    async with _global_session(ctx) as session:
        outcome = await session.reify(ReifyRequest(add=tuple(f"file:{path}" for path in paths)))
        return await with_quick_audit(session, outcome)


def _missing(globals_: Node, args: Sequence[str], cwd: str) -> list[str]:
    """missingArgsFromTree: the arguments no global package answers to. A folder has no name
    before it is read, so it is always (re)linked; npm never compares versions here."""
    children = globals_.target.children
    missing: list[str] = []
    for arg in args:
        name = parse_spec(arg, cwd).name
        if name is None or name not in children:
            missing.append(arg)
    return missing


async def _link_install(ctx: InstallContext, args: Sequence[str]) -> ReifyOutcome:
    """linkInstall: the named global packages (installed globally first if missing) into the
    project, as symlinks."""
    config = ctx.config
    cwd = os.getcwd()
    top = global_top(config)
    require_global_top(top)
    asked = {parse_spec(a, cwd).name for a in args}
    globals_ = await load_actual(
        top,
        global_=True,
        child_filter=lambda node, kid: not node.is_project_root or kid in asked,
    )
    missing = _missing(globals_, args, cwd)
    if missing:
        folders = (parse_spec(arg, cwd) for arg in missing)
        _require_names(spec.fetch_spec for spec in folders if isinstance(spec, DirectorySpec))
        async with _global_session(ctx) as session:
            await session.reify(ReifyRequest(add=tuple(missing), strict_allow_scripts=True))
    names: list[str] = []
    for arg in args:
        spec = parse_spec(arg, cwd)
        if isinstance(spec, DirectorySpec):
            name = read_package_json(spec.fetch_spec).content.get("name")
            names.append(name if isinstance(name, str) else "")
        else:
            names.append(spec.name or "")
    folder = global_dir(config)
    add = tuple(f"file:{os.path.join(folder, name)}" for name in names)
    async with ctx.session() as session:
        outcome = await session.reify(ReifyRequest(add=add, save=link_save(config), prune=False))
        return await with_quick_audit(session, outcome)
