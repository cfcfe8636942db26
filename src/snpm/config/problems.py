"""What loading and validating report: log lines, and the top-level auth keys npm 11 refuses.

npm 11 no longer reads `_authToken`, `_auth`, `username` and `_password` outside a registry's nerf
dart; it stops every command but `config` with ERR_INVALID_AUTH (and its odd trailing backtick)
until `npm config fix` renames or deletes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from snpm.config.values import ConfigValue
from snpm.errors import ConfigError


class LogEntry(NamedTuple):
    """One log line npm would print: `npm <level> <title> <message>`.

    `queued` names the warning type for warnings npm holds back until the command starts
    (unknown config keys, positional words after unknown flags)."""

    level: str
    title: str
    message: str
    queued: str | None = None


class AuthProblem(NamedTuple):
    """One finding of validate(): a top-level auth key to delete, or to rename to its nerf-darted form."""

    action: str  # "delete" | "rename"
    where: str
    key: str = ""
    to: str = ""

    def describe(self) -> str:
        if self.action == "delete":
            return f"`{self.key}` is not allowed in {self.where} config"
        return f"`{self.key}` must be renamed to `{self.to}` in {self.where} config"


class InvalidAuthError(ConfigError):
    """npm's ErrInvalidAuth (ERR_INVALID_AUTH), carrying the problems `config fix` repairs."""

    def __init__(self, problems: list[AuthProblem]) -> None:
        message = "Invalid auth configuration found: " + ", ".join(p.describe() for p in problems)
        # the trailing backtick is npm's own
        message += "\nPlease run `npm config fix` to repair your configuration.`"
        super().__init__(message, code="ERR_INVALID_AUTH")
        self.problems = problems


def find_auth_problems(
    get: Callable[[str, str | None], ConfigValue], nerfed_registry: str, where: str
) -> list[AuthProblem]:
    """The refused keys in one file layer. Renames point at the default registry's nerf dart,
    wherever `registry` was set: that is the registry these keys applied to."""
    problems: list[AuthProblem] = []
    for key in ("_authtoken", "-authtoken"):
        if get(key, where):
            problems.append(AuthProblem("delete", where, key=key))
    for key in ("_auth", "_authToken", "username", "_password"):
        if not get(key, where):
            continue
        # username and _password only work together, in the same file
        if (
            key == "username"
            and not get("_password", where)
            or key == "_password"
            and not get("username", where)
        ):
            problems.append(AuthProblem("delete", where, key=key))
        else:
            problems.append(AuthProblem("rename", where, key=key, to=f"{nerfed_registry}:{key}"))
    return problems
