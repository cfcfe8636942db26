"""Two-factor authentication (TOTP enrolment, codes, recovery codes) and profile changes, with a
settable clock so TOTP steps are deterministic."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from snpm.registry_server.app import Registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.services.two_factor import Need
from support.registry import Clock, run_with

PASSWORD = "password-123"


async def _refused(coro: Any, status: int) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        await coro
    assert caught.value.status == status, caught.value.message
    return caught.value


async def _actor(registry: Registry, name: str = "alice") -> Actor:
    user = await registry.accounts.get_user(name)
    assert user is not None
    return Actor(user.name, user.email, token_key="k", tfa_mode=user.tfa_mode)


async def _enable(registry: Registry, clock: Clock, mode: str = "auth-and-writes") -> tuple[str, list[str]]:
    """Enrol alice as npm's `profile enable-2fa` does; returns the secret and recovery codes."""
    actor = await _actor(registry)
    started = await registry.profiles.update(actor, {"tfa": {"mode": mode, "password": PASSWORD}}, None, None)
    url = started["tfa"]
    assert isinstance(url, str) and url.startswith("otpauth://totp/")
    secret = parse_qs(urlsplit(url).query)["secret"][0]
    assert started["name"] == "alice"
    pending = await registry.profiles.get(actor)
    assert pending["tfa"] == {"mode": mode, "pending": True}
    code = pyotp.TOTP(secret).at(clock.moment)
    confirmed = await registry.profiles.update(actor, {"tfa": [code]}, None, None)
    recovery = confirmed["tfa"]
    assert isinstance(recovery, list) and len(recovery) == 5
    assert all(isinstance(c, str) and len(c) == 64 for c in recovery)
    return secret, [str(c) for c in recovery]


