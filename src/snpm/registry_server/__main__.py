"""`snpm-registry` / `python -m snpm.registry_server`: serve the registry, and administer it.

    snpm-registry serve [options]             run the registry (127.0.0.1:4873 by default)
        --uplink URL | --no-uplink                packages not held here come from (and are cached
                                                  from) npm's registry unless told otherwise
        --local-scope @corp                       a scope that never comes from the uplink
        --workers N                               N processes on one port and one data store
        --database postgresql://…                 records in PostgreSQL, tarballs in --data
    snpm-registry user add|list|remove|reset-password
    snpm-registry token list|revoke
    snpm-registry org create|list|remove|set   orgs (npm has no command that creates one)
    snpm-registry advisory add|list|remove|import   security advisories for `npm audit`
    snpm-registry config                      print the effective settings as JSON

The admin commands work on the data folder (or the PostgreSQL database) directly, beside a running
server. This is the server's own command line, so it writes to stdout/stderr itself.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from snpm import __version__
from snpm.errors import SnpmError
from snpm.registry_server.settings import DEFAULT_PORT, ServerSettings, load_settings, normalize_scope

if TYPE_CHECKING:  # the app (aiohttp, argon2) is imported only by the commands that need it
    from snpm.registry_server.app import Registry

__all__ = ["main", "run"]

T = TypeVar("T")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _size(text: str) -> int:
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use bytes or 10k, 50mb, 1g)")
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _SIZE_UNITS[unit]


def _settings_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("settings (command line > --config file > defaults)")
    group.add_argument("--config", type=Path, help="a TOML or JSON settings file")
    group.add_argument("--data", type=Path, help="the data folder (database and tarballs)")
    group.add_argument(
        "--database",
        help="sqlite:///<path> (default: <data>/registry.db) or postgresql://<user>@<host>[:<port>]/<db> "
        "(metadata in PostgreSQL, tarballs still in --data)",
    )
    return common


def _build_parser() -> argparse.ArgumentParser:
    common = _settings_options()
    parser = argparse.ArgumentParser(
        prog="snpm-registry",
        description="A self-hosted npm registry that the npm CLI uses unchanged.",
        epilog=(
            "Data lives in one folder: an SQLite database (or a PostgreSQL database with --database) and "
            "the tarballs. Packages the registry does not hold come from the uplink (npm's registry "
            "unless --uplink or --no-uplink says otherwise) and are cached in the data folder."
        ),
    )
    parser.add_argument("-v", "--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="<command>")

    serve = commands.add_parser("serve", parents=[common], help="run the registry")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument(
        "--uplink", help="the registry packages not held here are fetched from and cached (default: npm's)"
    )
    serve.add_argument("--no-uplink", action="store_true", help="serve only local packages")
    serve.add_argument(
        "--uplink-max-age",
        type=float,
        metavar="SECONDS",
        help="how long a cached uplink packument is used before the uplink is asked again (default 120)",
    )
    serve.add_argument(
        "--local-scope",
        action="append",
        dest="local_scopes",
        metavar="@SCOPE",
        help="a scope whose packages never come from the uplink (repeatable)",
    )
    serve.add_argument("--workers", type=int, help="worker processes serving the same data (default 1)")
    serve.add_argument("--max-body-size", type=_size, help="largest request body (e.g. 64mb)")
    serve.add_argument("--max-unpacked-size", type=_size, help="largest unpacked tarball (e.g. 512mb)")
    signup = serve.add_mutually_exclusive_group()
    signup.add_argument(
        "--allow-signup",
        dest="allow_signup",
        action="store_true",
        default=None,
        help="let `npm adduser` create users (default)",
    )
    signup.add_argument("--no-signup", dest="allow_signup", action="store_false", help="close `npm adduser`")
    serve.add_argument("--public-url", help="the registry's external base URL (for tarball URLs)")
    serve.add_argument("--trust-proxy", action="store_true", default=None, help="honour X-Forwarded-*")
    serve.add_argument(
        "--read-requires-login", action="store_true", default=None, help="refuse anonymous reads"
    )
    serve.add_argument("--access-log", help="'-' for stderr (default), a file path, or 'off'")
    serve.add_argument(
        "--no-web-login",
        dest="web_login",
        action="store_false",
        default=None,
        help="answer npm's web login with 404 (npm then asks for the password in the terminal)",
    )
    serve.add_argument(
        "--advisories-file", help="a JSON file of advisories for `npm audit` (re-read on change)"
    )

    commands.add_parser("config", parents=[common], help="print the effective settings as JSON")

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="action", metavar="<action>")
    add = user.add_parser("add", parents=[common], help="create a user")
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    listing = user.add_parser("list", parents=[common], help="list users")
    listing.add_argument("--json", action="store_true")
    remove = user.add_parser("remove", parents=[common], help="delete a user and their tokens")
    remove.add_argument("name")
    reset = user.add_parser("reset-password", parents=[common], help="set a new password")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    token = commands.add_parser("token", help="manage tokens").add_subparsers(
        dest="action", metavar="<action>"
    )
    tokens = token.add_parser("list", parents=[common], help="list tokens (never their values)")
    tokens.add_argument("--user", help="only this user's tokens")
    tokens.add_argument("--json", action="store_true")
    revoke = token.add_parser("revoke", parents=[common], help="revoke a token by its key")
    revoke.add_argument("key")

    org = commands.add_parser("org", help="manage orgs").add_subparsers(dest="action", metavar="<action>")
    create = org.add_parser("create", parents=[common], help="create an org (with its developers team)")
    create.add_argument("name")
    create.add_argument("--owner", required=True, help="the user who becomes its first owner")
    orgs = org.add_parser("list", parents=[common], help="list orgs and their members")
    orgs.add_argument("--json", action="store_true")
    drop = org.add_parser("remove", parents=[common], help="delete an org, its teams and grants")
    drop.add_argument("name")
    member = org.add_parser("set", parents=[common], help="add a member or change a role")
    member.add_argument("name")
    member.add_argument("user")
    member.add_argument("role", nargs="?", default="developer", choices=("owner", "admin", "developer"))

    advisory = commands.add_parser("advisory", help="manage security advisories").add_subparsers(
        dest="action", metavar="<action>"
    )
    new = advisory.add_parser("add", parents=[common], help="add (or replace, with --id) an advisory")
    new.add_argument("package")
    new.add_argument("vulnerable_versions", metavar="range", help="the vulnerable versions, e.g. '<1.2.3'")
    new.add_argument("--severity", default="high", choices=("info", "low", "moderate", "high", "critical"))
    new.add_argument("--title", default="")
    new.add_argument("--url", default="")
    new.add_argument("--cwe", action="append", default=[], help="a CWE id such as CWE-79 (repeatable)")
    new.add_argument("--cvss-score", type=float)
    new.add_argument("--cvss-vector")
    new.add_argument("--id", type=int, help="the advisory id (default: the next free one)")
    advisories = advisory.add_parser("list", parents=[common], help="list advisories")
    advisories.add_argument("--json", action="store_true")
    gone = advisory.add_parser("remove", parents=[common], help="remove an advisory by id")
    gone.add_argument("id", type=int)
    load = advisory.add_parser("import", parents=[common], help="add the advisories of a JSON file")
    load.add_argument("file", type=Path)
    return parser


def _load(args: argparse.Namespace) -> ServerSettings:
    overrides: dict[str, object] = {"data": args.data, "database": args.database}
    unset: tuple[str, ...] = ()
    if args.command == "serve":
        access_log = args.access_log
        overrides.update(
            host=args.host,
            port=args.port,
            uplink=args.uplink,
            uplink_max_age=args.uplink_max_age,
            local_scopes=tuple(normalize_scope(s) for s in args.local_scopes) if args.local_scopes else None,
            workers=args.workers,
            max_body_size=args.max_body_size,
            max_unpacked_size=args.max_unpacked_size,
            allow_signup=args.allow_signup,
            public_url=args.public_url,
            trust_proxy=args.trust_proxy,
            read_requires_login=args.read_requires_login,
            access_log=None if access_log == "off" else access_log,
            web_login=args.web_login,
            advisories_file=args.advisories_file,
        )
        if args.no_uplink:
            unset += ("uplink",)
        if access_log == "off":
            unset += ("access_log",)
    return load_settings(args.config, overrides, unset)


def _access_logger(settings: ServerSettings) -> logging.Logger | None:
    if settings.access_log is None:
        return None
    logger = logging.getLogger("snpm.registry_server.access")
    handler: logging.Handler = (
        logging.StreamHandler(sys.stderr)
        if settings.access_log == "-"
        else logging.FileHandler(settings.access_log)
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _serve(settings: ServerSettings) -> int:
    from snpm.registry_server.app import serve
    from snpm.registry_server.workers import WorkerError, check_storage, serve_workers

    errors = logging.getLogger("snpm.registry_server")
    if not errors.handlers:
        errors.addHandler(logging.StreamHandler(sys.stderr))
    errors.setLevel(logging.INFO)

    def ready(url: str) -> None:
        workers = f", {settings.workers} workers" if settings.workers > 1 else ""
        sys.stdout.write(f"snpm-registry {__version__} listening on {url} (data: {settings.data}{workers})\n")
        sys.stdout.flush()

    try:
        check_storage(settings)
    except Exception as err:  # any driver's error: say which store, not a traceback
        where = settings.to_json()["database"]
        sys.stderr.write(f"snpm-registry: cannot open the storage {where}: {err}\n")
        return 1
    try:
        if settings.workers > 1:
            try:
                return serve_workers(settings, access_logger=_access_logger(settings), ready=ready)
            except WorkerError as err:
                sys.stderr.write(f"snpm-registry: {err}\n")
                return 1
        asyncio.run(serve(settings, access_logger=_access_logger(settings), ready=ready))
    except OSError as err:
        sys.stderr.write(f"snpm-registry: cannot start on {settings.host}:{settings.port}: {err}\n")
        return 1
    return 0


def _read_password(from_stdin: bool, stdin: TextIO) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    if not stdin.isatty():
        raise SnpmError("no terminal to ask for a password: pass --password-stdin", code="EUSAGE")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        raise SnpmError("the passwords do not match", code="EUSAGE")
    return first


async def _with_registry(settings: ServerSettings, action: Callable[..., Awaitable[T]]) -> T:
    from snpm.registry_server.app import build_registry

    registry = build_registry(settings)
    await registry.storage.open()
    try:
        return await action(registry)
    finally:
        await registry.storage.close()


async def _orgs(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    orgs = registry.orgs
    if args.action == "create":
        record = await orgs.create(args.name, args.owner)
        out.write(f"created org {record.name} (scope @{record.name}) with owner {args.owner}\n")
    elif args.action == "remove":
        if not await orgs.remove(args.name):
            raise SnpmError(f"no such org: {args.name}", code="E404")
        out.write(f"removed org {args.name}, its teams and grants (its packages stay)\n")
    elif args.action == "set":
        roster = await orgs.set_member(None, args.name, args.user, args.role)
        out.write(f"{args.user} is now {roster[args.user.removeprefix('@')]} of {args.name}\n")
    else:
        listing = {o.name: dict(await registry.storage.org_members(o.name)) for o in await orgs.all_orgs()}
        if args.json:
            out.write(json.dumps(listing, indent=2) + "\n")
        else:
            for name, members in listing.items():
                out.write(f"{name}\t" + ", ".join(f"{u} ({r})" for u, r in members.items()) + "\n")
    return 0


async def _advisories(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    advisories = registry.advisories
    if args.action == "add":
        record = await advisories.add(
            args.package,
            args.vulnerable_versions,
            severity=args.severity,
            title=args.title,
            url=args.url,
            cwe=tuple(args.cwe),
            cvss_score=args.cvss_score,
            cvss_vector=args.cvss_vector,
            advisory_id=args.id,
        )
        out.write(
            f"added advisory {record.id}: {record.name} {record.vulnerable_versions} ({record.severity})\n"
        )
    elif args.action == "remove":
        if not await advisories.remove(args.id):
            raise SnpmError(f"no stored advisory with id {args.id}", code="E404")
        out.write(f"removed advisory {args.id}\n")
    elif args.action == "import":
        try:
            data = json.loads(args.file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise SnpmError(f"cannot read {args.file}: {err}", code="EUSAGE") from err
        added = await advisories.import_json(data)
        out.write(f"imported {len(added)} advisories\n")
    else:
        records = await advisories.all()
        if args.json:
            rows = [{**r.to_json(), "name": r.name} for r in records]
            out.write(json.dumps(rows, indent=2) + "\n")
        else:
            for r in records:
                out.write(f"{r.id}\t{r.name}\t{r.vulnerable_versions}\t{r.severity}\t{r.title}\n")
    return 0


def _admin(args: argparse.Namespace, settings: ServerSettings, out: TextIO, stdin: TextIO) -> int:
    if args.command == "user" and args.action in ("add", "reset-password"):
        password = _read_password(args.password_stdin, stdin)

    async def action(registry: Registry) -> int:
        accounts = registry.accounts
        if args.command == "org":
            return await _orgs(args, registry, out)
        if args.command == "advisory":
            return await _advisories(args, registry, out)
        if args.command == "user":
            if args.action == "add":
                user = await accounts.create_user(args.name, args.email, password)
                out.write(f"added user {user.name} <{user.email}>\n")
            elif args.action == "reset-password":
                await accounts.reset_password(args.name, password)
                out.write(f"password changed for {args.name}; existing tokens stay valid\n")
            elif args.action == "remove":
                if not await accounts.remove_user(args.name):
                    raise SnpmError(f"no such user: {args.name}", code="E404")
                out.write(f"removed user {args.name} and their tokens\n")
            else:
                users = await registry.storage.list_users()
                if args.json:
                    users_json = [{"name": u.name, "email": u.email, "created": u.created} for u in users]
                    out.write(json.dumps(users_json, indent=2) + "\n")
                else:
                    for u in users:
                        out.write(f"{u.name}\t{u.email}\t{u.created}\n")
            return 0
        if args.action == "revoke":
            if not await registry.storage.remove_token(args.key):
                raise SnpmError(f"no token with key {args.key}", code="E404")
            out.write(f"revoked token {args.key}\n")
            return 0
        page = await registry.storage.list_tokens(args.user)
        if args.json:
            rows: list[dict[str, object]] = [
                {
                    "key": t.key,
                    "user": t.user,
                    "token": t.prefix,
                    "name": t.name,
                    "readonly": t.readonly,
                    "cidr_whitelist": list(t.cidr_whitelist),
                    "created": t.created,
                    "expires": t.expires,
                }
                for t in page.tokens
            ]
            out.write(json.dumps(rows, indent=2) + "\n")
        else:
            for t in page.tokens:
                flags = ",".join(f for f in ("readonly" if t.readonly else "", *t.cidr_whitelist) if f)
                out.write(f"{t.key}\t{t.user}\t{t.prefix}…\t{t.name}\t{t.created}\t{flags}\n")
        return 0

    return asyncio.run(_with_registry(settings, action))


def run(argv: Sequence[str], *, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    out = out or sys.stdout
    stdin = stdin or sys.stdin
    parser = _build_parser()
    args = parser.parse_args(list(argv))
    if args.command is None or (args.command in ("user", "token", "org", "advisory") and args.action is None):
        parser.print_help(sys.stderr)
        return 1
    try:
        settings = _load(args)
        if args.command == "config":
            out.write(json.dumps(settings.to_json(), indent=2) + "\n")
            return 0
        if args.command == "serve":
            return _serve(settings)
        return _admin(args, settings, out, stdin)
    except SnpmError as err:
        sys.stderr.write(f"snpm-registry: {err.message}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
