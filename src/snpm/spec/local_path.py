"""Local-path arithmetic for `file:` specs: node's `path.posix` resolve/relative and npa's pathToFileURL.

npa computes `saveSpec` with `path.relative(where, resolved)` and `fetchSpec` with `path.resolve`;
node's versions differ from `os.path` at the edges (`resolve('//a')` is `/a`, `relative(a, a)` is
`""` not `"."`), so they are ported. Only POSIX paths are handled: snpm runs npm's posix rules.
"""

from __future__ import annotations

import os
import posixpath

# npa's encodedPathChars (copied from node's EncodePathChars): what its pathToFileURL escapes.
_ENCODED_PATH_CHARS = {
    "\0": "%00",
    "\t": "%09",
    "\n": "%0A",
    "\r": "%0D",
    " ": "%20",
    '"': "%22",
    "#": "%23",
    "%": "%25",
    "?": "%3F",
    "[": "%5B",
    "\\": "%5C",
    "]": "%5D",
    "^": "%5E",
    "|": "%7C",
    "~": "%7E",
}
_PATH_ESCAPES = str.maketrans(_ENCODED_PATH_CHARS)


def path_to_file_url(path: str) -> str:
    """npa's pathToFileURL: escape a few characters and prefix `file:` (unless already there)."""
    encoded = path.translate(_PATH_ESCAPES)
    return encoded if encoded.startswith("file:") else f"file:{encoded}"


def is_absolute(path: str) -> bool:
    return path.startswith("/")


def resolve(*paths: str) -> str:
    """node's `path.posix.resolve`: right to left until absolute (the cwd last), then normalised."""
    resolved = ""
    for path in reversed(paths):
        if path:
            resolved = f"{path}/{resolved}" if resolved else path
            if path.startswith("/"):
                break
    else:
        cwd = os.getcwd()
        resolved = f"{cwd}/{resolved}" if resolved else cwd
    normalized = posixpath.normpath(resolved)
    # posixpath keeps a leading "//" (POSIX leaves it implementation-defined); node does not
    return "/" + normalized.lstrip("/") if normalized.startswith("//") else normalized


def relative(from_path: str, to_path: str) -> str:
    """node's `path.posix.relative` (empty string for the same directory)."""
    if from_path == to_path:
        return ""
    from_path = resolve(from_path)
    to_path = resolve(to_path)
    if from_path == to_path:
        return ""
    from_start, from_end = 1, len(from_path)
    from_len = from_end - from_start
    to_start = 1
    to_len = len(to_path) - to_start
    length = min(from_len, to_len)
    last_common_sep = -1
    i = 0
    while i < length:
        code = from_path[from_start + i]
        if code != to_path[to_start + i]:
            break
        if code == "/":
            last_common_sep = i
        i += 1
    if i == length:
        if to_len > length:
            if to_path[to_start + i] == "/":
                return to_path[to_start + i + 1 :]  # from is a prefix of to: /a/b -> /a/b/c
            if i == 0:
                return to_path[to_start + i :]  # from is the root
        elif from_len > length:
            if from_path[from_start + i] == "/":
                last_common_sep = i  # to is a prefix of from: /a/b/c -> /a/b
            elif i == 0:
                last_common_sep = 0  # to is the root
    out = ""
    for index in range(from_start + last_common_sep + 1, from_end + 1):
        if index == from_end or from_path[index] == "/":
            out += ".." if not out else "/.."
    return out + to_path[to_start + last_common_sep :]
