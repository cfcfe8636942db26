"""The registry server's settings: defaults, the config file (TOML or JSON) and command-line overrides.

Precedence: built-in defaults < config file < command-line flags. Keys may be written with `-` or
`_` (`max-body-size` = `max_body_size`).

The uplink defaults to npm's public registry, as Verdaccio's default configuration does: packages
this registry does not hold are fetched from there and cached (`uplink = false` in a config file or
`--no-uplink` keeps the registry local-only; `local-scopes` never leave it). This module is the one
place the registry server names that address.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from msgspec.structs import asdict, fields, replace

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.npm_registry import NPM_PUBLIC_REGISTRY

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_UPLINK",
    "LoginLimits",
    "ServerSettings",
    "SettingsError",
    "default_data_dir",
    "load_settings",
    "normalize_scope",
]

DEFAULT_PORT = 4873
# npm's own default registry (npm's `registry` setting); the uplink unless configured otherwise
DEFAULT_UPLINK = NPM_PUBLIC_REGISTRY
MAX_WORKERS = 64
MiB = 1024 * 1024


class SettingsError(SnpmError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="EINVALIDCONFIG")


class LoginLimits(msgspec.Struct, frozen=True):
    """Failed-login budget per user name and per client address within a sliding window."""

    max_failures_per_user: int = 10
    max_failures_per_ip: int = 50
    window_seconds: float = 900.0
    # bounded memory: the least recently seen keys are forgotten beyond this many
    max_tracked_keys: int = 10_000


class PasswordHashing(msgspec.Struct, frozen=True):
    """argon2id parameters (argon2-cffi's defaults, RFC 9106's low-memory profile). Lower them only
    for tests: a cheaper hash is a cheaper guess."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4


class ServerSettings(msgspec.Struct, frozen=True):
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data: Path = msgspec.field(default_factory=lambda: default_data_dir())
    config_file: Path | None = None
    # sqlite:///abs/path.db (None: <data>/registry.db) or postgresql://user@host:port/db (tarballs
    # stay in <data>, a folder every worker and host shares)
    database: str | None = None
    # the registry packages not held here come from (None: local only)
    uplink: str | None = DEFAULT_UPLINK
    # seconds a cached uplink packument is served before the uplink is asked again (with its ETag)
    uplink_max_age: float = 120.0
    # seconds one uplink request may take (connecting included)
    uplink_timeout: float = 30.0
    # scopes (`@corp`) whose packages are never looked up on the uplink
    local_scopes: tuple[str, ...] = ()
    # worker processes sharing the listening port (SO_REUSEPORT on Linux)
    workers: int = 1
    max_body_size: int = 64 * MiB
    max_unpacked_size: int = 512 * MiB
    allow_signup: bool = True
    read_requires_login: bool = False
    # the registry's externally visible base URL (tarball URLs); else taken from each request
    public_url: str | None = None
    # honour X-Forwarded-Proto/Host/Prefix/For (only behind a proxy you control)
    trust_proxy: bool = False
    # "-" = stderr, a path = append JSON lines there, None = no access log
    access_log: str | None = "-"
    login_limits: LoginLimits = msgspec.field(default_factory=LoginLimits)
    password_hashing: PasswordHashing = msgspec.field(default_factory=PasswordHashing)
    # answer `npm login`'s web flow (else npm falls back to asking in the terminal)
    web_login: bool = True
    # a JSON file of advisories served by the audit endpoint beside those stored (re-read on change)
    advisories_file: str | None = None

    @property
    def database_path(self) -> Path:
        if self.database is None:
            return self.data / "registry.db"
        return Path(urlsplit(self.database).path)

    @property
    def tarball_root(self) -> Path:
        return self.data / "tarballs"

    @property
    def uplink_tarball_root(self) -> Path:
        """Tarballs cached from the uplink (apart from published ones: a later local publish of the
        same name must never overwrite or delete them)."""
        return self.data / "uplink"

    @property
    def uses_postgres(self) -> bool:
        return self.database is not None and urlsplit(self.database).scheme in _POSTGRES_SCHEMES

    def to_json(self) -> JsonObject:
        raw = asdict(self)
        out: JsonObject = {}
        for key, value in raw.items():
            if isinstance(value, Path):
                out[key] = str(value)
            elif isinstance(value, msgspec.Struct):
                out[key] = {k: v for k, v in asdict(value).items() if isinstance(v, int | float | str | bool)}
            elif isinstance(value, tuple):
                out[key] = [str(v) for v in value]
            else:
                out[key] = value
        out["database"] = (
            _without_password(self.database) if self.database else f"sqlite:///{self.database_path}"
        )
        return out

    def validate(self) -> ServerSettings:
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port must be between 0 and 65535, not {self.port}")
        if self.max_body_size <= 0 or self.max_unpacked_size <= 0:
            raise SettingsError("max-body-size and max-unpacked-size must be positive")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise SettingsError(f"workers must be between 1 and {MAX_WORKERS}, not {self.workers}")
        if self.uplink is not None:
            _check_http_url("uplink", self.uplink)
        if self.uplink_max_age < 0 or self.uplink_timeout <= 0:
            raise SettingsError("uplink-max-age must be >= 0 and uplink-timeout positive")
        for scope in self.local_scopes:
            if not _SCOPE.match(scope):
                raise SettingsError(f"local-scopes entries must look like @scope, not {scope!r}")
        if self.public_url is not None:
            _check_http_url("public-url", self.public_url)
        if self.database is not None:
            parts = urlsplit(self.database)
            if parts.scheme in _POSTGRES_SCHEMES:
                if not parts.netloc and "host=" not in parts.query:
                    raise SettingsError(
                        f"a PostgreSQL database URL needs a host: {_without_password(self.database)!r}"
                    )
            elif parts.scheme != "sqlite" or not parts.path:
                raise SettingsError(
                    "database must be sqlite:///<path> or postgresql://<user>@<host>/<db>, "
                    f"not {_without_password(self.database)!r}"
                )
        return self


