"""One script run: quoting, banner, defaults, captured output, failures and signals.

The module under test is a process spawner, so the run_script tests start `sh` (hermetic: a
tmp_path package, an environment built from scratch, no HOME, no network).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path

import pytest

from snpm.lifecycle.run_script import (
    DEFAULT_GYP_INSTALL_SCRIPT,
    ScriptError,
    banner_text,
    default_script,
    run_script,
    sh_quote,
)

SH_ENV = {"PATH": os.path.dirname(shutil.which("sh") or "/bin/sh") + os.pathsep + "/usr/bin:/bin"}


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("", "''"),
        ("plain", "plain"),
        ("--x=1", "--x=1"),
        ("a b", "'a b'"),
        ("it's", "'it'\\''s'"),
        ("'quoted'", "\\''quoted'\\'"),
        ("''", "\\'\\'"),
        ("$HOME", "'$HOME'"),
        ("~", "'~'"),
        ("a*b", "'a*b'"),
        ("é", "é"),
        ("x\ny", "'x\ny'"),
    ],
)
def test_sh_quote(arg: str, quoted: str) -> None:
    assert sh_quote(arg) == quoted


def test_banner_text() -> None:
    pkg = {"_id": "runt@0.1.0"}
    assert banner_text(pkg, "build", "  echo one\necho two  ", ["--x", "a b", ""]) == (
        "\n> runt@0.1.0 build\n> echo one\n> echo two --x a b \n"
    )
    assert banner_text({}, "start", "node server.js") == "\n> start\n> node server.js\n"


def test_default_scripts(tmp_path: Path) -> None:
    path = str(tmp_path)
    assert default_script("install", path, {}) is None
    (tmp_path / "binding.gyp").write_text("{}")
    assert default_script("install", path, {}) == DEFAULT_GYP_INSTALL_SCRIPT
    assert default_script("install", path, {"gypfile": False}) is None
    assert default_script("install", path, {"scripts": {"preinstall": "x"}}) is None
    assert default_script("start", path, {}) is None
    (tmp_path / "server.js").write_text("")
    assert default_script("start", path, {}) == "node server.js"


def _run(tmp_path: Path, scripts: dict[str, str], event: str, **kw: object) -> object:
    pkg = {"name": "p", "version": "1.0.0", "_id": "p@1.0.0", "scripts": scripts}
    return asyncio.run(run_script(event=event, path=str(tmp_path), pkg=pkg, env=SH_ENV, **kw))  # type: ignore[arg-type]


def test_nothing_to_run_returns_none(tmp_path: Path) -> None:
    assert _run(tmp_path, {}, "build") is None


def test_pipe_captures_trimmed_output_and_env(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        # the arguments are appended to the script's text, so they reach its last command
        {"build": 'echo "$npm_lifecycle_event $npm_package_name $X"; echo err >&2; printf "%s|"'},
        "build",
        args=["a b", "it's", "", "$x"],
        extra_env={"X": "extra"},
    )
    assert result is not None
    assert result.stdout == "build p extra\na b|it's||$x|"
    assert result.stderr == "err"
    assert result.cmd == "sh"
    assert result.args[1].endswith(" 'a b' 'it'\\''s' '' '$x'")


def test_stdin_is_closed_when_piped(tmp_path: Path) -> None:
    result = _run(tmp_path, {"x": "cat; echo done"}, "x")
    assert result.stdout == "done"


def test_failure_carries_npms_fields(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as info:
        _run(tmp_path, {"x": "echo out; echo err >&2; exit 4"}, "x")
    err = info.value
    assert (err.message, err.code, err.signal) == ("command failed", 4, None)
    assert (err.cmd, err.cmd_args) == ("sh", ("-c", "echo out; echo err >&2; exit 4"))
    assert (err.event, err.script, err.path, err.pkgid) == (
        "x",
        "echo out; echo err >&2; exit 4",
        str(tmp_path),
        "p@1.0.0",
    )
    assert (err.stdout, err.stderr) == ("out", "err")
    assert err.detail_lines() == [
        ("command", "sh -c echo out; echo err >&2; exit 4"),
        ("", "out"),
        ("", "err"),
    ]
    assert err.detail == "command sh -c echo out; echo err >&2; exit 4\nout\nerr"


def test_signal_death(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as info:
        _run(tmp_path, {"x": "kill -TERM $$"}, "x")
    assert info.value.code is None
    assert info.value.signal == "SIGTERM"
    assert info.value.detail_lines()[0] == ("signal", "SIGTERM")


def test_missing_shell_is_a_spawn_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as info:
        _run(tmp_path, {"x": "true"}, "x", script_shell="/nonexistent-shell")
    err = info.value
    assert err.message == "spawn /nonexistent-shell ENOENT"
    assert (err.code, err.errno, err.syscall, err.path) == (
        "ENOENT",
        -2,
        "spawn /nonexistent-shell",
        str(tmp_path),
    )


def test_script_shell_is_used(tmp_path: Path) -> None:
    shell = tmp_path / "myshell"
    shell.write_text('#!/bin/sh\necho "shell got: $*"\n')
    shell.chmod(0o755)
    result = _run(tmp_path, {"x": "anything"}, "x", script_shell=str(shell))
    assert result.stdout == "shell got: -c anything"


def test_inherit_prints_the_banner_through_the_hook(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    banners: list[str] = []
    _run(tmp_path, {"x": "echo inherited"}, "x", stdio="inherit", banner=banners.append, args=["a"])
    assert banners == ["\n> p@1.0.0 x\n> echo inherited a\n"]
    assert capfd.readouterr().out == "inherited a\n"


def test_cwd_is_the_package_folder(tmp_path: Path) -> None:
    result = _run(tmp_path, {"x": "pwd"}, "x")
    assert result.stdout == str(tmp_path)


DRIVER = """
import asyncio, sys
from snpm.lifecycle.run_script import ScriptError, run_script

SCRIPT = "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done"

async def main() -> None:
    try:
        await run_script(event="x", path=sys.argv[1], pkg={"scripts": {"x": SCRIPT}},
                         env={"PATH": sys.argv[2]}, stdio="inherit")
    except ScriptError as err:
        print("failed with", err.code, flush=True)

asyncio.run(main())
"""


def test_sigterm_to_snpm_is_forwarded_to_a_foreground_script(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(tmp_path), SH_ENV["PATH"]],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the script is in the driver's group: clean both up on failure
    )
    try:
        assert driver.stdout is not None
        assert driver.stdout.readline() == "ready\n"
        driver.send_signal(signal.SIGTERM)
        rest, _ = driver.communicate(timeout=10)
        assert driver.returncode == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
    assert rest == "got TERM\nfailed with 7\n"
