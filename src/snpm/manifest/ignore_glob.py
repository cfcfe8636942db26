"""The glob dialect of ignore files: a port of minimatch 10 and its brace-expansion 5.

ignore-walk 8 (under npm-packlist) compiles every rule with minimatch's options `matchBase, dot,
flipNegate, nocase`; `Glob` is such a compiled rule and `Glob.match` its `match(path, partial)`.
Only what those options reach is ported: brace expansion, minimatch's segment regexes (classes,
POSIX classes, extglobs) and shortcut tests, and globstar matching with minimatch's bookkeeping.

Pure: no I/O; imports nothing from snpm. Why one ~680-line module: it is one library port whose
parts only make sense together; brace expansion (`brace_expand` and its helpers, ~170 lines) is
the cut to make if it grows.

Size: one library port (minimatch + brace-expansion) whose parts only make sense together.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import msgspec

__all__ = ["Glob", "brace_expand", "cached_glob"]

_GLOBSTAR = object()


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


def brace_expand(pattern: str) -> list[str]:
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


class _Ext(msgspec.Struct):
    """An extglob `@( )`, `?( )`, `+( )`, `*( )` or `!( )` with its alternatives."""

    kind: str
    alternatives: list[list[str | _Ext]] = msgspec.field(default_factory=list)


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


class Glob:
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
        for expanded in brace_expand(stripped):
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
def cached_glob(pattern: str) -> Glob:
    """An ignore-walk rule (`Glob` with its default options), compiled once per pattern."""
    # Glob is never mutated after construction, so walkers can share compiled rules.
    return Glob(pattern)


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
