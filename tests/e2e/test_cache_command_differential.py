"""`snpm cache …` against `npm cache …`: same outputs, same exit codes, and one cache usable by both.

Normalisations: the heading word (`snpm` → `npm`), the `A complete log …` line (its file name carries the
start time) and `Finished in …s` (a duration).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.fake_registry import FakeRegistry, fake_registry  # noqa: F401 - the fixture
from support.npm_world import NPM, RunResult, World, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]


def _normal(result: RunResult) -> tuple[int, str, str]:
    def clean(text: str) -> str:
        text = re.sub(r"^snpm (error|warn|notice)", r"npm \1", text, flags=re.M)
        text = re.sub(r"^npm error A complete log of this run can be found in: .*\n", "", text, flags=re.M)
        return re.sub(r"^Finished in .*s$", "Finished in Ns", text, flags=re.M)

    return result.code, clean(result.stdout), clean(result.stderr)


@pytest.fixture
def worlds(tmp_path: Path, fake_registry: FakeRegistry) -> tuple[World, World, str]:  # noqa: F811
    fake_registry.add_packument("demo", versions=["1.0.0", "1.1.0", "2.0.0"])
    fake_registry.add_packument("@sc/thing", versions=["0.1.0"])
    registry = fake_registry.url
    npm_world, snpm_world = make_world(tmp_path / "npm"), make_world(tmp_path / "snpm")
    for world in (npm_world, snpm_world):
        world.write("home/.npmrc", f"registry={registry}\n")
    return npm_world, snpm_world, registry


def _both(worlds: tuple[World, World, str], *args: str) -> tuple[RunResult, RunResult]:
    npm_world, snpm_world, _ = worlds
    return npm_world.run_npm(args), snpm_world.run_snpm(args)


def test_add_ls_verify_clean_match_npm(worlds: tuple[World, World, str]) -> None:
    npm_result, snpm_result = _both(worlds, "cache", "add", "demo@^1", "@sc/thing")
    assert _normal(snpm_result) == _normal(npm_result)
    for args in (
        ("cache", "ls"),
        ("cache", "ls", "demo@1.1.0"),
        ("cache", "ls", "demo@^1", "@sc/thing"),
        ("cache", "verify"),
        ("cache", "clean"),
        ("cache", "rm"),
        ("cache",),
        ("cache", "bogus"),
        ("cache", "ls", "demo@latest"),
        ("cache", "npx", "ls"),
    ):
        npm_result, snpm_result = _both(worlds, *args)
        assert _normal(snpm_result) == _normal(npm_result), args


def test_each_tool_reads_the_cache_the_other_wrote(worlds: tuple[World, World, str]) -> None:
    npm_world, snpm_world, _ = worlds
    assert snpm_world.run_snpm(["cache", "add", "demo@1.1.0"]).code == 0
    assert npm_world.run_npm(["cache", "add", "demo@2.0.0"]).code == 0
    # offline, each tool can only succeed from the other's cache entries
    assert npm_world.run_snpm(["cache", "add", "demo@2.0.0", "--offline"]).code == 0
    offline = snpm_world.run_npm(["cache", "add", "demo@1.1.0", "--offline"])
    assert offline.code == 0, offline.stderr
    listing = [w.run_npm(["cache", "ls"]).stdout for w in (npm_world, snpm_world)]
    assert listing == [w.run_snpm(["cache", "ls"]).stdout for w in (npm_world, snpm_world)]


def test_clean_by_key_and_errors_match_npm(worlds: tuple[World, World, str]) -> None:
    npm_world, snpm_world, registry = worlds
    _both(worlds, "cache", "add", "demo@1.0.0")
    key = f"make-fetch-happen:request-cache:{registry.rstrip('/')}/demo/-/demo-1.0.0.tgz"
    npm_result, snpm_result = _both(worlds, "cache", "clean", key, "nope")
    assert _normal(snpm_result) == _normal(npm_result)
    npm_result, snpm_result = _both(worlds, "cache", "add", "does-not-exist")
    assert _normal(snpm_result) == _normal(npm_result)
    npm_result, snpm_result = _both(worlds, "cache", "add")
    assert _normal(snpm_result) == _normal(npm_result)
    npm_result, snpm_result = _both(worlds, "cache", "clean", "--force")
    assert (npm_result.code, snpm_result.code) == (0, 0)
    assert not (npm_world.cache / "_cacache").exists() and not (snpm_world.cache / "_cacache").exists()
