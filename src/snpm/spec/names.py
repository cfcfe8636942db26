"""Package names: validate-npm-package-name 7.0.2, scope splitting and the escaped (URL) form.

`validate_package_name` keeps that library's exact messages and order, and its quirks: a name that
`encodeURIComponent` would change is only accepted when it is `@scope/name` with both halves clean;
`validForOldPackages` ignores warnings (capitals, core-module names, length over 214, `~'!()*`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import msgspec

from snpm.ecmascript.strings import is_uri_component_safe, trim, utf16_length

# validate-npm-package-name 7.0.2 lib/builtin-modules.json: node core modules, warned about as names.
_NODE_BUILTINS_TEXT = """
_http_agent _http_client _http_common _http_incoming _http_outgoing _http_server _stream_duplex
_stream_passthrough _stream_readable _stream_transform _stream_wrap _stream_writable _tls_common
_tls_wrap assert assert/strict async_hooks buffer child_process cluster console constants crypto
dgram diagnostics_channel dns dns/promises domain events fs fs/promises http http2 https inspector
inspector/promises module net os path path/posix path/win32 perf_hooks process punycode querystring
readline readline/promises repl stream stream/consumers stream/promises stream/web string_decoder
sys timers timers/promises tls trace_events tty url util util/types v8 vm wasi worker_threads zlib
node:sea node:sqlite node:test node:test/reporters
"""
NODE_BUILTIN_NAMES = frozenset(_NODE_BUILTINS_TEXT.split())
_EXCLUDED_NAMES = ("node_modules", "favicon.ico")
_SPECIAL_CHARACTERS = re.compile(r"[~'!()*]")
# validate-npm-package-name's scopedPackagePattern: ^(?:@([^/]+?)[/])?([^/]+?)$
_SCOPED_NAME = re.compile(r"(?:@([^/]+?)/)?([^/]+?)\Z", re.DOTALL)


class NameValidity(msgspec.Struct, frozen=True):
    """What `validate(name)` returns; `warnings`/`errors` are empty where npm omits the key."""

    valid_for_new_packages: bool
    valid_for_old_packages: bool
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def validate_package_name(name: object) -> NameValidity:
    """validate-npm-package-name: is `name` usable for new packages, and for already-published ones."""
    if isinstance(name, str):
        return _validate_string(name)
    if name is None:
        return _done([], ["name cannot be null"])
    return _done([], ["name must be a string"])


def validate_undefined_name() -> NameValidity:
    """`validate(undefined)`: JavaScript tells a missing name from a null one; Python callers rarely can."""
    return _done([], ["name cannot be undefined"])


@lru_cache(maxsize=8192)
def _validate_string(name: str) -> NameValidity:
    warnings: list[str] = []
    errors: list[str] = []
    if not name:
        errors.append("name length must be greater than zero")
    if name.startswith("."):
        errors.append("name cannot start with a period")
    if name.startswith("-"):
        errors.append("name cannot start with a hyphen")
    if name.startswith("_"):
        errors.append("name cannot start with an underscore")
    if trim(name) != name:
        errors.append("name cannot contain leading or trailing spaces")
    lowered = name.lower()
    for excluded in _EXCLUDED_NAMES:
        if lowered == excluded:
            errors.append(f"{excluded} is not a valid package name")
    if lowered in NODE_BUILTIN_NAMES:
        warnings.append(f"{name} is a core module name")
    if utf16_length(name) > 214:
        warnings.append("name can no longer contain more than 214 characters")
    if lowered != name:
        warnings.append("name can no longer contain capital letters")
    if _SPECIAL_CHARACTERS.search(name.split("/")[-1]):
        warnings.append('name can no longer contain special characters ("~\'!()*")')
    if not is_uri_component_safe(name):
        match = _SCOPED_NAME.match(name)
        if match:
            user, package = match.group(1), match.group(2)
            if package.startswith("."):
                errors.append("name cannot start with a period")
            # an unscoped match leaves `user` undefined, and encodeURIComponent(undefined) is
            # "undefined", so an unscoped name with unsafe characters always falls through
            if user is not None and is_uri_component_safe(user) and is_uri_component_safe(package):
                return _done(warnings, errors)
        errors.append("name can only contain URL-friendly characters")
    return _done(warnings, errors)


def _done(warnings: list[str], errors: list[str]) -> NameValidity:
    return NameValidity(
        valid_for_new_packages=not errors and not warnings,
        valid_for_old_packages=not errors,
        warnings=tuple(warnings),
        errors=tuple(errors),
    )


def is_scoped(name: str) -> bool:
    return name.startswith("@")


def scope_of(name: str) -> str | None:
    """npa's `scope`: `@scope` for `@scope/name`, else None.

    Like npa, a name that starts with `@` but has no `/` loses its last character
    (`name.slice(0, name.indexOf('/'))` with indexOf -1); such names never validate anyway.
    """
    if not name.startswith("@"):
        return None
    slash = name.find("/")
    return name[:slash] if slash >= 0 else name[:-1]


def split_scope(name: str) -> tuple[str | None, str]:
    """(`@scope`, `name`) for `@scope/name`; (None, name) for an unscoped name."""
    if name.startswith("@"):
        slash = name.find("/")
        if slash >= 0:
            return name[:slash], name[slash + 1 :]
    return None, name


def escape_name(name: str) -> str:
    """npa's `escapedName`: the first `/` becomes `%2f`, as the registry's URL path wants (`@scope%2fname`)."""
    return name.replace("/", "%2f", 1)


def unescape_name(escaped: str) -> str:
    """The reverse of `escape_name`, accepting either case of the escape (`%2f` or `%2F`)."""
    if escaped.startswith("@"):
        for escape in ("%2f", "%2F"):
            if escape in escaped:
                return escaped.replace(escape, "/", 1)
    return escaped
