"""Version picking compared with npm's own npm-pick-manifest on generated packuments."""

from __future__ import annotations

import random

import pytest

from snpm.errors import SnpmError
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from support.node import node_json

pytestmark = pytest.mark.e2e

WANTED = ["", "latest", "beta", "^1.0.0", "~1.2.0", "1.2.3", "v1.2.3", ">=2", "<1.1", "*", "1.x || 3",
          "^1.0.0-beta.1", "=2.0.0-rc.1", "nope", "^9", ">=1.0.0 <1.0.0", "2.0.0-rc.1 - 3"]  # fmt: skip


def _packuments(count: int) -> list[dict[str, object]]:
    rng = random.Random(1234)
    pool = [f"{a}.{b}.{c}" for a in range(4) for b in range(3) for c in range(4)]
    pool += ["1.2.3-beta.1", "2.0.0-rc.1", "1.0.0-beta.2", "3.1.0-alpha"]
    docs = []
    for i in range(count):
        versions: dict[str, object] = {}
        times: dict[str, object] = {}
        for n, ver in enumerate(rng.sample(pool, rng.randint(1, 14))):
            manifest: dict[str, object] = {"name": "pkg", "version": ver}
            roll = rng.random()
            if roll < 0.15:
                manifest["deprecated"] = "old"
            elif roll < 0.3:
                manifest["engines"] = {"node": rng.choice([">=99", ">=10", "^20", "<4"])}
            versions[ver] = manifest
            times[ver] = f"2020-0{1 + n % 9}-1{n % 10}T00:00:00.000Z"
        tags = {"latest": rng.choice(list(versions))}
        if rng.random() < 0.5:
            tags["beta"] = rng.choice(list(versions))
        doc: dict[str, object] = {"name": "pkg", "dist-tags": tags, "versions": versions}
        if i % 3 == 0:
            doc["time"] = times
        docs.append(doc)
    return docs


SCRIPT = """
const pick = require(NPM + '/node_modules/npm-pick-manifest');
console.log(JSON.stringify(input.cases.map(([doc, wanted, opts]) => {
  try { const m = pick(doc, wanted, opts); return { version: m.version }; }
  catch (e) { return { error: e.code, message: e.message }; }
})));
"""


def test_pick_manifest_matches_npm() -> None:
    cases = []
    for doc in _packuments(60):
        for wanted in WANTED:
            for opts in ({}, {"before": "2020-05-01T00:00:00.000Z"}, {"avoid": "<2"}):
                cases.append((doc, wanted, {"nodeVersion": "20.20.2", "npmVersion": "11.19.1", **opts}))
    expected = node_json(SCRIPT, {"cases": cases})
    assert isinstance(expected, list)
    failures = []
    for (doc, wanted, opts), want in zip(cases, expected, strict=True):
        before = opts.get("before")
        options = PickOptions(
            node_version="20.20.2",
            npm_version="11.19.1",
            avoid=opts.get("avoid"),  # type: ignore[arg-type]
            before_ms=1588291200000.0 if before else None,
        )
        try:
            got: dict[str, object] = {"version": pick_manifest(doc, wanted, options).manifest["version"]}  # type: ignore[arg-type]
        except SnpmError as err:
            got = {"error": err.code, "message": err.message}
        if got != want:
            failures.append((wanted, opts, doc, got, want))
    assert not failures, failures[:3]
    print(f"pick_manifest: {len(cases)} cases compared")
