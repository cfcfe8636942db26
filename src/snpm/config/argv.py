"""Command-line parsing exactly as nopt 9 does it for npm (nopt-lib.js `parse` and `resolveShort`).

The rules are nopt's, quirks included, because scripts rely on them: `--key=value` is split on the
first `=`; a shorthand word (`-dd`) wins over single letters; a word made only of one-letter
shorthands expands letter by letter (`-gpld`); unique prefixes of long names expand with a warning;
each `no-` flips a boolean; a boolean consumes a following `true`/`false`; a String type consumes
the next word unless it looks like a flag; unknown `--foo bar` sets foo=true and leaves `bar`
positional (with a warning); `--` ends option parsing. Values are validated afterwards with
`types.clean`, which reports invalid ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from snpm.config.types import T, TypeAtom, TypeSpec, has_atom
from snpm.config.values import ConfigValue, js_is_nan, js_number, json_parse_literal

_ALL_DASHES = re.compile(r"-{2,}")
_LONG_FLAG_LIKE = re.compile(r"^-{2,}[^-]")
_SHORT_FLAG_LIKE = re.compile(r"^-[^-]")
_FLAG_WORD = re.compile(r"^-{1,2}[^-]+")


@lru_cache(maxsize=8)
def abbrev(words: tuple[str, ...]) -> dict[str, str]:
    """The `abbrev` package: every unambiguous prefix of each word maps to the word."""
    ordered = sorted(words)
    result: dict[str, str] = {}
    prev = ""
    for ii, current in enumerate(ordered):
        nxt = ordered[ii + 1] if ii + 1 < len(ordered) else ""
        if current == nxt:
            continue
        next_matches = True
        prev_matches = True
        j = 0
        cl = len(current)
        while j < cl:
            ch = current[j]
            next_matches = next_matches and ch == (nxt[j] if j < len(nxt) else "")
            prev_matches = prev_matches and ch == (prev[j] if j < len(prev) else "")
            if not next_matches and not prev_matches:
                j += 1
                break
            j += 1
        prev = current
        if j == cl:
            result[current] = current
            continue
        a = current[:j]
        while j <= cl:
            result[a] = current
            a += current[j] if j < cl else ""
            j += 1
    return result


class ParsedArgv:
    """nopt's result: the typed options (before `clean`), positionals, and the rewritten argv."""

    __slots__ = ("data", "remain", "cooked", "original")

    def __init__(self, original: list[str] | None = None) -> None:
        self.data: dict[str, ConfigValue] = {}
        self.remain: list[str] = []
        self.cooked: list[str] = []
        self.original: list[str] = original or []


AbbrevHandler = Callable[[str, str], None]
UnknownHandler = Callable[[str, "str | None"], None]


def _resolve_short(
    arg: str,
    short_abbr: Mapping[str, str],
    abbrevs: Mapping[str, str],
    shorthands: Mapping[str, Sequence[str]],
    singles: frozenset[str],
    on_abbrev: AbbrevHandler,
) -> list[str] | None:
    arg = arg.lstrip("-")
    if abbrevs.get(arg) == arg:
        return None
    if arg in shorthands:
        return list(shorthands[arg])
    # single-character shorthands glommed together, like `-glp` (nopt accepts any dash count)
    if all(c in singles for c in arg):
        out: list[str] = []
        for c in arg:
            out.extend(shorthands[c])
        return out
    if arg in abbrevs:
        return None
    if arg in short_abbr:
        on_abbrev(arg, short_abbr[arg])
        arg = short_abbr[arg]
    found = shorthands.get(arg)
    return list(found) if found is not None else None


