"""The words of npm's install summary (lib/utils/reify-output.js): `added 3 packages in 1s`, the
funding lines, the `--json` object. Counting what a reify did is snpm.ops.reify_output's; this part
imports nothing else, so the no-op install (snpm.ops.noop_install) can print it without the engine.
"""

from __future__ import annotations

import math

from snpm.json_types import JsonObject

__all__ = ["ReifySummary", "changed_message", "format_ms", "funding_lines", "summary_json"]


class ReifySummary:
    """reify-output.js `summary`. A plain class: the no-op install imports neither msgspec nor
    `dataclasses` (see `snpm.cli.command.CommandContext`)."""

    __slots__ = ("add", "added", "audited", "change", "changed", "funding", "remove", "removed")

    def __init__(
        self, *, added: int = 0, audited: int = 0, changed: int = 0, funding: int = 0, removed: int = 0
    ) -> None:
        self.add: list[JsonObject] = []
        self.added = added
        self.audited = audited
        self.change: list[JsonObject] = []
        self.changed = changed
        self.funding = funding
        self.remove: list[JsonObject] = []
        self.removed = removed


def format_ms(ms: float) -> str:
    """The `ms` package's short format (Math.round rounds halves up)."""

    def rounded(value: float) -> int:
        return math.floor(value + 0.5)

    ms_abs = abs(ms)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms_abs >= size:
            return f"{rounded(ms / size)}{unit}"
    return f"{rounded(ms)}ms"


def changed_message(summary: ReifySummary, elapsed_ms: float) -> str:
    """packagesChangedMessage without its leading blank line: `added 3 packages in 1s`."""
    added, removed, changed, audited = summary.added, summary.removed, summary.changed, summary.audited
    msg: list[str] = []
    if not added and not removed and not changed:
        msg.append("up to date")
        if audited:
            msg.append(", ")
    else:
        if added:
            msg.append(f"added {added} package{'' if added == 1 else 's'}")
        if removed:
            if added:
                msg.append(", ")
            if added and not audited and not changed:
                msg.append("and ")
            msg.append(f"removed {removed} package{'' if removed == 1 else 's'}")
        if changed:
            if added or removed:
                msg.append(", ")
            if not audited and (added or removed):
                msg.append("and ")
            msg.append(f"changed {changed} package{'' if changed == 1 else 's'}")
        if audited:
            msg.append(", and ")
    if audited:
        msg.append(f"audited {audited} package{'' if audited == 1 else 's'}")
    msg.append(f" in {format_ms(elapsed_ms)}")
    return "".join(msg)


def funding_lines(summary: ReifySummary) -> list[str]:
    """packagesFundingMessage (after a blank line), or nothing."""
    funding = summary.funding
    if not funding:
        return []
    pkg, verb = ("package", "is") if funding == 1 else ("packages", "are")
    return ["", f"{funding} {pkg} {verb} looking for funding", "  run `npm fund` for details"]


def summary_json(summary: ReifySummary) -> JsonObject:
    return {
        "add": list(summary.add),
        "added": summary.added,
        "audited": summary.audited,
        "change": list(summary.change),
        "changed": summary.changed,
        "funding": summary.funding,
        "remove": list(summary.remove),
        "removed": summary.removed,
    }
