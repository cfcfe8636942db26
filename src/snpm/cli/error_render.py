"""SnpmError → npm's error lines, `--json` error object and exit code: the one place errors are rendered.

A port of npm's lib/utils/error-message.js (`errorMessage`, `getError`) and output-error.js. Each
summary/detail entry is `(title, *parts)`: logged as `npm error <title> <parts joined by spaces>`.

Two of npm's shapes need more than a message:

- aproba's argument checks (EMISSINGARG, EUNKNOWNTYPE, EINVALIDTYPE, ETOOMANYARGS) are TypeErrors
  that npm reports under `typeerror` with their stack and "This is an error with npm itself". The
  stack here is snpm's own (node's `    at function (file:line:column)` layout, innermost first),
  since that is where the bug would be.
- a few npm commands throw a bare string (audit's `audit endpoint returned an error`): npm logs the
  string, and its `--json` error object, read off a primitive, has only empty `summary`/`detail`.
  `ThrownStringError` carries that shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from types import TracebackType

import msgspec

from snpm import NPM_VERSION
from snpm.ecmascript.json_errors import to_well_formed
from snpm.ecmascript.strings import trim as js_trim
from snpm.errors import SnpmError, UnknownCommandError, UsageError
from snpm.json_types import JsonValue
from snpm.redact import redact_log

Line = tuple[str, ...]

__all__ = [
    "TYPE_ERROR_CODES",
    "RenderedError",
    "ThrownStringError",
    "all_lines",
    "error_stack",
    "exit_code_of",
    "json_dumps",
    "render",
]

# aproba's codes: npm's errorMessage prints these as a `typeerror` with the stack
TYPE_ERROR_CODES = frozenset({"EMISSINGARG", "EUNKNOWNTYPE", "EINVALIDTYPE", "ETOOMANYARGS"})
# node's default Error.stackTraceLimit
_STACK_LIMIT = 10
_TYPE_ERROR_DETAIL = (
    "This is an error with npm itself. Please report this error at:\nhttps://github.com/npm/cli/issues"
)

# npm's `static isShellout`: commands that only run something else; a numeric failure code from it
# becomes the exit status, with nothing printed (getError's first branch)
SHELLOUT_COMMANDS = frozenset({"run", "test", "start", "stop", "restart", "exec"})

_NETWORK_DETAIL = "\n".join(
    [
        "This is a problem related to network connectivity.",
        "In most cases you are behind a proxy or have bad network settings.",
        "",
        "If you are behind a proxy, please make sure that the 'proxy' config is set properly.  See: 'npm help config'",
    ]
)


class RenderedError(msgspec.Struct):
    exit_code: int
    code: str | int | None = None
    standard: list[str] = msgspec.field(default_factory=list)
    verbose: list[Line] = msgspec.field(default_factory=list)
    error: list[Line] = msgspec.field(default_factory=list)
    summary: list[Line] = msgspec.field(default_factory=list)
    detail: list[Line] = msgspec.field(default_factory=list)
    json: dict[str, JsonValue] | None = None
    suppress: bool = False
    # (file name suffix, content): written beside the debug log, e.g. eresolve-report.txt
    files: list[tuple[str, str]] = msgspec.field(default_factory=list)

    def json_error(self) -> dict[str, JsonValue]:
        """The `{"error": …}` object npm merges into --json output (output-error.js jsonError)."""
        # npm's JSON.stringify drops an undefined code
        obj: dict[str, JsonValue] = {} if self.code is None else {"code": self.code}
        obj |= {
            "summary": "\n".join(" ".join(line[1:]) for line in self.summary).strip(),
            "detail": "\n".join(" ".join(line[1:]) for line in self.detail).strip(),
        }
        if self.json:
            obj.update(self.json)
        return obj


class ThrownStringError(SnpmError):
    """What npm throws as a bare string (`throw 'audit endpoint returned an error'`): one error
    line, no code, and an empty `{"summary": "", "detail": ""}` under --json."""


def _js_json(value: object) -> str:
    """JSON.stringify without indentation."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _platform_lines(err: SnpmError) -> tuple[str, str]:
    """error-message.js's EBADPLATFORM: the keys the package restricts (a list joined with commas),
    as wanted and current JSON, then a `Valid …:`/`Actual …:` pair per key, aligned."""
    required = err.extra.get("required")
    current = err.extra.get("current")
    required = required if isinstance(required, dict) else {}
    current = dict(current) if isinstance(current, dict) else {}
    expected: dict[str, object] = {}
    for key, value in required.items():
        if isinstance(value, list) and value:
            expected[key] = ",".join(str(v) for v in value)
        elif value is None or isinstance(value, list):
            current.pop(key, None)  # JavaScript deletes it from both: absent from the JSON
        else:
            expected[key] = value
    actual = {key: value for key, value in current.items() if value is not None}
    wanted = (
        f"Unsupported platform for {err.pkgid}: wanted {_js_json(expected)} (current: {_js_json(actual)})"
    )
    longest = max((len(key) for key in expected), default=0)
    lines: list[str] = []
    for key, value in expected.items():
        padding = 1 + longest - len(key)
        shown = current.get(key)
        lines.append(f"Valid {key}:{' ' * (padding + 1)}{value}")
        lines.append(f"Actual {key}:{' ' * padding}{'undefined' if shown is None else shown}")
    return wanted, "\n".join(lines)


