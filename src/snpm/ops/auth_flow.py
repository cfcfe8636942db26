"""Getting a token from a registry: web login, couch login/adduser, and the OTP retry (otplease).

Ports npm's lib/utils/auth.js (`otplease`, `login`, `adduser`) and npm-profile's `loginWeb`,
`adduserWeb`, `webAuthOpener`, `webAuthCheckLogin`, `loginCouch` and `adduserCouch`:

- web (auth-type=web): `POST /-/v1/login` → `{loginUrl, doneUrl}`; the URL is shown while `doneUrl`
  is polled (202 + retry-after → wait, 200 → `{token}`). Any 4xx or 500 on the way means "web login
  not supported" (ENYI) and the flow falls back to the couch prompts.
- couch: `PUT /-/user/org.couchdb.user:<name>`; for login a 400 becomes "There is no user with the
  username …" and a 409 triggers CouchDB's update dance (GET ?write=true, PUT /-rev/<rev> with Basic
  auth), which Verdaccio relies on.
- otplease: an EOTP answer on a terminal is retried once with an OTP read from the user, or, when the
  registry sent `authUrl`/`doneUrl`, with the token of a browser round trip.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar, Unpack
from urllib.parse import urlsplit, urlunsplit

from snpm.errors import HttpError, SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.interaction import Interaction
from snpm.registry_client import RegistryClient, RegistryResponse, RequestOptions
from snpm.spec.ecmascript import encode_uri_component

__all__ = [
    "add_user",
    "adduser_couch",
    "is_http_url",
    "log_in",
    "login_couch",
    "otplease",
    "web_auth_opener",
    "with_otp",
]

T = TypeVar("T")


def _js_iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def is_http_url(url: object) -> bool:
    """npm-profile's isValidUrl: an absolute http(s) URL."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _error_body(err: HttpError) -> JsonObject:
    return err.body if isinstance(err.body, dict) else {}


async def otplease(io: Interaction, client: RegistryClient, call: Callable[[str | None], Awaitable[T]]) -> T:
    """Run `call(None)`; on an EOTP answer at a terminal, ask for an OTP and run `call(otp)` once."""
    try:
        return await call(None)
    except HttpError as err:
        if not io.interactive:
            raise
        body = _error_body(err)
        auth_url, done_url = body.get("authUrl"), body.get("doneUrl")
        if err.code == "EOTP" and isinstance(auth_url, str) and isinstance(done_url, str):
            result = await web_auth_opener(io, client, "Authenticate your account at", auth_url, done_url)
            token = result.get("token")
            return await call(token if isinstance(token, str) else None)
        if err.code == "EOTP" or (
            err.code == "E401" and isinstance(err.body, str) and "one-time pass" in err.body
        ):
            otp = await io.read_otp("This operation requires a one-time password.\nEnter OTP:")
            return await call(otp)
        raise


class _WebLoginNotSupportedError(SnpmError):
    pass


def _invalid_response(method: str, response: RegistryResponse) -> HttpError:
    """npm-profile's WebLoginInvalidResponse: an HttpErrorBase, so its code is `E<status>`."""
    return HttpError(
        "Invalid response from web login endpoint",
        status=response.status,
        method=method,
        url=response.url,
        body=_json_or_none(response),
    )


def _json_or_none(response: RegistryResponse) -> JsonValue:
    try:
        return response.json()
    except SnpmError:
        return None


async def _check_login(client: RegistryClient, done_url: str) -> JsonObject:
    """webAuthCheckLogin: poll `doneUrl` until it answers 200 with a token."""
    while True:
        response = await client.request("GET", done_url, cache_mode="no-store")
        content = response.json()
        if response.status == 200:
            if not isinstance(content, dict) or not content.get("token"):
                raise _invalid_response("GET", response)
            return content
        if response.status == 202:
            # `+res.headers.get('retry-after') * 1000`: missing or junk means no wait at all
            try:
                delay = float(response.headers.get("retry-after", ""))
            except ValueError:
                delay = 0.0
            if delay > 0:
                await asyncio.sleep(delay)
            continue
        raise _invalid_response("GET", response)


async def web_auth_opener(
    io: Interaction, client: RegistryClient, title: str, login_url: str, done_url: str
) -> JsonObject:
    """Show `login_url` while polling `done_url`; the first failure of either ends the flow."""
    io.log("verbose", "web auth", "opening url pair")
    opener = asyncio.ensure_future(io.open_url_prompt(title, login_url))
    checker = asyncio.ensure_future(_check_login(client, done_url))
    try:
        pending: set[asyncio.Future[object]] = {opener, checker}  # type: ignore[arg-type]
        while checker in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if opener in done and opener.exception() is not None:
                raise opener.exception()  # type: ignore[misc]
        io.log("verbose", "web auth", "done-check finished")
        return checker.result()
    finally:
        for task in (opener, checker):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def _replace_done_url_origin(done_url: str, registry: str) -> str:
    """npm-profile 12: a `doneUrl` on the canonical public registry host is rewritten to the
    configured registry's origin and path prefix (a mirror forwards the public answer verbatim)."""
    from snpm.config import DEFINITIONS

    canonical = urlsplit(str(DEFINITIONS["registry"].default)).hostname
    done = urlsplit(done_url)
    if not registry or done.hostname != canonical:
        return done_url
    reg = urlsplit(registry)
    path = done.path or "/"
    prefix = (reg.path or "/").rstrip("/")
    if prefix and prefix != "/" and path != prefix and not path.startswith(prefix + "/"):
        path = prefix + path
    return urlunsplit((reg.scheme, reg.netloc, path, done.query, done.fragment))


