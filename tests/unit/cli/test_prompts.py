"""The CLI's prompts (read-user-info.js and the `read` package) with answers piped on stdin."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from snpm.cli.output import DisplaySettings, Output
from snpm.cli.prompts import TerminalInteraction, validate_email, validate_username
from snpm.config import Config, load_config
from snpm.errors import SnpmError


def _config(tmp_path: Path, *argv: str) -> Config:
    for folder in ("home", "prefix/etc", "project"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(tmp_path / "home"), "PREFIX": str(tmp_path / "prefix")}
    return load_config(list(argv), env=env, cwd=tmp_path / "project", stdout_tty=False, stderr_tty=False)


def _terminal(tmp_path: Path, answers: str, *argv: str) -> tuple[TerminalInteraction, Output]:
    out = Output(io.StringIO(), io.StringIO())
    out.load(DisplaySettings(loglevel="notice", heading="npm"))
    return TerminalInteraction(out, _config(tmp_path, *argv), stdin=io.StringIO(answers)), out


def test_user_validation() -> None:
    assert validate_username("alice") is None
    assert validate_username("Alice") == "Name must be lowercase"
    assert validate_username("al ice") == "Name may not contain non-url-safe chars"
    assert validate_username(".alice") == 'Name may not start with "."'
    assert validate_username("a'b") is not None
    assert validate_email("a@b.c") is None
    assert validate_email("nope") == "Email must be an email address"


def test_username_is_asked_again_until_valid(tmp_path: Path) -> None:
    terminal, out = _terminal(tmp_path, "Alice\nalice\n")
    assert asyncio.run(terminal.read_username("Username:")) == "alice"
    assert out.stdout.getvalue() == "Username: Username: (Alice) "  # type: ignore[attr-defined]
    assert out.stderr.getvalue() == "npm warn Name must be lowercase\n"  # type: ignore[attr-defined]


def test_defaults_are_offered_and_used_for_an_empty_answer(tmp_path: Path) -> None:
    terminal, out = _terminal(tmp_path, "\n\n")
    assert asyncio.run(terminal.read_username("Username:", "bob")) == "bob"
    assert asyncio.run(terminal.read_password("Password:", "secret")) == "secret"
    assert out.stdout.getvalue() == "Username: (bob) Password: (<default hidden>) "  # type: ignore[attr-defined]


def test_password_and_otp_loops(tmp_path: Path) -> None:
    terminal, _ = _terminal(tmp_path, "\nhunter2\nabc\n123 456\n")
    assert asyncio.run(terminal.read_password()) == "hunter2"
    assert asyncio.run(terminal.read_otp()) == "123456"


def test_end_of_input_cancels(tmp_path: Path) -> None:
    terminal, _ = _terminal(tmp_path, "")
    with pytest.raises(SnpmError, match="^canceled$"):
        asyncio.run(terminal.read_email("Email (this will be public):"))


def test_open_url_prompt_prints_the_url_without_redaction(tmp_path: Path) -> None:
    terminal, out = _terminal(tmp_path, "")
    url = "http://127.0.0.1:9/-/v1/login/0a1b2c3d-0000-4000-8000-000000000000"
    asyncio.run(terminal.open_url_prompt("Login at", url))
    assert out.stdout.getvalue() == f"Login at:\n{url}\n"  # type: ignore[attr-defined]
    with pytest.raises(SnpmError, match="^Invalid URL: ftp://x$"):
        asyncio.run(terminal.open_url_prompt("Login at", "ftp://x"))


def test_open_url_prompt_under_json(tmp_path: Path) -> None:
    terminal, out = _terminal(tmp_path, "", "--json")
    asyncio.run(terminal.open_url_prompt("Login at", "http://r.example/login"))
    out.flush()
    assert out.stdout.getvalue() == '{\n  "title": "Login at",\n  "url": "http://r.example/login"\n}\n'  # type: ignore[attr-defined]
