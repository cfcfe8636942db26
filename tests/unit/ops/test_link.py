"""`npm link`'s own rules: when it saves, its refusal of --global, and which arguments need a
global install first."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from snpm.config import Config, load_config
from snpm.errors import SnpmError
from snpm.ops.install import InstallContext
from snpm.ops.link import LINK_GLOBAL_MESSAGE, NAMELESS_MESSAGE, _missing, _require_names, link, link_save
from snpm.ops.reify_session import ReifyIO
from snpm.tree.node import Node


def _config(tmp_path: Path, *argv: str, npmrc: str = "") -> Config:
    for folder in ("home", "prefix/etc", "project"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "home/.npmrc").write_text(npmrc)
    env = {"HOME": str(tmp_path / "home"), "PREFIX": str(tmp_path / "prefix")}
    return load_config(["link", *argv], env=env, cwd=tmp_path / "project", stdout_tty=False, stderr_tty=False)


@pytest.mark.parametrize(
    ("argv", "saves"),
    [
        ((), False),
        (("--save",), True),
        (("--no-save",), False),
        (("-D",), True),
        (("-O",), True),
        (("-P",), True),
        (("--save-peer",), True),
        (("-E",), False),
    ],
)
def test_link_saves_only_when_asked(tmp_path: Path, argv: tuple[str, ...], saves: bool) -> None:
    assert link_save(_config(tmp_path, *argv)) is saves


def test_save_from_any_config_source_but_the_default_counts(tmp_path: Path) -> None:
    # link.js: `config.find('save') !== 'default' && config.get('save')`
    assert link_save(_config(tmp_path, npmrc="save=true\n")) is True
    assert link_save(_config(tmp_path, npmrc="save=false\n")) is False
    assert link_save(_config(tmp_path, npmrc="save-exact=true\n")) is False


@pytest.mark.parametrize("flag", ["-g", "--global", "--location=global"])
def test_link_global_is_refused(tmp_path: Path, flag: str) -> None:
    config = _config(tmp_path, flag)
    ctx = InstallContext(
        config=config, env={}, io=ReifyIO(log=lambda *a: None), command="link", started=time.monotonic()
    )
    with pytest.raises(SnpmError) as caught:
        asyncio.run(link(ctx, []))
    assert caught.value.code == "ELINKGLOBAL"
    assert caught.value.message == LINK_GLOBAL_MESSAGE


def test_missing_arguments(tmp_path: Path) -> None:
    top = str(tmp_path / "lib")
    globals_ = Node(path=top, realpath=top, pkg={}, global_=True)
    for name in ("tool", "@s/sc"):
        Node(path=f"{top}/node_modules/{name}", pkg={"name": name, "version": "1.0.0"}, parent=globals_)
    args = ["tool@^9", "@s/sc", "sc", "../folder", "fresh"]
    # versions are never compared (npm's TODO); folders have no name yet, so they always link again
    assert _missing(globals_, args, str(tmp_path)) == ["sc", "../folder", "fresh"]


def test_a_nameless_folder_fails_as_npm_global_reify_does(tmp_path: Path) -> None:
    (tmp_path / "noname").mkdir()
    (tmp_path / "noname/package.json").write_text('{"version": "1.0.0"}')
    (tmp_path / "named").mkdir()
    (tmp_path / "named/package.json").write_text('{"name": "named"}')
    # a missing package.json is the reify's to report
    _require_names([str(tmp_path / "named"), str(tmp_path / "nothing")])
    with pytest.raises(SnpmError) as caught:
        _require_names([str(tmp_path / "named"), str(tmp_path / "noname")])
    assert caught.value.message == NAMELESS_MESSAGE and caught.value.code is None
