"""`encodeURIComponent`/`decodeURIComponent` as npm's spec libraries see them fail.

npm-package-arg and hosted-git-info let JavaScript's URIError escape (`npa('x@git+ssh://h/x#semver:%E0')`
throws "URI malformed"), so in this package it is a `SpecError("URI malformed", code=None)`: these two
wrap `snpm.ecmascript.strings`, where the JavaScript semantics live. The other names here are that
module's, re-exported under the names this module used to define them by, for callers outside
`snpm.spec` (the registry server checks names with `is_uri_component_safe`).
"""

from __future__ import annotations

from snpm.ecmascript import strings
from snpm.ecmascript.strings import NOT_LINE_TERMINATOR as JS_NOT_LINE_TERMINATOR
from snpm.ecmascript.strings import WHITESPACE_CLASS as JS_SPACE_CLASS
from snpm.ecmascript.strings import WHITESPACE_RE as JS_SPACE
from snpm.ecmascript.strings import is_uri_component_safe
from snpm.ecmascript.strings import trim as js_trim
from snpm.ecmascript.strings import utf16_length as js_length
from snpm.errors import SpecError

__all__ = [
    "JS_NOT_LINE_TERMINATOR",
    "JS_SPACE",
    "JS_SPACE_CLASS",
    "decode_uri_component",
    "encode_uri_component",
    "is_uri_component_safe",
    "js_length",
    "js_trim",
    "uri_error",
]


def uri_error() -> SpecError:
    """The URIError that `encodeURIComponent`/`decodeURIComponent` throw (npa lets it escape)."""
    return SpecError("URI malformed", code=None)


def encode_uri_component(value: str) -> str:
    """`encodeURIComponent`; a lone surrogate raises `SpecError("URI malformed")`."""
    try:
        return strings.encode_uri_component(value)
    except strings.URIError:
        raise uri_error() from None


def decode_uri_component(value: str) -> str:
    """`decodeURIComponent`; a bad escape or bad UTF-8 raises `SpecError("URI malformed")`."""
    try:
        return strings.decode_uri_component(value)
    except strings.URIError:
        raise uri_error() from None
