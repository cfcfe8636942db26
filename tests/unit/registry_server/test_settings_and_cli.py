"""Settings (defaults < config file < flags) and the `snpm-registry` admin commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from snpm.registry_server.__main__ import run
from snpm.registry_server.settings import SettingsError, load_settings

FAST = {"password-hashing": {"time-cost": 1, "memory-cost-kib": 8192, "parallelism": 1}}


def test_precedence_and_table_keys(tmp_path: Path) -> None:
    config = tmp_path / "registry.toml"
    config.write_text(
        'port = 5000\nallow-signup = false\ndata = "store"\n[login-limits]\nmax-failures-per-user = 3\n'
    )
    settings = load_settings(config, {"port": 6000, "host": None})
    assert settings.port == 6000 and settings.host == "127.0.0.1"
    assert settings.allow_signup is False
    assert settings.data == tmp_path / "store"  # relative to the config file
    assert settings.login_limits.max_failures_per_user == 3
    assert settings.database_path == tmp_path / "store" / "registry.db"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"workers": 0}, "workers must be between 1 and 64"),
        ({"workers": 65}, "workers must be between 1 and 64"),
        ({"uplink": "ftp://x"}, "must be an http(s) URL"),
        ({"uplink_max_age": -1.0}, "uplink-max-age must be >= 0"),
        ({"local_scopes": ("corp",)}, "must look like @scope"),
        ({"database": "postgresql:///registry"}, "needs a host"),
        ({"database": "mysql://x"}, "must be sqlite:///<path> or postgresql://"),
        ({"database": "mysql://u:secret@x/db"}, "mysql://u:***@x/db"),
        ({"port": 70000}, "port must be"),
    ],
)
def test_options_are_validated(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, overrides)
    assert fragment in caught.value.message
    assert "secret" not in caught.value.message


def test_uplink_workers_and_postgres_settings(tmp_path: Path) -> None:
    from snpm.registry_server.settings import DEFAULT_UPLINK, ServerSettings

    # npm's registry is the default uplink (no test ever talks to it)
    assert ServerSettings().uplink == DEFAULT_UPLINK
    config = tmp_path / "registry.toml"
    config.write_text(
        'uplink = false\nlocal-scopes = ["corp", "@inside/"]\nuplink-max-age = 5\nworkers = 4\n'
        'database = "postgresql://snpm:hunter2@db.internal:5433/registry"\n'
    )
    settings = load_settings(config)
    assert settings.uplink is None and settings.local_scopes == ("@corp", "@inside")
    assert settings.uplink_max_age == 5.0 and settings.workers == 4 and settings.uses_postgres
    printed = settings.to_json()
    assert printed["database"] == "postgresql://snpm:***@db.internal:5433/registry"
    assert printed["local_scopes"] == ["@corp", "@inside"]
    assert load_settings(config, {"uplink": "http://127.0.0.1:9/"}).uplink == "http://127.0.0.1:9/"
    assert load_settings(None, None, ("uplink",)).uplink is None  # --no-uplink


def test_serve_flags_reach_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import snpm.registry_server.__main__ as cli

    seen: list[object] = []
    monkeypatch.setattr(cli, "_serve", lambda settings: seen.append(settings) or 0)
    argv = ["serve", "--data", str(tmp_path), "--uplink", "http://127.0.0.1:9/", "--uplink-max-age", "0"]
    assert run([*argv, "--local-scope", "corp", "--local-scope", "@x", "--workers", "3"]) == 0
    (settings,) = seen
    assert isinstance(settings, cli.ServerSettings)
    assert (settings.uplink, settings.uplink_max_age, settings.local_scopes, settings.workers) == (
        "http://127.0.0.1:9/",
        0.0,
        ("@corp", "@x"),
        3,
    )
    assert run(["serve", "--data", str(tmp_path), "--no-uplink"]) == 0
    assert isinstance(seen[-1], cli.ServerSettings) and seen[-1].uplink is None


def test_bad_config_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"port": "eighty"}')
    with pytest.raises(SettingsError):
        load_settings(bad)
    bad.write_text('{"nonsense": 1}')
    with pytest.raises(SettingsError, match="unknown config key"):
        load_settings(bad)


def _cli(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(argv), out=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def test_config_prints_the_effective_settings(tmp_path: Path) -> None:
    code, out = _cli("config", "--data", str(tmp_path / "d"))
    settings = json.loads(out)
    assert code == 0 and settings["data"] == str(tmp_path / "d") and settings["port"] == 4873
    assert settings["database"] == f"sqlite:///{tmp_path / 'd' / 'registry.db'}"


def test_user_and_token_admin_commands(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"data": str(tmp_path / "data"), **FAST}))
    common = ("--config", str(config))
    assert _cli(
        "user",
        "add",
        "alice",
        "--email",
        "a@example.test",
        "--password-stdin",
        *common,
        stdin="password-123\n",
    ) == (
        0,
        "added user alice <a@example.test>\n",
    )
    code, _ = _cli(
        "user",
        "add",
        "alice",
        "--email",
        "a@example.test",
        "--password-stdin",
        *common,
        stdin="password-123\n",
    )
    assert code == 1  # taken
    code, out = _cli("user", "list", "--json", *common)
    assert [u["name"] for u in json.loads(out)] == ["alice"]

    # a token to list and revoke (issued as a login would)
    import asyncio

    from snpm.registry_server.app import build_registry

    registry = build_registry(load_settings(config))

    async def issue() -> str:
        await registry.storage.open()
        try:
            return (await registry.accounts.login("alice", "password-123", None, None)).token.record.key
        finally:
            await registry.storage.close()

    key = asyncio.run(issue())
    code, out = _cli("token", "list", "--json", *common)
    tokens = json.loads(out)
    assert code == 0 and [t["key"] for t in tokens] == [key] and tokens[0]["token"].startswith("npm_")
    assert _cli("token", "revoke", key, *common) == (0, f"revoked token {key}\n")
    assert _cli("token", "revoke", key, *common)[0] == 1
    assert json.loads(_cli("token", "list", "--json", *common)[1]) == []

    assert (
        _cli("user", "reset-password", "alice", "--password-stdin", *common, stdin="another-pass\n")[0] == 0
    )
    assert (
        _cli("user", "reset-password", "nobody", "--password-stdin", *common, stdin="another-pass\n")[0] == 1
    )
    assert _cli("user", "remove", "alice", *common)[0] == 0
    assert _cli("user", "remove", "alice", *common)[0] == 1
    assert _cli("user", "list", *common) == (0, "")


def test_usage_errors() -> None:
    assert _cli()[0] == 1
    assert _cli("user")[0] == 1
    with pytest.raises(SystemExit):
        _cli("serve", "--max-body-size", "lots")


def test_null_in_a_json_config_clears_a_dashed_key(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"access-log": None, "public-url": None, "uplink": None}))
    settings = load_settings(config)
    assert (settings.access_log, settings.public_url, settings.uplink) == (None, None, None)
