"""Error rendering compared with npm's own lib/utils/error-message.js, code by code."""

from __future__ import annotations

import pytest

from snpm.cli.error_render import render
from snpm.errors import HttpError, NetworkError, SnpmError
from support.node import node_json

pytestmark = pytest.mark.e2e

# (code, message, extra fields) — one per branch of npm's errorMessage switch that snpm can raise
CASES: list[tuple[str, str, dict[str, object]]] = [
    ("ENOLOCK", "no lockfile", {}),
    ("ENOAUDIT", "Your configured registry does not support audit requests.", {}),
    ("ENOGIT", "No git binary found in $PATH", {}),
    ("EJSONPARSE", "Unexpected token } in JSON at position 10 while parsing near '...'", {}),
    ("EOTP", "OTP required for authentication", {}),
    (
        "EOTP",
        "OTP required",
        {"body": {"authUrl": "http://127.0.0.1:9/auth", "doneUrl": "http://127.0.0.1:9/done"}},
    ),
    ("E401", "Unable to authenticate", {"headers": {"www-authenticate": ["Bearer realm=x"]}}),
    ("E401", "Unable to authenticate", {"headers": {"www-authenticate": ["Basic realm=x"]}}),
    ("E401", "401 Unauthorized - GET http://127.0.0.1:9/x", {}),
    ("E404", "404 Not Found - GET http://127.0.0.1:9/nope - Not found", {"pkgid": "nope@*"}),
    ("E404", "404 Not Found - GET http://127.0.0.1:9/Bad%20Name", {"pkgid": "Bad Name@1.0.0"}),
    ("E404", "404 Not Found - GET http://127.0.0.1:9/x", {}),
    ("EPUBLISHCONFLICT", "cannot publish over previous", {}),
    ("EEXIST", "EEXIST: file already exists", {"path": "/tmp/x"}),
    ("ENEEDAUTH", "This command requires you to be logged in to http://127.0.0.1:9/", {}),
    ("ETIMEDOUT", "request to http://127.0.0.1:9/x failed, reason: timeout", {}),
    ("ECONNRESET", "socket hang up", {}),
    ("ETARGET", "No matching version found for left-pad@^9.0.0.", {}),
    ("E403", "403 Forbidden - PUT http://127.0.0.1:9/x - nope", {}),
    ("ENOSPC", "ENOSPC: no space left on device", {}),
    ("EROFS", "EROFS: read-only file system", {}),
    ("ENOENT", "ENOENT: no such file or directory, open '/x/package.json'", {"path": "/x/package.json"}),
    ("ENOENT", "ENOENT: no such file", {"file": "/x/y"}),
    ("EWHATEVER", "something else went wrong", {}),
]

SCRIPT = """
const { errorMessage } = require(NPM + '/lib/utils/error-message.js');
const npm = { command: 'install', loaded: false, prefix: '/nowhere', config: { get: () => '' } };
const out = input.map(([code, message, extra]) => {
  const er = Object.assign(new Error(message), { code }, extra);
  const { summary, detail, json } = errorMessage(er, npm);
  return { summary, detail, json: json ?? null };
});
console.log(JSON.stringify(out));
"""


def _snpm_error(code: str, message: str, extra: dict[str, object]) -> SnpmError:
    kw: dict[str, object] = dict(extra)
    if code.startswith("E4") and code[1:].isdigit():
        return HttpError(message, status=int(code[1:]), code=code, **kw)
    if code in ("ETIMEDOUT", "ECONNRESET"):
        return NetworkError(message, code=code, **kw)  # type: ignore[arg-type]
    return SnpmError(message, code=code, **kw)  # type: ignore[arg-type]


def test_summary_and_detail_match_npm() -> None:
    expected = node_json(SCRIPT, CASES)
    assert isinstance(expected, list)
    for (code, message, extra), want in zip(CASES, expected, strict=True):
        got = render(_snpm_error(code, message, extra), command="install")
        assert [list(x) for x in got.summary] == want["summary"], code
        assert [list(x) for x in got.detail] == want["detail"], code
        assert got.json == want["json"], code
