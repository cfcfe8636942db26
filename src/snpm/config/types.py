"""nopt's type system, as npm configures it: type atoms, validation, `clean`, and invalid-value warnings.

A setting's type is one atom or a tuple of atoms (npm writes `Boolean` or `[null, Boolean]`; the
difference matters to nopt, so it is kept). Atoms are the `T` type definitions, or literal values
(strings, numbers, `None` for null, `False`), which a value must equal strictly (JS `===`).

`clean` is nopt's `clean()` with npm's type definitions (@npmcli/config lib/type-defs.js): it
coerces strings (`"true"` → true, `"12"` → 12 for Number types), validates every value, reports
invalid ones through a callback and drops them (a key whose values are all invalid is deleted
unless its type allows an Array). `invalid_warnings` renders npm's two `invalid config` lines.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, MutableMapping
from functools import cache
from typing import TypeAlias

from snpm.config.values import (
    UNDEFINED,
    ConfigValue,
    JsDate,
    JsUndefined,
    js_is_nan,
    js_number,
    js_string,
    js_truthy,
    json_parse_literal,
    json_stringify,
    normalize_number,
    parse_js_date,
)


class T(enum.Enum):
    """nopt/npm type definitions, in the order npm's typeDefs object lists them (validation order)."""

    STRING = "String"
    BOOLEAN = "Boolean"
    URL = "url"
    NUMBER = "Number"
    PATH = "path"
    STREAM = "Stream"
    DATE = "Date"
    ARRAY = "Array"
    SEMVER = "semver"
    UMASK = "Umask"


TypeAtom: TypeAlias = "T | str | int | float | bool | None"
TypeSpec: TypeAlias = "TypeAtom | tuple[TypeAtom, ...]"

# what `Must be …` says for each type (type-defs.js descriptions; String, Stream and Array have none)
DESCRIPTIONS: dict[T, str] = {
    T.SEMVER: "full valid SemVer string",
    T.UMASK: "octal number in range 0o000..0o777 (0..511)",
    T.URL: 'full url with "http://"',
    T.PATH: "valid filesystem path",
    T.NUMBER: "numeric value",
    T.BOOLEAN: "boolean value (true or false)",
    T.DATE: "valid Date string",
}

_JS_WS = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_trim(text: str) -> str:
    return text.strip(_JS_WS)


def as_tuple(spec: TypeSpec) -> tuple[TypeAtom, ...]:
    return spec if isinstance(spec, tuple) else (spec,)


def strict_eq(a: object, b: object) -> bool:
    """JS `===` for config values: booleans never equal numbers, NaN never equals itself."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is b


def has_atom(spec: Iterable[TypeAtom], atom: TypeAtom) -> bool:
    """`types.indexOf(atom) !== -1` with JS strict equality."""
    return any(strict_eq(t, atom) if not isinstance(t, T) else t is atom for t in spec)


# ── umask ──

_UMASK_OCTAL = re.compile(r"0o?[0-7]+")
_UMASK_DECIMAL = re.compile(r"[1-9][0-9]*")


def parse_umask(value: ConfigValue) -> int:
    """@npmcli/config umask.js `parse`: `"022"`/`"0o22"` octal, `"18"` decimal; ValueError otherwise."""
    if isinstance(value, str):
        if _UMASK_OCTAL.fullmatch(value):
            digits = re.sub(r"^0o?", "", value)
            return int(digits, 8)
        if _UMASK_DECIMAL.fullmatch(value):
            return int(value)
        raise ValueError(f"invalid umask value: {value}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"invalid umask value: {js_string(value)}")
    floored = int(value // 1) if value == value else -1
    if floored < 0 or floored > 511:
        raise ValueError(f"invalid umask value: {js_string(value)}")
    return floored


# ── semver.valid ──

_NUM = r"(?:0|[1-9]\d*)"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)"


@cache
def _semver() -> re.Pattern[str]:
    """Compiled on first use (a millisecond, and only semver-typed settings need it)."""
    return re.compile(
        rf"v?(?P<main>{_NUM}\.{_NUM}\.{_NUM})(?P<pre>-{_PRE_ID}(?:\.{_PRE_ID})*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
    )


def semver_valid(value: ConfigValue) -> str | None:
    """node-semver `valid(v)` (strict): the normalised version without build metadata, or None."""
    if not isinstance(value, str) or len(value) > 256:
        return None
    m = _semver().fullmatch(js_trim(value))
    if not m:
        return None
    major, minor, patch = (int(p) for p in m.group("main").split("."))
    if max(major, minor, patch) > 2**53 - 1:
        return None
    return f"{major}.{minor}.{patch}{m.group('pre') or ''}"


# ── legacy url.parse ──


# compiled on first use: most runs never need it, and compiling costs start-up time
@cache
def _protocol() -> re.Pattern[str]:
    return re.compile(r"^[a-z0-9.+-]+:", re.IGNORECASE)


_HOSTLESS = {"javascript", "javascript:"}
_SLASHED = {"http", "https", "ftp", "gopher", "file", "http:", "https:", "ftp:", "gopher:", "file:"}
_HOST_END = re.compile(r"[/?#\\]")


def url_parse_href(text: str) -> str | None:
    """Node's legacy `url.parse(text).href` when the URL has a host (nopt's url type), else None."""
    rest = text.strip()
    m = _protocol().match(rest)
    if not m:
        return None
    proto = m.group(0).lower()
    rest = rest[m.end() :]
    if not rest.startswith("//") or proto[:-1] in _HOSTLESS:
        return None
    rest = rest[2:]
    end = _HOST_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    auth = ""
    if "@" in authority:
        at = authority.rfind("@")
        auth, authority = authority[:at], authority[at + 1 :]
    host = authority.lower()
    if not host:
        return None
    tail = tail.replace("\\", "/")
    if not tail and proto in _SLASHED:
        tail = "/"
    elif tail and tail[0] in "?#" and proto in _SLASHED:
        tail = "/" + tail
    tail = tail.replace(" ", "%20")
    prefix = f"{proto}//{auth + '@' if auth else ''}{host}"
    return prefix + tail


# ── paths ──


def js_path_resolve(cwd: str, *parts: str) -> str:
    """Node's `path.resolve(cwd, ...parts)` on POSIX: absolute, normalised, no trailing slash."""
    path = cwd
    for part in parts:
        if not part:
            continue
        path = part if part.startswith("/") else f"{path}/{part}"
    stack: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if stack:
                stack.pop()
            continue
        stack.append(seg)
    return "/" + "/".join(stack)


