"""Config values with JavaScript's semantics, because npm prints them with JavaScript's conversions.

npm's config is a bag of JS values: `npm config get` prints `String(value)`, `npm config list` prints
`JSON.stringify(value)`, numbers come from `+"0x10"`, dates from `new Date(s)`. To print byte-identical
output snpm keeps the same value domain and applies those conversions to it (the JavaScript semantics
themselves are `snpm.ecmascript`'s; what is config's own is the value domain: dates, undefined, ini
sections):

- `ConfigValue`: None (JS null), bool, int/float (JS number; integral values are ints), str, `JsDate`,
  lists and dicts (ini sections), and `UNDEFINED` (JS undefined: `key=undefined` in a file).
- `js_string` (`String(v)`), `json_stringify` (`JSON.stringify(v)`, compact), `js_number`
  (`Number(s)`, NaN as None), `js_is_nan` (the global `isNaN`), `js_truthy` (`Boolean(v)`),
  `parse_js_date` (`Date.parse`).
"""

from __future__ import annotations

import math
import re
import time
from functools import cache
from typing import NamedTuple, TypeAlias, Union

from snpm.ecmascript.json import stringify
from snpm.ecmascript.numbers import number_to_string, to_number
from snpm.ecmascript.values import truthy
from snpm.json_types import JsonValue


class JsUndefined:
    """JavaScript's `undefined`: a value a layer may hold (`json=undefined` in an .npmrc)."""

    _instance: JsUndefined | None = None

    def __new__(cls) -> JsUndefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = JsUndefined()


