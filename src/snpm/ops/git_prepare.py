"""pacote's GitFetcher#prepareDir: a git dependency with build scripts gets its own dependencies first.

Before a cloned git dependency whose package.json has workspaces or any of postinstall, build,
preinstall, install, prepack or prepare is packed, npm runs `npm install --force` in the clone with
pacote's `npmCliConfig` (the cache, the prefer-* and offline flags, `--before`, then no progress, no
save, no audit, every dependency type, the real tree), so that the `prepare` script the directory
packer runs next can find what it needs. snpm runs itself the same way (this interpreter,
`-m snpm`). `_PACOTE_NO_PREPARE_` lists the repositories already being prepared up the chain, so
that git dependencies of each other do not prepare one another forever.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from snpm.config.values import JsDate
from snpm.errors import SnpmError
from snpm.json_types import JsonObject

__all__ = ["NO_PREPARE_ENV", "install_clone_dependencies", "npm_cli_config"]

NO_PREPARE_ENV = "_PACOTE_NO_PREPARE_"


def _flag(value: object) -> str:
    return "true" if value else "false"


def npm_cli_config(flat: Mapping[str, object], cache_dir: Path) -> list[str]:
    """pacote's default `npmCliConfig` for the nested install."""
    before = flat.get("before")
    before_iso = before.iso() if isinstance(before, JsDate) else None
    return [
        f"--cache={cache_dir}",
        f"--prefer-offline={_flag(flat.get('preferOffline'))}",
        f"--prefer-online={_flag(flat.get('preferOnline'))}",
        f"--offline={_flag(flat.get('offline'))}",
        *([f"--before={before_iso}"] if isinstance(before_iso, str) else []),
        "--no-progress",
        "--no-save",
        "--no-audit",
        "--include=dev",
        "--include=peer",
        "--include=optional",
        "--no-package-lock-only",
        "--no-dry-run",
    ]


async def install_clone_dependencies(
    folder: Path,
    manifest: JsonObject,
    *,
    env: Mapping[str, str],
    flat: Mapping[str, object],
    cache_dir: Path,
    log: Callable[[str, str, str], None],
) -> None:
    """`npm install --force` in the clone, unless this repository is already being prepared."""
    resolved = manifest.get("_resolved")
    seen = [line for line in env.get(NO_PREPARE_ENV, "").split("\n") if line]
    if isinstance(resolved, str):
        if resolved in seen:
            log("info", "prepare", f"skip prepare, already seen {resolved}")
            return
        seen.append(resolved)
    args = [sys.executable, "-m", "snpm", "install", "--force", *npm_cli_config(flat, cache_dir)]
    child_env = {**env, NO_PREPARE_ENV: "\n".join(seen)}
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            cwd=os.fspath(folder),
            env=child_env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as err:
        raise SnpmError(f"git dep preparation failed: {err}", code=err.errno or "ENOENT") from None
    stdout, stderr = await process.communicate()
    if process.returncode:
        # promise-spawn's rejection: the message pacote gave, the exit code, the output kept
        output = (stderr or stdout).decode(errors="replace").strip()
        raise SnpmError(
            "git dep preparation failed",
            code=process.returncode,
            detail=f"command {' '.join(args)}\n{output}" if output else f"command {' '.join(args)}",
        )
