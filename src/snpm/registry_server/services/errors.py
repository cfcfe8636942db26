"""The one error the registry's services raise: an HTTP status plus the message npm prints.

npm shows `<status> <statusText> - <METHOD> <url> - <body.error>`, so `message` is written for a
person. `challenge` becomes the `WWW-Authenticate` header of a 401 (npm-registry-fetch turns
`Bearer`/`Basic` into E401 with a login hint, `ipaddress` into EAUTHIP, `OTP` into EOTP); `details`
are more members of the JSON body (npm 11's web OTP reads `authUrl` and `doneUrl` there).
"""

from __future__ import annotations

from collections.abc import Mapping

from snpm.errors import SnpmError
from snpm.json_types import JsonValue

__all__ = [
    "RegistryError",
    "bad_request",
    "conflict",
    "forbidden",
    "not_found",
    "too_many_requests",
    "unauthorized",
]


class RegistryError(SnpmError):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        challenge: str | None = None,
        retry_after: int | None = None,
        details: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(message, code=f"E{status}")
        self.status = status
        self.challenge = challenge
        self.retry_after = retry_after
        self.details: Mapping[str, JsonValue] = details or {}


def bad_request(message: str) -> RegistryError:
    return RegistryError(400, message)


def unauthorized(message: str, challenge: str = 'Bearer realm="snpm-registry"') -> RegistryError:
    return RegistryError(401, message, challenge=challenge)


def forbidden(message: str) -> RegistryError:
    return RegistryError(403, message)


def not_found(message: str = "Not found") -> RegistryError:
    return RegistryError(404, message)


def conflict(message: str = "Document update conflict.") -> RegistryError:
    return RegistryError(409, message)


def too_many_requests(message: str, retry_after: int) -> RegistryError:
    return RegistryError(429, message, retry_after=retry_after)
