"""How `npm view` prints what it found (view.js #prettyView, #packageOutput, cleanup).

- no fields, no --json: the "pretty" block per version (name@version | license | deps | versions,
  dist, dependencies, maintainers, dist-tags, "published <relative date> by <npm user>");
- fields: one line per field and version, raw for a single string, util.inspect otherwise, with
  `field = ` and `name@version ` prefixes when several fields or versions are shown;
- --json: the values themselves, unwrapped the way npm unwraps them.
"""

from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal
from functools import cmp_to_key

from snpm.cli.chalk import Chalk, js_text
from snpm.ecmascript.inspect import inspect
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.queryable import UNDEFINED, Undefined, Value
from snpm.ops.registry_view import ViewData, js_date_parse

__all__ = ["format_bytes", "json_value", "pretty_view", "relative_date", "text_output"]


def _to_fixed(value: float, digits: int = 1) -> str:
    """Number#toFixed: the exact binary value, halves rounded up."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def format_bytes(size: float) -> str:
    """npm's utils/format-bytes.js with a space."""
    if size < 1000:
        return f"{js_text(size)} B"
    if size < 999950:
        return f"{_to_fixed(size / 1000)} kB"
    if size < 999950000:
        return f"{_to_fixed(size / 1000000)} MB"
    return f"{_to_fixed(size / 1000000000)} GB"


_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
_MONTH = 30 * _DAY
_YEAR = 365 * _DAY


