"""HTTP answers and socket failures → npm's errors (check-response.js, errors.js, minipass-fetch)."""

from __future__ import annotations

import errno
import socket

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from snpm.errors import HttpError
from snpm.registry_client.responses import (
    http_error,
    network_error,
    package_name_from_url,
    request_timeout_error,
)

URL = "http://127.0.0.1:4873/demo"


def err(status: int, body: bytes = b"", headers: dict[str, list[str]] | None = None, **kw: str) -> HttpError:
    return http_error(
        method="get",
        url=kw.get("url", URL),
        status=status,
        reason=kw.get("reason"),
        headers=headers or {},
        body=body,
    )


def test_404_message_and_fields() -> None:
    e = err(404, b'{"error":"Not found"}')
    assert (e.code, e.status, e.method) == ("E404", 404, "GET")
    assert e.message == "404 Not Found - GET http://127.0.0.1:4873/demo - Not found"
    assert e.body == {"error": "Not found"}
    assert e.pkgid == "demo"


def test_reason_from_the_server_and_no_error_field() -> None:
    assert err(403, b"nope", reason="Forbidden Fruit").message == "403 Forbidden Fruit - GET " + URL
    assert err(500, b'{"reason":"x"}').message == "500 Internal Server Error - GET " + URL
    assert err(500, b"not json").body == "not json"


def test_401_variants() -> None:
    otp = err(401, b'{"error":"otp"}', {"www-authenticate": ["OTP"]})
    assert (otp.code, otp.message) == ("EOTP", "OTP required for authentication")
    assert err(401, b"", {"www-authenticate": ["Basic realm=x, OTP"]}).code == "EOTP"
    ip = err(401, b"", {"www-authenticate": ["ipaddress"]})
    assert (ip.code, ip.message) == ("EAUTHIP", "Login is not allowed from your IP address")
    bearer = err(401, b"", {"www-authenticate": ["Bearer"]})
    assert (bearer.code, bearer.message) == ("E401", "Unable to authenticate, need: Bearer")
    heuristic = err(401, b'{"error":"You must provide a one-time pass."}')
    assert heuristic.code == "EOTP"
    assert err(401, b'{"error":"bad token"}').message == "401 Unauthorized - GET " + URL + " - bad token"


def test_password_in_url_is_redacted() -> None:
    e = err(404, b"{}", url="https://alice:hunter2@reg.test/pkg")
    assert "hunter2" not in e.message and "hunter2" not in e.url
    assert "https://alice:***@reg.test/pkg" in e.message


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://r.test/demo", "demo"),
        ("http://r.test/@s%2fdemo", "@s/demo"),
        ("http://r.test/demo/-/demo-1.0.0.tgz", "demo-1.0.0.tgz"),
        ("http://r.test/-/whoami", None),
        ("http://r.test/db/_rewrite/pkg/x", "pkg"),
    ],
)
def test_package_name_from_url(url: str, name: str | None) -> None:
    assert package_name_from_url(url) == name


def _connector_error(os_err: OSError) -> aiohttp.ClientConnectorError:
    key = ConnectionKey("127.0.0.1", 1234, False, True, None, None, None)
    return aiohttp.ClientConnectorError(key, os_err)


def test_connection_refused_message() -> None:
    os_err = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 1234)")
    e = network_error("http://127.0.0.1:1234/x", _connector_error(os_err))
    assert e.code == "ECONNREFUSED"
    assert (
        e.message == "request to http://127.0.0.1:1234/x failed, reason: connect ECONNREFUSED 127.0.0.1:1234"
    )
    assert e.syscall == "connect" and e.extra["errno"] == "ECONNREFUSED"


def test_dns_failure_message() -> None:
    key = ConnectionKey("nowhere.invalid", 80, False, True, None, None, None)
    e = network_error(
        "http://nowhere.invalid/x",
        aiohttp.ClientConnectorDNSError(key, socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
    )
    assert e.code == "ENOTFOUND"
    assert (
        e.message
        == "request to http://nowhere.invalid/x failed, reason: getaddrinfo ENOTFOUND nowhere.invalid"
    )


def test_reset_and_timeout_messages() -> None:
    hang_up = network_error(URL, aiohttp.ServerDisconnectedError())
    assert (hang_up.code, hang_up.message) == (
        "ECONNRESET",
        f"request to {URL} failed, reason: socket hang up",
    )
    timeout = request_timeout_error(URL)
    assert (timeout.code, timeout.message) == ("FETCH_ERROR", f"network timeout at: {URL}")
    assert timeout.extra["type"] == "request-timeout"
