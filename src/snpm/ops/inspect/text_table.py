"""text-table 0.2 with npm's `stringLength` (the length without ANSI codes), as `npm outdated` uses it.

Columns are padded to their widest cell and joined by two spaces; `align` gives each column's
alignment (`l` default, `r`, `c`); trailing whitespace is trimmed from every row. Widths are
JavaScript string lengths (UTF-16 code units) of the text with terminal escapes removed (node's
`util.stripVTControlCharacters`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from snpm.ecmascript.strings import utf16_length

__all__ = ["strip_vt_control_characters", "text_table"]

# node's lib/internal/util/inspect.js ansiPattern
_ANSI: Final = re.compile(
    "[\\u001B\\u009B][\\[\\]()#;?]*"
    "(?:(?:(?:(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]+)*"
    "|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]*)*)?"
    "(?:\\u0007|\\u001B\\u005C|\\u009C))"
    "|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?"
    "[\\dA-PR-TZcf-nq-uy=><~]))"
)
# JavaScript's \s (what `.replace(/\s+$/, '')` trims)
_TRAILING_SPACE: Final = re.compile(
    "[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]+$"
)


def strip_vt_control_characters(text: str) -> str:
    return _ANSI.sub("", text)


def _length(text: str) -> int:
    return utf16_length(strip_vt_control_characters(text))


def text_table(rows: Sequence[Sequence[str]], align: Sequence[str] = ()) -> str:
    sizes: list[int] = []
    for row in rows:
        for ix, cell in enumerate(row):
            n = _length(cell)
            if ix >= len(sizes):
                sizes.append(n)
            elif n > sizes[ix]:
                sizes[ix] = n
    out: list[str] = []
    for row in rows:
        cells: list[str] = []
        for ix, cell in enumerate(row):
            n = sizes[ix] - _length(cell)
            pad = " " * max(n, 0)
            how = align[ix] if ix < len(align) else "l"
            if how == "r":
                cells.append(pad + cell)
            elif how == "c":
                cells.append(" " * -(-n // 2) + cell + " " * (n // 2))
            else:
                cells.append(cell + pad)
        out.append(_TRAILING_SPACE.sub("", "  ".join(cells)))
    return "\n".join(out)
