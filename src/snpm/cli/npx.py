"""`snpx …` → `snpm exec …`: npm's bin/npx-cli.js argv rewriting.

Flags before the first positional keep npx's meanings (`-p` is --package, `--shell` is --script-shell,
`--no-install` is --yes=false); a `--` goes in front of the first positional so that everything after
it belongs to the command being run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from snpm.config.definitions import DEFINITIONS, SHORTHANDS
from snpm.config.types import T

_REMOVED_SWITCHES = frozenset({"always-spawn", "ignore-existing", "shell-auto-fallback"})
_REMOVED_OPTS = frozenset({"npm", "node-arg", "n"})
_REMOVED = _REMOVED_SWITCHES | _REMOVED_OPTS
_OPTS = frozenset({*_REMOVED_OPTS, "package", "p", "cache", "userconfig", "call", "c", "shell"})


def _is_switch(key: str) -> bool:
    if key in _REMOVED_SWITCHES or key in ("no-install", "quiet", "q", "version", "v", "help", "h"):
        return True
    definition = DEFINITIONS.get(key)
    if definition is None:
        return False
    kind = definition.type
    return kind is T.BOOLEAN or (isinstance(kind, tuple) and T.BOOLEAN in kind)


def npx_argv(argv: Sequence[str]) -> list[str]:
    """The `snpm` argv equivalent to an `snpx` argv (messages for removed flags go to stderr)."""
    args = ["exec", *argv]
    saw_removed = False
    i = 1
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        if not arg.startswith("-"):
            args.insert(i, "--")
            break
        key, *value = arg.lstrip("-").split("=")
        if key == "p":
            args[i] = "=".join(["--package", *value])
        elif key == "shell":
            args[i] = "=".join(["--script-shell", *value])
        elif key == "no-install":
            args[i] = "--yes=false"
        elif key in SHORTHANDS and key not in _REMOVED:
            expansion = list(SHORTHANDS[key])
            if value:
                expansion.append("=".join(value))
            args[i : i + 1] = expansion
            continue
        if key in _REMOVED:
            sys.stderr.write(f"npx: the --{key} argument has been removed.\n")
            saw_removed = True
            del args[i]
            i -= 1
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if not value and not _is_switch(key) and (key in _OPTS or not nxt.startswith("-")):
            if key in _REMOVED:
                del args[i + 1 : i + 2]
            else:
                i += 1
        i += 1
    if saw_removed:
        sys.stderr.write("See `npm help exec` for more information\n")
    return args
