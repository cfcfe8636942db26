"""Running one package script: @npmcli/run-script 10 (run-script-pkg.js, signal-manager.js) and the
shell half of @npmcli/promise-spawn 9.

A script runs as `<shell> -c '<script> <args…>'`: the shell is `script-shell` or `sh` (looked up on
the script's PATH, as node's spawn does), each argument is quoted for sh the way promise-spawn's
escape.sh quotes it, the cwd is the package folder and the environment is `script_environment`.
With stdio "inherit" the child shares snpm's terminal: the banner (`\\n> id event\\n> cmd\\n`) is
handed to a hook first (the CLI decides stdout, stderr or nothing), and SIGINT/SIGTERM received by
snpm are forwarded to the child. With "pipe" the output is captured (and trimmed, stdioString) and
stdin is closed at once.

A non-zero exit or a signal raises ScriptError, npm's `Error: command failed` decorated with
code, signal, cmd, args, stdout, stderr, event, script, pkgid and path. When the shell cannot be
started the error is node's spawn error (`spawn sh ENOENT`, errno -2, path = the package folder).

Defaults when the manifest has no script for the event: `install` becomes `node-gyp rebuild` when
the package has a `binding.gyp` (no install/preinstall script, `gypfile` not false), and `start`
becomes `node server.js` when `server.js` exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno as errno_mod
import os
import re
import signal as signal_mod
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final, Literal

from snpm.ecmascript.strings import trim as js_trim
from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.lifecycle.build_node import DEFAULT_GYP_INSTALL_SCRIPT, is_node_gyp_package
from snpm.lifecycle.environment import Warn, script_environment
from snpm.record import Record

__all__ = [
    "DEFAULT_GYP_INSTALL_SCRIPT",
    "Banner",
    "ScriptError",
    "ScriptResult",
    "SignalForwarder",
    "Stdio",
    "banner_text",
    "default_script",
    "is_node_gyp_package",
    "is_server_package",
    "run_script",
    "sh_quote",
]

Stdio = Literal["inherit", "pipe"]
Banner = Callable[[str], None]

FORWARDED_SIGNALS: Final = (signal_mod.SIGINT, signal_mod.SIGTERM)

_SH_SPECIAL = re.compile(r"[\t\n\r \"#$&'()*;<>?\\`|~]")
_LEADING_EMPTY_QUOTES = re.compile(r"^(?:'')+(?!$)")


class ScriptResult(Record):
    """A script that ran and exited 0. `stdout`/`stderr` are the trimmed captured output (None when
    inherited); `cmd`/`args` are what was spawned (`sh`, `["-c", "<script> <args>"]`)."""

    _FIELDS = ("event", "script", "path", "pkgid", "cmd", "args", "code", "signal", "stdout", "stderr")
    __slots__ = _FIELDS

    def __init__(
        self,
        event: str,
        script: str,
        path: str,
        pkgid: str | None,
        cmd: str,
        args: tuple[str, ...],
        code: int = 0,
        signal: str | None = None,
        stdout: str | None = None,
        stderr: str | None = None,
    ) -> None:
        self.event: Final = event
        self.script: Final = script
        self.path: Final = path
        self.pkgid: Final = pkgid
        self.cmd: Final = cmd
        self.args: Final = args
        self.code: Final = code
        self.signal: Final = signal
        self.stdout: Final = stdout
        self.stderr: Final = stderr


class ScriptError(SnpmError):
    """A script that exited non-zero or died of a signal (npm's `command failed`), or that could not
    be started (then `code` is node's errno name, e.g. ENOENT).

    `code` is the exit code when there is one: npm exits with it, silently, for commands that just
    shell out (run, test, start, stop, restart, exec). `detail` repeats npm's detail lines (signal,
    command, output) so the generic renderer prints them as npm does.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None,
        signal: str | None,
        cmd: str,
        args: Sequence[str],
        event: str,
        script: str,
        path: str,
        pkgid: str | None,
        stdout: str | None = None,
        stderr: str | None = None,
        errno: int | None = None,
        syscall: str | None = None,
    ) -> None:
        self.signal = signal
        self.cmd = cmd
        # npm calls it `args`, which Python exceptions already use
        self.cmd_args = tuple(args)
        self.event = event
        self.script = script
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(
            message,
            code=code,
            pkgid=pkgid,
            path=path,
            errno=errno,
            syscall=syscall,
            detail="\n".join(" ".join(p for p in line if p) for line in self.detail_lines()) or None,
        )

    def detail_lines(self) -> list[tuple[str, str]]:
        """npm's error-message.js default branch: `(title, text)` for signal, command, stdout, stderr."""
        lines: list[tuple[str, str]] = []
        if self.signal:
            lines.append(("signal", self.signal))
        if self.cmd:
            lines.append(("command", " ".join([self.cmd, *self.cmd_args])))
        if self.stdout:
            lines.append(("", self.stdout.strip()))
        if self.stderr:
            lines.append(("", self.stderr.strip()))
        return lines


