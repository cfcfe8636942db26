"""Registry-scoped credentials: nerf darts and @npmcli/config's get/set/clearCredentialsByURI.

A "nerf dart" is a registry URL reduced to `//host[:port]/path/` (protocol, query, fragment and
last path segment dropped); credentials are stored under `<nerf dart>:_authToken` and friends so
that a token is only ever sent to the registry it was issued for. npm 11 refuses the old
top-level `_authToken`/`_auth`/`username`/`_password` keys (see `Config.validate`).
"""

from __future__ import annotations

import binascii
import re
from typing import TYPE_CHECKING, NamedTuple

from snpm.errors import ConfigError

if TYPE_CHECKING:
    from snpm.config.layers import Config

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$", re.DOTALL)
_SPECIAL_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21", "file": ""}
_C0_SPACE = "".join(chr(c) for c in range(0x21))


def _normalize_path(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments[1:], start=1):
        last = i == len(segments) - 1
        low = seg.lower()
        if low in ("..", ".%2e", "%2e.", "%2e%2e"):
            if out:
                out.pop()
            if last:
                out.append("")
        elif low in (".", "%2e"):
            if last:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


def nerf_dart(url: str) -> str:
    """`//host[:port]/dir/` of a URL, as @npmcli/config nerf-dart.js computes it with WHATWG URL."""
    text = url.strip(_C0_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    m = _SCHEME.match(text)
    if not m:
        raise ConfigError("Invalid URL", code="ERR_INVALID_URL", extra={"input": url})
    scheme = m.group(1).lower()
    rest = m.group(2)
    special = scheme in _SPECIAL_PORTS
    if special:
        rest = rest.replace("\\", "/")
        rest = rest.lstrip("/")
        has_authority = True
    else:
        has_authority = rest.startswith("//")
        rest = rest[2:] if has_authority else rest
    if has_authority:
        end = len(rest)
        for ch in "/?#":
            pos = rest.find(ch)
            if pos != -1:
                end = min(end, pos)
        authority, rest = rest[:end], rest[end:]
        if "@" in authority:
            authority = authority.rsplit("@", 1)[1]
        host, _, port = authority.partition(":") if not authority.startswith("[") else (authority, "", "")
        if authority.startswith("["):
            close = authority.find("]")
            host, port = authority[: close + 1], authority[close + 2 :] if close + 1 < len(authority) else ""
        host = host.lower()
        if special and not host and scheme != "file":
            raise ConfigError("Invalid URL", code="ERR_INVALID_URL", extra={"input": url})
        if port and not port.isdigit():
            raise ConfigError("Invalid URL", code="ERR_INVALID_URL", extra={"input": url})
        if port:
            port = str(int(port))
            if _SPECIAL_PORTS.get(scheme) == port:
                port = ""
        hostport = host + (":" + port if port else "")
    else:
        hostport = ""
    path = re.split(r"[?#]", rest, maxsplit=1)[0]
    if special or has_authority:
        if not path.startswith("/"):
            path = "/" + path
        path = _normalize_path(path)
    directory = path[: path.rfind("/") + 1] if "/" in path else "/"
    return f"//{hostport}{directory}"


def _b64decode(text: str) -> bytes:
    """Node's lenient `Buffer.from(s, 'base64')`: url-safe letters, junk and missing padding allowed."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text.replace("-", "+").replace("_", "/").split("=", 1)[0])
    cleaned = cleaned[: len(cleaned) - (len(cleaned) % 4 == 1)]
    import base64  # only when credentials are read: one module less for every command

    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except binascii.Error:  # pragma: no cover - cleaned input always decodes
        return b""


def _b64encode(text: str) -> str:
    import base64

    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Credentials(NamedTuple):
    """What getCredentialsByURI returns; `auth` is the base64 `user:pass` for Basic auth."""

    email: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    auth: str | None = None


def _str(config: Config, key: str, where: str | None = None) -> str | None:
    value = config.get(key, where)
    if value is None or value is False or value == "" or value == 0:
        return None
    return value if isinstance(value, str) else str(value)


def get_credentials_by_uri(config: Config, uri: str) -> Credentials:
    """@npmcli/config getCredentialsByURI, including its habit of de-nerfing `email` into user config."""
    nerfed = nerf_dart(uri)
    default = nerf_dart(str(config.get("registry")))
    fields: dict[str, str] = {}
    email = _str(config, f"{nerfed}:email") or _str(config, "email")
    if email:
        if nerfed == default:
            config.set("email", email, "user")
        fields["email"] = email
    certfile = _str(config, f"{nerfed}:certfile")
    keyfile = _str(config, f"{nerfed}:keyfile")
    if certfile and keyfile:
        fields["certfile"] = certfile
        fields["keyfile"] = keyfile
    token = _str(config, f"{nerfed}:_authToken")
    if token:
        return Credentials(**fields, token=token)
    user = _str(config, f"{nerfed}:username")
    password_b64 = _str(config, f"{nerfed}:_password")
    if user and password_b64:
        password = _b64decode(password_b64).decode("utf-8", "replace")
        return Credentials(**fields, username=user, password=password, auth=_b64encode(f"{user}:{password}"))
    auth = _str(config, f"{nerfed}:_auth")
    if auth:
        decoded = _b64decode(auth).decode("utf-8", "replace").split(":")
        return Credentials(**fields, username=decoded[0], password=":".join(decoded[1:]), auth=auth)
    return Credentials(**fields)


def set_credentials_by_uri(
    config: Config,
    uri: str,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> None:
    """@npmcli/config setCredentialsByURI: write credentials for a registry into the user layer."""
    nerfed = nerf_dart(uri)
    config.delete(f"{nerfed}:always-auth", "user")
    config.delete(f"{nerfed}:email", "user")
    if certfile and keyfile:
        config.set(f"{nerfed}:certfile", certfile, "user")
        config.set(f"{nerfed}:keyfile", keyfile, "user")
    if token:
        config.set(f"{nerfed}:_authToken", token, "user")
        config.delete(f"{nerfed}:_password", "user")
        config.delete(f"{nerfed}:username", "user")
    elif username or password:
        if not username:
            raise ConfigError("must include username")
        if not password:
            raise ConfigError("must include password")
        config.delete(f"{nerfed}:_authToken", "user")
        config.set(f"{nerfed}:username", username, "user")
        # not encryption: npm stores the password base64-encoded
        config.set(f"{nerfed}:_password", _b64encode(password), "user")
    elif not certfile or not keyfile:
        raise ConfigError("No credentials to set.")


def clear_credentials_by_uri(config: Config, uri: str, level: str = "user") -> None:
    """@npmcli/config clearCredentialsByURI: forget a registry's credentials in one layer."""
    nerfed = nerf_dart(uri)
    default = nerf_dart(str(config.get("registry")))
    if default == nerfed:
        for key in ("-authtoken", "_authToken", "_authtoken", "_auth", "_password", "username"):
            config.delete(key, level)
        email = _str(config, f"{nerfed}:email", level)
        if email:
            config.set("email", email, level)
    for suffix in ("_authToken", "_auth", "_password", "username", "email", "certfile", "keyfile"):
        config.delete(f"{nerfed}:{suffix}", level)


def scoped_registry(config: Config, name: str) -> str:
    """The registry for a package name: `@scope:registry` when the name is scoped, else `registry`."""
    if name.startswith("@") and "/" in name:
        scope = name.split("/", 1)[0]
        value = config.get(f"{scope}:registry")
        if isinstance(value, str) and value:
            return value
    return str(config.get("registry"))
