"""The one error type of snpm, carrying npm's error codes.

Imports nothing from snpm. Libraries raise; only `snpm.cli.error_render` turns an error into
npm's `npm error …` lines and an exit code, so the fields here mirror what npm's
`lib/utils/error-message.js` reads off its errors (code, pkgid, path, dest, syscall, …).

    SnpmError
     ├── UsageError          EUSAGE: wrong command-line use; carries the command's usage text
     ├── ConfigError         ERR_INVALID_AUTH, EINVALIDCONFIG, … problems in settings
     ├── SpecError           EINVALIDPACKAGENAME, EINVALIDTAGNAME, EUNSUPPORTEDPROTOCOL, …
     ├── NetworkError        ECONNREFUSED, ETIMEDOUT, ENOTFOUND, ECONNRESET, …
     ├── HttpError           E401, E403, E404, EOTP, EPUBLISHCONFLICT, E<status>: a registry answer
     ├── IntegrityError      EINTEGRITY: content does not match its Subresource Integrity
     ├── TarballError        ETARBALL (npm: TAR_BAD_ARCHIVE …), unsafe entries
     ├── ResolveError        ETARGET, ERESOLVE, ENOVERSIONS, …
     └── FileSystemError     ENOENT, EACCES, EEXIST, … with path/syscall like node's errors
"""

from __future__ import annotations

from collections.abc import Mapping


class SnpmError(Exception):
    """An error with npm's code. `message` is what npm would have as `er.message`."""

    # what JS would show as `err.name` where npm prints the error object itself (`FetchError: …`)
    name = "Error"

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        pkgid: str | None = None,
        path: str | None = None,
        dest: str | None = None,
        syscall: str | None = None,
        file: str | None = None,
        errno: int | str | None = None,
        exit_code: int | None = None,
        headers: Mapping[str, list[str]] | None = None,
        body: object = None,
        detail: str | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.pkgid = pkgid
        self.path = path
        self.dest = dest
        self.syscall = syscall
        self.file = file
        self.errno = errno
        self.exit_code = exit_code
        self.headers: Mapping[str, list[str]] = headers or {}
        self.body = body
        self.detail = detail
        self.extra: Mapping[str, object] = extra or {}

    def __str__(self) -> str:
        return self.message


class UsageError(SnpmError):
    """EUSAGE. `usage` is the command's usage text, printed after the message like npm."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message, code="EUSAGE")
        self.usage = usage


class ConfigError(SnpmError):
    pass


class SpecError(SnpmError):
    pass


class NetworkError(SnpmError):
    name = "FetchError"


class HttpError(SnpmError):
    """A registry answered with an error status. `status` is the HTTP status code."""

    def __init__(
        self, message: str, *, status: int, method: str = "GET", url: str = "", **kw: object
    ) -> None:
        kw.setdefault("code", f"E{status}")
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.status = status
        self.method = method
        self.url = url


class IntegrityError(SnpmError):
    def __init__(self, message: str, *, expected: str = "", found: str = "", **kw: object) -> None:
        kw.setdefault("code", "EINTEGRITY")
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.expected = expected
        self.found = found


class TarballError(SnpmError):
    pass


class ResolveError(SnpmError):
    pass


class FileSystemError(SnpmError):
    pass


class UnknownCommandError(SnpmError):
    """npm's EUNKNOWNCOMMAND: printed on stdout with suggestions, no `npm error` lines."""

    def __init__(self, command: str, suggestions: str = "") -> None:
        super().__init__(f"Unknown command: {command!r}", code="EUNKNOWNCOMMAND", exit_code=1)
        self.command = command
        self.suggestions = suggestions


def from_os_error(err: OSError, syscall: str | None = None) -> FileSystemError:
    """Wrap an OSError the way node reports it: `ENOENT: no such file or directory, open '<path>'`."""
    import errno as errno_mod
    import os

    name = errno_mod.errorcode.get(err.errno or 0, "EIO")
    call = syscall or "open"
    where = f", {call} '{err.filename}'" if err.filename else ""
    if err.filename2:
        where += f" -> '{err.filename2}'"
    return FileSystemError(
        f"{name}: {os.strerror(err.errno or 0).lower()}{where}",
        code=name,
        errno=-(err.errno or 0),
        syscall=call,
        path=os.fsdecode(err.filename) if err.filename else None,
        dest=os.fsdecode(err.filename2) if err.filename2 else None,
    )
