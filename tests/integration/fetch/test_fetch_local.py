"""Folders and local tarballs through FetchSource: manifests, errors, packing and the prepare hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snpm.cache import index
from snpm.errors import SnpmError
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.context import PrepareKind
from snpm.fetch.source import FetchSource
from snpm.json_types import JsonObject
from snpm.spec import parse_spec
from snpm.tarball import iter_entries
from support.fetch_harness import Harness
from support.packages import make_tarball


def _folder(root: Path, manifest: dict[str, object]) -> Path:
    root.mkdir(parents=True)
    (root / "package.json").write_text(json.dumps(manifest))
    (root / "index.js").write_text("module.exports = 1\n")
    return root


def _manifest(harness: Harness, spec: str, where: Path) -> ResolvedManifest:
    return harness.run(lambda s: s.manifest(parse_spec(spec, str(where)), where=where))


def test_folder_manifest_like_pacote(harness: Harness, tmp_path: Path) -> None:
    _folder(
        tmp_path / "dir1", {"name": "dir1", "version": "1.0.0", "bin": "cli.js", "scripts": {"test": "x"}}
    )
    got = _manifest(harness, "file:dir1", tmp_path)
    assert got.manifest == {
        "name": "dir1",
        "version": "1.0.0",
        "bin": {"dir1": "cli.js"},
        "scripts": {"test": "x"},
        "_id": "dir1@1.0.0",
        "_integrity": None,
        "_resolved": str(tmp_path / "dir1"),
        "_from": "file:dir1",
    }
    assert (got.resolved, got.integrity, got.from_spec) == (str(tmp_path / "dir1"), None, "file:dir1")
    assert _manifest(harness, "x@./dir1", tmp_path).from_spec == "file:dir1"


def test_missing_folder(harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(SnpmError) as info:
        _manifest(harness, "./nope", tmp_path)
    assert info.value.code == "ENOENT"
    assert info.value.message == (
        f"Could not read package.json: Error: ENOENT: no such file or directory, open '{tmp_path}/nope/package.json'"
    )


def test_tarball_without_package_json_or_not_a_tarball(harness: Harness, tmp_path: Path) -> None:
    (tmp_path / "bad.tgz").write_bytes(b"not a tarball\n")
    with pytest.raises(SnpmError) as info:
        _manifest(harness, "./bad.tgz", tmp_path)
    assert (info.value.code, info.value.message) == (
        "TAR_BAD_ARCHIVE",
        "TAR_BAD_ARCHIVE: Unrecognized archive format",
    )
    from snpm.tarball import PackFile, pack

    (tmp_path / "empty.tgz").write_bytes(pack([PackFile("index.js", b"x")]))
    with pytest.raises(SnpmError) as info:
        _manifest(harness, "./empty.tgz", tmp_path)
    assert info.value.code == "ENOENT" and "package.json" in info.value.message


def test_local_tarball_with_directories_bin(harness: Harness, tmp_path: Path) -> None:
    data = make_tarball(
        "dirbin",
        "1.0.0",
        {"directories": {"bin": "./bin"}},
        {"bin/a.js": b"a", "bin/sub/b.js": b"b", "bin/.hidden": b"h", "index.js": b"i"},
    )
    (tmp_path / "dirbin.tgz").write_bytes(data)
    got = _manifest(harness, "./dirbin.tgz", tmp_path)
    assert list(got.manifest["bin"].items()) == [  # type: ignore[union-attr]
        ("sub", "bin/sub"),
        ("a.js", "bin/a.js"),
        ("b.js", "bin/sub/b.js"),
    ]


def test_folder_tarball_runs_the_prepare_hook_then_packs(harness: Harness, tmp_path: Path) -> None:
    folder = _folder(
        tmp_path / "prep", {"name": "prep", "version": "1.0.0", "scripts": {"prepare": "node build.js"}}
    )
    calls: list[tuple[Path, str, PrepareKind]] = []

    async def prepare(path: Path, manifest: JsonObject, *, kind: PrepareKind) -> None:
        calls.append((path, str(manifest["name"]), kind))
        (path / "built.js").write_text("// built\n")

    async def body(source: FetchSource) -> bytes:
        await source.manifest(parse_spec("file:prep", str(tmp_path)), where=tmp_path)
        assert not calls  # reading the manifest runs nothing
        return (await source.tarball("file:prep", where=tmp_path)).data

    data = harness.run(body, prepare=prepare)
    assert calls == [(folder, "prep", "directory")]
    assert sorted(e.path for e in iter_entries(data)) == ["built.js", "index.js", "package.json"]
    entry = index.find(harness.cache, "pacote:tarball:file:prep")
    assert entry is not None


def test_folder_without_a_hook_is_packed_as_is(harness: Harness, tmp_path: Path) -> None:
    _folder(tmp_path / "prep", {"name": "prep", "version": "1.0.0", "scripts": {"prepare": "exit 1"}})
    data = harness.run(lambda s: s.tarball("file:prep", where=tmp_path)).data
    assert sorted(e.path for e in iter_entries(data)) == ["index.js", "package.json"]
