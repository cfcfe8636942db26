"""The string shortcuts of `snpm.tree.paths` give node's `path` answers: compared with the
general implementation (posixpath, normalised the way node does) over random paths with `.`,
`..`, doubled and trailing slashes, dot folders and scopes."""

from __future__ import annotations

import os
import posixpath
import random

from snpm.tree import paths
from snpm.tree.cimap import CIMap
from snpm.tree.paths import join_location, name_from_folder, relpath, resolve

PARTS = ["a", "b", ".", "..", "", "node_modules", ".bin", "@s", "x.y", "...", ".x"]


def _reference_resolve(*parts: str) -> str:
    joined = ""
    for part in reversed(parts):
        if not part:
            continue
        joined = part if not joined else posixpath.join(part, joined)
        if joined.startswith("/"):
            break
    if not joined.startswith("/"):
        joined = posixpath.join(os.getcwd(), joined)
    return paths._normalize(joined)


def _reference_name(path: str) -> str | None:
    if not path:
        return None
    base = paths.basename(path)
    parent = paths.basename(paths.dirname(path))
    return f"{parent}/{base}" if parent.startswith("@") else base


def _path(rng: random.Random, absolute: bool) -> str:
    out = "/".join(rng.choice(PARTS) for _ in range(rng.randint(0, 5)))
    roll = rng.random()
    if absolute and roll < 0.8:
        out = "/" + out
    elif roll < 0.85:
        out = "//" + out
    if rng.random() < 0.05:
        out += "/"
    return out


def test_shortcuts_agree_with_the_general_answers() -> None:
    rng = random.Random(5)
    for _ in range(60000):
        a = _path(rng, True)
        b = a + "/" + _path(rng, False) if rng.random() < 0.6 else _path(rng, rng.random() < 0.5)
        assert relpath(a, b) == paths._relpath(a, b), (a, b)
        assert resolve(a) == _reference_resolve(a), a
        assert resolve(a, b) == _reference_resolve(a, b), (a, b)
        assert join_location(a, b) == _reference_resolve(a, b), (a, b)
        assert name_from_folder(a) == _reference_name(a), a
        assert name_from_folder(b) == _reference_name(b), b


def test_relpath_of_nothing_is_from_the_current_folder() -> None:
    assert relpath("", "") == ""
    assert relpath("", "/") == paths._relpath("", "/")
    assert relpath("/", "") == paths._relpath("/", "")


def test_cimap_positions_follow_iteration_order() -> None:
    kids: CIMap[str] = CIMap()
    for key in ["b", "a", "C", "d", "B", "c"]:
        kids.set(key, key.upper())
    kids.delete("d")
    positions = [kids.position(key, value) for key, value in kids.items()]
    assert list(kids) == ["a", "B", "c"]
    assert None not in positions
    assert positions == sorted(p for p in positions if p is not None)
    assert kids.position("a", "other") is None and kids.position("x", "X") is None
