"""Tarballs through FetchSource: the content cache by integrity, pacote's index entries, integrity
errors and retries, remote URLs with replace-registry-host, and local tarballs."""

from __future__ import annotations

from pathlib import Path

import pytest

from snpm.cache import content, index
from snpm.cache.http_cache import cache_key
from snpm.errors import SnpmError
from snpm.fetch.options import public_registry_host
from snpm.fetch.source import FetchSource
from snpm.fetch.tarballs import Tarball
from snpm.spec import parse_spec
from support.fetch_harness import Harness
from support.packages import make_tarball, publish, sri, tarball_path

WHERE = Path("/tmp/project")


def tarball(harness: Harness, spec: str, **kw: object) -> Tarball:
    options = kw.pop("options", None)
    settings = kw.pop("settings", {})
    return harness.run(
        lambda s: s.tarball(spec, where=WHERE, **kw),  # type: ignore[arg-type]
        options=options,  # type: ignore[arg-type]
        **settings,  # type: ignore[arg-type]
    )


def test_registry_tarball_is_cached_under_both_keys(harness: Harness) -> None:
    doc = publish(harness.registry, "pb", ["1.0.0"])
    got = tarball(harness, "pb@1.0.0")
    data = harness.registry.tarballs[tarball_path("pb", "1.0.0")]
    dist = doc["versions"]["1.0.0"]["dist"]
    assert (got.data, got.integrity, got.resolved, got.from_spec) == (
        data,
        sri(data),
        dist["tarball"],
        "pb@1.0.0",
    )
    entry = index.find(harness.cache, "pacote:tarball:pb@1.0.0")
    assert entry is not None and entry.integrity == sri(data) and entry.size == len(data)
    assert index.find(harness.cache, cache_key(dist["tarball"])) is not None
    request = harness.registry.requests_to(tarball_path("pb", "1.0.0"))[0]
    assert request.headers["pacote-req-type"] == "tarball"
    assert request.headers["pacote-pkg-id"] == f"registry:pb@{dist['tarball']}"
    assert request.headers["pacote-integrity"] == sri(data)


