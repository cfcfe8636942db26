"""Terminal prompts and URL opening for interactive flows (npm's read-user-info.js, the `read`
package, open-url.js): the CLI's implementation of `snpm.ops.interaction.Interaction`.

Prompts are written to stdout and answers read from stdin, like npm's `read` (which uses
process.stdin/stdout): `Username: (default) `, passwords without echo (termios) on a terminal.
Unlike npm, piped answers are read line by line (npm's readline swallows the whole pipe on the
first prompt and then exits 1 without a word); at the end of input the flow stops with
`canceled`, npm's message for an interrupted prompt.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sys
from typing import TYPE_CHECKING, TextIO

from snpm.cli.output import format_lines
from snpm.errors import SnpmError
from snpm.ops.interaction import OTP_PROMPT, PASSWORD_PROMPT

if TYPE_CHECKING:
    from snpm.cli.output import Output
    from snpm.config import Config

__all__ = ["TerminalInteraction", "show_unredacted", "validate_email", "validate_username"]

_OTP_RE = re.compile(r"^[\d ]+$|^[A-Fa-f0-9]{64,64}$")
_EMAIL_RE = re.compile(r"^[^@]+@.+\..+$")
_URI_UNRESERVED = re.compile(r"^[A-Za-z0-9\-_.!~*'()]*$")


def validate_username(name: str) -> str | None:
    """npm-user-validate's username(): the first problem, or None."""
    if name != name.lower():
        return "Name must be lowercase"
    if not _URI_UNRESERVED.match(name):
        return "Name may not contain non-url-safe chars"
    if name.startswith("."):
        return 'Name may not start with "."'
    if len(name) > 214:
        return "Name length must be less than or equal to 214 characters long"
    if "'" in name:
        return 'Name may not contain illegal character "\'"'
    return None


def validate_email(email: str) -> str | None:
    """npm-user-validate's email()."""
    if len(email) > 254:
        return "Email length must be less then or equal to 254 characters long"
    if not _EMAIL_RE.match(email):
        return "Email must be an email address"
    return None


def show_unredacted(out: Output, text: str) -> None:
    """npm's `output.standard(text, { [META]: true, redact: false })`: URLs and new tokens as they are."""
    out.stdout.write(format_lines("", text, redact=False))
    out.stdout.flush()


class TerminalInteraction:
    """Prompts on the process's terminal, logs through the CLI's Output."""

    def __init__(self, out: Output, config: Config, stdin: TextIO | None = None) -> None:
        self._out = out
        self._config = config
        self._stdin = stdin or sys.stdin

    def log(self, level: str, title: str, message: str) -> None:
        self._out.emit(level, title, message)

    def _is_tty(self, stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def interactive(self) -> bool:
        return self._is_tty(self._stdin) and self._is_tty(self._out.stdout)

    # ── the `read` package ──

    async def _read(self, prompt: str, default: str = "", *, silent: bool = False) -> str:
        text = prompt.strip() + " "
        if default:
            text += "(<default hidden>) " if silent else f"({default}) "
        line = await asyncio.to_thread(self._read_line, text, silent)
        return line or default

    def _read_line(self, prompt: str, silent: bool) -> str:
        hide = silent and self._is_tty(self._stdin)
        old = None
        if hide:
            import termios

            # echo goes off before the prompt is shown, and typed-ahead input is kept (TCSADRAIN)
            fd = self._stdin.fileno()
            old = termios.tcgetattr(fd)
            new = termios.tcgetattr(fd)
            new[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSADRAIN, new)
        try:
            self._out.stdout.write(prompt)
            self._out.stdout.flush()
            line = self._stdin.readline()
        finally:
            if old is not None:
                import termios

                termios.tcsetattr(self._stdin.fileno(), termios.TCSADRAIN, old)
                self._out.stdout.write("\n")
                self._out.stdout.flush()
        if not line:
            raise SnpmError("canceled")
        return line.rstrip("\r\n")

    # ── read-user-info.js ──

    async def read_username(self, prompt: str, default: str | None = None) -> str:
        answer = await self._read(prompt, default or "")
        while True:
            if answer:
                problem = validate_username(answer)
                if problem is None:
                    return answer.strip()
                self.log("warn", problem, "")
            answer = await self._read(prompt, answer)

    async def read_password(self, prompt: str = PASSWORD_PROMPT, default: str | None = None) -> str:
        answer = await self._read(prompt, default or "", silent=True)
        while not answer:
            answer = await self._read(prompt, answer, silent=True)
        return answer

    async def read_email(self, prompt: str, default: str | None = None) -> str:
        answer = await self._read(prompt, default or "")
        while True:
            if answer:
                problem = validate_email(answer)
                if problem is None:
                    return answer.strip()
                self.log("warn", problem, "")
            answer = await self._read(prompt, answer)

    async def read_otp(self, prompt: str = OTP_PROMPT) -> str:
        answer = await self._read(prompt)
        while not (answer and _OTP_RE.match(answer)):
            answer = await self._read(prompt, answer)
        return re.sub(r"\s+", "", answer)

    # ── open-url.js ──

    def _output_msg(self, title: str, url: str) -> None:
        if self._config.get("json"):
            self._out.json({"title": title, "url": url})
        else:
            show_unredacted(self._out, f"{title}:\n{url}")

    async def open_url_prompt(self, title: str, url: str) -> None:
        from snpm.ops.auth_flow import is_http_url

        if not is_http_url(url):
            raise SnpmError(f"Invalid URL: {url}")
        self._output_msg(title, url)
        if self._config.get("browser") is False or not self.interactive:
            return
        self._out.stdout.write("Press ENTER to open in the browser...")
        self._out.stdout.flush()
        await self._wait_for_enter()
        await self.open_url(url, "Browser unavailable. Please open the URL manually")

    async def _wait_for_enter(self) -> None:
        loop = asyncio.get_running_loop()
        fd = self._stdin.fileno()
        pressed: asyncio.Future[None] = loop.create_future()

        def on_input() -> None:
            data = os.read(fd, 1024)
            if not pressed.done():
                if data:
                    pressed.set_result(None)
                else:
                    pressed.set_exception(SnpmError("canceled"))

        loop.add_reader(fd, on_input)
        try:
            await pressed
        finally:
            loop.remove_reader(fd)

    async def open_url(self, url: str, title: str) -> None:
        """openUrl: run the `browser` command (or the platform's opener); 127 → print the URL."""
        browser = self._config.get("browser")
        if browser is False:
            self._output_msg(title, url)
            return
        if isinstance(browser, str) and browser:
            command = browser
        elif sys.platform == "darwin":
            command = "open"
        elif sys.platform == "win32":
            command = 'start ""'
        else:
            command = "xdg-open"
        shell_command = f"{command} {shlex.quote(url)}"
        process = await asyncio.create_subprocess_shell(
            shell_command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await process.communicate()
        code = process.returncode
        if code == 127:
            self._output_msg(title, url)
        elif code:
            # @npmcli/promise-spawn's error: npm shows the command and what it printed
            shown = [f"command sh -c {shell_command}"]
            shown += [text.decode("utf-8", "replace").strip() for text in (stdout, stderr) if text.strip()]
            raise SnpmError("command failed", code=code, detail="\n".join(shown))
