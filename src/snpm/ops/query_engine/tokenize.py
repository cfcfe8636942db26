"""postcss-selector-parser 7's tokenizer: a selector string → (type, start, end) tokens.

Token types are the character codes of the single-character tokens (`(`, `[`, `:`, `,`, …) or
one of SPACE, COMBINATOR (runs of `+ > ~ |`), STRING (quoted, escapes honoured), COMMENT, WORD.
Words run until a delimiter; a backslash escapes the next character (or up to six hex digits).
"""

from __future__ import annotations

from typing import Final, NamedTuple

from snpm.errors import SnpmError

__all__ = [
    "AMPERSAND",
    "ASTERISK",
    "CARET",
    "CLOSE_PAREN",
    "CLOSE_SQUARE",
    "COLON",
    "COMBINATOR",
    "COMMA",
    "COMMENT",
    "DOLLAR",
    "EQUALS",
    "OPEN_PAREN",
    "OPEN_SQUARE",
    "SEMICOLON",
    "SLASH",
    "SPACE",
    "STRING",
    "WORD",
    "Token",
    "tokenize",
]

AMPERSAND: Final = 38
ASTERISK: Final = 42
COMMA: Final = 44
COLON: Final = 58
SEMICOLON: Final = 59
OPEN_PAREN: Final = 40
CLOSE_PAREN: Final = 41
OPEN_SQUARE: Final = 91
CLOSE_SQUARE: Final = 93
DOLLAR: Final = 36
TILDE: Final = 126
CARET: Final = 94
PLUS: Final = 43
EQUALS: Final = 61
PIPE: Final = 124
GREATER_THAN: Final = 62
SPACE: Final = 32
SINGLE_QUOTE: Final = 39
DOUBLE_QUOTE: Final = 34
SLASH: Final = 47
BANG: Final = 33
BACKSLASH: Final = 92
CR: Final = 13
FEED: Final = 12
NEWLINE: Final = 10
TAB: Final = 9
STRING: Final = SINGLE_QUOTE
COMMENT: Final = -1
WORD: Final = -2
COMBINATOR: Final = -3

_UNESCAPABLE: Final = frozenset({TAB, NEWLINE, CR, FEED})
_WORD_DELIMITERS: Final = frozenset(
    {
        SPACE, TAB, NEWLINE, CR, FEED, AMPERSAND, ASTERISK, BANG, COMMA, COLON, SEMICOLON,
        OPEN_PAREN, CLOSE_PAREN, OPEN_SQUARE, CLOSE_SQUARE, SINGLE_QUOTE, DOUBLE_QUOTE, PLUS,
        PIPE, TILDE, GREATER_THAN, EQUALS, DOLLAR, CARET, SLASH,
    }
)  # fmt: skip
_HEX: Final = frozenset(ord(c) for c in "0123456789abcdefABCDEF")
_SINGLE: Final = frozenset(
    {
        ASTERISK, AMPERSAND, BANG, COMMA, EQUALS, DOLLAR, CARET, OPEN_SQUARE, CLOSE_SQUARE, COLON,
        SEMICOLON, OPEN_PAREN, CLOSE_PAREN,
    }
)  # fmt: skip
_COMBINATOR_CHARS: Final = frozenset({PLUS, GREATER_THAN, TILDE, PIPE})
_SPACES: Final = frozenset({SPACE, NEWLINE, TAB, CR, FEED})


class Token(NamedTuple):
    type: int
    start: int
    end: int


def _code(css: str, index: int) -> int:
    """`charCodeAt`: NaN (here -100) past the end."""
    return ord(css[index]) if 0 <= index < len(css) else -100


def _consume_escape(css: str, start: int) -> int:
    nxt = start
    code = _code(css, nxt + 1)
    if code in _UNESCAPABLE:
        pass
    elif code in _HEX:
        digits = 0
        while True:
            nxt += 1
            digits += 1
            code = _code(css, nxt + 1)
            if not (code in _HEX and digits < 6):
                break
        if digits < 6 and code == SPACE:
            nxt += 1
    else:
        nxt += 1
    return nxt


def _consume_word(css: str, start: int) -> int:
    nxt = start
    while True:
        code = _code(css, nxt)
        if code in _WORD_DELIMITERS:
            return nxt - 1
        if code == BACKSLASH:
            nxt = _consume_escape(css, nxt) + 1
        else:
            nxt += 1
        if nxt >= len(css):
            return nxt - 1


def tokenize(css: str) -> list[Token]:
    tokens: list[Token] = []
    length = len(css)
    start = 0
    while start < length:
        code = ord(css[start])
        if code in _SPACES:
            nxt = start
            while True:
                nxt += 1
                if _code(css, nxt) not in _SPACES:
                    break
            token_type, end = SPACE, nxt
        elif code in _COMBINATOR_CHARS:
            nxt = start
            while True:
                nxt += 1
                if _code(css, nxt) not in _COMBINATOR_CHARS:
                    break
            token_type, end = COMBINATOR, nxt
        elif code in _SINGLE:
            token_type, end = code, start + 1
        elif code in (SINGLE_QUOTE, DOUBLE_QUOTE):
            quote = css[start]
            nxt = start
            while True:
                escaped = False
                nxt = css.find(quote, nxt + 1)
                if nxt == -1:
                    raise SnpmError("Unclosed quote")
                escape_pos = nxt
                while _code(css, escape_pos - 1) == BACKSLASH:
                    escape_pos -= 1
                    escaped = not escaped
                if not escaped:
                    break
            token_type, end = STRING, nxt + 1
        elif code == SLASH and _code(css, start + 1) == ASTERISK:
            nxt = css.find("*/", start + 2) + 1
            if nxt == 0:
                raise SnpmError("Unclosed comment")
            token_type, end = COMMENT, nxt + 1
        elif code == SLASH:
            token_type, end = SLASH, start + 1
        else:
            token_type, end = WORD, _consume_word(css, start) + 1
        tokens.append(Token(token_type, start, end))
        start = end
    return tokens