def test_enrolment_then_login_needs_a_code(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        secret, _ = await _enable(registry, clock)
        actor = await _actor(registry)
        assert actor.tfa_mode == "auth-and-writes"
        assert (await registry.profiles.get(actor))["tfa"] == {"mode": "auth-and-writes", "pending": False}
        accounts = registry.accounts
        challenge = await _refused(accounts.login("alice", PASSWORD, None, None), 401)
        assert challenge.challenge == "OTP" and "one-time pass" in challenge.message
        wrong = await _refused(accounts.login("alice", PASSWORD, None, None, otp="000000"), 401)
        assert wrong.challenge == "OTP"
        totp = pyotp.TOTP(secret)
        # the code of the current step, or one step either side
        clock.advance(seconds=30)
        result = await accounts.login(
            "alice", PASSWORD, None, None, otp=totp.at(clock.moment, counter_offset=-1)
        )
        assert result.user.name == "alice"
        # the same step may be used again (npm sends one code with every request of a command) ...
        await accounts.login("alice", PASSWORD, None, None, otp=totp.at(clock.moment, counter_offset=-1))
        await accounts.login("alice", PASSWORD, None, None, otp=totp.at(clock.moment))
        # ... but once a newer step was accepted, older ones are refused
        await _refused(
            accounts.login("alice", PASSWORD, None, None, otp=totp.at(clock.moment, counter_offset=-1)), 401
        )
        clock.advance(seconds=120)
        await _refused(
            accounts.login("alice", PASSWORD, None, None, otp=totp.at(clock.moment, counter_offset=-3)), 401
        )

    run_with(registry, scenario)


def test_recovery_codes_work_once(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        _, recovery = await _enable(registry, clock)
        accounts = registry.accounts
        await accounts.login("alice", PASSWORD, None, None, otp=recovery[0].upper())
        await _refused(accounts.login("alice", PASSWORD, None, None, otp=recovery[0]), 401)
        await accounts.login("alice", PASSWORD, None, None, otp=recovery[1])
        # disabling drops the rest
        actor = await _actor(registry)
        await registry.profiles.update(
            actor, {"tfa": {"mode": "disable", "password": PASSWORD}}, recovery[2], None
        )
        assert (await registry.profiles.get(actor))["tfa"] is None
        assert (await accounts.login("alice", PASSWORD, None, None)).user.name == "alice"

    run_with(registry, scenario)


def test_which_requests_need_a_code(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        secret, _ = await _enable(registry, clock, mode="auth-only")
        two_factor = registry.accounts.two_factor
        actor = await _actor(registry)
        code = pyotp.TOTP(secret).at(clock.moment)
        # auth-only: logins (and token creation, password and 2FA changes), not writes
        await two_factor.require(actor, None, Need.WRITE, None)
        await _refused(two_factor.require(actor, None, Need.LOGIN, None), 401)
        await two_factor.require(actor, code, Need.LOGIN, None)
        # switching the mode needs the password and a code
        await _refused(
            registry.profiles.update(
                actor, {"tfa": {"mode": "auth-and-writes", "password": PASSWORD}}, None, None
            ),
            401,
        )
        changed = await registry.profiles.update(
            actor, {"tfa": {"mode": "auth-and-writes", "password": PASSWORD}}, code, None
        )
        assert changed["tfa"] == {"mode": "auth-and-writes", "pending": False}
        actor = await _actor(registry)
        await _refused(two_factor.require(actor, None, Need.WRITE, None), 401)
        await two_factor.require(actor, code, Need.WRITE, None)
        # a --bypass-2fa token skips the write check, never the login check
        bypass = Actor(
            "alice", "alice@example.test", token_key="k", tfa_mode="auth-and-writes", bypass_2fa=True
        )
        await two_factor.require(bypass, None, Need.WRITE, None)
        await _refused(two_factor.require(bypass, None, Need.LOGIN, None), 401)
        # nobody without 2FA is ever asked
        await two_factor.require(Actor("bob", "b@example.test"), None, Need.LOGIN, None)
        await two_factor.require(None, None, Need.LOGIN, None)

    run_with(registry, scenario)


def test_enrolment_errors_and_restarts(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        actor = await _actor(registry)
        profiles = registry.profiles
        await _refused(
            profiles.update(actor, {"tfa": {"mode": "auth-only", "password": "wrong-pass"}}, None, None), 401
        )
        await _refused(
            profiles.update(actor, {"tfa": {"mode": "sometimes", "password": PASSWORD}}, None, None), 400
        )
        await _refused(profiles.update(actor, {"tfa": ["123456"]}, None, None), 400)  # nothing pending
        first = await profiles.update(actor, {"tfa": {"mode": "auth-only", "password": PASSWORD}}, None, None)
        # npm resets a pending enrolment with `disable` (no code needed: it is not enabled yet)
        await profiles.update(actor, {"tfa": {"mode": "disable", "password": PASSWORD}}, None, None)
        second = await profiles.update(
            actor, {"tfa": {"mode": "auth-only", "password": PASSWORD}}, None, None
        )
        assert first["tfa"] != second["tfa"]
        old_secret = parse_qs(urlsplit(str(first["tfa"])).query)["secret"][0]
        await _refused(
            profiles.update(actor, {"tfa": [pyotp.TOTP(old_secret).at(clock.moment)]}, None, None), 400
        )
        await _refused(profiles.update(actor, {"tfa": "123456"}, None, None), 400)
        # a pending enrolment does not protect the account yet
        assert (await registry.accounts.login("alice", PASSWORD, None, None)).user.name == "alice"

    run_with(registry, scenario)


def test_profile_fields_and_password(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        actor = await _actor(registry)
        profiles = registry.profiles
        profile = await profiles.get(actor)
        assert profile["email_verified"] is False and profile["tfa"] is None
        assert set(profile) >= {
            "name",
            "email",
            "fullname",
            "homepage",
            "freenode",
            "twitter",
            "github",
            "created",
        }
        # npm sends every writable key back, '' as null
        body = {
            "email": "alice@example.test",
            "fullname": "Alice Liddell",
            "homepage": "https://alice.example",
            "freenode": None,
            "twitter": "alice",
            "github": None,
        }
        clock.advance(minutes=1)
        changed = await profiles.update(actor, body, None, None)
        assert changed["fullname"] == "Alice Liddell" and changed["twitter"] == "alice"
        assert changed["updated"] == "2024-05-01T12:01:00.000Z"
        await _refused(profiles.update(actor, {"email": "not-an-email"}, None, None), 400)
        await _refused(profiles.update(actor, {"email": None}, None, None), 400)
        await _refused(profiles.update(actor, {"homepage": "javascript:alert(1)"}, None, None), 400)
        await _refused(profiles.update(actor, {"fullname": "x" * 300}, None, None), 400)
        await _refused(profiles.update(actor, {"fullname": 7}, None, None), 400)
        # password: the old one is checked, the new one validated
        await _refused(
            profiles.update(actor, {"password": {"old": "wrong-pass", "new": "new-password-1"}}, None, None),
            401,
        )
        await _refused(
            profiles.update(actor, {"password": {"old": PASSWORD, "new": "short"}}, None, None), 400
        )
        await _refused(profiles.update(actor, {"password": "new-password-1"}, None, None), 400)
        result = await profiles.update(
            actor, {"password": {"old": PASSWORD, "new": "new-password-1"}}, None, None
        )
        assert "password" not in result
        await _refused(registry.accounts.check_credentials("alice", PASSWORD, None), 401)
        await registry.accounts.check_credentials("alice", "new-password-1", None)

    run_with(registry, scenario)


def test_profile_changes_with_two_factor(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        secret, _ = await _enable(registry, clock)
        actor = await _actor(registry)
        code = pyotp.TOTP(secret).at(clock.moment)
        profiles = registry.profiles
        await _refused(profiles.update(actor, {"fullname": "A"}, None, None), 401)
        assert (await profiles.update(actor, {"fullname": "A"}, code, None))["fullname"] == "A"
        # nothing changes: nothing to confirm
        await profiles.update(actor, {"fullname": "A"}, None, None)
        await _refused(
            profiles.update(actor, {"password": {"old": PASSWORD, "new": "new-password-1"}}, None, None), 401
        )
        await profiles.update(actor, {"password": {"old": PASSWORD, "new": "new-password-1"}}, code, None)

    run_with(registry, scenario)


def test_wrong_codes_are_rate_limited(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "alice@example.test", PASSWORD)
        secret, _ = await _enable(registry, clock)
        two_factor = registry.accounts.two_factor
        actor = await _actor(registry)
        budget = registry.settings.login_limits.max_failures_per_user
        for _ in range(budget):
            await _refused(two_factor.require(actor, "000000", Need.WRITE, "10.0.0.1"), 401)
        # even the right code waits now
        await _refused(
            two_factor.require(actor, pyotp.TOTP(secret).at(clock.moment), Need.WRITE, "10.0.0.1"), 429
        )

    run_with(registry, scenario)
