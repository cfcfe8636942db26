"""Which version of a packument a spec gets: a port of npm-pick-manifest 11 (as npm 11.19 bundles it).

Pure: works on the packument's JSON, or on a `PackumentView` of it whose `versions` may decode their
values on access (snpm.fetch.packument_doc): only the versions a spec can match are ever looked at. The rules, in npm's order: an explicit tag wins outright; an exact
version must exist; otherwise the default tag (`latest`) is taken when it satisfies the range and is
not deprecated, engine-incompatible, avoided, staged or restricted; else the highest version by
(not avoided, not restricted, not staged, not deprecated and engine ok, engine ok, not deprecated, semver).
`before` hides versions published later than the date.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import msgspec

from snpm import semver
from snpm.errors import ResolveError, SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.spec import RegistrySpec, resolve

_AVOID = {"include_prerelease": True, "loose": True}


class PickOptions(msgspec.Struct, frozen=True):
    default_tag: str = "latest"
    # epoch milliseconds; versions published after it are invisible (npm's `before`)
    before_ms: float | None = None
    node_version: str | None = None
    npm_version: str | None = None
    include_staged: bool = False
    avoid: str | None = None


class Picked(msgspec.Struct, frozen=True):
    manifest: JsonObject
    should_avoid: bool = False


def _obj(value: JsonValue) -> JsonObject:
    return value if isinstance(value, dict) else {}


class PackumentView(msgspec.Struct, frozen=True):
    """The parts of a packument the picker reads. `versions` may compute its values lazily (it is
    only indexed for versions that pass the range); `complete` turns the value the picker chose into
    the whole manifest (identity for plain packuments)."""

    name: str
    dist_tags: JsonValue
    time: JsonValue
    versions: Mapping[str, JsonValue]
    staged_versions: JsonValue = None
    policy_restrictions: JsonValue = None
    complete: Callable[[JsonObject], JsonObject] | None = None

    @classmethod
    def of(cls, packument: JsonObject) -> PackumentView:
        return cls(
            name=str(packument.get("name", "")),
            dist_tags=packument.get("dist-tags"),
            time=packument.get("time"),
            versions=_obj(packument.get("versions")),
            staged_versions=packument.get("stagedVersions"),
            policy_restrictions=packument.get("policyRestrictions"),
        )


@functools.lru_cache(maxsize=1 << 16)
def _time_ms_cached(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def _time_ms(text: JsonValue) -> float | None:
    return _time_ms_cached(text) if isinstance(text, str) else None


def _is_before(times: JsonObject | None, version: str | None, limit: float) -> bool:
    """npm-pick-manifest's isBefore: `!verTimes || !verTimes[ver] || Date.parse(...) <= time`;
    an unparseable date is NaN, which is never `<=`, even with no `before` (time = Infinity)."""
    if not times or version is None:
        return True
    value = times.get(version)
    if value is None or value is False or (isinstance(value, int | float | str) and not value):
        return True  # JS-falsy
    when = _time_ms(value)
    return when is not None and when <= limit


def engine_ok(manifest: JsonObject, npm_version: str | None, node_version: str | None) -> bool:
    """npm-install-checks' checkEngine, as a question."""
    engines = manifest.get("engines")
    if not isinstance(engines, dict):
        return True
    node, npm = engines.get("node"), engines.get("npm")
    return _engines_ok(
        node if isinstance(node, str) else None,
        npm if isinstance(npm, str) else None,
        node_version,
        npm_version,
    )


@functools.lru_cache(maxsize=4096)
def _engines_ok(node: str | None, npm: str | None, node_version: str | None, npm_version: str | None) -> bool:
    # a handful of distinct `engines` strings recur across thousands of versions: decide each once
    # (semver's own range cache is too small for a whole resolution)
    if node_version and node and not semver.satisfies(node_version, node, include_prerelease=True):
        return False
    return not (npm_version and npm and not semver.satisfies(npm_version, npm, include_prerelease=True))


def _should_avoid(version: str, avoid: str | None) -> bool:
    return bool(avoid) and semver.satisfies(version, avoid or "", **_AVOID)


def _decorate(manifest: JsonValue, avoid: str | None) -> Picked | None:
    if not isinstance(manifest, dict):
        return None
    version = manifest.get("version")
    return Picked(manifest, isinstance(version, str) and _should_avoid(version, avoid))


