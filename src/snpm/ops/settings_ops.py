"""`npm config` as operations: get, set, delete, list (text and JSON), fix, edit.

A port of npm's lib/commands/config.js. Each function works on a loaded Config and returns what
npm would print on stdout (text blocks, or a JSON object); log lines go to the config's log
(`config.log_mark()` / `config.take_since(mark)` give a command what to show). Nothing here
prints. Errors carry npm's exact messages (npm raises plain Errors here, so they have no code).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from snpm.config import DEFINITIONS, NERF_DARTS, Config, InvalidAuthError
from snpm.config.collation import collation_key
from snpm.config.definitions import PROXY_ENV, node_version
from snpm.config.values import ConfigValue, JsUndefined, js_string, json_stringify, to_json
from snpm.errors import ConfigError, SnpmError
from snpm.json_types import JsonObject
from snpm.redact import redact

# the names whose values `config get` refuses and `config list` hides (config.js `protected`)
PROTECTED = ("auth", "authToken", "certfile", "email", "keyfile", "password", "username")

_INT_KEY = re.compile(r"(?:0|[1-9]\d*)")


class OpResult(NamedTuple):
    """What an operation printed: stdout text blocks, each one `output.standard` call."""

    output: list[str]


def is_protected(key: str) -> bool:
    if key.startswith("_") or key in PROTECTED:
        return True
    if key.startswith("//"):
        if ":_" in key:
            return True
        return any(key.endswith((f":{p}", f":_{p}")) for p in PROTECTED)
    return False


def is_private(key: str, value: ConfigValue) -> bool:
    """Protected keys, and values that carry a secret (a password in a URL, an npm token)."""
    return is_protected(key) or (isinstance(value, str) and bool(value) and redact(value) != value)


def display_var(key: str, value: ConfigValue) -> str:
    shown = (
        "(protected)"
        if is_protected(key)
        else json_stringify(redact(value) if isinstance(value, str) else value)
    )
    return f"{key} = {shown}"


def key_values(args: Sequence[str]) -> dict[str, str]:
    """`[k, v, k2=v2, k3, v3]` → {k: v, k2: v2, k3: v3}; a trailing lone key gets ''."""
    kv: dict[str, str] = {}
    i = 0
    while i < len(args):
        key, eq, val = args[i].partition("=")
        if not eq:
            if i < len(args) - 1:
                i += 1
                val = args[i]
            else:
                val = ""
        kv[key.strip()] = val.strip()
        i += 1
    return kv


def target_location(config: Config) -> str:
    """Where set/delete/edit/fix write: the flattened `location` (`-g` makes it `global`)."""
    return js_string(config.flat.get("location"))  # type: ignore[arg-type]


def config_get(config: Config, keys: Sequence[str], *, cwd: str) -> OpResult:
    if not keys:
        return config_list(config, cwd=cwd)
    out: list[str] = []
    for key in keys:
        value = config.get_js(key)
        if is_private(key, value):
            raise ConfigError(f"The {key} option is protected, and cannot be retrieved in this way")
        prefix = f"{key}=" if len(keys) > 1 else ""
        out.append(prefix + js_string(value))
    return OpResult(output=["\n".join(out)])


def config_set(config: Config, args: Sequence[str]) -> OpResult:
    """Set `k=v`/`k v` pairs in the target file; an empty value deletes. Invalid values are kept."""
    where = target_location(config)
    for key, val in key_values(args).items():
        config.log_info(
            "config", f"set {json.dumps(key, ensure_ascii=False)} {json.dumps(val, ensure_ascii=False)}"
        )
        base = key.split(":")[-1]
        definition = DEFINITIONS.get(base)
        if definition is None and base not in NERF_DARTS:
            raise ConfigError(f"`{base}` is not a valid npm option")
        if definition is not None and definition.deprecated:
            raise ConfigError(
                f"The `{base}` option is deprecated, and cannot be set in this way{definition.deprecated}"
            )
        if val == "":
            config.delete(key, where)
        else:
            config.set(key, val, where)
        if not config.validate_layer(where):
            config.log_warning("config", "omitting invalid config values")
    config.save(where)
    return OpResult([])


def config_delete(config: Config, keys: Sequence[str]) -> OpResult:
    where = target_location(config)
    for key in keys:
        config.delete(key, where)
    config.save(where)
    return OpResult([])


def config_fix(config: Config) -> OpResult:
    """Repair top-level auth keys (rename to the registry's nerf dart, or delete) and save."""
    try:
        config.validate()
        return OpResult([])
    except InvalidAuthError as err:
        problems = err.problems
    if not config.is_default("location"):
        location = config.get("location")
        problems = [p for p in problems if p.where == location]
    config.repair(problems)
    lines: list[str] = []
    locations: list[str] = []
    for p in problems:
        locations.append(p.where)
        if p.action == "rename":
            lines.append(f"~ `{p.key}` renamed to `{p.to}` in {p.where} config")
        else:
            lines.append(f"- `{p.key}` deleted from {p.where} config")
    result = OpResult(output=["The following configuration problems have been repaired:\n", "\n".join(lines)])
    for location in locations:
        config.save(location)
    return result


def _own_key_order(keys: list[str]) -> list[str]:
    """JS own-property order: integer-like keys ascending first, then the rest as inserted."""
    ints = sorted((k for k in keys if _INT_KEY.fullmatch(k) and int(k) < 2**32 - 1), key=int)
    return ints + [k for k in keys if k not in set(ints)]


def _read_publish_config(prefix: str) -> Mapping[str, object] | None:
    try:
        with open(os.path.join(prefix, "package.json"), encoding="utf-8") as f:
            content = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict):
        return None
    publish = content.get("publishConfig")
    return publish if isinstance(publish, dict) and publish else None


