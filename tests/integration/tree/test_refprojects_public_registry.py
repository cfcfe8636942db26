"""The reference projects' ideal trees against the default registry, compared byte for byte with the
package-lock.json npm 11.19 wrote for them (registry `resolved` omitted, as those files were made
with omit-lockfile-registry-resolved). Bounded: three projects, each built once; skipped when the
registry cannot be reached. The build times are printed (npm needs about 20 s for `large`).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest

from snpm.config.definitions import DEFINITIONS
from snpm.tree import IdealTreeOptions, LockOptions, build_ideal_tree, lockfile_text
from support.scenario_registry import ScenarioSource, SourceOptions

pytestmark = [pytest.mark.public_registry, pytest.mark.slow]

FIXTURES = Path(__file__).parents[2] / "fixtures" / "refprojects"
REGISTRY = str(DEFINITIONS["registry"].default)


async def _reachable() -> bool:
    async with ScenarioSource(REGISTRY) as source:
        try:
            await asyncio.wait_for(source.packument("is-number"), timeout=15)
        except Exception:
            return False
    return True


@pytest.fixture(scope="module")
def registry_up() -> None:
    if not asyncio.run(_reachable()):
        pytest.skip("the default registry is not reachable")


async def _build(project: Path) -> tuple[str, float, int]:
    options = IdealTreeOptions(package_lock_only=True)
    source_options = SourceOptions(node_version="20.20.2", npm_version="11.19.1")
    async with ScenarioSource(REGISTRY, source_options) as source:
        started = time.perf_counter()
        ideal = await build_ideal_tree(project, source, options)
        elapsed = time.perf_counter() - started
    text = lockfile_text(
        ideal.root,
        ideal.meta,
        package_indent=ideal.package_indent,
        options=LockOptions(omit_lockfile_registry_resolved=True),
    )
    return text, elapsed, len(ideal.root.inventory)


@pytest.mark.parametrize("name", ["small", "medium", "large"])
def test_refproject_lockfile_matches_npm(name: str, tmp_path: Path, registry_up: None) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(FIXTURES / name / "package.json", project / "package.json")
    text, elapsed, nodes = asyncio.run(_build(project))
    print(f"refproject {name}: {nodes} nodes, ideal tree in {elapsed:.2f} s")
    assert text == (FIXTURES / name / "package-lock.json").read_text()
