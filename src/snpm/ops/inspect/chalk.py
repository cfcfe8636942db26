"""chalk 5 as npm's `npm.chalk` styles stdout (level 0: plain text; else the 16-colour codes).

What matters for byte-identical output is chalk's string handling, ported here:

- an empty string stays empty (no codes around nothing);
- a closing code already inside the text is followed by the opening code again, so the outer
  style resumes after an inner one closes (`stringReplaceAll(close, close + open)`, per style of
  the chain, innermost first);
- every line break is wrapped: `close` before and `open` after each `\\n` (or `\\r\\n`), so a
  style never bleeds across lines. `dim('\\nlocation')` is `ESC[2m ESC[22m\\n ESC[2m location ESC[22m`.

Styles chain outer-first as in `chalk.bold.underline(text)`: `style(text, "bold", "underline")`.
"""

from __future__ import annotations

from typing import Final

__all__ = ["Chalk"]

_CODES: Final[dict[str, tuple[str, str]]] = {
    "reset": ("\x1b[0m", "\x1b[0m"),
    "bold": ("\x1b[1m", "\x1b[22m"),
    "dim": ("\x1b[2m", "\x1b[22m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "red": ("\x1b[31m", "\x1b[39m"),
    "green": ("\x1b[32m", "\x1b[39m"),
    "yellow": ("\x1b[33m", "\x1b[39m"),
    "blue": ("\x1b[34m", "\x1b[39m"),
    "magenta": ("\x1b[35m", "\x1b[39m"),
    "cyan": ("\x1b[36m", "\x1b[39m"),
    "blueBright": ("\x1b[94m", "\x1b[39m"),
    "magentaBright": ("\x1b[95m", "\x1b[39m"),
}


def _encase_line_breaks(text: str, close: str, open_: str) -> str:
    """chalk's stringEncaseCRLFWithFirstIndex: `close` before every line break, `open` after it."""
    out: list[str] = []
    end = 0
    index = text.find("\n")
    while index != -1:
        got_cr = index > 0 and text[index - 1] == "\r"
        out.append(text[end : index - 1 if got_cr else index])
        out.append(close + ("\r\n" if got_cr else "\n") + open_)
        end = index + 1
        index = text.find("\n", end)
    out.append(text[end:])
    return "".join(out)


class Chalk:
    """`enabled` is npm's decision to colour stdout (`--color`, a TTY, NO_COLOR)."""

    __slots__ = ("enabled",)

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def style(self, text: str, *styles: str) -> str:
        """`chalk.<styles[0]>.<styles[1]>…(text)`."""
        if not self.enabled or not text:
            return text
        open_all = "".join(_CODES[s][0] for s in styles)
        close_all = "".join(_CODES[s][1] for s in reversed(styles))
        if "\x1b" in text:
            for name in reversed(styles):
                opening, closing = _CODES[name]
                text = text.replace(closing, closing + opening)
        if "\n" in text:
            text = _encase_line_breaks(text, close_all, open_all)
        return open_all + text + close_all

    def __call__(self, role: str, text: str) -> str:
        """A `tree.explain.Style`: explain-dep.js's colours per flag or role."""
        return self.style(text, *_EXPLAIN_ROLES.get(role, ()))

    def bold(self, text: str) -> str:
        return self.style(text, "bold")

    def dim(self, text: str) -> str:
        return self.style(text, "dim")

    def red(self, text: str) -> str:
        return self.style(text, "red")

    def yellow(self, text: str) -> str:
        return self.style(text, "yellow")

    def blue(self, text: str) -> str:
        return self.style(text, "blue")

    def cyan(self, text: str) -> str:
        return self.style(text, "cyan")

    def blue_bright(self, text: str) -> str:
        return self.style(text, "blueBright")

    def reset(self, text: str) -> str:
        return self.style(text, "reset")


# explain-dep.js colorType (and printNode's workspace / location styles)
_EXPLAIN_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "extraneous": ("red",),
    "dev": ("blue",),
    "optional": ("magenta",),
    "peer": ("magentaBright",),
    "bundled": ("underline", "cyan"),
    "workspace": ("blueBright",),
    "overridden": ("dim",),
    "dim": ("dim",),
    "bold": ("bold",),
}
