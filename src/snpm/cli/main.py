"""`snpm` and `snpx`: load config, pick the command, run it once under asyncio, render, exit.

The only `asyncio.run` of the client lives here. Mirrors npm's cli/entry.js, npm.js (load, exec) and
exit-handler.js: the order of log lines, the log file and the exit codes follow them.

Start-up time is most of a quick command's time, so this module imports little: asyncio (~40 ms
here) loads when a command is about to run, the config when it is about to be read, error
rendering and help only when they are shown (`tests/unit/cli/test_startup_imports.py`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from snpm import NPM_VERSION, __version__
from snpm.cli.command import Command, CommandContext
from snpm.cli.command_table import deref, did_you_mean, load_command
from snpm.cli.output import DisplaySettings, Output, run_id
from snpm.errors import SnpmError, UnknownCommandError

if TYPE_CHECKING:
    from snpm.cli.error_render import RenderedError
    from snpm.config import Config
    from snpm.config.problems import LogEntry


def main() -> None:
    """Console entry point of `snpm`."""
    _pause_gc()
    _exit_without_teardown(lambda: run(sys.argv[1:], ready=_tune_gc))


def _exit_without_teardown(command: Callable[[], int]) -> NoReturn:
    """Run `command` and exit with its code, skipping the interpreter's own teardown.

    Tearing down frees every object and module one by one: 25-50 ms here after an install, most of
    a small project's up-to-date install. Nothing of ours needs it, so the process ends right after
    the last exit handler: the handler below is registered first and so runs last, when the worker
    threads have been joined and every other handler (temporary folders, log files) has run. An
    exception that escapes `command` keeps the normal exit, traceback included."""
    import atexit

    outcome: list[int] = []

    def exit_now() -> None:
        if outcome:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(outcome[0] & 0xFF)

    atexit.register(exit_now)
    code = command()
    outcome.append(code)
    sys.exit(code)


def _pause_gc() -> None:
    """No collections while the modules load: what importing makes (functions, classes, constants)
    lives as long as the process, and collecting young objects during an install's ~300 imports
    took ~5 ms of the small reference project's 0.14 s (install with a warm store and a lockfile).
    `_tune_gc` starts collecting once the command is about to run."""
    import gc

    gc.disable()


def _tune_gc() -> None:
    """One command per process: the start-up objects never become garbage (freeze them out of every
    collection) and young collections can wait for many more allocations. Measured on the medium
    reference project: the collector's share fell from ~40 to ~12 ms (no-op) and ~150 to ~50 ms
    (install without a lockfile), peak memory unchanged. Only for the console entry points: `run`
    is also called in-process (tests), where freezing would keep the caller's garbage forever."""
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    gc.enable()


