"""The web-OTP service without HTTP: sessions apart from web logins, the browser step, npm's poll, the
challenge's body, and the token (one account, a few minutes, void once 2FA is set up again)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from snpm.registry_server.app import Registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.two_factor import WEB_OTP_PREFIX, WEB_OTP_SECONDS, otp_required
from snpm.registry_server.services.web_otp import OTP_ID_PREFIX, is_web_otp_id
from snpm.registry_server.storage.base import UserRecord
from support.registry import Clock, run_with

PASSWORD = "password-123"


async def _refused(coro: Any, status: int) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        await coro
    assert caught.value.status == status, caught.value.message
    return caught.value


async def _with_2fa(
    registry: Registry, clock: Clock, name: str, mode: str = "auth-and-writes"
) -> tuple[UserRecord, pyotp.TOTP]:
    """Turn 2FA on for `name` (made first when missing), as `npm profile enable-2fa` does."""
    accounts = registry.accounts
    user = await accounts.get_user(name) or await accounts.create_user(name, f"{name}@example.test", PASSWORD)
    uri = await accounts.two_factor.begin(user, mode)
    totp = pyotp.TOTP(parse_qs(urlsplit(uri).query)["secret"][0])
    pending = await accounts.get_user(name)
    assert pending is not None
    await accounts.two_factor.confirm(pending, totp.at(clock()), None)
    enabled = await accounts.get_user(name)
    assert enabled is not None and enabled.tfa_mode == mode
    return enabled, totp


def test_a_web_otp_session(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        alice, totp = await _with_2fa(registry, clock, "alice")
        service = registry.accounts.web_otp
        started = await service.start()
        assert is_web_otp_id(started.auth_id) and is_web_otp_id(started.done_id)
        assert started.auth_id != started.done_id and started.auth_id.startswith(OTP_ID_PREFIX)
        assert "." not in started.auth_id[len(OTP_ID_PREFIX) :]
        assert await service.collect(started.done_id) is None  # pending
        await _refused(service.session(started.done_id), 404)  # the poll secret opens no page
        # the web-login flow refuses these sessions, and this one refuses web logins'
        await _refused(registry.web_logins.session(started.auth_id), 404)
        await _refused(registry.web_logins.collect(started.done_id), 404)
        login = await registry.web_logins.start(create=False)
        await _refused(service.session(login.login_id), 404)
        await _refused(service.collect(login.done_id), 404)

        await _refused(service.approve(started.auth_id, alice, None, None), 401)
        await _refused(service.approve(started.auth_id, alice, "000000", None), 401)
        await service.approve(started.auth_id, alice, totp.at(clock()), None)
        await _refused(service.session(started.auth_id), 404)  # done
        token = await service.collect(started.done_id)
        assert token is not None and token.startswith(WEB_OTP_PREFIX)
        await _refused(service.collect(started.done_id), 404)  # once

        # the token stands for a code of alice's account, for WEB_OTP_SECONDS
        two_factor = registry.accounts.two_factor
        await two_factor.require_user(alice, token, None)
        bob, _ = await _with_2fa(registry, clock, "bob")
        await _refused(two_factor.require_user(bob, token, None), 401)
        await _refused(two_factor.require_user(alice, token.replace(".", "x", 1), None), 401)
        clock.advance(seconds=WEB_OTP_SECONDS + 1)
        await _refused(two_factor.require_user(alice, token, None), 401)

    run_with(registry, scenario)


def test_the_token_dies_with_the_2fa_setup(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        alice, _ = await _with_2fa(registry, clock, "alice")
        two_factor = registry.accounts.two_factor
        token = two_factor.issue_web_otp(alice)
        await two_factor.require_user(alice, token, None)
        await two_factor.disable(alice)
        clock.advance(seconds=60)  # a later TOTP step for the new secret
        again, _ = await _with_2fa(registry, clock, "alice", "auth-only")
        await _refused(two_factor.require_user(again, token, None), 401)

    run_with(registry, scenario)


def test_no_token_without_2fa_and_no_approval_by_an_account_without_it(
    registry: Registry, clock: Clock
) -> None:
    async def scenario() -> None:
        carol = await registry.accounts.create_user("carol", "carol@example.test", PASSWORD)
        await _refused(_issue(registry, carol), 400)
        service = registry.accounts.web_otp
        started = await service.start()
        await _refused(service.approve(started.auth_id, carol, "123456", None), 400)
        clock.advance(seconds=service.ttl + 1)
        await _refused(service.session(started.auth_id), 404)
        await _refused(service.collect(started.done_id), 404)

    run_with(registry, scenario)


async def _issue(registry: Registry, user: UserRecord) -> str:
    return registry.accounts.two_factor.issue_web_otp(user)


def test_the_challenge_keeps_the_message_and_adds_the_urls(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        refused = otp_required()
        challenge = await registry.accounts.web_otp.challenge(refused, "http://r.test/prefix/")
        assert challenge.status == 401 and challenge.challenge == "OTP"
        assert challenge.message == refused.message
        assert set(challenge.details) == {"authUrl", "doneUrl"}
        assert str(challenge.details["authUrl"]).startswith("http://r.test/prefix/-/v1/otp/otp.")
        assert str(challenge.details["doneUrl"]).startswith("http://r.test/prefix/-/v1/done/otp.")

    run_with(registry, scenario)
