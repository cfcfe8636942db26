"""The .npmrc dialect: a port of the `ini` package (v4/v5) that npm bundles, read and write.

Reading (`decode`) quirks kept on purpose, because users' files depend on them:
- a line whose first non-blank character is `;` or `#` is a comment; an unquoted value ends at
  the first unescaped `;` or `#` even without a space before it (`x#y` → `x`), `\\;`/`\\#` escape;
- a value wrapped in `"…"` is JSON-decoded, in `'…'` taken as is; `key[]=v` appends to a list;
- the literal values `true`, `false` and `null` become booleans/null; a key with no `=` is `true`;
- `[section]` headers (with `a.b` nesting) produce nested dicts, `__proto__` is ignored.

Writing (`encode`) is `ini.stringify` without options: `key=value` lines in insertion order, lists
as `key[]=v`, values quoted (JSON) only when they would not read back, `;`/`#` escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from snpm.config.values import ConfigValue, JsDate, js_string, json_stringify, normalize_number
from snpm.ecmascript.strings import trim

_LINE_SPLIT = re.compile(r"[\r\n]+")
_COMMENT = re.compile(r"^\s*[;#]")
_BLANK = re.compile(r"^\s*$")
_LITERALS: dict[str, ConfigValue] = {"true": True, "false": False, "null": None}
_ENTRY = re.compile(r"^\[([^\]]*)\]\s*$|^([^=]+)(=(.*))?$", re.DOTALL)


def _is_quoted(val: str) -> bool:
    return (val.startswith('"') and val.endswith('"')) or (val.startswith("'") and val.endswith("'"))


def safe(val: ConfigValue) -> str:
    """ini `safe`: quote with JSON when the text would not survive a round trip, else escape ; and #."""
    if (
        not isinstance(val, str)
        or re.search(r"[=\r\n]", val)
        or val.startswith("[")
        or (len(val) > 1 and _is_quoted(val))
        or val != trim(val)
    ):
        return json_stringify(val)
    return val.replace(";", "\\;").replace("#", "\\#")


def _no_constants(name: str) -> ConfigValue:
    raise ValueError(name)  # JSON.parse knows no NaN or Infinity


def _from_json(value: object) -> ConfigValue:
    if isinstance(value, float):
        return normalize_number(value)
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _from_json(v) for k, v in value.items()}
    return value  # type: ignore[return-value]


def unsafe(val: str | None) -> ConfigValue:
    """ini `unsafe`: unquote a key or value, or cut it at the first unescaped comment character.

    A quoted text is JSON.parse'd, so `'123'` reads as the number 123 and `'true'` as true.
    """
    text = trim(val or "")
    if _is_quoted(text):
        if text[0] == "'":
            text = text[1:-1]
        try:
            return _from_json(json.loads(text, parse_constant=_no_constants))
        except ValueError:
            return text
    esc = False
    out: list[str] = []
    for ch in text:
        if esc:
            out.append(ch if ch in "\\;#" else "\\" + ch)
            esc = False
        elif ch in ";#":
            break
        elif ch == "\\":
            esc = True
        else:
            out.append(ch)
    if esc:
        out.append("\\")
    return trim("".join(out))


def _key(val: str | None) -> str:
    key = unsafe(val)
    return key if isinstance(key, str) else js_string(key)


def _split_sections(text: str, separator: str) -> list[str]:
    """ini splitSections: split on `.` not preceded by a backslash."""
    sections: list[str] = []
    last_match = 0
    last_sep = 0
    while True:
        nxt = text.find(separator, last_match)
        if nxt == -1:
            break
        last_match = nxt + len(separator)
        if nxt > 0 and text[nxt - 1] == "\\":
            continue
        sections.append(text[last_sep:nxt])
        last_sep = nxt + len(separator)
    sections.append(text[last_sep:])
    return sections


def decode(text: str) -> dict[str, ConfigValue]:
    """ini.parse: the file's keys in order, with nested dicts for sections."""
    out: dict[str, ConfigValue] = {}
    p: dict[str, ConfigValue] = out
    for line in _LINE_SPLIT.split(text):
        if not line or _COMMENT.match(line) or _BLANK.match(line):
            continue
        m = _ENTRY.match(line)
        if not m:
            continue
        if m.group(1) is not None:
            section = _key(m.group(1))
            if section == "__proto__":
                p = {}
                continue
            existing = out.get(section)
            if not isinstance(existing, dict):
                existing = {}
                out[section] = existing
            p = existing
            continue
        key_raw = _key(m.group(2))
        is_array = len(key_raw) > 2 and key_raw.endswith("[]")
        key = key_raw[:-2] if is_array else key_raw
        if key == "__proto__":
            continue
        value: ConfigValue
        if m.group(3):
            raw = unsafe(m.group(4))
            value = _LITERALS[raw] if isinstance(raw, str) and raw in _LITERALS else raw
        else:
            value = True
        if is_array:
            if key not in p:
                p[key] = []
            elif not isinstance(p[key], list):
                p[key] = [p[key]]
        current = p.get(key)
        if isinstance(current, list):
            current.append(value)
        else:
            p[key] = value

    # {a:{y:1},"a.b":{x:2}} --> {a:{y:1,b:{x:2}}}
    remove: list[str] = []
    for k in list(out.keys()):
        if not isinstance(out[k], dict):
            continue
        parts = _split_sections(k, ".")
        target: dict[str, ConfigValue] = out
        last = parts.pop()
        nl = last.replace("\\.", ".")
        for part in parts:
            if part == "__proto__":
                continue
            child = target.get(part)
            if not isinstance(child, dict):
                child = {}
                target[part] = child
            target = child
        if target is out and nl == last:
            continue
        target[nl] = out[k]
        remove.append(k)
    for k in remove:
        del out[k]
    return out


def encode(obj: Mapping[str, ConfigValue], section: str | None = None) -> str:
    """ini.stringify(obj): `key=value` lines, lists as `key[]=v`, sub-objects as `[section]` blocks."""
    children: list[str] = []
    out = ""
    for k, val in obj.items():
        if isinstance(val, list):
            # an empty list writes nothing (JS arrays are truthy, and it has no items)
            for item in val:
                out += safe(f"{k}[]") + "=" + safe(item) + "\n"
        elif isinstance(val, dict | JsDate):
            children.append(k)
        else:
            out += safe(k) + "=" + safe(val) + "\n"
    if section and out:
        out = "[" + safe(section) + "]\n" + out
    for k in children:
        nk = "\\.".join(_split_sections(k, "."))
        sub_section = (section + "." if section else "") + nk
        child_val = obj[k]
        child = encode(child_val if isinstance(child_val, dict) else {}, sub_section)
        if out and child:
            out += "\n"
        out += child
    return out
