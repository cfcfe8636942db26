"""npm-install-checks: engines and os/cpu/libc, as the ideal-tree builder applies them.

`check_engine` fails (EBADENGINE) when `engines.node`/`engines.npm` exclude the running versions
(semver with prereleases included; `force` skips the node check). `check_platform` fails
(EBADPLATFORM) when `os`/`cpu`/`libc` exclude the platform: entries may be negated with `!`, `any`
alone matches everything, and a package naming a libc fails where none can be detected. The
current platform is node's `process.platform`/`process.arch` and the libc family read from
/usr/bin/ldd, overridable with the `os`/`cpu`/`libc` settings.
"""

from __future__ import annotations

import platform
import sys
from functools import lru_cache

import msgspec

from snpm import semver
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue

__all__ = ["Platform", "check_engine", "check_platform", "current_platform"]

_ARCH = {
    "x86_64": "x64",
    "amd64": "x64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "ia32",
    "i686": "ia32",
    "armv7l": "arm",
    "armv6l": "arm",
    "ppc64le": "ppc64",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "loongarch64": "loong64",
}


class Platform(msgspec.Struct, frozen=True):
    os: str
    cpu: str
    libc: str | None


@lru_cache(maxsize=1)
def _libc_family() -> str | None:
    try:
        with open("/usr/bin/ldd", encoding="utf-8", errors="replace") as handle:
            content = handle.read()
    except OSError:
        name, _version = platform.libc_ver()
        return "glibc" if name == "glibc" else None
    if "musl" in content:
        return "musl"
    if "GNU C Library" in content:
        return "glibc"
    return None


def current_platform(os: str | None = None, cpu: str | None = None, libc: str | None = None) -> Platform:
    """node's view of this machine, with the `os`/`cpu`/`libc` overrides applied."""
    os_name = os or ("win32" if sys.platform.startswith("win") else sys.platform)
    if os_name.startswith("linux"):
        os_name = "linux"
    machine = platform.machine().lower()
    cpu_name = cpu or _ARCH.get(machine, machine)
    libc_name = libc or (_libc_family() if os_name == "linux" else None)
    return Platform(os_name, cpu_name, libc_name)


def _satisfies(version: str, range_: str) -> bool:
    try:
        return semver.satisfies(version, range_, include_prerelease=True)
    except TypeError:
        return False


def check_engine(
    pkg: JsonObject, npm_version: str | None, node_version: str | None, force: bool = False
) -> None:
    engines = pkg.get("engines")
    if not isinstance(engines, dict) or not engines:
        return
    node_range, npm_range = engines.get("node"), engines.get("npm")
    nodev = None if force else node_version
    node_fail = bool(
        nodev and isinstance(node_range, str) and node_range and not _satisfies(nodev, node_range)
    )
    npm_fail = bool(
        npm_version and isinstance(npm_range, str) and npm_range and not _satisfies(npm_version, npm_range)
    )
    if node_fail or npm_fail:
        raise SnpmError(
            "Unsupported engine",
            code="EBADENGINE",
            pkgid=_str(pkg.get("_id")),
            extra={"current": {"node": node_version, "npm": npm_version}, "required": engines},
        )


def _check_list(value: str | None, entries: JsonValue) -> bool:
    items = [entries] if isinstance(entries, str) else entries if isinstance(entries, list) else []
    if len(items) == 1 and items[0] == "any":
        return True
    negated = 0
    match = False
    for entry in items:
        if not isinstance(entry, str):
            continue
        if entry.startswith("!"):
            negated += 1
            if value == entry[1:]:
                return False
        else:
            match = match or value == entry
    return match or negated == len(items)


def check_platform(pkg: JsonObject, force: bool = False, env: Platform | None = None) -> None:
    if force:
        return
    env = env or current_platform()
    wanted_os, wanted_cpu, wanted_libc = pkg.get("os"), pkg.get("cpu"), pkg.get("libc")
    os_ok = _check_list(env.os, wanted_os) if wanted_os else True
    cpu_ok = _check_list(env.cpu, wanted_cpu) if wanted_cpu else True
    libc_ok = _check_list(env.libc, wanted_libc) if wanted_libc else True
    if wanted_libc and not env.libc:
        libc_ok = False
    if not (os_ok and cpu_ok and libc_ok):
        raise SnpmError(
            "Unsupported platform",
            code="EBADPLATFORM",
            pkgid=_str(pkg.get("_id")),
            extra={
                "current": {"os": env.os, "cpu": env.cpu, "libc": env.libc},
                "required": {"os": wanted_os, "cpu": wanted_cpu, "libc": wanted_libc},
            },
        )


def _str(value: JsonValue) -> str | None:
    return value if isinstance(value, str) else None
