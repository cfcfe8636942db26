"""Benchmark: snpm.semver.max_satisfying over a packument-sized list of 3,000 version strings.

Run with `.venv/bin/python bench/semver_pick.py`. Prints milliseconds per call for a few typical
ranges, cold (parse caches cleared before every call) and warm (versions already parsed, which is
the case when one packument is consulted for several dependants). Not a test: timings depend on
the machine.
"""

from __future__ import annotations

import random
import time

from snpm.semver import max_satisfying, min_satisfying
from snpm.semver.range import _parse_range_part, _range_cached
from snpm.semver.version import parse_cached

RANGES = (
    "^1.2.3",
    "~2.5.0",
    ">=1.0.0 <3.0.0 || ^4.0.0",
    "*",
    "1.x || >=5.1.0-beta.2 <6",
    "^0.0.1",
    "4.2.1 - 5.3.x",
)


def synthetic_versions(count: int = 3000, seed: int = 7) -> list[str]:
    """Release lines like a busy package: mostly releases, some prereleases and build tags."""
    rng = random.Random(seed)
    versions: set[str] = set()
    while len(versions) < count:
        major = rng.randint(0, 9)
        minor = rng.randint(0, 30)
        patch = rng.randint(0, 40)
        text = f"{major}.{minor}.{patch}"
        roll = rng.random()
        if roll < 0.2:
            text += f"-{rng.choice(('alpha', 'beta', 'rc', 'next'))}.{rng.randint(0, 12)}"
        elif roll < 0.23:
            text += f"+build.{rng.randint(1, 999)}"
        versions.add(text)
    ordered = list(versions)
    rng.shuffle(ordered)
    return ordered


def _clear_caches() -> None:
    parse_cached.cache_clear()
    _range_cached.cache_clear()
    _parse_range_part.cache_clear()


def _time(call: object, repeat: int, cold: bool) -> float:
    assert callable(call)
    best = float("inf")
    for _ in range(repeat):
        if cold:
            _clear_caches()
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    versions = synthetic_versions()
    print(f"max_satisfying over {len(versions)} versions (best of runs, ms per call)")
    print(f"{'range':32} {'cold':>8} {'warm':>8}  result")
    for text in RANGES:
        cold = _time(lambda text=text: max_satisfying(versions, text), 5, cold=True)
        warm = _time(lambda text=text: max_satisfying(versions, text), 50, cold=False)
        print(f"{text:32} {cold:8.3f} {warm:8.3f}  {max_satisfying(versions, text)}")
    warm_min = _time(lambda: min_satisfying(versions, "^1.2.3"), 50, cold=False)
    print(f"min_satisfying ^1.2.3 warm: {warm_min:.3f} ms")


if __name__ == "__main__":
    main()
