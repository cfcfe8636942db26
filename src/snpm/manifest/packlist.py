"""Which files of a package folder go into its tarball: a port of npm-packlist 10.0.4.

npm-packlist is a subclass of ignore-walk 8 whose rules are minimatch 10 globs (options
`matchBase, dot, flipNegate, nocase`), so this module carries the three together:

- rule sources per directory, in precedence order: npm's defaults (.git, .DS_Store, *.orig, …),
  `files` from package.json (root only), `.npmignore`, `.gitignore` (only when there is no
  .npmignore; no .npmignore/.gitignore at all when `files` is set) and the strict rules
  (package.json, README*, LICENSE*/LICENCE*, COPYING*, main, browser, bins always in;
  /.git, /node_modules, .npmrc and lockfiles always out);
- nested .npmignore/.gitignore files apply inside their directory, also under `files`;
- symlinks and anything not a file or directory are never packed, nor names containing `*`;
- bundled dependencies are walked from node_modules by node's resolution (only `package.json`
  and strict rules apply to a non-linked bundled package's top level);
- the output order is npm's "compressibility" sort: extension, then basename, then the path,
  each with `localeCompare(…, 'en')` (ICU collation, approximated by `locale_compare_key`).

Pure apart from reading the package folder. Why one ~1,400-line module: the glob dialect
(brace-expansion, minimatch's segment regexes and globstar matching, ~670 lines) and the ICU
collation (~140) must be npm's to give npm's answers, and this helper was limited to this one
file in `manifest/`. They are self-contained sections (══ banners) meant to move out as
`manifest/ignore_glob.py` and `manifest/collation.py`.
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import re
import stat
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from snpm.errors import SnpmError, from_os_error
from snpm.json_types import JsonObject, JsonValue

__all__ = [
    "locale_compare_key",
    "normalize_bins",
    "normalize_bundle_dependencies",
    "packlist",
    "read_manifest",
]

# npm-packlist's default rules, applied to everything except the top of a non-linked bundled dep.
DEFAULT_RULES: tuple[str, ...] = (
    ".npmignore",
    ".gitignore",
    "**/.git",
    "**/.svn",
    "**/.hg",
    "**/CVS",
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/CVS/**",
    "/.lock-wscript",
    "/.wafpickle-*",
    "/build/config.gypi",
    "npm-debug.log",
    "**/.npmrc",
    ".*.swp",
    ".DS_Store",
    "**/.DS_Store/**",
    "._*",
    "**/._*/**",
    "*.orig",
    "/archived-packages/**",
)
STRICT_DEFAULTS: tuple[str, ...] = ("/.git",)
# Synthetic rule-set names (ignore-walk keys rule sets by file name; NUL cannot be in one).
_DEFAULT_KEY = "\0default"
_STRICT_KEY = "\0strict"
_ROOT_IGNORE_FILES = (_DEFAULT_KEY, "package.json", ".npmignore", ".gitignore", _STRICT_KEY)
_CHILD_IGNORE_FILES = (_DEFAULT_KEY, ".npmignore", ".gitignore", _STRICT_KEY)

# ══ ICU collation (String#localeCompare with locale 'en') ══════════════════════════════════

# ICU's root order for printable ASCII: spaces, punctuation, symbols, currency (not ignorable).
# Non-ASCII characters join their group (by code point): Z* after " ", P* after "%", S[kmo] after
# "~", Sc after "$".
_ASCII_ORDER = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PUNCT_WEIGHT = {ch: i * 0x110000 for i, ch in enumerate(_ASCII_ORDER)}
_GROUP_AFTER = {
    "Z": _PUNCT_WEIGHT[" "],
    "P": _PUNCT_WEIGHT["%"],
    "Sk": _PUNCT_WEIGHT["~"],
    "Sm": _PUNCT_WEIGHT["~"],
    "So": _PUNCT_WEIGHT["~"],
    "Sc": _PUNCT_WEIGHT["$"],
}
# Letters ICU sorts as a base letter plus a secondary difference, or as an expansion.
_LETTER_SPECIAL: dict[str, tuple[str, int]] = {
    "ø": ("o", 1),
    "ł": ("l", 1),
    "đ": ("d", 1),
    "ħ": ("h", 1),
    "ı": ("i", 1),
    "ŧ": ("t", 1),
}
_AFTER_ALL_NUMBERS = 1 << 1024
_EXPANSIONS = {"ß": "ss", "æ": "ae", "œ": "oe", "ĳ": "ij", "þ": "th"}


@functools.lru_cache(maxsize=8192)
def locale_compare_key(
    text: str, *, numeric: bool = False, accents: bool = True
) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...]]:
    """A sort key approximating ICU's `en` collation (what npm's localeCompare sorts by).

    Exact for ASCII names: punctuation < digits < letters, case-insensitive first, lowercase
    before uppercase on ties, accents after the plain letter. Other scripts sort after Latin by
    code point. `numeric` compares digit runs by value (Intl.Collator `numeric: true`);
    `accents=False` ignores accents (`sensitivity: 'case'`, which npm's pack report uses).
    """
    primary: list[tuple[int, int]] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if numeric and ch.isdecimal():
            j = i
            while j < len(text) and text[j].isdecimal():
                j += 1
            primary.append((2, int("".join(str(unicodedata.digit(c, 0)) for c in text[i:j]))))
            secondary.append(0)
            tertiary.append(0)
            i = j
            continue
        if numeric and unicodedata.digit(ch, None) is not None:
            # ICU's numeric mode orders digit runs by value; other digits ("²") come after them all
            primary.append((2, _AFTER_ALL_NUMBERS + unicodedata.digit(ch)))
            secondary.append(0)
            tertiary.append(0)
        else:
            _collate_char(ch, primary, secondary, tertiary)
        i += 1
    return tuple(primary), tuple(secondary) if accents else (), tuple(tertiary)


def _collate_char(ch: str, primary: list[tuple[int, int]], secondary: list[int], tertiary: list[int]) -> None:
    lower = ch.lower()
    case = 1 if lower != ch else 0
    if ch in _PUNCT_WEIGHT:
        primary.append((1, _PUNCT_WEIGHT[ch]))
        secondary.append(0)
        tertiary.append(0)
        return
    if "0" <= ch <= "9":
        primary.append((2, ord(ch) - 48))
        secondary.append(0)
        tertiary.append(0)
        return
    if "a" <= lower <= "z" and len(lower) == 1:
        primary.append((3, ord(lower)))
        secondary.append(0)
        tertiary.append(case)
        return
    if lower in _EXPANSIONS:
        for base in _EXPANSIONS[lower]:
            primary.append((3, ord(base)))
            secondary.append(0)
            tertiary.append(2 + case)
        return
    if lower in _LETTER_SPECIAL:
        base, accent = _LETTER_SPECIAL[lower]
        primary.append((3, ord(base)))
        secondary.append(accent)
        tertiary.append(case)
        return
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed != ch:
        marks = 0
        start = len(primary)
        for part in decomposed:
            if unicodedata.combining(part):
                marks = marks * 1000 + ord(part)
            else:
                _collate_char(part, primary, secondary, tertiary)
        if marks and len(primary) > start:
            secondary[start] = marks
        compat = unicodedata.decomposition(ch).startswith("<")
        if compat:
            for i in range(start, len(tertiary)):
                tertiary[i] += 2
        return
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf") or unicodedata.combining(ch):
        return  # completely ignorable
    group = _GROUP_AFTER.get(category) or _GROUP_AFTER.get(category[0])
    if group is not None:
        primary.append((1, group + 1 + ord(ch)))
    elif category == "Nd":
        primary.append((2, unicodedata.digit(ch, 0)))
    else:
        primary.append((4, ord(lower[0]) if lower else ord(ch)))
    secondary.append(0)
    tertiary.append(case)


def _node_extname(base: str) -> str:
    idx = base.rfind(".")
    if idx <= 0 or base == "..":
        return ""
    return base[idx:]


def _pack_sort_key(path: str) -> tuple[object, ...]:
    """npm-packlist's sort: extension, then basename (both lowercased), then the whole path."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return (
        locale_compare_key(_node_extname(base).lower()),
        locale_compare_key(base.lower()),
        locale_compare_key(path),
        path,
    )


