"""The Config object: npm's seven config layers, loaded and merged exactly as @npmcli/config does.

Precedence, highest first: cli > env > project > user > global > builtin > default. Load order is
npm's: defaults (global prefix from $PREFIX or node's location), builtin (`npmrc` of the npm next
to node), cli, env, then the project file (skipped in global mode), then the user file found with
the merged `userconfig`, then the global file found with the merged `globalconfig` (by default
`<prefix>/etc/npmrc`, computed lazily from the effective prefix).

Warnings are collected, not printed: `log_entries` keeps npm's order (what npm logs at once while
loading and validating first, then the "unknown config" warnings npm queues until the command
starts). Saving rewrites a layer with `ini.stringify` of its raw values, mode 0600 for the user
file and 0666 for the others, and deletes a file whose layer became empty, as npm does.

Size: @npmcli/config's class: loading, precedence, setting and validating share the layers;
definitions, types, set_envs, flattening and problems already live in their own modules.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from snpm import NPM_VERSION
from snpm.config import npmrc
from snpm.config.argv import ParsedArgv, parse_argv
from snpm.config.credentials import nerf_dart
from snpm.config.definitions import (
    DEFINITIONS,
    INTERNAL_ENV,
    NERF_DARTS,
    SHORTHANDS,
    TYPE_KEYS,
    find_node,
    node_arch,
    node_version,
    process_defaults,
    static_type_of,
    type_of,
    without_locale_coercion,
)
from snpm.config.fields import FieldContext, env_replace, parse_field
from snpm.config.flatten import Flat, FlattenContext, flatten_layers
from snpm.config.layer import FILE_WHERES, WHERES, Layer, LayerMapping
from snpm.config.local_prefix import find_local_prefix
from snpm.config.problems import AuthProblem, InvalidAuthError, LogEntry, find_auth_problems
from snpm.config.types import TypeSpec, clean, invalid_warnings, js_path_resolve
from snpm.config.values import UNDEFINED, ConfigValue, JsUndefined
from snpm.errors import ConfigError

_NON_ASCII_DASH = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"


class Config:
    """npm's configuration. Create with `load_config`; then read with `get`, `find`, `flat`."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | str,
        node: str | None = None,
        npm_path: str | None = None,
        npm_bin: str | None = None,
        stdout_tty: bool | None = None,
        stderr_tty: bool | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env: dict[str, str] = without_locale_coercion(env)
        self.cwd = str(cwd)
        self.exec_path = node or find_node(self.env)
        # npm's own folder: its builtin `npmrc` lives there (snpm reads the npm installed next to node)
        self.npm_path = npm_path or os.path.join(
            os.path.dirname(os.path.dirname(self.exec_path)), "lib", "node_modules", "npm"
        )
        self.npm_bin = npm_bin or os.path.realpath(sys.argv[0] if sys.argv and sys.argv[0] else "snpm")
        self.stdout_tty = sys.stdout.isatty() if stdout_tty is None else stdout_tty
        self.stderr_tty = sys.stderr.isatty() if stderr_tty is None else stderr_tty
        self.layers: list[Layer] = [Layer(w, self._lazy_globalconfig) for w in WHERES]
        self._by_where = {layer.where: layer for layer in self.layers}
        self.sources: dict[str, str] = {}
        self.home: str = ""
        self.global_prefix_str: str = ""
        self.local_prefix_str: str = ""
        self.local_package: bool | None = None
        self.parsed_argv = ParsedArgv()
        self.loaded = False
        self._log: list[LogEntry] = []
        self._taken: set[int] = set()
        self._removed: set[int] = set()
        self._flat: Flat | None = None
        self._effects: dict[str, str] = {}
        self._field_ctx = FieldContext(home=None, cwd=self.cwd, env=self.env)
        # the definitions' own defaults (npm's `config.defaults`), which setEnvs compares against
        self.definition_defaults: dict[str, ConfigValue] = {}
        self._exported: dict[str, str] = {}

    # ── logging ──

    def _emit(self, level: str, title: str, message: str = "") -> None:
        self._log.append(LogEntry(level, title, message))

    def log_warning(self, title: str, message: str = "") -> None:
        self._emit("warn", title, message)

    def log_info(self, title: str, message: str = "") -> None:
        self._emit("info", title, message)

    def log_error(self, title: str, message: str = "") -> None:
        self._emit("error", title, message)

    def _queue(self, kind: str, message: str) -> None:
        self._log.append(LogEntry("warn", message, "", queued=kind))

    @property
    def log_entries(self) -> list[LogEntry]:
        """Everything to log, in npm's order: immediate lines first, then the queued warnings."""
        kept = [e for i, e in enumerate(self._log) if i not in self._removed]
        return [e for e in kept if e.queued is None] + [e for e in kept if e.queued is not None]

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """The `npm warn <title> <message>` lines (a subset of log_entries), in npm's order."""
        return [(e.title, e.message) for e in self.log_entries if e.level == "warn"]

    def log_mark(self) -> int:
        """A position in the log; `log_since(mark)` gives what was logged after it (for commands)."""
        return len(self._log)

    def log_since(self, mark: int) -> list[LogEntry]:
        return [e for i, e in enumerate(self._log[mark:], start=mark) if i not in self._removed]

    def take_since(self, mark: int) -> list[LogEntry]:
        """`log_since(mark)`, marking those entries taken (what a command prints itself)."""
        out = []
        for index in range(mark, len(self._log)):
            if index not in self._removed and index not in self._taken:
                self._taken.add(index)
                out.append(self._log[index])
        return out

    def take_log(self, *, include_queued: bool = False) -> list[LogEntry]:
        """The entries not yet taken, for printing in npm's order.

        Call it after loading, again after `validate()` (also when it raised), and with
        `include_queued=True` just before the command runs (npm's logWarnings); commands call it
        after each operation. Queued warnings stay back until then, as npm holds them.
        """
        out: list[LogEntry] = []
        for index, entry in enumerate(self._log):
            if index in self._taken or index in self._removed:
                continue
            if entry.queued is not None and not include_queued:
                continue
            self._taken.add(index)
            out.append(entry)
        if include_queued:
            # npm prints what it queued after everything logged at once
            out.sort(key=lambda e: e.queued is not None)
        return out

    def remove_warning(self, kind: str) -> None:
        """Drop a queued warning (new-style commands consume the positional it warned about)."""
        for index, entry in enumerate(self._log):
            if entry.queued == kind:
                self._removed.add(index)

    def unknown_positionals(self) -> list[str]:
        return [
            e.queued[len("unknown:") :]
            for i, e in enumerate(self._log)
            if e.queued and e.queued.startswith("unknown:") and i not in self._removed
        ]

    # ── reading ──

    def _layer(self, where: str) -> Layer:
        layer = self._by_where.get(where)
        if layer is None:
            raise ValueError(f"invalid config location param: {where}")
        return layer

    def get_js(self, key: str, where: str | None = None) -> ConfigValue:
        """npm's `config.get(key, where)` with JS's `undefined` kept (for `npm config get`)."""
        if where is not None:
            layer = self._layer(where)
            return layer.get(key) if key in layer else UNDEFINED
        for layer in reversed(self.layers):
            if key in layer:
                return layer.get(key)
        return UNDEFINED

    def get(self, key: str, where: str | None = None) -> ConfigValue:
        """The effective value (or that layer's own); None when unset."""
        value = self.get_js(key, where)
        return None if isinstance(value, JsUndefined) else value

    def find(self, key: str) -> str | None:
        """The layer the effective value comes from."""
        for layer in reversed(self.layers):
            if key in layer:
                return layer.where
        return None

    def is_default(self, key: str) -> bool:
        return key in self.layers[0] and all(key not in layer for layer in self.layers[1:])

    def layer(self, where: str) -> Layer:
        return self._layer(where)

    @property
    def remain(self) -> list[str]:
        return list(self.parsed_argv.remain)

    @property
    def is_global(self) -> bool:
        return bool(self.get("global")) or self.get("location") == "global"

    @property
    def local_prefix(self) -> Path:
        return Path(self.local_prefix_str)

    @property
    def global_prefix(self) -> Path:
        return Path(self.global_prefix_str)

    @property
    def prefix(self) -> Path:
        return self.global_prefix if self.is_global else self.local_prefix

    def _lazy_globalconfig(self) -> ConfigValue:
        return js_path_resolve(self.cwd, str(self.get("prefix")), "etc/npmrc")

    # ── writing ──

    def _assign(self, layer: Layer, key: str, value: ConfigValue) -> None:
        """JS `layer.data[key] = value`. The default layer's `globalconfig` is an accessor whose
        setter redefines it on the default layer, so the first layer to assign it (in load order)
        really sets the default: `globalconfig` in ~/.npmrc does move the global config file."""
        if key == "globalconfig" and key not in layer:
            index = self.layers.index(layer)
            for lower in reversed(self.layers[:index]):
                if key in lower:
                    if lower.is_lazy(key):
                        layer = lower
                    break
        layer.put(key, value)

    def set(self, key: str, value: ConfigValue, where: str = "cli") -> None:
        layer = self._layer(where)
        self._check_deprecated(key)
        self._assign(layer, key, value)
        if where in FILE_WHERES:
            layer.raw[key] = value
        layer.valid = None
        self._flat = None

    def delete(self, key: str, where: str = "cli") -> None:
        layer = self._layer(where)
        layer.remove(key)
        if where in FILE_WHERES:
            layer.raw.pop(key, None)

    def save(self, where: str) -> None:
        """Write a file layer back with ini.stringify of its raw values (npm's `config.save`)."""
        if where not in FILE_WHERES:
            raise ValueError(f"invalid config location param: {where}")
        layer = self._layer(where)
        layer.load_error = None
        if where == "user":
            nerfed = nerf_dart(str(self.get("registry")))
            email = self.get(f"{nerfed}:email", "user")
            if email:
                self.delete(f"{nerfed}:email", "user")
                self.set("email", email, "user")
        text = npmrc.encode(layer.raw).strip() + "\n"
        source = layer.source or ""
        if not text.strip():
            with contextlib.suppress(OSError):
                os.unlink(source)
            return
        os.makedirs(os.path.dirname(source) or ".", exist_ok=True)
        with open(source, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(source, 0o600 if where == "user" else 0o666)

    # ── validation ──

    def validate_layer(self, where: str) -> bool:
        """nopt-clean one layer, logging npm's `invalid config` warnings; False if anything was invalid."""
        layer = self._layer(where)
        layer.valid = True
        source = layer.source or ""

        def on_invalid(key: str, value: ConfigValue, spec: TypeSpec | None) -> None:
            for title, message in invalid_warnings(key, value, spec, source):
                self._emit("warn", title, message)
            layer.valid = False

        clean(LayerMapping(layer), type_of, on_invalid, home=self.home, cwd=self.cwd)
        return bool(layer.valid)

    def auth_problems(self, where: str) -> list[AuthProblem]:
        """Top-level auth keys in one file layer that npm 11 refuses (validate's second half)."""
        return find_auth_problems(self.get, nerf_dart(str(self.get("registry"))), where)

    def validate(self) -> None:
        """npm's `config.validate()`: clean env and file layers (warnings), then refuse top-level auth."""
        problems: list[AuthProblem] = []
        for where in WHERES:
            if where in ("default", "builtin", "cli"):
                continue
            self.validate_layer(where)
            if where in FILE_WHERES:
                problems.extend(self.auth_problems(where))
        if problems:
            raise InvalidAuthError(problems)

    @property
    def valid(self) -> bool:
        for layer in self.layers:
            if layer.valid is False or (layer.valid is None and not self.validate_layer(layer.where)):
                return False
        return True

    def repair(self, problems: list[AuthProblem] | None = None) -> None:
        """Fix what validate() found: delete or rename top-level auth keys (npm's `config.repair`)."""
        if problems is None:
            try:
                self.validate()
                problems = []
            except InvalidAuthError as err:
                problems = err.problems
        for problem in problems:
            if problem.action == "delete":
                self.delete(problem.key, problem.where)
            elif problem.action == "rename":
                raw = self._layer(problem.where).raw.get(problem.key)
                calculated = self.get(problem.key, problem.where)
                self.set(problem.to, raw if raw else calculated, problem.where)
                self.delete(problem.key, problem.where)

    # ── unknown and deprecated keys ──

    def _check_deprecated(self, key: str) -> None:
        d = DEFINITIONS.get(key)
        if d is not None and d.deprecation_warning:
            self._emit("warn", "config", f"{key} {d.deprecation_warning}")

    def check_unknown(self, where: str, key: str, *, queue: bool = True) -> None:
        """Warn about a key that is no setting (the part after the last `:` for scoped/nerfed keys)."""
        if key in DEFINITIONS or key in INTERNAL_ENV:
            return
        hint = " See `npm help npmrc` for supported config options." if where != "cli" else ""
        dashes = "--" if where == "cli" else ""
        if ":" not in key:
            kind = key
            message = f'Unknown {where} config "{dashes}{key}". This will stop working in the next major version of npm.{hint}'
        else:
            base = key.split(":")[-1]
            if base in DEFINITIONS or base in NERF_DARTS:
                return
            kind = base
            message = f'Unknown {where} config "{base}" ({key}). This will stop working in the next major version of npm.{hint}'
        if queue:
            self._queue(kind, message)
        else:
            self._emit("warn", message)

    # ── loading ──

    def load(self) -> None:
        if self.loaded:
            raise RuntimeError("attempting to load npm config multiple times")
        self._load_defaults()
        self._load_file(os.path.join(self.npm_path, "npmrc"), "builtin")
        self._load_cli()
        self._load_env()
        self._load_project()
        self._load_file(str(self.get("userconfig")), "user")
        self._load_file(str(self.get("globalconfig")), "global")
        self.loaded = True
        self.global_prefix_str = str(self.get("prefix"))
        # npm runs setEnvs here, before anything flattens or changes the layers
        from snpm.config.set_envs import set_envs

        self._exported = set_envs(self)

    def _load_defaults(self) -> None:
        env = self.env
        if env.get("PREFIX"):
            self.global_prefix_str = env["PREFIX"]
        else:
            self.global_prefix_str = os.path.dirname(os.path.dirname(self.exec_path))
            if env.get("DESTDIR"):
                self.global_prefix_str = os.path.join(env["DESTDIR"], self.global_prefix_str.lstrip("/"))
        self.home = env.get("HOME") or os.path.expanduser("~")
        self._field_ctx = FieldContext(home=self.home, cwd=self.cwd, env=self.env)
        defaults = process_defaults(
            env, node=self.exec_path, stdout_tty=self.stdout_tty, stderr_tty=self.stderr_tty
        )
        self.definition_defaults = dict(defaults)
        defaults["prefix"] = self.global_prefix_str
        defaults["npm-version"] = NPM_VERSION
        self._load_object(defaults, "default", "default values")
        self.layers[0].put_lazy_globalconfig()

    def _load_cli(self) -> None:
        for short in SHORTHANDS:
            if len(short) > 1 and f"-{short}" in self.argv:
                self._emit(
                    "warn",
                    f"-{short} is not a valid single-hyphen cli flag and will be removed in the future",
                )
        parsed = parse_argv(
            self.argv,
            type_of,
            TYPE_KEYS,
            SHORTHANDS,
            on_abbrev=lambda short, long: self._emit(
                "warn",
                f"Expanding --{short} to --{long}. This will stop working in the next major version of npm.",
            ),
            on_unknown=self._unknown_flag,
        )
        cli_layer = self._layer("cli")

        def on_invalid(key: str, value: ConfigValue, spec: TypeSpec | None) -> None:
            for title, message in invalid_warnings(key, value, spec, "command line options"):
                self._emit("warn", title, message)
            cli_layer.valid = False

        clean(parsed.data, type_of, on_invalid, home=self.home, cwd=self.cwd)
        self.parsed_argv = parsed
        self._load_object(parsed.data, "cli", "command line options")

    def _unknown_flag(self, key: str, next_word: str | None) -> None:
        if next_word:
            self._queue(
                f"unknown:{next_word}", f'"{next_word}" is being parsed as a normal command line argument.'
            )

    def _load_env(self) -> None:
        conf: dict[str, ConfigValue] = {}
        for env_key, env_val in self.env.items():
            if env_key[:11].lower() != "npm_config_" or env_val == "":
                continue
            key = env_key[11:]
            if not key.startswith("//"):
                key = (key[:1] + key[1:].replace("_", "-")).lower()
            conf[key] = env_val
        self._load_object(conf, "env", "environment")

    def _load_project(self) -> None:
        cli_prefix = self.get_js("prefix", "cli")
        if cli_prefix and not isinstance(cli_prefix, JsUndefined):
            self.local_prefix_str = str(cli_prefix)
        else:
            found = find_local_prefix(
                self.cwd,
                cli_workspaces_off=self.get_js("workspaces", "cli") is False,
                is_global=bool(self.get("global")) or self.get("location") == "global",
            )
            self.local_prefix_str = found.path
            self.local_package = found.has_package_json
            if found.workspace is not None:
                if os.path.isfile(os.path.join(found.workspace, ".npmrc")):
                    self._emit("warn", "config", f"ignoring workspace config at {found.workspace}/.npmrc")
                self.layers[0].put("workspace", [found.workspace])
                self._emit("info", "config", f"found workspace root at {found.path}")
        if self.local_package is None:
            self.local_package = os.path.isfile(os.path.join(self.local_prefix_str, "package.json"))
        project = self._layer("project")
        if self.get("global") is True or self.get("location") == "global":
            project.source = "(global mode enabled, ignored)"
            self.sources[project.source] = "project"
            return
        project_file = js_path_resolve(self.cwd, self.local_prefix_str, ".npmrc")
        if project_file != self.get("userconfig"):
            self._load_file(project_file, "project")
        else:
            project.source = '(same as "user" config, ignored)'
            self.sources[project.source] = "project"

    def _load_file(self, file: str, where: str) -> None:
        self._emit("silly", "config", f"load:file:{file}")
        try:
            with open(file, encoding="utf-8") as f:
                text = f.read()
        except OSError as err:
            self._load_object(None, where, file, err)
            return
        parsed = npmrc.decode(text)
        if where == "project" and parsed.get("prefix"):
            self._emit("error", "config", f"prefix cannot be changed from project config: {file}.")
        self._load_object(parsed, where, file)

    def _load_object(
        self, obj: dict[str, ConfigValue] | None, where: str, source: str, error: OSError | None = None
    ) -> None:
        layer = self._layer(where)
        if layer.source:
            raise RuntimeError(
                f'double-loading "{where}" configs from {source}, previously loaded from {layer.source}'
            )
        if source in self.sources:
            raise RuntimeError(
                f'double-loading config "{source}" as "{where}", previously loaded as "{self.sources[source]}"'
            )
        layer.source = source
        self.sources[source] = where
        if error is not None or obj is None:
            layer.load_error = error
            if error is not None and not isinstance(error, FileNotFoundError):
                self._emit("verbose", "config", f"error loading {where} config {error}")
            return
        layer.raw = obj
        cli_layer = self._layer("cli")
        for key, value in list(obj.items()):
            k = env_replace(key, self.env)
            v = parse_field(value, static_type_of(k), self._field_ctx)
            if where != "default":
                self._check_deprecated(k)
                d = DEFINITIONS.get(key)
                if (
                    d is not None
                    and d.exclusive
                    and self._exclusive_clash(key, d.exclusive, where, cli_layer)
                ):
                    continue
            if where != "default" or key == "npm-version":
                self.check_unknown(where, key)
            self._assign(layer, k, v)

    def _exclusive_clash(self, key: str, partners: tuple[str, ...], where: str, cli_layer: Layer) -> bool:
        """True to skip an env value whose partner was given on the cli; raises for other clashes."""
        for partner in partners:
            if not self.is_default(partner):
                if where == "env" and partner in cli_layer:
                    return True
                raise ConfigError(
                    f"--{key} cannot be provided when using --{partner}", extra={"phase": "load"}
                )
        return False

    # ── derived values ──

    def flatten_context(self) -> FlattenContext:
        return FlattenContext(
            stdout_tty=self.stdout_tty,
            stderr_tty=self.stderr_tty,
            env=self.env,
            node_version=node_version(self.exec_path),
            platform=sys.platform,
            arch=node_arch(),
            effects=self._effects,
        )

    @property
    def flat(self) -> Flat:
        """npm's flatOptions (camelCase options for the rest of the program); cached until `set`."""
        if self._flat is None:
            flat = flatten_layers(self.layers, self.flatten_context())
            flat["nodeBin"] = self.exec_path
            flat["npmBin"] = self.npm_bin
            self._flat = flat
        return self._flat

    def export_env(self) -> dict[str, str]:
        """Variables npm puts in its environment for child processes: setEnvs as it ran at the end of
        loading, plus what flattening set (`npm_config_user_agent`, `NODE_ENV=production`)."""
        _ = self.flat
        return {**self._exported, **self._effects}

    @property
    def flatten_effects(self) -> dict[str, str]:
        return dict(self._effects)

    def non_ascii_dash_args(self) -> list[str]:
        """Positional words (after the command) starting with a Unicode dash (entry.js checks these)."""
        return [a for a in self.parsed_argv.remain[1:] if a[:1] and a[0] in _NON_ASCII_DASH]