def _pick(packument: PackumentView, wanted: str | None, opts: PickOptions) -> Picked | None:
    name = packument.name
    times = packument.time
    ver_times = times if isinstance(times, dict) else None
    versions = packument.versions
    staged = _obj(_obj(packument.staged_versions).get("versions")) if opts.include_staged else {}
    restricted = _obj(_obj(packument.policy_restrictions).get("versions"))
    limit = opts.before_ms if opts.before_ms is not None and ver_times else float("inf")
    spec = resolve(name, wanted or opts.default_tag)
    if not isinstance(spec, RegistrySpec):
        raise SnpmError("Only tag, version, and range are supported")
    dist_tags = _obj(packument.dist_tags)

    if wanted and spec.type == "tag":
        ver = dist_tags.get(wanted)
        ver_s = ver if isinstance(ver, str) else None
        if _is_before(ver_times, ver_s, limit):
            found = (versions.get(ver_s) or staged.get(ver_s) or restricted.get(ver_s)) if ver_s else None
            return _decorate(found, opts.avoid)
        return _pick(packument, f"<={ver_s}", opts)

    if wanted and spec.type == "version":
        ver_c = semver.clean(wanted, loose=True)
        found = (versions.get(ver_c) or staged.get(ver_c) or restricted.get(ver_c)) if ver_c else None
        return _decorate(found, opts.avoid) if _is_before(ver_times, ver_c, limit) else None

    range_text = wanted if spec.type == "range" and wanted else "*"
    default_ver = dist_tags.get(opts.default_tag)
    if (
        isinstance(default_ver, str)
        and (range_text == "*" or semver.satisfies(default_ver, range_text, loose=True))
        and default_ver not in restricted
        and not _should_avoid(default_ver, opts.avoid)
    ):
        manifest = versions.get(default_ver)
        if (
            isinstance(manifest, dict)
            and _is_before(ver_times, default_ver, limit)
            and engine_ok(manifest, opts.npm_version, opts.node_version)
            and not manifest.get("deprecated")
            and default_ver not in staged
        ):
            return Picked(manifest)

    sources: tuple[Mapping[str, JsonValue], ...] = (versions, staged, restricted)

    def no_versions() -> ResolveError:
        return ResolveError(
            # a packument without a name (an array, say) reads as undefined in JS
            f"No versions available for {name or 'undefined'}",
            code="ENOVERSIONS",
            extra={"name": name, "wanted": wanted, "versions": list(versions)},
        )

    # npm lists the versions published before `before` (ENOVERSIONS when there are none), then
    # keeps those in range. Testing the range first gives the same candidates for a fraction of the
    # work (a packument has hundreds of versions, a range matches a few): the publish times are
    # read only for versions in range, and the whole list only when no candidate is left.
    def none_before() -> bool:
        return not any(_is_before(ver_times, ver, limit) for source in sources for ver in source)

    try:
        rng = semver.Range(range_text, loose=True) if range_text != "*" else None
    except TypeError:  # an invalid range satisfies nothing (semver.satisfies catches it too)
        if none_before():
            raise no_versions() from None
        return None
    candidates: list[tuple[tuple[int, int, int, int, int, int], semver.SemVer, str, JsonObject]] = []
    for source in sources:
        for ver in source:
            if (rng is not None and not rng.test(ver)) or not _is_before(ver_times, ver, limit):
                continue
            candidate = _candidate(ver, source, rng is None, restricted, staged, opts)
            if candidate is not None:
                candidates.append(candidate)
    if not candidates:
        if none_before():
            raise no_versions()
        return None
    # lowest key first; within equal keys the highest version (a stable max keeps npm's tie order)
    best = candidates[0]
    for cand in candidates[1:]:
        if cand[0] < best[0] or (cand[0] == best[0] and semver.compare(cand[1], best[1], loose=True) > 0):
            best = cand
    return _decorate(best[3], opts.avoid)


def _candidate(
    ver: str,
    source: Mapping[str, JsonValue],
    any_version: bool,
    restricted: JsonObject,
    staged: JsonObject,
    opts: PickOptions,
) -> tuple[tuple[int, int, int, int, int, int], semver.SemVer, str, JsonObject] | None:
    """A version in range as the picker ranks it (None: a prerelease, which `*` never matches)."""
    parsed = semver.parse(ver, loose=True)
    if parsed is None or (any_version and parsed.prerelease):
        return None
    mani = _obj(source[ver])
    not_deprecated = not mani.get("deprecated")
    eng = engine_ok(mani, opts.npm_version, opts.node_version)
    key = (
        int(_should_avoid(ver, opts.avoid)),
        int(ver in restricted),
        int(ver in staged),
        int(not (not_deprecated and eng)),
        int(not eng),
        int(not not_deprecated),
    )
    return key, parsed, ver, mani


def pick_manifest(
    packument: JsonObject | PackumentView, wanted: str | None, opts: PickOptions | None = None
) -> Picked:
    """The manifest `wanted` resolves to; ETARGET (or E403 for a policy block) when none does."""
    opts = opts or PickOptions()
    view = packument if isinstance(packument, PackumentView) else PackumentView.of(packument)
    picked = _pick(view, wanted, opts)
    if picked is not None and view.complete is not None:
        picked = Picked(view.complete(picked.manifest), picked.should_avoid)
    restricted = _obj(_obj(view.policy_restrictions).get("versions"))
    version = picked.manifest.get("version") if picked else None
    if picked is not None and not (isinstance(version, str) and version in restricted):
        return picked
    name = view.name
    pckg = f"{name}@{wanted}"
    if opts.before_ms is not None:
        pckg += f" with a date before {_locale_string(opts.before_ms)}"
    if picked is not None:
        message = str(_obj(view.policy_restrictions).get("message", ""))
        raise ResolveError(f"Could not download {pckg} due to policy violations:\n{message}", code="E403")
    raise ResolveError(
        f"No matching version found for {pckg}.",
        code="ETARGET",
        extra={"name": name, "wanted": wanted, "versions": list(view.versions)},
    )


def _locale_string(ms: float) -> str:
    """JS `new Date(ms).toLocaleString()` in node's default en-US locale (UTC here)."""
    when = datetime.fromtimestamp(ms / 1000, UTC)
    hour = when.hour % 12 or 12
    return f"{when.month}/{when.day}/{when.year}, {hour}:{when.minute:02d}:{when.second:02d} {'AM' if when.hour < 12 else 'PM'}"
