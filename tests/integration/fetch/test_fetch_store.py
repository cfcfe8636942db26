"""FetchSource.extract: packages appear in folders from snpm's store, fetched and parsed only once."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from snpm.cache import store
from snpm.fetch.source import ExtractResult, FetchSource
from snpm.spec import parse_spec
from support.fetch_harness import Harness
from support.packages import publish, sri, tarball_path

FILES = {
    "index.js": b"module.exports = 1\n",
    "bin/cli.js": b"#!/usr/bin/env node\n",
    "lib/run.sh": b"echo hi\n",
    ".gitignore": b"node_modules\n",
}


def _publish_tool(harness: Harness) -> dict[str, object]:
    return publish(
        harness.registry,
        "tool",
        ["1.0.0"],
        manifest={"bin": {"tool": "./bin/cli.js"}},
        files=FILES,
        modes={"lib/run.sh": 0o755},
    )


def _tree(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_mode & 0o777 for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_extract_links_from_the_store_and_the_second_time_needs_no_request(harness: Harness) -> None:
    doc = _publish_tool(harness)
    dist = doc["versions"]["1.0.0"]["dist"]  # type: ignore[index]
    first_dest, second_dest = harness.root / "a" / "tool", harness.root / "b" / "tool"

    async def body(source: FetchSource) -> tuple[ExtractResult, ExtractResult]:
        first = await source.extract("tool@1.0.0", first_dest)
        second = await source.extract(f"tool@{dist['tarball']}", second_dest, integrity=dist["integrity"])
        return first, second

    first, second = harness.run(body)
    assert not first.from_store and second.from_store
    assert first.integrity == second.integrity == dist["integrity"]
    assert len(harness.registry.requests_to(tarball_path("tool", "1.0.0"))) == 1
    assert _tree(first_dest) == {
        ".npmignore": 0o644,  # pacote renames a shipped .gitignore
        "bin/cli.js": 0o755,  # a bin is made executable
        "index.js": 0o644,
        "lib/run.sh": 0o755,
        "package.json": 0o644,
    }
    # a tarball URL is extracted without the manifest (as arborist's reify does): the bin keeps
    # the tarball's mode, and the registry spec's executable bin is a copy of its own
    assert _tree(second_dest) == {**_tree(first_dest), "bin/cli.js": 0o644}
    for rel in _tree(first_dest):
        a, b = os.stat(first_dest / rel), os.stat(second_dest / rel)
        if rel == "bin/cli.js":
            assert a.st_ino != b.st_ino and a.st_nlink == 1
        else:
            assert a.st_ino == b.st_ino and a.st_nlink >= 3  # both folders and the store share the inode


def test_a_new_run_with_the_lockfile_integrity_makes_no_request(harness: Harness) -> None:
    doc = _publish_tool(harness)
    dist = doc["versions"]["1.0.0"]["dist"]  # type: ignore[index]
    harness.run(lambda s: s.extract("tool@1.0.0", harness.root / "one"))
    count = len(harness.registry.requests)
    harness.registry.stop_thread()  # nothing may be asked of the network now
    result = harness.run(
        lambda s: s.extract(f"tool@{dist['tarball']}", harness.root / "two", integrity=dist["integrity"]),
        offline=True,
    )
    assert result.from_store and len(harness.registry.requests) == count
    assert (harness.root / "two" / "bin" / "cli.js").read_bytes() == FILES["bin/cli.js"]


def test_content_cache_hit_fills_the_store(harness: Harness) -> None:
    doc = _publish_tool(harness)
    dist = doc["versions"]["1.0.0"]["dist"]  # type: ignore[index]
    harness.run(lambda s: s.tarball("tool@1.0.0"))  # `cache add`: cacache only, no store
    assert not store.has_package(harness.cache, dist["integrity"])
    requests = len(harness.registry.requests)
    result = harness.run(
        lambda s: s.extract(f"tool@{dist['tarball']}", harness.root / "x", integrity=dist["integrity"])
    )
    assert not result.from_store and len(harness.registry.requests) == requests
    assert store.has_package(harness.cache, dist["integrity"])


def test_concurrent_extractions_of_one_package_fetch_it_once(harness: Harness) -> None:
    doc = _publish_tool(harness)
    dist = doc["versions"]["1.0.0"]["dist"]  # type: ignore[index]
    harness.registry.delay = 0.05

    async def body(source: FetchSource) -> list[ExtractResult]:
        # a first answer teaches the client this registry's pace (50 ms is not late for it)
        await source.manifest(parse_spec("tool", str(harness.root)), where=harness.root)
        return await asyncio.gather(
            *(
                source.extract(f"tool@{dist['tarball']}", harness.root / f"n{i}", integrity=dist["integrity"])
                for i in range(6)
            )
        )

    results = harness.run(body)
    assert len(harness.registry.requests_to(tarball_path("tool", "1.0.0"))) == 1
    assert all((harness.root / f"n{i}" / "index.js").exists() for i in range(6))
    assert {r.integrity for r in results} == {dist["integrity"]}


def test_extract_empties_the_destination_first(harness: Harness) -> None:
    _publish_tool(harness)
    dest = harness.root / "dest"
    (dest / "old").mkdir(parents=True)
    (dest / "old" / "stale.js").write_text("x")
    (dest / "stale.txt").write_text("x")
    harness.run(lambda s: s.extract("tool@1.0.0", dest))
    assert sorted(_tree(dest)) == [".npmignore", "bin/cli.js", "index.js", "lib/run.sh", "package.json"]


def test_a_store_file_gone_missing_is_fetched_again(harness: Harness) -> None:
    doc = _publish_tool(harness)
    dist = doc["versions"]["1.0.0"]["dist"]  # type: ignore[index]
    harness.run(lambda s: s.extract("tool@1.0.0", harness.root / "one"))
    stored = store.read_package(harness.cache, dist["integrity"])
    assert stored is not None
    digest = stored.files["index.js"].hash
    victim = store.store_dir(harness.cache) / "files" / digest[:2] / digest[2:]
    (harness.root / "one" / "index.js").unlink()
    victim.unlink()
    result = harness.run(
        lambda s: s.extract(f"tool@{dist['tarball']}", harness.root / "two", integrity=dist["integrity"])
    )
    assert not result.from_store and (harness.root / "two" / "index.js").read_bytes() == FILES["index.js"]


def test_without_a_cache_folder_files_are_written(harness: Harness) -> None:
    _publish_tool(harness)
    result = harness.run(lambda s: s.extract("tool@1.0.0", harness.root / "plain"), cache=False)
    assert _tree(harness.root / "plain")["bin/cli.js"] == 0o755 and not result.from_store


def test_local_tarball_and_folder_extract(harness: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    (folder / "lib").mkdir(parents=True)
    (folder / "package.json").write_text('{"name": "src", "version": "1.0.0", "bin": "lib/x.js"}')
    (folder / "lib" / "x.js").write_text("#!/usr/bin/env node\n")
    (folder / "README.md").write_text("# src\n")
    result = harness.run(lambda s: s.extract(f"file:{folder}", tmp_path / "out", where=tmp_path))
    assert _tree(tmp_path / "out") == {"README.md": 0o644, "lib/x.js": 0o755, "package.json": 0o644}
    assert result.resolved == str(folder) and result.integrity is not None
    assert result.integrity.startswith("sha512-")
    again = harness.run(
        lambda s: s.extract(f"file:{folder}", tmp_path / "out2", where=tmp_path, integrity=result.integrity)
    )
    assert again.from_store
    assert sri((tmp_path / "out" / "lib" / "x.js").read_bytes()) == sri(b"#!/usr/bin/env node\n")
