"""`npm token list|create|revoke`: npm's lib/commands/token.js over `/-/npm/v1/tokens`.

Listing follows `urls.next` pages and gives each token npm's `id`: the shortest prefix of its `key`
(at least six characters) no other token shares. Revoking accepts a key prefix or a token value
(matched against the listed, shortened `token`), exactly as npm resolves them.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.auth_flow import otplease, with_otp
from snpm.ops.context import registry_client
from snpm.ops.interaction import Interaction
from snpm.registry_client import RegistryClient

__all__ = ["create_token", "list_tokens", "revoke_tokens", "token_body", "token_ids", "validate_cidrs"]

_IPV4_CIDR = re.compile(
    r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)/(?:3[0-2]|[12]?\d)$"
)


async def _paginate(client: RegistryClient, href: str) -> list[JsonObject]:
    items: list[JsonObject] = []
    next_href: str | None = href
    while next_href:
        result = await client.get_json(next_href)
        if not isinstance(result, dict):
            raise SnpmError("Cannot read properties of undefined (reading 'next')")
        objects = result.get("objects")
        if isinstance(objects, list):
            items.extend(o for o in objects if isinstance(o, dict))
        urls = result.get("urls")
        if not isinstance(urls, dict):
            raise SnpmError("Cannot read properties of undefined (reading 'next')")
        following = urls.get("next")
        next_href = following if isinstance(following, str) and following else None
    return items


def token_ids(tokens: list[JsonObject], min_length: int = 6) -> None:
    """generateTokenIds: set `id` to the shortest key prefix (>= min_length) that is unique."""
    keys = [str(t.get("key", "")) for t in tokens]
    for index, token in enumerate(tokens):
        key = keys[index]
        token["id"] = key
        for length in range(min_length, len(key)):
            prefix = key[:length]
            if not any(other[:length] == prefix for i, other in enumerate(keys) if i != index):
                token["id"] = prefix
                break


async def list_tokens(config: Config, io: Interaction) -> list[JsonObject]:
    io.log("info", "token", "getting list")
    async with registry_client(config, "token", log=io.log) as client:
        tokens = await _paginate(client, "/-/npm/v1/tokens")
    token_ids(tokens)
    return tokens


async def revoke_tokens(config: Config, io: Interaction, ids: Sequence[str]) -> list[str]:
    """Resolve each id (key prefix or token value) and DELETE it; returns what was removed."""
    to_remove: list[str] = []
    io.log("info", "token", f"removing {len(to_remove)} tokens")
    async with registry_client(config, "token", log=io.log) as client:
        tokens = await _paginate(client, "/-/npm/v1/tokens")
        for wanted in ids:
            matches = [t for t in tokens if str(t.get("key", "")).startswith(wanted)]
            if len(matches) == 1:
                to_remove.append(str(matches[0].get("key")))
            elif len(matches) > 1:
                raise SnpmError(
                    f'Token ID "{wanted}" was ambiguous, a new token may have been created since you '
                    "last ran `npm token list`."
                )
            else:
                if not any(wanted.startswith(str(t.get("token"))) for t in tokens):
                    raise SnpmError(f'Unknown token id or value "{wanted}".')
                to_remove.append(wanted)
        for key in to_remove:
            await otplease(io, client, functools.partial(_delete_token, client, key))
    return to_remove


async def _delete_token(client: RegistryClient, key: str, otp: str | None) -> None:
    options = with_otp(otp)
    await client.delete(f"/-/npm/v1/tokens/token/{key}", **options)


def validate_cidrs(cidr: JsonValue) -> list[str]:
    """token.js validateCIDRList: one value may hold a comma list; IPv6 and junk are refused."""
    values = [c for c in (cidr if isinstance(cidr, list) else [cidr]) if c]
    items = [str(v) for v in values]
    found = re.split(r",\s*", items[0]) if len(items) == 1 else items
    for entry in found:
        if _is_ipv6_cidr(entry):
            raise SnpmError(
                f"CIDR whitelist can only contain IPv4 addresses, {entry} is IPv6", code="EINVALIDCIDR"
            )
        if not _IPV4_CIDR.match(entry):
            raise SnpmError(f"CIDR whitelist contains invalid CIDR entry: {entry}", code="EINVALIDCIDR")
    return found


def _is_ipv6_cidr(entry: str) -> bool:
    address, _, bits = entry.partition("/")
    if not bits.isdigit() or int(bits) > 128:
        return False
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True


def _has_items(value: JsonValue) -> bool:
    """`value?.length > 0` for a string or an array."""
    return isinstance(value, str | list) and len(value) > 0


def token_body(config: Config, password: str, cidrs: list[str]) -> JsonObject:
    """The POST body token.js builds from the config (granular-token fields only when set)."""
    get = config.get
    data: JsonObject = {"name": _json(get("name")), "password": password}
    if get("token-description"):
        data["description"] = _json(get("token-description"))
    # the keys in token.js's order (the JSON body keeps it)
    if _has_items(_json(get("packages"))):
        data["packages"] = _json(get("packages"))
    if get("packages-all"):
        data["packages_all"] = True
    for key in ("scopes", "orgs"):
        value = _json(get(key))
        if _has_items(value):
            data[key] = value
    if get("packages-and-scopes-permission"):
        data["packages_and_scopes_permission"] = _json(get("packages-and-scopes-permission"))
    if get("orgs-permission"):
        data["orgs_permission"] = _json(get("orgs-permission"))
    expires = get("expires")
    if expires:
        # parseInt(expires, 10); NaN is written as null by JSON.stringify
        days = re.match(r"^\s*([+-]?\d+)", str(expires))
        data["expires"] = int(days.group(1)) if days else None
    if cidrs:
        data["cidr_whitelist"] = list(cidrs)
    if get("bypass-2fa"):
        data["bypass_2fa"] = True
    return data


def _json(value: object) -> JsonValue:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list):
        return [_json(v) for v in value]
    return str(value)


async def create_token(config: Config, io: Interaction) -> JsonObject:
    """POST /-/npm/v1/tokens, asking for the password when `--password` was not given."""
    cidrs = validate_cidrs(_json(config.get("cidr")))
    password = config.get("password")
    if not isinstance(password, str) or not password:
        password = await io.read_password()
    body = token_body(config, password, cidrs)
    io.log("info", "token", "creating")
    async with registry_client(config, "token", log=io.log) as client:

        async def call(otp: str | None) -> JsonValue:
            options = with_otp(otp)
            return (await client.post("/-/npm/v1/tokens", json=body, **options)).json()

        result = await otplease(io, client, call)
    created: JsonObject = dict(result) if isinstance(result, dict) else {}
    created.pop("key", None)
    created.pop("updated", None)
    return created
