"""The storage guarantees, on both backends (SQLite and PostgreSQL; see conftest): atomic package updates,
crash safety at the commit point, concurrent writers (also through two storage objects, as two worker
processes have), persistence, no secrets at rest, and the uplink cache's records."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from snpm.integrity import verify
from snpm.registry_server.app import Registry, build_registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.records import CachedHead, CachedPackument, OrgRecord, TeamGrant, TeamRecord
from snpm.registry_server.storage.sqlite import SqliteStorage
from support.registry import Clock, publish_body, registry_settings, run_with

ALICE = Actor("alice", "alice@example.test")


class SimulatedCrash(BaseException):
    """Stands for the process dying at the commit point (not an Exception: nothing may catch it)."""


def _registry(tmp_path: Path) -> Registry:
    return build_registry(registry_settings(tmp_path / "data"), now=Clock())


def _crash_at_commit(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    async def crash_async(*_: object) -> None:
        raise SimulatedCrash

    def crash(*_: object) -> None:
        raise SimulatedCrash

    if isinstance(registry.storage, SqliteStorage):
        monkeypatch.setattr(registry.storage, "_commit", crash)
    else:
        monkeypatch.setattr(registry.storage, "_commit_point", crash_async)


def test_a_crash_at_the_commit_point_leaves_the_package_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = _registry(tmp_path)

    async def first() -> str:
        return (await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))).rev

    rev = run_with(registry, first)

    async def second() -> None:
        with pytest.raises(SimulatedCrash):
            await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))

    with monkeypatch.context() as patch:  # (the fixture's own patches, the backend's, stay)
        _crash_at_commit(registry, patch)
        run_with(registry, second)

    reopened = _registry(tmp_path)

    async def check() -> list[str]:
        package = await reopened.packages.get("demo")
        assert package is not None and package.rev == rev
        assert await reopened.packages.tarball("demo", "demo-1.1.0.tgz") is None
        # the version was never recorded as used: a retry succeeds
        again = await reopened.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))
        return sorted(again.document["versions"])

    assert run_with(reopened, check) == ["1.0.0", "1.1.0"]


def test_concurrent_publishes_of_one_package(tmp_path: Path) -> None:
    registry = _registry(tmp_path)

    async def scenario() -> tuple[list[str], list[Any]]:
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "0.0.1"))
        versions = [f"1.0.{i}" for i in range(6)]
        await asyncio.gather(
            *(
                registry.packages.publish(ALICE, "demo", publish_body("demo", v, tag=f"t{v}"))
                for v in versions
            )
        )
        same = [publish_body("demo", "2.0.0", manifest={"description": f"copy {i}"}) for i in range(4)]
        results = await asyncio.gather(
            *(registry.packages.publish(ALICE, "demo", body) for body in same), return_exceptions=True
        )
        package = await registry.packages.get("demo")
        assert package is not None
        record = await registry.packages.tarball("demo", "demo-2.0.0.tgz")
        assert record is not None and record.path is not None
        verify(record.path.read_bytes(), package.document["versions"]["2.0.0"]["dist"]["integrity"])
        return sorted(package.document["versions"]), results

    versions, results = run_with(registry, scenario)
    assert versions == ["0.0.1"] + [f"1.0.{i}" for i in range(6)] + ["2.0.0"]
    failures = [r for r in results if isinstance(r, RegistryError)]
    assert len(failures) == 3 and all(f.status == 403 for f in failures)


def test_two_storage_objects_on_one_store_serialise_their_writes(tmp_path: Path) -> None:
    settings = registry_settings(tmp_path / "data")
    first, second = build_registry(settings, now=Clock()), build_registry(settings, now=Clock())

    async def scenario() -> list[str]:
        await first.storage.open()
        await second.storage.open()
        try:
            await asyncio.gather(
                *(
                    (first if i % 2 else second).packages.publish(
                        ALICE, "demo", publish_body("demo", f"1.{i}.0")
                    )
                    for i in range(6)
                )
            )
            package = await second.packages.get("demo")
            assert package is not None
            return sorted(package.document["versions"])
        finally:
            await first.storage.close()
            await second.storage.close()

    assert asyncio.run(scenario()) == [f"1.{i}.0" for i in range(6)]


def test_accounts_orgs_and_advisories_persist(tmp_path: Path) -> None:
    registry = _registry(tmp_path)

    async def write() -> str:
        result = await registry.accounts.login("alice", "correct horse battery", "a@example.test", None)
        await registry.accounts.login("bob", "correct horse battery", "b@example.test", None)
        storage = registry.storage
        assert await storage.create_org(OrgRecord("acme", "2024-01-01T00:00:00.000Z"), "alice")
        assert not await storage.create_org(OrgRecord("bob", "2024-01-01T00:00:00.000Z"), "alice")
        assert await storage.set_org_member("acme", "bob", "developer", "2024-01-01T00:00:00.000Z")
        assert await storage.create_team(TeamRecord("acme", "core", "", "2024-01-01T00:00:00.000Z"))
        assert await storage.add_team_member("acme", "core", "bob")
        await registry.packages.publish(ALICE, "@acme/lib", publish_body("@acme/lib", "1.0.0"))
        await storage.grant_team(TeamGrant("acme", "core", "@acme/lib", "read-only"))
        await registry.advisories.add("@acme/lib", "<2.0.0", severity="high", title="bad")
        await registry.advisories.add("other", "*", severity="low", title="meh")
        return result.token.token

    token = run_with(registry, write)
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("registry.db*") if p.is_file())
    assert token.encode() not in raw and b"correct horse battery" not in raw
    reopened = _registry(tmp_path)

    async def read() -> None:
        storage = reopened.storage
        assert (await reopened.accounts.actor_for_token(token, None)).name == "alice"
        assert await storage.org_members("acme") == {"alice": "owner", "bob": "developer"}
        assert await storage.team_members("acme", "developers") == ["alice", "bob"]
        assert await storage.team_grants_of("bob") == {"@acme/lib": "read-write"}  # developers' grant wins
        assert await storage.scope_packages("acme") == [("@acme/lib", "public")]
        assert await storage.maintained_by("alice") == [("@acme/lib", "public")]
        grants = await storage.grants("bob", "@acme/lib")
        assert (grants.scope_owner, grants.org_role, grants.team_permission) == (
            "org",
            "developer",
            "read-write",
        )
        assert [a.id for a in await storage.list_advisories()] == [1, 2]
        assert [a.name for a in await storage.advisories_for(["@acme/lib", "nope"])] == ["@acme/lib"]
        assert [e.name for e in await storage.search(["lib"], None)] == ["@acme/lib"]
        assert [e.name for e in await storage.search([], "acme")] == ["@acme/lib"]
        assert (await storage.list_tokens("alice")).total == 1
        assert await storage.remove_org("acme")
        assert await storage.team_grants_of("bob") == {}

    run_with(reopened, read)


def test_the_uplink_cache_records(tmp_path: Path) -> None:
    registry = _registry(tmp_path)

    async def scenario() -> None:
        storage = registry.storage
        assert await storage.cached_heads("demo") == []
        entry = CachedPackument(
            CachedHead("demo", "corgi", "u-1", '"e1"', 100.0),
            {"name": "demo", "versions": {"1.0.0": {"dist": {"tarball": "demo/-/demo-1.0.0.tgz"}}}},
            {"demo-1.0.0.tgz": "http://127.0.0.1:9/demo/-/demo-1.0.0.tgz"},
        )
        await storage.store_cached(entry)
        await storage.store_cached(
            CachedPackument(CachedHead("demo", "full", "u-2", None, 50.0), {"name": "demo"})
        )
        assert await storage.read_cached("demo", "corgi") == entry
        await storage.touch_cached("demo", "corgi", 200.0, None)
        heads = {h.form: h for h in await storage.cached_heads("demo")}
        assert heads["corgi"] == CachedHead("demo", "corgi", "u-1", '"e1"', 200.0)
        await storage.store_cached(CachedPackument(CachedHead("demo", "corgi", "u-3", '"e3"', 300.0), {}))
        assert (await storage.read_cached("demo", "corgi")).head.rev == "u-3"  # type: ignore[union-attr]
        record = await storage.store_cached_tarball(
            "demo", "demo-1.0.0.tgz", "1.0.0", b"bytes", "sha512-x", "ab"
        )
        assert record.path is not None and record.path.read_bytes() == b"bytes"
        assert "uplink" in record.path.parts
        # a second worker storing the same file is harmless
        await storage.store_cached_tarball("demo", "demo-1.0.0.tgz", "1.0.0", b"bytes", "sha512-x", "ab")
        assert await storage.cached_tarball("demo", "demo-1.0.0.tgz") == record
        await storage.forget_cached("demo")
        assert await storage.cached_heads("demo") == []
        assert await storage.cached_tarball("demo", "demo-1.0.0.tgz") == record  # tarballs stay

    run_with(registry, scenario)
