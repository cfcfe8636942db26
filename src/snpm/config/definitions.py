"""THE table of npm 11.19.1 settings: every key with its nopt type, default, short flags, usage,
deprecation text, environment export and exclusive group (from @npmcli/config
lib/definitions/definitions.js), plus npm's shorthand table and the defaults npm computes from
the process (editor, shell, unicode, color, progress, omit, node-gyp, prefix, local addresses).

The table is validated when this module is imported (unknown exclusive partners, duplicate short
flags, shorthands to unknown keys and missing descriptions fail at import). Help texts live in
`snpm.config.descriptions`. How values are flattened into options is in `snpm.config.flatten`.

Size: a data table (every npm setting) and its import-time validation; split by letter it would
only be scattered.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from snpm.config.ci import detect_ci
from snpm.config.descriptions import DESCRIPTIONS
from snpm.config.types import T, TypeAtom, TypeSpec
from snpm.config.values import ConfigValue, js_string, json_stringify
from snpm.npm_registry import NPM_PUBLIC_REGISTRY


class Definition(NamedTuple):
    """One setting. `flatten` names its flattener in snpm.config.flatten ("camel" = copy as camelCase)."""

    key: str
    type: TypeSpec
    default: ConfigValue
    flatten: str | None = "camel"
    short: tuple[str, ...] = ()
    hint: str = ""
    usage: str = ""
    deprecated: str | None = None
    env_export: bool = True
    exclusive: tuple[str, ...] = ()
    default_description: str = ""
    type_description: str = ""
    description: str = ""

    @property
    def deprecation_warning(self) -> str | None:
        """The text npm logs as `npm warn config <key> <text>` (first indented newline collapsed)."""
        if not self.deprecated:
            return None
        return re.sub(r"\n +", "\n", self.deprecated.strip(), count=1)


def _d(
    key: str,
    type_: TypeSpec,
    default: ConfigValue,
    *,
    flatten: str | None = "camel",
    short: tuple[str, ...] = (),
    hint: str = "",
    usage: str = "",
    deprecated: str | None = None,
    env_export: bool = True,
    exclusive: tuple[str, ...] = (),
    default_description: str = "",
    type_description: str = "",
) -> Definition:
    """Build a Definition, deriving hint, usage and descriptions the way definition.js does."""
    if not hint:
        hint = "<number>" if type_ is T.NUMBER else f"<{key}>"
    return Definition(
        key=key,
        type=type_,
        default=default,
        flatten=flatten,
        short=short,
        hint=hint,
        usage=usage or _usage(key, type_, default, short, hint),
        deprecated=deprecated,
        env_export=env_export,
        exclusive=exclusive,
        default_description=default_description or describe_value(default),
        type_description=type_description or describe_type(type_),
        description=DESCRIPTIONS.get(key, ""),
    )


def describe_value(value: ConfigValue) -> str:
    """definition.js describeValue: strings quoted, everything else String()."""
    return json_stringify(value) if isinstance(value, str) else js_string(value)


_TYPE_WORDS = {
    T.STRING: "String",
    T.NUMBER: "Number",
    T.UMASK: "Octal numeric string in range 0000..0777 (0..511)",
    T.BOOLEAN: "Boolean",
    T.DATE: "Date",
    T.PATH: "Path",
    T.SEMVER: "SemVer string",
    T.URL: "URL",
}


def describe_type(spec: TypeSpec) -> str:
    """definition.js describeType: `a, b, or c (can be set multiple times)`."""
    if isinstance(spec, tuple):
        descriptions = [describe_type(t) for t in spec if t is not T.ARRAY]
        last = [descriptions.pop()] if len(descriptions) > 1 else []
        oxford = ", or " if len(descriptions) > 1 else " or "
        words = oxford.join([", ".join(descriptions), *last])
        multiple = " (can be set multiple times)" if T.ARRAY in spec else ""
        return words + multiple
    if isinstance(spec, T) and spec in _TYPE_WORDS:
        return _TYPE_WORDS[spec]
    return describe_value(spec if not isinstance(spec, T) else spec.value)


def describe_usage(d: Definition) -> str:
    """definition.js describeUsage: the `[--flag <hint>]` text used in command usage."""
    return _usage(d.key, d.type, d.default, d.short, d.hint)


def _usage(name: str, type_: TypeSpec, default: ConfigValue, shorts: tuple[str, ...], hint: str) -> str:
    short = ",".join(shorts)
    if not isinstance(type_, tuple):
        key = f"-{short}|" if short else ""
        if type_ is T.BOOLEAN and default is not False:
            key = f"{key}--no-{name}"
        else:
            key = f"{key}--{name}"
        if type_ is not T.BOOLEAN:
            key = f"{key} {hint}"
        return key
    key = f"-{short}|--{name}" if short else f"--{name}"
    multiple = T.ARRAY in type_
    boolean = T.BOOLEAN in type_
    rest: list[TypeAtom] = [t for t in type_ if t is not None and t is not T.ARRAY and t is not T.BOOLEAN]
    if not rest:
        return key
    if all(isinstance(t, str) for t in rest):
        description = "<" + "|".join(str(t) for t in rest if t) + ">"
    else:
        description = hint
    if boolean:
        key = f"--no-{name}|{key}"
    usage = f"{key} {description}"
    return f"{usage} [{usage} ...]" if multiple else usage


REGISTRY_DEFAULT_KEY = "registry"

# fmt: off
_TABLE: tuple[Definition, ...] = (
    _d("_auth", (None, T.STRING), None),
    _d("access", (None, "restricted", "public", "private"), None, flatten="access", default_description="""
    'public' for new packages, existing packages it will not change the current level
  """),
    _d("all", T.BOOLEAN, False, short=("a",)),
    _d("allow-same-version", T.BOOLEAN, False),
    _d("allow-directory", ("all", "none", "root"), "all"),
    _d("allow-file", ("all", "none", "root"), "all"),
    _d("allow-git", ("all", "none", "root"), "all"),
    _d("allow-remote", ("all", "none", "root"), "all"),
    _d("allow-scripts", (T.STRING, T.ARRAY), "", flatten="allow-scripts", hint="<package-list>"),
    _d("also", (None, "dev", "development"), None, flatten="also", deprecated="Please use --include=dev instead."),
    _d("audit", T.BOOLEAN, True),
    _d("audit-level", (None, "info", "low", "moderate", "high", "critical", "none"), None),
    _d("auth-type", ("legacy", "web"), "web"),
    _d("before", (None, T.DATE), None, hint="<date>"),
    _d("bin-links", T.BOOLEAN, True),
    _d("browser", (None, T.BOOLEAN, T.STRING), None, default_description="""
    macOS: `"open"`, Windows: `"start"`, Others: `"xdg-open"`
    """),
    _d("bypass-2fa", T.BOOLEAN, False),
    _d("ca", (None, T.STRING, T.ARRAY), None),
    _d("cache", T.PATH, "~/.npm", flatten="cache", default_description="""
      Windows: `%LocalAppData%\\npm-cache`, Posix: `~/.npm`
    """),
    _d("cache-max", T.NUMBER, math.inf, flatten="cache-max", deprecated="""
      This option has been deprecated in favor of `--prefer-online`
    """),
    _d("cache-min", T.NUMBER, 0, flatten="cache-min", deprecated="""
      This option has been deprecated in favor of `--prefer-offline`.
    """),
    _d("cafile", T.PATH, None, flatten="cafile"),
    _d("call", T.STRING, "", short=("c",)),
    _d("cert", (None, T.STRING), None, deprecated="""
      `key` and `cert` are no longer used for most registry operations.
      Use registry scoped `keyfile` and `certfile` instead.
      Example:
      //other-registry.tld/:keyfile=/path/to/key.pem
      //other-registry.tld/:certfile=/path/to/cert.crt
    """),
    _d("cidr", (None, T.STRING, T.ARRAY), None),
    _d("color", ("always", T.BOOLEAN), True, flatten="color", usage="--color|--no-color|--color always", default_description="""
      true unless the NO_COLOR environ is set to something other than '0'
    """),
    _d("commit-hooks", T.BOOLEAN, True),
    _d("cpu", (None, T.STRING), None),
    _d("dangerously-allow-all-scripts", T.BOOLEAN, False),
    _d("depth", (None, T.NUMBER), None, default_description="""
      `Infinity` if `--all` is set; otherwise, `0`
    """),
    _d("description", T.BOOLEAN, True, flatten="description", usage="--no-description"),
    _d("dev", T.BOOLEAN, False, flatten="dev", deprecated="Please use --include=dev instead."),
    _d("diff", (T.STRING, T.ARRAY), [], hint="<package-spec>"),
    _d("diff-ignore-all-space", T.BOOLEAN, False),
    _d("diff-name-only", T.BOOLEAN, False),
    _d("diff-no-prefix", T.BOOLEAN, False),
    _d("diff-dst-prefix", T.STRING, "b/", hint="<path>"),
    _d("diff-src-prefix", T.STRING, "a/", hint="<path>"),
    _d("diff-text", T.BOOLEAN, False),
    _d("diff-unified", T.NUMBER, 3),
    _d("dry-run", T.BOOLEAN, False),
    _d("editor", T.STRING, "vi", default_description="""
      The EDITOR or VISUAL environment variables, or '%SYSTEMROOT%\\notepad.exe' on Windows,
      or 'vi' on Unix systems
    """),
    _d("engine-strict", T.BOOLEAN, False),
    _d("expect-result-count", (None, T.NUMBER), None, flatten=None, hint="<count>", exclusive=("expect-results",)),
    _d("expect-results", (None, T.BOOLEAN), None, flatten=None, exclusive=("expect-result-count",)),
    _d("expires", (None, T.NUMBER), None),
    _d("fetch-retries", T.NUMBER, 2, flatten="fetch-retries"),
    _d("fetch-retry-factor", T.NUMBER, 10, flatten="fetch-retry-factor"),
    _d("fetch-retry-maxtimeout", T.NUMBER, 60000, flatten="fetch-retry-maxtimeout", default_description="60000 (1 minute)"),
    _d("fetch-retry-mintimeout", T.NUMBER, 10000, flatten="fetch-retry-mintimeout", default_description="10000 (10 seconds)"),
    _d("fetch-timeout", T.NUMBER, 300000, flatten="fetch-timeout", default_description="300000 (5 minutes)"),
    _d("force", T.BOOLEAN, False, short=("f",)),
    _d("foreground-scripts", T.BOOLEAN, False, default_description="""`false` unless when using `npm pack` or `npm publish` where it
    defaults to `true`"""),
    _d("format-package-lock", T.BOOLEAN, True),
    _d("fund", T.BOOLEAN, True),
    _d("git", T.STRING, "git"),
    _d("git-tag-version", T.BOOLEAN, True),
    _d("global", T.BOOLEAN, False, flatten="global", short=("g",)),
    _d("globalconfig", T.PATH, "", default_description="""
      The global --prefix setting plus 'etc/npmrc'. For example,
      '/usr/local/etc/npmrc'
    """),
    _d("global-style", T.BOOLEAN, False, flatten="global-style", deprecated="""
      This option has been deprecated in favor of `--install-strategy=shallow`
    """),
    _d("heading", T.STRING, "npm"),
    _d("https-proxy", (None, T.URL), None),
    _d("if-present", T.BOOLEAN, False, env_export=False),
    _d("ignore-scripts", T.BOOLEAN, False),
    _d("include", (T.ARRAY, "prod", "dev", "optional", "peer"), [], flatten="include"),
    _d("include-staged", T.BOOLEAN, False),
    _d("include-workspace-root", T.BOOLEAN, False, env_export=False),
    _d("include-attestations", T.BOOLEAN, False),
    _d("init-author-email", T.STRING, "", flatten=None, hint="<email>"),
    _d("init-author-name", T.STRING, "", flatten=None, hint="<name>"),
    _d("init-author-url", ("", T.URL), "", flatten=None, hint="<url>"),
    _d("init-license", T.STRING, "ISC", flatten=None, hint="<license>"),
    _d("init-module", T.PATH, "~/.npm-init.js", flatten=None, hint="<module>"),
    _d("init-type", T.STRING, "commonjs", flatten=None, hint="<type>"),
    _d("init-version", T.SEMVER, "1.0.0", flatten=None, hint="<version>"),
    _d("init-private", T.BOOLEAN, False),
    _d("init.author.email", T.STRING, "", flatten=None, deprecated="""
      Use `--init-author-email` instead."""),
    _d("init.author.name", T.STRING, "", flatten=None, deprecated="""
      Use `--init-author-name` instead.
    """),
    _d("init.author.url", ("", T.URL), "", flatten=None, deprecated="""
      Use `--init-author-url` instead.
    """),
    _d("init.license", T.STRING, "ISC", flatten=None, deprecated="""
      Use `--init-license` instead.
    """),
    _d("init.module", T.PATH, "~/.npm-init.js", flatten=None, deprecated="""
      Use `--init-module` instead.
    """),
    _d("init.version", T.SEMVER, "1.0.0", flatten=None, deprecated="""
      Use `--init-version` instead.
    """),
    _d("install-links", T.BOOLEAN, False),
    _d("install-strategy", ("hoisted", "nested", "shallow", "linked"), "hoisted"),
    _d("json", T.BOOLEAN, False),
    _d("key", (None, T.STRING), None, deprecated="""
      `key` and `cert` are no longer used for most registry operations.
      Use registry scoped `keyfile` and `certfile` instead.
      Example:
      //other-registry.tld/:keyfile=/path/to/key.pem
      //other-registry.tld/:certfile=/path/to/cert.crt
    """),
    _d("legacy-bundling", T.BOOLEAN, False, flatten="legacy-bundling", deprecated="""
      This option has been deprecated in favor of `--install-strategy=nested`
    """),
    _d("legacy-peer-deps", T.BOOLEAN, False),
    _d("libc", (None, T.STRING), None),
    _d("link", T.BOOLEAN, False, flatten=None),
    _d("local-address", (None,), None, type_description="IP Address"),
    _d("location", ("global", "user", "project"), "user", flatten="location", short=("L",), default_description="""
      "user" unless `--global` is passed, which will also set this value to "global"
    """),
    _d("lockfile-version", (None, 1, 2, 3, "1", "2", "3"), None, flatten="lockfile-version", default_description="""
      Version 3 if no lockfile, auto-converting v1 lockfiles to v3; otherwise,
      maintain current lockfile version."""),
    _d("loglevel", ("silent", "error", "warn", "notice", "http", "info", "verbose", "silly"), "notice", flatten="loglevel"),
    _d("logs-dir", (None, T.PATH), None, flatten=None, default_description="""
      A directory named `_logs` inside the cache
  """),
    _d("logs-max", T.NUMBER, 10, flatten=None),
    _d("long", T.BOOLEAN, False, flatten=None, short=("l",)),
    _d("name", (None, T.STRING), None, hint="<name>"),
    _d("maxsockets", T.NUMBER, 15, flatten="maxsockets"),
    _d("message", T.STRING, "%s", short=("m",)),
    _d("min-release-age", (None, T.NUMBER), None, flatten="min-release-age", hint="<days>", env_export=False),
    _d("min-release-age-exclude", (T.ARRAY, T.STRING), [], flatten="min-release-age-exclude", hint="<pkg|glob>", env_export=False),
    _d("node-gyp", T.PATH, "", default_description="""
      The path to the node-gyp bin that ships with npm
    """),
    _d("node-options", (None, T.STRING), None, flatten=None),
    _d("noproxy", (T.STRING, T.ARRAY), "", flatten="noproxy", default_description="""
      The value of the NO_PROXY environment variable
    """),
    _d("offline", T.BOOLEAN, False),
    _d("omit", (T.ARRAY, "dev", "optional", "peer"), [], flatten="omit", default_description="""
      'dev' if the `NODE_ENV` environment variable is set to 'production';
      otherwise, empty.
    """),
    _d("omit-lockfile-registry-resolved", T.BOOLEAN, False),
    _d("only", (None, "prod", "production"), None, flatten="only", deprecated="""
      Use `--omit=dev` to omit dev dependencies from the install.
    """),
    _d("orgs", (None, T.STRING, T.ARRAY), None),
    _d("optional", (None, T.BOOLEAN), None, flatten="optional", deprecated="""
      Use `--omit=optional` to exclude optional dependencies, or
      `--include=optional` to include them.

      Default value does install optional deps unless otherwise omitted.
    """),
    _d("os", (None, T.STRING), None),
    _d("otp", (None, T.STRING), None, flatten="otp"),
    _d("package", (T.STRING, T.ARRAY), [], hint="<package-spec>"),
    _d("package-lock", T.BOOLEAN, True, flatten="package-lock"),
    _d("package-lock-only", T.BOOLEAN, False, flatten="package-lock-only"),
    _d("pack-destination", T.STRING, "."),
    _d("packages", (None, T.STRING, T.ARRAY), []),
    _d("parseable", T.BOOLEAN, False, short=("p",)),
    _d("allow-scripts-pending", T.BOOLEAN, False),
    _d("allow-scripts-pin", T.BOOLEAN, True),
    _d("prefer-dedupe", T.BOOLEAN, False),
    _d("prefer-offline", T.BOOLEAN, False),
    _d("prefer-online", T.BOOLEAN, False),
    _d("prefix", T.PATH, "", flatten=None, short=("C",), default_description="""
      In global mode, the folder where the node executable is installed.
      Otherwise, the nearest parent folder containing either a package.json
      file or a node_modules folder.
    """),
    _d("preid", T.STRING, "", hint="prerelease-id"),
    _d("production", (None, T.BOOLEAN), None, flatten="production", deprecated="Use `--omit=dev` instead."),
    _d("progress", T.BOOLEAN, False, flatten="progress", default_description="""
      `true` when not in CI and both stderr and stdout are TTYs and not in a dumb terminal
    """),
    _d("provenance", T.BOOLEAN, False, exclusive=("provenance-file",)),
    _d("provenance-file", T.PATH, None, hint="<file>", exclusive=("provenance",)),
    _d("proxy", (None, False, T.URL), None),
    _d("read-only", T.BOOLEAN, False),
    _d("rebuild-bundle", T.BOOLEAN, True),
    _d("registry", T.URL, NPM_PUBLIC_REGISTRY),
    _d("replace-registry-host", ("npmjs", "never", "always", T.STRING), "npmjs", hint="<npmjs|never|always> | hostname | url"),
    _d("save", T.BOOLEAN, True, short=("S",), usage="-S|--save|--no-save|--save-prod|--save-dev|--save-optional|--save-peer|--save-bundle", default_description="""`true` unless when using `npm update` where it
    defaults to `false`"""),
    _d("save-bundle", T.BOOLEAN, False, flatten="save-bundle", short=("B",)),
    _d("save-dev", T.BOOLEAN, False, flatten="save-dev", short=("D",), exclusive=("save-optional", "save-peer", "save-prod")),
    _d("save-exact", T.BOOLEAN, False, flatten="save-exact", short=("E",)),
    _d("save-optional", T.BOOLEAN, False, flatten="save-optional", short=("O",), exclusive=("save-dev", "save-peer", "save-prod")),
    _d("save-peer", T.BOOLEAN, False, flatten="save-peer", exclusive=("save-dev", "save-optional", "save-prod")),
    _d("save-prefix", T.STRING, "^", flatten="save-prefix"),
    _d("save-prod", T.BOOLEAN, False, flatten="save-prod", short=("P",), exclusive=("save-dev", "save-optional", "save-peer")),
    _d("sbom-format", ("cyclonedx", "spdx"), None),
    _d("sbom-type", ("library", "application", "framework"), "library"),
    _d("scope", T.STRING, "", flatten="scope", hint="<@scope>", default_description="""
      the scope of the current project, if any, or ""
    """),
    _d("scopes", (None, T.STRING, T.ARRAY), None),
    _d("packages-all", T.BOOLEAN, False),
    _d("packages-and-scopes-permission", (None, "read-only", "read-write", "no-access"), None),
    _d("orgs-permission", (None, "read-only", "read-write", "no-access"), None),
    _d("password", (None, T.STRING), None),
    _d("token-description", (None, T.STRING), None),
    _d("script-shell", (None, T.STRING), None, flatten="script-shell", default_description="""
      '/bin/sh' on POSIX systems, 'cmd.exe' on Windows
    """),
    _d("searchexclude", T.STRING, "", flatten="searchexclude"),
    _d("searchlimit", T.NUMBER, 20, flatten="searchlimit"),
    _d("searchopts", T.STRING, "", flatten="searchopts"),
    _d("searchstaleness", T.NUMBER, 900, flatten="searchstaleness"),
    _d("shell", T.STRING, "sh", default_description="""
      SHELL environment variable, or "bash" on Posix, or "cmd.exe" on Windows
    """),
    _d("shrinkwrap", T.BOOLEAN, True, flatten="shrinkwrap", deprecated="""
      Use the --package-lock setting instead.
    """),
    _d("sign-git-commit", T.BOOLEAN, False),
    _d("sign-git-tag", T.BOOLEAN, False),
    _d("strict-peer-deps", T.BOOLEAN, False),
    _d("strict-allow-scripts", T.BOOLEAN, False),
    _d("strict-ssl", T.BOOLEAN, True, flatten="strict-ssl"),
    _d("tag", T.STRING, "latest", flatten="tag"),
    _d("tag-version-prefix", T.STRING, "v"),
    _d("timing", T.BOOLEAN, False, flatten=None),
    _d("umask", T.UMASK, 0),
    _d("unicode", T.BOOLEAN, True, default_description="""
      false on windows, true on mac/unix systems with a unicode locale, as
      defined by the `LC_ALL`, `LC_CTYPE`, or `LANG` environment variables.
    """),
    _d("update-notifier", T.BOOLEAN, True, flatten=None),
    _d("usage", T.BOOLEAN, False, flatten=None, short=("?", "H", "h")),
    _d("user-agent", T.STRING, "npm/{npm-version} node/{node-version} {platform} {arch} workspaces/{workspaces} {ci}", flatten="user-agent"),
    _d("userconfig", T.PATH, "~/.npmrc", flatten=None),
    _d("version", T.BOOLEAN, False, flatten=None, short=("v",)),
    _d("versions", T.BOOLEAN, False, flatten=None),
    _d("viewer", T.STRING, "man", flatten=None, default_description="""
      "man" on Posix, "browser" on Windows
    """),
    _d("which", (None, T.NUMBER), None, flatten=None, hint="<fundingSourceNumber>"),
    _d("workspace", (T.STRING, T.ARRAY), [], flatten="workspace", short=("w",), hint="<workspace-name>", env_export=False),
    _d("workspaces", (None, T.BOOLEAN), None, flatten="workspaces", env_export=False),
    _d("workspaces-update", T.BOOLEAN, True),
    _d("yes", (None, T.BOOLEAN), None, flatten=None, short=("y",)),
)
# fmt: on


def _fill_registry_placeholders(table: tuple[Definition, ...]) -> tuple[Definition, ...]:
    registry = next(d.default for d in table if d.key == REGISTRY_DEFAULT_KEY)
    assert isinstance(registry, str)
    origin = registry.rstrip("/")
    host = origin.split("//", 1)[-1]
    return tuple(
        d._replace(
            description=d.description.replace("{registry-origin}", origin).replace("{registry-host}", host)
        )
        if "{registry-" in d.description
        else d
        for d in table
    )


_TABLE = _fill_registry_placeholders(_TABLE)
DEFINITIONS: dict[str, Definition] = {d.key: d for d in _TABLE}

# Multi-word aliases expanded on the command line only (definitions/index.js), then every
# definition's own short flags.
SHORTHANDS: dict[str, tuple[str, ...]] = {
    "enjoy-by": ("--before",),
    "d": ("--loglevel", "info"),
    "dd": ("--loglevel", "verbose"),
    "ddd": ("--loglevel", "silly"),
    "quiet": ("--loglevel", "warn"),
    "q": ("--loglevel", "warn"),
    "s": ("--loglevel", "silent"),
    "silent": ("--loglevel", "silent"),
    "verbose": ("--loglevel", "verbose"),
    "desc": ("--description",),
    "help": ("--usage",),
    "local": ("--no-global",),
    "n": ("--no-yes",),
    "no": ("--no-yes",),
    "porcelain": ("--parseable",),
    "readonly": ("--read-only",),
    "reg": ("--registry",),
    "iwr": ("--include-workspace-root",),
    "ws": ("--workspaces",),
    **{s: (f"--{d.key}",) for d in _TABLE for s in d.short},
}

# keys that may follow a nerf dart (`//host/path/:_authToken`); only _auth has a definition
NERF_DARTS: tuple[str, ...] = ("_auth", "_authToken", "_password", "certfile", "email", "keyfile", "username")

# proxy variables `npm config list` shows under "environment-related config"
PROXY_ENV: tuple[str, ...] = ("http_proxy", "https_proxy", "proxy", "no_proxy")

# keys npm keeps in the config without a definition (set by setEnvs, never warned about)
INTERNAL_ENV: tuple[str, ...] = ("npm-version", "global-prefix", "local-prefix")

TYPE_KEYS: tuple[str, ...] = tuple(DEFINITIONS)


def _validate_table() -> None:
    seen_short: dict[str, str] = {}
    for d in _TABLE:
        if not d.description:
            raise RuntimeError(f"config lacks description: {d.key}")
        for partner in d.exclusive:
            other = DEFINITIONS.get(partner)
            if other is None or d.key not in other.exclusive:
                raise RuntimeError(f"config {d.key}: exclusive partner {partner} is not mutual")
        for s in d.short:
            if s in seen_short:
                raise RuntimeError(f"short flag -{s} used by {seen_short[s]} and {d.key}")
            seen_short[s] = d.key
    if len(DEFINITIONS) != len(_TABLE):
        raise RuntimeError("duplicate config keys in the definitions table")
    for name, expansion in SHORTHANDS.items():
        target = expansion[0].removeprefix("--").removeprefix("no-")
        if target not in DEFINITIONS:
            raise RuntimeError(f"shorthand {name} expands to unknown config {expansion[0]}")
    registry = DEFINITIONS[REGISTRY_DEFAULT_KEY]
    if not (isinstance(registry.default, str) and registry.default.endswith("/")):
        raise RuntimeError("the registry default must be a URL ending in /")


_validate_table()


# ── types that depend on the machine ──


@lru_cache(maxsize=1)
def local_addresses() -> tuple[str, ...]:
    """Addresses of the up-and-running interfaces, grouped per interface like node's networkInterfaces()."""
    try:
        from snpm.config.interfaces import interface_addresses
    except ImportError:  # pragma: no cover - non-Linux without getifaddrs
        return ()
    return interface_addresses()


