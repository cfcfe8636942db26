"""npm's setEnvs: the environment a child process (lifecycle script, `npm exec`) inherits.

Port of @npmcli/config set-envs.js. A command-line setting is exported as `npm_config_<key>` when it
differs from its default (or from what the environment already says), so scripts see the options
the user typed; deprecated keys and keys marked `envExport: false` are not exported. Plus the fixed
variables npm always sets (HOME, INIT_CWD, prefixes, node-gyp, npm version, NODE, npm_execpath) and
what flattening put into npm's own environment (`npm_config_user_agent`, `NODE_ENV=production`
when dev dependencies are omitted).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from snpm.config.definitions import DEFINITIONS
from snpm.config.types import strict_eq
from snpm.config.values import ConfigValue, JsDate, JsUndefined, js_string

if TYPE_CHECKING:
    from snpm.config.layers import Config

_PRIVATE_KEY = re.compile(r"^[/@_]")


def env_value(value: ConfigValue) -> str | None:
    """set-envs.js envVal: arrays joined by blank lines, false/null → '', objects not exportable."""
    if isinstance(value, list):
        parts = [env_value(v) for v in value]
        return "\n\n".join("" if p is None else p for p in parts)
    if value is None or value is False or isinstance(value, JsUndefined):
        return ""
    if isinstance(value, dict | JsDate):
        return None
    return js_string(value)


def _same(default: ConfigValue, value: ConfigValue) -> bool:
    if not isinstance(value, list) or not isinstance(default, list):
        return strict_eq(default, value)
    return len(default) == len(value) and all(strict_eq(a, b) for a, b in zip(default, value, strict=True))


def _set(env: dict[str, str], key: str, value: ConfigValue) -> None:
    text = env_value(value)
    if text is None or _PRIVATE_KEY.match(key):
        return
    env[f"npm_config_{key.replace('-', '_').lower()}"] = text


def set_envs(config: Config) -> dict[str, str]:
    """The variables npm sets in its environment after loading its config.

    JS iterates `for (key in cliData)`, which walks the whole prototype chain: every key of every
    layer is considered, with its effective value, so settings from .npmrc files are exported too.
    """
    env: dict[str, str] = {"INIT_CWD": config.cwd}
    cli = config.layer("cli")
    env_layer = config.layer("env")
    defaults = config.definition_defaults
    keys: list[str] = []
    seen: set[str] = set()
    for layer in reversed(config.layers):
        for key in layer:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    for key in keys:
        d = DEFINITIONS.get(key)
        if d is not None and (d.deprecated or not d.env_export):
            continue
        value = config.get_js(key)
        if _same(defaults.get(key, _UNSET), value):
            # the default: only needs exporting if the environment said otherwise
            if not _same(_env_chain_value(config, key), value):
                _set(env, key, value)
        elif not (key in env_layer and key not in cli):
            _set(env, key, value)
    env["HOME"] = config.home
    env["npm_config_global_prefix"] = config.global_prefix_str
    env["npm_config_local_prefix"] = config.local_prefix_str
    # npm reads these through the cli layer's prototype chain: the effective value, whatever its layer
    editor = config.get_js("editor")
    if editor:
        env["EDITOR"] = js_string(editor)
    node_options = config.get_js("node-options")
    if node_options:
        env["NODE_OPTIONS"] = js_string(node_options)
    env["npm_config_node_gyp"] = js_string(config.get_js("node-gyp"))
    npm_version = config.get("npm-version")
    env["npm_config_npm_version"] = js_string(npm_version) if npm_version else "unknown"
    env["npm_execpath"] = config.npm_bin
    env["NODE"] = env["npm_node_execpath"] = config.exec_path
    return env


def _env_chain_value(config: Config, key: str) -> ConfigValue:
    """`envData[key]`: the value seen from the env layer downwards."""
    for layer in reversed(config.layers[: config.layers.index(config.layer("env")) + 1]):
        if key in layer:
            return layer.get(key)
    return _UNSET


_UNSET: ConfigValue = JsUndefined()
