"""`npm config` / `npm get` / `npm set` / `npm c` against `snpm`, byte for byte.

Each case runs the real npm and snpm in the same isolated world (tests/support/npm_world.py: own
HOME, `$PREFIX`, project folder; an environment built from scratch) with the same .npmrc files,
environment variables and flags, and compares exit code, stdout, stderr and, for commands that
write, every file of the world (content and permission bits). Cases that write run in a fresh copy
of their world, npm first, then the world is restored and snpm runs.

Normalisations, and only these (they describe the process, not the behaviour):
- the heading word of log lines: `snpm <level> …` is read as `npm <level> …`;
- the line `<heading> error A complete log of this run can be found in: <file>` is dropped
  (the file name carries the start time);
- stderr lines below `warn` (`http`, `info`, `verbose`, `silly`, `timing`) are dropped: they name
  the interpreter, its paths and timings.

Some cases exercise the CLI layer too (usage text, error rendering, the workspace checks of npm.js).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from snpm.config.definitions import DEFINITIONS
from support.npm_world import NPM, FileState, RunResult, World, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

# every setting npm will print with `config get` (the protected ones are separate cases)
GET_KEYS = [k for k in DEFINITIONS if not k.startswith("_") and k != "password"]

RICH_USERRC = r"""; a comment
# another comment
tag = ${SNPM_TAG}
init-license = "MIT ; not a comment"
message='v%s # kept'
description = x#y
fund = false ; trailing comment
save-exact=true
ca[]=AAA
ca[]=BBB
depth = abc
@myco:registry = https://myco.example.com/npm/
//myco.example.com/npm/:_authToken = ${SNPM_TOKEN}
//myco.example.com/npm/:weird = 1
${SNPM_TAG}-key = 1
escaped = \${HOME}
unset = ${SNPM_NOT_SET}
unset2 = ${SNPM_NOT_SET?}
e=x=y
omit[] = dev
include = optional
umask = 022
before = 2020-01-01
init-version = v1.2.3
registry = HTTPS://Reg.Example.COM:443/npm
cache-min = 10
globalconfig = ${HOME}/../alt/npmrc
[sect]
x = 1
"""

WORLDS: dict[str, dict[str, str]] = {
    "empty": {},
    "rich": {
        "home/.npmrc": RICH_USERRC,
        "alt/npmrc": "searchlimit=5\nbrowser=firefox\n",
        "prefix/etc/npmrc": "fund=true\nsearchlimit=50\n",
        "project/.npmrc": "tag=proj\nengine-strict\nsave-prefix=~\n",
        "project/package.json": '{"name":"p","version":"1.0.0","publishConfig":{"registry":"http://pub.example.com/","tag":"next","bogus":1}}',
    },
    "auth": {
        "home/.npmrc": "; comment\ntag=beta\n_authToken=abc\n_auth=dXNlcjpwYXNz\nusername=bob\n//r.example.com/:_authToken=zzz\nfund=false\nemail=a@b.c\n",
        "prefix/etc/npmrc": "_password=cGFzcw==\nusername=al\ninit.author.name=old\nglobal-style=true\n",
        "project/.npmrc": "_authtoken=x\n-authtoken=y\n_authToken=q\n",
        "project/package.json": '{"name":"p"}',
    },
    "workspaces": {
        "project/package.json": '{"name":"root","workspaces":["packages/*","!packages/skip"]}',
        "project/packages/a/package.json": '{"name":"a"}',
        "project/packages/a/.npmrc": "tag=ws\n",
        "project/packages/skip/package.json": '{"name":"skip"}',
        "project/.npmrc": "tag=root\n",
    },
    "numbers": {
        "home/.npmrc": "fetch-timeout=1e21\ndepth=Infinity\numask=0777\nbefore=2020-02-02\nsearchlimit=0x10\n"
        "proxy=false\nlockfile-version=3\n",
        "home/node_modules/.keep": "",
        "project/.npmrc": "prefix=/elsewhere\ntag=p\n",
        "project/package.json": "{}",
    },
    "deprecated": {
        "home/.npmrc": "tag=x\nregistry=http://user:secret@r.example.com/\n//r.example.com/:_password=cGFzcw==\n"
        "//r.example.com/:username=bob\n//r.example.com/:email=e@x.y\nemail=top@x.y\n"
        "token = npm_abcdefghijklmnopqrstuvwxyz0123456789AB\nuuid=123e4567-e89b-12d3-a456-426614174000\n",
        "prefix/etc/npmrc": "init.author.name=old\nglobal-style=true\nshrinkwrap=false\notp=123\nproduction=true\n",
        "project/package.json": '{"name":"p"}',
    },
}
WORLD_ENV = {"SNPM_TAG": "beta", "SNPM_TOKEN": "tok123"}

ENV_PROD = {
    "npm_config_json": "true",
    "NPM_CONFIG_SAVE_DEV": "true",
    "npm_config_omit": "peer\n\noptional",
    "npm_config_foo_bar": "x",
    "npm_config__auth_x": "y",
    "NODE_ENV": "production",
    "NO_COLOR": "1",
    "npm_config_fetch_retries": "7",
    "npm_config_empty": "",
}


@dataclass(frozen=True)
class Case:
    id: str
    world: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "project"
    writes: bool = False


def _cases() -> Iterator[Case]:
    # every key, in several worlds
    yield Case("get-all-empty", "empty", ("config", "get", *GET_KEYS))
    yield Case("get-all-rich", "rich", ("config", "get", *GET_KEYS))
    yield Case("get-all-rich-env", "rich", ("config", "get", *GET_KEYS), env=ENV_PROD)
    yield Case(
        "get-all-rich-flags", "rich", ("config", "get", *GET_KEYS, "-gpld", "--no-save", "--tag=t", "--json")
    )
    yield Case("get-all-deprecated", "deprecated", ("c", "get", *[k for k in GET_KEYS if k != "email"]))
    for world in ("empty", "rich", "auth", "deprecated"):
        list_commands: tuple[tuple[str, ...], ...] = (
            ("config", "list"),
            ("config", "list", "-l"),
            ("config", "ls", "--json"),
            ("c", "ls", "-g"),
        )
        for list_args in list_commands:
            yield Case(f"{'-'.join(list_args)}-{world}", world, list_args)
    yield Case("list-rich-env", "rich", ("config", "list"), env=ENV_PROD)
    yield Case("list-json-rich-env", "rich", ("config", "list", "--json"), env=ENV_PROD)
    yield Case(
        "list-proxy-env",
        "empty",
        ("config", "list"),
        env={
            "HTTP_PROXY": "http://p.example.com:8080",
            "no_proxy": "localhost",
            "https_proxy": "http://u:pw@p2.example.com",
        },
    )
    yield Case("get-no-keys", "rich", ("config", "get"))
    yield Case("get-alias", "rich", ("get", "tag", "ca"))
    yield Case("get-alias-no-keys", "rich", ("get",))
    yield Case("get-protected-nerf", "rich", ("config", "get", "//myco.example.com/npm/:_authToken"))
    yield Case("get-protected-auth", "rich", ("config", "get", "_auth"))
    yield Case("get-protected-password", "rich", ("config", "get", "tag", "password"))
    yield Case("get-protected-json", "rich", ("config", "get", "password", "--json"))
    yield Case("get-private-url", "deprecated", ("config", "get", "registry"))
    yield Case("get-private-token", "deprecated", ("config", "get", "token", "uuid"))
    yield Case(
        "get-flatten-writebacks",
        "deprecated",
        ("config", "get", "install-strategy", "package-lock", "auth-type", "omit", "include"),
    )
    yield Case("get-validates-auth", "auth", ("get", "tag"))
    yield Case("get-validates-deprecated", "deprecated", ("get", "tag"))
    yield Case("set-validates-auth", "auth", ("set", "tag=a"), writes=True)

    # numbers, dates and umasks as npm prints them; the home folder as a project; --prefix
    number_keys = (
        "fetch-timeout",
        "depth",
        "umask",
        "before",
        "searchlimit",
        "proxy",
        "lockfile-version",
        "tag",
    )
    yield Case("numbers-get", "numbers", ("config", "get", *number_keys), cwd=".")
    yield Case("numbers-get-validated", "numbers", ("get", *number_keys), cwd=".")
    yield Case("numbers-list", "numbers", ("config", "list"), cwd=".")
    yield Case("numbers-list-json", "numbers", ("config", "list", "--json"), cwd=".")
    yield Case("home-is-project", "numbers", ("config", "list"), cwd="home")
    yield Case("prefix-flag", "numbers", ("config", "list", "-C", "home"), cwd=".")
    yield Case("project-sets-prefix", "numbers", ("config", "get", "tag", "prefix"))

    # workspace root detection
    for cwd in ("project", "project/packages/skip", "."):
        yield Case(f"ws-get-{cwd}", "workspaces", ("config", "get", "tag", "workspace", "prefix"), cwd=cwd)
        yield Case(f"ws-list-{cwd}", "workspaces", ("config", "list"), cwd=cwd)
    yield Case("ws-implicit", "workspaces", ("config", "get", "tag"), cwd="project/packages/a")
    yield Case(
        "ws-no-workspaces",
        "workspaces",
        ("config", "get", "tag", "workspace", "--no-workspaces"),
        cwd="project/packages/a",
    )
    yield Case(
        "ws-global", "workspaces", ("config", "get", "tag", "workspace", "-g"), cwd="project/packages/a"
    )

    # writing
    writes: list[tuple[str, str, tuple[str, ...]]] = [
        ("set-pairs", "auth", ("config", "set", "init-license=MIT", "save-exact", "true", "tag", "next")),
        ("set-delete-by-empty", "auth", ("config", "set", "fund=")),
        ("set-invalid-kept", "auth", ("config", "set", "loglevel=bogus", "depth=xyz")),
        ("set-unknown", "auth", ("config", "set", "foo=bar")),
        ("set-deprecated", "auth", ("config", "set", "dev=true")),
        ("set-deprecated-multiline", "auth", ("config", "set", "cache-max=1")),
        ("set-nerfed", "auth", ("config", "set", "//r.example.com/:_authToken=newtok")),
        ("set-scoped-registry", "auth", ("config", "set", "@scope:registry", "http://x.example.com/")),
        ("set-global", "auth", ("config", "set", "tag=a", "-g")),
        ("set-location-project", "auth", ("config", "set", "tag=a", "--location=project")),
        ("set-location-global", "auth", ("config", "set", "tag=a", "--location", "global")),
        ("set-L-project", "auth", ("config", "set", "tag=a", "-L", "project")),
        ("set-new-project-file", "empty", ("config", "set", "tag=a", "--location=project")),
        ("set-new-user-file", "empty", ("config", "set", "tag=a")),
        ("set-lone-key", "auth", ("config", "set", "tag")),
        ("set-value-with-eq", "auth", ("config", "set", "message=a=b")),
        ("set-email", "auth", ("config", "set", "email=x@y.z")),
        ("set-globalconfig", "auth", ("config", "set", "globalconfig=/nowhere/npmrc")),
        ("set-alias", "rich", ("set", "tag=a")),
        ("set-alias-global", "rich", ("set", "searchlimit=3", "-g")),
        ("set-rich-rewrites", "rich", ("config", "set", "tag=t")),
        ("delete", "auth", ("config", "delete", "tag", "fund")),
        ("delete-rm-global", "auth", ("config", "rm", "username", "-g")),
        ("delete-to-empty", "empty", ("config", "delete", "tag")),
        ("delete-last-key", "workspaces", ("config", "delete", "tag", "--location=project")),
        ("fix", "auth", ("config", "fix")),
        ("fix-project", "auth", ("config", "fix", "--location=project")),
        ("fix-global", "auth", ("config", "fix", "-g")),
        ("fix-nothing", "rich", ("config", "fix")),
        ("edit", "rich", ("config", "edit", "--editor=true")),
        ("edit-failing-editor", "rich", ("config", "edit", "--editor=false")),
        ("edit-global", "auth", ("config", "edit", "-g", "--editor=true")),
        ("c-set", "empty", ("c", "set", "save-exact=true", "omit=dev")),
    ]
    for name, world, write_args in writes:
        yield Case(name, world, write_args, writes=True)

    # usage errors
    usage_cases: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("usage-no-action", ("config",)),
        ("usage-bad-action", ("config", "bogus")),
        ("usage-set-no-args", ("config", "set")),
        ("usage-delete-no-args", ("config", "del")),
        ("usage-set-alias", ("set",)),
        ("usage-help", ("config", "--help")),
    )
    for name, usage_args in usage_cases:
        yield Case(name, "empty", usage_args, writes=True)

    # command-line parsing
    keys = (
        "config", "get", "global", "parseable", "long", "loglevel", "tag", "workspace", "json", "save",
        "save-dev", "depth", "registry", "omit", "include", "before", "umask", "prefix", "usage", "yes",
        "color", "otp", "init-version", "access", "foo", "lockfile-version", "proxy", "fetch-retries",
        "message", "location", "call", "scope", "cache-min", "editor",
    )  # fmt: skip
    flagsets: list[tuple[str, ...]] = [
        ("-gpld",), ("-dd", "--loglevel=warn"), ("-sq",), ("--no-no-save",), ("--no-json", "false"),
        ("--json=foo",), ("--tag", "-g", "x"), ("--depth=abc",), ("--omit", "dev,peer"),
        ("--omit", "dev", "--omit=peer"), ("--loglevel", "bogus"), ("--registry",), ("--prefix=rel/dir",),
        ("--before", "2020-01-01"), ("--umask", "022"), ("--save-dev=false", "-D"), ("--foo", "bar"),
        ("--par",), ("--lo",), ("--", "--foo", "-g"), ("-gfoo",), ("-reg", "http://x.example.com"),
        ("--depth", "--foo"), ("--no-otp", "--no-tag"), ("--color", "always"), ("--init-version", "v1.2.3"),
        ("--yes", "false", "-n"), ("--fetch-retries", "0x10", "--message"), ("-L", "project"), ("--local",),
        ("--dev", "--cache-min=5"), ("--enjoy-by=2021-02-03",), ("--umask=0", "--before=garbage"),
        ("--scope=myorg", "--init.version=1"), ("--loglevel=silent",), ("--editor", "nano -w"),
    ]  # fmt: skip
    for flags in flagsets:
        yield Case(f"flags {' '.join(flags)}", "empty", (*keys, *flags))
    yield Case("flags --save-dev --save-prod", "empty", (*keys, "--save-dev", "--save-prod"))
    yield Case("flags -gws", "empty", (*keys, "-gws"))
    yield Case("flags -w=ws1", "empty", (*keys, "-w=ws1"))
    yield Case("flags -h", "empty", (*keys, "-h"))
    yield Case("flags unicode dash", "empty", (*keys, "\u2014foo"))

    # environment
    env_keys = (
        *keys,
        "ca",
        "local-address",
        "fetch-timeout",
        "unicode",
        "shell",
        "omit",
        "progress",
        "user-agent",
    )
    envs: list[dict[str, str]] = [
        {"NODE_ENV": "production"}, {"NO_COLOR": "0"}, {"NO_COLOR": "1", "LANG": "C"},
        {"LC_ALL": "en_US.utf8", "LANG": "C", "EDITOR": "nano", "SHELL": "/bin/zsh"}, {"VISUAL": "code"},
        {"CI": "true", "TERM": "dumb"}, {"npm_config_save_prod": "true"},
        {"npm_config_userconfig": "/nowhere/npmrc", "npm_config_prefix": "rel/pfx"},
        {"npm_config_Registry": "http://r.example.com"}, {"npm_config_registry": "not a url"},
        {"npm_config_//r.example.com/:_authToken": "abc", "npm_config_dev": "true"},
        {"npm_config_omit": "dev", "npm_config_ca": "A\n\nB"},
        {"npm_config_depth": "Infinity", "npm_config_fetch_timeout": "1e21"},
        {"npm_config_json": "yes", "npm_config_before": "2020-06-01T10:00:00Z", "npm_config_umask": "0777"},
        {"npm_config_tag": "  spaced  ", "npm_config_local_address": "10.9.9.9", "npm_config_init_version": "nope"},
        {"npm_config_location": "project"}, {"npm_config_global": "true"}, {"PREFIX": "", "DESTDIR": "/dd"},
    ]  # fmt: skip
    for env in envs:
        yield Case(f"env {' '.join(f'{k}={v!r}' for k, v in env.items())}", "empty", env_keys, env=env)
    yield Case(
        "env exclusive",
        "empty",
        env_keys,
        env={"npm_config_save_dev": "true", "npm_config_save_prod": "true"},
    )
    yield Case(
        "env exclusive skipped for cli",
        "empty",
        (*env_keys, "--save-prod"),
        env={"npm_config_save_dev": "true"},
    )


CASES = list(_cases())

_LOG_FILE_LINE = re.compile(r"^(?:npm|snpm) error A complete log of this run can be found in: .*$")
_LOG_LINE = re.compile(r"^(?:npm|snpm) (http|info|verbose|silly|timing)( |$)")


def normalize_stderr(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if _LOG_FILE_LINE.match(line) or _LOG_LINE.match(line):
            continue
        lines.append(re.sub(r"^snpm ", "npm ", line))
    return "\n".join(lines)


@dataclass(frozen=True)
class Outcome:
    npm: RunResult
    snpm: RunResult
    npm_files: dict[str, FileState] | None
    snpm_files: dict[str, FileState] | None


def _build_world(root: Path, name: str) -> World:
    world = make_world(root, **WORLD_ENV)
    for rel, text in WORLDS[name].items():
        world.write(rel, text)
    return world


def _run_case(case: Case, world: World) -> Outcome:
    cwd = world.root / case.cwd
    if not case.writes:
        return Outcome(
            world.run_npm(case.args, cwd=cwd, env=case.env),
            world.run_snpm(case.args, cwd=cwd, env=case.env),
            None,
            None,
        )
    before = world.snapshot()
    npm_result = world.run_npm(case.args, cwd=cwd, env=case.env)
    npm_files = world.snapshot()
    world.restore(before)
    snpm_result = world.run_snpm(case.args, cwd=cwd, env=case.env)
    snpm_files = world.snapshot()
    return Outcome(npm_result, snpm_result, npm_files, snpm_files)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Run every case (read-only ones share their world; writing ones get a fresh copy each)."""
    base = tmp_path_factory.mktemp("config-worlds")
    shared = {name: _build_world(base / name, name) for name in WORLDS}

    def run(index_case: tuple[int, Case]) -> tuple[str, Outcome]:
        index, case = index_case
        world = _build_world(base / f"w{index}", case.world) if case.writes else shared[case.world]
        try:
            return case.id, _run_case(case, world)
        finally:
            if case.writes:
                shutil.rmtree(world.root, ignore_errors=True)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(run, enumerate(CASES)))


def _param(case: Case) -> object:
    return pytest.param(case, id=case.id)


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    print(f"{len(CASES)} cases; `config get` compared {len(GET_KEYS)} keys in each of 5 all-keys cases")


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_config_matches_npm(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    npm, snpm = outcome.npm, outcome.snpm
    assert (snpm.code, snpm.stdout) == (npm.code, npm.stdout)
    assert normalize_stderr(snpm.stderr) == normalize_stderr(npm.stderr)
    assert outcome.snpm_files == outcome.npm_files