# ══ minimatch 10 (the subset of options ignore-walk uses) ══════════════════════════════════

_GLOBSTAR = object()
_Segment = object  # str literal | _GLOBSTAR | Callable[[str], bool]


def _balanced(text: str) -> tuple[str, str, str] | None:
    """balanced-match for '{' '}': (pre, body, post) of the first balanced pair."""
    ai = text.find("{")
    bi = text.find("}", ai + 1)
    if not (ai >= 0 and bi > 0):
        return None
    begs: list[int] = []
    left = len(text)
    right: int | None = None
    result: tuple[int, int] | None = None
    i = ai
    while i >= 0 and result is None:
        if i == ai:
            begs.append(i)
            ai = text.find("{", i + 1)
        elif len(begs) == 1:
            result = (begs.pop(), bi)
        else:
            beg = begs.pop()
            if beg < left:
                left, right = beg, bi
            bi = text.find("}", i + 1)
        i = ai if (ai < bi and ai >= 0) else bi
    if result is None and begs and right is not None:
        result = (left, right)
    if result is None:
        return None
    start, end = result
    return text[:start], text[start + 1 : end], text[end + 1 :]


_ESC = {"\\\\": "\0S\0", "\\{": "\0O\0", "\\}": "\0C\0", "\\,": "\0M\0", "\\.": "\0P\0"}
_UNESC = {v: k[1] for k, v in _ESC.items()}
_NUMERIC_SEQ_RE = re.compile(r"^-?\d+\.\.-?\d+(?:\.\.-?\d+)?$")
_ALPHA_SEQ_RE = re.compile(r"^[a-zA-Z]\.\.[a-zA-Z](?:\.\.-?\d+)?$")
_BRACE_SHORTCUT_RE = re.compile(r"\{(?:(?!\{).)*\}")
_EXPANSION_MAX = 100_000


def _brace_expand(pattern: str) -> list[str]:
    """brace-expansion 5 as minimatch calls it."""
    if not _BRACE_SHORTCUT_RE.search(pattern):
        return [pattern]
    if pattern.startswith("{}"):
        pattern = "\\{\\}" + pattern[2:]
    for raw, token in _ESC.items():
        pattern = pattern.replace(raw, token)
    expanded = _expand(pattern, True)
    out = []
    for item in expanded:
        for token, char in _UNESC.items():
            item = item.replace(token, "\\" if char == "\\" else char)
        out.append(item)
    return out


def _comma_parts(text: str) -> list[str]:
    if not text:
        return [""]
    m = _balanced(text)
    if m is None:
        return text.split(",")
    pre, body, post = m
    parts = pre.split(",")
    parts[-1] += "{" + body + "}"
    post_parts = _comma_parts(post)
    if post:
        parts[-1] += post_parts.pop(0)
        parts.extend(post_parts)
    return parts


