"""`npm run` and the commands that are just a script (test, start, stop, restart): npm's
lib/commands/run.js and lib/lifecycle-cmd.js as operations.

`run_named_script` runs `pre<event>`, `<event>` (with the `--` arguments) and `post<event>` in the
foreground; a missing script is npm's `Missing script: "x"` error with its "Did you mean" lines
(the suggestion text comes from the caller, which owns npm's command list). `restart` and `env`
have built-in defaults, and `start` runs `node server.js` when there is one. `list_scripts` gives
what `npm run` with no arguments shows. `select_workspaces` is npm's get-workspaces: which of the
workspaces (found by the tree engine's map-workspaces) `-w`/`-ws` select.

Nothing here prints: banners go to the caller's hook, the listing is returned as data. The
workspace machinery (the tree engine's map-workspaces, minimatch) is imported by `select_workspaces`
only: a plain `snpm run x` never loads the tree engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.lifecycle.environment import npm_environment
from snpm.lifecycle.run_script import Banner, SignalForwarder, is_server_package, run_script
from snpm.manifest import normalize, read_package_json

if TYPE_CHECKING:
    from snpm.manifest.ignore_glob import Glob

__all__ = [
    "LIFECYCLE_SCRIPTS",
    "ScriptListing",
    "ScriptsSettings",
    "list_scripts",
    "read_normalized",
    "run_named_script",
    "script_process_env",
    "scripts_settings",
    "select_workspaces",
]

# run.js #list `cmdList`: the scripts listed under "Lifecycle scripts included in …"
LIFECYCLE_SCRIPTS: Final = (
    "prepare", "prepublishOnly", "prepack", "postpack", "dependencies",
    "preinstall", "install", "postinstall", "prepublish", "publish", "postpublish",
    "prerestart", "restart", "postrestart", "prestart", "start", "poststart",
    "prestop", "stop", "poststop", "pretest", "test", "posttest",
    "preuninstall", "uninstall", "postuninstall", "preversion", "version", "postversion",
)  # fmt: skip

Suggest = Callable[[str, Mapping[str, JsonValue], Mapping[str, JsonValue]], str]


@dataclass(frozen=True, slots=True)
class ScriptsSettings:
    """The settings run.js reads."""

    local_prefix: str
    if_present: bool = False
    ignore_scripts: bool = False
    script_shell: str | None = None
    node_gyp: str | None = None
    include_workspace_root: bool = False
    workspace_filters: tuple[str, ...] = ()


def scripts_settings(config: Config) -> ScriptsSettings:
    get = config.get
    shell = get("script-shell")
    gyp = get("node-gyp")
    filters = get("workspace")
    return ScriptsSettings(
        local_prefix=str(config.local_prefix),
        if_present=bool(get("if-present")),
        ignore_scripts=bool(get("ignore-scripts")),
        script_shell=shell if isinstance(shell, str) and shell else None,
        node_gyp=gyp if isinstance(gyp, str) and gyp else None,
        include_workspace_root=bool(get("include-workspace-root")),
        workspace_filters=tuple(str(f) for f in filters) if isinstance(filters, list) else (),
    )


def script_process_env(
    config: Config, base: Mapping[str, str], *, command: str, color: bool
) -> dict[str, str]:
    """npm's process environment while a command runs (what every script inherits)."""
    editor = config.get("editor")
    return npm_environment(
        base,
        config.export_env(),
        command=command,
        color=color,
        editor=editor if isinstance(editor, str) else None,
    )


def read_normalized(path: str) -> JsonObject:
    """`PackageJson.normalize(path)`: package.json read with npm's default normalisation steps."""
    return normalize(read_package_json(path).content, path=path)


# ── listing ────────────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class ScriptListing:
    """What `npm run` shows for one package: lifecycle scripts, then the others, in file order."""

    title: str  # `_id`, else the name
    scripts: JsonObject
    entries: tuple[tuple[str, str], ...]
    lifecycle: tuple[tuple[str, str], ...]
    other: tuple[tuple[str, str], ...]


def list_scripts(path: str) -> ScriptListing:
    pkg = read_normalized(path)
    raw = pkg.get("scripts")
    scripts: JsonObject = dict(raw) if isinstance(raw, dict) else {}
    entries = [(k, v if isinstance(v, str) else str(v)) for k, v in scripts.items()]
    title = pkg.get("_id") or pkg.get("name")
    return ScriptListing(
        title="" if title is None else str(title),
        scripts=scripts,
        entries=tuple(entries),
        lifecycle=tuple(e for e in entries if e[0] in LIFECYCLE_SCRIPTS),
        other=tuple(e for e in entries if e[0] not in LIFECYCLE_SCRIPTS),
    )


