"""The SyntaxError messages of node 20's `JSON.parse` (V8 11.3, src/json/json-parser.cc), in Python.

npm shows V8's own words for a broken package.json or lockfile ("Expected property name or '}' in
JSON at position 2", "Unexpected token 'x', \\"...\\" is not valid JSON"), and which message V8
picks depends on where its parser stands when it fails, so this module walks the text the way
V8's JsonParser does and stops at its first report. It runs only after a fast decoder has refused
the text: valid JSON never pays for it.

V8's quirks kept here: positions count UTF-16 code units; the first property name of an object
gets "Expected property name or '}'", a later one "Expected double-quoted property name", and the
colon after a later name no message of its own ("Unexpected string/number/token"); a leading zero
before a digit is an "Unexpected number"; `true`/`false`/`null` cut short at the end of the text is
"Unexpected end of JSON input"; the four strings `undefined`, `NaN`, `Infinity` and
`[object Object]` get `"<text>" is not valid JSON`; otherwise an unexpected character is quoted
with up to 10 code units of context each side (the whole text when shorter than 21 units), cut
by code units, so half of a surrogate pair can show.

Imports nothing from snpm. Messages are JS strings: a lone surrogate stays a lone surrogate.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "from_utf16_units",
    "json_parse_error_message",
    "to_utf16_units",
    "to_well_formed",
]

# ── UTF-16 code units ──────────────────────────────────────────────────────────────────────────────
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _surrogate_pair(match: re.Match[str]) -> str:
    code = ord(match.group()) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def to_utf16_units(text: str) -> str:
    """`text` with every character past U+FFFF spelled as its two surrogates, so that indexes and
    `len()` count UTF-16 code units like JS strings do."""
    if text.isascii() or _ASTRAL.search(text) is None:
        return text
    return _ASTRAL.sub(_surrogate_pair, text)


def from_utf16_units(units: str) -> str:
    """The inverse of `to_utf16_units`: paired surrogates become one character, lone ones stay."""
    if units.isascii():
        return units
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def to_well_formed(text: str) -> str:
    """`String#toWellFormed`: lone surrogates become U+FFFD, as node writes them to a stream."""
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


# ── V8's tokens and message templates (src/common/message-template.h) ───────────────────────────────
_EOS: Final = "EOS"
_NUMBER: Final = "NUMBER"
_STRING: Final = "STRING"
_ILLEGAL: Final = "ILLEGAL"
# GetOneCharJsonToken: the tokens a single character (<= 0xFF) starts; every other character is ILLEGAL
_ONE_CHAR_TOKENS: Final = {
    '"': _STRING,
    "-": _NUMBER,
    **dict.fromkeys("0123456789", _NUMBER),
    "[": "LBRACK",
    "{": "LBRACE",
    "]": "RBRACK",
    "}": "RBRACE",
    "t": "TRUE_LITERAL",
    "f": "FALSE_LITERAL",
    "n": "NULL_LITERAL",
    " ": "WHITESPACE",
    "\t": "WHITESPACE",
    "\r": "WHITESPACE",
    "\n": "WHITESPACE",
    ":": "COLON",
    ",": "COMMA",
}

_UNEXPECTED_EOS: Final = "Unexpected end of JSON input"
_UNEXPECTED_NUMBER: Final = "Unexpected number in JSON at position %"
_UNEXPECTED_STRING: Final = "Unexpected string in JSON at position %"
_EXPECTED_PROP_NAME_OR_RBRACE: Final = "Expected property name or '}' in JSON at position %"
_EXPECTED_COMMA_OR_RBRACK: Final = "Expected ',' or ']' after array element in JSON at position %"
_EXPECTED_COMMA_OR_RBRACE: Final = "Expected ',' or '}' after property value in JSON at position %"
_EXPECTED_COLON: Final = "Expected ':' after property name in JSON at position %"
_EXPECTED_DOUBLE_QUOTED_NAME: Final = "Expected double-quoted property name in JSON at position %"
_UNTERMINATED_STRING: Final = "Unterminated string in JSON at position %"
_BAD_CONTROL_CHARACTER: Final = "Bad control character in string literal in JSON at position %"
_BAD_UNICODE_ESCAPE: Final = "Bad Unicode escape in JSON at position %"
_BAD_ESCAPED_CHARACTER: Final = "Bad escaped character in JSON at position %"
_NO_NUMBER_AFTER_MINUS: Final = "No number after minus sign in JSON at position %"
_EXPONENT_MISSING_NUMBER: Final = "Exponent part is missing a number in JSON at position %"
_UNTERMINATED_FRACTION: Final = "Unterminated fractional number in JSON at position %"
_NON_WHITESPACE_AFTER: Final = "Unexpected non-whitespace character after JSON at position %"

# JsonParser::IsSpecialString: what `JSON.parse(undefined)`, `(NaN)`, `(Infinity)` and `({})` see
_SPECIAL_STRINGS: Final = frozenset({"[object Object]", "undefined", "Infinity", "NaN"})
# kMaxContextCharacters / kMinOriginalSourceLengthForContext
_CONTEXT: Final = 10
_MIN_LENGTH_FOR_CONTEXT: Final = _CONTEXT * 2 + 1

_WHITESPACE = re.compile(r"[ \t\r\n]*")
_DIGITS = re.compile(r"[0-9]*")
# what ScanJsonString skips without looking: anything but a quote, a backslash or a C0 control
_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]*')
_HEX = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESCAPES = frozenset('"\\/bfnrt')
_NUMBER_PARTS = frozenset(".eE0123456789-+")


class _Reported(Exception):  # noqa: N818 - control flow, never leaves this module
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Parser:
    """JsonParser<Char>: only the parts that decide whether, where and with which message it fails."""

    __slots__ = ("end", "pos", "source")

    def __init__(self, source: str) -> None:
        self.source = source  # UTF-16 code units
        self.end = len(source)
        self.pos = 0

    # ── reporting ──
    def _fail(self, template: str) -> _Reported:
        return _Reported(template.replace("%", str(self.pos)))

    def _unexpected(self, token: str) -> _Reported:
        """ReportUnexpectedToken without a message: LookUpErrorMessageForJsonToken."""
        if token == _EOS:
            return _Reported(_UNEXPECTED_EOS)
        if token == _NUMBER:
            return self._fail(_UNEXPECTED_NUMBER)
        if token == _STRING:
            return self._fail(_UNEXPECTED_STRING)
        if self.source in _SPECIAL_STRINGS:
            return _Reported(f'"{self.source}" is not valid JSON')
        return _Reported(self._with_context())

    def _with_context(self) -> str:
        """GetErrorMessageWithEllipses."""
        source, pos, length = self.source, self.pos, self.end
        token = source[pos]
        if length < _MIN_LENGTH_FOR_CONTEXT:
            return f"Unexpected token '{token}', \"{source}\" is not valid JSON"
        if pos < _CONTEXT:
            return f"Unexpected token '{token}', \"{source[: pos + _CONTEXT]}\"... is not valid JSON"
        if pos < length - _CONTEXT:
            snippet = source[pos - _CONTEXT : pos + _CONTEXT]
            return f"Unexpected token '{token}', ...\"{snippet}\"... is not valid JSON"
        return f"Unexpected token '{token}', ...\"{source[pos - _CONTEXT :]}\" is not valid JSON"

    def _unexpected_character(self) -> _Reported:
        """ReportUnexpectedCharacter(CurrentCharacter())."""
        return self._unexpected(self._token_at(self.pos))

    def _token_at(self, pos: int) -> str:
        if pos >= self.end:
            return _EOS
        return _ONE_CHAR_TOKENS.get(self.source[pos], _ILLEGAL)

    def _peek(self) -> str:
        """SkipWhitespace, then the token the next character starts."""
        self.pos = _WHITESPACE.match(self.source, self.pos).end()  # type: ignore[union-attr]
        return self._token_at(self.pos)

    def _expect(self, char: str, template: str | None) -> None:
        """ExpectNext(token, errorMessage)."""
        token = self._peek()
        if self.pos < self.end and self.source[self.pos] == char:
            self.pos += 1
            return
        raise self._fail(template) if template is not None else self._unexpected(token)

    # ── values ──
    def parse(self) -> None:
        """ParseJson: one value, then only whitespace."""
        source = self.source
        # the open containers, innermost last: "{" or "["
        stack: list[str] = []
        while True:
            self._produce_value(stack)
            # consume the produced value: close every container it completes
            while True:
                if not stack:
                    if self._peek() != _EOS:
                        raise self._fail(_NON_WHITESPACE_AFTER)
                    return
                self._peek()
                at = source[self.pos] if self.pos < self.end else ""
                if at == ",":
                    self.pos += 1
                    if stack[-1] == "{":
                        self._expect('"', _EXPECTED_DOUBLE_QUOTED_NAME)
                        self._scan_string()
                        # V8 has no message for the colon after a later property name
                        self._expect(":", None)
                    break
                if stack[-1] == "{":
                    self._expect("}", _EXPECTED_COMMA_OR_RBRACE)
                else:
                    self._expect("]", _EXPECTED_COMMA_OR_RBRACK)
                stack.pop()

    def _produce_value(self, stack: list[str]) -> None:
        """The "produce a json value" loop: opening containers until a value is complete."""
        while True:
            token = self._peek()
            if token == _STRING:
                self.pos += 1
                self._scan_string()
                return
            if token == _NUMBER:
                self._scan_number()
                return
            if token == "LBRACE":
                self.pos += 1
                if self._peek() == "RBRACE":
                    self.pos += 1
                    return
                stack.append("{")
                self._expect('"', _EXPECTED_PROP_NAME_OR_RBRACE)
                self._scan_string()
                self._expect(":", _EXPECTED_COLON)
                continue
            if token == "LBRACK":
                self.pos += 1
                if self._peek() == "RBRACK":
                    self.pos += 1
                    return
                stack.append("[")
                continue
            if token == "TRUE_LITERAL":
                self._scan_literal("true")
                return
            if token == "FALSE_LITERAL":
                self._scan_literal("false")
                return
            if token == "NULL_LITERAL":
                self._scan_literal("null")
                return
            raise self._unexpected_character()

    def _scan_literal(self, word: str) -> None:
        """ScanLiteral: compare what is there; a mismatch reports that character, a cut-off the end."""
        source, start = self.source, self.pos
        remaining = self.end - start
        if source.startswith(word, start):
            self.pos = start + len(word)
            return
        self.pos = start + 1
        for expected in word[1 : 1 + min(len(word) - 1, remaining - 1)]:
            if source[self.pos] != expected:
                raise self._unexpected_character()
            self.pos += 1
        raise self._unexpected(_EOS)

    def _current(self) -> str:
        return self.source[self.pos] if self.pos < self.end else ""

    def _skip_digits(self) -> int:
        """AdvanceToNonDecimal; returns how many digits it passed."""
        start = self.pos
        self.pos = _DIGITS.match(self.source, start).end()  # type: ignore[union-attr]
        return self.pos - start

    def _scan_number(self) -> None:
        """ParseJsonNumber."""
        negative = self._current() == "-"
        if negative:
            self.pos += 1
        if self._current() == "0":
            self.pos += 1
            after = self._current()
            if after in _NUMBER_PARTS:
                if "0" <= after <= "9":
                    raise self._unexpected(_NUMBER)
            elif not negative:
                return
        elif not self._skip_digits():
            raise self._fail(_NO_NUMBER_AFTER_MINUS)
        if self._current() == ".":
            self.pos += 1
            if not self._skip_digits():
                raise self._fail(_UNTERMINATED_FRACTION)
        if self._current() in ("e", "E"):
            self.pos += 1
            if self._current() in ("-", "+"):
                self.pos += 1
            if not self._skip_digits():
                raise self._fail(_EXPONENT_MISSING_NUMBER)

    def _scan_string(self) -> None:
        """ScanJsonString, from just after the opening quote to just after the closing one."""
        source, end = self.source, self.end
        while True:
            self.pos = _STRING_RUN.match(source, self.pos).end()  # type: ignore[union-attr]
            if self.pos >= end:
                raise self._fail(_UNTERMINATED_STRING)
            char = source[self.pos]
            if char == '"':
                self.pos += 1
                return
            if char != "\\":
                raise self._fail(_BAD_CONTROL_CHARACTER)
            self.pos += 1
            if self.pos >= end or ord(source[self.pos]) > 0xFF:
                raise self._unexpected_character()
            escaped = source[self.pos]
            if escaped == "u":
                for _ in range(4):
                    self.pos += 1
                    if self.pos >= end or source[self.pos] not in _HEX:
                        raise self._fail(_BAD_UNICODE_ESCAPE)
            elif escaped not in _SIMPLE_ESCAPES:
                raise self._fail(_BAD_ESCAPED_CHARACTER)
            self.pos += 1


def json_parse_error_message(text: str) -> str | None:
    """The message of the SyntaxError `JSON.parse(text)` throws in node 20, or None when it parses.

    The message is a JS string: a surrogate pair cut by V8's context window leaves a lone surrogate.
    """
    try:
        _Parser(to_utf16_units(text)).parse()
    except _Reported as reported:
        return from_utf16_units(reported.message)
    return None
