"""Access tokens: issue, look up, list, revoke; read-only and CIDR-limited tokens.

A token is `npm_` + 36 random base62 characters (about 214 bits), the shape npm's own redaction
recognises, so npm and snpm mask it in their logs. Only its sha512 hex is stored, with a random key
(what `npm token list` shows and `npm token revoke` sends) and the first 8 characters for listing.
Revocation deletes the row, so a revoked token (for example after `npm logout`) is refused on the
very next request. Expired tokens are refused too.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import string
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import msgspec

from snpm.json_types import JsonObject
from snpm.packument import format_time, parse_time
from snpm.registry_server.services.errors import bad_request, unauthorized
from snpm.registry_server.storage.base import Storage, TokenRecord

__all__ = ["WEB_LOGIN_TOKEN_NAME", "IssuedToken", "TokenService", "hash_token", "ip_allowed", "parse_cidrs"]

TOKEN_PREFIX = "npm_"
# the name of a token `npm login --auth-type=web` collected (services.web_login)
WEB_LOGIN_TOKEN_NAME = "web login"
_ALPHABET = string.ascii_letters + string.digits
_TOKEN_LENGTH = 36
_LISTED_PREFIX = 8
_INVALID_TOKEN = "Your authentication token is not valid or has expired. Run `npm login` to get a new one."


def hash_token(token: str) -> str:
    return hashlib.sha512(token.encode("utf-8")).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_TOKEN_LENGTH))


def parse_cidrs(values: object) -> tuple[str, ...]:
    """Validate a `cidr_whitelist` (IPv4 or IPv6 networks); 400 on anything else."""
    if values is None:
        return ()
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad_request("cidr_whitelist must be a list of CIDR strings")
    out: list[str] = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError as err:
            raise bad_request(f"Invalid CIDR in cidr_whitelist: {value!r}") from err
    return tuple(out)


def ip_allowed(client_ip: str | None, cidrs: Sequence[str]) -> bool:
    if not cidrs:
        return True
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


class IssuedToken(msgspec.Struct, frozen=True):
    """A freshly created token: the one moment the secret itself exists outside the client."""

    token: str
    record: TokenRecord

    def to_json(self) -> JsonObject:
        out = token_json(self.record)
        out["token"] = self.token
        return out


def token_json(record: TokenRecord) -> JsonObject:
    """A token as `GET /-/npm/v1/tokens` lists it (npm prints `token`, `key`, `name`, `created`, …)."""
    out: JsonObject = {
        "token": record.prefix,
        "key": record.key,
        "name": record.name,
        "cidr_whitelist": list(record.cidr_whitelist) or None,
        "readonly": record.readonly,
        "created": record.created,
        "updated": record.updated,
    }
    if record.description:
        out["description"] = record.description
    if record.expires:
        out["expires"] = record.expires
    return out


class TokenService:
    def __init__(self, storage: Storage, now: Callable[[], datetime]) -> None:
        self._storage = storage
        self._now = now

    async def issue(
        self,
        user: str,
        *,
        name: str = "",
        description: str = "",
        readonly: bool = False,
        cidr_whitelist: Sequence[str] = (),
        expires_days: int | None = None,
        bypass_2fa: bool = False,
    ) -> IssuedToken:
        token = new_token_value()
        now = self._now()
        stamp = format_time(now)
        record = TokenRecord(
            key=uuid.uuid4().hex,
            token_hash=hash_token(token),
            user=user,
            prefix=token[:_LISTED_PREFIX],
            name=name,
            description=description,
            readonly=readonly,
            cidr_whitelist=tuple(cidr_whitelist),
            created=stamp,
            updated=stamp,
            expires=format_time(now + timedelta(days=expires_days)) if expires_days else None,
            bypass_2fa=bypass_2fa,
        )
        await self._storage.add_token(record)
        return IssuedToken(token, record)

    async def check(self, token: str, client_ip: str | None) -> TokenRecord:
        """The live token record for a bearer token, or 401 (unknown, revoked, expired, wrong address)."""
        record = await self._storage.token_by_hash(hash_token(token))
        if record is None:
            raise unauthorized(_INVALID_TOKEN)
        if record.expires:
            expires = parse_time(record.expires)
            if expires is None or expires <= self._now():
                raise unauthorized(_INVALID_TOKEN)
        if not ip_allowed(client_ip, record.cidr_whitelist):
            # npm-registry-fetch turns `WWW-Authenticate: ipaddress` into EAUTHIP
            raise unauthorized("This token may not be used from your IP address.", challenge="ipaddress")
        return record

    async def revoke_value(self, token: str) -> bool:
        """Revoke by the secret itself (`npm logout`): possession of the token is the authority."""
        record = await self._storage.token_by_hash(hash_token(token))
        return record is not None and await self._storage.remove_token(record.key)

    async def revoke_for(self, user: str, key_or_token: str) -> bool:
        """Revoke one of `user`'s tokens named by its key or by its value (`npm token revoke`)."""
        record = await self._storage.token_by_hash(hash_token(key_or_token))
        if record is None:
            page = await self._storage.list_tokens(user)
            record = next((t for t in page.tokens if t.key == key_or_token), None)
        if record is None or record.user != user:
            return False
        return await self._storage.remove_token(record.key)

    async def page(self, user: str, page: int, per_page: int) -> tuple[list[JsonObject], int]:
        result = await self._storage.list_tokens(user, offset=page * per_page, limit=per_page)
        return [token_json(t) for t in result.tokens], result.total
