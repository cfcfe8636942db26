"""Locate the real node and npm (the oracle); e2e tests skip cleanly when they are absent."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node")
NPM = shutil.which("npm")


def npm_root() -> Path:
    """The folder of the npm package that ships with node (`npm root -g`/npm)."""
    if NODE is None:
        pytest.skip("node is not installed")
    for candidate in (Path(NODE).resolve().parent.parent / "lib" / "node_modules" / "npm",):
        if (candidate / "package.json").is_file():
            return candidate
    pytest.skip("npm's source folder was not found beside node")


def node_json(script: str, payload: object) -> object:
    """Run a node script that reads JSON on stdin (`input`) and prints JSON; return the parsed result."""
    if NODE is None:
        pytest.skip("node is not installed")
    wrapper = (
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        f"const NPM = {json.dumps(str(npm_root()))};\n" + script
    )
    done = subprocess.run(
        [NODE, "-e", wrapper], input=json.dumps(payload), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)