def npx_main() -> None:
    """Console entry point of `snpx` (npm's bin/npx-cli.js turns its argv into `npm exec …`)."""
    from snpm.cli.npx import npx_argv

    _pause_gc()
    _exit_without_teardown(lambda: run(npx_argv(sys.argv[1:]), ready=_tune_gc))


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    ready: Callable[[], None] | None = None,
) -> int:
    """Run one snpm command line and return the process exit code. `ready` is called once the
    command's modules are loaded, right before it runs."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    out = Output(stdout, stderr)
    out.log.verbose("cli", f"{sys.executable} {sys.argv[0] if sys.argv else 'snpm'}")
    out.log.info("using", f"snpm@{__version__} (npm@{NPM_VERSION})")
    out.log.info("using", f"python@{_python_version()}")
    command = ""
    loaded = False
    exit_code = 0
    rendered: RenderedError | None = None
    try:
        from snpm.config import load_config
        from snpm.errors import ConfigError

        try:
            config = load_config(list(argv), env=env, cwd=cwd)
        except ConfigError as err:
            if err.extra.get("phase") != "load":
                raise
            # npm fails before its display exists and writes the bare messages (exit-handler.js)
            (stderr or sys.stderr).write(f"Exit prior to config file resolving\ncause\n{err.message}\n")
            return 1
        loaded = True
        _load_display(out, config)
        _print_log(out, config.take_log())
        if config.get("version", "cli"):
            out.standard(NPM_VERSION)
            return 0
        remain = list(config.remain)
        if config.get("versions", "cli"):
            remain = ["version"]
        typed = remain[0] if remain else None
        args = remain[1:]
        command = deref(typed) or ""
        _open_log_file(out, config)
        out.log.verbose("title", " ".join(["npm", *remain]).strip())
        out.log.verbose("argv", " ".join(f'"{a}"' for a in argv))
        if config.get("force"):
            out.log.warn("using --force", "Recommended protections disabled.")
        if typed is None:
            from snpm.cli.help import general_usage

            out.standard(general_usage(str(config.get("userconfig")), NPM_VERSION, _npm_root()))
            exit_code = 1
            return exit_code
        if not command:
            raise UnknownCommandError(typed, did_you_mean(typed))
        # a local install may have nothing to do (snpm.ops.noop_install): its command class, which
        # imports the whole engine, loads only once that is ruled out. Its constructor logs only
        # in global mode, so validating first changes no order of lines.
        light = command == "install" and not config.is_global
        command_class = None if light else load_command(command)
        ctx = CommandContext(config=config, out=out, env=env, cwd=cwd, argv=list(argv), command=command)
        instance = None if command_class is None else command_class(ctx)
        if command_class is None or not command_class.skip_config_validation:
            try:
                config.validate()
            finally:
                _print_log(out, config.take_log())
        if config.get("workspaces") is False and config.get("workspace"):
            raise SnpmError("Cannot use --no-workspaces and --workspace at the same time")
        _print_log(out, config.take_log(include_queued=True))
        if light:
            from snpm.ops.noop_install import check_noop

            hit = check_noop(config, args, log=out.emit)
            if hit is not None and not hit.audit:
                from snpm.cli.noop import show_noop

                show_noop(out, hit)
                return exit_code
            if hit is not None:
                # the advisories may have changed: the audit runs again, and it needs the engine
                import asyncio

                from snpm.cli.commands.install import Install

                if ready is not None:
                    ready()
                asyncio.run(Install(ctx).run_noop(hit))
                return exit_code
        if command_class is None or instance is None:
            command_class = load_command(command)
            instance = command_class(ctx)
        if config.get("usage"):
            from snpm.cli.help import command_usage

            out.standard(command_usage(command_class))
            return 0
        workspaces = _uses_workspaces(config, command_class)
        if ready is not None:
            ready()
        if not command_class.event_loop and not workspaces:
            _run_at_once(instance.run(args))
        else:
            import asyncio

            asyncio.run(instance.run_workspaces(args) if workspaces else instance.run(args))
    except KeyboardInterrupt:
        exit_code = 130
    except Exception as err:  # noqa: BLE001 - every failure is rendered the npm way
        from snpm.cli.error_render import render

        rendered = render(err, command=command)
        exit_code = rendered.exit_code
        if not loaded:
            out.load(DisplaySettings())
        _show_error(out, rendered)
    finally:
        _exit(out, exit_code, rendered, cwd, json_mode=out.settings.json)
    return exit_code


def _print_log(out: Output, entries: Iterable[LogEntry]) -> None:
    for entry in entries:
        out.emit(entry.level, entry.title, entry.message)


def _run_at_once(coroutine: Coroutine[object, None, None]) -> None:
    """Run the coroutine of a command that awaits nothing (`Command.event_loop = False`) to its end
    without an event loop, so without importing asyncio."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("a command declared without an event loop awaited one")


def _uses_workspaces(config: Config, command_class: type[Command]) -> bool:
    """npm.js execCommandClass: -w/-ws (or a workspace folder, for commands that care) → per-workspace."""
    has_config = bool(config.get("workspaces")) or bool(config.get("workspace"))
    implicit = bool(config.get("workspace", "default"))
    if not has_config or (implicit and command_class.ignore_implicit_workspace):
        return False
    if config.is_global:
        raise SnpmError("Workspaces not supported for global packages")
    if not command_class.workspaces:
        raise SnpmError("This command does not support workspaces.", code="ENOWORKSPACES")
    return True


