"""Which credentials a request gets, and its Authorization header (npm-registry-fetch's auth.js).

The rules, as npm 11 applies them (there is no `always-auth` any more):
1. Walk up `//host[:port]/path` of the request URL, alternately dropping the last path segment and
   the trailing slash, until only `//` is left. The first key with credentials wins, checked in the
   order `:_authToken`, `:_auth`, `:username` + `:_password`, `:certfile` + `:keyfile`.
2. Nothing matched and the URL is on the same host as the package's registry (e.g. a tarball on
   another path): use the registry's credentials.
3. Nothing matched on another host: no credentials. When the package's registry is a scoped one,
   remember its key so a 4xx can warn "No auth for URI, but auth present for scoped registry".

A token beats Basic auth; a client certificate may come on top of either. Credentials never leave
the host they were configured for, except through rule 2.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from snpm.registry_client.settings import ClientSettings

__all__ = ["Auth", "get_auth", "nerf_dart", "pick_registry", "url_host"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_host(url: str) -> str:
    """WHATWG `URL.host`: hostname plus the port unless it is the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host


def _url_path(url: str) -> str:
    path = urlsplit(url).path
    return path or "/"


def nerf_dart(url: str) -> str:
    """`//host[:port]/dir/` of a URL: npm's key prefix for registry-scoped settings."""
    path = _url_path(url)
    directory = path[: path.rfind("/") + 1] if "/" in path else "/"
    return f"//{url_host(url)}{directory}"


class Auth(msgspec.Struct, frozen=True):
    """The credentials chosen for one URL. `reg_key` + `auth_key` name the config key they came from."""

    reg_key: str | None = None
    auth_key: str | None = None
    # Set only when the request had no credentials but its scoped registry has some.
    scope_auth_key: str | None = None
    token: str | None = None
    # base64 of "user:password", sent as `Basic`.
    auth: str | None = None
    is_basic_auth: bool = False
    cert: str | None = None
    key: str | None = None

    @property
    def authorization(self) -> str | None:
        if self.token:
            return f"Bearer {self.token}"
        if self.auth:
            return f"Basic {self.auth}"
        return None

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or self.auth or (self.cert and self.key))

    def __repr__(self) -> str:
        # Never show secrets, even in a debugger or a log of repr()s.
        return (
            f"Auth(reg_key={self.reg_key!r}, auth_key={self.auth_key!r}, "
            f"scope_auth_key={self.scope_auth_key!r}, token={'***' if self.token else None}, "
            f"auth={'***' if self.auth else None}, cert={'<pem>' if self.cert else None})"
        )


def _has_auth(reg_key: str, creds: Mapping[str, str]) -> str | None:
    if creds.get(f"{reg_key}:_authToken"):
        return "_authToken"
    if creds.get(f"{reg_key}:_auth"):
        return "_auth"
    if creds.get(f"{reg_key}:username") and creds.get(f"{reg_key}:_password"):
        return "username"
    if creds.get(f"{reg_key}:certfile") and creds.get(f"{reg_key}:keyfile"):
        return "certfile"
    return None


def _drop_last(reg_key: str) -> str:
    # JS: regKey.replace(/([^/]+|\/)$/, '') — drop the last segment, or else the trailing slash.
    if reg_key.endswith("/"):
        return reg_key[:-1]
    cut = reg_key.rfind("/")
    return reg_key[: cut + 1]


def _reg_from_uri(uri: str, creds: Mapping[str, str]) -> tuple[str | None, str | None]:
    reg_key = f"//{url_host(uri)}{_url_path(uri)}"
    while len(reg_key) > 2:
        auth_key = _has_auth(reg_key, creds)
        if auth_key:
            return reg_key, auth_key
        reg_key = _drop_last(reg_key)
    return None, None


def _read_optional(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _build(reg_key: str | None, auth_key: str | None, creds: Mapping[str, str]) -> Auth:
    if reg_key is None:
        return Auth()
    token = creds.get(f"{reg_key}:_authToken")
    basic = creds.get(f"{reg_key}:_auth")
    username = creds.get(f"{reg_key}:username")
    password = creds.get(f"{reg_key}:_password")
    return _make_auth(
        reg_key=reg_key,
        auth_key=auth_key,
        token=token,
        basic=basic,
        username=username,
        password=password,
        certfile=creds.get(f"{reg_key}:certfile"),
        keyfile=creds.get(f"{reg_key}:keyfile"),
    )


def _make_auth(
    *,
    reg_key: str | None,
    auth_key: str | None,
    token: str | None,
    basic: str | None,
    username: str | None,
    password: str | None,
    certfile: str | None,
    keyfile: str | None,
) -> Auth:
    is_basic = False
    if token:
        basic = None
    elif basic:
        pass
    elif username and password:
        # `_password` is stored base64-encoded; the header wants base64("user:plain").
        plain = base64.b64decode(password + "=" * (-len(password) % 4)).decode("utf-8", "replace")
        basic = base64.b64encode(f"{username}:{plain}".encode()).decode("ascii")
        is_basic = True
    else:
        basic = None
    cert = key = None
    if certfile and keyfile:
        cert_text, key_text = _read_optional(certfile), _read_optional(keyfile)
        if cert_text and key_text:
            cert, key = cert_text, key_text
    return Auth(
        reg_key=reg_key,
        auth_key=auth_key,
        token=token or None,
        auth=basic,
        is_basic_auth=is_basic,
        cert=cert,
        key=key,
    )


def pick_registry(settings: ClientSettings, name: str | None = None) -> str:
    """The registry for a package name: its scope's registry, else the `scope` config's, else `registry`."""
    registry = None
    if name and name.startswith("@") and "/" in name:
        registry = settings.scoped_registries.get(name.split("/", 1)[0])
    if not registry and settings.scope:
        scope = settings.scope if settings.scope.startswith("@") else f"@{settings.scope}"
        registry = settings.scoped_registries.get(scope)
    return registry or settings.registry


def get_auth(
    uri: str,
    settings: ClientSettings,
    *,
    registry: str | None = None,
    force_auth: Mapping[str, str] | None = None,
) -> Auth:
    """Credentials for `uri`. `registry` is the package's registry (scoped or default).

    `force_auth` (npm's `forceAuth`, used by login flows) replaces the configured credentials: keys
    `_authToken`/`token`, `_auth`/`auth`, `username`, `_password`/`password`, `certfile`, `keyfile`.
    """
    creds: Mapping[str, str] = force_auth if force_auth is not None else settings.credentials
    reg_key, auth_key = _reg_from_uri(uri, creds)
    if force_auth is not None and reg_key is None:
        password = force_auth.get("_password") or force_auth.get("password")
        return _make_auth(
            reg_key=None,
            auth_key=None,
            token=force_auth.get("_authToken") or force_auth.get("token"),
            basic=force_auth.get("_auth") or force_auth.get("auth"),
            username=force_auth.get("username"),
            # npm passes forceAuth's password through the same base64 decode as config's _password.
            password=password,
            certfile=force_auth.get("certfile"),
            keyfile=force_auth.get("keyfile"),
        )
    if reg_key is None:
        package_registry = registry or settings.registry
        if package_registry and uri != package_registry and url_host(uri) == url_host(package_registry):
            return get_auth(package_registry, settings, registry=package_registry)
        if package_registry != settings.registry:
            scope_key, scope_auth_key = _reg_from_uri(package_registry, settings.credentials)
            return Auth(scope_auth_key=scope_key, reg_key=scope_key, auth_key=scope_auth_key)
        return Auth()
    return _build(reg_key, auth_key, creds)