def expand_path(value: str, home: str | None, cwd: str) -> str:
    """npm's path handling: `~/x` → `<home>/x`, everything made absolute against cwd."""
    if home and value.startswith("~/"):
        return js_path_resolve(home, value[2:])
    return js_path_resolve(cwd, value)


# ── validation (nopt validate + npm's type-defs) ──


class _InvalidError(Exception):
    pass


def _validate_atom(value: ConfigValue, atom: T, home: str | None, cwd: str) -> ConfigValue:
    """One type definition's validator: the (possibly converted) value, or raises _InvalidError."""
    if atom is T.STRING:
        return js_string(value)
    if atom is T.BOOLEAN:
        if isinstance(value, str):
            if not js_is_nan(value):
                return bool(js_number(value))
            return value not in ("null", "false")
        return js_truthy(value)
    if atom is T.URL:
        href = url_parse_href(js_string(value))
        if href is None:
            raise _InvalidError
        return href
    if atom is T.NUMBER:
        if js_is_nan(value):
            raise _InvalidError
        number = js_number(value)
        assert number is not None
        return normalize_number(float(number)) if isinstance(number, float) else number
    if atom is T.PATH:
        if not isinstance(value, str):
            raise _InvalidError
        return expand_path(value, home, cwd)
    if atom is T.DATE:
        if isinstance(value, JsDate):
            if not value.valid:
                raise _InvalidError
            return value
        if not isinstance(value, str):
            raise _InvalidError
        parsed = parse_js_date(value)
        if not parsed.valid:
            raise _InvalidError
        return parsed
    if atom is T.SEMVER:
        valid = semver_valid(value)
        if valid is None:
            raise _InvalidError
        return valid
    if atom is T.UMASK:
        try:
            return parse_umask(value)
        except ValueError:
            raise _InvalidError from None
    raise _InvalidError  # Stream never validates a config value; Array is handled by the caller


def validate_value(
    value: ConfigValue, spec: TypeSpec, home: str | None, cwd: str
) -> tuple[bool, ConfigValue]:
    """nopt `validate`: (ok, converted value)."""
    if isinstance(spec, tuple):
        for atom in spec:
            if atom is T.ARRAY:
                continue
            ok, converted = validate_value(value, atom, home, cwd)
            if ok:
                return True, converted
        return False, value
    if spec is T.ARRAY:
        return True, value
    if isinstance(spec, T):
        try:
            return True, _validate_atom(value, spec, home, cwd)
        except _InvalidError:
            return False, value
    if strict_eq(value, spec):
        return True, value
    return False, value


# nopt's default types for keys without a definition
TYPE_DEFAULT: tuple[TypeAtom, ...] = (False, True, None, T.STRING, T.ARRAY)

InvalidHandler = Callable[[str, ConfigValue, "TypeSpec | None"], None]


