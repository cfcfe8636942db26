"""`snpm ll` (alias la): npm's lib/commands/ll.js, `ls` with `--long` forced on."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.ls import Ls

__all__ = ["Ll"]


class Ll(Ls):
    name = "ll"
    usage: ClassVar[tuple[str, ...]] = ("[[<@scope>/]<pkg> ...]",)
    long_listing: ClassVar[bool] = True
