"""`snpm cache …` use cases over npm's cache folder (the `cache` setting; cacache lives in `_cacache`)."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from snpm.cache import maintenance
from snpm.errors import SnpmError

# npm's refusal text for `npm cache clean` without --force (lib/commands/cache.js), word for word
CLEAN_REFUSAL = """As of npm@5, the npm cache self-heals from corruption issues by treating integrity mismatches as cache misses.
As a result, data extracted from the cache is guaranteed to be valid.
If you want to make sure everything is consistent, use `npm cache verify` instead.
Deleting the cache can only make npm go slower, and is not likely to correct any problems you may be encountering!

On the other hand, if you're debugging an issue with the installer, or race conditions that depend on the timing of writing to an empty cache, you can use `npm install --cache /tmp/empty-cache` to use a temporary cache instead of removing the actual one.

If you're sure you want to delete the entire cache, rerun this command with --force."""


def verify(cache_dir: Path, home: str | None) -> list[str]:
    """Verify and compact the cache; the report lines npm prints."""
    stats = maintenance.verify(cache_dir)
    return maintenance.verify_report_lines(stats, cache_dir, home)


class CleanOutcome(msgspec.Struct, frozen=True):
    deleted: tuple[str, ...] = ()
    not_found: str | None = None


def clean(cache_dir: Path, keys: list[str], *, force: bool) -> CleanOutcome:
    """Remove the whole cache (needs force, as in npm) or only the given keys."""
    if not keys:
        if not force:
            raise SnpmError(CLEAN_REFUSAL)
        maintenance.clean(cache_dir)
        return CleanOutcome()
    result = maintenance.clean_keys(cache_dir, keys)
    return CleanOutcome(result.deleted, result.not_found)


def ls(cache_dir: Path, specs: list[str]) -> list[str]:
    return maintenance.ls(cache_dir, specs)


def npx_cache_dir(cache_dir: Path) -> Path:
    """npm's `npxCache` flat option: `<cache>/_npx`."""
    return cache_dir / "_npx"


def npx_entries(cache_dir: Path) -> dict[str, tuple[bool, list[str] | None]] | None:
    """The npx cache folders: hash → (valid package.json?, the `_npx.packages` it records)."""
    import json

    folder = npx_cache_dir(cache_dir)
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    entries: dict[str, tuple[bool, list[str] | None]] = {}
    for name in names:
        try:
            with open(folder / name / "package.json", encoding="utf-8") as f:
                manifest = json.load(f)
        except (OSError, ValueError):
            entries[name] = (False, None)
            continue
        npx = manifest.get("_npx") if isinstance(manifest, dict) else None
        packages = npx.get("packages") if isinstance(npx, dict) else None
        entries[name] = (True, [str(p) for p in packages] if isinstance(packages, list) else None)
    return entries
