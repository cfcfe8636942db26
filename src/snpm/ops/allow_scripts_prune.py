"""Which `package.json#allowScripts` entries `npm install-scripts prune` drops (npm's
lib/utils/allow-scripts-prune.js).

Pure: the map and the install candidates (each tagged with whether it has install scripts) in,
the entries to keep and the ones to remove out. An entry is unused when no installed node matches
its key by trusted identity (`not-installed`), or when the nodes it matches have no install
scripts (`no-scripts`). Approvals and denials are pruned alike; a key npa cannot parse is kept,
since prune never drops what it cannot read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import msgspec

from snpm.ecmascript.json import key_order
from snpm.errors import SpecError
from snpm.json_types import JsonObject, JsonValue
from snpm.lifecycle import BuildNode
from snpm.lifecycle.allow_scripts import matches
from snpm.spec import parse_spec

__all__ = ["Candidate", "PruneResult", "Removed", "classify_unused_entries"]

RemovedReason = Literal["not-installed", "no-scripts"]


class Candidate(msgspec.Struct, frozen=True):
    """An installed node prune looks at, and whether it has install scripts."""

    node: BuildNode
    has_scripts: bool


class Removed(msgspec.Struct, frozen=True):
    key: str
    value: JsonValue
    reason: RemovedReason

    def to_json(self) -> JsonObject:
        return {"key": self.key, "value": self.value, "reason": self.reason}


class PruneResult(msgspec.Struct, frozen=True):
    remaining: dict[str, JsonValue]
    removed: tuple[Removed, ...]


def _parseable(key: str) -> bool:
    try:
        parse_spec(key)
    except SpecError:
        return False
    return True


def classify_unused_entries(
    allow_scripts: Mapping[str, JsonValue], candidates: Sequence[Candidate]
) -> PruneResult:
    """Split the map into the entries to keep and the unused ones, in the map's order."""
    remaining: dict[str, JsonValue] = {}
    removed: list[Removed] = []
    for key in key_order(list(allow_scripts)):
        value = allow_scripts[key]
        if not _parseable(key):
            remaining[key] = value
            continue
        matching = [c for c in candidates if matches(c.node, key, False)]
        if not matching:
            removed.append(Removed(key, value, "not-installed"))
        elif not any(c.has_scripts for c in matching):
            removed.append(Removed(key, value, "no-scripts"))
        else:
            remaining[key] = value
    return PruneResult(remaining, tuple(removed))
