"""Freshness and revalidation of stored HTTP responses: http-cache-semantics 4.2 as make-fetch-happen
configures it (a private cache, `ignoreCargoCult`).

`CachePolicy` is one stored response with the request that produced it: max-age / Expires / the
10%-of-Last-Modified heuristic, must-revalidate, no-cache/Pragma, Vary, the request's own
cache-control (max-age, min-fresh, max-stale), stale-if-error, and the If-None-Match /
If-Modified-Since headers of a revalidation. `media_types` is negotiator's Accept parsing, which
make-fetch-happen compares to decide whether an entry answers a request.

Pure: no I/O, only the clock; imports nothing from snpm. `snpm.cache.http_cache` stores entries.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

__all__ = ["CachePolicy", "media_types"]

_UNDERSTOOD_STATUSES = frozenset({200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501})
_CACHEABLE_BY_DEFAULT = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
_ERROR_STATUSES = frozenset({500, 502, 503, 504})
_HOP_BY_HOP = frozenset(
    {"date", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer"}
    | {"transfer-encoding", "upgrade"}
)
_WEAK_ETAG_RE = re.compile(r"^\s*W/")
_INT_PREFIX_RE = re.compile(r"^\s*([+-]?\d+)")
_FLOAT_PREFIX_RE = re.compile(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_MEDIA_TYPE_RE = re.compile(r"^\s*([^\s/;]+)/([^;\s]+)\s*(?:;(.*))?$")
_HEURISTIC_FRACTION = 0.1
_IMMUTABLE_MIN_TTL = 24 * 3600.0


def _parse_int(value: object) -> int:
    """JS toNumberOrZero(parseInt(s, 10))."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = _INT_PREFIX_RE.match(value) if isinstance(value, str) else None
    return int(found.group(1)) if found else 0


