"""npm's command list, aliases and name resolution (lib/utils/cmd-list.js, did-you-mean.js).

Command modules are imported only once a name has resolved, so `snpm --help` stays cheap.
"""

from __future__ import annotations

import importlib
import re
from functools import cache

from snpm.cli.command import Command
from snpm.errors import SnpmError

# npm 11.19's lib/utils/cmd-list.js `commands`, sorted as there
COMMANDS: tuple[str, ...] = (
    "access", "adduser", "approve-scripts", "audit", "bugs", "cache", "ci", "completion", "config",
    "dedupe", "deny-scripts", "deprecate", "diff", "dist-tag", "docs", "doctor", "edit", "exec",
    "explain", "explore", "find-dupes", "fund", "get", "help", "help-search", "init", "install",
    "install-ci-test", "install-scripts", "install-test", "link", "ll", "login", "logout", "ls", "org",
    "outdated", "owner", "pack", "ping", "pkg", "prefix", "profile", "prune", "publish", "query",
    "rebuild", "repo", "restart", "root", "run", "sbom", "search", "set", "shrinkwrap", "stage", "star",
    "stars", "start", "stop", "team", "test", "token", "trust", "undeprecate", "uninstall", "unpublish",
    "unstar", "update", "version", "view", "whoami",
)  # fmt: skip

ALIASES: dict[str, str] = {
    "author": "owner", "home": "docs", "issues": "bugs", "info": "view", "show": "view",
    "find": "search", "add": "install", "unlink": "uninstall", "remove": "uninstall",
    "rm": "uninstall", "r": "uninstall", "un": "uninstall", "rb": "rebuild", "list": "ls",
    "ln": "link", "create": "init", "i": "install", "it": "install-test", "cit": "install-ci-test",
    "u": "update", "up": "update", "c": "config", "s": "search", "se": "search", "tst": "test",
    "t": "test", "ddp": "dedupe", "v": "view", "run-script": "run", "clean-install": "ci",
    "clean-install-test": "install-ci-test", "x": "exec", "why": "explain", "la": "ll",
    "verison": "version", "ic": "ci", "innit": "init", "in": "install", "ins": "install",
    "inst": "install", "insta": "install", "instal": "install", "isnt": "install",
    "isnta": "install", "isntal": "install", "isntall": "install", "install-clean": "ci",
    "isntall-clean": "ci", "hlep": "help", "dist-tags": "dist-tag", "upgrade": "update",
    "udpate": "update", "rum": "run", "sit": "install-ci-test", "urn": "run", "ogr": "org",
    "add-user": "adduser",
}  # fmt: skip

# npm's one-line descriptions, used by did-you-mean suggestions and the command list
DESCRIPTIONS: dict[str, str] = {
    "access": "Set access level on published packages",
    "adduser": "Add a registry user account",
    "approve-scripts": "Approve install scripts for dependencies",
    "audit": "Run a security audit",
    "bugs": "Report bugs for a package in a web browser",
    "cache": "Manipulates packages cache",
    "ci": "Clean install a project",
    "completion": "Tab Completion for npm",
    "config": "Manage the npm configuration files",
    "dedupe": "Reduce duplication in the package tree",
    "deny-scripts": "Deny install scripts for dependencies",
    "deprecate": "Deprecate a version of a package",
    "diff": "The registry diff command",
    "dist-tag": "Modify package distribution tags",
    "docs": "Open documentation for a package in a web browser",
    "doctor": "Check the health of your npm environment",
    "edit": "Edit an installed package",
    "exec": "Run a command from a local or remote npm package",
    "explain": "Explain installed packages",
    "explore": "Browse an installed package",
    "find-dupes": "Find duplication in the package tree",
    "fund": "Retrieve funding information",
    "get": "Get a value from the npm configuration",
    "help": "Get help on npm",
    "help-search": "Search npm help documentation",
    "init": "Create a package.json file",
    "install": "Install a package",
    "install-ci-test": "Install a project with a clean slate and run tests",
    "install-scripts": "Manage install scripts for dependencies",
    "install-test": "Install package(s) and run tests",
    "link": "Symlink a package folder",
    "ll": "List installed packages",
    "login": "Login to a registry user account",
    "logout": "Log out of the registry",
    "ls": "List installed packages",
    "org": "Manage orgs",
    "outdated": "Check for outdated packages",
    "owner": "Manage package owners",
    "pack": "Create a tarball from a package",
    "ping": "Ping npm registry",
    "pkg": "Manages your package.json",
    "prefix": "Display prefix",
    "profile": "Change settings on your registry profile",
    "prune": "Remove extraneous packages",
    "publish": "Publish a package",
    "query": "Retrieve a filtered list of packages",
    "rebuild": "Rebuild a package",
    "repo": "Open package repository page in the browser",
    "restart": "Restart a package",
    "root": "Display npm root",
    "run": "Run arbitrary package scripts",
    "sbom": "Generate a Software Bill of Materials (SBOM)",
    "search": "Search for packages",
    "set": "Set a value in the npm configuration",
    "shrinkwrap": "Lock down dependency versions for publication",
    "stage": "Manage staged package versions",
    "star": "Mark your favorite packages",
    "stars": "View packages marked as favorites",
    "start": "Start a package",
    "stop": "Stop a package",
    "team": "Manage organization teams and team memberships",
    "test": "Test a package",
    "token": "Manage your authentication tokens",
    "trust": "Manage trusted publishing relationships between packages and CI/CD providers",
    "undeprecate": "Undeprecate a version of a package",
    "uninstall": "Remove a package",
    "unpublish": "Remove a package from the registry",
    "unstar": "Remove an item from your favorite packages",
    "update": "Update packages",
    "version": "Bump a package version",
    "view": "View registry info",
    "whoami": "Display npm username",
}