async def _web_auth(
    io: Interaction, client: RegistryClient, registry: str, title: str, body: JsonObject
) -> JsonObject:
    try:
        response = await client.post("/-/v1/login", json=body, registry=registry)
        content = response.json()
        io.log("verbose", "web auth", f"got response {content}")
        login_url = content.get("loginUrl") if isinstance(content, dict) else None
        done_url = content.get("doneUrl") if isinstance(content, dict) else None
        if not is_http_url(done_url) or not is_http_url(login_url):
            raise _invalid_response("POST", response)
        assert isinstance(login_url, str) and isinstance(done_url, str)
        return await web_auth_opener(
            io, client, title, login_url, _replace_done_url_origin(done_url, registry)
        )
    except HttpError as err:
        if 400 <= err.status <= 499 or err.status == 500:
            raise _WebLoginNotSupportedError("Web login not supported", code="ENYI") from err
        raise


def _couch_path(username: str) -> str:
    return f"/-/user/org.couchdb.user:{encode_uri_component(username)}"


async def adduser_couch(
    client: RegistryClient,
    io: Interaction,
    registry: str,
    username: str,
    email: str,
    password: str,
    otp: str | None,
) -> JsonObject:
    body: JsonObject = {
        "_id": f"org.couchdb.user:{username}",
        "name": username,
        "password": password,
        "email": email,
        "type": "user",
        "roles": [],
        "date": _js_iso_now(),
    }
    io.log("verbose", "adduser", f"before first PUT {_shown(body)}")
    return await _put_couch(client, registry, _couch_path(username), username, body, otp)


async def login_couch(
    client: RegistryClient, io: Interaction, registry: str, username: str, password: str, otp: str | None
) -> JsonObject:
    body: JsonObject = {
        "_id": f"org.couchdb.user:{username}",
        "name": username,
        "password": password,
        "type": "user",
        "roles": [],
        "date": _js_iso_now(),
    }
    io.log("verbose", "login", f"before first PUT {_shown(body)}")
    path = _couch_path(username)
    try:
        return await _put_couch(client, registry, path, username, body, otp)
    except HttpError as err:
        if err.code == "E400":
            err.message = f'There is no user with the username "{username}".'
            err.args = (err.message,)
            raise
        if err.code != "E409":
            raise
    existing = await client.get_json(path, **with_otp(otp, registry=registry, query={"write": "true"}))
    if isinstance(existing, dict):
        for key, value in existing.items():
            if not body.get(key) or key == "roles":
                body[key] = value
    rev = body.get("_rev")
    force = {"username": username, "password": base64.b64encode(password.encode()).decode("ascii")}
    return await _put_couch(
        client, registry, f"{path}/-rev/{'' if rev is None else rev}", username, body, otp, force_auth=force
    )


def with_otp(code: str | None, /, **options: Unpack[RequestOptions]) -> RequestOptions:
    """Per-request options plus `npm-otp` when otplease supplied one."""
    result = RequestOptions(**options)
    if code:
        result["otp"] = code
    return result


async def _put_couch(
    client: RegistryClient,
    registry: str,
    path: str,
    username: str,
    body: JsonObject,
    otp: str | None,
    *,
    force_auth: dict[str, str] | None = None,
) -> JsonObject:
    options = with_otp(otp, registry=registry)
    if force_auth is not None:
        options["force_auth"] = force_auth
    response = await client.put(path, json=body, **options)
    result = response.json()
    out: JsonObject = dict(result) if isinstance(result, dict) else {}
    out["username"] = username
    return out


def _shown(body: JsonObject) -> str:
    return str({**body, "password": "XXXXX"})


async def log_in(
    io: Interaction,
    client: RegistryClient,
    *,
    registry: str,
    auth_type: str,
    username: str | None,
    password: str | None,
) -> str:
    """auth.js `login`: web first when auth-type is web, else (or on ENYI) the couch prompts.

    `username`/`password` are the saved credentials, offered as the prompts' defaults. Returns the
    token the registry issued ("" when it sent none)."""
    result: JsonObject | None = None
    if auth_type == "web":
        try:
            result = await _web_auth(io, client, registry, "Login at", {})
        except _WebLoginNotSupportedError:
            io.log("verbose", "", "web login not supported, trying couch")
    if result is None:
        name = await io.read_username("Username:", username)
        secret = await io.read_password("Password:", password)
        result = await otplease(io, client, lambda otp: login_couch(client, io, registry, name, secret, otp))
    token = result.get("token")
    return token if isinstance(token, str) else ""


async def add_user(
    io: Interaction,
    client: RegistryClient,
    *,
    registry: str,
    auth_type: str,
    username: str | None,
    password: str | None,
    email: str | None,
) -> str:
    """auth.js `adduser`: like `log_in`, but creating the account (and asking for an e-mail)."""
    result: JsonObject | None = None
    if auth_type == "web":
        try:
            result = await _web_auth(io, client, registry, "Create your account at", {"create": True})
        except _WebLoginNotSupportedError:
            io.log("verbose", "", "web add user not supported, trying couch")
    if result is None:
        name = await io.read_username("Username:", username)
        secret = await io.read_password("Password:", password)
        address = await io.read_email("Email (this will be public):", email)
        result = await otplease(
            io, client, lambda otp: adduser_couch(client, io, registry, name, address, secret, otp)
        )
    token = result.get("token")
    return token if isinstance(token, str) else ""