class JsDate(NamedTuple):
    """A JS Date: milliseconds since the epoch, or None for `Invalid Date`."""

    ms: float | None

    @property
    def valid(self) -> bool:
        return self.ms is not None

    def iso(self) -> str | None:
        """`toISOString()` (what JSON.stringify prints), or None when invalid."""
        if self.ms is None:
            return None
        ms = int(self.ms)
        secs, milli = divmod(ms, 1000)
        tm = time.gmtime(secs)
        year = tm.tm_year
        ytext = f"{year:04d}" if 0 <= year <= 9999 else f"{'+' if year > 0 else '-'}{abs(year):06d}"
        return f"{ytext}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}.{milli:03d}Z"

    def to_string(self) -> str:
        """`Date.prototype.toString()` in the local time zone, as V8 prints it."""
        if self.ms is None:
            return "Invalid Date"
        secs = math.floor(self.ms / 1000)
        tm = time.localtime(secs)
        offset = tm.tm_gmtoff or 0
        sign = "+" if offset >= 0 else "-"
        hh, mm = divmod(abs(offset) // 60, 60)
        name = _tz_long_name(tm.tm_zone, offset)
        return time.strftime("%a %b %d %Y %H:%M:%S", tm) + f" GMT{sign}{hh:02d}{mm:02d} ({name})"


def _tz_long_name(abbrev: str | None, offset: int) -> str:
    # V8 asks ICU for the long name; only the zones seen on servers are spelled out here
    if abbrev in (None, "UTC", "GMT", "") and offset == 0:
        return "Coordinated Universal Time"
    return abbrev or "Coordinated Universal Time"


ConfigValue: TypeAlias = Union[  # noqa: UP007 - a recursive alias needs the string form
    None, bool, int, float, str, JsDate, JsUndefined, "list[ConfigValue]", "dict[str, ConfigValue]"
]

# ── Number(value) ──


def js_number(value: ConfigValue) -> float | int | None:
    """`Number(value)` for the values config sees; None stands for NaN."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, JsDate):
        return value.ms
    if isinstance(value, list):
        if not value:
            return 0
        if len(value) == 1:
            return js_number(js_string(value[0]))
        return None
    if not isinstance(value, str):
        return None
    number = to_number(value)
    return None if math.isnan(number) else normalize_number(number)


def normalize_number(number: float) -> int | float:
    """Integral JS numbers become Python ints so that they print and compare like JS."""
    if math.isfinite(number) and number == int(number) and abs(number) < 2**53:
        if number == 0 and math.copysign(1, number) < 0:
            return number  # keep -0
        return int(number)
    return number


def js_is_nan(value: ConfigValue) -> bool:
    """The global `isNaN(value)` (coerces with Number first)."""
    number = js_number(value)
    return number is None or (isinstance(number, float) and math.isnan(number))


def js_truthy(value: object) -> bool:
    """`Boolean(value)`: JS truthiness (`[]` and `{}` true; null, undefined, 0, NaN and "" false)."""
    return not isinstance(value, JsUndefined) and truthy(value)


# ── String(value) ──


def js_number_string(number: float | int) -> str:
    """`String(number)`: Number.prototype.toString, and `true`/`false` for a bool."""
    if isinstance(number, bool):
        return "true" if number else "false"
    return number_to_string(number)


def js_string(value: ConfigValue) -> str:
    """`String(value)`: what `npm config get` prints."""
    if value is None:
        return "null"
    if isinstance(value, JsUndefined):
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number_string(value)
    if isinstance(value, str):
        return value
    if isinstance(value, JsDate):
        return value.to_string()
    if isinstance(value, list):
        # Array.prototype.join: null and undefined elements are empty
        return ",".join("" if v is None or isinstance(v, JsUndefined) else js_string(v) for v in value)
    return "[object Object]"


# ── JSON ──


def to_json(value: ConfigValue) -> JsonValue:
    """What `JSON.parse(JSON.stringify(value))` gives (Dates → ISO strings, NaN/Infinity → null)."""
    if isinstance(value, JsDate):
        return value.iso()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, JsUndefined):
        return None
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items() if not isinstance(v, JsUndefined)}
    return value


def json_stringify(value: ConfigValue) -> str:
    """Compact `JSON.stringify(value)` (`undefined` at top level prints as `undefined` when concatenated)."""
    if isinstance(value, JsUndefined):
        return "undefined"
    return stringify(to_json(value), 0)


def json_parse_literal(text: str) -> ConfigValue:
    """JSON.parse for the literals nopt and ini convert: true, false, null."""
    return {"true": True, "false": False, "null": None}[text]


# ── Date.parse ──


# compiled on first use: most runs never parse one, and compiling costs start-up time
@cache
def _iso_date() -> re.Pattern[str]:
    return re.compile(
        r"(?P<y>[+-]\d{6}|\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2}))?)?"
        r"(?:T(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<ms>\d+))?)?)?"
        r"(?P<z>Z|[+-]\d{2}:\d{2})?"
    )


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@cache
def _legacy_token() -> re.Pattern[str]:
    return re.compile(r"\([^)]*\)|[A-Za-z]+\.?|\d+:\d+(?::\d+(?:\.\d+)?)?|[+-]\d+|\d+|[/,.-]|\s+")


def parse_js_date(text: str) -> JsDate:
    """`new Date(text)`: ES ISO strings exactly, and the common legacy forms V8 also accepts."""
    text = text.strip()
    iso = _parse_iso(text)
    if iso is not None:
        return iso
    return _parse_legacy(text)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _utc_ms(year: int, month: int, day: int, hour: int, minute: int, second: int, milli: int) -> float | None:
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 24 and minute <= 59 and second <= 59):
        return None
    if hour == 24 and (minute or second or milli):
        return None
    if day > _days_in_month(year, month):
        return None
    stamp = _days_from_civil(year, month, day) * 86400
    return float(stamp * 1000 + ((hour * 60 + minute) * 60 + second) * 1000 + milli)


def _local_offset_ms(utc_ms: float) -> float:
    return float((time.localtime(utc_ms / 1000).tm_gmtoff or 0) * 1000)


def _parse_iso(text: str) -> JsDate | None:
    m = _iso_date().fullmatch(text)
    if not m:
        return None
    year = int(m.group("y"))
    ms_text = (m.group("ms") or "0")[:3].ljust(3, "0")
    base = _utc_ms(
        year,
        int(m.group("mo") or 1),
        int(m.group("d") or 1),
        int(m.group("h") or 0),
        int(m.group("mi") or 0),
        int(m.group("s") or 0),
        int(ms_text),
    )
    if base is None:
        return JsDate(None)
    zone = m.group("z")
    if zone == "Z" or (zone is None and m.group("h") is None):
        return JsDate(base)
    if zone is None:  # date-time without an offset is local time
        return JsDate(base - _local_offset_ms(base))
    sign = 1 if zone[0] == "+" else -1
    return JsDate(base - sign * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60000)


def _parse_legacy(text: str) -> JsDate:
    numbers: list[int] = []
    month: int | None = None
    clock: tuple[int, int, int, int] | None = None
    offset_min: int | None = None
    pos = 0
    while pos < len(text):
        m = _legacy_token().match(text, pos)
        if not m:
            return JsDate(None)
        tok = m.group(0)
        pos = m.end()
        low = tok.lower().rstrip(".")
        if tok[0] == "(" or tok.isspace() or tok in "/,.-":
            continue
        if tok[0].isalpha():
            if low in ("gmt", "utc", "ut", "z"):
                offset_min = 0 if offset_min is None else offset_min
            elif low in ("am", "pm") and clock is not None:
                h = clock[0] % 12 + (12 if low == "pm" else 0)
                clock = (h, clock[1], clock[2], clock[3])
            elif low[:3] in _MONTHS and len(low) >= 3:
                month = _MONTHS.index(low[:3]) + 1
            elif low[:3] in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
                continue
            else:
                return JsDate(None)
        elif ":" in tok:
            parts = tok.split(":")
            sec, _, frac = (parts[2] if len(parts) > 2 else "0").partition(".")
            clock = (int(parts[0]), int(parts[1]), int(sec), int(frac[:3].ljust(3, "0")) if frac else 0)
        elif tok[0] in "+-" and clock is not None:
            digits = tok[1:]
            value = int(digits)
            minutes = (value // 100) * 60 + value % 100 if len(digits) > 2 else value * 60
            offset_min = minutes if tok[0] == "+" else -minutes
        else:
            numbers.append(int(tok.lstrip("+")))
    year: int | None = None
    day: int | None = None
    if month is not None:
        for n in numbers:
            if day is None and n <= 31 and not (year is None and n > 31):
                day = n
            elif year is None:
                year = n
    elif len(numbers) == 3:
        if numbers[0] > 31:
            year, month, day = numbers
        else:
            month, day, year = numbers
    elif len(numbers) == 1 and 1 <= numbers[0] <= 12:
        # V8 reads a lone month number as that month of 2001
        month, day, year = numbers[0], 1, 2001
    if year is None or month is None:
        return JsDate(None)
    if day is None:
        day = 1
    if year < 50:
        year += 2000
    elif year < 100:
        year += 1900
    h, mi, s, ms = clock or (0, 0, 0, 0)
    base = _utc_ms(year, month, day, h, mi, s, ms)
    if base is None:
        return JsDate(None)
    if offset_min is None:
        return JsDate(base - _local_offset_ms(base))
    return JsDate(base - offset_min * 60000)