# commands snpm implements: canonical name → module under snpm.cli.commands
IMPLEMENTED: dict[str, str] = {
    "run": "run",
    "test": "test",
    "start": "start",
    "stop": "stop",
    "restart": "restart",
    "config": "config",
    "get": "get",
    "set": "set",
    "cache": "cache",
    "pack": "pack",
    "publish": "publish",
    "unpublish": "unpublish",
    "version": "version",
    "install": "install",
    "ci": "ci",
    "uninstall": "uninstall",
    "update": "update",
    "dedupe": "dedupe",
    "prune": "prune",
    "rebuild": "rebuild",
    "approve-scripts": "approve_scripts",
    "deny-scripts": "deny_scripts",
    "install-scripts": "install_scripts",
    "install-test": "install_test",
    "install-ci-test": "install_ci_test",
    "shrinkwrap": "shrinkwrap",
    # accounts and package administration
    "login": "login",
    "adduser": "adduser",
    "logout": "logout",
    "whoami": "whoami",
    "token": "token",
    "profile": "profile",
    "ping": "ping",
    "owner": "owner",
    "access": "access",
    "team": "team",
    "org": "org",
    "star": "star",
    "unstar": "unstar",
    "stars": "stars",
    "search": "search",
    "view": "view",
    "dist-tag": "dist_tag",
    "deprecate": "deprecate",
    "undeprecate": "undeprecate",
    # tree inspection
    "ls": "ls",
    "ll": "ll",
    "outdated": "outdated",
    "explain": "explain",
    "fund": "fund",
    "query": "query",
    "find-dupes": "find_dupes",
    # security
    "audit": "audit",
    # link and global mode
    "link": "link",
    "prefix": "prefix",
    "root": "root",
    # npm 10's, for registries with hooks (npm 11 removed it): a name deref knows, not a listed command
    "hook": "hook",
}


@cache
def _abbreviations() -> dict[str, str]:
    """npm's `abbrev` over commands + alias names: every unambiguous prefix → its word."""
    words = sorted({*COMMANDS, *ALIASES})
    table: dict[str, str] = {}
    for i, word in enumerate(words):
        prev = words[i - 1] if i else ""
        nxt = words[i + 1] if i + 1 < len(words) else ""
        shared = max(_common_prefix(word, prev), _common_prefix(word, nxt))
        for end in range(shared + 1, len(word) + 1):
            table[word[:end]] = word
    for word in words:  # an exact word always maps to itself
        table[word] = word
    return table


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def deref(name: str | None) -> str | None:
    """The canonical command for what was typed (npm's deref), or None."""
    if not name:
        return None
    if re.search(r"[A-Z]", name):
        name = re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), name)
    if name in COMMANDS or name in IMPLEMENTED:
        return name
    if name in ALIASES:
        return ALIASES[name]
    found = _abbreviations().get(name)
    while found in ALIASES:
        found = ALIASES[found]
    return found


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def did_you_mean(
    typed: str, scripts: dict[str, str] | None = None, bins: dict[str, str] | None = None
) -> str:
    """npm's did-you-mean suggestions block (empty when nothing is close)."""

    def is_close(cmd: str) -> bool:
        return _distance(typed, cmd) < len(typed) * 0.4

    best = [(c, DESCRIPTIONS.get(c, "")) for c in COMMANDS if is_close(c) and c != typed]
    best += [
        (f"run {s}", f'run the "{s}" package script')
        for s in (scripts or {})
        if is_close(s) and s not in ("stop", "start", "test", "restart")
    ]
    best += [
        (f"exec {b}", f'run the "{b}" command from either this or a remote npm package')
        for b in (bins or {})
        if is_close(b)
    ]
    if not best:
        return ""
    head = "this" if len(best) == 1 else "one of these"
    return f"\n\nDid you mean {head}?\n" + "\n".join(f"  npm {m} # {c}" for m, c in best[:3])


def load_command(name: str) -> type[Command]:
    """The Command class for a canonical name; unimplemented npm commands fail with ENOTSUP."""
    module_name = IMPLEMENTED.get(name)
    if module_name is None:
        raise SnpmError(
            f"`{name}` is an npm command that snpm does not implement yet; run it with npm for now.",
            code="ENOTSUP",
        )
    module = importlib.import_module(f"snpm.cli.commands.{module_name}")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Command) and getattr(value, "name", None) == name:
            return value
    raise SnpmError(f"snpm.cli.commands.{module_name} defines no command {name!r}", code="ENOTSUP")
