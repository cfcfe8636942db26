"""login, adduser, logout and whoami: npm's lib/commands/{login,adduser,logout,whoami}.js and
lib/utils/get-identity.js.

Credentials are config: login writes `//<registry>/:_authToken` into the user config; logout
revokes the token on the registry (`DELETE /-/user/token/<token>`) and only then removes the
credentials from the one config file they were found in (project, user or global). When the
registry refuses the revocation nothing is written, so the token is never lost while still valid.
"""

from __future__ import annotations

import msgspec

from snpm.config import Config, clear_credentials_by_uri, get_credentials_by_uri, set_credentials_by_uri
from snpm.errors import SnpmError
from snpm.ops.auth_flow import add_user, log_in
from snpm.ops.context import client_settings, registry_client
from snpm.ops.interaction import Interaction
from snpm.redact import redact_log
from snpm.registry_client import RegistryClient
from snpm.registry_client.auth import get_auth
from snpm.spec.ecmascript import encode_uri_component

__all__ = ["LoginOutcome", "get_identity", "login", "logout", "login_registry", "whoami"]

# config.save accepts these layers only (@npmcli/config's confFileTypes)
_FILE_LEVELS = ("global", "user", "project")


class LoginOutcome(msgspec.Struct, frozen=True):
    registry: str
    scope: str
    # what npm prints on stdout: "Logged in on <registry>." (with " to scope @x" when scoped)
    message: str


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def login_registry(config: Config) -> str:
    """login/adduser's registry: `@scope:registry` under --scope, unless --registry was typed."""
    registry = _text(config.get("registry"))
    scope = _text(config.get("scope"))
    if scope:
        scoped = _text(config.get(f"{scope}:registry"))
        if scoped and not config.get("registry", "cli"):
            registry = scoped
    return registry


async def login(config: Config, io: Interaction, *, create: bool = False) -> LoginOutcome:
    """`npm login` (or `npm adduser` with `create`): get a token and save it in the user config."""
    registry = login_registry(config)
    scope = _text(config.get("scope"))
    creds = get_credentials_by_uri(config, registry)
    io.log("notice", "", f"Log in on {redact_log(registry)}")
    auth_type = _text(config.get("auth-type"))
    async with registry_client(config, "adduser" if create else "login", log=io.log) as client:
        if create:
            token = await add_user(
                io,
                client,
                registry=registry,
                auth_type=auth_type,
                username=creds.username,
                password=creds.password,
                email=creds.email,
            )
        else:
            token = await log_in(
                io,
                client,
                registry=registry,
                auth_type=auth_type,
                username=creds.username,
                password=creds.password,
            )
    # npm cannot know the user name after a web login: the message names scope and registry only
    message = f"Logged in{f' to scope {scope}' if scope else ''} on {registry}."
    io.log("info", "adduser" if create else "login", message)
    config.delete("_token", "user")  # legacy pollution
    set_credentials_by_uri(config, registry, token=token or None)
    if scope:
        config.set(f"{scope}:registry", registry, "user")
    config.save("user")
    return LoginOutcome(registry=registry, scope=scope, message=message)


async def logout(config: Config, io: Interaction) -> None:
    """`npm logout`: revoke the token, then forget the credentials where they were configured."""
    registry = _text(config.get("registry"))
    scope = _text(config.get("scope"))
    reg_ref = f"{scope}:registry" if scope else "registry"
    reg = _text(config.get(reg_ref)) or registry
    settings = client_settings(config, "logout")
    # npm-registry-fetch's getAuth(reg, flatOptions): the nerf-dart walk, then the same-host fallback
    auth = get_auth(reg, settings)
    level = config.find(f"{auth.reg_key}:{auth.auth_key}") if auth.reg_key else None
    if auth.token:
        io.log("verbose", "logout", f"clearing token for {reg}")
        async with registry_client(config, "logout", log=io.log) as client:
            await client.delete(f"/-/user/token/{encode_uri_component(auth.token)}", registry=reg)
    elif auth.is_basic_auth:
        io.log("verbose", "logout", f"clearing user credentials for {reg}")
    else:
        raise SnpmError(f"not logged in to {reg}, so can't log out!", code="ENEEDAUTH")
    # npm passes the found level on (undefined falls back to each function's default layer)
    if scope:
        config.delete(reg_ref, level or "cli")
    clear_credentials_by_uri(config, reg, level or "user")
    if level not in _FILE_LEVELS:
        # npm's config.save refuses the env and cli layers, after the token was already revoked
        raise SnpmError(f"invalid config location param: {level or 'undefined'}")
    config.save(level)


async def get_identity(config: Config, client: RegistryClient, registry: str | None = None) -> str:
    """get-identity.js: the user name in the config (basic auth), else the registry's `/-/whoami`."""
    registry = registry or _text(config.get("registry"))
    creds = get_credentials_by_uri(config, registry)
    if creds.username:
        return creds.username
    if creds.token or (creds.certfile and creds.keyfile):
        data = await client.get_json("/-/whoami", registry=registry)
        username = data.get("username") if isinstance(data, dict) else None
        if isinstance(username, str):
            return username
    raise SnpmError("This command requires you to be logged in.", code="ENEEDAUTH")


async def whoami(config: Config, io: Interaction) -> str:
    """`npm whoami`: the user name the default registry knows these credentials by."""
    async with registry_client(config, "whoami", log=io.log) as client:
        return await get_identity(config, client)
