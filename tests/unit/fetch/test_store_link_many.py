"""snpm.fetch.store.materialize_many: packages linked from the store in one call, in order."""

from __future__ import annotations

import os
from pathlib import Path

from snpm.cache import store as cache_store
from snpm.fetch.store import materialize_many


def _stored(cache: Path, name: str) -> str:
    integrity = f"sha512-{name}" + "A" * 60 + "=="
    cache_store.add_package(
        cache,
        integrity,
        [("package.json", 0o644, f'{{"name":"{name}"}}'.encode()), ("lib/i.js", 0o644, b"x")],
    )
    return integrity


def test_links_in_order_and_skips_what_an_unlinked_package_encloses(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    nm = tmp_path / "node_modules"
    a, b = _stored(cache, "a"), _stored(cache, "b")
    missing = "sha512-" + "Z" * 86 + "=="
    packages = [
        (a, f"{nm}/a"),
        (b, f"{nm}/a/node_modules/b"),  # inside a, which is linked first
        (missing, f"{nm}/m"),  # not stored
        (b, f"{nm}/m/node_modules/b"),  # stored, but inside m: m's extraction would empty it
        None,  # not to be linked from the store
        (b, f"{nm}/c"),
    ]
    linked = materialize_many(cache, packages, [-1, 0, -1, 2, -1, -1], lambda: False)
    assert linked == [True, True, False, False, False, True]
    assert (nm / "a/node_modules/b/lib/i.js").read_bytes() == b"x"
    assert (nm / "c/package.json").read_text() == '{"name":"b"}'
    assert not (nm / "m").exists()
    # hard links to the stored file, not copies
    assert os.stat(nm / "c/lib/i.js").st_ino == os.stat(nm / "a/node_modules/b/lib/i.js").st_ino


def test_a_failure_is_left_to_the_caller(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    a = _stored(cache, "a")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    linked = materialize_many(cache, [(a, f"{blocker}/a"), (a, f"{tmp_path}/ok")], [-1, -1], lambda: False)
    assert linked == [False, True]


def test_stop_leaves_the_rest(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    a = _stored(cache, "a")
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    linked = materialize_many(cache, [(a, f"{tmp_path}/one"), (a, f"{tmp_path}/two")], [-1, -1], stop)
    assert linked == [True, False]
    assert not (tmp_path / "two").exists()