def _from_json(value: object) -> ConfigValue:
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _from_json(v) for k, v in value.items()}
    return value  # type: ignore[return-value]


def config_list(config: Config, *, cwd: str) -> OpResult:
    """`npm config list` (`-l` adds the defaults): every layer's own values, lowest layer first."""
    result = OpResult([])
    msg: list[str] = []
    long = bool(config.get("long"))
    for layer in config.layers:
        if layer.where == "default" and not long:
            continue
        entries = sorted(layer.items(), key=lambda kv: collation_key(kv[0]))
        if not entries:
            continue
        msg.extend([f'; "{layer.where}" config from {layer.source}', ""])
        for key, value in entries:
            display = display_var(key, value)
            src = config.find(key)
            msg.append(display if src == layer.where else f"; {display} ; overridden by {src}")
        msg.append("")
    if not long:
        env_vars: list[str] = []
        found: set[str] = set()
        for key, value in config.env.items():
            lower = key.lower()
            if lower in PROXY_ENV and lower not in found:
                found.add(lower)
                env_vars.append(f"; {key} = {json.dumps(value, ensure_ascii=False)}")
        if env_vars:
            msg.extend(["; environment-related config", ""])
            msg.extend(env_vars)
            msg.append("")
        msg.extend(
            [
                f"; node bin location = {config.exec_path}",
                f"; node version = {node_version(config.exec_path)}",
                f"; npm local prefix = {config.local_prefix_str}",
                f"; npm version = {config.get('npm-version')}",
                f"; cwd = {cwd}",
                f"; HOME = {config.home}",
                "; Run `npm config ls -l` to show all defaults.",
            ]
        )
        msg.append("")
    if not config.is_global:
        prefix = str(config.prefix)
        publish = _read_publish_config(prefix)
        if publish is not None:
            for key in publish:
                config.check_unknown("publishConfig", key, queue=False)
            msg.append(f'; "publishConfig" from {os.path.join(prefix, "package.json")}')
            msg.extend(["; This set of config values will be used at publish-time.", ""])
            for key in sorted(publish, key=collation_key):
                msg.append(display_var(key, _from_json(publish[key])))
            msg.append("")
    result.output.append("\n".join(msg).strip())
    return result


def config_list_json(config: Config) -> JsonObject:
    """`npm config list --json`: every effective key (defaults included) except private ones."""
    keys: list[str] = []
    seen: set[str] = set()
    for layer in reversed(config.layers):
        for key in _own_key_order(layer.keys()):
            if key not in seen:
                seen.add(key)
                keys.append(key)
    public: JsonObject = {}
    for key in keys:
        value = config.get_js(key)
        if is_private(key, value) or isinstance(value, JsUndefined):
            continue
        public[key] = to_json(value)
    return public


_EDIT_HEADER = """;;;;
; npm {where}config file: {file}
; this is a simple ini-formatted file
; lines that start with semi-colons are comments
; run `npm help 7 config` for documentation of the various options
;
; Configs like `@scope:registry` map a scope to a given registry url.
;
; Configs like `//<hostname>/:_authToken` are auth that is restricted
; to the registry host specified.

{data}

;;;;
; all available options shown below with default values
;;;;

{defaults}
"""


def config_edit(config: Config) -> None:
    """Write the target file with npm's commented header and every default, then run the editor on it."""
    from snpm.config import npmrc

    editor = js_string(config.get("editor"))
    where = target_location(config)
    file = config.layer(where).source or ""
    config.save(where)
    try:
        with open(file, encoding="utf-8") as f:
            data = f.read().replace("\r\n", "\n")
    except OSError:
        data = ""
    defaults_text = ""
    for key, value in config.definition_defaults.items():
        text = npmrc.encode({key: value}).replace("\r\n", "\n")
        text = re.sub(r"\n$", "", text, count=1)
        defaults_text += "\n" + "; " + text.replace("\n", "\n; ")
    body = "\n".join(sorted(data.split("\n"), key=collation_key)).strip()
    os.makedirs(os.path.dirname(file) or ".", exist_ok=True)
    with open(file, "w", encoding="utf-8") as f:
        f.write(_EDIT_HEADER.format(where=where, file=file, data=body, defaults=defaults_text))
    command = editor.split()
    code = subprocess.run([*command, file], check=False).returncode
    if code:
        raise SnpmError(f"editor process exited with code: {code}")


__all__ = [
    "OpResult",
    "config_delete",
    "config_edit",
    "config_fix",
    "config_get",
    "config_list",
    "config_list_json",
    "config_set",
    "display_var",
    "is_private",
    "is_protected",
    "key_values",
    "target_location",
]
