"""`snpm hook add|ls|rm|update` (`up`): npm 10's lib/commands/hook.js, which npm 11 removed.

Output as npm 10 prints it: `--json` the registry's hook objects, `--parseable` a tab-separated
header of the first object's keys and one line of values per hook (JS's `join`: null is empty),
else `+ <name>  ➜  <url>` / `- <name>  ✘  <url>` (`->`/` X ` without unicode) and, for `ls`, a
summary with each hook's endpoint and last delivery. npm 10's rough edges are kept: `ls
--parseable` with no hooks and `rm` of an unknown id (libnpmhook's null) fail with the TypeErrors
JavaScript raises there, and "You don't have any hooks configured yet." shows even when silent.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command, CommandContext
from snpm.cli.prompts import TerminalInteraction
from snpm.cli.view_render import relative_date
from snpm.ecmascript.values import to_string
from snpm.errors import SnpmError, UsageError
from snpm.json_types import JsonValue
from snpm.ops import hooks
from snpm.packument import parse_time


def _arg(args: list[str], index: int) -> str | None:
    return args[index] if len(args) > index else None


def _field(hook: JsonValue, key: str) -> str:
    """`${hook[key]}` in a template string (a missing key reads "undefined")."""
    if hook is None:
        raise SnpmError(f"Cannot read properties of null (reading '{key}')")
    if isinstance(hook, dict) and key in hook:
        return to_string(hook[key])
    return "undefined"


def _hook_name(hook: JsonValue) -> str:
    """hook.js hookName: `~` before an owner hook's name (reading `type` of null is a TypeError)."""
    if not isinstance(hook, dict):
        return _field(hook, "type")
    return ("~" if hook.get("type") == "owner" else "") + _field(hook, "name")


def _parseable(hook: JsonValue) -> list[str]:
    """The keys, then the values, tab-separated (`Object.keys(hook)` of null is a TypeError)."""
    if not isinstance(hook, dict):
        raise SnpmError("Cannot convert undefined or null to object")
    values = ["" if v is None else to_string(v) for v in hook.values()]
    return ["\t".join(hook), "\t".join(values)]


def _triggered(hook: JsonValue) -> str:
    when = hook.get("last_delivery") if isinstance(hook, dict) else None
    if not when:
        return "Never triggered\n"
    moment = parse_time(when) if isinstance(when, str) else None
    date = relative_date(moment.timestamp() * 1000) if moment is not None else "Invalid Date"
    return f'Triggered {date}, response code was "{_field(hook, "response_code")}"\n'


class Hook(Command):
    name = "hook"
    summary = "Manage registry hooks"
    usage: ClassVar[tuple[str, ...]] = (
        "add <pkg> <url> <secret> [--type=<type>]",
        "ls [pkg]",
        "rm <id>",
        "update <id> <url> <secret>",
    )
    params: ClassVar[tuple[str, ...]] = ("registry", "otp")

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        # `--type` is in hook's usage and npm 10 took it silently (libnpmhook reads the type off the
        # name): not an unknown setting to warn about here
        ctx.config.remove_warning("type")

    def usage_error(self, message: str = "") -> UsageError:
        """npm 10's usage block: the options line without npm 11's description of each option."""
        from snpm.cli.help import command_usage

        return UsageError(message, usage=command_usage(type(self), include_descriptions=False))

    @property
    def _silent(self) -> bool:
        return self.ctx.out.settings.loglevel == "silent"

    async def run(self, args: list[str]) -> None:
        config = self.ctx.config
        io = TerminalInteraction(self.ctx.out, config)
        action = _arg(args, 0)
        if action == "add":
            hook = await hooks.add_hook(config, io, _arg(args, 1), _arg(args, 2), _arg(args, 3))
            self._show(hook, "+", " ➜ ", " -> ")
        elif action == "ls":
            self._list(await hooks.list_hooks(config, io, _arg(args, 1)))
        elif action == "rm":
            hook = await hooks.remove_hook(config, io, _arg(args, 1))
            self._show(hook, "-", " ✘ ", " X ")
        elif action in ("update", "up"):
            hook = await hooks.update_hook(config, io, _arg(args, 1), _arg(args, 2), _arg(args, 3))
            self._show(hook, "+", " ➜ ", " -> ")
        else:
            raise self.usage_error()

    def _show(self, hook: JsonValue, sign: str, unicode_arrow: str, ascii_arrow: str) -> None:
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            if hook is not None:  # npm's JSON buffer skips a null result: nothing is printed
                out.json(hook, redact=False)
        elif config.get("parseable"):
            for line in _parseable(hook):
                out.standard(line)
        elif not self._silent:
            arrow = unicode_arrow if config.get("unicode") else ascii_arrow
            out.standard(f"{sign} {_hook_name(hook)} {arrow} {_field(hook, 'endpoint')}")

    def _list(self, found: list[JsonValue]) -> None:
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            out.json(found, redact=False)
        elif config.get("parseable"):
            lines = _parseable(found[0] if found else None)
            out.standard(lines[0])
            for hook in found:
                out.standard(_parseable(hook)[1])
        elif not found:
            out.standard("You don't have any hooks configured yet.")
        elif not self._silent:
            out.standard(f"You have {len(found)} hook{'' if len(found) == 1 else 's'} configured.")
            for hook in found:
                out.standard(f"Hook {_field(hook, 'id')}: {_hook_name(hook)}")
                out.standard(f"Endpoint: {_field(hook, 'endpoint')}")
                out.standard(_triggered(hook))
