"""Field parsing: how a raw string from a file or the environment becomes a typed config value.

Ports @npmcli/config `parse-field.js` and `env-replace.js`. Order matters and is npm's: trim, split
list types on blank lines, literal words for non-string types, then `${VAR}` expansion, then dates,
paths (`~/` and cwd), umask and numbers. Validation happens later (`types.clean`), so an unparsable
value is returned as the string it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from snpm.config.types import T, TypeSpec, as_tuple, expand_path, js_trim, parse_umask
from snpm.config.values import UNDEFINED, ConfigValue, js_is_nan, js_number, parse_js_date

# ${NAME} or ${NAME?}, with backslashes before it counted to decide whether it is escaped
_ENV_EXPR = re.compile(r"(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}")


def env_replace(text: str, env: Mapping[str, str]) -> str:
    """Replace `${VAR}` from env; unset stays literal, `${VAR?}` unset → ''; `\\${…}` escapes."""

    def repl(m: re.Match[str]) -> str:
        esc, name, modifier = m.group(1), m.group(2), m.group(3)
        fallback = "" if modifier == "?" else "${" + name + "}"
        val = env.get(name, fallback)
        if len(esc) % 2:
            return m.group(0)[(len(esc) + 1) // 2 :]
        return esc[len(esc) // 2 :] + val

    if "${" not in text:
        return text
    return _ENV_EXPR.sub(repl, text)


class FieldContext(NamedTuple):
    """What field parsing needs from the config: home for `~/`, cwd for relative paths, env for `${}`."""

    home: str | None
    cwd: str
    env: Mapping[str, str]


def parse_field(
    value: ConfigValue, spec: TypeSpec | None, ctx: FieldContext, list_element: bool = False
) -> ConfigValue:
    """@npmcli/config parseField: coerce a raw value to the best type its definition allows."""
    if not isinstance(value, str | list):
        return value
    atoms = as_tuple(spec) if spec is not None else ()
    is_path = T.PATH in atoms
    is_bool = T.BOOLEAN in atoms
    is_string = is_path or T.STRING in atoms
    is_umask = T.UMASK in atoms
    is_number = T.NUMBER in atoms
    is_list = not list_element and T.ARRAY in atoms
    is_date = T.DATE in atoms

    if isinstance(value, list):
        return value if not is_list else [parse_field(v, spec, ctx, True) for v in value]

    text = js_trim(value)
    if is_list:
        # list types travel through the environment joined by blank lines (ca certs contain newlines)
        return parse_field(list[ConfigValue](text.split("\n\n")), spec, ctx)

    if is_bool and not is_string and text == "":
        return True

    if not is_string and not is_path and not is_number:
        if text == "true":
            return True
        if text == "false":
            return False
        if text == "null":
            return None
        if text == "undefined":
            return UNDEFINED

    text = env_replace(text, ctx.env)

    if is_date:
        return parse_js_date(text)

    if is_path:
        text = expand_path(text, ctx.home, ctx.cwd)

    if is_umask:
        try:
            return parse_umask(text)
        except ValueError:
            return text

    if is_number and not js_is_nan(text):
        return js_number(text)

    return text
