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
    # a failed git command (@npmcli/git's errors carry promise-spawn's cmd, args, stdout, stderr)
    (
        "128",
        "An unknown git error occurred",
        {
            "cmd": "git",
            "args": ["--no-replace-objects", "ls-remote", "ssh://git@example.test/a/b.git"],
            "stdout": "",
            "stderr": "ssh: Could not resolve hostname example.test\nfatal: Could not read from remote repository.\n",
        },
    ),
    (
        "129",
        "A git error",
        {"cmd": "git", "args": ["clone", "https://u:secret@example.test/x"], "stdout": " \n"},
    ),
    # npm-install-checks' checkPlatform: `required` holds os, cpu and libc, unset ones undefined
    # (null here, turned back into undefined below); `current` has no libc off Linux
    (
        "EBADPLATFORM",
        "Unsupported platform",
        {
            "pkgid": "fsevents@2.3.3",
            "current": {"os": "linux", "cpu": "x64", "libc": "glibc"},
            "required": {"os": ["darwin"], "cpu": None, "libc": None},
        },
    ),
    (
        "EBADPLATFORM",
        "Unsupported platform",
        {
            "pkgid": "@esbuild/win32-arm64@0.25.0",
            "current": {"os": "linux", "cpu": "x64", "libc": "glibc"},
            "required": {"os": ["win32", "!linux"], "cpu": ["arm64"], "libc": []},
        },
    ),
    (
        "EBADPLATFORM",
        "Unsupported platform",
        {
            "pkgid": "musl-only@1.0.0",
            "current": {"os": "darwin", "cpu": "arm64", "libc": None},
            "required": {"os": None, "cpu": "arm64", "libc": ["musl"]},
        },
    ),
]

SCRIPT = """
const { errorMessage } = require(NPM + '/lib/utils/error-message.js');
const npm = { command: 'install', loaded: false, prefix: '/nowhere', config: { get: () => '' } };
const out = input.map(([code, message, extra]) => {
  for (const k of ['required', 'current']) {
    for (const key in extra[k] ?? {}) if (extra[k][key] === null) extra[k][key] = undefined;
  }
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
    if "cmd" in kw:
        return SnpmError(message, code=code, extra=kw)
    if code == "EBADPLATFORM":
        pkgid = str(kw.pop("pkgid"))
        return SnpmError(message, code=code, pkgid=pkgid, extra=kw)
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
