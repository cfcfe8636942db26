"""What account and registry flows need from a front end: prompts, showing a URL, log lines.

npm's lib/utils/read-user-info.js and open-url.js are user-interface code; the operations only say
*what* to ask (npm's prompt texts live here) and the CLI (`snpm.cli.prompts`) decides how: terminal
reads without echo for passwords, the `browser` setting, --json. Tests pass scripted answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = [
    "OTP_PROMPT",
    "PASSWORD_PROMPT",
    "Interaction",
    "LogFn",
]

# read-user-info.js's default prompts
OTP_PROMPT = (
    "This command requires a one-time password (OTP) from your authenticator app.\n"
    "Enter one below. You can also pass one on the command line by appending --otp=123456.\n"
    "For more information, see:\n"
    "https://docs.npmjs.com/getting-started/using-two-factor-authentication\n"
    "Enter OTP: "
)
PASSWORD_PROMPT = "npm password: "

# log(level, title, message) with npm's levels: the CLI's Output.emit fits it
LogFn = Callable[[str, str, str], None]


class Interaction(Protocol):
    """The front end's side of an interactive flow."""

    def log(self, level: str, title: str, message: str) -> None:
        """A log line (npm's proc-log `log.<level>(title, message)`)."""

    @property
    def interactive(self) -> bool:
        """stdin and stdout are terminals: npm's condition for asking an OTP after an EOTP answer."""

    async def read_username(self, prompt: str, default: str | None = None) -> str:
        """Ask until a valid user name is given (npm-user-validate's rules; warnings on bad ones)."""

    async def read_password(self, prompt: str = PASSWORD_PROMPT, default: str | None = None) -> str:
        """Ask, without echo, until something non-empty is given."""

    async def read_email(self, prompt: str, default: str | None = None) -> str:
        """Ask until a plausible e-mail address is given."""

    async def read_otp(self, prompt: str = OTP_PROMPT) -> str:
        """Ask until the answer looks like an OTP (digits and spaces, or 64 hex digits)."""

    async def open_url_prompt(self, title: str, url: str) -> None:
        """Show `title:` and `url`; on a terminal offer to open it in the browser (open-url.js).

        Cancelled when the flow no longer needs it (the login finished in the browser)."""
