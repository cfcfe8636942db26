"""`npm hook` (npm 10, its last major with the command) and `snpm hook` side by side against a real
snpm-registry on 127.0.0.1.

Each program runs in its own world (HOME, userconfig, globalconfig, prefix, cache) as its own user
(`kiwi` for npm 10, `plum` for snpm) and plays the same steps with `{p}` standing for that user: add
(package, scope and owner hooks; plain, `--json`, `--parseable`, unicode and ascii), ls (empty,
filtered, after deliveries), update, rm, the errors (usage, missing arguments, the registry's 404
and 400, npm 10's own TypeErrors), `--loglevel=silent`, and two-factor authentication (EOTP without
a code, `--otp`, otplease's prompt on a terminal). For every step the exit codes, stdout and the
`error`/`warn` lines must agree once names, hook ids and times are aligned, and so must each user's
hooks on the registry afterwards. Deliveries to a receiver on 127.0.0.1 make `ls` show
"Triggered …" lines, and are checked for their signatures.

npm 10 comes from scripts/install_npm10.sh (.cache/npm10); without it the module skips.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from support.npm_world import World, make_world
from support.registry import RunningRegistry, publish_body, registry_db, start_registry
from support.terminal import run_in_pty

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NODE = shutil.which("node")
NPM10_CLI = Path(__file__).resolve().parents[2] / ".cache/npm10/node_modules/npm/bin/npm-cli.js"
if NODE is None or not NPM10_CLI.exists():
    pytest.skip("npm 10 is not installed (run scripts/install_npm10.sh)", allow_module_level=True)

PASSWORD = "correct-horse-battery"
SECRET = "sekret"
OWN = {"npm": "kiwi", "snpm": "plum"}
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_TRIGGERED = re.compile(r"^Triggered (just now|\d+ seconds ago|a minute ago), response", re.MULTILINE)
# a stack frame of a `typeerror` block: node's frames are npm's files, snpm's are its own
_STACK_FRAME = re.compile(r"^npm error typeerror {5}at \S")
_TERMINAL_NOISE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\u2800-\u28ff]")


# ── a webhook receiver on 127.0.0.1 ──


@dataclass
class Receiver:
    url: str = ""
    got: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


def _receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            found.got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    return found, server


# ── the registry, the worlds and the steps ──


@dataclass
class Setup:
    server: RunningRegistry
    receiver: Receiver
    tokens: dict[str, str]
    worlds: dict[str, World]
    # each program's hook ids in the order they were created (names them `<hook-N>`)
    ids: dict[str, list[str]] = field(default_factory=lambda: {"npm": [], "snpm": []})
    totp: dict[str, str] = field(default_factory=dict)
    steps: int = 0


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("hooks")
    server = start_registry(root / "data")
    receiver, http = _receiver()
    try:
        tokens = {}
        for user in OWN.values():
            body = {"name": user, "password": PASSWORD, "email": f"{user}@example.test"}
            status, answer = server.request("PUT", f"/-/user/org.couchdb.user:{user}", body=body)
            assert status == 201, answer
            tokens[user] = str(answer["token"])
        worlds = {}
        for program, user in OWN.items():
            world = make_world(root / program)
            world.userconfig.write_text(
                f"registry={server.url}\n{server.url.removeprefix('http:')}:_authToken={tokens[user]}\n"
            )
            worlds[program] = world
        yield Setup(server, receiver, tokens, worlds)
    finally:
        http.shutdown()
        server.stop()


@dataclass
class Result:
    code: int
    stdout: str
    problems: list[str]


def _argv(program: str, args: list[str]) -> list[str]:
    if program == "npm":
        assert NODE is not None
        return [NODE, str(NPM10_CLI), *args]
    return [sys.executable, "-m", "snpm", *args]


def _problems(stderr: str) -> list[str]:
    lines: list[str] = []
    for raw in stderr.replace("\r\n", "\n").splitlines():
        line = re.sub(r"^snpm ", "npm ", raw)
        if not line.startswith(("npm error", "npm warn", "npm notice")) or "A complete log" in line:
            continue
        if _STACK_FRAME.match(line):
            # the frames (how many, and where) are each program's own: one marker for them all
            line = "npm error typeerror     at <frames>"
            if lines and lines[-1] == line:
                continue
        # npm 11 (whose error rendering snpm shares) no longer indents the issues URL, and keeps the
        # EOTP advice's last sentence on one line
        line = line.replace("typeerror   https://", "typeerror https://")
        if (
            line == "npm error it, or it timed out. Please try again."
            and lines
            and lines[-1].endswith("typoed")
        ):
            lines[-1] += " it, or it timed out. Please try again."
            continue
        lines.append(line)
    return lines


def _align(setup: Setup, program: str, text: str) -> str:
    """Name this program's hook ids `<hook-N>`, its user `{p}`, and every time `<time>`."""
    for index, hook_id in enumerate(setup.ids[program]):
        text = text.replace(hook_id, f"<hook-{index}>")
    text = _TIME.sub("<time>", text)
    return text.replace(OWN[program], "{p}")


