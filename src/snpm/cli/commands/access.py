"""`snpm access`: npm's lib/commands/access.js (list/get/set/grant/revoke over libnpmaccess)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.chalk import js_text
from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ecmascript.collation import locale_compare_key
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops import package_access
from snpm.ops.local_package import local_package_name
from snpm.spec import parse_spec

_COMMANDS = ("get", "grant", "list", "revoke", "set")
_SET_COMMANDS = (
    "status=public",
    "status=private",
    "mfa=none",
    "mfa=publish",
    "mfa=automation",
    "2fa=none",
    "2fa=publish",
    "2fa=automation",
)
_LOOKUP = {"read": "read-only", "write": "read-write"}


def _package_argument(pkg: str | None) -> str:
    if pkg is None:
        # npa(undefined) in libnpmaccess
        raise SnpmError("Cannot read properties of undefined (reading 'indexOf')")
    return pkg


class Access(Command):
    name = "access"
    summary = "Set access level on published packages"
    usage: ClassVar[tuple[str, ...]] = (
        "list packages [<user>|<scope>|<scope:team>] [<package>]",
        "list collaborators [<package> [<user>]]",
        "get status [<package>]",
        "set status=public|private [<package>]",
        "set mfa=none|publish|automation [<package>]",
        "grant <read-only|read-write> <scope:team> [<package>]",
        "revoke <scope:team> [<package>]",
    )
    params: ClassVar[tuple[str, ...]] = ("json", "otp", "registry")

    async def run(self, args: list[str]) -> None:
        cmd = args[0] if args else ""
        sub = args[1] if len(args) > 1 else ""
        rest = args[2:]
        if not cmd:
            raise self.usage_error()
        if cmd not in _COMMANDS:
            raise self.usage_error(f"{cmd} is not a valid access command")
        if not sub:
            raise self.usage_error()
        config = self.ctx.config
        io = TerminalInteraction(self.ctx.out, config)
        first = rest[0] if rest else None
        second = rest[1] if len(rest) > 1 else None
        if cmd == "grant":
            if sub not in ("read-only", "read-write"):
                raise self.usage_error("grant must be either `read-only` or `read-write`")
            if not first:
                raise self.usage_error("`<scope:team>` argument is required")
            await package_access.access_team_grant(config, io, sub, first, _package_argument(second))
        elif cmd == "revoke":
            await package_access.access_team_revoke(config, io, sub, _package_argument(first))
        elif cmd == "list":
            if sub == "packages":
                self._output(await package_access.access_list_packages(config, io, first), second)
            elif sub == "collaborators":
                name = self._package(first, require_scope=False)
                self._output(await package_access.access_list_collaborators(config, io, name), second)
            else:
                raise self.usage_error(f"list {sub} is not a valid access command")
        elif cmd == "get":
            if sub != "status":
                raise self.usage_error(f"get {sub} is not a valid access command")
            await self._status(io, self._package(first, require_scope=False))
        else:
            if sub not in _SET_COMMANDS:
                raise self.usage_error(f"set {sub} is not a valid access command")
            key, _, value = sub.partition("=")
            if key in ("mfa", "2fa"):
                await package_access.access_set_mfa(
                    config, io, self._package(first, require_scope=False), value
                )
            else:
                name = self._package(first, require_scope=True)
                await package_access.access_set_status(config, io, name, value)
                await self._status(io, name)

    def _package(self, name: str | None, *, require_scope: bool) -> str:
        if not name:
            name = _package_argument(local_package_name(self.ctx.config.prefix, for_access=True))
        spec = parse_spec(name, str(self.ctx.config.local_prefix))
        if require_scope and not spec.scope:
            raise self.usage_error("This command is only available for scoped packages.")
        return name

    async def _status(self, io: TerminalInteraction, name: str) -> None:
        status = await package_access.access_status(self.ctx.config, io, name)
        self._output({name: status}, None)

    def _output(self, items: JsonObject, limiter: str | None) -> None:
        outputs: dict[str, JsonValue] = {}
        for item, value in items.items():
            outputs[item] = _LOOKUP.get(value, value) if isinstance(value, str) else value
        if self.ctx.config.get("json"):
            self.ctx.out.json(outputs)
            return
        for item in sorted(outputs, key=locale_compare_key):
            if not limiter or limiter == item:
                self.ctx.out.standard(f"{item}: {js_text(outputs[item])}")