def sh_quote(arg: str) -> str:
    """promise-spawn's escape.sh: quote one argument for `sh -c`, leaving plain words alone."""
    if not arg:
        return "''"
    if not _SH_SPECIAL.search(arg):
        return arg
    quoted = "'" + arg.replace("'", "'\\''") + "'"
    quoted = _LEADING_EMPTY_QUOTES.sub("", quoted, count=1)
    return quoted.replace("\\'''", "\\'")


def banner_text(pkg: Mapping[str, JsonValue], event: str, cmd: str, args: Sequence[str] = ()) -> str:
    """The banner printed before a foreground script; arguments are shown unquoted, as npm does."""
    pkgid = pkg.get("_id")
    text = f"\n> {pkgid} {event}\n" if pkgid else f"\n> {event}\n"
    text += "> " + js_trim(cmd).replace("\n", "\n> ")
    if args:
        text += " " + " ".join(args)
    return text + "\n"


def is_server_package(path: str) -> bool:
    """run-script's isServerPackage: the folder has a `server.js` file."""
    return os.path.isfile(os.path.join(path, "server.js"))


def default_script(event: str, path: str, pkg: Mapping[str, JsonValue]) -> str | None:
    """The command run-script uses when the manifest has none for `event`."""
    raw = pkg.get("scripts")
    scripts = raw if isinstance(raw, dict) else {}
    if (
        event == "install"
        and not scripts.get("install")
        and not scripts.get("preinstall")
        and pkg.get("gypfile") is not False
        and is_node_gyp_package(path)
    ):
        return DEFAULT_GYP_INSTALL_SCRIPT
    if event == "start" and is_server_package(path):
        return "node server.js"
    return None


def script_for(event: str, path: str, pkg: Mapping[str, JsonValue], cmd: str | None = None) -> str | None:
    """What run-script would run for `event`: an explicit command, the manifest's, or a default."""
    if cmd:
        return cmd
    raw = pkg.get("scripts")
    if isinstance(raw, dict):
        found = raw.get(event)
        if isinstance(found, str) and found:
            return found
    return default_script(event, path, pkg)


class SignalForwarder:
    """signal-manager.js: while foreground children run, SIGINT/SIGTERM sent to snpm go to them too.

    snpm itself keeps running until its children have exited; the handlers are removed when the
    last child is gone (asyncio then restores Python's defaults). They are installed before the
    child is spawned, so that a signal arriving just after the spawn cannot kill snpm alone.
    """

    def __init__(self) -> None:
        self._children: set[asyncio.subprocess.Process] = set()
        self._users = 0
        self._installed = False

    def _forward(self, sig: signal_mod.Signals) -> None:
        for child in list(self._children):
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(sig)

    @contextlib.contextmanager
    def forwarding(self) -> Iterator[Callable[[asyncio.subprocess.Process], None]]:
        """Install the handlers for the duration; the yielded function registers the child."""
        loop = asyncio.get_running_loop()
        if not self._installed:
            try:
                for sig in FORWARDED_SIGNALS:
                    loop.add_signal_handler(sig, self._forward, sig)
                self._installed = True
            except (RuntimeError, ValueError, NotImplementedError):
                pass  # not the main thread (or no signals here): nothing to forward
        self._users += 1
        mine: list[asyncio.subprocess.Process] = []

        def track(child: asyncio.subprocess.Process) -> None:
            mine.append(child)
            self._children.add(child)

        try:
            yield track
        finally:
            self._children.difference_update(mine)
            self._users -= 1
            if not self._users and self._installed:
                for sig in FORWARDED_SIGNALS:
                    loop.remove_signal_handler(sig)
                self._installed = False


