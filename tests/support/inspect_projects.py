"""A small hand-made project for the inspection unit tests (no installer, no npm).

    root@1.0.0  deps a@^1 m@^1 (missing), dev d@^1 (2.0.0 installed: invalid), optional o@^1 (missing)
    node_modules/a@1.0.0      deps b@^1, c@^2 (nested), funding url
    node_modules/a/node_modules/c@2.0.0   deps b@^1
    node_modules/b@1.0.0      funding {type, url}
    node_modules/d@2.0.0      deps b@*
    node_modules/x@1.0.0      extraneous

The expected texts in the tests were produced by npm 11.19.1 on this same layout.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from snpm.tree import Node
from snpm.tree.load_actual import load_actual

PACKAGES: dict[str, dict[str, object]] = {
    "": {
        "name": "root",
        "version": "1.0.0",
        "dependencies": {"a": "^1.0.0", "m": "^1.0.0"},
        "devDependencies": {"d": "^1.0.0"},
        "optionalDependencies": {"o": "^1.0.0"},
    },
    "node_modules/a": {
        "name": "a",
        "version": "1.0.0",
        "description": "A!",
        "dependencies": {"b": "^1.0.0", "c": "^2.0.0"},
        "funding": "https://fund.test/a",
    },
    "node_modules/b": {
        "name": "b",
        "version": "1.0.0",
        "funding": {"type": "opencollective", "url": "https://fund.test/b"},
    },
    "node_modules/a/node_modules/c": {"name": "c", "version": "2.0.0", "dependencies": {"b": "^1.0.0"}},
    "node_modules/d": {"name": "d", "version": "2.0.0", "dependencies": {"b": "*"}},
    "node_modules/x": {"name": "x", "version": "1.0.0"},
}


def make_project(root: Path) -> Path:
    for location, pkg in PACKAGES.items():
        folder = root / location if location else root
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps(pkg))
    return root


def load(root: Path) -> Node:
    return asyncio.run(load_actual(str(root)))