def _as_object(err: SnpmError) -> str:
    # npm pushes the Error object itself; node prints `Name: message` (plus a stack we do not have)
    return f"{err.name}: {err.message}"


def _frames(tb: TracebackType | None) -> list[str]:
    """The traceback as node prints a stack: `    at function (file:line:column)`, innermost first."""
    frames: list[str] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        column = 0
        for index, position in enumerate(code.co_positions()):
            if index == tb.tb_lasti // 2:
                column = (position[2] or 0) + 1
                break
        frames.append(f"    at {code.co_qualname} ({code.co_filename}:{tb.tb_lineno}:{column})")
        tb = tb.tb_next
    return frames[::-1][:_STACK_LIMIT]


def error_stack(err: BaseException, name: str = "TypeError") -> str:
    """`err.stack` as node would show it: `Name: message` and the frames (redacted, as npm does)."""
    message = err.message if isinstance(err, SnpmError) else str(err)
    return redact_log("\n".join([f"{name}: {message}", *_frames(err.__traceback__)]))


def _message_lines(
    err: SnpmError, command: str, files: list[tuple[str, str]]
) -> tuple[list[Line], list[Line], dict[str, JsonValue] | None]:
    """npm's errorMessage switch; extra files to write beside the log go into `files`."""
    summary: list[Line] = []
    detail: list[Line] = []
    json_extra: dict[str, JsonValue] | None = None
    code = err.code
    msg = err.message
    if code == "ERESOLVE":
        from snpm.tree.explain import eresolve_report

        explanation, report = eresolve_report(dict(err.extra))
        summary.append(("ERESOLVE", msg))
        detail.append(("", ""))
        detail.append(("", explanation))
        files.append(("eresolve-report.txt", report))
    elif code == "ENOLOCK":
        summary.append((command, "This command requires an existing lockfile."))
        detail.append((command, "Try creating one first with: npm i --package-lock-only"))
        detail.append((command, f"Original error: {msg}"))
    elif code == "ENOAUDIT":
        summary.append(("audit", msg))
    elif code == "ECONNREFUSED":
        summary.append(("", _as_object(err)))
        detail.append(
            (
                "",
                "\nIf you are behind a proxy, please make sure that the 'proxy' config is set properly.  "
                "See: 'npm help config'",
            )
        )
    elif code in ("EACCES", "EPERM"):
        summary.append(("", _as_object(err)))
        detail.append(
            (
                "",
                "\n".join(
                    [
                        "",
                        "The operation was rejected by your operating system.",
                        "It is likely you do not have the permissions to access this file as the current user",
                        "",
                        "If you believe this might be a permissions issue, please double-check the permissions of "
                        "the file and its containing directories, or try running the command again as "
                        "root/Administrator.",
                    ]
                ),
            )
        )
    elif code == "ENOGIT":
        summary.append(("", msg))
        detail.append(("", "\nFailed using git.\nPlease check if you have git installed and in your PATH."))
    elif code == "EJSONPARSE":
        # V8's context snippet counts UTF-16 units and can cut a surrogate pair: node writes the lone
        # half to the terminal and the log as U+FFFD, while --json (JSON.stringify) escapes it
        shown = to_well_formed(msg)
        summary.append(("JSON.parse", shown))
        if shown != msg:
            json_extra = {"summary": msg.strip()}
        detail.append(
            (
                "JSON.parse",
                "Failed to parse JSON data.\nNote: package.json must be actual JSON, not just JavaScript.",
            )
        )
    elif code == "EOTP" or (code == "E401" and "one-time pass" in msg):
        body = err.body if isinstance(err.body, dict) else {}
        auth_url, done_url = body.get("authUrl"), body.get("doneUrl")
        if isinstance(auth_url, str) and isinstance(done_url, str):
            json_extra = {"authUrl": auth_url, "doneUrl": done_url}
            summary.append(("", "This operation requires a one-time password."))
            detail.append(("", "Open this URL in your browser to authenticate:"))
            detail.append(("", f"  {auth_url}"))
            detail.append(("", ""))
            detail.append(("", "After authenticating, your token can be retrieved from:"))
            detail.append(("", f"  {done_url}"))
        else:
            summary.append(("", "This operation requires a one-time password from your authenticator."))
            detail.append(
                (
                    "",
                    "You can provide a one-time password by passing --otp=<code> to the command you ran.\n"
                    "If you already provided a one-time password then it is likely that you either typoed it, "
                    "or it timed out. Please try again.",
                )
            )
    elif code == "E401":
        challenge = next(iter(err.headers.get("www-authenticate", [])), "")
        auth = re.split(r"[,\s]+", challenge) if challenge else []
        if "Bearer" in auth:
            summary.append(("", "Unable to authenticate, your authentication token seems to be invalid."))
            detail.append(("", "To correct this please try logging in again with:\n  npm login"))
        elif "Basic" in auth:
            summary.append(("", "Incorrect or missing password."))
            detail.append(
                (
                    "",
                    "\n".join(
                        [
                            "If you were trying to login, change your password, create an authentication token or "
                            "enable two-factor authentication then that means you likely typed your password in "
                            "incorrectly.",
                            "Please try again, or recover your password at:",
                            "  https://www.npmjs.com/forgot",
                            "",
                            "If you were doing some other operation then your saved credentials are probably out "
                            "of date.",
                            "To correct this please try logging in again with:",
                            "  npm login",
                        ]
                    ),
                )
            )
        else:
            summary.append(("", msg))
    elif code == "E404":
        summary.append(("404", re.sub(r"^404\s+", "", msg)))
        if err.pkgid and err.pkgid != "-":
            detail.extend(_not_found_detail(err.pkgid))
    elif code == "EPUBLISHCONFLICT":
        summary.append(("publish fail", "Cannot publish over existing version."))
        detail.append(("publish fail", "Update the 'version' field in package.json and try again."))
        detail.append(("publish fail", ""))
        detail.append(("publish fail", "To automatically increment version numbers, see:"))
        detail.append(("publish fail", "  npm help version"))
    elif code == "EISGIT":
        summary.append(("git", msg))
        summary.append(("git", f"  {err.path}"))
        detail.append(("git", "Refusing to remove it. Update manually, or move it out of the way first."))
    elif code == "EEXIST":
        summary.append(("", msg))
        summary.append(("", "File exists: " + str(err.dest or err.path)))
        detail.append(("", "Remove the existing file and try again, or run npm"))
        detail.append(("", "with --force to overwrite files recklessly."))
    elif code == "ENEEDAUTH":
        summary.append(("need auth", msg))
        detail.append(("need auth", "You need to authorize this machine using `npm adduser`"))
    elif code in ("ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "ERR_SOCKET_TIMEOUT", "EAI_FAIL"):
        summary.append(("network", msg))
        detail.append(("network", _NETWORK_DETAIL))
    elif code == "ETARGET":
        summary.append(("notarget", msg))
        detail.append(
            (
                "notarget",
                "In most cases you or one of your dependencies are requesting a package version that doesn't exist.",
            )
        )
    elif code == "E403":
        summary.append(("403", msg))
        detail.append(
            (
                "403",
                "In most cases, you or one of your dependencies are requesting a package version that is "
                "forbidden by your security policy, or on a server you do not have access to.",
            )
        )
    elif code == "EBADENGINE":
        summary.append(("engine", msg))
        summary.append(("engine", f"Not compatible with your version of node/npm: {err.pkgid}"))
        current = err.extra.get("current")
        node = current.get("node") if isinstance(current, dict) else None
        # npm prints the versions it runs as (process.version, npm.version), not the checked ones
        actual = {"node": node, "npm": NPM_VERSION}
        detail.append(
            (
                "notsup",
                f"Not compatible with your version of node/npm: {err.pkgid}\n"
                f"Required: {_js_json(err.extra.get('required'))}\n"
                f"Actual:   {_js_json(actual)}",
            )
        )
    elif code == "EBADPLATFORM":
        wanted, details = _platform_lines(err)
        summary.append(("notsup", wanted))
        detail.append(("notsup", details))
    elif code == "ENOSPC":
        summary.append(("nospc", msg))
        detail.append(
            (
                "nospc",
                "There appears to be insufficient space on your system to finish.\nClear up some disk space and try again.",
            )
        )
    elif code == "EROFS":
        summary.append(("rofs", msg))
        detail.append(
            (
                "rofs",
                "Often virtualized file systems, or other file systems that don't support symlinks, give this error.",
            )
        )
    elif code == "ENOENT":
        summary.append(("enoent", msg))
        hint = f"\nCheck if the file '{err.file}' is present." if err.file else ""
        detail.append(("enoent", "This is related to npm not being able to find a file.\n" + hint))
    elif code in TYPE_ERROR_CODES:
        # aproba throws TypeErrors; npm shows `er.stack`
        summary.append(("typeerror", error_stack(err, "TypeError" if err.name == "Error" else err.name)))
        detail.append(("typeerror", _TYPE_ERROR_DETAIL))
    else:
        summary.append(("", msg))
        if err.detail:
            detail.append(("", err.detail))
        cause = err.extra.get("cause")
        if cause:
            detail.append(("cause", str(cause)))
        signal = err.extra.get("signal")
        if signal:
            detail.append(("signal", str(signal)))
        # a failed child process (git): its command line, then what it printed
        cmd, args = err.extra.get("cmd"), err.extra.get("args")
        if cmd and isinstance(args, list):
            detail.append(("command", str(cmd), *(redact_log(str(a)) for a in args)))
        for stream in ("stdout", "stderr"):
            text = err.extra.get(stream)
            if isinstance(text, str) and text:
                detail.append(("", js_trim(text)))
    return summary, detail, json_extra


def _not_found_detail(pkgid: str) -> list[Line]:
    from snpm.spec.names import validate_package_name

    pkg = re.sub(r"(?!^)@.*$", "", pkgid)
    lines: list[Line] = [
        ("404", ""),
        (
            "404",
            "",
            f"The requested resource '{redact_log(pkgid)}' could not be found or you do not have permission "
            "to access it.",
        ),
    ]
    result = validate_package_name(pkg)
    if not result.valid_for_new_packages:
        lines.append(("404", "This package name is not valid, because", ""))
        problems = [*result.errors, *result.warnings]
        lines.extend(("404", f" {i + 1}. {item}") for i, item in enumerate(problems))
    lines.append(("404", ""))
    lines.append(("404", "Note that you can also install from a"))
    lines.append(("404", "tarball, folder, http url, or git url."))
    return lines


def exit_code_of(err: SnpmError) -> int:
    """npm's getExitCodeFromError: numeric errno, else numeric code, else 1 (and never 0)."""
    if err.exit_code is not None:
        return err.exit_code
    if isinstance(err.errno, int) and err.errno:
        return err.errno & 0xFF
    if isinstance(err.code, int) and err.code:
        return err.code & 0xFF
    return 1


def render(err: BaseException, *, command: str = "", suggestions: str = "") -> RenderedError:
    """Everything npm prints for an error, split into its parts (npm's getError)."""
    if isinstance(err, UnknownCommandError):
        return RenderedError(
            exit_code=1,
            suppress=True,
            standard=[
                f'Unknown command: "{err.command}"',
                err.suggestions,
                "To see a list of supported npm commands, run:",
                "  npm help",
            ],
        )
    if not isinstance(err, SnpmError):
        # a bug in snpm: show it like npm shows an unexpected Error (message, and the type and the
        # stack in verbose: the debug log then holds what a bug report needs)
        wrapped = SnpmError(f"{type(err).__name__}: {err}")
        rendered = render(wrapped, command=command)
        name = type(err).__name__
        rendered.verbose[:0] = [("type", name), ("stack", error_stack(err, name))]
        return rendered
    if isinstance(err, ThrownStringError):
        # npm.js Object.assign()s getError's result onto a primitive, so jsonError finds nothing
        return RenderedError(exit_code=1, summary=[("", err.message)], json={"summary": "", "detail": ""})
    if getattr(err, "silent", False):
        # the command reported its failures itself (e.g. `run -ws`): only the exit status is left
        return RenderedError(exit_code=exit_code_of(err), suppress=True)
    if (
        command in SHELLOUT_COMMANDS
        and isinstance(err.code, int)
        and not isinstance(err.code, bool)
        and err.code
    ):
        # a script's exit status; --json still gets {"error": {"code": N, "summary": "", "detail": ""}}
        return RenderedError(exit_code=err.code, code=err.code, suppress=True)
    code = err.code
    if code is None:
        match = re.match(r"^(?:Error: )?(E[A-Z]+)", err.message)
        code = match.group(1) if match else None
        err.code = code
    files: list[tuple[str, str]] = []
    if isinstance(err, UsageError):
        # npm's usageError: message `\n<prefix>\n\n<usage>` rendered under an empty title
        text = f"\n{err.message}\n\n{err.usage}" if err.message else f"\n{err.usage}"
        summary: list[Line] = [("", text)]
        detail: list[Line] = []
        extra = None
    else:
        summary, detail, extra = _message_lines(err, command, files)
    verbose: list[Line] = []
    if isinstance(getattr(err, "status", None), int):
        verbose.append(("statusCode", str(getattr(err, "status"))))  # noqa: B009 - not every error has it
    if err.pkgid:
        verbose.append(("pkgid", redact_log(err.pkgid)))
    error_lines: list[Line] = [
        (key, str(value))
        for key, value in (
            ("code", code),
            ("syscall", err.syscall),
            ("file", err.file),
            ("path", err.path),
            ("dest", err.dest),
            # node puts the code string in `errno` for network errors (`errno ECONNREFUSED`)
            ("errno", err.errno if err.errno is not None else err.extra.get("errno")),
        )
        if value
    ]
    return RenderedError(
        exit_code=exit_code_of(err),
        code=code,
        verbose=verbose,
        error=error_lines,
        summary=summary,
        detail=detail,
        json=extra,
        files=files,
    )


def json_dumps(value: JsonValue) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def all_lines(rendered: RenderedError) -> Sequence[Line]:
    return [*rendered.error, *rendered.summary, *rendered.detail]
