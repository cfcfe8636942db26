"""An HTTP answer or a failed connection → npm's error (npm-registry-fetch check-response.js,
errors.js, and the FetchError messages minipass-fetch builds from node's socket errors).

HTTP errors (status >= 400) become `HttpError`:
- 401 + `www-authenticate` listing `ipaddress` → EAUTHIP "Login is not allowed from your IP address";
- 401 + `www-authenticate` listing `otp`, or a 401 whose body mentions "one-time pass" → EOTP
  "OTP required for authentication";
- 401 + another `www-authenticate` → E401 "Unable to authenticate, need: <header>";
- anything else → E<status> "<status> <reason> - <METHOD> <url>[ - <body.error>]".
The parsed body (JSON when it parses, else the text), the raw headers (lists, like node's
`headers.raw()`) and `pkgid` stay on the error for the renderer.

Network failures become `NetworkError` with node's code and message, e.g.
`request to http://127.0.0.1:1/x failed, reason: connect ECONNREFUSED 127.0.0.1:1`. `extra` carries
`type` ("system" or "request-timeout") and `errno` (node sets it to the code string, which npm prints).
URLs in messages are redacted: a `user:password@` never reaches the screen.

A 2xx body that is not JSON becomes minipass-fetch's FETCH_ERROR `invalid json response body at
<url> reason: <V8's JSON.parse message>` (`parse_json_body`, called once the fast decoder failed).
"""

from __future__ import annotations

import errno as errno_mod
import json
import re
import socket
import ssl
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from snpm.errors import HttpError, NetworkError, SnpmError
from snpm.json_types import JsonValue
from snpm.redact import redact

__all__ = [
    "ONE_TIME_PASS_RE",
    "http_error",
    "idle_timeout_error",
    "invalid_json_error",
    "network_error",
    "package_name_from_url",
    "parse_body",
    "parse_json_body",
    "request_timeout_error",
]

ONE_TIME_PASS_RE = re.compile(r"one-time pass")
_WWW_AUTH_SPLIT_RE = re.compile(r",\s*")
_CONNECT_ADDR_RE = re.compile(r"\('([^']+)',\s*(\d+)")

# node's names for socket errnos that make-fetch-happen and npm care about.
_CONNECT_CODES = {
    errno_mod.ECONNREFUSED: "ECONNREFUSED",
    errno_mod.ETIMEDOUT: "ETIMEDOUT",
    errno_mod.EHOSTUNREACH: "EHOSTUNREACH",
    errno_mod.ENETUNREACH: "ENETUNREACH",
    errno_mod.ECONNRESET: "ECONNRESET",
    errno_mod.EADDRINUSE: "EADDRINUSE",
    errno_mod.EADDRNOTAVAIL: "EADDRNOTAVAIL",
    errno_mod.EPIPE: "EPIPE",
}

