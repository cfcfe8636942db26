"""What the fetchers read from npm's settings (pacote's slice of flatOptions), as one frozen value.

`fetch_options(config)` builds it from a loaded config; tests build it directly. Everything about the
network itself (registry per scope, credentials, offline/prefer-online, retries, maxsockets) lives in
the RegistryClient's settings instead, and the fetchers read those from the client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import msgspec

from snpm import NPM_VERSION
from snpm.config import Config, JsDate
from snpm.config.definitions import DEFINITIONS, node_version

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "AllowPolicy",
    "FetchOptions",
    "cpu_pool",
    "default_cpu_workers",
    "fetch_options",
    "process_umask",
    "public_registry_host",
]

AllowPolicy = Literal["all", "root", "none"]
_UMASK_LINE = re.compile(r"^Umask:\s*([0-7]+)\s*$", re.MULTILINE)


def default_cpu_workers() -> int:
    """Threads for the fetchers' CPU and file-system work (gunzip, hashing, linking from the store)."""
    return max(2, min(4, os.cpu_count() or 2))


def cpu_pool() -> ThreadPoolExecutor:
    """The fetchers' thread pool (see `default_cpu_workers`)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=default_cpu_workers(), thread_name_prefix="snpm-fetch")


@lru_cache(maxsize=1)
def public_registry_host() -> str:
    """The host `replace-registry-host=npmjs` stands for: the default registry's."""
    return urlsplit(str(DEFINITIONS["registry"].default)).netloc


def process_umask() -> int:
    """The process umask without changing it (Linux exposes it in /proc; elsewhere assume 022)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            match = _UMASK_LINE.search(fh.read())
    except OSError:
        match = None
    return int(match.group(1), 8) if match else 0o022


class FetchOptions(msgspec.Struct, frozen=True):
    """pacote's options. Field names follow npm's config keys.

    `registry` is the configured default registry (replace-registry-host rewrites tarball URLs onto
    it); `before_ms` hides versions published later (epoch ms); `full_metadata` asks for the full
    packument (arborist always does; `before` forces it); `umask` is npm's setting, which pacote
    applies to tarball entry modes, and `process_umask` the one node's open() then applies: the store
    applies both up front, because stored files are shared inodes that cannot follow each process's
    umask later; `allow` maps spec families
    (git, remote, registry, file, directory) to npm 11's allow-* policies.
    """

    registry: str
    default_tag: str = "latest"
    before_ms: float | None = None
    node_version: str | None = None
    npm_version: str | None = NPM_VERSION
    full_metadata: bool = True
    replace_registry_host: str = "npmjs"
    umask: int = 0
    process_umask: int = 0o022
    git: str = "git"
    allow: Mapping[str, AllowPolicy] = msgspec.field(default_factory=dict)

    @property
    def allows_every_kind(self) -> bool:
        """No allow-* policy could refuse a kind of spec (all are `all`, the default): what works
        from an integrity alone (linking from the store, prefetching) may skip the spec."""
        return all(policy == "all" for policy in self.allow.values())

    @property
    def registry_base(self) -> str:
        """The registry without trailing slashes (pacote's removeTrailingSlashes)."""
        return self.registry.rstrip("/")

    @property
    def replace_host(self) -> str:
        """pacote's replaceRegistryHost: `npmjs` (or empty) means the public registry's host."""
        value = self.replace_registry_host
        return public_registry_host() if not value or value == "npmjs" else value

    @property
    def wants_full_metadata(self) -> bool:
        return self.full_metadata or self.before_ms is not None


def _policy(value: object) -> AllowPolicy:
    if value == "root":
        return "root"
    return "none" if value == "none" else "all"


def fetch_options(config: Config, *, full_metadata: bool = True) -> FetchOptions:
    """The fetch options npm's flatOptions give pacote (arborist adds `full_metadata`)."""
    flat = config.flat
    before = flat.get("before")
    before_ms = before.ms if isinstance(before, JsDate) else None
    umask = flat.get("umask")
    config_umask = umask if isinstance(umask, int) and not isinstance(umask, bool) else 0
    return FetchOptions(
        registry=str(flat.get("registry")),
        default_tag=str(flat.get("defaultTag") or "latest"),
        before_ms=before_ms,
        node_version=node_version(str(config.exec_path)),
        npm_version=NPM_VERSION,
        full_metadata=full_metadata,
        replace_registry_host=str(flat.get("replaceRegistryHost") or "npmjs"),
        umask=config_umask,
        process_umask=process_umask(),
        git=str(flat.get("git") or "git"),
        allow={
            "git": _policy(flat.get("allowGit")),
            "remote": _policy(flat.get("allowRemote")),
            "registry": _policy(flat.get("allowRegistry")),
            "file": _policy(flat.get("allowFile")),
            "directory": _policy(flat.get("allowDirectory")),
        },
    )
