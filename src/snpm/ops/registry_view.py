"""Reading the registry: `npm view` (lib/commands/view.js), `npm ping` and `npm search`
(libnpmsearch over `/-/v1/search`).

`view` returns data, not text: the packument as npm's view holds it (`versions` replaced by the
sorted list of valid versions, `readme` dropped unless asked for) and, per selected version, the
queried fields in npm's `cleanData` shape. The CLI renders it (pretty view, util.inspect, --json).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cmp_to_key

import msgspec

from snpm import semver
from snpm.config import Config
from snpm.ecmascript.json import JSONParseError, parse_json
from snpm.errors import HttpError, SnpmError, from_os_error
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.context import registry_client
from snpm.ops.interaction import LogFn
from snpm.ops.queryable import Value, query
from snpm.redact import redact
from snpm.registry_client import fetch_packument
from snpm.spec import AliasSpec, PackageSpec, parse_spec

__all__ = ["PingResult", "ViewData", "local_package_name", "ping", "search", "view_data"]


class ViewData(msgspec.Struct, frozen=True):
    """What `npm view <spec> [fields]` found.

    `packument` is view's working copy; `selected` maps each matching version to its fields
    (field → value; with no fields asked, the one field "" holds the whole merged document)."""

    packument: JsonObject
    selected: dict[str, dict[str, Value]]
    whole: bool

    @property
    def name(self) -> str:
        value = self.packument.get("_id")
        return value if isinstance(value, str) else "undefined"


def local_package_name(config: Config) -> str:
    """view's `.`: the name in the project's package.json (read like view.js's readJson)."""
    if config.is_global:
        raise SnpmError("Cannot use view command in global mode.")
    path = config.local_prefix / "package.json"
    try:
        text = path.read_bytes()
    except OSError as err:
        raise from_os_error(err, "open") from None
    try:
        # view.js reads it with json-parse-even-better-errors: no "Invalid package.json" prefix
        content = parse_json(text).value
    except JSONParseError as err:
        raise SnpmError(err.message, code="EJSONPARSE") from None
    name = content.get("name") if isinstance(content, dict) else None
    if not name:
        raise SnpmError('Invalid package.json, no "name" field')
    return str(name)


def _not_found(message: str, pkgid: str) -> HttpError:
    return HttpError(message, status=404, code="E404", pkgid=pkgid)


def _merge(packument: JsonObject, version: JsonObject) -> JsonObject:
    merged = dict(packument)
    merged.update(version)
    return merged


async def view_data(config: Config, log: LogFn, pkg: str, fields: Sequence[str], *, json: bool) -> ViewData:
    """view.js #getData: fetch the full packument fresh and select versions and fields."""
    spec: PackageSpec = parse_spec(pkg, str(config.local_prefix))
    target = spec.sub_spec if isinstance(spec, AliasSpec) else spec
    if not target.registry or not target.name:
        raise SnpmError(
            f"snpm view supports registry packages only, not {spec.type} specs: {pkg}", code="ENOTSUP"
        )
    async with registry_client(config, "view", log=log) as client:
        packument = await fetch_packument(
            client, target.name, full=True, cache_mode="no-cache", pkgid=str(spec)
        )
    version = str(config.get("tag") or "latest")
    if spec.type not in ("git", "directory") and spec.raw_spec != "*":
        version = spec.raw_spec
    tags = packument.get("dist-tags")
    if isinstance(tags, dict) and isinstance(tags.get(version), str):
        version = str(tags[version])
    times = packument.get("time")
    if isinstance(times, dict) and times.get("unpublished"):
        unpublished = times["unpublished"]
        when = unpublished.get("time") if isinstance(unpublished, dict) else None
        raise _not_found(f"Unpublished on {'undefined' if when is None else when}", str(packument.get("_id")))
    raw_versions = packument.get("versions")
    versions: JsonObject = raw_versions if isinstance(raw_versions, dict) else {}
    valid: list[JsonValue] = []
    for v in versions:
        if semver.valid(v):
            valid.append(v)
        else:
            log("info", "view", f"Ignoring invalid version: {v}")
    valid.sort(key=cmp_to_key(lambda a, b: semver.compare_loose(str(a), str(b))))
    packument = {**packument, "versions": valid}
    if "readme" not in fields:
        packument.pop("readme", None)
    selected: dict[str, dict[str, Value]] = {}
    matched = 0
    for number, manifest in versions.items():
        if not semver.satisfies(number, version, loose=True) or not isinstance(manifest, dict):
            continue
        if "readme" in fields:
            # view.js deletes the version's readme exactly when it was asked for (its bug, kept)
            manifest = {k: v for k, v in manifest.items() if k != "readme"}
        merged = _merge(packument, manifest)
        key = str(manifest.get("version"))
        matched += 1
        if not fields:
            selected.setdefault(key, {})[""] = merged
            continue
        for field in fields:
            found = query(merged, field, unwrap_single_item_arrays=not json)
            if found:
                selected.setdefault(key, {}).update(found)
    if not matched and version != "latest":
        raise _not_found(f"No match found for version {version}", f"{packument.get('_id')}@{version}")
    return ViewData(packument=packument, selected=selected, whole=not fields)


class PingResult(msgspec.Struct, frozen=True):
    registry: str
    time_ms: int
    details: JsonValue


async def ping(config: Config, log: LogFn) -> PingResult:
    """GET /-/ping (never cached); `details` is the body when it is JSON, else {}."""
    registry = redact(str(config.get("registry")))
    log("notice", "PING", registry)
    import aiohttp  # noqa: F401 - loaded before the clock starts, as npm's fetch library already is

    started = time.monotonic()
    async with registry_client(config, "ping", log=log) as client:
        response = await client.request("GET", "/-/ping", cache_mode="no-store")
    try:
        details = response.json()
    except SnpmError:
        details = {}
    elapsed = round((time.monotonic() - started) * 1000)
    log("notice", "PONG", f"{elapsed}ms")
    return PingResult(registry=registry, time_ms=elapsed, details=details)


def js_date_parse(text: object) -> float | None:
    """Date.parse for what registries put in `time` (ISO strings); None is NaN. npm's view feeds it
    `0` for a missing time, which V8 reads as the year 2000 in local time."""
    if text == 0 or text == "0":
        return time.mktime((2000, 1, 1, 0, 0, 0, 0, 0, -1)) * 1000
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # ES: a date-only form is UTC, a date-time without an offset is local time
        parsed = parsed.replace(tzinfo=UTC) if "T" not in text else parsed.astimezone()
    return parsed.timestamp() * 1000


async def search(config: Config, log: LogFn, terms: Sequence[str]) -> list[JsonObject]:
    """libnpmsearch: GET /-/v1/search with npm's query; the `package` of each result object."""
    flat = config.flat
    options = flat.get("search")
    search_options: dict[str, object] = dict(options) if isinstance(options, dict) else {}
    include = [t.lower() for t in terms if t.lower()]
    if not include:
        raise SnpmError("search must be called with arguments")
    opts: dict[str, object] = {
        "limit": 20,
        "from": 0,
        "quality": 0.65,
        "popularity": 0.98,
        "maintenance": 0.5,
    }
    extra = search_options.get("opts")
    if isinstance(extra, dict):
        opts.update(extra)
    opts.update({k: v for k, v in search_options.items() if k != "opts"})
    sort_by = opts.get("sortBy")
    weights = {
        "optimal": (0.65, 0.98, 0.5),
        "quality": (1, 0, 0),
        "popularity": (0, 1, 0),
        "maintenance": (0, 0, 1),
    }
    if isinstance(sort_by, str) and sort_by in weights:
        opts["quality"], opts["popularity"], opts["maintenance"] = weights[sort_by]
    query_string = {
        "text": " ".join(include),
        "size": _js_text(opts.get("limit")),
        "from": _js_text(opts.get("from")),
        "quality": _js_text(opts.get("quality")),
        "popularity": _js_text(opts.get("popularity")),
        "maintenance": _js_text(opts.get("maintenance")),
    }
    log("silly", "search", "searching packages")
    async with registry_client(config, "search", log=log) as client:
        response = await client.request("GET", "/-/v1/search", query=query_string)
    try:
        result = response.json()
    except SnpmError as err:
        # libnpmsearch streams `objects.*` out of the body: one that ends early yields the
        # results complete before its end, and no error (a malformed one still fails)
        if not err.message.endswith("reason: Unexpected end of JSON input"):
            raise
        result = {"objects": _complete_objects(response.body.decode("utf-8", "replace"))}
    objects = result.get("objects") if isinstance(result, dict) else None
    packages: list[JsonObject] = []
    for item in objects if isinstance(objects, list) else []:
        package = item.get("package") if isinstance(item, dict) else None
        if isinstance(package, dict):
            packages.append(package)
    return packages


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\n\r":
        at += 1
    return at


def _complete_objects(text: str) -> list[JsonValue]:
    """The elements of the top-level `objects` array that are whole before `text` ends."""
    import json

    decoder = json.JSONDecoder()
    found: list[JsonValue] = []
    at = _skip_space(text, 0)
    if not text.startswith("{", at):
        return found
    at += 1
    try:
        while True:
            at = _skip_space(text, at)
            if at >= len(text) or text[at] == "}":
                return found
            key, at = decoder.raw_decode(text, at)
            at = _skip_space(text, at)
            if not text.startswith(":", at):
                return found
            at = _skip_space(text, at + 1)
            if key == "objects" and text.startswith("[", at):
                at += 1
                while True:
                    at = _skip_space(text, at)
                    if at >= len(text):
                        return found
                    if text[at] == "]":
                        at += 1
                        break
                    value, at = decoder.raw_decode(text, at)
                    found.append(value)
                    at = _skip_space(text, at)
                    if text.startswith(",", at):
                        at += 1
            else:
                _, at = decoder.raw_decode(text, at)
            at = _skip_space(text, at)
            if text.startswith(",", at):
                at += 1
    except ValueError:  # the end came inside a value: what was whole before it stands
        return found


def _js_text(value: object) -> str | None:
    """searchParams.set(key, String(value)); an undefined value is left out."""
    from snpm.ecmascript.values import to_string

    return None if value is None else to_string(value)
