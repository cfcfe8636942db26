"""Accounts and tokens without HTTP: sign-up, login, hashing, revocation, read-only, CIDR, expiry, limits."""

from __future__ import annotations

import pytest

from snpm.registry_server.app import Registry
from snpm.registry_server.services.accounts import validate_email, validate_username
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.login_limits import LoginRateLimiter
from snpm.registry_server.services.tokens import hash_token, ip_allowed, new_token_value, parse_cidrs
from snpm.registry_server.settings import LoginLimits
from support.registry import Clock, run_with


async def _status(coro: object) -> int:
    try:
        await coro  # type: ignore[misc]
    except RegistryError as err:
        return err.status
    return 200


def test_login_signs_up_logs_in_and_refuses_bad_passwords(registry: Registry) -> None:
    async def scenario() -> None:
        created = await registry.accounts.login("alice", "password-123", "alice@example.test", "10.0.0.1")
        assert created.created and created.user.email == "alice@example.test"
        again = await registry.accounts.login("alice", "password-123", None, "10.0.0.1")
        assert not again.created and again.token.token != created.token.token
        # adding an existing user with the right password is a login (npm's quirk); a wrong one is 401
        assert not (await registry.accounts.login("alice", "password-123", "x@example.test", None)).created
        assert await _status(registry.accounts.login("alice", "wrong-password", None, None)) == 401
        assert await _status(registry.accounts.login("nobody", "password-123", None, None)) == 400
        assert await _status(registry.accounts.login("Bad Name", "password-123", "a@b.co", None)) == 400
        assert await _status(registry.accounts.login("bob", "short", "b@example.test", None)) == 400

    run_with(registry, scenario)


def test_signup_can_be_closed(registry: Registry) -> None:
    async def scenario() -> None:
        registry.accounts.allow_signup = False
        assert await _status(registry.accounts.login("alice", "password-123", "a@example.test", None)) == 403
        await registry.accounts.create_user("bob", "b@example.test", "password-123")  # the admin path
        assert (await registry.accounts.login("bob", "password-123", None, None)).user.name == "bob"

    run_with(registry, scenario)


def test_tokens_are_stored_hashed_and_revocation_is_immediate(registry: Registry) -> None:
    async def scenario() -> None:
        token = (await registry.accounts.login("alice", "password-123", "a@example.test", None)).token
        assert token.token.startswith("npm_") and len(token.token) == 40
        assert token.record.token_hash == hash_token(token.token)
        assert len(token.record.token_hash) == 128 and token.record.prefix == token.token[:8]
        assert (await registry.accounts.actor_for_token(token.token, None)).name == "alice"
        assert await registry.tokens.revoke_value(token.token)
        assert await _status(registry.accounts.actor_for_token(token.token, None)) == 401
        assert not await registry.tokens.revoke_value(token.token)  # already gone: still fine

    run_with(registry, scenario)


def test_revoke_by_key_or_value_only_for_the_owner(registry: Registry) -> None:
    async def scenario() -> None:
        alice = (await registry.accounts.login("alice", "password-123", "a@example.test", None)).token
        bob = (await registry.accounts.login("bob", "password-123", "b@example.test", None)).token
        assert not await registry.tokens.revoke_for("bob", alice.record.key)
        assert not await registry.tokens.revoke_for("bob", alice.token)
        assert await registry.tokens.revoke_for("alice", alice.record.key)
        assert await registry.tokens.revoke_for("bob", bob.token)
        assert await _status(registry.accounts.actor_for_token(bob.token, None)) == 401

    run_with(registry, scenario)


def test_read_only_cidr_and_expiring_tokens(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "a@example.test", "password-123")
        read_only = await registry.tokens.issue("alice", readonly=True)
        assert (await registry.accounts.actor_for_token(read_only.token, None)).read_only
        limited = await registry.tokens.issue("alice", cidr_whitelist=("192.168.1.0/24",))
        assert (await registry.accounts.actor_for_token(limited.token, "192.168.1.77")).name == "alice"
        with pytest.raises(RegistryError) as caught:
            await registry.accounts.actor_for_token(limited.token, "10.1.1.1")
        assert caught.value.status == 401 and caught.value.challenge == "ipaddress"
        expiring = await registry.tokens.issue("alice", expires_days=1)
        assert expiring.record.expires == "2024-05-02T12:00:00.000Z"
        assert (await registry.accounts.actor_for_token(expiring.token, None)).name == "alice"
        clock.advance(days=1, seconds=1)
        assert await _status(registry.accounts.actor_for_token(expiring.token, None)) == 401

    run_with(registry, scenario)


