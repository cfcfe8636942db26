"""Web-login sessions (secrets, expiry, one token per session) and the schema migration that adds the
second slice's tables to a database of the first (backfilling the index from stored packuments)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec
import pyotp
import pytest

from snpm.registry_server.api.access_log import redacted_path
from snpm.registry_server.app import Registry, build_registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.storage import schema
from support.registry import Clock, registry_settings, run_with

PASSWORD = "password-123"


async def _refused(coro: Any, status: int) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        await coro
    assert caught.value.status == status, caught.value.message
    return caught.value


def test_a_web_login_session(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        logins = registry.web_logins
        started = await logins.start(create=False)
        assert started.login_id != started.done_id
        # nothing stored is usable as either secret
        rows = await registry.storage.web_login(started.login_id)
        assert rows is None
        assert await logins.collect(started.done_id) is None  # pending: npm polls again
        session = await logins.session(started.login_id)
        assert not session.create and session.user is None
        await _refused(logins.session(started.done_id), 404)  # the poll secret opens no page
        await _refused(
            logins.complete(started.login_id, "alice", "wrong-pass", email=None, otp=None, client_ip=None),
            401,
        )
        user = await logins.complete(
            started.login_id, "alice", PASSWORD, email=None, otp=None, client_ip=None
        )
        assert user.name == "alice"
        await _refused(logins.session(started.login_id), 404)  # done: the page is gone
        issued = await logins.collect(started.done_id)
        assert issued is not None and issued.record.user == "alice" and issued.record.name == "web login"
        await _refused(logins.collect(started.done_id), 404)  # one token per session

    run_with(registry, scenario)


def test_web_login_secrets_stay_out_of_the_access_log() -> None:
    assert redacted_path("/-/v1/done/Zm9vYmFyYmF6cXV4") == "/-/v1/done/***"
    assert redacted_path("/-/v1/login/Zm9vYmFyYmF6cXV4") == "/-/v1/login/***"
    assert redacted_path("/-/v1/login") == "/-/v1/login"


def test_web_login_expiry_signup_and_two_factor(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        logins = registry.web_logins
        stale = await logins.start(create=False)
        clock.advance(seconds=logins.ttl + 1)
        await _refused(logins.session(stale.login_id), 404)
        await _refused(logins.collect(stale.done_id), 404)
        # `npm adduser` sessions sign up a new name (with an e-mail)
        signup = await logins.start(create=True)
        await logins.complete(
            signup.login_id, "newbie", PASSWORD, email="n@example.test", otp=None, client_ip=None
        )
        assert (await registry.accounts.get_user("newbie")) is not None
        # a login session never creates accounts
        login = await logins.start(create=False)
        await _refused(
            logins.complete(
                login.login_id, "ghost", PASSWORD, email="g@example.test", otp=None, client_ip=None
            ),
            400,
        )
        # an account with 2FA needs the code in the form
        user = await registry.accounts.get_user("newbie")
        assert user is not None
        two_factor = registry.accounts.two_factor
        url = await two_factor.begin(user, "auth-only")
        secret = url.split("secret=", 1)[1].split("&", 1)[0]
        user = await registry.accounts.get_user("newbie")
        assert user is not None
        await two_factor.confirm(user, pyotp.TOTP(secret).at(clock.moment), None)
        challenge = await _refused(
            logins.complete(login.login_id, "newbie", PASSWORD, email=None, otp=None, client_ip=None), 401
        )
        assert challenge.challenge == "OTP"
        code = pyotp.TOTP(secret).at(clock.moment)
        await logins.complete(login.login_id, "newbie", PASSWORD, email=None, otp=code, client_ip=None)
        assert (await logins.collect(login.done_id)) is not None

    run_with(registry, scenario)


_SCHEMA_1_PACKAGE = {
    "name": "old-pkg",
    "dist-tags": {"latest": "1.0.0"},
    "versions": {
        "1.0.0": {"name": "old-pkg", "version": "1.0.0", "description": "from before", "keywords": ["legacy"]}
    },
    "time": {"created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"},
    "maintainers": [{"name": "alice", "email": "alice@example.test"}],
    "users": {"bob": True},
}


def test_migration_from_schema_1_backfills_the_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "registry.db", isolation_level=None)
    conn.execute("BEGIN")
    first = schema._MIGRATIONS[0]
    assert isinstance(first, str)
    for statement in first.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO packages (name, rev, document) VALUES (?, ?, ?)",
        ("old-pkg", "1-abc", msgspec.json.encode(_SCHEMA_1_PACKAGE)),
    )
    conn.execute("COMMIT")
    conn.close()

    registry = build_registry(registry_settings(data), now=Clock())

    async def scenario() -> dict[str, Any]:
        found = await registry.search.search(None, {"text": "legacy"})
        assert [o["package"]["name"] for o in found["objects"]] == ["old-pkg"]
        assert await registry.storage.starred_by("bob") == [("old-pkg", "public")]
        assert await registry.storage.maintained_by("alice") == [("old-pkg", "public")]
        package = await registry.packages.require("old-pkg")
        assert package.access == "public" and package.rev == "1-abc"
        return found

    run_with(registry, scenario)
    with sqlite3.connect(data / "registry.db") as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
