"""The Config object: layers, precedence, loading, saving, validation, credentials, setEnvs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from snpm.config import (
    Config,
    InvalidAuthError,
    clear_credentials_by_uri,
    get_credentials_by_uri,
    load_config,
    nerf_dart,
    scoped_registry,
    set_credentials_by_uri,
)
from snpm.config.settings import output_settings
from snpm.errors import ConfigError

FAKE_NODE = "/opt/fake-node/bin/node"


class World:
    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("home", "prefix/etc", "project"):
            (root / folder).mkdir(parents=True, exist_ok=True)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def load(self, *argv: str, cwd: str = "project", **env: str) -> Config:
        full_env = {"HOME": str(self.root / "home"), "PREFIX": str(self.root / "prefix"), **env}
        return load_config(
            list(argv), env=full_env, cwd=self.root / cwd, node=FAKE_NODE, stdout_tty=False, stderr_tty=False
        )


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_precedence_and_find(world: World) -> None:
    world.write("prefix/etc/npmrc", "tag=global\nfund=false\nsearchlimit=1\n")
    world.write("home/.npmrc", "tag=user\nfund=true\n")
    world.write("project/.npmrc", "tag=project\n")
    config = world.load("--tag=cli", npm_config_searchlimit="7")
    assert config.get("tag") == "cli"
    assert config.get("tag", "project") == "project"
    assert config.get("tag", "user") == "user"
    assert config.find("fund") == "user"
    assert config.get("searchlimit") == 7 and config.find("searchlimit") == "env"
    assert config.is_default("json") and not config.is_default("tag")
    assert config.get("nonexistent") is None
    assert config.get_js("nonexistent").__class__.__name__ == "JsUndefined"


def test_defaults_from_prefix_and_home(world: World) -> None:
    config = world.load()
    assert config.get("prefix") == str(world.root / "prefix")
    assert config.get("globalconfig") == str(world.root / "prefix/etc/npmrc")
    assert config.get("userconfig") == str(world.root / "home/.npmrc")
    assert config.get("cache") == str(world.root / "home/.npm")
    assert config.local_prefix == world.root / "project"
    assert (
        config.get("node-gyp") == "/opt/fake-node/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
    )
    # globalconfig follows the effective prefix
    assert world.load("--prefix=/elsewhere").get("globalconfig") == "/elsewhere/etc/npmrc"


def test_globalconfig_in_userrc_moves_the_global_file(world: World) -> None:
    world.write("home/.npmrc", f"globalconfig={world.root}/alt/npmrc\n")
    world.write("alt/npmrc", "tag=alt\n")
    config = world.load()
    assert config.get("tag") == "alt"
    assert config.find("globalconfig") == "default"  # the accessor on the default layer took the value


def test_computed_defaults_from_env(world: World) -> None:
    config = world.load(
        NODE_ENV="production", NO_COLOR="1", LANG="en_US.UTF-8", EDITOR="nano", SHELL="/bin/zsh"
    )
    assert config.get("omit") == ["dev"]
    assert config.get("color") is False
    assert config.get("unicode") is True
    assert config.get("editor") == "nano"
    assert config.get("shell") == "/bin/zsh"
    assert config.get("progress") is False


def test_env_layer_key_normalisation(world: World) -> None:
    config = world.load(
        **{
            "NPM_CONFIG_SAVE_EXACT": "true",
            "npm_config__auth": "x",
            "npm_config_//r.example.com/:_authToken": "t",
        }
    )
    env_layer = config.layer("env")
    assert env_layer.get("save-exact") is True
    assert "_auth" in env_layer
    assert env_layer.get("//r.example.com/:_authToken") == "t"


def test_warnings_order(world: World) -> None:
    world.write("home/.npmrc", "foo=bar\ndepth=abc\ncache-min=5\n")
    config = world.load("config", "get", "--par", "--foo", "x")
    config.validate()
    titles = [title for title, _ in config.warnings]
    assert titles[0].startswith("Expanding --par")
    assert titles[1] == "config"  # the deprecation of cache-min, logged while loading
    assert titles[2:4] == ["invalid config", "invalid config"]
    assert titles[4] == '"x" is being parsed as a normal command line argument.'
    assert titles[5].startswith('Unknown cli config "--foo"')
    assert titles[6].startswith('Unknown user config "foo"')
    assert config.remain == ["config", "get", "x"]


def test_exclusive_flags_raise(world: World) -> None:
    with pytest.raises(ConfigError, match="--save-prod cannot be provided when using --save-dev"):
        world.load("--save-dev", "--save-prod")
    # an env value clashing with a cli flag is dropped silently
    config = world.load("--save-prod", npm_config_save_dev="true")
    assert config.get("save-dev") is False and config.get("save-prod") is True


def test_workspace_root(world: World) -> None:
    world.write("project/package.json", '{"workspaces":["packages/*"]}')
    world.write("project/packages/a/package.json", "{}")
    world.write("project/packages/a/.npmrc", "tag=ignored\n")
    config = world.load(cwd="project/packages/a")
    assert config.local_prefix == world.root / "project"
    assert config.get("workspace") == [str(world.root / "project/packages/a")]
    assert (
        "config",
        f"ignoring workspace config at {world.root}/project/packages/a/.npmrc",
    ) in config.warnings
    assert (
        world.load("--no-workspaces", cwd="project/packages/a").local_prefix
        == world.root / "project/packages/a"
    )


def test_global_mode_skips_project_config(world: World) -> None:
    world.write("project/.npmrc", "tag=project\n")
    config = world.load("-g")
    assert config.is_global
    assert config.layer("project").source == "(global mode enabled, ignored)"
    assert config.get("tag") == "latest"


def test_save_modes_and_empty_file_removal(world: World) -> None:
    config = world.load()
    config.set("tag", "beta", "user")
    config.save("user")
    userrc = world.root / "home/.npmrc"
    assert userrc.read_text() == "tag=beta\n"
    assert stat.S_IMODE(userrc.stat().st_mode) == 0o600
    config.set("fund", "false", "project")
    config.save("project")
    assert stat.S_IMODE((world.root / "project/.npmrc").stat().st_mode) == 0o666
    config.delete("tag", "user")
    config.save("user")
    assert not userrc.exists()


def test_save_keeps_raw_values_and_drops_comments(world: World) -> None:
    world.write("home/.npmrc", "; comment\ntag=${SNPM_X}\nca[]=A\nca[]=B\n")
    config = world.load(SNPM_X="expanded")
    assert config.get("tag") == "expanded"
    config.set("fund", "false", "user")
    config.save("user")
    assert (world.root / "home/.npmrc").read_text() == "tag=${SNPM_X}\nca[]=A\nca[]=B\nfund=false\n"


def test_validate_refuses_top_level_auth_and_repairs(world: World) -> None:
    world.write("home/.npmrc", "_authToken=abc\nusername=bob\n")
    config = world.load()
    with pytest.raises(InvalidAuthError) as info:
        config.validate()
    nerfed = nerf_dart(str(config.get("registry")))
    assert info.value.code == "ERR_INVALID_AUTH"
    assert f"`_authToken` must be renamed to `{nerfed}:_authToken` in user config" in info.value.message
    assert "`username` is not allowed in user config" in info.value.message
    assert info.value.message.endswith("Please run `npm config fix` to repair your configuration.`")
    config.repair(info.value.problems)
    config.save("user")
    assert (world.root / "home/.npmrc").read_text() == f"{nerfed}:_authToken=abc\n"


def test_credentials(world: World) -> None:
    world.write("home/.npmrc", "//r.example.com/npm/:_authToken=tok\n@s:registry=https://s.example.com/\n")
    config = world.load()
    assert get_credentials_by_uri(config, "https://r.example.com/npm/").token == "tok"
    assert scoped_registry(config, "@s/pkg") == "https://s.example.com/"
    set_credentials_by_uri(config, "https://s.example.com/", username="u", password="p")
    creds = get_credentials_by_uri(config, "https://s.example.com/")
    assert (creds.username, creds.password, creds.auth) == ("u", "p", "dTpw")
    assert config.get("//s.example.com/:_password", "user") == "cA=="
    clear_credentials_by_uri(config, "https://s.example.com/")
    assert get_credentials_by_uri(config, "https://s.example.com/").auth is None
    with pytest.raises(ConfigError, match="No credentials to set."):
        set_credentials_by_uri(config, "https://s.example.com/")


def test_nerf_dart() -> None:
    assert nerf_dart("https://r.example.com/npm/") == "//r.example.com/npm/"
    assert nerf_dart("https://r.example.com/a/b") == "//r.example.com/a/"
    assert nerf_dart("HTTPS://R.Example.COM:443/x/") == "//r.example.com/x/"
    assert nerf_dart("http://r.example.com:8080") == "//r.example.com:8080/"
    with pytest.raises(ConfigError):
        nerf_dart("not a url")


def test_flatten_write_backs_and_flat(world: World) -> None:
    world.write("home/.npmrc", "save-exact=true\nglobal-style=true\n")
    config = world.load("-g", "--save-dev")
    assert config.get("save-prefix", "user") == ""
    assert config.get("install-strategy", "user") == "shallow"
    flat = config.flat
    assert flat["location"] == "global"
    assert flat["saveType"] == "dev"
    assert flat["savePrefix"] == ""
    agent = flat["userAgent"]
    assert isinstance(agent, str) and agent.startswith("npm/11.19.1 node/")


def test_scope_gets_its_at(world: World) -> None:
    assert world.load("--scope=myorg").get("scope") == "@myorg"


def test_export_env(world: World) -> None:
    world.write("home/.npmrc", "fund=false\n")
    config = world.load("--tag=next", "--workspace=a", npm_config_json="true")
    exported = config.export_env()
    assert exported["npm_config_tag"] == "next"
    assert exported["npm_config_fund"] == ""
    assert "npm_config_workspace" not in exported  # envExport: false
    assert "npm_config_json" not in exported  # already in the environment
    assert exported["npm_config_local_prefix"] == str(world.root / "project")
    assert exported["HOME"] == str(world.root / "home")
    assert exported["npm_config_user_agent"].startswith("npm/11.19.1 ")


def test_output_settings(world: World) -> None:
    config = world.load("--loglevel=warn", "--color=always", "--json")
    settings = output_settings(config, stdout_tty=False, stderr_tty=True)
    assert settings.loglevel == "warn"
    assert settings.json is True
    assert settings.color_stdout is True and settings.color_stderr is True
    assert settings.logs_dir == os.path.join(str(world.root / "home/.npm"), "_logs")
    assert settings.logs_max == 10
    assert settings.heading == "npm"
    no_color = output_settings(world.load(), stdout_tty=True, stderr_tty=False)
    assert no_color.color_stdout is True and no_color.color_stderr is False


def test_take_log_order(world: World) -> None:
    world.write("home/.npmrc", "foo=1\ndepth=abc\n")
    config = world.load("--par")
    first = [e.title for e in config.take_log() if e.level == "warn"]
    assert first == [
        "Expanding --par to --parseable. This will stop working in the next major version of npm."
    ]
    config.validate()
    assert [e.title for e in config.take_log() if e.level == "warn"] == ["invalid config", "invalid config"]
    queued = config.take_log(include_queued=True)
    assert [e.queued for e in queued] == ["foo"]
    assert config.take_log(include_queued=True) == []
    mark = config.log_mark()
    config.log_warning("config", "later")
    assert [e.message for e in config.take_since(mark)] == ["later"]
    assert config.take_log() == []
