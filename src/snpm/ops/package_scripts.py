"""Running the lifecycle scripts of pack, publish and version (the @npmcli/run-script calls of
libnpmpack, pacote's DirFetcher, npm's publish.js and libnpmversion).

One adapter, `run_lifecycle`, over `snpm.lifecycle.run_script`: it knows whether scripts are
ignored, which stdio an event gets and where banners go, so the use cases read like npm's code.

- pack's prepack/postpack and the DirFetcher's prepare run in the foreground when
  `foreground-scripts` says so, and pack/publish turn it on unless the user set it (npm's
  `isDefault('foreground-scripts') ? true : …`); otherwise their output is captured and dropped;
- publish's prepublishOnly/publish/postpublish and the version scripts always run in the foreground.

None of these events has a default script (only `install` and `start` do), so a package without the
script costs nothing: the lifecycle engine and the environment are only loaded when one runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import msgspec

from snpm.json_types import JsonValue

if TYPE_CHECKING:
    from snpm.lifecycle import SignalForwarder

__all__ = ["ScriptRunner", "has_script", "run_lifecycle"]


class ScriptRunner(msgspec.Struct, frozen=True):
    """What every script of these commands shares: npm's process environment and settings.

    `environment()` builds npm's process environment (called only when a script runs); `banner`
    receives the `\\n> id event\\n> cmd\\n` text of foreground scripts (the CLI prints it on
    stdout, on stderr under --json, nowhere when silent); `warn(title, message)` gets run-script's
    warnings (a PATH problem).
    """

    environment: Callable[[], Mapping[str, str]]
    ignore_scripts: bool = False
    foreground_scripts: bool = True
    script_shell: str | None = None
    node_gyp: str | None = None
    banner: Callable[[str], None] | None = None
    warn: Callable[[str, str], None] | None = None
    signals: SignalForwarder | None = None
    # called when a foreground script has ended, failed or not (run-script's `input.end()`): npm's
    # display prints the --json output buffered so far at that moment
    after_foreground: Callable[[], None] | None = None


def has_script(event: str, pkg: Mapping[str, JsonValue]) -> bool:
    scripts = pkg.get("scripts")
    return isinstance(scripts, dict) and isinstance(scripts.get(event), str) and bool(scripts[event])


async def run_lifecycle(
    runner: ScriptRunner,
    event: str,
    *,
    path: str,
    pkg: Mapping[str, JsonValue],
    foreground: bool = True,
    extra_env: Mapping[str, str | None] | None = None,
) -> None:
    """Run `event` of the package in `path`, unless scripts are ignored or it has no such script.

    `foreground=False` marks the events whose stdio follows `foreground-scripts` (pack's)."""
    if runner.ignore_scripts or not has_script(event, pkg):
        return
    from snpm.lifecycle.run_script import run_script

    inherit = foreground or runner.foreground_scripts
    try:
        await run_script(
            event=event,
            path=path,
            pkg=pkg,
            env=runner.environment(),
            stdio="inherit" if inherit else "pipe",
            script_shell=runner.script_shell,
            node_gyp=runner.node_gyp,
            extra_env=extra_env,
            banner=runner.banner,
            signals=runner.signals,
            warn=runner.warn,
        )
    finally:
        if inherit and runner.after_foreground is not None:
            runner.after_foreground()