def _load_display(out: Output, config: Config) -> None:
    from snpm.config.settings import output_settings

    settings = output_settings(config, stdout_tty=sys.stdout.isatty(), stderr_tty=sys.stderr.isatty())
    get = config.get
    # npm's own heading word is `npm`; snpm shows its own name unless the user chose a heading
    heading = settings.heading if config.find("heading") not in (None, "default") else "snpm"
    out.load(
        DisplaySettings(
            loglevel=str(settings.loglevel),
            heading=heading,
            color_stderr=bool(settings.color_stderr),
            color_stdout=bool(settings.color_stdout),
            timing=bool(get("timing")),
            json=bool(get("json")),
        )
    )


def _open_log_file(out: Output, config: Config) -> None:
    get = config.get
    cache = Path(str(get("cache")))
    logs_dir = get("logs-dir")
    folder = Path(str(logs_dir)) if logs_dir else cache / "_logs"
    raw_max = get("logs-max")
    logs_max = int(raw_max) if isinstance(raw_max, int | float) else 0
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        out.log.verbose("cache", f"could not create cache: {err}")
    if logs_max > 0:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            out.log.verbose("logfile", f"could not create logs-dir: {err}")
    prefix = str(folder / f"{run_id()}-")
    out.log.verbose("logfile", f"logs-max:{logs_max} dir:{prefix}")
    out.logfile.open(prefix, logs_max)
    out.log.verbose("logfile", out.logfile.files[0] if out.logfile.files else "no logfile created")


def _write_error_files(out: Output, rendered: RenderedError) -> None:
    """npm's #getError: extra reports go beside the debug log, and the detail points at them."""
    prefix = out.logfile.path_prefix
    for name, content in rendered.files:
        path = f"{prefix}{name}"
        text = "'Log files:\n" + "\n".join(out.logfile.files) + f"\n\n{content.strip()}\n"
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as err:
            out.log.warn("", f"Could not write error message to {name} due to {err}")
            continue
        rendered.detail.append(("", f"\n\nFor a full report see:\n{path}"))


def _show_error(out: Output, rendered: RenderedError) -> None:
    _write_error_files(out, rendered)
    for line in rendered.standard:
        out.standard(line)
    for title, *parts in rendered.verbose:
        out.log.verbose(title, *parts)
    for title, *parts in [*rendered.error, *rendered.summary, *rendered.detail]:
        out.log.error(title, *parts)


def _exit(out: Output, code: int, rendered: RenderedError | None, cwd: Path, *, json_mode: bool) -> None:
    logs_max, logs_dir = out.logfile.max_files, out.logfile.folder
    json_error = (
        rendered.json_error()
        if rendered is not None and json_mode and (not rendered.suppress or rendered.code is not None)
        else None
    )
    out.flush(json_error)
    out.log.verbose("cwd", str(cwd))
    out.log.verbose("os", _os_name())
    out.log.verbose("python", _python_version())
    out.log.verbose("npm ", f"v{NPM_VERSION}")
    out.log.verbose("exit", str(code))
    if code:
        out.log.verbose("code", str(code))
    else:
        out.log.info("ok")
    if rendered is not None and not rendered.suppress:
        if out.logfile.files:
            out.log.error("", f"A complete log of this run can be found in: {out.logfile.files[0]}")
        elif logs_max <= 0:
            out.log.error("", f"Log files were not written due to the config logs-max={logs_max}")
        else:
            out.log.error(
                "",
                f"Log files were not written due to an error writing to the directory: {logs_dir}"
                "\nYou can rerun the command with `--loglevel=verbose` to see the logs in your terminal",
            )
    out.close()


def _python_version() -> str:
    """platform.python_version() without importing `platform` (a few ms on every run)."""
    return sys.version.split()[0]


def _os_name() -> str:
    """`platform.system() platform.release()`, from os.uname() where there is one."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        info = uname()
        return f"{info.sysname} {info.release}"
    import platform

    return f"{platform.system()} {platform.release()}"


def _npm_root() -> str:
    return str(Path(__file__).resolve().parent.parent)
