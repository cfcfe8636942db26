"""`npm search`: reading the query, ranking the index's candidates, npm's result shape.

The storage finds candidates (every free-text term must occur in the name, keywords, description
or people; FTS5 where SQLite has it) and this module filters and ranks them. Qualifiers inside
`text`, as on npm's registry: `keywords:a,b` (any), `keywords:a+b` (all), `keywords:a,-b` (not b),
`author:`, `maintainer:`, `scope:`, `is:`/`not:` `deprecated`, `unstable` (below 1.0.0 or a
prerelease) and `insecure` (an advisory affects the latest version), and `boost-exact:false`.

Scores: `quality` (description, readme, keywords, license, repository, homepage, a stable version),
`popularity` (stars and versions) and `maintenance` (time since the last change; deprecated scores
low) are each 0–1, and `final` is their mean weighted by the request's `quality`, `popularity` and
`maintenance` parameters. `searchScore` is the text relevance (exact name > name prefix > part of
the name > keyword > description > people) times `0.5 + final`, plus 100000 for an exact name
match (npm's registry does the same), so an exact match always comes first. Restricted packages
appear only to those who may read them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import msgspec

from snpm import semver
from snpm.json_types import JsonObject, JsonValue
from snpm.packument import parse_time
from snpm.registry_server.services.advisories import AdvisoryService
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.services.package_access import PackageAccessService
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.records import SearchEntry

__all__ = ["SearchQuery", "SearchService", "parse_query", "score_entry"]

MAX_SIZE = 250
DEFAULT_SIZE = 20
# a query is a few words; more are ignored (each term is one more full-text condition)
MAX_TERMS = 16
MAX_TEXT = 1024
EXACT_BOOST = 100_000.0
_QUALIFIER = re.compile(r"^(keywords?|author|maintainer|scope|is|not|boost-exact):(.*)$", re.IGNORECASE)
_DAY = 86400.0


class SearchQuery(msgspec.Struct, frozen=True):
    terms: tuple[str, ...] = ()
    # keywords: any of the groups, each group all of its words; none of `keywords_not`
    keyword_groups: tuple[tuple[str, ...], ...] = ()
    keywords_not: frozenset[str] = frozenset()
    authors: tuple[str, ...] = ()
    maintainers: tuple[str, ...] = ()
    scope: str | None = None
    required: frozenset[str] = msgspec.field(default_factory=frozenset)  # is:…
    excluded: frozenset[str] = msgspec.field(default_factory=frozenset)  # not:…
    boost_exact: bool = True


def parse_query(text: str) -> SearchQuery:
    terms: list[str] = []
    groups: list[tuple[str, ...]] = []
    keywords_not: set[str] = set()
    authors: list[str] = []
    people: list[str] = []
    scope: str | None = None
    required: set[str] = set()
    excluded: set[str] = set()
    boost_exact = True
    for word in text[:MAX_TEXT].split():
        match = _QUALIFIER.match(word)
        if match is None:
            if len(terms) < MAX_TERMS:
                terms.append(word.lower())
            continue
        key, value = match.group(1).lower(), match.group(2).lower()
        if key in ("keywords", "keyword"):
            for part in value.split(","):
                if part.startswith("-") and len(part) > 1:
                    keywords_not.add(part[1:])
                elif part:
                    groups.append(tuple(p for p in part.split("+") if p))
        elif key == "author" and value:
            authors.append(value)
        elif key == "maintainer" and value:
            people.append(value.removeprefix("@"))
        elif key == "scope" and value:
            scope = value.removeprefix("@")
        elif key == "is" and value:
            required.add(value)
        elif key == "not" and value:
            excluded.add(value)
        elif key == "boost-exact":
            boost_exact = value not in ("false", "0", "no")
    return SearchQuery(
        tuple(terms),
        tuple(groups),
        frozenset(keywords_not),
        tuple(authors),
        tuple(people),
        scope,
        frozenset(required),
        frozenset(excluded),
        boost_exact,
    )


def _strings(value: JsonValue) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _text(summary: Mapping[str, JsonValue], key: str) -> str:
    value = summary.get(key)
    return value if isinstance(value, str) else ""


def _number(summary: Mapping[str, JsonValue], key: str) -> float:
    value = summary.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def is_unstable(version: str) -> bool:
    parsed = semver.parse(version, loose=True)
    return parsed is None or parsed.major == 0 or bool(parsed.prerelease)


def _maintainer_names(summary: Mapping[str, JsonValue]) -> list[str]:
    raw = summary.get("maintainers")
    names: list[str] = []
    for person in raw if isinstance(raw, list) else []:
        if isinstance(person, dict) and isinstance(person.get("username"), str):
            names.append(str(person["username"]).lower())
    return names


def _publisher(summary: Mapping[str, JsonValue]) -> str:
    raw = summary.get("publisher")
    return str(raw.get("username", "")).lower() if isinstance(raw, dict) else ""


def matches(query: SearchQuery, summary: Mapping[str, JsonValue], insecure: int) -> bool:
    keywords = {k.lower() for k in _strings(summary.get("keywords"))}
    if query.keyword_groups and not any(all(k in keywords for k in group) for group in query.keyword_groups):
        return False
    if keywords & query.keywords_not:
        return False
    if query.authors:
        author = _text(summary, "author").lower()
        publisher = _publisher(summary)
        if not any(a == publisher or (author and a in author) for a in query.authors):
            return False
    if query.maintainers and not set(query.maintainers) & set(_maintainer_names(summary)):
        return False
    facts = {
        "deprecated": bool(_text(summary, "deprecated")),
        "unstable": is_unstable(_text(summary, "version")),
        "insecure": insecure > 0,
    }
    if any(not facts.get(flag, False) for flag in query.required):
        return False
    return not any(facts.get(flag, False) for flag in query.excluded)


def _relevance(terms: Sequence[str], summary: Mapping[str, JsonValue]) -> float:
    if not terms:
        return 1.0
    name = _text(summary, "name").lower()
    bare = name.split("/", 1)[1] if name.startswith("@") and "/" in name else name
    keywords = [k.lower() for k in _strings(summary.get("keywords"))]
    description = _text(summary, "description").lower()
    total = 0.0
    for term in terms:
        if term in (name, bare):
            total += 1.0
        elif bare.startswith(term) or name.startswith(term):
            total += 0.7
        elif term in name:
            total += 0.5
        elif term in keywords:
            total += 0.4
        elif any(k.startswith(term) for k in keywords):
            total += 0.3
        elif term in description:
            total += 0.2
        else:
            total += 0.1
    return total / len(terms)


def _age_days(summary: Mapping[str, JsonValue], now: datetime) -> float:
    moment = parse_time(_text(summary, "modified") or _text(summary, "date"))
    return max(0.0, (now - moment).total_seconds() / _DAY) if moment else 365.0


def score_entry(
    summary: Mapping[str, JsonValue], terms: Sequence[str], weights: tuple[float, float, float], now: datetime
) -> tuple[float, float, float, float, float]:
    """(final, quality, popularity, maintenance, relevance) for one package."""
    links = summary.get("links")
    links = links if isinstance(links, dict) else {}
    stable = not is_unstable(_text(summary, "version"))
    quality = (
        0.2 * bool(_text(summary, "description"))
        + 0.25 * bool(summary.get("has_readme"))
        + 0.1 * bool(_strings(summary.get("keywords")))
        + 0.15 * bool(_text(summary, "license"))
        + 0.15 * ("repository" in links)
        + 0.1 * ("homepage" in links)
        + 0.05 * stable
    )
    popularity = min(1.0, math.log10(1 + 2 * _number(summary, "stars") + _number(summary, "versions")) / 2)
    days = _age_days(summary, now)
    maintenance = 1.0 if days <= 30 else max(0.1, 1 - (days - 30) / 700)
    if _text(summary, "deprecated"):
        maintenance = 0.05
    wq, wp, wm = weights
    total = wq + wp + wm
    if total <= 0:
        wq = wp = wm = total = 1.0
    final = (wq * quality + wp * popularity + wm * maintenance) / total
    return final, quality, popularity, maintenance, _relevance(terms, summary)


def _js_date(now: datetime) -> str:
    """JavaScript's `Date#toString()` in UTC, as npm's registry sends `time`."""
    return now.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _package_json(summary: Mapping[str, JsonValue]) -> JsonObject:
    out: JsonObject = {
        key: summary[key]
        for key in ("name", "scope", "version", "description", "keywords", "date", "links", "maintainers")
        if key in summary
    }
    if not out.get("date"):
        out.pop("date", None)
    publisher = summary.get("publisher")
    if isinstance(publisher, dict):
        out["publisher"] = publisher
    author = _text(summary, "author")
    if author:
        out["author"] = {"name": author}
    return out


def _float_param(raw: str | None, default: float, what: str) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise bad_request(f"{what} must be a number") from err
    if not math.isfinite(value) or value < 0:
        raise bad_request(f"{what} must be a non-negative number")
    return value


def _int_param(raw: str | None, default: int, high: int, what: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise bad_request(f"{what} must be a whole number") from err
    if not 0 <= value <= high:
        raise bad_request(f"{what} must be between 0 and {high}")
    return value


class SearchService:
    def __init__(
        self,
        storage: Storage,
        access: PackageAccessService,
        advisories: AdvisoryService,
        now: Callable[[], datetime],
    ) -> None:
        self._storage = storage
        self._access = access
        self._advisories = advisories
        self._now = now

    async def search(self, actor: Actor | None, params: Mapping[str, str]) -> JsonObject:
        """`GET /-/v1/search?text=&size=&from=&quality=&popularity=&maintenance=`."""
        query = parse_query(params.get("text", ""))
        size = _int_param(params.get("size"), DEFAULT_SIZE, MAX_SIZE, "size")
        offset = _int_param(params.get("from"), 0, 10**9, "from")
        weights = (
            _float_param(params.get("quality"), 0.65, "quality"),
            _float_param(params.get("popularity"), 0.98, "popularity"),
            _float_param(params.get("maintenance"), 0.5, "maintenance"),
        )
        entries = await self._storage.search(query.terms, query.scope)
        entries = await self._visible(actor, entries)
        insecure = await self._insecure(entries)
        now = self._now()
        exact = " ".join(query.terms)
        ranked: list[tuple[float, str, JsonObject]] = []
        for entry in entries:
            summary = entry.summary
            flagged = insecure.get(entry.name, 0)
            if not matches(query, summary, flagged):
                continue
            final, quality, popularity, maintenance, relevance = score_entry(
                summary, query.terms, weights, now
            )
            search_score = relevance * (0.5 + final)
            name = entry.name.lower()
            if query.boost_exact and exact and exact in (name, name.split("/", 1)[-1]):
                search_score += EXACT_BOOST
            flags: JsonObject = {"insecure": flagged}
            if is_unstable(_text(summary, "version")):
                flags["unstable"] = True
            deprecated = _text(summary, "deprecated")
            if deprecated:
                flags["deprecated"] = deprecated
            ranked.append(
                (
                    search_score,
                    entry.name,
                    {
                        "package": _package_json(summary),
                        "flags": flags,
                        "score": {
                            "final": round(final, 6),
                            "detail": {
                                "quality": round(quality, 6),
                                "popularity": round(popularity, 6),
                                "maintenance": round(maintenance, 6),
                            },
                        },
                        "searchScore": round(search_score, 6),
                    },
                )
            )
        ranked.sort(key=lambda item: (-item[0], item[1]))
        page: list[JsonValue] = [item[2] for item in ranked[offset : offset + size]]
        return {"objects": page, "total": len(ranked), "time": _js_date(now)}

    async def _visible(self, actor: Actor | None, entries: Sequence[SearchEntry]) -> list[SearchEntry]:
        restricted = {e.name: True for e in entries if e.restricted}
        if not restricted:
            return list(entries)
        readable = await self._access.readable_names(actor, restricted)
        return [e for e in entries if not e.restricted or e.name in readable]

    async def _insecure(self, entries: Sequence[SearchEntry]) -> dict[str, int]:
        versions = {e.name: _text(e.summary, "version") for e in entries}
        if not versions:
            return {}
        out: dict[str, int] = {}
        for name, advisories in (await self._advisories.for_names(list(versions))).items():
            version = versions.get(name, "")
            out[name] = sum(
                semver.satisfies(version, a.vulnerable_versions, loose=True, include_prerelease=True)
                for a in advisories
            )
        return out
