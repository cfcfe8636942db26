"""`npm config` operations (snpm.ops.settings_ops) on a loaded Config."""

from __future__ import annotations

from pathlib import Path

import pytest

from snpm.config import Config, load_config
from snpm.config.collation import locale_sorted
from snpm.config.local_prefix import is_workspace_of
from snpm.errors import ConfigError
from snpm.ops import settings_ops


def _load(root: Path, *argv: str) -> Config:
    for folder in ("home", "prefix/etc", "project"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(root / "home"), "PREFIX": str(root / "prefix")}
    return load_config(
        list(argv), env=env, cwd=root / "project", node="/opt/n/bin/node", stdout_tty=False, stderr_tty=False
    )


def test_get(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home/.npmrc").write_text("ca[]=A\nca[]=B\n//r.example.com/:_authToken=x\n")
    config = _load(tmp_path)
    assert settings_ops.config_get(config, ["ca"], cwd="/").output == ["A,B"]
    assert settings_ops.config_get(config, ["ca", "tag", "nope"], cwd="/").output == [
        "ca=A,B\ntag=latest\nnope=undefined"
    ]
    with pytest.raises(ConfigError, match="The //r.example.com/:_authToken option is protected"):
        settings_ops.config_get(config, ["//r.example.com/:_authToken"], cwd="/")


def test_set_delete_and_errors(tmp_path: Path) -> None:
    config = _load(tmp_path)
    settings_ops.config_set(config, ["tag", "next", "save-exact=true", "depth=abc"])
    assert (tmp_path / "home/.npmrc").read_text() == "tag=next\nsave-exact=true\ndepth=abc\n"
    logs = [(e.level, e.title, e.message) for e in config.log_since(0) if e.level == "warn"]
    assert ("warn", "config", "omitting invalid config values") in logs
    with pytest.raises(ConfigError, match="^`foo` is not a valid npm option$"):
        settings_ops.config_set(config, ["foo=1"])
    with pytest.raises(
        ConfigError, match="The `dev` option is deprecated, and cannot be set in this wayPlease"
    ):
        settings_ops.config_set(config, ["dev=true"])
    settings_ops.config_set(config, ["tag="])
    settings_ops.config_delete(config, ["save-exact", "depth"])
    assert not (tmp_path / "home/.npmrc").exists()


def test_set_global_location(tmp_path: Path) -> None:
    config = _load(tmp_path, "-g")
    settings_ops.config_set(config, ["fund=false"])
    assert (tmp_path / "prefix/etc/npmrc").read_text() == "fund=false\n"


def test_list_and_json(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home/.npmrc").write_text("tag=a\n_authToken=secret\n")
    config = _load(tmp_path, "--tag=b")
    text = settings_ops.config_list(config, cwd="/here").output[0]
    assert (
        f'; "user" config from {tmp_path}/home/.npmrc\n\n_authToken = (protected)\n; tag = "a" ; overridden by cli'
        in text
    )
    assert text.endswith("; Run `npm config ls -l` to show all defaults.")
    data = settings_ops.config_list_json(config)
    assert data["tag"] == "b" and "_authToken" not in data
    assert list(data)[0] == "tag"  # the cli layer's keys come first, like JS for-in


def test_fix(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home/.npmrc").write_text("_authtoken=x\nusername=u\n_password=cA==\n")
    config = _load(tmp_path)
    out = settings_ops.config_fix(config).output
    assert out[0] == "The following configuration problems have been repaired:\n"
    assert out[1].startswith("- `_authtoken` deleted from user config\n~ `username` renamed to `//")
    assert "_authtoken" not in (tmp_path / "home/.npmrc").read_text()
    assert settings_ops.config_fix(_load(tmp_path)).output == []


def test_helpers() -> None:
    assert settings_ops.key_values(["a=1", "b", "2", "c"]) == {"a": "1", "b": "2", "c": ""}
    assert settings_ops.is_protected("//r/:_authToken") and settings_ops.is_protected("email")
    assert not settings_ops.is_protected("tag")
    assert locale_sorted(["b", "_a", "A", "a", "@s", "//x"]) == ["_a", "@s", "//x", "a", "A", "b"]


def test_workspace_globs(tmp_path: Path) -> None:
    (tmp_path / "packages/a").mkdir(parents=True)
    (tmp_path / "packages/a/package.json").write_text("{}")
    assert is_workspace_of(str(tmp_path), str(tmp_path / "packages/a"), ["packages/*"])
    assert is_workspace_of(str(tmp_path), str(tmp_path / "packages/a"), ["./packages/**"])
    assert not is_workspace_of(str(tmp_path), str(tmp_path / "packages/a"), ["packages/*", "!packages/a"])
    assert is_workspace_of(
        str(tmp_path), str(tmp_path / "packages/a"), ["packages/*", "!packages/a", "packages/a"]
    )
