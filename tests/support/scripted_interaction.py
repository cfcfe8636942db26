"""A scripted `snpm.ops.interaction.Interaction`: answers from a list, everything recorded.

io = ScriptedInteraction(answers={"Username:": ["alice"], "Password:": ["secret"]})
await account.login(config, io)
io.logs, io.asked, io.urls
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from snpm.ops.interaction import OTP_PROMPT, PASSWORD_PROMPT


@dataclass
class ScriptedInteraction:
    answers: dict[str, list[str]] = field(default_factory=dict)
    interactive: bool = True
    # called with (title, url) when a URL is shown: plays the browser in tests
    on_url: Callable[[str, str], Awaitable[None]] | None = None
    logs: list[tuple[str, str, str]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)

    def log(self, level: str, title: str, message: str) -> None:
        self.logs.append((level, title, message))

    def _answer(self, prompt: str) -> str:
        self.asked.append(prompt)
        queue = self.answers.get(prompt)
        if not queue:
            raise AssertionError(f"unexpected prompt {prompt!r}")
        return queue.pop(0)

    async def read_username(self, prompt: str, default: str | None = None) -> str:
        return self._answer(prompt) or default or ""

    async def read_password(self, prompt: str = PASSWORD_PROMPT, default: str | None = None) -> str:
        return self._answer(prompt) or default or ""

    async def read_email(self, prompt: str, default: str | None = None) -> str:
        return self._answer(prompt) or default or ""

    async def read_otp(self, prompt: str = OTP_PROMPT) -> str:
        return self._answer(prompt)

    async def open_url_prompt(self, title: str, url: str) -> None:
        self.urls.append((title, url))
        if self.on_url is not None:
            await self.on_url(title, url)