def _expand(setup: Setup, program: str, args: tuple[str, ...]) -> list[str]:
    values = {"p": OWN[program], "url": setup.receiver.url}
    values.update({f"id{i}": hook_id for i, hook_id in enumerate(setup.ids[program])})
    if program in setup.totp:
        values["otp"] = _totp(setup.totp[program])
    return [a.format(**values) for a in args]


def _hooks(setup: Setup, program: str) -> list[dict[str, Any]]:
    status, body = setup.server.request("GET", "/-/npm/v1/hooks", token=setup.tokens[OWN[program]])
    assert status == 200, body
    return list(body["objects"])


def _remember_ids(setup: Setup) -> None:
    for program in OWN:
        for hook in _hooks(setup, program):
            if hook["id"] not in setup.ids[program]:
                setup.ids[program].append(hook["id"])


def _state(setup: Setup, program: str) -> str:
    return _align(setup, program, json.dumps(_hooks(setup, program), indent=1))


def _run(setup: Setup, program: str, args: list[str]) -> Result:
    world = setup.worlds[program]
    done = subprocess.run(
        _argv(program, args),
        cwd=world.project,
        env=world.env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Result(done.returncode, done.stdout, _problems(done.stderr))


def both(setup: Setup, *args: str) -> Result:
    """One step with each program; outputs and the registry's state must agree once aligned."""
    results = {}
    for program in OWN:
        found = _run(setup, program, _expand(setup, program, args))
        _remember_ids(setup)
        results[program] = Result(
            found.code,
            _TRIGGERED.sub("Triggered <recently>, response", _align(setup, program, found.stdout)),
            [_align(setup, program, line) for line in found.problems],
        )
    assert results["snpm"] == results["npm"], (args, results["npm"], results["snpm"])
    assert _state(setup, "snpm") == _state(setup, "npm"), args
    setup.steps += 1
    return results["npm"]


def _totp(secret: str) -> str:
    import pyotp

    return str(pyotp.TOTP(secret).now())


# ── the scenario ──


def test_hook_commands_match_npm_10(setup: Setup) -> None:
    url = setup.receiver.url
    usage = both(setup, "hook")
    assert usage.code == 1 and "npm error code EUSAGE" in usage.problems
    assert "npm error npm hook add <pkg> <url> <secret> [--type=<type>]" in usage.problems
    both(setup, "hook", "frob")
    assert both(setup, "hook", "ls").stdout == "You don't have any hooks configured yet.\n"
    assert both(setup, "hook", "ls", "--json").stdout == "[]\n"
    failed = both(setup, "hook", "ls", "--parseable")  # npm 10: Object.keys(undefined)
    assert failed.code == 1 and failed.problems == ["npm error Cannot convert undefined or null to object"]
    missing = both(setup, "hook", "add", "{p}-pkg")
    assert "npm error typeerror TypeError: Argument #2: Expected string but got null" in missing.problems

    added = both(setup, "hook", "add", "{p}-pkg", "{url}/{p}/a", SECRET)
    assert added.stdout == f"+ {{p}}-pkg  ➜  {url}/{{p}}/a\n"
    as_json = both(setup, "hook", "add", "@{p}", "{url}/{p}/b", SECRET, "--json")
    assert json.loads(as_json.stdout)["type"] == "scope"
    parseable = both(setup, "hook", "add", "~{p}", "{url}/{p}/c", SECRET, "--parseable")
    assert parseable.stdout.splitlines()[1].startswith("<hook-2>\t{p}\t{p}\t")
    # --type is in hook's usage; libnpmhook reads the type off the name (no warning, as npm 10)
    typed = both(setup, "hook", "add", "{p}-pkg", "{url}/{p}/d", SECRET, "--type=scope", "--no-unicode")
    assert typed.stdout == f"+ {{p}}-pkg  ->  {url}/{{p}}/d\n" and typed.problems == []
    assert both(setup, "hook", "add", "~nobody-{p}", "{url}/x", SECRET).problems[0] == "npm error code E404"
    assert both(setup, "hook", "add", "{p}-pkg", "ftp://example.test/", SECRET).problems[0] == (
        "npm error code E400"
    )
    assert both(setup, "hook", "ls", "{p}-pkg").stdout.startswith("You have 2 hooks configured.\n")
    assert len(both(setup, "hook", "ls", "--parseable").stdout.splitlines()) == 5
    assert len(json.loads(both(setup, "hook", "ls", "~{p}", "--json").stdout)) == 1
    assert both(setup, "hook", "ls", "nothing-{p}", "--loglevel=silent").stdout == (
        "You don't have any hooks configured yet.\n"
    )
    assert both(setup, "hook", "ls", "--loglevel=silent").stdout == ""

    # deliveries: a publish of each user's package reaches its package and owner hooks
    for user in OWN.values():
        body = publish_body(f"{user}-pkg", "1.0.0", registry=setup.server.url)
        status, answer = setup.server.request("PUT", f"/{user}-pkg", token=setup.tokens[user], body=body)
        assert status == 201, answer
    deadline = time.monotonic() + 30
    while not all(sum(1 for h in _hooks(setup, p) if h["delivered"]) == 3 for p in OWN):
        assert time.monotonic() < deadline, [_hooks(setup, p) for p in OWN]
        time.sleep(0.1)
    listed = both(setup, "hook", "ls")
    assert listed.stdout.count('Triggered <recently>, response code was "200"') == 3
    assert "Hook <hook-1>: @{p}\nEndpoint: " in listed.stdout and "Never triggered" in listed.stdout
    for path, headers, body in setup.receiver.got:
        sent = json.loads(body)
        user = sent["hookOwner"]["username"]
        assert path.startswith(f"/{user}/") and sent["event"] == "package:publish"
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-npm-signature"] == expected
    assert len(setup.receiver.got) == 6

    assert both(setup, "hook", "update", "{id0}", "{url}/{p}/e", "new-" + SECRET).stdout == (
        f"+ {{p}}-pkg  ➜  {url}/{{p}}/e\n"
    )
    assert (
        json.loads(both(setup, "hook", "up", "{id1}", "{url}/{p}/f", "s2", "--json").stdout)["secret"] == "s2"
    )
    both(setup, "hook", "update", "{id2}", "{url}/{p}/g", "s3", "--parseable", "--no-unicode")
    assert both(setup, "hook", "update", "nope1234", "{url}/{p}/g", "s3").problems[0] == "npm error code E404"
    both(setup, "hook", "update", "{id0}", "{url}")
    assert both(setup, "hook", "rm", "{id3}", "--no-unicode").stdout == f"- {{p}}-pkg  X  {url}/{{p}}/d\n"
    assert json.loads(both(setup, "hook", "rm", "{id2}", "--json").stdout)["deleted"] is True
    gone = both(setup, "hook", "rm", "nope1234")  # libnpmhook's null, then hook.js reads null.type
    assert gone.problems == ["npm error Cannot read properties of null (reading 'type')"]
    assert both(setup, "hook", "rm", "nope1234", "--json") == Result(0, "", [])
    both(setup, "hook", "rm", "nope1234", "--parseable")
    both(setup, "hook", "rm", "{id1}", "--parseable")
    assert both(setup, "hook", "ls").stdout.startswith("You have 1 hook configured.\n")

    # two-factor authentication in auth-and-writes mode: writes need a one-time password
    for program, user in OWN.items():
        setup.totp[program] = _enable_2fa(setup, user)
    refused = both(setup, "hook", "add", "{p}-pkg", "{url}/{p}/h", SECRET)
    assert refused.code == 1 and "npm error code EOTP" in refused.problems
    assert both(setup, "hook", "add", "{p}-pkg", "{url}/{p}/h", SECRET, "--otp={otp}").stdout == (
        f"+ {{p}}-pkg  ➜  {url}/{{p}}/h\n"
    )
    assert both(setup, "hook", "ls", "--json").code == 0
    _both_on_a_terminal(setup, "hook", "rm", "{id0}")
    print(f"hook: {setup.steps} steps identical between npm 10 and snpm (outputs and registry state)")


def _enable_2fa(setup: Setup, user: str) -> str:
    """Turn on auth-and-writes 2FA over the profile API (as `npm profile enable-2fa` does)."""
    token = setup.tokens[user]
    status, body = setup.server.request(
        "POST", "/-/npm/v1/user", token=token, body={"tfa": {"mode": "auth-and-writes", "password": PASSWORD}}
    )
    assert status == 200, body
    secret = parse_qs(urlsplit(body["tfa"]).query)["secret"][0]
    status, body = setup.server.request("POST", "/-/npm/v1/user", token=token, body={"tfa": [_totp(secret)]})
    assert status == 200, body
    assert registry_db(setup.server, "SELECT tfa_mode FROM users WHERE name = ?", user) == [
        ("auth-and-writes",)
    ]
    return secret


def _both_on_a_terminal(setup: Setup, *args: str) -> None:
    """otplease: without --otp, on a terminal, both ask for the code and retry with it."""
    outputs = {}
    for program in OWN:
        world = setup.worlds[program]
        secret = setup.totp[program]
        code, output = run_in_pty(
            _argv(program, _expand(setup, program, args)),
            world.env(),
            world.project,
            [("Enter OTP:", lambda _, secret=secret: _totp(secret))],
        )
        # after the prompt: the typed code's echo, then the result (npm 10 also draws its spinner)
        text = _TERMINAL_NOISE.sub("", output.replace("\r", "")).split("Enter OTP:", 1)[1]
        shown = [line for line in text.splitlines()[1:] if line.strip()]
        outputs[program] = (code, [_align(setup, program, line) for line in shown])
    assert outputs["snpm"] == outputs["npm"], outputs
    assert outputs["npm"][0] == 0 and outputs["npm"][1] == [f"- {{p}}-pkg  ✘  {setup.receiver.url}/{{p}}/e"]
    assert _state(setup, "snpm") == _state(setup, "npm")
    setup.steps += 1
