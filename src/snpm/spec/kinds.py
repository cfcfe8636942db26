"""What a package spec turned out to be: npm-package-arg's Result, as one frozen class per kind.

`RegistrySpec` (type version/range/tag), `AliasSpec` (`npm:other@range`), `GitSpec`, `RemoteSpec`
(tarball URL), `FileSpec` (local tarball) and `DirectorySpec` (local folder). Every kind has npa's
fields under snake_case names (`raw`, `name`, `raw_spec`, `save_spec`, `fetch_spec`, ...), with the
types that kind allows: a registry spec always has a `fetch_spec` and never a `save_spec`; git
committish fields exist only on `GitSpec`. `str(spec)` is npa's `toString()`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import msgspec

from snpm.spec.git_hosts import HostedGit
from snpm.spec.names import escape_name, scope_of

SpecType = Literal["version", "range", "tag", "alias", "git", "remote", "file", "directory"]
RegistrySpecType = Literal["version", "range", "tag"]


class _Spec(msgspec.Struct, frozen=True, kw_only=True):
    """The fields every kind shares. `raw` is the argument as given (`foo@^1`), `raw_spec` the part
    after the name (`^1`, or `*`/`""` when there was none)."""

    raw: str
    name: str | None
    raw_spec: str

    registry: ClassVar[bool] = False

    @property
    def escaped_name(self) -> str | None:
        """The name as it appears in registry URLs: `@scope%2fname`."""
        return None if self.name is None else escape_name(self.name)

    @property
    def scope(self) -> str | None:
        return None if self.name is None else scope_of(self.name)

    def _spec_text(self) -> str | None:
        raise NotImplementedError

    def __str__(self) -> str:
        # npa's toString: name@(saveSpec || fetchSpec || rawSpec), skipping the empty parts
        spec = self._spec_text() or self.raw_spec
        parts = [part for part in (self.name, spec) if part]
        return "@".join(parts) if parts else self.raw


class RegistrySpec(_Spec, frozen=True, kw_only=True):
    """A name with a version (`1.2.3`), a range (`^1.2.0`, `*`) or a dist-tag (`latest`).

    `fetch_spec` is the trimmed spec that is looked up in the packument.
    """

    type: RegistrySpecType
    fetch_spec: str
    save_spec: None = None

    registry: ClassVar[bool] = True

    def _spec_text(self) -> str | None:
        return self.fetch_spec


class AliasSpec(_Spec, frozen=True, kw_only=True):
    """`name@npm:other@range`: install the registry package `sub_spec` under `name`."""

    sub_spec: RegistrySpec
    type: Literal["alias"] = "alias"
    save_spec: None = None
    fetch_spec: None = None

    registry: ClassVar[bool] = True

    def _spec_text(self) -> str | None:
        return None


class GitSpec(_Spec, frozen=True, kw_only=True):
    """A git repository: a known host (`hosted` is set) or any git URL.

    `fetch_spec` is the URL to clone (None for host shortcuts such as `github:u/r`, which are
    fetched through `hosted`). The committish part (`#v1`, `#semver:^1`, `#path:sub`, or several
    joined by `::`) becomes `git_committish`, `git_range` and `git_subdir` (`/sub`).
    """

    save_spec: str
    fetch_spec: str | None
    hosted: HostedGit | None = None
    git_range: str | None = None
    git_committish: str | None = None
    git_subdir: str | None = None
    type: Literal["git"] = "git"

    def _spec_text(self) -> str | None:
        return self.save_spec or self.fetch_spec


class RemoteSpec(_Spec, frozen=True, kw_only=True):
    """An http(s) tarball URL."""

    save_spec: str
    fetch_spec: str
    type: Literal["remote"] = "remote"

    def _spec_text(self) -> str | None:
        return self.save_spec or self.fetch_spec


class _LocalSpec(_Spec, frozen=True, kw_only=True):
    """A path on disk. `save_spec` is the `file:` form written to package.json (relative to `where`
    unless it was absolute or under `~`); `fetch_spec` is the absolute path; `where` is the
    directory the spec was resolved from."""

    save_spec: str
    fetch_spec: str
    where: str

    def _spec_text(self) -> str | None:
        return self.save_spec or self.fetch_spec


class FileSpec(_LocalSpec, frozen=True, kw_only=True):
    """A local tarball (`.tgz`, `.tar.gz`, `.tar`)."""

    type: Literal["file"] = "file"


class DirectorySpec(_LocalSpec, frozen=True, kw_only=True):
    """A local package folder."""

    type: Literal["directory"] = "directory"


PackageSpec = RegistrySpec | AliasSpec | GitSpec | RemoteSpec | FileSpec | DirectorySpec