# ── running ────────────────────────────────────────────────────────────────────────────────────────
async def run_named_script(
    args: Sequence[str],
    *,
    path: str,
    settings: ScriptsSettings,
    env: Mapping[str, str],
    suggest: Suggest,
    banner: Banner | None = None,
    pkg: Mapping[str, JsonValue] | None = None,
    workspace: str | None = None,
) -> None:
    """`npm run <event> [-- args]` in the package at `path` (run.js #run).

    Raises SnpmError for a missing script (unless --if-present) and ScriptError for a failing one.
    """
    event, rest = args[0], list(args[1:])
    manifest: JsonObject = dict(pkg) if pkg is not None else read_normalized(path)
    raw = manifest.get("scripts")
    scripts: JsonObject = dict(raw) if isinstance(raw, dict) else {}
    if event == "restart" and not scripts.get("restart"):
        scripts["restart"] = "npm stop --if-present && npm start"
    elif event == "env" and not scripts.get("env"):
        scripts["env"] = "env"
    manifest["scripts"] = scripts
    if event not in scripts and not (event == "start" and is_server_package(path)):
        if settings.if_present:
            return
        bins = manifest.get("bin")
        suggestions = suggest(event, scripts, bins if isinstance(bins, dict) else {})
        pkgid = manifest.get("_id") or manifest.get("name")
        ws_arg = f" --workspace={pkgid}" if workspace and path != settings.local_prefix else ""
        raise SnpmError(
            "\n".join(
                [
                    f'Missing script: "{event}"{suggestions}',
                    "",
                    "To see a list of scripts, run:",
                    f"  npm run{ws_arg}",
                ]
            )
        )
    # positional args go to the main event only, not to pre/post
    events: list[tuple[str, list[str]]] = [(event, rest)]
    if not settings.ignore_scripts:
        if scripts.get(f"pre{event}"):
            events.insert(0, (f"pre{event}", []))
        if scripts.get(f"post{event}"):
            events.append((f"post{event}", []))
    signals = SignalForwarder()
    for name, event_args in events:
        await run_script(
            event=name,
            path=path,
            pkg=manifest,
            env=env,
            args=event_args,
            stdio="inherit",
            script_shell=settings.script_shell,
            node_gyp=settings.node_gyp,
            banner=banner,
            signals=signals,
        )


# ── workspaces ─────────────────────────────────────────────────────────────────────────────────────
def _glob(pattern: str) -> Glob:
    from snpm.manifest.ignore_glob import Glob

    # minimatch's defaults: case-sensitive, no matchBase
    return Glob(pattern, nocase=False, match_base=False)


def select_workspaces(settings: ScriptsSettings, cwd: str) -> dict[str, str]:
    """base-cmd setWorkspaces + get-workspaces.js: the workspaces -w/-ws selected, name → folder."""
    from snpm.tree.workspaces_map import map_workspaces

    path = settings.local_prefix
    # a cwd outside the project: filters are relative to the project instead
    relative_from = path if os.path.relpath(cwd, path).startswith("..") else cwd
    pkg = read_normalized(path)
    workspaces = map_workspaces(path, pkg)
    selected: dict[str, str] = {}
    if settings.include_workspace_root:
        selected[str(pkg.get("name"))] = path
    filters = settings.workspace_filters
    if not filters:
        selected.update(workspaces)
    for arg in filters:
        for name, folder in workspaces.items():
            rel = os.path.relpath(folder, relative_from).replace(os.sep, "/")
            if arg.startswith("./"):
                rel = f"./{rel}"
            rel_filter = os.path.relpath(os.path.abspath(os.path.join(cwd, arg)), path).replace(os.sep, "/")
            if (
                arg == name
                or os.path.abspath(os.path.join(relative_from, arg)) == folder
                or _glob(f"{rel_filter}/*").match(rel)
                or _glob(f"{arg.replace(os.sep, '/')}/*").match(rel)
            ):
                selected[name] = folder
    if not selected:
        detail = ":\n " + "".join(f" --workspace={f}" for f in filters) if filters else "!"
        raise SnpmError(f"No workspaces found{detail}")
    return selected