def static_type_of(key: str) -> TypeSpec | None:
    """The type as the table writes it (field parsing only needs to know which kinds it has)."""
    d = DEFINITIONS.get(key)
    return None if d is None else d.type


def type_of(key: str) -> TypeSpec | None:
    """The nopt type of a key, or None when it has no definition."""
    d = DEFINITIONS.get(key)
    if d is None:
        return None
    if key == "local-address":
        return (None, *local_addresses())
    return d.type


# ── defaults npm computes from its process ──


def find_node(env: Mapping[str, str]) -> str:
    """node's location (npm's process.execPath): `node` on PATH, symlinks resolved."""
    for folder in env.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", "node")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.realpath(candidate)
    return "/usr/local/bin/node"


def node_gyp_path(node: str) -> str:
    """The node-gyp bin that ships with the npm installed next to node, as npm's default points at its own."""
    root = os.path.dirname(os.path.dirname(node))
    return os.path.join(root, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js")


@lru_cache(maxsize=4)
def node_version(node: str) -> str:
    """`process.version` of that node: from its installed headers if present, else `node --version`."""
    header = os.path.join(os.path.dirname(os.path.dirname(node)), "include", "node", "node_version.h")
    try:
        with open(header, encoding="utf-8") as f:
            text = f.read()
        parts = [re.search(rf"#define NODE_{p}_VERSION (\d+)", text) for p in ("MAJOR", "MINOR", "PATCH")]
        if all(parts):
            return "v" + ".".join(m.group(1) for m in parts if m)
    except OSError:
        pass
    import subprocess

    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=False)
        return out.stdout.strip() or "v0.0.0"
    except OSError:
        return "v0.0.0"