def _numeric(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        return ord(text[0]) if text else 0


def _expand_sequence(body: str, alpha: bool) -> list[str]:
    n = body.split("..")
    x, y = _numeric(n[0]), _numeric(n[1])
    width = max(len(n[0]), len(n[1]))
    incr = max(abs(_numeric(n[2])), 1) if len(n) == 3 else 1
    reverse = y < x
    if reverse:
        incr = -incr
    pad = any(re.match(r"^-?0\d", part) for part in n)
    out: list[str] = []
    i = x
    while (i >= y if reverse else i <= y) and len(out) < _EXPANSION_MAX:
        if alpha:
            c = chr(i)
            if c == "\\":
                c = ""
        else:
            c = str(i)
            if pad and width - len(c) > 0:
                zeros = "0" * (width - len(c))
                c = "-" + zeros + c[1:] if i < 0 else zeros + c
        out.append(c)
        i += incr
    return out


def _combine(acc: list[str], pre: str, values: list[str], drop_empties: bool) -> list[str]:
    out = []
    for a in acc:
        for v in values:
            expansion = a + pre + v
            if drop_empties and not expansion:
                continue
            out.append(expansion)
    return out[:_EXPANSION_MAX]


def _expand(text: str, is_top: bool) -> list[str]:
    acc = [""]
    drop_empties = False
    first_group = True
    while True:
        m = _balanced(text)
        if m is None:
            return _combine(acc, text, [""], drop_empties)
        pre, body, post = m
        if pre.endswith("$"):
            acc = _combine(acc, pre + "{" + body + "}", [""], drop_empties and not post)
            first_group = False
            if not post:
                break
            text = post
            continue
        is_numeric = bool(_NUMERIC_SEQ_RE.match(body))
        is_alpha = bool(_ALPHA_SEQ_RE.match(body))
        is_sequence = is_numeric or is_alpha
        if not is_sequence and "," not in body:
            if re.search(r",(?!,).*\}", post):
                text = pre + "{" + body + _ESC["\\}"] + post
                is_top = True
                continue
            return _combine(acc, pre + "{" + body + "}" + post, [""], drop_empties)
        if first_group:
            drop_empties = is_top and not is_sequence
            first_group = False
        values: list[str]
        if is_sequence:
            values = _expand_sequence(body, is_alpha)
        else:
            parts = _comma_parts(body)
            if len(parts) == 1:
                parts = ["{" + e + "}" for e in _expand(parts[0], False)]
                if len(parts) == 1:
                    acc = _combine(acc, pre + parts[0], [""], drop_empties and not post)
                    if not post:
                        break
                    text = post
                    continue
            drops = drop_empties and not post and not pre and not any(acc)
            values = [v for part in parts for v in _expand(part, False) if not (drops and not v)]
        acc = _combine(acc, pre, values, drop_empties and not post)
        if not post:
            break
        text = post
    return acc


_RE_ESCAPE_RE = re.compile(r"[-\[\]{}()*+?.,\\^$|#\s]")
_RE_SPECIALS = frozenset("().*{}+?[]^$\\!")
_QMARK = "[^/]"
_STAR = "[^/]*?"
_STAR_NO_EMPTY = "[^/]+?"
_START_NO_TRAVERSAL = r"(?!(?:^|/)\.\.?(?:\Z|/))"
_NEVER = "(?!)"
# minimatch's POSIX classes use \p{…}; Python's re has no Unicode properties, so approximate.
_LETTERS = "a-zA-Z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0370-\u03ff\u0400-\u052f\u3040-\u30ff\u4e00-\u9fff"
_POSIX_CLASSES: dict[str, tuple[str, bool]] = {
    "[:alnum:]": (_LETTERS + "0-9", False),
    "[:alpha:]": (_LETTERS, False),
    "[:ascii:]": ("\\x00-\\x7f", False),
    "[:blank:]": ("\\t \\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000", False),
    "[:cntrl:]": ("\\x00-\\x1f\\x7f-\\x9f", False),
    "[:digit:]": ("0-9", False),
    "[:graph:]": ("\\s\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\ufeff", True),
    "[:lower:]": (_LETTERS, False),
    "[:print:]": ("\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\ufeff", False),
    "[:punct:]": (
        "!-#%-*,-/:;?@\\[-\\]_{}\\u00a1\\u00a7\\u00ab\\u00b6\\u00b7\\u00bb\\u00bf\\u2010-\\u2027\\u3000-\\u303f",
        False,
    ),
    "[:space:]": ("\\s", False),
    "[:upper:]": (_LETTERS, False),
    "[:word:]": ("\\w", False),
    "[:xdigit:]": ("A-Fa-f0-9", False),
}


def _brace_escape(text: str) -> str:
    return re.sub(r"[\[\]\\-]", lambda m: "\\" + m.group(0), text)


def _parse_class(glob: str, pos: int) -> tuple[str, int, bool]:
    """minimatch parseClass: (regex source, characters consumed (0 = not a class), magic)."""
    ranges: list[str] = []
    negs: list[str] = []
    i = pos + 1
    saw_start = escaping = negate = False
    end_pos = pos
    range_start = ""
    while i < len(glob):
        c = glob[i]
        if c in "!^" and i == pos + 1:
            negate = True
            i += 1
            continue
        if c == "]" and saw_start and not escaping:
            end_pos = i + 1
            break
        saw_start = True
        if c == "\\" and not escaping:
            escaping = True
            i += 1
            continue
        if c == "[" and not escaping:
            for cls, (source, is_neg) in _POSIX_CLASSES.items():
                if glob.startswith(cls, i):
                    if range_start:
                        return _NEVER, len(glob) - pos, True
                    i += len(cls)
                    (negs if is_neg else ranges).append(source)
                    break
            else:
                cls = ""
            if cls:
                continue
        escaping = False
        if range_start:
            if c > range_start:
                ranges.append(_brace_escape(range_start) + "-" + _brace_escape(c))
            elif c == range_start:
                ranges.append(_brace_escape(c))
            range_start = ""
            i += 1
            continue
        if glob.startswith("-]", i + 1):
            ranges.append(_brace_escape(c + "-"))
            i += 2
            continue
        if glob.startswith("-", i + 1):
            range_start = c
            i += 2
            continue
        ranges.append(_brace_escape(c))
        i += 1
    if end_pos < i:
        return "", 0, False
    if not ranges and not negs:
        return _NEVER, len(glob) - pos, True
    if not negs and len(ranges) == 1 and re.match(r"^\\?.$", ranges[0], re.S) and not negate:
        single = ranges[0][-1] if len(ranges[0]) == 2 else ranges[0]
        return _RE_ESCAPE_RE.sub(lambda m: "\\" + m.group(0), single), end_pos - pos, False
    sranges = "[" + ("^" if negate else "") + "".join(ranges) + "]"
    snegs = "[" + ("" if negate else "^") + "".join(negs) + "]"
    if ranges and negs:
        return f"(?:{sranges}|{snegs})", end_pos - pos, True
    return (sranges if ranges else snegs), end_pos - pos, True


def _parse_glob(glob: str, no_empty: bool) -> tuple[str, bool]:
    """minimatch AST #parseGlob: one plain (extglob-free) run of a segment → regex source."""
    escaping = in_star = has_magic = False
    out: list[str] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if escaping:
            escaping = False
            out.append(("\\" if c in _RE_SPECIALS else "") + c)
            i += 1
            continue
        if c == "*":
            if not in_star:
                in_star = True
                out.append(_STAR_NO_EMPTY if no_empty and re.fullmatch(r"\*+", glob) else _STAR)
                has_magic = True
            i += 1
            continue
        in_star = False
        if c == "\\":
            if i == len(glob) - 1:
                out.append("\\\\")
            else:
                escaping = True
            i += 1
            continue
        if c == "[":
            src, consumed, magic = _parse_class(glob, i)
            if consumed:
                out.append(src)
                has_magic = has_magic or magic
                i += consumed
                continue
        if c == "?":
            out.append(_QMARK)
            has_magic = True
            i += 1
            continue
        out.append(_RE_ESCAPE_RE.sub(lambda m: "\\" + m.group(0), c))
        i += 1
    return "".join(out), has_magic


def _unescape(text: str) -> str:
    text = re.sub(r"((?!\\).|^)\[([^/\\])\]", r"\1\2", text)
    return re.sub(r"\\([^/])", r"\1", text)


@dataclass(slots=True)
class _Ext:
    """An extglob `@( )`, `?( )`, `+( )`, `*( )` or `!( )` with its alternatives."""

    kind: str
    alternatives: list[list[str | _Ext]] = field(default_factory=list)


def _parse_segment_ast(text: str, pos: int, depth: int, inside: bool) -> tuple[list[str | _Ext] | None, int]:
    """A simplified minimatch #parseAST: returns parts (and the index after a closing paren)."""
    parts: list[str | _Ext] = []
    acc = ""
    escaping = in_brace = brace_neg = False
    brace_start = -1
    i = pos
    while i < len(text):
        c = text[i]
        i += 1
        if escaping or c == "\\":
            escaping = not escaping
            acc += c
            continue
        if in_brace:
            if i == brace_start + 1:
                if c in "^!":
                    brace_neg = True
            elif c == "]" and not (i == brace_start + 2 and brace_neg):
                in_brace = False
            acc += c
            continue
        if c == "[":
            in_brace, brace_start, brace_neg = True, i, False
            acc += c
            continue
        if c in "!?+*@" and i < len(text) and text[i] == "(" and depth <= 2:
            ext = _Ext(c)
            end = _parse_ext(text, i + 1, depth + 1, ext)
            if end is None:  # unterminated: the rest is plain glob text
                acc += text[i - 1 :]
                break
            parts.append(acc)
            acc = ""
            parts.append(ext)
            i = end
            continue
        if inside and c in "|)":
            parts.append(acc)
            return parts, i
        acc += c
    if inside:
        return None, i
    parts.append(acc)
    return parts, i


def _parse_ext(text: str, pos: int, depth: int, ext: _Ext) -> int | None:
    i = pos
    while True:
        alt, i = _parse_segment_ast(text, i, depth, True)
        if alt is None:
            return None
        ext.alternatives.append(alt)
        if text[i - 1] == ")":
            return i


def _parts_source(parts: Sequence[str | _Ext], rest: Sequence[str | _Ext], top: bool) -> tuple[str, bool]:
    no_empty = top and all(isinstance(p, str) for p in parts)
    out: list[str] = []
    magic = False
    for idx, part in enumerate(parts):
        if isinstance(part, str):
            src, m = _parse_glob(part, no_empty)
        else:
            src, m = _ext_source(part, list(parts[idx + 1 :]) + list(rest))
        out.append(src)
        magic = magic or m
    return "".join(out), magic


def _ext_source(ext: _Ext, rest: Sequence[str | _Ext]) -> tuple[str, bool]:
    bodies = [_parts_source(alt, (), False)[0] for alt in ext.alternatives]
    body = "|".join(bodies)
    if ext.kind == "!":
        if not any(bodies):
            return _STAR_NO_EMPTY, True
        after, _ = _parts_source(rest, (), False)
        return f"(?:(?!(?:{body}){after}(?:\\Z|/)){_STAR})", True
    suffix = {"@": ")", "?": ")?", "+": ")+", "*": ")*"}[ext.kind]
    return f"(?:{body}{suffix}", True


_PATTERN_START = frozenset("[.")
_STAR_RE = re.compile(r"^\*+$")
_STAR_DOT_EXT_RE = re.compile(r"^\*+([^+@!?*\[(]*)$")
_QMARKS_RE = re.compile(r"^\?+([^+@!?*\[(]*)?$")
_STAR_DOT_STAR_RE = re.compile(r"^\*+\.\*+$")
_DOT_STAR_RE = re.compile(r"^\.\*+$")


def _fast_test(pattern: str) -> Callable[[str], bool] | None:
    """minimatch's shortcut tests (nocase + dot variants); they replace the regex when they apply."""
    if _STAR_RE.match(pattern):
        return lambda f: len(f) != 0 and f not in (".", "..")
    m = _STAR_DOT_EXT_RE.match(pattern)
    if m:
        ext = m.group(1).lower()
        return lambda f: f.lower().endswith(ext)
    m = _QMARKS_RE.match(pattern)
    if m:
        length = len(pattern)
        qext = (m.group(1) or "").lower()
        return lambda f: len(f) == length and f not in (".", "..") and f.lower().endswith(qext)
    if _STAR_DOT_STAR_RE.match(pattern):
        return lambda f: f not in (".", "..") and "." in f
    if _DOT_STAR_RE.match(pattern):
        return lambda f: f not in (".", "..") and f.startswith(".")
    return None


@functools.lru_cache(maxsize=4096)
def _compile_segment(pattern: str, nocase: bool) -> object:
    """minimatch#parse for one path segment: _GLOBSTAR, a literal str, or a test callable."""
    if pattern == "**":
        return _GLOBSTAR
    if pattern == "":
        return ""
    parts, _ = _parse_segment_ast(pattern, 0, 0, False)
    assert parts is not None
    src, magic = _parts_source(parts, (), True)
    # dot:true — a segment starting with a class or a dot must still not match "." or "..".
    if (
        parts
        and isinstance(parts[0], str)
        and not (len(parts) == 1 and parts[0] in (".", ".."))
        and (
            src[:1] in _PATTERN_START
            or (src.startswith("\\.") and src[2:3] in _PATTERN_START)
            or (src.startswith("\\.\\.") and src[4:5] in _PATTERN_START)
        )
    ):
        src = _START_NO_TRAVERSAL + src
    any_magic = magic or (nocase and pattern.upper() != pattern.lower())
    if not any_magic:
        return _unescape(src)
    fast = _fast_test(pattern) if nocase else None
    if fast is not None:
        return fast
    try:
        regex = re.compile(src, re.IGNORECASE if nocase else 0)
    except re.error:
        return lambda _f: False
    return lambda f: regex.fullmatch(f) is not None


def _segment_hit(part: object, f: str) -> bool:
    if isinstance(part, str):
        return f == part
    assert callable(part)
    return bool(part(f))


class _Glob:
    """A minimatch pattern compiled for ignore-walk: `match()` answers "does the glob match"."""

    __slots__ = ("comment", "empty", "glob_parts", "match_base", "negate", "required", "set")

    def __init__(self, pattern: str, *, nocase: bool = True, match_base: bool = True) -> None:
        self.negate = False
        self.comment = pattern.startswith("#")
        self.empty = not pattern
        self.match_base = match_base
        self.glob_parts: list[list[str]] = []
        self.set: list[list[object]] = []
        self.required = ""
        if self.comment or self.empty:
            return
        stripped = pattern.lstrip("!")
        self.negate = (len(pattern) - len(stripped)) % 2 == 1
        seen: dict[str, None] = {}
        for expanded in _brace_expand(stripped):
            seen.setdefault(expanded, None)
        for glob in seen:
            self.glob_parts.append(_level_one_optimize(re.split(r"/+", glob)))
        self.set = [[_compile_segment(seg, nocase) for seg in parts] for parts in self.glob_parts]
        if nocase and len(self.glob_parts) == 1:
            self.required = _required_literal(self.glob_parts[0])

    def match(self, f: str, partial: bool = False) -> bool:
        if self.comment:
            return False
        if self.empty:
            return f == ""
        if partial:
            if f == "/":
                return True
        elif self.required and self.required not in f.lower():
            return False  # a whole match would have to contain this text
        ff = f.split("/") if "//" not in f else re.split(r"/+", f)
        filename = ff[-1]
        if not filename:
            for seg in reversed(ff[:-1]):
                if seg:
                    filename = seg
                    break
        for pattern in self.set:
            file = [filename] if self.match_base and len(pattern) == 1 else ff
            if _match_one(file, pattern, partial):
                return True
        return False


def _required_literal(parts: list[str]) -> str:
    """The longest plain text every full (non-partial) match must contain, lowercased ("" if none).

    Only for simple globs: any extglob, class, escape or `..` and the shortcut is not taken.
    """
    best = ""
    for seg in parts:
        if seg in ("", "**"):
            continue
        if seg in (".", "..") or any(c in seg for c in "[]()\\!+@{}|"):
            return ""
        for run in re.split(r"[*?]+", seg):
            if len(run) > len(best):
                best = run
    return best.lower() if best.isascii() else ""


@functools.lru_cache(maxsize=4096)
def _cached_glob(pattern: str) -> _Glob:
    # _Glob is never mutated after construction, so walkers can share compiled rules.
    return _Glob(pattern)


def _level_one_optimize(parts: list[str]) -> list[str]:
    out: list[str] = []
    for part in parts:
        prev = out[-1] if out else None
        if part == "**" and prev == "**":
            continue
        if part == ".." and prev and prev not in ("..", ".", "**"):
            out.pop()
            continue
        out.append(part)
    return out or [""]


def _match_one(file: list[str], pattern: list[object], partial: bool) -> bool:
    if _GLOBSTAR in pattern:
        return _match_globstar(file, pattern, partial)
    return bool(_match_plain(file, pattern, partial, 0, 0))


def _match_plain(file: Sequence[str], pattern: Sequence[object], partial: bool, fi: int, pi: int) -> bool:
    fl, pl = len(file), len(pattern)
    while fi < fl and pi < pl:
        if pattern[pi] is _GLOBSTAR or not _segment_hit(pattern[pi], file[fi]):
            return False
        fi += 1
        pi += 1
    if fi == fl and pi == pl:
        return True
    if fi == fl:
        return partial
    return fi == fl - 1 and file[fi] == ""


def _match_globstar(file: list[str], pattern: list[object], partial: bool) -> bool:
    first = pattern.index(_GLOBSTAR)
    last = len(pattern) - 1 - pattern[::-1].index(_GLOBSTAR)
    head = pattern[:first]
    body = pattern[first + 1 :] if partial else pattern[first + 1 : last]
    tail: list[object] = [] if partial else pattern[last + 1 :]
    fi = 0
    if head:
        if not _match_plain(file[: len(head)], head, partial, 0, 0):
            return False
        fi = len(head)
    tail_match = 0
    if tail:
        if len(tail) + fi > len(file):
            return False
        tail_start = len(file) - len(tail)
        if _match_plain(file, tail, partial, tail_start, 0):
            tail_match = len(tail)
        else:
            if file[-1] != "" or fi + len(tail) == len(file):
                return False
            if not _match_plain(file, tail, partial, tail_start - 1, 0):
                return False
            tail_match = len(tail) + 1
    if not body:
        saw_some = bool(tail_match)
        for i in range(fi, len(file) - tail_match):
            saw_some = True
            if file[i] in (".", ".."):
                return False
        return partial or saw_some
    # minimatch's bookkeeping, reversed index included: how far each section may start.
    sections: list[list[object]] = [[]]
    sums = [0]
    count = 0
    for part in body:
        if part is _GLOBSTAR:
            sums.append(count)
            sections.append([])
        else:
            sections[-1].append(part)
            count += 1
    file_length = len(file) - tail_match
    n = len(sections)
    after = [file_length - (sums[n - 1 - j] + len(sections[j])) for j in range(n)]
    return bool(_match_sections(file, sections, after, fi, 0, partial, 0, bool(tail_match)))


def _match_sections(
    file: list[str],
    sections: list[list[object]],
    after: list[int],
    fi: int,
    si: int,
    partial: bool,
    depth: int,
    saw_tail: bool,
) -> bool | None:
    if si >= len(sections):
        for i in range(fi, len(file)):
            saw_tail = True
            if file[i] in (".", ".."):
                return False
        return saw_tail
    section = sections[si]
    while fi <= after[si]:
        hit = _match_plain(file[: fi + len(section)], section, partial, fi, 0)
        if hit and depth < 200:
            sub = _match_sections(
                file, sections, after, fi + len(section), si + 1, partial, depth + 1, saw_tail
            )
            if sub is not False:
                return sub
        if fi < len(file) and file[fi] in (".", ".."):
            return False
        fi += 1
    return True if partial else None


# ══ package.json normalisation that npm applies before packing ════════════════════════════


def read_manifest(directory: Path) -> JsonObject:
    """package.json of `directory` as a JSON object (ENOENT/EJSONPARSE like npm)."""
    path = Path(directory) / "package.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise from_os_error(err, "open") from err
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as err:
        raise SnpmError(f"Invalid package.json: {err}", code="EJSONPARSE", path=str(path)) from err
    if not isinstance(data, dict):
        raise SnpmError("Invalid package.json: not an object", code="EJSONPARSE", path=str(path))
    return data


def _secure_path(value: str) -> str:
    # npm-normalize-package-bin: join('/', p) then drop the leading slash (no escaping via ..).
    return posixpath.normpath("/" + value.replace("\\", "/")).lstrip("/")


def normalize_bins(manifest: JsonObject, directory: Path | None = None) -> dict[str, str]:
    """The manifest's bins as npm sees them: {name: "path/in/package"} (npm-normalize-package-bin).

    With `directories.bin` and no `bin`, every non-dot entry under that folder is a bin, like
    @npmcli/package-json's binDir step.
    """
    bin_value = manifest.get("bin")
    directories = manifest.get("directories")
    if not bin_value and isinstance(directories, dict) and isinstance(directories.get("bin"), str):
        if directory is None:
            return {}
        bin_dir = _secure_path(str(directories["bin"]))
        found: dict[str, str] = {}
        for rel in _walk_non_dot(Path(directory) / bin_dir):
            found[posixpath.basename(rel)] = f"{bin_dir}/{rel}"
        return found
    source: dict[str, JsonValue]
    if not bin_value:
        return {}
    if isinstance(bin_value, str):
        name = manifest.get("name")
        if not isinstance(name, str) or not name:
            return {}
        source = {name: bin_value}
    elif isinstance(bin_value, list):
        source = {posixpath.basename(str(v)): v for v in bin_value}
    elif isinstance(bin_value, dict):
        source = bin_value
    else:
        return {}
    clean: dict[str, str] = {}
    for key, target in source.items():
        bin_name = _secure_path(posixpath.basename(re.sub(r"[\\:]", "/", key)))
        if not isinstance(target, str) or not bin_name:
            continue
        cleaned = _secure_path(target)
        if cleaned:
            clean[bin_name] = cleaned
    return clean


def _walk_non_dot(base: Path) -> Iterable[str]:
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return
    for name in entries:
        if name.startswith("."):
            continue
        yield name
        if (base / name).is_dir():
            for sub in _walk_non_dot(base / name):
                yield f"{name}/{sub}"


def normalize_bundle_dependencies(manifest: JsonObject) -> list[str]:
    """bundleDependencies (or bundledDependencies): true → all dependencies, object → its keys."""
    value = manifest.get("bundleDependencies")
    if value is None and "bundledDependencies" in manifest:
        value = manifest.get("bundledDependencies")
    if value is True:
        deps = manifest.get("dependencies")
        return list(deps) if isinstance(deps, dict) else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return list(value)
    return []


def _js_string(value: JsonValue) -> str:
    """`${value}` in JavaScript, for the odd manifest that has a non-string main/browser."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if value is None:
        return "null"
    return str(value)


def _js_trim(text: str) -> str:
    return text.strip(
        " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
    )


# ══ the walk (ignore-walk Walker + npm-packlist PackWalker) ════════════════════════════════


@dataclass(slots=True)
class _Package:
    """What npm-packlist needs of an arborist node: where it is and its package.json."""

    path: str  # where it is reached (a link's own location for linked deps)
    realpath: str
    manifest: JsonObject
    is_root: bool = False
    is_link: bool = False
    workspaces: tuple[str, ...] = ()

    def edge_type(self, name: str) -> str | None:
        """arborist Node#loadDeps: peer, then prod, then optional, then dev (top only); last wins."""
        kind: str | None = None
        peer = self.manifest.get("peerDependencies")
        if isinstance(peer, dict) and name in peer:
            kind = "peer"
        for group, label in (("dependencies", "prod"), ("optionalDependencies", "optional")):
            deps = self.manifest.get(group)
            if isinstance(deps, dict) and name in deps:
                kind = label
        dev = self.manifest.get("devDependencies")
        if self.is_root and isinstance(dev, dict) and name in dev:
            kind = "dev"
        return kind

    def resolve(self, name: str, top: str) -> _Package | None:
        """Node's module resolution from this package upwards, staying inside `top`."""
        start = self.realpath if self.is_link else self.path
        current = start
        while True:
            candidate = posixpath.join(current, "node_modules", name)
            if os.path.isdir(candidate):
                real = os.path.realpath(candidate).replace("\\", "/")
                try:
                    manifest = read_manifest(Path(candidate))
                except SnpmError:
                    manifest = {}
                return _Package(candidate, real, manifest, is_link=os.path.islink(candidate))
            if current == top or not current.startswith(top + "/"):
                return None
            # climb out of node_modules (and a scope folder) to the package that holds it
            current = posixpath.dirname(current)
            while posixpath.basename(current) == "node_modules" or (
                posixpath.basename(current).startswith("@")
                and posixpath.basename(posixpath.dirname(current)) == "node_modules"
            ):
                current = posixpath.dirname(current)


@dataclass(slots=True)
class _Context:
    """Shared by every walker of one packlist() call (npm-packlist passes `seen` along)."""

    top: str  # the package being packed; dependency resolution never leaves it
    seen: set[str]
    warnings: list[str] | None


class _Walker:
    """One directory of the walk; `parent` chains rule evaluation up to the package root."""

    def __init__(
        self,
        package: _Package,
        path: str,
        *,
        context: _Context,
        parent: _Walker | None = None,
        ignore_files: Sequence[str] = _ROOT_IGNORE_FILES,
        is_package: bool = False,
        required_files: Sequence[str] = (),
        exact: bool | None = None,
        extra_defaults: Sequence[str] = (),
    ) -> None:
        self.package = package
        self.path = path
        self.basename = posixpath.basename(path)
        self.context = context
        self.parent = parent
        self.root: str = parent.root if parent else path
        self.result: dict[str, None] = parent.result if parent else {}
        self.ignore_files = tuple(ignore_files)
        self.is_package = is_package
        self.required_files = list(required_files)
        self.exact = exact
        self.rules: dict[str, list[_Glob] | None] = {}
        self._inject(_DEFAULT_KEY, [*DEFAULT_RULES, *extra_defaults])
        if not is_package:
            self._inject(_STRICT_KEY, [*STRICT_DEFAULTS, *(f"!{f}" for f in self.required_files)])

    def _inject(self, key: str, rules: Iterable[str]) -> None:
        self._on_read_ignore_file(key, "\n".join(rules) + "\n")

    def _on_read_ignore_file(self, key: str, data: str) -> None:
        lines = (_js_trim(line) for line in re.split(r"\r?\n", data))
        self.rules[key] = [_cached_glob(line) for line in lines if line and not line.startswith("#")]

    def walk(self) -> None:
        try:
            entries = sorted(os.listdir(self.path))
        except OSError as err:
            raise from_os_error(err, "scandir") from err
        if not entries:
            return
        for entry in entries:
            if entry in self.ignore_files:
                self._add_ignore_file(entry)
        self._filter_entries(entries)

    def _add_ignore_file(self, name: str) -> None:
        if name == "package.json" and self.is_package:
            self._process_package()
            return
        full = f"{self.path}/{name}"
        try:
            with open(full, encoding="utf-8", errors="replace") as handle:
                data = handle.read()
        except OSError as err:
            raise from_os_error(err, "open") from err
        self._on_read_ignore_file(name, data)

    def _process_package(self) -> None:
        manifest = self.package.manifest
        ignores: list[str] = []
        strict = [
            *STRICT_DEFAULTS,
            "!/package.json",
            "!/readme{,.*[^~$]}",
            "!/copying{,.*[^~$]}",
            "!/license{,.*[^~$]}",
            "!/licence{,.*[^~$]}",
            "/.git",
            "/node_modules",
            ".npmrc",
            "/package-lock.json",
            "/yarn.lock",
            "/pnpm-lock.yaml",
            "/bun.lockb",
        ]
        files = manifest.get("files")
        if files is not None and files is not False and files != "" and files != 0:
            items: Iterable[JsonValue] = files if isinstance(files, (list, str)) else ()
            for item in items:
                if not isinstance(item, str):
                    continue
                file = item[1:] if item.startswith("./") else item
                if file.endswith("/*"):
                    file += "*"
                inverse = f"!{file}"
                # node's path.join: a leading "/" in the entry does not make it absolute
                target = posixpath.normpath(f"{self.path}/{file.lstrip('!')}")
                try:
                    st = os.lstat(target)
                except OSError:
                    ignores.append(inverse)
                    continue
                if stat.S_ISREG(st.st_mode):
                    strict.insert(0, inverse)
                    self.required_files.append(file[1:] if file.startswith("/") else file)
                elif stat.S_ISDIR(st.st_mode):
                    ignores.extend((inverse, f"{inverse}/**"))
            self._inject("package.json", ["*", *ignores])
        browser = manifest.get("browser")
        if browser:
            strict.append(f"!/{_js_string(browser)}")
        main = manifest.get("main")
        if main:
            strict.append(f"!/{_js_string(main)}")
        for target in normalize_bins(manifest, Path(self.package.realpath)).values():
            strict.append(f"!/{target}")
        self._inject(_STRICT_KEY, strict)

    def _filter_entries(self, entries: list[str]) -> None:
        rules = self.rules
        if rules.get("package.json") is not None:
            rules[".npmignore"] = None
            rules[".gitignore"] = None
        elif rules.get(".npmignore") is not None:
            rules[".gitignore"] = None
        elif (
            rules.get(".gitignore") is not None and self.parent is None and self.context.warnings is not None
        ):
            self.context.warnings.append(
                "gitignore-fallback No .npmignore file found, using .gitignore for file exclusion. "
                "Consider creating a .npmignore file to explicitly control published files."
            )
        for entry in entries:
            pass_file = self.filter_entry(entry)
            pass_dir = self.filter_entry(entry, partial=True)
            if not (pass_file or pass_dir):
                continue
            if "*" in entry:  # npm-packlist: a name node-tar cannot write on Windows
                continue
            full = f"{self.path}/{entry}"
            try:
                st = os.lstat(full)
            except OSError as err:
                raise from_os_error(err, "lstat") from err
            if stat.S_ISREG(st.st_mode):
                if pass_file:
                    self.result[full[len(self.root) + 1 :]] = None
            elif stat.S_ISDIR(st.st_mode) and pass_dir:
                exact = pass_file or self.filter_entry(entry + "/")
                self._child(entry, exact).walk()

    def _child(self, entry: str, exact: bool) -> _Walker:
        if self.package.workspaces:
            # npm-packlist: with workspaces every subfolder (workspace or not) is walked with
            # the root's rule files, so a nested package.json is read as an ignore file.
            ignore_files: Sequence[str] = _ROOT_IGNORE_FILES
        else:
            ignore_files = _CHILD_IGNORE_FILES
        required = [
            posixpath.basename(norm)
            for f in self.required_files
            if posixpath.dirname(norm := posixpath.normpath(f)) == posixpath.normpath(entry)
        ]
        return _Walker(
            self.package,
            f"{self.path}/{entry}",
            context=self.context,
            parent=self,
            ignore_files=ignore_files,
            required_files=required,
            exact=exact,
        )

    def filter_entry(self, entry: str, partial: bool = False, entry_basename: str | None = None) -> bool:
        included = True
        if self.parent is not None:
            included = self.parent.filter_entry(f"{self.basename}/{entry}", partial, entry_basename or entry)
            if not included and not self.exact:
                return False
        lowered = entry.lower()
        for key in self.ignore_files:
            rules = self.rules.get(key)
            if not rules:
                continue
            for rule in rules:
                if rule.negate == included:
                    continue
                # Every form tried below is `entry` or a piece of it plus slashes, and a
                # non-negated rule is only matched whole: skip it when its text is absent.
                if not rule.negate and rule.required and rule.required not in lowered:
                    continue
                if _rule_matches(rule, entry, partial, entry_basename):
                    included = rule.negate
        return included

    def finish(self) -> list[str]:
        """npm-packlist's done: gather bundled deps, then sort (names starting "@" get "./")."""
        if self.is_package:
            self._gather_bundles()
        listed = [f"./{p}" if p.startswith("@") else p for p in self.result]
        return sorted(listed, key=_pack_sort_key)

    def _gather_bundles(self) -> None:
        key = self.package.realpath
        if key in self.context.seen:
            return
        self.context.seen.add(key)
        manifest = self.package.manifest
        if self.package.is_root:
            to_bundle = normalize_bundle_dependencies(manifest)
        else:
            to_bundle = [
                name
                for group in ("dependencies", "optionalDependencies")
                if isinstance(deps := manifest.get(group), dict)
                for name in deps
            ]
        top = self.context.top
        for dep in to_bundle:
            kind = self.package.edge_type(dep)
            if kind not in ("prod", "optional"):
                continue
            node = self.package.resolve(dep, top)
            if node is None:
                continue
            ignore_files: list[str] = []
            if node.is_link:
                ignore_files.append(_DEFAULT_KEY)
            ignore_files.append("package.json")
            if node.is_link:
                ignore_files += [".npmignore", ".gitignore"]
            ignore_files.append(_STRICT_KEY)
            walker = _Walker(
                node, node.path, context=self.context, ignore_files=ignore_files, is_package=True
            )
            walker.walk()
            relative_from = posixpath.relpath(walker.path, self.root)
            for file in walker.finish():
                self.result[posixpath.normpath(posixpath.join(relative_from, file))] = None


def _rule_matches(rule: _Glob, entry: str, partial: bool, entry_basename: str | None) -> bool:
    """ignore-walk's filterEntry match: /entry, entry, then the partial and basename forms."""
    if rule.match("/" + entry) or rule.match(entry):
        return True
    if not partial:
        return False
    if rule.match("/" + entry + "/") or rule.match(entry + "/"):
        return True
    if rule.negate and (rule.match("/" + entry, True) or rule.match(entry, True)):
        return True
    is_relative = bool(entry_basename) and any(
        len(part) <= (1 if part[-1] else 2) for part in rule.glob_parts
    )
    if not is_relative or entry_basename is None:
        return False
    if rule.match("/" + entry_basename + "/") or rule.match(entry_basename + "/"):
        return True
    return rule.negate and (rule.match("/" + entry_basename, True) or rule.match(entry_basename, True))


def _workspace_dirs(root: str, manifest: JsonObject) -> tuple[str, ...]:
    """@npmcli/map-workspaces, simplified: folders matching `workspaces` that hold a package.json."""
    spec = manifest.get("workspaces")
    patterns: list[str] = []
    if isinstance(spec, list):
        patterns = [p for p in spec if isinstance(p, str)]
    elif isinstance(spec, dict) and isinstance(spec.get("packages"), list):
        patterns = [p for p in spec["packages"] if isinstance(p, str)]  # type: ignore[union-attr]
    if not patterns:
        return ()
    globs = [_Glob(posixpath.normpath(p.strip("/")), nocase=False, match_base=False) for p in patterns]
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "node_modules" and not d.startswith("."))
        rel = posixpath.relpath(dirpath.replace("\\", "/"), root)
        if rel == "." or "package.json" not in filenames:
            continue
        if any(g.match(rel) for g in globs if not g.negate) and not any(
            g.match(rel) for g in globs if g.negate
        ):
            found.append(f"{root}/{rel}")
    return tuple(found)


