"""IdealTreeOptions: everything the ideal-tree builder reads, as one frozen value.

Names are npm's flat options in snake case. The front end maps config onto it (`-D` is
`save_type="dev"`, `-E` is `save_exact`, `--global-style` is `install_strategy="shallow"`, …).
`before`, `default_tag`, `node_version` and `npm_version` also configure the ManifestSource (which
picks versions); the builder itself uses the versions for engine checks.
"""

from __future__ import annotations

from typing import Final

import msgspec

from snpm.errors import SnpmError

__all__ = ["INSTALL_STRATEGIES", "SAVE_TYPES", "IdealTreeOptions"]

INSTALL_STRATEGIES: Final = ("hoisted", "nested", "shallow", "linked")
SAVE_TYPES: Final = ("prod", "dev", "optional", "peer", "peerOptional")


class IdealTreeOptions(msgspec.Struct, frozen=True):
    # what the user asked for
    add: tuple[str, ...] = ()
    rm: tuple[str, ...] = ()
    update_all: bool = False
    update_names: tuple[str, ...] = ()
    # saving (package.json and the lockfile)
    save: bool = True
    save_type: str | None = None
    save_bundle: bool = False
    save_prefix: str = "^"
    save_exact: bool = False
    # resolution
    legacy_peer_deps: bool = False
    strict_peer_deps: bool = False
    force: bool = False
    prefer_dedupe: bool = False
    install_strategy: str = "hoisted"
    install_links: bool = False
    omit: frozenset[str] = frozenset()
    engine_strict: bool = False
    before: str | None = None
    default_tag: str = "latest"
    node_version: str | None = None
    npm_version: str | None = None
    os: str | None = None
    cpu: str | None = None
    libc: str | None = None
    # workspaces
    workspaces: tuple[str, ...] = ()
    include_workspace_root: bool = False
    workspaces_enabled: bool = True
    # mode
    global_: bool = False
    package_lock: bool = True
    package_lock_only: bool = False
    dry_run: bool = False
    lockfile_version: int | None = None
    omit_lockfile_registry_resolved: bool = False
    prune: bool = True
    follow: bool = False
    # where relative paths in `add` specs start (npm: the current directory)
    cwd: str | None = None
    # allow-git / allow-file / allow-remote / allow-directory: "all", "root" (the project's and its
    # workspaces' own dependencies only) or "none"
    allow_git: str = "all"
    allow_file: str = "all"
    allow_remote: str = "all"
    allow_directory: str = "all"

    def __post_init__(self) -> None:
        if self.save_type is not None and self.save_type not in SAVE_TYPES:
            raise SnpmError(f"Invalid saveType {self.save_type}")
        if self.install_strategy not in INSTALL_STRATEGIES:
            raise SnpmError(f"Invalid install strategy {self.install_strategy}", code="EINVALIDCONFIG")
        if self.lockfile_version not in (None, 1, 2, 3):
            raise SnpmError(f"Invalid lockfileVersion config: {self.lockfile_version}")

    @property
    def effective_save_prefix(self) -> str:
        """npm's savePrefix: '' with save-exact."""
        return "" if self.save_exact else self.save_prefix

    @property
    def complete(self) -> bool:
        """arborist `complete`: look inside tarballs with bundles or shrinkwraps (lockfile-only, dry run)."""
        return self.package_lock_only or self.dry_run

    @property
    def effective_install_strategy(self) -> str:
        return "shallow" if self.global_ else self.install_strategy
