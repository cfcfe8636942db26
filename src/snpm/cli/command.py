"""The Command base class: a command is a declaration (name, usage, params) plus one `run`.

Help and usage text are generated from these declarations (`snpm.cli.help`), never written by hand.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from snpm.errors import SnpmError, UsageError

if TYPE_CHECKING:
    from snpm.cli.output import Output
    from snpm.config import Config


class CommandContext:
    """What a running command may use: the loaded config, the output, the process environment.

    A plain class rather than a dataclass: `dataclasses` (and the `inspect` it imports) would cost
    every command ~10 ms of start-up (`tests/unit/cli/test_startup_imports.py`)."""

    __slots__ = ("argv", "command", "config", "cwd", "env", "out")

    def __init__(
        self,
        config: Config,
        out: Output,
        env: Mapping[str, str],
        cwd: Path,
        argv: list[str] | None = None,
        command: str = "",
    ) -> None:
        self.config = config
        self.out = out
        self.env = env
        self.cwd = cwd
        self.argv: list[str] = [] if argv is None else argv
        # the command name as npm resolved it (canonical, after aliases); exported as npm_command
        self.command = command


class Command(ABC):
    """One npm command. Subclasses declare the class attributes and implement `run`."""

    name: ClassVar[str]
    # npm's one-line description, shown first in `snpm <cmd> --help`
    summary: ClassVar[str] = ""
    # each entry is printed as `npm <name> <entry>` under "Usage:"
    usage: ClassVar[tuple[str, ...]] = ("",)
    # config keys (from snpm.config.definitions) this command reads; shown under "Options:"
    params: ClassVar[tuple[str, ...]] = ()
    # npm's `skipConfigValidation`: `config` must still work with an invalid auth setup, to fix it
    skip_config_validation: ClassVar[bool] = False
    # npm's `ignoreImplicitWorkspace`: most commands ignore a workspace found by walking up from cwd
    ignore_implicit_workspace: ClassVar[bool] = True
    # npm's `static workspaces`: the command runs per workspace under -w/-ws (`run_workspaces`)
    workspaces: ClassVar[bool] = False
    # False for a command whose `run` awaits nothing (local settings and paths): it runs without
    # asyncio, whose import is ~half the time of `snpm config get` (snpm.cli.main._run_at_once)
    event_loop: ClassVar[bool] = True

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    @abstractmethod
    async def run(self, args: list[str]) -> None:
        """Do the command; raise SnpmError on failure. Output goes through `self.ctx.out`."""

    async def run_workspaces(self, args: list[str]) -> None:
        """The command under -w/-ws; only commands with `workspaces = True` are sent here."""
        raise SnpmError("This command does not support workspaces.", code="ENOWORKSPACES")

    def usage_error(self, message: str = "") -> UsageError:
        """EUSAGE carrying this command's usage text, as npm's `this.usageError(msg)`."""
        from snpm.cli.help import command_usage

        return UsageError(message, usage=command_usage(type(self)))
