"""Usage text generated from command declarations and the config definitions.

Ports npm's base-cmd.js `getUsage` and utils/npm-usage.js, so `snpm <cmd> --help` prints what npm prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.cli.command_table import ALIASES, COMMANDS

if TYPE_CHECKING:
    from snpm.cli.command import Command

WRAP_WIDTH = 80


def _param_usage(key: str) -> tuple[str, str, tuple[str, ...], str]:
    """(usage, description's first line, exclusive keys, short flag) of one config key."""
    from snpm.config.definitions import DEFINITIONS

    definition = DEFINITIONS[key]
    usage = str(getattr(definition, "usage", "") or f"--{key}")
    description = str(getattr(definition, "description", "")).strip().split("\n")[0]
    exclusive = tuple(getattr(definition, "exclusive", ()) or ())
    short = getattr(definition, "short", None) or ()
    # npm joins several short letters of one setting with commas in help (`-?,H,h` for usage)
    short_flag = short if isinstance(short, str) else ",".join(f"{s}" for s in short)
    return usage, description, exclusive, short_flag


def command_usage(command: type[Command], *, include_descriptions: bool = True) -> str:
    """The full usage block of one command (npm's static getUsage)."""
    name = command.name
    lines = [command.summary, "", "Usage:"]
    lines += [f"npm {name} {u}".strip() for u in command.usage]
    if command.params:
        seen_exclusive: set[str] = set()
        rows: list[str] = []
        line = ""
        for key in command.params:
            if key in seen_exclusive:
                continue
            usage, _, exclusive, _ = _param_usage(key)
            if exclusive:
                parts = [usage]
                for other in exclusive:
                    seen_exclusive.add(other)
                    parts.append(_param_usage(other)[0])
                usage = "|".join(parts)
            usage = f"[{usage}]"
            if len(line) + len(usage) > WRAP_WIDTH:
                if line:
                    rows.append(line)
                line = ""
            line = f"{line} {usage}" if line else usage
        if line:
            rows.append(line)
        lines += ["", "Options:", "\n".join(rows)]
        if include_descriptions:
            lines.append("")
            for key in command.params:
                _, description, _, short = _param_usage(key)
                if description:
                    flag = "|".join(p for p in ("-" + short if short else "", f"--{key}") if p)
                    lines += [f"  {flag}", f"    {description}", ""]
    aliases = [alias for alias, target in ALIASES.items() if target == name]
    if aliases:
        lines += ["", f"alias{'' if len(aliases) == 1 else 'es'}: {', '.join(aliases)}"]
    lines += ["", f'Run "npm help {name}" for more info']
    return "\n".join(lines)


def general_usage(userconfig: str, npm_version: str, npm_root: str, columns: int | None = None) -> str:
    """What `npm` with no command prints (utils/npm-usage.js, short form)."""
    width = 60 if not columns else min(60, max(columns - 16, 24))
    rows = [""]
    for name in COMMANDS:
        if len(rows[-1]) + len(name) + 2 < width:
            rows[-1] += ", " + name
        else:
            rows[-1] += ","
            rows.append(name)
    # npm starts the first row with ", " and slices it off the joined text
    all_commands = "\n    " + "\n    ".join(rows)[2:]
    return f"""npm <command>

Usage:

npm install        install all the dependencies in your project
npm install <foo>  add the <foo> dependency to your project
npm test           run this project's tests
npm run <foo>      run the script named <foo>
npm <command> -h   quick help on <command>
npm -l             display usage info for all commands
npm help <term>    search for help on <term>
npm help npm       more involved overview

All commands:
{all_commands}

Specify configs in the ini-formatted file:
    {userconfig}
or on the command line via: npm <command> --key=value

More configuration info: npm help config
Configuration fields: npm help 7 config

npm@{npm_version} {npm_root}"""
