"""The Storage protocol every backend implements, and the records it stores.

Packages change only through `update_package(name, transform)`: the backend runs the transform on
the current state under its per-package lock/transaction and applies the returned `PackageChange`
atomically (tarball files are moved into place before the database commit, so a crash between the
two leaves the package exactly as it was). Tarball bytes reach the backend in two steps: the
service stages the upload first (outside any lock), the transform then names the staged file.

Backends: `storage.sqlite.SqliteStorage` (the embedded default). A PostgreSQL backend plugs in here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from snpm.json_types import JsonObject

__all__ = [
    "NewTarball",
    "PackageChange",
    "PackageState",
    "PackageTransform",
    "StagedTarball",
    "Storage",
    "StoredPackage",
    "TarballRecord",
    "TokenPage",
    "TokenRecord",
    "UserRecord",
]


@dataclass(frozen=True, slots=True)
class StoredPackage:
    """A package's full packument as stored: `dist.tarball` holds the path below the registry URL,
    and `_id`/`_rev` are not part of `document` (the revision lives beside it)."""

    name: str
    rev: str
    document: JsonObject


@dataclass(frozen=True, slots=True)
class PackageState:
    """What a transform sees: the current package (None for an unused name) and every version
    number ever published under the name, unpublished ones included (versions are immutable)."""

    current: StoredPackage | None
    published_versions: frozenset[str]


@dataclass(frozen=True, slots=True)
class StagedTarball:
    """An uploaded tarball written (and fsynced) to the backend's staging area."""

    path: Path
    size: int
    integrity: str
    shasum: str


@dataclass(frozen=True, slots=True)
class NewTarball:
    filename: str
    version: str
    staged: StagedTarball


@dataclass(frozen=True, slots=True)
class PackageChange:
    """The outcome of a transform. `document` None deletes the package (and all its tarballs).

    `changed` False means "nothing to write": the backend commits nothing and keeps the revision.
    Returning the current document object itself (with tarball removals) keeps the revision too.
    """

    document: JsonObject | None
    add_tarballs: tuple[NewTarball, ...] = ()
    remove_tarballs: tuple[str, ...] = ()
    record_versions: tuple[str, ...] = ()
    changed: bool = True


PackageTransform = Callable[[PackageState], PackageChange]


@dataclass(frozen=True, slots=True)
class TarballRecord:
    name: str
    filename: str
    version: str
    size: int
    integrity: str
    shasum: str
    # a local file the server can sendfile(); None for backends that only stream bytes
    path: Path | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    email: str
    password_hash: str
    created: str
    updated: str


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token as stored: never the token itself, only its sha512 hex and a short listing prefix."""

    key: str
    token_hash: str
    user: str
    prefix: str
    name: str
    description: str
    readonly: bool
    cidr_whitelist: tuple[str, ...]
    created: str
    updated: str
    expires: str | None


@dataclass(frozen=True, slots=True)
class TokenPage:
    tokens: tuple[TokenRecord, ...]
    total: int


class Storage(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    # ── packages ──
    async def read_package(self, name: str) -> StoredPackage | None: ...

    async def read_revision(self, name: str) -> str | None:
        """The current revision alone (cheap; for conditional GETs)."""
        ...

    async def update_package(self, name: str, transform: PackageTransform) -> StoredPackage | None:
        """Apply `transform` atomically under the package's lock; return the package afterwards."""
        ...

    async def package_names(self) -> Sequence[str]: ...

    # ── tarballs ──
    async def stage_tarball(self, data: bytes, integrity: str, shasum: str) -> StagedTarball: ...

    async def discard_staged(self, staged: StagedTarball) -> None: ...

    async def tarball(self, name: str, filename: str) -> TarballRecord | None: ...

    async def read_tarball(self, record: TarballRecord) -> bytes: ...

    # ── users ──
    async def get_user(self, name: str) -> UserRecord | None: ...

    async def create_user(self, record: UserRecord) -> bool:
        """Insert a user; False when the name is taken."""
        ...

    async def set_password(self, name: str, password_hash: str, updated: str) -> bool: ...

    async def remove_user(self, name: str) -> bool:
        """Delete a user and every token of theirs."""
        ...

    async def list_users(self) -> Sequence[UserRecord]: ...

    # ── tokens ──
    async def add_token(self, record: TokenRecord) -> None: ...

    async def token_by_hash(self, token_hash: str) -> TokenRecord | None: ...

    async def list_tokens(self, user: str | None, offset: int = 0, limit: int | None = None) -> TokenPage: ...

    async def remove_token(self, key: str) -> bool: ...
