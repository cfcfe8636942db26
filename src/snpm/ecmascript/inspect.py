"""node's `util.inspect` for JSON values, as `npm view` prints fields (depth 5, no array limit).

A port of node 20's lib/internal/util/inspect.js restricted to what a registry document can hold:
plain objects, arrays, strings, numbers, booleans and null. The layout rules are node's: `compact: 3`
(up to three inner levels joined on one line when they fit `breakLength` 80), arrays of more than
six items grouped into aligned columns, strings longer than the line split at newlines with ` +`,
keys quoted only when they are not identifiers, strings quoted with `'` unless they contain one.
Lengths are JavaScript's (UTF-16 code units), which differ from Python's for astral characters.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from snpm.ecmascript.numbers import number_to_string
from snpm.json_types import JsonValue

__all__ = ["inspect"]

_BREAK_LENGTH = 80
_COMPACT = 3
_MIN_LINE_LENGTH = 16
_MAX_STRING_LENGTH = 10_000
_KEY_RE = re.compile(r"^[a-zA-Z_][a-zA-Z_0-9]*$")
# what strEscape must touch: C0 controls, ', \, C1 controls and lone surrogates
_NEEDS_ESCAPE = re.compile(r"[\x00-\x1f\x27\x5c\x7f-\x9f\ud800-\udfff]")
_NEEDS_ESCAPE_NO_QUOTE = re.compile(r"[\x00-\x1f\x5c\x7f-\x9f\ud800-\udfff]")
_NAMED = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 39: "\\'", 92: "\\\\"}
_STYLES = {
    "string": ("\x1b[32m", "\x1b[39m"),
    "number": ("\x1b[33m", "\x1b[39m"),
    "boolean": ("\x1b[33m", "\x1b[39m"),
    "null": ("\x1b[1m", "\x1b[22m"),
    "special": ("\x1b[36m", "\x1b[39m"),
}
_SGR = re.compile(r"\x1b\[\d\d?m")


def _js_len(text: str) -> int:
    """String.prototype.length: astral characters count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _escape_char(ch: str, quote: int) -> str:
    code = ord(ch)
    if code == 39 and quote != 39:
        return ch
    if code in _NAMED:
        return _NAMED[code]
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:x}"
    return f"\\x{code:02X}"


def _str_escape(text: str) -> str:
    """node's strEscape: pick the quote, escape what must be escaped."""
    quote = 39
    pattern = _NEEDS_ESCAPE
    if "'" in text:
        if '"' not in text:
            quote = -1
        elif "`" not in text and "${" not in text:
            quote = -2
        if quote != 39:
            pattern = _NEEDS_ESCAPE_NO_QUOTE
    if pattern.search(text):
        text = pattern.sub(lambda m: _escape_char(m.group(0), quote), text)
    if quote == -1:
        return f'"{text}"'
    if quote == -2:
        return f"`{text}`"
    return f"'{text}'"


@dataclass
class _Context:
    colors: bool
    depth: int
    indentation: int = 0
    current_depth: int = 0
    budget: dict[int, int] = field(default_factory=dict)

    def stylize(self, text: str, style: str) -> str:
        if not self.colors or style not in _STYLES:
            return text
        start, end = _STYLES[style]
        return f"{start}{text}{end}"

    def visible_len(self, text: str) -> int:
        return _js_len(_SGR.sub("", text) if self.colors else text)


def inspect(value: JsonValue, *, depth: int = 5, colors: bool = False) -> str:
    """`util.inspect(value, { depth, colors, maxArrayLength: null })`."""
    return _format_value(_Context(colors=colors, depth=depth), value, 0)


def _format_primitive(ctx: _Context, value: str | int | float | bool) -> str:
    if isinstance(value, str):
        trailer = ""
        if len(value) > _MAX_STRING_LENGTH:
            remaining = _js_len(value) - _MAX_STRING_LENGTH
            value = value[:_MAX_STRING_LENGTH]
            trailer = f"... {remaining} more character{'s' if remaining > 1 else ''}"
        length = _js_len(value)
        if length > _MIN_LINE_LENGTH and length > _BREAK_LENGTH - ctx.indentation - 4:
            lines = re.split(r"(?<=\n)", value)
            lines = [line for line in lines if line != ""] or [""]
            glue = " +\n" + " " * (ctx.indentation + 2)
            return glue.join(ctx.stylize(_str_escape(line), "string") for line in lines) + trailer
        return ctx.stylize(_str_escape(value), "string") + trailer
    if isinstance(value, bool):
        return ctx.stylize("true" if value else "false", "boolean")
    if isinstance(value, float) and value == 0 and math.copysign(1, value) < 0:
        return ctx.stylize("-0", "number")
    return ctx.stylize(number_to_string(value), "number")