def test_known_integrity_reads_the_cache_without_any_request(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    first = tarball(harness, "pb@1.0.0")
    count = len(harness.registry.requests)
    # what reify asks for: name@<resolved URL> with the lockfile's integrity, fully offline
    again = tarball(
        harness,
        f"pb@{first.resolved}",
        integrity=first.integrity,
        settings={"offline": True},
    )
    assert again.data == first.data and again.from_cache
    assert len(harness.registry.requests) == count
    assert any(
        m.startswith(f"pb@{first.resolved} ") and m.endswith("(cache hit)") for _, _, m in harness.logs
    )


def test_registry_spec_after_manifest_uses_the_cache_by_integrity(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    tarball(harness, "pb@1.0.0")
    tarball(harness, "pb@1.0.0")  # packument revalidated, tarball read by integrity
    assert len(harness.registry.requests_to(tarball_path("pb", "1.0.0"))) == 1


def test_prefer_online_skips_the_content_cache(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    first = tarball(harness, "pb@1.0.0")
    tarball(harness, f"pb@{first.resolved}", integrity=first.integrity, settings={"prefer_online": True})
    assert len(harness.registry.requests_to(tarball_path("pb", "1.0.0"))) == 2


def test_corrupt_cached_content_is_refreshed(harness: Harness) -> None:
    publish(harness.registry, "pb", ["1.0.0"])
    first = tarball(harness, "pb@1.0.0")
    blob = content.content_path(harness.cache, first.integrity)
    blob.chmod(0o644)
    blob.write_bytes(b"garbage")
    again = tarball(harness, f"pb@{first.resolved}", integrity=first.integrity)
    assert again.data == first.data and not again.from_cache
    assert (
        f"cached data for pb@{first.resolved} ({first.integrity}) seems to be corrupted. Refreshing cache."
        in (harness.warnings())
    )
    assert content.read(harness.cache, first.integrity) == first.data


def test_a_tarball_that_does_not_match_is_retried_once_then_eintegrity(harness: Harness) -> None:
    doc = publish(harness.registry, "pb", ["1.0.0"])
    path = tarball_path("pb", "1.0.0")
    harness.registry.tarballs[path] = b"not what was published"
    with pytest.raises(SnpmError) as info:
        tarball(harness, "pb@1.0.0")
    wanted = doc["versions"]["1.0.0"]["dist"]["integrity"]
    assert info.value.code == "EINTEGRITY"
    assert info.value.message.startswith(
        f"{wanted} integrity checksum failed when using sha512: wanted {wanted}"
    )
    assert len(harness.registry.requests_to(path)) == 2
    assert f"tarball data for pb@1.0.0 ({wanted}) seems to be corrupted. Trying again." in harness.warnings()


def test_remote_tarball_manifest_and_cache(harness: Harness) -> None:
    data = make_tarball("loose", "3.0.0", {"bin": "cli.js"}, {"cli.js": b"#!/usr/bin/env node\n"})
    url = harness.registry.add_tarball("/files/loose.tgz", data)

    async def body(source: FetchSource) -> object:
        return await source.manifest(parse_spec(url), where=WHERE)

    got = harness.run(body)
    assert got.manifest["_integrity"] == sri(data) and got.integrity == sri(data)  # type: ignore[attr-defined]
    assert got.manifest["_resolved"] == url and got.manifest["_from"] == url  # type: ignore[attr-defined]
    assert got.manifest["bin"] == {"loose": "cli.js"}  # type: ignore[attr-defined]
    assert index.find(harness.cache, cache_key(url)) is not None
    assert not [k for k in index.ls(harness.cache) if k.startswith("pacote:tarball:")]
    headers = harness.registry.requests[0].headers
    assert headers["pacote-pkg-id"] == f"remote:{url}"


@pytest.mark.parametrize("setting", ["registry.example.test", "always", "npmjs"])
def test_replace_registry_host_moves_downloads_onto_the_registry(harness: Harness, setting: str) -> None:
    doc = publish(harness.registry, "pb", ["1.0.0"])
    host = public_registry_host() if setting == "npmjs" else "registry.example.test"
    foreign = f"https://{host}/pb/-/pb-1.0.0.tgz"
    doc["versions"]["1.0.0"]["dist"]["tarball"] = foreign
    harness.registry.add_packument("pb", doc)
    options = harness.options(replace_registry_host=setting)
    got = tarball(harness, "pb@1.0.0", options=options)
    assert got.resolved == foreign  # `_resolved` keeps the published URL
    assert len(harness.registry.requests_to(tarball_path("pb", "1.0.0"))) == 1


def test_replace_registry_host_never(harness: Harness) -> None:
    doc = publish(harness.registry, "pb", ["1.0.0"])
    doc["versions"]["1.0.0"]["dist"]["tarball"] = "http://127.0.0.1:9/pb/-/pb-1.0.0.tgz"
    harness.registry.add_packument("pb", doc)
    with pytest.raises(SnpmError) as info:
        tarball(
            harness,
            "pb@1.0.0",
            options=harness.options(replace_registry_host="never"),
            settings={"fetch_retries": 0},
        )
    assert info.value.code == "ECONNREFUSED"


def test_local_tarball(harness: Harness, tmp_path: Path) -> None:
    data = make_tarball("local", "1.0.0")
    (tmp_path / "pkgs").mkdir()
    (tmp_path / "pkgs" / "local-1.0.0.tgz").write_bytes(data)
    project = tmp_path / "project"

    async def body(source: FetchSource) -> object:
        return await source.manifest(parse_spec("file:../pkgs/local-1.0.0.tgz", str(project)), where=project)

    got = harness.run(body)
    assert got.manifest["_resolved"] == str(tmp_path / "pkgs" / "local-1.0.0.tgz")  # type: ignore[attr-defined]
    assert got.manifest["_from"] == "file:../pkgs/local-1.0.0.tgz"  # type: ignore[attr-defined]
    assert got.manifest["_integrity"] == sri(data)  # type: ignore[attr-defined]
    entry = index.find(harness.cache, "pacote:tarball:file:../pkgs/local-1.0.0.tgz")
    assert entry is not None and entry.integrity == sri(data)


def test_missing_local_tarball(harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(SnpmError) as info:
        tarball(harness, str(tmp_path / "missing.tgz"))
    assert info.value.code == "ENOENT"
    assert info.value.message == f"ENOENT: no such file or directory, open '{tmp_path / 'missing.tgz'}'"


def test_local_tarball_with_the_wrong_integrity(harness: Harness, tmp_path: Path) -> None:
    (tmp_path / "x.tgz").write_bytes(make_tarball("x", "1.0.0"))
    with pytest.raises(SnpmError) as info:
        tarball(harness, str(tmp_path / "x.tgz"), integrity=sri(b"other"))
    assert info.value.code == "EINTEGRITY"