def relative_date(date_ms: float, now_ms: float | None = None) -> str:
    """tiny-relative-date (English), as `npm view` words a publish time."""
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    delta = round(abs(now_ms - date_ms) / 1000)
    if _DAY < delta < _WEEK:
        # within a week: count from that day's local midnight
        local = time.localtime(date_ms / 1000)
        midnight = time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1)) * 1000
        date_ms = midnight
        delta = round(abs(now_ms - date_ms) / 1000)
    ago = now_ms >= date_ms

    def say(phrase: str, value: int = 0) -> str:
        words = {
            "seconds": ("{} seconds ago", "{} seconds from now"),
            "aMinute": ("a minute ago", "a minute from now"),
            "minutes": ("{} minutes ago", "{} minutes from now"),
            "anHour": ("an hour ago", "an hour from now"),
            "hours": ("{} hours ago", "{} hours from now"),
            "aDay": ("yesterday", "tomorrow"),
            "days": ("{} days ago", "{} days from now"),
            "aWeek": ("a week ago", "a week from now"),
            "weeks": ("{} weeks ago", "{} weeks from now"),
            "aMonth": ("a month ago", "a month from now"),
            "months": ("{} months ago", "{} months from now"),
            "aYear": ("a year ago", "a year from now"),
            "overAYear": ("over a year ago", "over a year from now"),
        }[phrase]
        return (words[0] if ago else words[1]).format(value)

    if delta < 30:
        return "just now"
    if delta < _MINUTE:
        return say("seconds", delta)
    if delta < 2 * _MINUTE:
        return say("aMinute")
    if delta < _HOUR:
        return say("minutes", delta // _MINUTE)
    if delta // _HOUR == 1:
        return say("anHour")
    if delta < _DAY:
        return say("hours", delta // _HOUR)
    if delta < 2 * _DAY:
        return say("aDay")
    if delta < _WEEK:
        return say("days", delta // _DAY)
    if delta // _WEEK == 1:
        return say("aWeek")
    if delta < _MONTH:
        return say("weeks", delta // _WEEK)
    if delta // _MONTH == 1:
        return say("aMonth")
    if delta < _YEAR:
        return say("months", delta // _MONTH)
    if delta // _YEAR == 1:
        return say("aYear")
    return say("overAYear")


def _unparse_person(name: str, email: str | None, url: str | None) -> str:
    return f"{name}{f' <{email}>' if email else ''}{f' ({url})' if url else ''}"


def _person_text(person: JsonObject) -> str:
    def part(key: str) -> str | None:
        value = person.get(key)
        return js_text(value) if value else None

    return _unparse_person(
        js_text(person.get("name"), missing="name" not in person), part("email"), part("url")
    )


def cleanup(data: Value) -> Value:
    """view.js cleanup: arrays item by item; small `{name, email?, url?}` objects as one string."""
    if isinstance(data, list):
        return [cleanup(item) for item in data]  # type: ignore[misc]
    if not isinstance(data, dict):
        return data
    keys = list(data)
    if (
        len(keys) <= 3
        and data.get("name")
        and (
            len(keys) == 1
            or (len(keys) == 3 and data.get("email") and data.get("url"))
            or (len(keys) == 2 and (data.get("email") or data.get("url")))
            or data.get("trustedPublisher")
        )
    ):
        return _person_text(data)
    return data


def _inspect_value(value: Value, colors: bool) -> str:
    if isinstance(value, Undefined):
        return "\x1b[90mundefined\x1b[39m" if colors else "undefined"
    return inspect(value, depth=5, colors=colors)


def text_output(data: ViewData, colors: bool) -> str:
    """#packageOutput without --json: the lines, joined and trimmed."""
    name = data.name
    include_versions = len(data.selected) > 1
    include_fields = False
    lines: list[str] = []
    for version, fields in data.selected.items():
        include_fields = include_fields or len(fields) > 1
        for field, raw in fields.items():
            value = cleanup(raw)
            shown = (
                _inspect_value(value, colors)
                if include_versions or include_fields or not isinstance(value, str)
                else value
            )
            label = f"{field} = " if field and include_fields else ""
            prefix = f"{name}@{version} " if include_versions else ""
            lines.append(f"{prefix}{label if include_fields else ''}{shown}")
    return "\n".join(lines).strip()


def json_value(data: ViewData) -> object:
    """#packageOutput with --json (its unwrapping kept): UNDEFINED means nothing is printed."""
    results: list[dict[str, Value]] = []
    for fields in data.selected.values():
        if data.whole:
            merged = fields.get("")
            fields = dict(merged) if isinstance(merged, dict) else {}
        results.append({field: cleanup(value) for field, value in fields.items()})
    first = list(results[0]) if results else []
    unwrapped: list[object] = (
        [r.get(first[0], UNDEFINED) for r in results] if len(first) == 1 else list(results)
    )
    if not unwrapped:
        return UNDEFINED
    if len(unwrapped) == 1:
        return unwrapped[0]
    return unwrapped


def to_json(value: object) -> JsonValue:
    """JSON.stringify's view of `undefined`: dropped from objects, null in arrays."""
    if isinstance(value, Undefined) or value is None:
        return None
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items() if not isinstance(v, Undefined)}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _dist_tag_order(packument: JsonObject) -> list[tuple[str, JsonValue]]:
    tags = packument.get("dist-tags")
    entries = list(tags.items()) if isinstance(tags, dict) else []
    times = packument.get("time")
    time_map = times if isinstance(times, dict) else {}

    def moment(tag: str, version: JsonValue) -> float | None:
        if tag == "latest":
            return float("inf")
        found = time_map.get(version) if isinstance(version, str) else None
        return js_date_parse(found or 0)

    def compare(a: tuple[str, JsonValue], b: tuple[str, JsonValue]) -> int:
        a_time, b_time = moment(*a), moment(*b)
        if a_time is not None and a_time == b_time:
            return -1 if a[0] > b[0] else 1
        return -1 if a_time is not None and b_time is not None and a_time > b_time else 1

    return sorted(entries, key=cmp_to_key(compare))


def pretty_view(packument: JsonObject, manifest: JsonObject, *, chalk: Chalk, unicode: bool) -> str:
    """#prettyView for one version (`manifest` is the packument merged with that version)."""
    raw_deps = manifest.get("dependencies")
    deps = [
        f"{chalk.blue(k)}: {js_text(v)}" for k, v in (raw_deps.items() if isinstance(raw_deps, dict) else [])
    ]
    dist_tags = [f"{chalk.blue(k)}: {js_text(v)}" for k, v in _dist_tag_order(packument)]
    homepage = manifest.get("homepage")
    site = (homepage.get("url") if isinstance(homepage, dict) else None) or homepage
    raw_bin = manifest.get("bin")
    bins = (
        list(raw_bin)
        if isinstance(raw_bin, dict)
        else [str(i) for i in range(len(raw_bin))]
        if isinstance(raw_bin, str)
        else []
    )
    license_field = manifest.get("license") or "Proprietary"
    license_text = (
        license_field
        if isinstance(license_field, str)
        else js_text(
            (license_field.get("type") if isinstance(license_field, dict) else None) or "Proprietary"
        )
    )
    versions = packument.get("versions")
    count = len(versions) if isinstance(versions, list) else 0
    name_version = f"{js_text(manifest.get('name'))}@{js_text(manifest.get('version'))}"
    lines = [
        "",
        " | ".join(
            [
                chalk.underline_cyan(name_version),
                chalk.red(license_text)
                if license_text.lower().strip() == "proprietary"
                else chalk.green(license_text),
                f"deps: {chalk.cyan(str(len(deps))) if deps else chalk.cyan('none')}",
                f"versions: {chalk.cyan(str(count))}",
            ]
        ),
    ]
    if manifest.get("description"):
        lines.append(js_text(manifest["description"]))
    if site:
        lines.append(chalk.blue(js_text(site)))
    if manifest.get("deprecated"):
        warning = " ⚠️ " if unicode else "!!"
        lines.append(f"\n{chalk.red_bright('DEPRECATED')}{warning} - {js_text(manifest['deprecated'])}")
    keywords = packument.get("keywords")
    if isinstance(keywords, list | str) and keywords:
        items = keywords if isinstance(keywords, list) else list(keywords)
        lines.append(f"\nkeywords: {', '.join(chalk.cyan(js_text(k)) for k in items)}")
    if bins:
        lines.append(f"\nbin: {chalk.cyan(', '.join(bins))}")
    dist = manifest.get("dist")
    dist = dist if isinstance(dist, dict) else {}
    lines.append("\ndist")
    lines.append(f".tarball: {chalk.blue(js_text(dist.get('tarball'), missing='tarball' not in dist))}")
    lines.append(f".shasum: {chalk.green(js_text(dist.get('shasum'), missing='shasum' not in dist))}")
    if dist.get("integrity"):
        lines.append(f".integrity: {chalk.green(js_text(dist['integrity']))}")
    size = dist.get("unpackedSize")
    if size and isinstance(size, int | float):
        lines.append(f".unpackedSize: {chalk.blue(format_bytes(size))}")
    if deps:
        lines.append("\ndependencies:")
        lines.append(", ".join(deps[:24]))
        if len(deps) > 24:
            lines.append(chalk.dim(f"(...and {len(deps) - 24} more.)"))
    maintainers = packument.get("maintainers")
    if isinstance(maintainers, list) and maintainers:
        lines.append("\nmaintainers:")
        for person in maintainers:
            person = person if isinstance(person, dict) else {}
            lines.append(f"- {_colored_person(person, chalk)}")
    lines.append("\ndist-tags:")
    lines.append("\n".join(dist_tags[:5]))
    if len(dist_tags) > 5:
        lines.append(chalk.dim(f"(...and {len(dist_tags) - 5} more.)"))
    npm_user = manifest.get("_npmUser")
    publisher = _colored_person(npm_user, chalk) if isinstance(npm_user, dict) and npm_user else None
    times = packument.get("time")
    if publisher or times:
        info = "published"
        when = times.get(js_text(manifest.get("version"))) if isinstance(times, dict) else None
        if when:
            moment = js_date_parse(when)
            # tiny-relative-date on an Invalid Date falls through every case
            info += f" {chalk.cyan(relative_date(moment) if moment is not None else 'over a year from now')}"
        if publisher:
            info += f" by {publisher}"
        lines.append("")
        lines.append(info)
    return "\n".join(lines)


def _colored_person(person: JsonObject, chalk: Chalk) -> str:
    # unparsePerson({name: chalk.blue(u.name), email: chalk.dim(u.email)}): chalk turns a missing
    # value into the text "undefined", which is truthy, so `<undefined>` is printed
    name = chalk.blue(js_text(person.get("name"), missing="name" not in person))
    email = chalk.dim(js_text(person.get("email"), missing="email" not in person))
    return _unparse_person(name, email, None)
