"""Pure parts of the account and package-admin operations: which registry login uses, token ids,
CIDR checks and the token-create body, and how npm's log shows a package spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from snpm.config import Config, load_config
from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.ops.account import login_registry
from snpm.ops.auth_flow import _replace_done_url_origin, is_http_url
from snpm.ops.package_admin import describe_spec
from snpm.ops.tokens import token_body, token_ids, validate_cidrs
from snpm.spec import parse_spec


def _config(tmp_path: Path, *argv: str, userrc: str = "") -> Config:
    for folder in ("home", "prefix/etc", "project"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "home/.npmrc").write_text(userrc)
    env = {"HOME": str(tmp_path / "home"), "PREFIX": str(tmp_path / "prefix")}
    return load_config(list(argv), env=env, cwd=tmp_path / "project", stdout_tty=False, stderr_tty=False)


def test_login_registry(tmp_path: Path) -> None:
    scoped = "@acme:registry=http://scoped.example/\nregistry=http://default.example/\n"
    assert login_registry(_config(tmp_path, userrc=scoped)) == "http://default.example/"
    assert login_registry(_config(tmp_path, "--scope=@acme", userrc=scoped)) == "http://scoped.example/"
    # --scope without the @ (npm adds it) and a typed --registry wins over the scope's
    assert login_registry(_config(tmp_path, "--scope=acme", userrc=scoped)) == "http://scoped.example/"
    typed = _config(tmp_path, "--scope=@acme", "--registry=http://typed.example/", userrc=scoped)
    assert login_registry(typed) == "http://typed.example/"


def test_token_ids_are_the_shortest_unique_prefixes() -> None:
    tokens: list[JsonObject] = [{"key": "abcdef123"}, {"key": "abcdef456"}, {"key": "ffffffffff"}]
    token_ids(tokens)
    assert [t["id"] for t in tokens] == ["abcdef1", "abcdef4", "ffffff"]


def test_cidr_validation() -> None:
    assert validate_cidrs(None) == []
    assert validate_cidrs("10.0.0.0/8, 192.168.1.0/24") == ["10.0.0.0/8", "192.168.1.0/24"]
    assert validate_cidrs(["10.0.0.0/8", "1.2.3.4/32"]) == ["10.0.0.0/8", "1.2.3.4/32"]
    with pytest.raises(SnpmError, match="can only contain IPv4 addresses, ::1/128 is IPv6") as err:
        validate_cidrs("::1/128")
    assert err.value.code == "EINVALIDCIDR"
    with pytest.raises(SnpmError, match="contains invalid CIDR entry: 10.0.0.0/33"):
        validate_cidrs("10.0.0.0/33")


def test_token_body_has_only_what_was_set(tmp_path: Path) -> None:
    assert token_body(_config(tmp_path), "pw", []) == {"name": None, "password": "pw"}
    config = _config(
        tmp_path,
        "--name=ci",
        "--token-description=for CI",
        "--packages=a",
        "--packages=b",
        "--packages-all",
        "--scopes=@s",
        "--orgs-permission=read-only",
        "--expires=30",
        "--bypass-2fa",
    )
    body = token_body(config, "pw", ["10.0.0.0/8"])
    assert list(body) == [
        "name", "password", "description", "packages", "packages_all", "scopes", "orgs_permission", "expires",
        "cidr_whitelist", "bypass_2fa",
    ]  # fmt: skip
    assert body == {
        "name": "ci",
        "password": "pw",
        "description": "for CI",
        "packages": ["a", "b"],
        "packages_all": True,
        "scopes": ["@s"],
        "orgs_permission": "read-only",
        "expires": 30,
        "cidr_whitelist": ["10.0.0.0/8"],
        "bypass_2fa": True,
    }


def test_web_login_urls() -> None:
    assert is_http_url("http://127.0.0.1:4873/-/v1/login/x")
    assert not is_http_url("ftp://x/") and not is_http_url("/-/v1/done") and not is_http_url(None)
    # only a doneUrl on the public registry's host is moved to the configured registry
    assert _replace_done_url_origin("https://other.example/-/v1/done/1", "http://mirror/npm/") == (
        "https://other.example/-/v1/done/1"
    )
    from snpm.config import DEFINITIONS

    public = str(DEFINITIONS["registry"].default).rstrip("/")
    assert _replace_done_url_origin(f"{public}/-/v1/done/1?x=1", "http://mirror:8080/npm/") == (
        "http://mirror:8080/npm/-/v1/done/1?x=1"
    )


def test_describe_spec_is_node_inspect_of_the_npa_result() -> None:
    assert describe_spec(parse_spec("@s/x@latest", "/tmp")) == "\n".join(
        [
            "Result {",
            "  type: 'tag',",
            "  registry: true,",
            "  where: undefined,",
            "  raw: '@s/x@latest',",
            "  name: '@s/x',",
            "  escapedName: '@s%2fx',",
            "  scope: '@s',",
            "  rawSpec: 'latest',",
            "  saveSpec: null,",
            "  fetchSpec: 'latest',",
            "  gitRange: undefined,",
            "  gitCommittish: undefined,",
            "  gitSubdir: undefined,",
            "  hosted: undefined",
            "}",
        ]
    )