def clean(
    data: MutableMapping[str, ConfigValue],
    type_of: Callable[[str], TypeSpec | None],
    on_invalid: InvalidHandler,
    *,
    home: str | None,
    cwd: str,
) -> None:
    """nopt `clean(data, types)`: coerce and validate every key of one layer in place."""
    for key in list(data.keys()):
        raw = data[key]
        is_array = isinstance(raw, list)
        raw_type = type_of(key)
        has_type = raw_type is not None
        values: list[ConfigValue] = list(raw) if isinstance(raw, list) else [raw]
        spec: TypeSpec = raw_type if raw_type is not None else TYPE_DEFAULT
        if spec is T.ARRAY:
            spec = (*TYPE_DEFAULT, T.ARRAY)
        atoms = as_tuple(spec)
        kept: list[ConfigValue] = []
        for v in values:
            if isinstance(v, str):
                v = js_trim(v)
                if (
                    (v == "null" and has_atom(atoms, None))
                    or (v == "true" and (has_atom(atoms, True) or T.BOOLEAN in atoms))
                    or (v == "false" and (has_atom(atoms, False) or T.BOOLEAN in atoms))
                ):
                    v = json_parse_literal(v)
                elif T.NUMBER in atoms and not js_is_nan(v):
                    number = js_number(v)
                    assert number is not None
                    v = number
                elif T.DATE in atoms:
                    parsed = parse_js_date(v)
                    if parsed.valid:
                        v = parsed
            if not has_type:
                kept.append(v)
                continue
            assert raw_type is not None
            if v is False and has_atom(atoms, None) and not (has_atom(atoms, False) or T.BOOLEAN in atoms):
                v = None
            ok, converted = validate_value(v, raw_type, home, cwd)
            if not ok:
                on_invalid(key, v, raw_type)
                continue
            kept.append(converted)
        if not kept and T.ARRAY not in atoms:
            del data[key]
        elif is_array:
            data[key] = kept
        else:
            data[key] = kept[0]


# ── the `invalid config` warning lines ──


def _describe(atom: TypeAtom) -> str | int | float | bool | None | T:
    if isinstance(atom, T):
        return DESCRIPTIONS.get(atom, atom)
    return atom


def util_format(*args: object) -> str:
    """Node's util.format for the strings npm logs: %s %d %i %j %% in the first argument."""
    if not args:
        return ""
    first, rest = args[0], list(args[1:])
    if not isinstance(first, str):
        return " ".join(_inspect(a) for a in args)
    out: list[str] = []
    i = 0
    while i < len(first):
        ch = first[i]
        if ch == "%" and i + 1 < len(first):
            spec = first[i + 1]
            if spec == "%":
                out.append("%")
                i += 2
                continue
            if spec in "sdifjoOc":
                if not rest:
                    out.append(first[i : i + 2])
                    i += 2
                    continue
                arg = rest.pop(0)
                if spec == "s":
                    out.append(arg if isinstance(arg, str) else _inspect(arg))
                elif spec in "di":
                    out.append(js_string(js_number(arg if isinstance(arg, str) else js_string(arg))))  # type: ignore[arg-type]
                elif spec == "j":
                    out.append(json_stringify(arg))  # type: ignore[arg-type]
                elif spec == "c":
                    pass
                else:
                    out.append(_inspect(arg))
                i += 2
                continue
        out.append(ch)
        i += 1
    text = "".join(out)
    for arg in rest:
        text += " " + (arg if isinstance(arg, str) else _inspect(arg))
    return text


def _inspect(value: object) -> str:
    if isinstance(value, T):
        return f"[Function: {value.value}]" if value.value[0].isupper() else "[Object: null prototype]"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return (
            "[ " + ", ".join(f"'{v}'" if isinstance(v, str) else _inspect(v) for v in value) + " ]"
            if value
            else "[]"
        )
    return js_string(value)  # type: ignore[arg-type]


def invalid_warnings(
    key: str, value: ConfigValue, spec: TypeSpec | None, source: str
) -> list[tuple[str, str]]:
    """The two `npm warn invalid config …` lines of @npmcli/config's invalidHandler."""
    first = util_format(f"{key}={json_stringify(value)}", f"set in {source}")
    if isinstance(spec, tuple):
        if T.URL in spec:
            spec = T.URL
        elif T.PATH in spec:
            spec = T.PATH
    atoms = as_tuple(spec) if spec is not None else TYPE_DEFAULT
    described = [_describe(a) for a in atoms]
    must_be = [d for d in described if d is not T.ARRAY and not isinstance(d, JsUndefined)]
    has_array = T.ARRAY in described
    if len(must_be) == 1 and has_array:
        keyword = " one or more"
    elif len(must_be) > 1 and has_array:
        keyword = " one or more of:"
    elif len(must_be) > 1:
        keyword = " one of:"
    else:
        keyword = ""
    if len(must_be) == 1:
        only = must_be[0]
        desc = only if isinstance(only, str) else _inspect(only)
    else:
        seen: list[str] = []
        for item in must_be:
            # JSON.stringify of a type constructor is undefined, which join() prints as ''
            text = item if isinstance(item, str) else ("" if isinstance(item, T) else json_stringify(item))
            if text not in seen:
                seen.append(text)
        desc = ", ".join(seen)
    return [("invalid config", first), ("invalid config", util_format("Must be" + keyword, desc))]


__all__ = [
    "DESCRIPTIONS",
    "TYPE_DEFAULT",
    "UNDEFINED",
    "T",
    "TypeAtom",
    "TypeSpec",
    "as_tuple",
    "clean",
    "expand_path",
    "has_atom",
    "invalid_warnings",
    "js_path_resolve",
    "js_trim",
    "parse_umask",
    "semver_valid",
    "strict_eq",
    "url_parse_href",
    "util_format",
    "validate_value",
]
