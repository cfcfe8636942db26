"""The environment a package script runs in: npm's process environment plus run-script's additions.

Ports @npmcli/run-script 10's package-envs.js, set-path.js and the env half of make-spawn-args.js,
and the variables npm's own process carries (npm.js: `COLOR`, `npm_command`; @npmcli/config's
setEnvs, which `snpm.config` computes and the caller passes in as a plain mapping, so this engine
never reads config itself).

The layering, as node builds it for `spawn`: the npm process environment (inherited environment +
setEnvs + COLOR + npm_command), then the caller's extra variables (arborist's npm_package_resolved &
co.), then `npm_package_*` from the manifest, then `npm_package_json`, `npm_lifecycle_event`,
`npm_lifecycle_script` and `npm_config_node_gyp`. PATH gets `<dir>/node_modules/.bin` for the
package folder and every folder above it (even `/node_modules/.bin`), then the node-gyp-bin folder
(whose `node-gyp` runs `node "$npm_config_node_gyp"`), then the inherited PATH entries, deduplicated.
A value of None in the extra variables removes the variable, as `undefined` does for node's spawn.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from snpm.ecmascript.numbers import number_to_string as js_number
from snpm.json_types import JsonValue

__all__ = [
    "NODE_GYP_BIN",
    "bin_dirs",
    "npm_environment",
    "package_envs",
    "script_environment",
    "set_path",
]

# run-script's lib/node-gyp-bin: a `node-gyp` shell wrapper that runs npm_config_node_gyp with node
NODE_GYP_BIN: Final = str(Path(__file__).resolve().parent / "node_gyp_bin")

Warn = Callable[[str, str], None]


def _js_string(value: JsonValue) -> str:
    """`String(v)` for the scalar JSON values package-envs meets."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number(value)
    return str(value)


def _flatten(values: Mapping[str, JsonValue | None], prefix: str, env: dict[str, str]) -> None:
    for key, value in values.items():
        if value is None or value is False:
            env[f"{prefix}{key}"] = ""
        elif isinstance(value, list):
            for index, item in enumerate(value):
                _flatten({f"{key}_{index}": item}, prefix, env)
        elif isinstance(value, dict):
            _flatten(value, f"{prefix}{key}_", env)
        else:
            env[f"{prefix}{key}"] = _js_string(value)


def package_envs(pkg: Mapping[str, JsonValue]) -> dict[str, str]:
    """`npm_package_*` from a manifest: name, version and the flattened config, engines and bin
    (npm/rfcs#183 chose these; nested keys are joined with `_`, array items get their index)."""
    env: dict[str, str] = {}
    # an absent field is JS `undefined` and skipped; a present null becomes ""
    fields = {k: pkg[k] for k in ("name", "version", "config", "engines", "bin") if k in pkg}
    _flatten(fields, "npm_package_", env)
    return env


def bin_dirs(path: str) -> list[str]:
    """`<dir>/node_modules/.bin` for the folder and each of its ancestors, nearest first."""
    dirs: list[str] = []
    current = os.path.abspath(path)
    while True:
        dirs.append(os.path.join(current, "node_modules", ".bin"))
        parent = os.path.dirname(current)
        if parent == current:
            return dirs
        current = parent


def set_path(
    project_path: str,
    env: Mapping[str, str],
    bin_paths: Sequence[str] = (),
    *,
    event: str | None = None,
    warn: Warn | None = None,
) -> dict[str, str]:
    """run-script's setPATH: a copy of `env` whose PATH-like keys (any case) all get the script PATH.

    Every non-empty `PATH`/`Path`/… value is merged in key order, dropping what an earlier key
    already had, because Windows environments may carry several spellings. With no PATH key at all,
    none is added.
    """
    inherited: list[str] = []
    for key, value in env.items():
        if value and key.lower() == "path":
            # entries already taken from an earlier key are dropped; repeats within one value stay
            seen = set(inherited)
            inherited.extend(p for p in value.split(os.pathsep) if p not in seen)
    entries: list[str] = []
    for bin_path in bin_paths:
        if os.pathsep in bin_path and warn is not None:
            context = f'"{event}" script' if event else "script execution"
            warn(
                "run-script",
                f'Path contains delimiter ("{os.pathsep}"), {context} may not behave as expected.',
            )
        entries.append(bin_path)
    entries.extend(bin_dirs(project_path))
    entries.append(NODE_GYP_BIN)
    entries.append(os.pathsep.join(inherited))
    value = os.pathsep.join(entries)
    result = dict(env)
    for key in env:
        if key.lower() == "path":
            result[key] = value
    return result


def npm_environment(
    base: Mapping[str, str],
    exported: Mapping[str, str],
    *,
    command: str,
    color: bool,
    editor: str | None = None,
) -> dict[str, str]:
    """npm's own `process.env` once a command runs: the inherited environment, setEnvs' exports
    (`exported`, from the config layer), `COLOR` (stdout colour on or off) and `npm_command`.

    `editor` fills `EDITOR` when the exports lack it: setEnvs reads `editor` through the whole
    config chain, so npm always exports it (its default comes from EDITOR/VISUAL, else `vi`).
    """
    env = dict(base)
    env.update(exported)
    if editor and "EDITOR" not in exported:
        env["EDITOR"] = editor
    env["COLOR"] = "1" if color else "0"
    if command:
        env["npm_command"] = command
    return env


def script_environment(
    process_env: Mapping[str, str],
    *,
    path: str,
    event: str,
    cmd: str,
    pkg: Mapping[str, JsonValue],
    extra: Mapping[str, str | None] | None = None,
    node_gyp: str | None = None,
    bin_paths: Sequence[str] = (),
    warn: Warn | None = None,
) -> dict[str, str]:
    """The full environment of one script (make-spawn-args.js), PATH included."""
    env: dict[str, str] = dict(process_env)
    passed: dict[str, str | None] = dict(extra or {})
    passed.update(package_envs(pkg))
    for key, value in passed.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["npm_package_json"] = os.path.join(os.path.abspath(path), "package.json")
    env["npm_lifecycle_event"] = event
    env["npm_lifecycle_script"] = cmd
    # npm passes its `node-gyp` config; a bare caller's env may carry it (run-script's legacy mode)
    gyp = node_gyp or passed.get("npm_config_node_gyp") or process_env.get("npm_config_node_gyp")
    if gyp:
        env["npm_config_node_gyp"] = gyp
    return set_path(path, env, bin_paths, event=event, warn=warn)