def parse_argv(
    args: Sequence[str],
    type_of: Callable[[str], TypeSpec | None],
    type_keys: tuple[str, ...],
    shorthands: Mapping[str, Sequence[str]],
    *,
    on_abbrev: AbbrevHandler,
    on_unknown: UnknownHandler,
) -> ParsedArgv:
    """nopt `parse`: options into `data` (unvalidated), positionals into `remain`."""
    argv = list(args)
    result = ParsedArgv(original=list(args))
    data = result.data
    remain = result.remain
    abbrevs = abbrev(type_keys)
    short_abbr = abbrev(tuple(shorthands))
    singles = frozenset(k for k in shorthands if len(k) == 1)

    i = 0
    while i < len(argv):
        arg = argv[i]
        if _ALL_DASHES.fullmatch(arg):
            remain.extend(argv[i + 1 :])
            argv[i] = "--"
            break
        had_eq = False
        if arg.startswith("-") and len(arg) > 1:
            at = arg.find("=")
            if at > -1:
                had_eq = True
                value = arg[at + 1 :]
                arg = arg[:at]
                argv[i : i + 1] = [arg, value]

            expanded = _resolve_short(arg, short_abbr, abbrevs, shorthands, singles, on_abbrev)
            if expanded is not None:
                argv[i : i + 1] = expanded
                if not expanded or arg != expanded[0]:
                    continue  # re-parse the expansion at the same position

            arg = arg.lstrip("-")
            no: bool | None = None
            while arg.lower().startswith("no-"):
                no = not no
                arg = arg[3:]

            if arg in abbrevs and abbrevs[arg] != arg:
                on_abbrev(arg, abbrevs[arg])
                arg = abbrevs[arg]

            arg_type = type_of(arg)
            has_type = arg_type is not None
            is_type_array = isinstance(arg_type, tuple)
            if isinstance(arg_type, tuple) and len(arg_type) == 1:
                is_type_array = False
                arg_type = arg_type[0]
            atoms: tuple[TypeAtom, ...] = arg_type if isinstance(arg_type, tuple) else ()

            is_array = arg_type is T.ARRAY or (is_type_array and T.ARRAY in atoms)
            if not has_type and arg in data:
                existing = data[arg]
                if not isinstance(existing, list):
                    data[arg] = [existing]
                is_array = True

            la: str | None = argv[i + 1] if i + 1 < len(argv) else None

            is_bool = (
                no is not None
                or arg_type is T.BOOLEAN
                or (is_type_array and T.BOOLEAN in atoms)
                or (not has_type and not had_eq)
                or (la == "false" and is_type_array and has_atom(atoms, None))
            )

            if not has_type:
                hanging = (
                    not had_eq and bool(la) and not (la or "").startswith("-") and la not in ("true", "false")
                )
                on_unknown(arg, la if hanging else None)

            val: ConfigValue
            if is_bool:
                val = not no
                if la in ("true", "false"):
                    val = json_parse_literal(la)
                    la = None
                    if no:
                        val = not val
                    i += 1
                if is_type_array and la:
                    if has_atom(atoms, la):
                        val = la
                        i += 1
                    elif la == "null" and has_atom(atoms, None):
                        val = None
                        i += 1
                    elif not _LONG_FLAG_LIKE.match(la) and not js_is_nan(la) and T.NUMBER in atoms:
                        val = js_number(la)
                        i += 1
                    elif not _SHORT_FLAG_LIKE.match(la) and T.STRING in atoms:
                        val = la
                        i += 1
                _store(data, arg, val, is_array)
                i += 1
                continue

            if arg_type is T.STRING:
                if la is None:
                    la = ""
                elif _FLAG_WORD.match(la):
                    la = ""
                    i -= 1

            if la and _ALL_DASHES.fullmatch(la):
                la = None
                i -= 1

            _store(data, arg, True if la is None else la, is_array)
            i += 2
            continue
        remain.append(arg)
        i += 1
    result.cooked = argv
    return result


def _store(data: dict[str, ConfigValue], key: str, val: ConfigValue, is_array: bool) -> None:
    if is_array:
        existing = data.get(key)
        if isinstance(existing, list):
            existing.append(val)
        else:
            data[key] = [val]
    else:
        data[key] = val
