"""npm's `npm.chalk` for stdout: chalk 5's colours when stdout is coloured, plain text otherwise.

chalk turns any argument into text first (`chalk.magenta(undefined)` prints `undefined`); callers
pass values through `js_text` for that. Nested styles open outer-first and close inner-first.
"""

from __future__ import annotations

from snpm.ecmascript.values import to_string

__all__ = ["Chalk", "js_text"]

_CODES = {
    "underline": ("\x1b[4m", "\x1b[24m"),
    "dim": ("\x1b[2m", "\x1b[22m"),
    "red": ("\x1b[31m", "\x1b[39m"),
    "green": ("\x1b[32m", "\x1b[39m"),
    "yellow": ("\x1b[33m", "\x1b[39m"),
    "blue": ("\x1b[34m", "\x1b[39m"),
    "magenta": ("\x1b[35m", "\x1b[39m"),
    "cyan": ("\x1b[36m", "\x1b[39m"),
    "red_bright": ("\x1b[91m", "\x1b[39m"),
}


def js_text(value: object, *, missing: bool = False) -> str:
    """`${value}` in a JS template: None is `null`, and `missing=True` stands for `undefined`."""
    if missing:
        return "undefined"
    return to_string(value)


class Chalk:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def style(self, text: str, *styles: str) -> str:
        if not self.enabled or not text:
            return text
        opening = "".join(_CODES[s][0] for s in styles)
        closing = "".join(_CODES[s][1] for s in reversed(styles))
        return f"{opening}{text}{closing}"

    def blue(self, text: str) -> str:
        return self.style(text, "blue")

    def cyan(self, text: str) -> str:
        return self.style(text, "cyan")

    def green(self, text: str) -> str:
        return self.style(text, "green")

    def magenta(self, text: str) -> str:
        return self.style(text, "magenta")

    def red(self, text: str) -> str:
        return self.style(text, "red")

    def red_bright(self, text: str) -> str:
        return self.style(text, "red_bright")

    def yellow(self, text: str) -> str:
        return self.style(text, "yellow")

    def dim(self, text: str) -> str:
        return self.style(text, "dim")

    def underline_cyan(self, text: str) -> str:
        return self.style(text, "underline", "cyan")
