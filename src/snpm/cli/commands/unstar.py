"""`snpm unstar`: npm's lib/commands/unstar.js (star.js with the other name)."""

from __future__ import annotations

from snpm.cli.commands.star import Star


class Unstar(Star):
    name = "unstar"
    summary = "Remove an item from your favorite packages"