def _format_value(ctx: _Context, value: JsonValue, recurse_times: int) -> str:
    if value is None:
        return ctx.stylize("null", "null")
    if isinstance(value, str | int | float | bool):
        return _format_primitive(ctx, value)
    is_array = isinstance(value, list)
    if is_array and not value:
        return "[]"
    if isinstance(value, dict) and not value:
        return "{}"
    if recurse_times > ctx.depth:
        return ctx.stylize("[Array]" if is_array else "[Object]", "special")
    recurse_times += 1
    ctx.current_depth = recurse_times
    output: list[str] = []
    if isinstance(value, list):
        for item in value:
            output.append(_format_property(ctx, item, recurse_times))
        braces = ("[", "]")
    else:
        for key, item in value.items():
            text = _format_property(ctx, item, recurse_times)
            name = key if _KEY_RE.match(key) else ctx.stylize(_str_escape(key), "string")
            output.append(f"{name}: {text}")
        braces = ("{", "}")
    result = _reduce_to_single_string(ctx, output, braces, is_array, recurse_times, value)
    ctx.budget[ctx.indentation] = ctx.budget.get(ctx.indentation, 0) + len(result)
    return result


def _format_property(ctx: _Context, value: JsonValue, recurse_times: int) -> str:
    ctx.indentation += 2
    try:
        return _format_value(ctx, value, recurse_times)
    finally:
        ctx.indentation -= 2


def _reduce_to_single_string(
    ctx: _Context,
    output: list[str],
    braces: tuple[str, str],
    is_array: bool,
    recurse_times: int,
    value: JsonValue,
) -> str:
    entries = len(output)
    if is_array and entries > 6:
        assert isinstance(value, list)
        output = _group_array_elements(ctx, output, value)
    if ctx.current_depth - recurse_times < _COMPACT and entries == len(output):
        start = len(output) + ctx.indentation + len(braces[0]) + 10
        if _is_below_break_length(ctx, output, start):
            joined = ", ".join(output)
            if "\n" not in joined:
                return f"{braces[0]} {joined} {braces[1]}"
    indentation = "\n" + " " * ctx.indentation
    return f"{braces[0]}{indentation}  {(',' + indentation + '  ').join(output)}{indentation}{braces[1]}"


def _is_below_break_length(ctx: _Context, output: list[str], start: int) -> bool:
    total = len(output) + start
    if total + len(output) > _BREAK_LENGTH:
        return False
    for entry in output:
        total += ctx.visible_len(entry)
        if total > _BREAK_LENGTH:
            return False
    return True


def _group_array_elements(ctx: _Context, output: list[str], value: list[JsonValue]) -> list[str]:
    total_length = 0
    max_length = 0
    separator_space = 2
    data_len = [ctx.visible_len(entry) for entry in output]
    for length in data_len:
        total_length += length + separator_space
        max_length = max(max_length, length)
    actual_max = max_length + separator_space
    if actual_max * 3 + ctx.indentation < _BREAK_LENGTH and (
        total_length / actual_max > 5 or max_length <= 6
    ):
        average_bias = math.sqrt(actual_max - total_length / len(output))
        biased_max = max(actual_max - 3 - average_bias, 1)
        columns = min(
            _js_round(math.sqrt(2.5 * biased_max * len(output)) / biased_max),
            (_BREAK_LENGTH - ctx.indentation) // actual_max,
            _COMPACT * 4,
            15,
        )
        if columns <= 1:
            return output
        max_line_length = []
        for i in range(columns):
            line_length = max((data_len[j] for j in range(i, len(output), columns)), default=0)
            max_line_length.append(line_length + separator_space)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        grouped: list[str] = []
        for i in range(0, len(output), columns):
            last = min(i + columns, len(output))
            line = ""
            for j in range(i, last - 1):
                padding = max_line_length[j - i] + len(output[j]) - data_len[j]
                cell = f"{output[j]}, "
                line += cell.rjust(padding) if numbers else cell.ljust(padding)
            j = last - 1
            if numbers:
                padding = max_line_length[j - i] + len(output[j]) - data_len[j] - separator_space
                line += output[j].rjust(padding)
            else:
                line += output[j]
            grouped.append(line)
        return grouped
    return output


def _js_round(number: float) -> int:
    """Math.round: halves go up."""
    return math.floor(number + 0.5)
