"""npm's flatOptions: every layer, lowest first, run through each definition's flattener.

A port of the `flatten` functions in @npmcli/config definitions.js. Most copy the value under its
camelCase name; the others derive options (saveType, omit, retry, search, userAgent, …). Some also
WRITE BACK into the layer they read (`save-exact` sets that layer's `save-prefix` to "", `omit`
rewrites `omit`/`include`, `global-style` sets `install-strategy`, `otp` sets `auth-type`,
`shrinkwrap` sets `package-lock`). npm flattens right after loading, so those writes show up in
`npm config list`; snpm does the same.

`LayerView` gives flatteners JavaScript's prototype-chain reads (a layer sees the values of the
layers below it) with writes to the layer itself.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from snpm.config.ci import detect_ci
from snpm.config.definitions import DEFINITIONS
from snpm.config.values import UNDEFINED, ConfigValue, JsDate, JsUndefined, js_number, js_string, js_truthy

if TYPE_CHECKING:
    from snpm.config.layer import Layer

FlatValue = object
Flat = dict[str, FlatValue]


class LayerView:
    """A layer as flatteners see it: reads fall through to lower layers, writes stay here."""

    def __init__(self, layers: list[Layer], index: int) -> None:
        self._layers = layers
        self._index = index

    def __getitem__(self, key: str) -> ConfigValue:
        for layer in reversed(self._layers[: self._index + 1]):
            if key in layer:
                return layer.get(key)
        return UNDEFINED

    def get(self, key: str) -> ConfigValue:
        return self[key]

    def own(self, key: str) -> bool:
        return key in self._layers[self._index]

    def __setitem__(self, key: str, value: ConfigValue) -> None:
        self._layers[self._index].put(key, value)

    def keys(self) -> Iterator[str]:
        return iter(list(self._layers[self._index].keys()))

    def __iter__(self) -> Iterator[str]:
        return self.keys()


class FlattenContext(NamedTuple):
    """The process facts flatteners read (npm reads process.stdout.isTTY, process.env, …)."""

    stdout_tty: bool
    stderr_tty: bool
    env: dict[str, str]
    node_version: str
    platform: str
    arch: str
    # environment changes npm makes to its own process while flattening (inherited by scripts)
    effects: dict[str, str]


Flattener = Callable[[str, LayerView, Flat, FlattenContext], None]


def _camel(key: str) -> str:
    return re.sub(r"-([a-z])", lambda m: m.group(1).upper(), key)


def _basic(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat[_camel(key)] = obj[key]


def _access(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    value = obj[key]
    flat["access"] = "restricted" if value == "private" else value


def parse_allow_scripts_list(raw: ConfigValue) -> list[str]:
    """parse-allow-scripts-list.js: comma-separated package specs from a string or list."""
    entries = raw if isinstance(raw, list) else ([raw] if isinstance(raw, str) else [])
    parts: list[str] = []
    for entry in entries:
        if not isinstance(entry, str):
            continue
        parts.extend(p.strip() for p in entry.split(",") if p.strip())
    return parts


def _allow_scripts(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["allowScripts"] = parse_allow_scripts_list(obj[key])


def build_omit_list(obj: LayerView) -> list[str]:
    """definitions.js buildOmitList; note that it mutates the (possibly inherited) include list."""
    include_v = obj["include"]
    include: list[ConfigValue] = include_v if isinstance(include_v, list) else []
    omit_v = obj["omit"]
    omit: list[ConfigValue] = omit_v if isinstance(omit_v, list) else []
    only = obj["only"]
    production = obj["production"]
    if (isinstance(only, str) and re.match(r"^prod(uction)?$", only)) or js_truthy(production):
        omit.append("dev")
    elif production is False:
        include.append("dev")
    also = obj["also"]
    if isinstance(also, str) and also.startswith("dev"):
        include.append("dev")
    if js_truthy(obj["dev"]):
        include.append("dev")
    optional = obj["optional"]
    if optional is False:
        omit.append("optional")
    elif optional is True:
        include.append("optional")
    new_omit = [t for t in dict.fromkeys(_hashable(omit)) if t not in _hashable(include)]
    obj["omit"] = list(new_omit)
    obj["include"] = list(dict.fromkeys(_hashable(include)))
    result = obj["omit"]
    return [js_string(v) for v in result] if isinstance(result, list) else []


def _hashable(values: list[ConfigValue]) -> list[ConfigValue]:
    return [v if not isinstance(v, list | dict) else js_string(v) for v in values]


def _omit(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    omit = build_omit_list(obj)
    flat["omit"] = omit
    if "dev" in omit:
        ctx.effects["NODE_ENV"] = "production"


def _via_omit(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    _omit("omit", obj, flat, ctx)


def _cache(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    root = js_string(obj["cache"])
    flat["cache"] = str(Path(root, "_cacache"))
    flat["npxCache"] = str(Path(root, "_npx"))
    flat["tufCache"] = str(Path(root, "_tuf"))


def _cache_max(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    number = js_number(obj[key])
    if number is not None and number <= 0:
        flat["preferOnline"] = True


def _cache_min(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    number = js_number(obj[key])
    if number is not None and number >= 9999:
        flat["preferOffline"] = True


def _cafile(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    cafile = obj["cafile"]
    if not js_truthy(cafile):
        return
    try:
        raw = Path(js_string(cafile)).read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    if not raw:
        return
    delim = "-----END CERTIFICATE-----"
    sections = raw.replace("\r\n", "\n").split(delim)
    flat["ca"] = [s.lstrip() + delim for s in sections if s.strip()]


def _color(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    color = obj["color"]
    flat["color"] = False if not js_truthy(color) else (True if color == "always" else ctx.stdout_tty)
    flat["logColor"] = False if not js_truthy(color) else (True if color == "always" else ctx.stderr_tty)


def _search_field(name: str) -> Flattener:
    def flatten(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
        search = flat.get("search") or {"limit": 20}
        assert isinstance(search, dict)
        flat["search"] = search
        search[name] = obj[key]

    return flatten


def _retry(name: str) -> Flattener:
    def flatten(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
        retry = flat.get("retry") or {}
        assert isinstance(retry, dict)
        flat["retry"] = retry
        retry[name] = obj[key]

    return flatten


def _fetch_timeout(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["timeout"] = obj[key]


def _global(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    _basic(key, obj, flat, ctx)
    if js_truthy(flat.get("global")):
        flat["location"] = "global"


def _strategy(value: str) -> Flattener:
    def flatten(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
        if js_truthy(obj[key]):
            obj["install-strategy"] = value
            flat["installStrategy"] = value

    return flatten


def _location(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    _basic(key, obj, flat, ctx)
    if js_truthy(flat.get("global")):
        flat["location"] = "global"
    if obj["location"] == "global":
        flat["global"] = True


def _lockfile_version(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    value = obj[key]
    if not js_truthy(value):
        flat["lockfileVersion"] = value
        return
    m = re.match(r"\s*([+-]?\d+)", js_string(value))
    flat["lockfileVersion"] = int(m.group(1)) if m else None


def _loglevel(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["silent"] = obj[key] == "silent"


def _maxsockets(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["maxSockets"] = obj[key]


def _min_release_age(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    age = obj["min-release-age"]
    if age is not None and not isinstance(age, JsUndefined) and not obj.own("before"):
        days = js_number(age)
        if js_truthy(age) and days is not None:
            flat["before"] = JsDate(time.time() * 1000 - 86400000 * days)
        else:
            flat["before"] = None


def _min_release_age_exclude(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    value = obj[key]
    items = value if isinstance(value, list) else [value]
    names = [p.strip() for v in items for p in js_string(v).split(",") if p.strip()]
    flat["minReleaseAgeExclude"] = list(dict.fromkeys(names))


def _noproxy(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    value = obj[key]
    flat["noProxy"] = ",".join(js_string(v) for v in value) if isinstance(value, list) else value


def _otp(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    _basic(key, obj, flat, ctx)
    if js_truthy(obj["otp"]):
        obj["auth-type"] = "legacy"
        _basic("auth-type", obj, flat, ctx)


def _package_lock(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    _basic(key, obj, flat, ctx)
    if js_truthy(flat.get("packageLockOnly")):
        flat["packageLock"] = True


def _progress(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["progress"] = (
        js_truthy(obj["progress"]) and ctx.stderr_tty and ctx.stdout_tty and ctx.env.get("TERM") != "dumb"
    )


def _save_bundle(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    bundle = obj["save-bundle"]
    flat["saveBundle"] = bundle if not js_truthy(bundle) else (not js_truthy(obj["save-peer"]))


def _save_type(kind: str) -> Flattener:
    def flatten(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
        current = flat.get("saveType")
        if not js_truthy(obj[key]):
            if current == kind:
                del flat["saveType"]
            elif kind == "optional" and current == "peerOptional":
                flat["saveType"] = "peer"
            elif kind == "peer" and current == "peerOptional":
                flat["saveType"] = "optional"
            return
        if kind in ("dev", "prod"):
            flat["saveType"] = kind
            return
        if current == "peerOptional":
            return
        other = "peer" if kind == "optional" else "optional"
        flat["saveType"] = "peerOptional" if current == other else kind

    return flatten


def _save_prefix(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["savePrefix"] = "" if js_truthy(obj["save-exact"]) else obj["save-prefix"]
    value = flat["savePrefix"]
    obj["save-prefix"] = value if isinstance(value, str) else js_string(value)  # type: ignore[arg-type]


def _save_exact(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    _save_prefix("save-prefix", obj, flat, ctx)


def _scope(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    value = obj[key]
    scope = f"@{js_string(value)}" if js_truthy(value) and not js_string(value).startswith("@") else value
    flat["scope"] = scope
    flat["projectScope"] = scope


def _script_shell(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    value = obj[key]
    flat["scriptShell"] = value if js_truthy(value) else None


def _searchexclude(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    search = flat.get("search") or {"limit": 20}
    assert isinstance(search, dict)
    flat["search"] = search
    search["exclude"] = js_string(obj[key]).lower()


def _searchlimit(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    search = flat.get("search") or {}
    assert isinstance(search, dict)
    flat["search"] = search
    search["limit"] = obj[key]


def _searchopts(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    search = flat.get("search") or {"limit": 20}
    assert isinstance(search, dict)
    flat["search"] = search
    parsed = urllib.parse.parse_qs(js_string(obj[key]), keep_blank_values=True)
    search["opts"] = {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _shrinkwrap(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    obj["package-lock"] = obj["shrinkwrap"]
    _package_lock("package-lock", obj, flat, ctx)


def _strict_ssl(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["strictSSL"] = obj[key]


def _tag(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    flat["defaultTag"] = obj[key]


def _user_agent(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    value = js_string(obj["user-agent"])
    ci = detect_ci(ctx.env)
    ci_name = "-".join(ci.name.lower().split(" ")) if ci.name else None
    sub: str | None = None
    if ci.github_actions:
        server = (ctx.env.get("GITHUB_SERVER_URL") or "").strip()
        runner = (ctx.env.get("RUNNER_ENVIRONMENT") or "").strip()
        try:
            host = (urllib.parse.urlsplit(server).hostname or "").lower() if "://" in server else ""
        except ValueError:
            host = ""
        if host == "github.com":
            sub = {"github-hosted": "dotcom-hosted", "self-hosted": "dotcom-selfhosted"}.get(runner, "dotcom")
        elif host == "ghe.com" or host.endswith(".ghe.com"):
            sub = "ghecom"
        elif host:
            sub = "ghes"
    ci_text = f"ci/{ci_name}{'/' + sub if sub else ''}" if ci_name else ""
    workspace = obj["workspace"]
    in_workspaces = js_truthy(obj["workspaces"]) or (isinstance(workspace, list) and len(workspace) > 0)
    agent = value
    for pattern, repl in (
        (r"\{node-version\}", ctx.node_version),
        (r"\{npm-version\}", js_string(obj["npm-version"])),
        (r"\{platform\}", ctx.platform),
        (r"\{arch\}", ctx.arch),
        (r"\{workspaces\}", "true" if in_workspaces else "false"),
        (r"\{ci\}", ci_text),
    ):
        agent = re.sub(pattern, _literal(repl), agent, flags=re.IGNORECASE)
    flat["userAgent"] = agent.strip()
    ctx.effects["npm_config_user_agent"] = agent.strip()


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text


def _workspaces(key: str, obj: LayerView, flat: Flat, ctx: FlattenContext) -> None:
    _user_agent("user-agent", obj, flat, ctx)
    flat["workspacesEnabled"] = obj[key] is not False


FLATTENERS: dict[str, Flattener] = {
    "camel": _basic,
    "access": _access,
    "allow-scripts": _allow_scripts,
    "also": _via_omit,
    "cache": _cache,
    "cache-max": _cache_max,
    "cache-min": _cache_min,
    "cafile": _cafile,
    "color": _color,
    "description": _search_field("description"),
    "dev": _via_omit,
    "fetch-retries": _retry("retries"),
    "fetch-retry-factor": _retry("factor"),
    "fetch-retry-maxtimeout": _retry("maxTimeout"),
    "fetch-retry-mintimeout": _retry("minTimeout"),
    "fetch-timeout": _fetch_timeout,
    "global": _global,
    "global-style": _strategy("shallow"),
    "include": _via_omit,
    "legacy-bundling": _strategy("nested"),
    "location": _location,
    "lockfile-version": _lockfile_version,
    "loglevel": _loglevel,
    "maxsockets": _maxsockets,
    "min-release-age": _min_release_age,
    "min-release-age-exclude": _min_release_age_exclude,
    "noproxy": _noproxy,
    "omit": _omit,
    "only": _via_omit,
    "optional": _via_omit,
    "otp": _otp,
    "package-lock": _package_lock,
    "package-lock-only": _package_lock,
    "production": _via_omit,
    "progress": _progress,
    "save-bundle": _save_bundle,
    "save-dev": _save_type("dev"),
    "save-exact": _save_exact,
    "save-optional": _save_type("optional"),
    "save-peer": _save_type("peer"),
    "save-prefix": _save_prefix,
    "save-prod": _save_type("prod"),
    "scope": _scope,
    "script-shell": _script_shell,
    "searchexclude": _searchexclude,
    "searchlimit": _searchlimit,
    "searchopts": _searchopts,
    "searchstaleness": _search_field("staleness"),
    "shrinkwrap": _shrinkwrap,
    "strict-ssl": _strict_ssl,
    "tag": _tag,
    "user-agent": _user_agent,
    "workspace": lambda key, obj, flat, ctx: _user_agent("user-agent", obj, flat, ctx),
    "workspaces": _workspaces,
}

_unknown = {d.flatten for d in DEFINITIONS.values() if d.flatten is not None} - set(FLATTENERS)
if _unknown:
    raise RuntimeError(f"definitions name flatteners that do not exist: {sorted(_unknown)}")

_SCOPED_REGISTRY = re.compile(r"@.*:registry$", re.IGNORECASE)


def flatten_layers(layers: list[Layer], ctx: FlattenContext) -> Flat:
    """Config#flat: walk the layers from least to most important and flatten each one's own keys."""
    flat: Flat = {}
    for index in range(len(layers)):
        view = LayerView(layers, index)
        for key in view:
            d = DEFINITIONS.get(key)
            if d is not None and d.flatten is not None:
                FLATTENERS[d.flatten](key, view, flat, ctx)
            elif d is None and (_SCOPED_REGISTRY.search(key) or key.startswith("//")):
                flat[key] = view[key]
    return flat
