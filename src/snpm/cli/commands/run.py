"""`snpm run` (aliases run-script, rum, urn): npm's lib/commands/run.js.

`run <event> [-- args]` runs the script with its pre/post scripts in the foreground; `run` alone
lists the scripts (`--json`: the scripts object, `-p`: `name:command` lines, silent: nothing).
A failing script makes snpm exit with the script's own status and print no error lines (npm's
isShellout); under -w/-ws each workspace's failure is reported as it happens, the next workspace
still runs, and the exit status is the last failure's.

The banner before each script goes to stdout, to stderr under --json, nowhere when silent. A
script killed by a signal takes snpm down with the same signal, as npm does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal as signal_mod
import sys
from collections.abc import Mapping
from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.command_table import did_you_mean
from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.lifecycle.run_script import ScriptError
from snpm.ops import scripts as scripts_ops

# chalk's SGR pairs for the listing (npm.chalk: reset, bold, cyan, dim, blue)
_RESET, _BOLD, _CYAN, _DIM, _BLUE = (
    ("\x1b[0m", "\x1b[0m"),
    ("\x1b[1m", "\x1b[22m"),
    ("\x1b[36m", "\x1b[39m"),
    ("\x1b[2m", "\x1b[22m"),
    ("\x1b[34m", "\x1b[39m"),
)


class WorkspaceScriptsError(SnpmError):
    """Some workspaces' scripts failed and each was reported already: exit with `exit_code`, quietly."""

    silent = True


class Run(Command):
    name = "run"
    summary = "Run arbitrary package scripts"
    usage: ClassVar[tuple[str, ...]] = ("<command> [-- <args>]",)
    params: ClassVar[tuple[str, ...]] = (
        "workspace",
        "workspaces",
        "include-workspace-root",
        "if-present",
        "ignore-scripts",
        "foreground-scripts",
        "script-shell",
    )
    workspaces = True
    ignore_implicit_workspace = False

    # ── entry points ──
    async def run(self, args: list[str]) -> None:
        settings = scripts_ops.scripts_settings(self.ctx.config)
        if args:
            await self._run_event(args, settings.local_prefix, settings)
        else:
            self._list(settings.local_prefix)

    async def run_workspaces(self, args: list[str]) -> None:
        settings = scripts_ops.scripts_settings(self.ctx.config)
        selected = list(scripts_ops.select_workspaces(settings, str(self.ctx.cwd)).items())
        exit_code = 0
        for index, (workspace, path) in enumerate(selected):
            last = index == len(selected) - 1
            if not args:
                if self._list(path, workspace) and not last:
                    self.ctx.out.standard()
                continue
            pkg = scripts_ops.read_normalized(path)
            try:
                await self._run_event(args, path, settings, pkg=pkg, workspace=workspace)
            except SnpmError as err:
                exit_code = self._report_workspace_failure(err, args[0], pkg, path)
                if not last:
                    self.ctx.out.error("")
        if exit_code:
            raise WorkspaceScriptsError("", exit_code=exit_code)

    # ── running ──
    async def _run_event(
        self,
        args: list[str],
        path: str,
        settings: scripts_ops.ScriptsSettings,
        *,
        pkg: Mapping[str, JsonValue] | None = None,
        workspace: str | None = None,
    ) -> None:
        out = self.ctx.out
        env = scripts_ops.script_process_env(
            self.ctx.config,
            self.ctx.env,
            command=self.ctx.command or self.name,
            color=out.settings.color_stdout,
        )
        try:
            await scripts_ops.run_named_script(
                args,
                path=path,
                settings=settings,
                env=env,
                suggest=_suggest,
                banner=self._banner,
                pkg=pkg,
                workspace=workspace,
            )
        except ScriptError as err:
            if err.signal:
                await _die_like(err.signal)
            raise

    def _banner(self, text: str) -> None:
        out = self.ctx.out
        if out.settings.loglevel == "silent":
            return
        if out.settings.json:
            out.error(text)
        else:
            out.standard(text)
        for stream in (out.stdout, out.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()

    def _report_workspace_failure(
        self, err: SnpmError, event: str, pkg: Mapping[str, JsonValue], path: str
    ) -> int:
        """run.js execWorkspaces: the error as npm renders it with no command, plus where it happened."""
        from snpm.cli.error_render import render  # only a failing workspace script needs it

        rendered = render(err, command="")
        label = pkg.get("_id") or pkg.get("name")
        out = self.ctx.out
        for line in rendered.standard:
            out.standard(line)
        for title, *parts in rendered.verbose:
            out.log.verbose(title, *parts)
        lines = [
            ("", f"Lifecycle script `{event}` failed with error:"),
            *rendered.error,
            ("workspace", "" if label is None else str(label)),
            ("location", path),
            *rendered.summary,
            *rendered.detail,
        ]
        for title, *parts in lines:
            out.log.error(title, *parts)
        return rendered.exit_code

    # ── listing ──
    def _list(self, path: str, workspace: str | None = None) -> bool:
        """Show the scripts of one package; True when something was printed (for separators)."""
        listing = scripts_ops.list_scripts(path)
        out = self.ctx.out
        if out.settings.loglevel == "silent":
            return False
        if self.ctx.config.get("json"):
            out.json({workspace: listing.scripts} if workspace else listing.scripts)
            return False
        if not listing.entries:
            return False
        if self.ctx.config.get("parseable"):
            rows = [":".join([workspace, *e] if workspace else e) for e in listing.entries]
            out.standard("\n".join(rows).strip())
            return False
        color = out.settings.color_stdout

        def paint(pair: tuple[str, str], text: str) -> str:
            return f"{pair[0]}{text}{pair[1]}" if color else text

        pkg_id = f"in {paint(_CYAN, listing.title)}"
        if listing.lifecycle:
            out.standard(f"{paint(_RESET, paint(_BOLD, 'Lifecycle scripts'))} included {pkg_id}:")
            for key, value in listing.lifecycle:
                out.standard(f"  {key}")
                out.standard(f"    {paint(_DIM, value)}")
        if listing.other:
            via = f"via `{paint(_BLUE, 'npm run')}`:"
            if listing.lifecycle:
                out.standard(f"available {via}")
            else:
                out.standard(f"{paint(_RESET, paint(_BOLD, 'Scripts'))} available {pkg_id} {via}")
            for key, value in listing.other:
                out.standard(f"  {key}")
                out.standard(f"    {paint(_DIM, value)}")
        return True


def _suggest(event: str, scripts: Mapping[str, JsonValue], bins: Mapping[str, JsonValue]) -> str:
    return did_you_mean(event, {k: str(v) for k, v in scripts.items()}, {k: str(v) for k, v in bins.items()})


async def _die_like(signal_name: str) -> None:
    """run-script-pkg.js: a foreground script killed by a signal sends it to npm itself."""
    try:
        sig = signal_mod.Signals[signal_name]
    except KeyError:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(ValueError, OSError):
        signal_mod.signal(sig, signal_mod.SIG_DFL)
        os.kill(os.getpid(), sig)
    # still alive (the signal is blocked or ignored): fail with the script's error after a moment
    await asyncio.sleep(0.5)
