"""ClientSettings derivations, proxy selection (@npmcli/agent) and retry back-off (promise-retry)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from snpm.errors import NetworkError
from snpm.registry_client.settings import ClientSettings, proxy_env_from, split_pem_bundle
from snpm.registry_client.transport import Transport, is_no_proxy, proxy_for
from snpm.registry_client.wire import retry_delays

REG = "http://reg.test/"


@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        ({}, "default"),
        ({"prefer_online": True}, "no-cache"),
        ({"prefer_offline": True}, "force-cache"),
        ({"prefer_offline": True, "prefer_online": True}, "force-cache"),
        ({"offline": True, "prefer_online": True}, "only-if-cached"),
    ],
)
def test_cache_mode_precedence(flags: dict[str, bool], mode: str) -> None:
    assert ClientSettings(registry=REG, **flags).cache_mode == mode  # type: ignore[arg-type]


def test_otp_makes_auth_type_legacy() -> None:
    assert ClientSettings(registry=REG).effective_auth_type == "web"
    assert ClientSettings(registry=REG, otp="123456").effective_auth_type == "legacy"


def test_proxy_env_from_any_case_last_wins() -> None:
    env = {"HTTPS_PROXY": "http://a:1", "https_proxy": "http://b:2", "NO_PROXY": "x.test", "PATH": "/bin"}
    assert proxy_env_from(env) == {"https_proxy": "http://b:2", "no_proxy": "x.test"}


def test_cafile_is_split_like_npm(tmp_path: Path) -> None:
    bundle = "-----BEGIN CERTIFICATE-----\r\nAAA\r\n-----END CERTIFICATE-----\r\n\n  -----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n"
    assert split_pem_bundle(bundle) == (
        "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----",
    )
    (tmp_path / "ca.pem").write_text(bundle)
    s = ClientSettings(registry=REG, ca=("inline",), cafile=tmp_path / "ca.pem")
    assert s.trusted_cas() is not None and len(s.trusted_cas() or ()) == 2
    assert ClientSettings(registry=REG, ca=("inline",), cafile=tmp_path / "missing").trusted_cas() == (
        "inline",
    )


@pytest.mark.parametrize(
    ("host", "no_proxy", "bypass"),
    [
        ("registry.npmjs.test", "npmjs.test", True),
        ("registry.npmjs.test", ".npmjs.test", True),
        ("npmjs.test", "npmjs.test", True),
        ("evilnpmjs.test", "npmjs.test", False),
        ("registry.npmjs.test", "other.test, registry.npmjs.test", True),
        ("localhost", "", False),
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "0.0.1", True),  # segment-wise suffix match, exactly as the agent does it
    ],
)
def test_no_proxy_matching(host: str, no_proxy: str, bypass: bool) -> None:
    assert is_no_proxy(host, no_proxy) is bypass


def test_proxy_choice() -> None:
    env = {"https_proxy": "http://envs:1", "http_proxy": "http://envh:2"}
    # https-proxy || proxy is used for every URL when configured
    s = ClientSettings(registry=REG, proxy="http://p:3", https_proxy="http://hp:4", proxy_env=env)
    assert proxy_for("http://x.test/", s) == "http://hp:4"
    s = ClientSettings(registry=REG, proxy="http://p:3", proxy_env=env)
    assert proxy_for("https://x.test/", s) == "http://p:3"
    # without config: https URLs read https_proxy only; http URLs https_proxy || http_proxy || proxy
    s = ClientSettings(registry=REG, proxy_env={"http_proxy": "http://envh:2"})
    assert proxy_for("https://x.test/", s) is None
    assert proxy_for("http://x.test/", s) == "http://envh:2"
    s = ClientSettings(registry=REG, proxy="http://p:3", noproxy="x.test", proxy_env={"no_proxy": "y.test"})
    assert proxy_for("http://a.x.test/", s) is None
    assert proxy_for("http://a.y.test/", s) == "http://p:3"  # config noproxy replaces no_proxy
    s = ClientSettings(registry=REG, proxy="http://p:3", proxy_env={"no_proxy": "y.test"})
    assert proxy_for("http://a.y.test/", s) is None


def test_proxy_credentials_become_a_header_and_socks_is_refused() -> None:
    transport = Transport(ClientSettings(registry=REG, proxy="http://us%40r:p%3Ass@proxy.test:8080"))
    proxy, headers = transport.proxy_options("http://x.test/")
    assert proxy == "http://proxy.test:8080"
    assert headers == {"Proxy-Authorization": "Basic dXNAcjpwOnNz"}
    with pytest.raises(NetworkError) as info:
        Transport(ClientSettings(registry=REG, proxy="socks5://proxy.test:1080")).proxy_options(
            "http://x.test/"
        )
    assert info.value.code == "EINVALIDPROXY"


def test_ssl_settings() -> None:
    assert Transport(ClientSettings(registry=REG)).ssl_for("http://x.test/") is True
    assert Transport(ClientSettings(registry=REG, strict_ssl=False)).ssl_for("https://x.test/") is False
    # no CA or client certificate settings: aiohttp's own verifying default context
    assert Transport(ClientSettings(registry=REG)).ssl_for("https://x.test/") is True


def test_ssl_context_of_configured_cas() -> None:
    cafile = ssl.get_default_verify_paths().cafile
    if not cafile or not Path(cafile).is_file():
        pytest.skip("no system CA bundle to borrow a certificate from")
    cas = split_pem_bundle(Path(cafile).read_text(encoding="utf-8"))[:1]
    ctx = Transport(ClientSettings(registry=REG, ca=cas)).ssl_for("https://x.test/")
    assert isinstance(ctx, ssl.SSLContext) and ctx.verify_mode == ssl.CERT_REQUIRED
    assert len(ctx.get_ca_certs()) == 1


def test_timeout_zero_means_thirty_seconds() -> None:
    transport = Transport(ClientSettings(registry=REG, fetch_timeout=0))
    assert transport.timeout().sock_read == 30.0
    assert Transport(ClientSettings(registry=REG)).timeout().sock_read == 300.0


def test_retry_delays_follow_promise_retry() -> None:
    # npm defaults: fetch-retries=2, factor 10, min 10 s, max 60 s → 10 s then 60 s
    assert retry_delays(2, 10, 10_000, 60_000) == [10.0, 60.0]
    assert retry_delays(3, 2, 100, 10_000) == [0.1, 0.2, 0.4]
    assert retry_delays(0, 10, 10_000, 60_000) == []