_UTF8 = re.compile(r"UTF-?8$", re.IGNORECASE)


def process_defaults(
    env: Mapping[str, str],
    *,
    node: str,
    stdout_tty: bool,
    stderr_tty: bool,
) -> dict[str, ConfigValue]:
    """Every definition's default for this process (npm evaluates these when definitions.js loads)."""
    defaults: dict[str, ConfigValue] = {}
    for d in _TABLE:
        value = d.default
        defaults[d.key] = list(value) if isinstance(value, list) else value
    defaults["editor"] = env.get("EDITOR") or env.get("VISUAL") or "vi"
    defaults["shell"] = env.get("SHELL") or "sh"
    locale = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG")
    defaults["unicode"] = bool(_UTF8.search(locale if locale else "undefined"))
    no_color = env.get("NO_COLOR")
    defaults["color"] = not no_color or no_color == "0"
    ci = detect_ci(env)
    defaults["progress"] = not (ci.is_ci or not stderr_tty or not stdout_tty or env.get("TERM") == "dumb")
    defaults["omit"] = ["dev"] if env.get("NODE_ENV") == "production" else []
    defaults["node-gyp"] = node_gyp_path(node)
    return defaults


def without_locale_coercion(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of env without the LC_CTYPE that CPython adds to its own environment.

    Under a C/POSIX locale CPython sets LC_CTYPE=C.UTF-8 at start-up (PEP 538); npm, started with
    the same environment, would not see it, and `unicode` would differ. The environment the
    process was started with is still in /proc/self/environ.
    """
    copy = dict(env)
    if env is not os.environ or "LC_CTYPE" not in copy:
        return copy
    try:
        with open("/proc/self/environ", "rb") as f:
            original = f.read().split(b"\0")
    except OSError:
        return copy
    if not any(entry.startswith(b"LC_CTYPE=") for entry in original):
        del copy["LC_CTYPE"]
    return copy


def node_arch() -> str:
    machine = os.uname().machine.lower()
    return {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "i386": "ia32", "i686": "ia32"}.get(
        machine, machine
    )


__all__ = [
    "DEFINITIONS",
    "INTERNAL_ENV",
    "NERF_DARTS",
    "PROXY_ENV",
    "SHORTHANDS",
    "TYPE_KEYS",
    "Definition",
    "describe_type",
    "describe_usage",
    "describe_value",
    "find_node",
    "local_addresses",
    "node_arch",
    "node_version",
    "without_locale_coercion",
    "process_defaults",
    "type_of",
]
