"""npm 11's configuration: settings table, .npmrc files, command-line parsing, layers, credentials.

    config = load_config(argv, env=os.environ, cwd=Path.cwd())
    config.get("registry"); config.find("registry"); config.remain; config.log_entries

`load_config` does what npm does between starting and running a command: @npmcli/config's
`load()`, the flattening npm does right after it, the `scope` → `@scope` fix-up and the
non-ASCII-dash check of entry.js (an error-level entry in `log_entries`). The `using --force`
warning is left to the CLI. It never raises for bad flags
(they become warnings); an exclusive-flag clash raises ConfigError like npm's TypeError.

Value types in this package are NamedTuples, not frozen dataclasses: creating a slotted frozen
dataclass costs ~0.7 ms at import on the reference machine against ~0.15 ms for a NamedTuple, and
a `snpm` run is dominated by imports. They are just as immutable and typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from snpm.config.credentials import (
    Credentials,
    clear_credentials_by_uri,
    get_credentials_by_uri,
    nerf_dart,
    scoped_registry,
    set_credentials_by_uri,
)
from snpm.config.definitions import DEFINITIONS, NERF_DARTS, SHORTHANDS, Definition
from snpm.config.layer import WHERES
from snpm.config.layers import Config
from snpm.config.problems import AuthProblem, InvalidAuthError, LogEntry
from snpm.config.values import UNDEFINED, ConfigValue, JsDate, js_string, json_stringify

__all__ = [
    "DEFINITIONS",
    "NERF_DARTS",
    "SHORTHANDS",
    "UNDEFINED",
    "WHERES",
    "AuthProblem",
    "Config",
    "ConfigValue",
    "Credentials",
    "Definition",
    "InvalidAuthError",
    "JsDate",
    "LogEntry",
    "clear_credentials_by_uri",
    "get_credentials_by_uri",
    "js_string",
    "json_stringify",
    "load_config",
    "nerf_dart",
    "scoped_registry",
    "set_credentials_by_uri",
]


def load_config(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path | str,
    *,
    stdout_tty: bool | None = None,
    stderr_tty: bool | None = None,
    node: str | None = None,
) -> Config:
    """Load npm's config for one run. `argv` is the arguments after the program name."""
    config = Config(argv, env=env, cwd=cwd, stdout_tty=stdout_tty, stderr_tty=stderr_tty, node=node)
    config.load()
    # npm computes flatOptions right after loading (its display needs them); the flatteners'
    # write-backs into the layers are visible from then on
    _ = config.flat
    if config.get("version", "cli"):
        return config
    scope = config.get("scope")
    if scope and not re.match(r"^@", js_string(scope)):
        config.set("scope", f"@{js_string(scope)}", config.find("scope") or "cli")
    dashes = config.non_ascii_dash_args()
    if dashes:
        from snpm.redact import redact_log

        config.log_error(
            "arg",
            "Argument starts with non-ascii dash, this is probably invalid: " + redact_log(", ".join(dashes)),
        )
    return config