def _out_of_tree_ignores(root: str, rel: str) -> list[str]:
    """npm-packlist readOutOfTreeIgnoreFiles: ignore files between the workspace root and a workspace."""
    result: list[str] = []
    while True:
        for name in (".npmignore", ".gitignore"):
            try:
                with open(posixpath.join(root, name), encoding="utf-8") as handle:
                    result.append(handle.read())
                break
            except FileNotFoundError:
                continue
            except OSError as err:
                raise from_os_error(err, "open") from err
        if not rel or rel == ".":
            return result
        first = rel.split("/", 1)[0]
        new_root = posixpath.join(root, first)
        rel = posixpath.relpath(posixpath.join(root, rel), new_root)
        root = new_root


def packlist(
    directory: Path,
    manifest: JsonObject | None = None,
    *,
    prefix: Path | None = None,
    workspaces: Collection[Path] | None = None,
    warnings: list[str] | None = None,
) -> list[str]:
    """The files `npm pack` puts in the tarball: posix paths relative to `directory`, npm's order.

    `prefix` and `workspaces` are npm's --prefix and the selected workspace folders (npm pack
    -w): packing a workspace then also honours ignore files between the root and the workspace.
    """
    root = os.path.abspath(os.fspath(directory)).replace("\\", "/")
    if manifest is None:
        manifest = read_manifest(Path(root))
    package = _Package(
        path=root,
        realpath=root,
        manifest=manifest,
        is_root=True,
        workspaces=_workspace_dirs(root, manifest),
    )
    extra: list[str] = []
    if prefix is not None and workspaces:
        prefix_path = os.path.abspath(os.fspath(prefix)).replace("\\", "/")
        workspace_paths = [os.path.abspath(os.fspath(w)).replace("\\", "/") for w in workspaces]
        if root != prefix_path and root in workspace_paths:
            rel = posixpath.relpath(posixpath.dirname(root), prefix_path)
            extra += _out_of_tree_ignores(prefix_path, "" if rel == "." else rel)
        elif root == prefix_path:
            extra += [posixpath.relpath(w, root) for w in workspace_paths]
    context = _Context(top=root, seen=set(), warnings=warnings)
    walker = _Walker(package, root, context=context, is_package=True, extra_defaults=extra)
    walker.walk()
    return walker.finish()
