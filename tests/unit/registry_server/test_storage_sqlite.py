"""The SQLite + files backend: atomic package updates, crash safety, concurrency, persistence."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from snpm.registry_server.app import Registry, build_registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.base import PackageChange, PackageState, next_revision
from snpm.registry_server.storage.sqlite import SqliteStorage
from support.registry import Clock, publish_body, registry_settings, run_with

ALICE = Actor("alice", "alice@example.test")


class SimulatedCrash(BaseException):
    """Stands for the process dying at the commit point (not an Exception: nothing may catch it)."""


def _tarball_files(data: Path) -> list[str]:
    root = data / "tarballs"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tgz") if ".staging" not in p.parts)


def test_a_crash_between_tarball_write_and_commit_leaves_the_package_as_it_was(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = registry.storage
    assert isinstance(storage, SqliteStorage)

    async def first() -> str:
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        return package.rev

    rev = run_with(registry, first)

    def crash(conn: sqlite3.Connection) -> None:
        raise SimulatedCrash

    monkeypatch.setattr(storage, "_commit", crash)

    async def second() -> None:
        with pytest.raises(SimulatedCrash):
            await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))

    run_with(registry, second)
    monkeypatch.undo()
    # the tarball file did reach its final name before the (failed) commit ...
    assert "demo/demo-1.1.0.tgz" in _tarball_files(tmp_path / "data")

    # ... but nothing of it is visible, to this process or to a fresh one on the same folder
    for view in (registry, build_registry(registry_settings(tmp_path / "data"), now=Clock())):

        async def check(view: Registry = view) -> None:
            package = await view.packages.get("demo")
            assert package is not None and package.rev == rev
            assert list(package.document["versions"]) == ["1.0.0"]
            assert await view.packages.tarball("demo", "demo-1.1.0.tgz") is None
            assert await view.packages.tarball("demo", "demo-1.0.0.tgz") is not None

        run_with(view, check)

    # the version was never recorded as used, so a retry after the crash succeeds
    async def retry() -> list[str]:
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))
        record = await registry.packages.tarball("demo", "demo-1.1.0.tgz")
        assert record is not None and record.path is not None and record.path.read_bytes()
        return sorted(package.document["versions"])

    assert run_with(registry, retry) == ["1.0.0", "1.1.0"]


def test_a_failing_transform_changes_nothing(registry: Registry) -> None:
    async def scenario() -> None:
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        before = await registry.packages.get("demo")

        def boom(state: PackageState) -> PackageChange:
            raise RegistryError(400, "no")

        with pytest.raises(RegistryError):
            await registry.storage.update_package("demo", boom)
        assert await registry.packages.get("demo") == before

    run_with(registry, scenario)


def test_staged_files_are_removed_after_a_refused_publish(registry: Registry, tmp_path: Path) -> None:
    async def scenario() -> None:
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        with pytest.raises(RegistryError):
            await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))

    run_with(registry, scenario)
    assert list((tmp_path / "data" / "tarballs" / ".staging").iterdir()) == []


def test_concurrent_publishes_of_different_versions_all_land(registry: Registry) -> None:
    async def scenario() -> list[str]:
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "0.0.1"))
        versions = [f"1.0.{i}" for i in range(8)]
        await asyncio.gather(
            *(
                registry.packages.publish(ALICE, "demo", publish_body("demo", v, tag=f"t{v}"))
                for v in versions
            )
        )
        package = await registry.packages.get("demo")
        assert package is not None
        assert all([await registry.packages.tarball("demo", f"demo-{v}.tgz") for v in versions])
        return sorted(package.document["versions"])

    assert run_with(registry, scenario) == ["0.0.1"] + [f"1.0.{i}" for i in range(8)]


def test_concurrent_publishes_of_the_same_version_exactly_one_wins(registry: Registry) -> None:
    async def scenario() -> list[Any]:
        bodies = [publish_body("demo", "1.0.0", manifest={"description": f"copy {i}"}) for i in range(5)]
        return await asyncio.gather(
            *(registry.packages.publish(ALICE, "demo", body) for body in bodies), return_exceptions=True
        )

    results = run_with(registry, scenario)
    failures = [r for r in results if isinstance(r, RegistryError)]
    assert len(failures) == 4 and all(f.status == 403 for f in failures)

    async def check() -> None:
        package = await registry.packages.get("demo")
        assert package is not None
        record = await registry.packages.tarball("demo", "demo-1.0.0.tgz")
        assert record is not None and record.path is not None
        # the stored file is the winner's tarball, byte for byte
        from snpm.integrity import verify

        verify(record.path.read_bytes(), package.document["versions"]["1.0.0"]["dist"]["integrity"])

    run_with(registry, check)


def test_two_storage_objects_on_one_folder_serialise_their_writes(tmp_path: Path) -> None:
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
            package = await first.packages.get("demo")
            assert package is not None
            return sorted(package.document["versions"])
        finally:
            await first.storage.close()
            await second.storage.close()

    assert run_with_loop(scenario) == [f"1.{i}.0" for i in range(6)]


def run_with_loop(body: Any) -> Any:
    return asyncio.run(body())


def test_everything_survives_a_reopen(tmp_path: Path) -> None:
    settings = registry_settings(tmp_path / "data")
    registry = build_registry(settings, now=Clock())

    async def write() -> str:
        token = (await registry.accounts.login("alice", "password-123", "a@example.test", None)).token.token
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        return token

    token = run_with(registry, write)
    reopened = build_registry(settings, now=Clock())

    async def read() -> None:
        assert (await reopened.accounts.actor_for_token(token, None)).name == "alice"
        assert await reopened.packages.tarball("demo", "demo-1.0.0.tgz") is not None
        package = await reopened.packages.get("demo")
        assert package is not None and package.document["dist-tags"] == {"latest": "1.0.0"}

    run_with(reopened, read)


def test_revisions_count_updates_and_name_the_content() -> None:
    first = next_revision(None, b"{}")
    assert first.startswith("1-")
    assert next_revision(first, b"{}").startswith("2-")
    assert next_revision(first, b"{}") != next_revision(first, b"[]")


def test_the_database_never_holds_a_token_or_a_password(registry: Registry, tmp_path: Path) -> None:
    async def scenario() -> str:
        result = await registry.accounts.login("alice", "correct horse battery", "a@example.test", None)
        return result.token.token

    token = run_with(registry, scenario)
    raw = (tmp_path / "data" / "registry.db").read_bytes()
    for wal in (tmp_path / "data").glob("registry.db-wal"):
        raw += wal.read_bytes()
    assert token.encode() not in raw
    assert b"correct horse battery" not in raw