def test_removing_a_user_removes_their_tokens(registry: Registry) -> None:
    async def scenario() -> None:
        token = (await registry.accounts.login("alice", "password-123", "a@example.test", None)).token
        assert await registry.accounts.remove_user("alice")
        assert await _status(registry.accounts.actor_for_token(token.token, None)) == 401
        assert (await registry.storage.list_tokens(None)).total == 0

    run_with(registry, scenario)


def test_basic_credentials_are_cached_until_the_password_changes(registry: Registry) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "a@example.test", "password-123")
        assert (await registry.accounts.actor_for_basic("alice", "password-123", None)).name == "alice"
        assert (await registry.accounts.actor_for_basic("alice", "password-123", None)).token_key is None
        await registry.accounts.reset_password("alice", "another-password")
        assert await _status(registry.accounts.actor_for_basic("alice", "password-123", None)) == 401
        assert (await registry.accounts.actor_for_basic("alice", "another-password", None)).name == "alice"

    run_with(registry, scenario)


def test_failed_logins_are_rate_limited(registry: Registry) -> None:
    registry.accounts.limiter.limits = LoginLimits(max_failures_per_user=3, max_failures_per_ip=5)

    async def scenario() -> None:
        await registry.accounts.create_user("alice", "a@example.test", "password-123")
        for _ in range(3):
            assert await _status(registry.accounts.check_credentials("alice", "nope-nope", "10.0.0.9")) == 401
        # the user name is now blocked, even with the right password and from another address
        assert await _status(registry.accounts.check_credentials("alice", "password-123", "10.0.0.10")) == 429
        # the address is blocked for other names after its own budget
        for name in ("bob", "carol"):
            assert await _status(registry.accounts.check_credentials(name, "x" * 9, "10.0.0.9")) == 401
        assert (
            await _status(registry.accounts.login("dave", "password-123", "d@example.test", "10.0.0.9"))
            == 429
        )

    run_with(registry, scenario)


def test_rate_limiter_window_and_bounded_memory() -> None:
    now = [0.0]
    limiter = LoginRateLimiter(
        LoginLimits(max_failures_per_user=2, max_failures_per_ip=100, window_seconds=60, max_tracked_keys=50),
        clock=lambda: now[0],
    )
    limiter.record_failure("alice", None)
    limiter.record_failure("alice", None)
    with pytest.raises(RegistryError) as caught:
        limiter.check("alice", None)
    assert caught.value.status == 429 and caught.value.retry_after == 60
    now[0] = 61.0
    limiter.check("alice", None)  # the window moved on
    limiter.record_failure("alice", None)
    limiter.record_success("alice")
    limiter.record_failure("alice", None)
    limiter.check("alice", None)
    for i in range(1000):
        limiter.record_failure(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(limiter) <= 50


def test_token_values_cidrs_and_user_validation() -> None:
    values = {new_token_value() for _ in range(100)}
    assert len(values) == 100 and all(v.startswith("npm_") and v[4:].isalnum() for v in values)
    assert parse_cidrs(["10.0.0.0/8", " 192.168.0.1/32", "::1/128"]) == (
        "10.0.0.0/8",
        "192.168.0.1/32",
        "::1/128",
    )
    assert parse_cidrs(None) == ()
    for bad in (["nonsense"], "10.0.0.0/8", [1]):
        with pytest.raises(RegistryError):
            parse_cidrs(bad)
    assert ip_allowed("10.2.3.4", ["10.0.0.0/8"]) and not ip_allowed("11.2.3.4", ["10.0.0.0/8"])
    assert ip_allowed("::ffff:10.2.3.4", ["10.0.0.0/8"])
    assert ip_allowed(None, []) and not ip_allowed(None, ["10.0.0.0/8"])
    for bad_name in ("Alice", "a b", ".alice", "al'ice", "x" * 215, ""):
        with pytest.raises(RegistryError):
            validate_username(bad_name)
    validate_username("alice-1")
    with pytest.raises(RegistryError):
        validate_email("not-an-email")
    validate_email("a@b.co")


def test_token_listing_pages(registry: Registry) -> None:
    async def scenario() -> None:
        await registry.accounts.create_user("alice", "a@example.test", "password-123")
        issued = [await registry.tokens.issue("alice", name=f"t{i}") for i in range(5)]
        first, total = await registry.tokens.page("alice", 0, 2)
        assert total == 5 and [t["name"] for t in first] == ["t0", "t1"]
        last, _ = await registry.tokens.page("alice", 2, 2)
        assert [t["name"] for t in last] == ["t4"]
        assert all(
            "token_hash" not in t and t["token"] == i.record.prefix
            for t, i in zip(first, issued, strict=False)
        )

    run_with(registry, scenario)


def test_actor_is_a_frozen_value() -> None:
    from snpm.registry_server.services.permissions import Actor

    with pytest.raises(AttributeError):
        Actor("a", "b").name = "c"  # type: ignore[misc]