def default_data_dir() -> Path:
    """The per-user data folder (`~/.local/share/snpm-registry` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("snpm-registry", appauthor=False))


def _without_password(url: str) -> str:
    """A database URL as safe to print (its password replaced by `***`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()


def normalize_scope(scope: str) -> str:
    """`corp`, `@corp` and `@corp/` all name the scope `@corp`."""
    scope = scope.strip().rstrip("/")
    return scope if scope.startswith("@") else f"@{scope}"


def _check_http_url(key: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{key} must be an http(s) URL, not {value!r}")


_POSTGRES_SCHEMES = ("postgres", "postgresql")
_SCOPE = re.compile(r"^@[a-z0-9][a-z0-9._~-]*$")

_SIMPLE_TYPES: dict[str, type] = {
    "host": str,
    "port": int,
    "database": str,
    "uplink": str,
    "workers": int,
    "uplink_max_age": float,
    "uplink_timeout": float,
    "max_body_size": int,
    "max_unpacked_size": int,
    "allow_signup": bool,
    "read_requires_login": bool,
    "public_url": str,
    "trust_proxy": bool,
    "access_log": str,
    "web_login": bool,
    "advisories_file": str,
}


def _coerce(key: str, value: object, expected: type) -> object:
    name = key.replace("-", "_")
    if value is None and name in ("database", "uplink", "public_url", "access_log", "advisories_file"):
        return None
    if name == "uplink" and (value is False or value == ""):
        return None  # TOML has no null: `uplink = false` keeps the registry local-only
    if expected is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if expected is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if expected is bool and isinstance(value, bool):
        return value
    if expected is str and isinstance(value, str):
        return value
    raise SettingsError(f"config key {key!r} must be of type {expected.__name__}, not {value!r}")


_TABLES = ("login_limits", "password_hashing")


def _table(
    current: LoginLimits | PasswordHashing, table: str, raw: Mapping[str, object], where: str
) -> object:
    types = {f.name: f.type for f in fields(current)}
    changes: dict[str, object] = {}
    for raw_key, value in raw.items():
        key = str(raw_key).replace("-", "_")
        if key not in types:
            raise SettingsError(f"unknown key {table}.{raw_key} in {where}")
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise SettingsError(f"{table}.{raw_key} must be a positive number in {where}")
        changes[key] = float(value) if types[key] is float else int(value)
    return replace(current, **changes)


def _from_mapping(base: ServerSettings, raw: Mapping[str, object], where: str) -> ServerSettings:
    changes: dict[str, object] = {}
    for raw_key, value in raw.items():
        key = raw_key.replace("-", "_")
        if key == "data":
            if not isinstance(value, str):
                raise SettingsError(f"config key 'data' must be a path string in {where}")
            changes["data"] = Path(value).expanduser()
        elif key == "local_scopes":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"config key {raw_key!r} must be a list of scopes in {where}")
            changes[key] = tuple(normalize_scope(v) for v in value)
        elif key in _TABLES:
            if not isinstance(value, Mapping):
                raise SettingsError(f"config key {raw_key!r} must be a table in {where}")
            changes[key] = _table(getattr(base, key), raw_key, value, where)
        elif key in _SIMPLE_TYPES:
            changes[key] = _coerce(raw_key, value, _SIMPLE_TYPES[key])
        else:
            raise SettingsError(f"unknown config key {raw_key!r} in {where}")
    return replace(base, **changes)


def read_config_file(path: Path) -> Mapping[str, object]:
    try:
        text = path.read_bytes()
    except OSError as err:
        raise SettingsError(f"cannot read config file {path}: {err.strerror}") from err
    try:
        data: object = json.loads(text) if path.suffix == ".json" else tomllib.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise SettingsError(f"cannot parse config file {path}: {err}") from err
    if not isinstance(data, dict):
        raise SettingsError(f"config file {path} must hold a table/object")
    return data


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, object] | None = None,
    unset: tuple[str, ...] = (),
) -> ServerSettings:
    """Defaults, then `config_file`, then `overrides` (already-typed values from the command line;
    None means "not given"), then `unset` (keys a flag such as `--no-uplink` clears)."""
    settings = ServerSettings()
    if config_file is not None:
        settings = _from_mapping(settings, read_config_file(config_file), str(config_file))
        settings = replace(settings, config_file=config_file)
        if not settings.data.is_absolute():
            settings = replace(settings, data=(config_file.parent / settings.data))
        if settings.advisories_file and not Path(settings.advisories_file).expanduser().is_absolute():
            settings = replace(settings, advisories_file=str(config_file.parent / settings.advisories_file))
    if overrides:
        settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    if unset:
        settings = replace(settings, **dict.fromkeys(unset))
    return settings.validate()