def _signal_name(returncode: int) -> str | None:
    if returncode >= 0:
        return None
    try:
        return signal_mod.Signals(-returncode).name
    except ValueError:
        return f"SIG{-returncode}"


def _spawn_error(
    err: OSError, shell: str, args: Sequence[str], details: Mapping[str, str | None]
) -> ScriptError:
    """node's spawn error (`spawn sh ENOENT`), decorated like promise-spawn decorates it."""
    code = errno_mod.errorcode.get(err.errno or 0, "EIO")
    return ScriptError(
        f"spawn {shell} {code}",
        code=code,
        errno=-(err.errno or 0),
        syscall=f"spawn {shell}",
        signal=None,
        cmd=shell,
        args=args,
        event=str(details["event"]),
        script=str(details["script"]),
        path=str(details["path"]),
        pkgid=details["pkgid"],
    )


async def _spawn(
    shell: str,
    shell_args: Sequence[str],
    path: str,
    env: Mapping[str, str],
    inherit: bool,
    details: Mapping[str, str | None],
) -> asyncio.subprocess.Process:
    pipe = None if inherit else asyncio.subprocess.PIPE
    try:
        return await asyncio.create_subprocess_exec(
            shell, *shell_args, cwd=path, env=dict(env), stdin=pipe, stdout=pipe, stderr=pipe
        )
    except OSError as err:
        raise _spawn_error(err, shell, shell_args, details) from None


async def run_script(
    *,
    event: str,
    path: str,
    pkg: Mapping[str, JsonValue],
    env: Mapping[str, str],
    args: Sequence[str] = (),
    cmd: str | None = None,
    stdio: Stdio = "pipe",
    script_shell: str | None = None,
    node_gyp: str | None = None,
    extra_env: Mapping[str, str | None] | None = None,
    bin_paths: Sequence[str] = (),
    banner: Banner | None = None,
    signals: SignalForwarder | None = None,
    warn: Warn | None = None,
) -> ScriptResult | None:
    """Run the `event` script of the package in `path` (runScriptPkg); None when there is nothing to run.

    `env` is npm's process environment (see `npm_environment`); `extra_env` is run-script's `env`
    option (None values delete a variable). Raises ScriptError on a non-zero exit or a signal.
    """
    script = script_for(event, path, pkg, cmd)
    if not script:
        return None
    if stdio == "inherit" and banner is not None:
        banner(banner_text(pkg, event, script, args))
    spawn_env = script_environment(
        env,
        path=path,
        event=event,
        cmd=script,
        pkg=pkg,
        extra=extra_env,
        node_gyp=node_gyp,
        bin_paths=bin_paths,
        warn=warn,
    )
    shell = script_shell or "sh"
    command = script + "".join(f" {sh_quote(a)}" for a in args)
    shell_args = ("-c", command)
    pkgid_value = pkg.get("_id")
    pkgid = pkgid_value if isinstance(pkgid_value, str) else None
    details: dict[str, str | None] = {"event": event, "script": script, "path": path, "pkgid": pkgid}
    inherit = stdio == "inherit"
    if inherit:
        # the child writes straight to our file descriptors: what we buffered must come first
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        forwarder = signals or SignalForwarder()
        with forwarder.forwarding() as track:
            child = await _spawn(shell, shell_args, path, spawn_env, inherit, details)
            track(child)
            returncode = await child.wait()
        out = err_text = None
    else:
        child = await _spawn(shell, shell_args, path, spawn_env, inherit, details)
        raw_out, raw_err = await child.communicate(b"")
        returncode = child.returncode if child.returncode is not None else 0
        out = js_trim(raw_out.decode("utf-8", errors="replace"))
        err_text = js_trim(raw_err.decode("utf-8", errors="replace"))
    signal_name = _signal_name(returncode)
    if returncode:
        raise ScriptError(
            "command failed",
            code=None if signal_name else returncode,
            signal=signal_name,
            cmd=shell,
            args=shell_args,
            stdout=out,
            stderr=err_text,
            event=event,
            script=script,
            path=path,
            pkgid=pkgid,
        )
    return ScriptResult(
        event=event,
        script=script,
        path=path,
        pkgid=pkgid,
        cmd=shell,
        args=shell_args,
        stdout=out,
        stderr=err_text,
    )