# OpenSSL verify codes → (node's error code, node's message).
_TLS_VERIFY = {
    10: ("CERT_HAS_EXPIRED", "certificate has expired"),
    18: ("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"),
    19: ("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"),
    20: ("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "unable to get local issuer certificate"),
    21: ("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"),
}

# HTTP reason phrases as node reports them (statusText), for servers that send none.
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    420: "Enhance Your Calm",  # not in node's table; make-fetch-happen retries it
    422: "Unprocessable Entity",
    423: "Locked",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def package_name_from_url(url: str) -> str | None:
    """errors.js packageName(): the last path segment (or the one after `_rewrite`), decoded."""
    try:
        base = urlsplit(url).path[1:]
    except ValueError:
        return None
    if base.startswith("-"):
        return None
    segments = base.split("/")
    index = segments.index("_rewrite") + 1 if "_rewrite" in segments else len(segments) - 1
    if index >= len(segments):
        return None
    return unquote(segments[index], errors="strict")


def _no_constants(name: str) -> JsonValue:
    # JSON.parse knows no NaN/Infinity; Python's json module would accept them
    raise ValueError(name)


def parse_body(raw: bytes) -> JsonValue:
    """The error body as npm keeps it: `JSON.parse(body.toString('utf8'))` when it parses, else the text."""
    text = raw.decode("utf-8", "replace")
    try:
        parsed: JsonValue = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return text
    return parsed


def parse_json_body(url: str, body: bytes) -> JsonValue:
    """minipass-fetch's `res.json()` for a body the fast decoder refused: `JSON.parse(buf.toString())`.

    Returns the value when JSON.parse accepts the text after all (invalid UTF-8 inside a string
    becomes U+FFFD, `"\\ud800"`, `1e400`); otherwise raises what npm prints: FETCH_ERROR (type
    invalid-json) `invalid json response body at <url> reason: <V8's message>`. Plain JSON.parse,
    not json-parse-even-better-errors: no BOM stripping and no `while parsing …` context.
    """
    from snpm.ecmascript.json_errors import json_parse_error_message  # the failure path only

    text = body.decode("utf-8", "replace")
    reason = json_parse_error_message(text)
    if reason is None:
        try:
            value: JsonValue = json.loads(text)
        except RecursionError:
            reason = "Maximum call stack size exceeded"
        else:
            return value
    raise invalid_json_error(url, reason)


def invalid_json_error(url: str, reason: str) -> NetworkError:
    """minipass-fetch's FetchError for a body JSON.parse refused (`reason` is its message)."""
    return NetworkError(
        f"invalid json response body at {redact(url)} reason: {reason}",
        code="FETCH_ERROR",
        extra={"type": "invalid-json", "errno": "FETCH_ERROR"},
    )


def http_error(
    *,
    method: str,
    url: str,
    status: int,
    reason: str | None,
    headers: Mapping[str, list[str]],
    body: bytes,
    pkgid: str | None = None,
) -> HttpError:
    """Build the error npm-registry-fetch throws for a >= 400 answer."""
    parsed = parse_body(body)
    shown_url = redact(url)
    name = pkgid if pkgid is not None else package_name_from_url(url)

    def make(message: str, code: str | None = None) -> HttpError:
        return HttpError(
            message,
            status=status,
            method=method.upper(),
            url=shown_url,
            code=code or f"E{status}",
            headers=headers,
            body=parsed,
            pkgid=name,
        )

    www_auth = ", ".join(headers.get("www-authenticate", []))
    if status == 401 and www_auth:
        schemes = [s.lower() for s in _WWW_AUTH_SPLIT_RE.split(www_auth)]
        if "ipaddress" in schemes:
            return make("Login is not allowed from your IP address", "EAUTHIP")
        if "otp" in schemes:
            return make("OTP required for authentication", "EOTP")
        return make(f"Unable to authenticate, need: {www_auth}")
    if status == 401 and ONE_TIME_PASS_RE.search(body.decode("utf-8", "replace")):
        return make("OTP required for authentication", "EOTP")
    text = reason if reason else _REASONS.get(status, "")
    suffix = ""
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if error:
            suffix = f" - {_js_string(error)}"
    return make(f"{status} {text} - {method.upper()} {shown_url}{suffix}")


def _js_string(value: JsonValue) -> str:
    # `' - ' + body.error` in JS: strings as-is, other JSON values in their JS string form.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    return str(value)


def _system_error(url: str, reason: str, code: str, syscall: str | None) -> NetworkError:
    return NetworkError(
        f"request to {redact(url)} failed, reason: {reason}",
        code=code,
        syscall=syscall,
        extra={"type": "system", "errno": code},
    )


def request_timeout_error(url: str) -> NetworkError:
    """minipass-fetch's timeout before the response arrived (npm prints code FETCH_ERROR)."""
    return NetworkError(
        f"network timeout at: {redact(url)}",
        code="FETCH_ERROR",
        extra={"type": "request-timeout", "errno": "FETCH_ERROR"},
    )


def idle_timeout_error(url: str, host: str) -> NetworkError:
    """@npmcli/agent's idle timeout while the body was still arriving."""
    return NetworkError(
        f"Invalid response body while trying to fetch {redact(url)}: Idle timeout reached for host `{host}`",
        code="EIDLETIMEOUT",
        extra={"type": "system", "errno": "EIDLETIMEOUT"},
    )


def _connect_address(err: OSError, host: str, port: int | None) -> str:
    found = _CONNECT_ADDR_RE.search(str(err))
    if found:
        return f"{found.group(1)}:{found.group(2)}"
    return f"{host}:{port}" if port is not None else host


def _tls_error(url: str, err: BaseException) -> NetworkError:
    if isinstance(err, ssl.SSLCertVerificationError):
        known = _TLS_VERIFY.get(err.verify_code)
        if known is not None:
            return _system_error(url, known[1], known[0], None)
        if err.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
            detail = err.verify_message or "hostname mismatch"
            return _system_error(
                url,
                f"Hostname/IP does not match certificate's altnames: {detail}",
                "ERR_TLS_CERT_ALTNAME_INVALID",
                None,
            )
        return _system_error(url, err.verify_message or str(err), "UNABLE_TO_VERIFY_LEAF_SIGNATURE", None)
    reason = getattr(err, "reason", None) or str(err)
    return _system_error(url, str(reason), "EPROTO", None)


def _is_aiohttp_error(err: BaseException) -> bool:
    # aiohttp's connection errors are OSErrors too: leave them to the aiohttp branch
    return type(err).__module__.startswith("aiohttp")


def _connect_error(url: str, os_err: OSError, host: str, port: int | None) -> NetworkError:
    """No connection: a failed lookup (getaddrinfo), else a refused or unreachable connect."""
    if isinstance(os_err, socket.gaierror):
        code = "EAI_AGAIN" if os_err.errno == socket.EAI_AGAIN else "ENOTFOUND"
        return _system_error(url, f"getaddrinfo {code} {host}", code, "getaddrinfo")
    number = os_err.errno
    known = (_CONNECT_CODES.get(number) or errno_mod.errorcode.get(number)) if number else None
    # No errno: every address of the host failed ("Multiple exceptions"), node's AggregateError.
    connect_code = known or "ECONNREFUSED"
    address = _connect_address(os_err, host, port)
    return _system_error(url, f"connect {connect_code} {address}", connect_code, "connect")


def network_error(url: str, err: BaseException, *, host: str = "", port: int | None = None) -> SnpmError:
    """A connection-level failure (http1/aiohttp/asyncio/OS exception) as node would have reported it."""
    if isinstance(err, SnpmError):
        return err
    if not _is_aiohttp_error(err):
        return _plain_network_error(url, err)
    import aiohttp  # lazy: only a request that went through aiohttp can fail with its errors

    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        return _tls_error(url, err.certificate_error)
    if isinstance(err, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError):
        return _tls_error(url, err.os_error if isinstance(err, aiohttp.ClientConnectorError) else err)
    if isinstance(err, ssl.SSLError):
        return _tls_error(url, err)
    if isinstance(err, aiohttp.ClientConnectorError):
        if isinstance(err, aiohttp.ClientConnectorDNSError) and not isinstance(err.os_error, socket.gaierror):
            return _system_error(url, f"getaddrinfo ENOTFOUND {err.host or host}", "ENOTFOUND", "getaddrinfo")
        return _connect_error(url, err.os_error, err.host or host, err.port or port)
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return _system_error(url, "socket hang up", "ECONNRESET", None)
    if isinstance(err, aiohttp.ClientPayloadError):
        return NetworkError(
            f"Invalid response body while trying to fetch {redact(url)}: {err}",
            code="ECONNRESET",
            extra={"type": "system", "errno": "ECONNRESET"},
        )
    if isinstance(err, aiohttp.InvalidURL):
        return SnpmError(f"Invalid URL: {redact(str(err.url))}", code="ERR_INVALID_URL")
    if isinstance(err, OSError) and err.errno is not None:
        code = _CONNECT_CODES.get(err.errno) or errno_mod.errorcode.get(err.errno, "EIO")
        return _system_error(url, f"read {code}", code, "read")
    if isinstance(err, aiohttp.ClientError):
        return _system_error(url, str(err) or type(err).__name__, "ECONNRESET", None)
    return _system_error(url, str(err) or type(err).__name__, "EIO", None)


def _plain_network_error(url: str, err: BaseException) -> SnpmError:
    """network_error for the http1 client's, asyncio's and the OS's exceptions."""
    from snpm.registry_client import http1

    if isinstance(err, http1.ConnectError):
        return _connect_error(url, err.os_error, err.host, err.port)
    if isinstance(err, http1.DisconnectedError):
        return _system_error(url, "socket hang up", "ECONNRESET", None)
    if isinstance(err, http1.PayloadError):
        return NetworkError(
            f"Invalid response body while trying to fetch {redact(url)}: {err}",
            code="ECONNRESET",
            extra={"type": "system", "errno": "ECONNRESET"},
        )
    if isinstance(err, ssl.SSLError):
        return _tls_error(url, err)
    if isinstance(err, OSError) and err.errno is not None:
        code = _CONNECT_CODES.get(err.errno) or errno_mod.errorcode.get(err.errno, "EIO")
        return _system_error(url, f"read {code}", code, "read")
    return _system_error(url, str(err) or type(err).__name__, "EIO", None)