_MONTHS = {
    name: number
    for number, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _parse_date_ms(value: str | None) -> float | None:
    """JS Date.parse of an HTTP date; None where JS gives NaN."""
    if not value:
        return None
    fixdate = _imf_fixdate_ms(value)
    if fixdate is not None:
        return fixdate
    # any other form, or an impossible date: email.utils' reading (imported here: ~2.5 ms, for
    # the rare server that does not send the usual form)
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp() * 1000
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _imf_fixdate_ms(value: str) -> float | None:
    """A valid `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's preferred form, what servers send) in
    epoch ms, as `parsedate_to_datetime` reads it; None for anything else."""
    parts = value.split()
    if len(parts) != 6 or not parts[0].endswith(",") or parts[5] != "GMT":
        return None
    month = _MONTHS.get(parts[2])
    clock = parts[4].split(":")
    numbers = (parts[1], parts[3], *clock)
    if month is None or len(clock) != 3 or not all(n.isascii() and n.isdigit() for n in numbers):
        return None
    day, year, hour, minute, second = (int(n) for n in numbers)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last_day = 29 if month == 2 and leap else _MONTH_DAYS[month - 1]
    if len(parts[3]) != 4 or not (year >= 1000 and 1 <= day <= last_day):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return (_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000.0


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _parse_cache_control(header: str | None) -> dict[str, str | bool]:
    directives: dict[str, str | bool] = {}
    for part in header.strip().split(",") if header else ():
        name, sep, value = part.partition("=")
        directives[name.strip()] = value.strip().strip('"') if sep else True
    return directives


def _split_quoted(text: str, sep: str) -> list[str]:
    """negotiator's split, which keeps separators that sit inside double quotes."""
    pieces = text.split(sep)
    out = [pieces[0]]
    for piece in pieces[1:]:
        if out[-1].count('"') % 2 == 0:
            out.append(piece)
        else:
            out[-1] += sep + piece
    return out


def media_types(accept: str | None) -> list[str]:
    """negotiator's mediaTypes() without offers: the accepted types, best first (q, then order)."""
    specs: list[tuple[float, int, str]] = []
    for position, raw in enumerate(_split_quoted("*/*" if accept is None else accept, ",")):
        found = _MEDIA_TYPE_RE.match(raw.strip())
        if not found:
            continue
        quality = 1.0
        for param in _split_quoted(found.group(3), ";") if found.group(3) else ():
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                value = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
                number = _FLOAT_PREFIX_RE.match(value)
                quality = float(number.group(0)) if number else float("nan")
                break
        if quality > 0:
            specs.append((quality, position, f"{found.group(1)}/{found.group(2)}"))
    specs.sort(key=lambda spec: (-spec[0], spec[1]))
    return [spec[2] for spec in specs]


class CachePolicy:
    """One stored (or storable) GET response and the request headers that produced it."""

    __slots__ = ("_host", "_req_headers", "_rescc", "_res_headers", "_response_time", "_status")

    def __init__(
        self,
        *,
        req_headers: Mapping[str, str],
        status: int,
        res_headers: Mapping[str, str],
        response_time_ms: float,
    ) -> None:
        self._host = req_headers.get("host")
        self._status = status
        self._response_time = response_time_ms
        res = dict(res_headers)
        self._rescc = _parse_cache_control(res.get("cache-control"))
        # Only the headers Vary names are ever compared.
        self._req_headers = dict(req_headers) if res.get("vary") else {}
        if "pre-check" in self._rescc and "post-check" in self._rescc:  # ignoreCargoCult
            for name in ("pre-check", "post-check", "no-cache", "no-store", "must-revalidate"):
                self._rescc.pop(name, None)
            parts = [k if v is True else f"{k}={v}" for k, v in self._rescc.items()]
            res.pop("cache-control", None)
            if parts:
                res["cache-control"] = ", ".join(parts)
            res.pop("expires", None)
            res.pop("pragma", None)
        if res.get("cache-control") is None and "no-cache" in res.get("pragma", ""):
            self._rescc["no-cache"] = True
        self._res_headers = res

    @staticmethod
    def request_storable(method: str, req_headers: Mapping[str, str]) -> bool:
        """storable() of the request against an empty 200: only the request can refuse."""
        return method in ("GET", "HEAD") and not _parse_cache_control(req_headers.get("cache-control")).get(
            "no-store"
        )

    @property
    def must_revalidate(self) -> bool:
        return bool(self._rescc.get("must-revalidate"))

    def storable(self) -> bool:
        return bool(
            self._status in _UNDERSTOOD_STATUSES
            and not self._rescc.get("no-store")
            and (
                self._res_headers.get("expires")
                or self._rescc.get("max-age")
                or self._rescc.get("public")
                or self._status in _CACHEABLE_BY_DEFAULT
            )
        )

    def age(self) -> float:
        return _parse_int(self._res_headers.get("age")) + (time.time() * 1000 - self._response_time) / 1000

    def max_age(self) -> float:
        if not self.storable() or self._rescc.get("no-cache") or self._res_headers.get("vary") == "*":
            return 0
        if self._rescc.get("max-age"):
            return _parse_int(self._rescc["max-age"])
        min_ttl = _IMMUTABLE_MIN_TTL if self._rescc.get("immutable") else 0.0
        server_date = _parse_date_ms(self._res_headers.get("date")) or self._response_time
        if self._res_headers.get("expires"):
            expires = _parse_date_ms(self._res_headers["expires"])
            if expires is None or expires < server_date:
                return 0
            return max(min_ttl, (expires - server_date) / 1000)
        last_modified = _parse_date_ms(self._res_headers.get("last-modified"))
        if last_modified is not None and server_date > last_modified:
            return max(min_ttl, (server_date - last_modified) / 1000 * _HEURISTIC_FRACTION)
        return min_ttl

    def _request_matches(self, req_headers: Mapping[str, str]) -> bool:
        # The URL always matches (entries are looked up by it) and the method is always GET.
        if self._host != req_headers.get("host"):
            return False
        vary = self._res_headers.get("vary")
        if not vary:
            return True
        if vary == "*":
            return False
        names = [name.strip() for name in vary.strip().lower().split(",")]
        return all(req_headers.get(name) == self._req_headers.get(name) for name in names)

    def needs_revalidation(self, req_headers: Mapping[str, str]) -> bool:
        """not satisfiesWithoutRevalidation(request)."""
        if self._rescc.get("must-revalidate") or not self._request_matches(req_headers):
            return True
        request_cc = _parse_cache_control(req_headers.get("cache-control"))
        if request_cc.get("no-cache") or "no-cache" in req_headers.get("pragma", ""):
            return True
        age, max_age = self.age(), self.max_age()
        if request_cc.get("max-age") and age > _parse_int(request_cc["max-age"]):
            return True
        if request_cc.get("min-fresh") and max_age - age < _parse_int(request_cc["min-fresh"]):
            return True
        if max_age > age:
            return False
        max_stale = request_cc.get("max-stale")
        # stale-while-revalidate still asks for a revalidation, so only max-stale saves a stale entry.
        return not (max_stale is True or (max_stale is not None and _parse_int(max_stale) > age - max_age))

    def response_headers(self) -> dict[str, str]:
        headers = {k: v for k, v in self._res_headers.items() if k not in _HOP_BY_HOP}
        for name in (self._res_headers.get("connection") or "").split(","):
            headers.pop(name.strip(), None)
        age = self.age()
        explicit = self._rescc.get("max-age") or self._res_headers.get("expires")
        if age > 86400 and not explicit and self.max_age() > 86400:
            warning = headers.get("warning")
            headers["warning"] = (f"{warning}, " if warning else "") + '113 - "rfc7234 5.5.4"'
        headers["age"] = str(round(age))
        headers["date"] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
        return headers

    def revalidation_headers(self, req_headers: Mapping[str, str]) -> dict[str, str]:
        headers = {k: v for k, v in req_headers.items() if k not in _HOP_BY_HOP and k != "if-range"}
        if not self._request_matches(req_headers) or not self.storable():
            headers.pop("if-none-match", None)
            headers.pop("if-modified-since", None)
            return headers
        etag = self._res_headers.get("etag")
        if etag:
            previous = headers.get("if-none-match")
            headers["if-none-match"] = f"{previous}, {etag}" if previous else etag
        if headers.get("accept-ranges") or headers.get("if-match") or headers.get("if-unmodified-since"):
            # Weak validators are only for simple GETs.
            headers.pop("if-modified-since", None)
            strong = [
                e for e in headers.get("if-none-match", "").split(",") if e and not _WEAK_ETAG_RE.match(e)
            ]
            headers.pop("if-none-match", None)
            if strong:
                headers["if-none-match"] = ",".join(strong).strip()
        elif self._res_headers.get("last-modified") and not headers.get("if-modified-since"):
            headers["if-modified-since"] = self._res_headers["last-modified"]
        return headers

    def revalidated(self, status: int) -> bool:
        """Does the answer to a revalidation mean "use the stored body"? (`!policy.modified`)

        A 304 always does, even one whose validators match nothing: it has no body to offer. A 5xx
        does while `stale-if-error` still covers the entry.
        """
        if status in _ERROR_STATUSES:
            return self.max_age() + _parse_int(self._rescc.get("stale-if-error")) > self.age()
        return status == 304
