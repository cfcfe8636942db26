"""The reference projects' ideal trees against the default registry, compared byte for byte with the
package-lock.json the real npm writes for them in the same test (`--package-lock-only`, registry
`resolved` omitted as in the committed files). The registry moves on (new versions of a package
change the lockfile), so the committed lockfiles are not the reference here: npm, run now, is.
Bounded: three projects, each built once by each program; skipped when the registry cannot be
reached or npm is not installed. The build times are printed (npm needs about 20 s for `large`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest

from snpm.config.definitions import DEFINITIONS
from snpm.tree import IdealTreeOptions, LockOptions, build_ideal_tree, lockfile_text
from support.npm_world import NPM, World
from support.scenario_registry import ScenarioSource, SourceOptions

pytestmark = [pytest.mark.public_registry, pytest.mark.slow]

FIXTURES = Path(__file__).parents[2] / "fixtures" / "refprojects"
REGISTRY = str(DEFINITIONS["registry"].default)
_TRUST_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR")


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


def _npm_lockfile(tmp_path: Path, name: str) -> tuple[str, float]:
    world = World(tmp_path / "npm").setup()
    shutil.copy(FIXTURES / name / "package.json", world.project / "package.json")
    started = time.perf_counter()
    done = world.run_npm(
        ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
        # the machine's trust settings pass through: the registry may sit behind a private CA
        env={"npm_config_omit_lockfile_registry_resolved": "true"}
        | {k: v for k, v in os.environ.items() if k in _TRUST_VARIABLES},
    )
    assert done.code == 0, done.stderr
    return (world.project / "package-lock.json").read_text(), time.perf_counter() - started


@pytest.mark.skipif(NPM is None, reason="npm is not installed")
@pytest.mark.parametrize("name", ["small", "medium", "large"])
def test_refproject_lockfile_matches_npm(name: str, tmp_path: Path, registry_up: None) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(FIXTURES / name / "package.json", project / "package.json")
    expected, npm_seconds = _npm_lockfile(tmp_path, name)
    text, elapsed, nodes = asyncio.run(_build(project))
    print(f"refproject {name}: {nodes} nodes, ideal tree in {elapsed:.2f} s (npm {npm_seconds:.2f} s)")
    assert text == expected


@pytest.mark.parametrize("strategy", ["hoisted", "linked"])
def test_ci_installs_the_medium_project_from_its_committed_lockfile(
    strategy: str, tmp_path: Path, registry_up: None
) -> None:
    """The lockfile npm wrote for the medium project leaves out optional bindings for platforms
    nothing could resolve; npm's own ci refuses it, snpm's installs it (issue 3)."""
    world = World(tmp_path / "snpm").setup()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(FIXTURES / "medium" / name, world.project / name)
    trust = {k: v for k, v in os.environ.items() if k in _TRUST_VARIABLES}
    args = ["ci", "--ignore-scripts", "--no-audit", "--no-fund", f"--install-strategy={strategy}"]
    done = world.run_snpm(args, env=trust)
    assert done.code == 0, done.stderr
    assert "added " in done.stdout, done.stdout
    lockfile = (FIXTURES / "medium" / "package-lock.json").read_bytes()
    assert (world.project / "package-lock.json").read_bytes() == lockfile
    store = world.project / "node_modules" / ".store"
    assert store.is_dir() == (strategy == "linked")
    assert (world.project / "node_modules" / "eslint" / "package.json").exists()
