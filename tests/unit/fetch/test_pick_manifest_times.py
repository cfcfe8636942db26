"""npm-pick-manifest's isBefore without `before`: a JS-falsy time keeps its version, a date that
does not parse drops it (NaN <= Infinity is false), as the real npm-pick-manifest does."""

from __future__ import annotations

from snpm.fetch.pick_manifest import pick_manifest
from snpm.json_types import JsonObject, JsonValue


def _packument(times: dict[str, JsonValue]) -> JsonObject:
    return {
        "name": "x",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {v: {"name": "x", "version": v} for v in ("1.0.0", "2.0.0", "3.0.0")},
        "time": times,
    }


def test_falsy_times_keep_their_version() -> None:
    assert pick_manifest(_packument({"2.0.0": "", "3.0.0": None}), ">=2").manifest["version"] == "3.0.0"
    assert pick_manifest(_packument({"3.0.0": 0}), ">=2").manifest["version"] == "3.0.0"


def test_an_unparseable_time_drops_its_version() -> None:
    picked = pick_manifest(_packument({"2.0.0": "", "3.0.0": "garbage"}), ">=2")
    assert picked.manifest["version"] == "2.0.0"
