"""hosted-git-info's URL repair (lib/parse-url.js) and its GitHub-shorthand test (lib/from-url.js).

Git remotes come as scp-style `git@host:user/repo`, as `host:path` and as half-URLs that WHATWG URL
parsing refuses. hosted-git-info first tries the string as given (after inserting `//` or `git+ssh://`
where a known protocol lacks it), then once more with the last `:` before any `#` turned into `/`.
"""

from __future__ import annotations

from collections.abc import Container

from snpm.ecmascript.strings import WHITESPACE_RE
from snpm.spec import whatwg_url
from snpm.spec.whatwg_url import WhatwgUrl


def is_github_shorthand(arg: str) -> bool:
    """`user/repo` (optionally `#committish`): one slash, no scheme, no scope, not a path."""
    first_hash = arg.find("#")
    first_slash = arg.find("/")
    second_slash = arg.find("/", first_slash + 1)
    first_colon = arg.find(":")
    first_space = WHITESPACE_RE.search(arg)
    first_at = arg.find("@")

    space_only_after_hash = first_space is None or (first_hash > -1 and first_space.start() > first_hash)
    at_only_after_hash = first_at == -1 or (first_hash > -1 and first_at > first_hash)
    colon_only_after_hash = first_colon == -1 or (first_hash > -1 and first_colon > first_hash)
    second_slash_only_after_hash = second_slash == -1 or (first_hash > -1 and second_slash > first_hash)
    has_slash = first_slash > 0
    if first_hash > -1:
        # arg[firstHash - 1] is undefined (so "not a slash") when the hash comes first
        does_not_end_with_slash = first_hash == 0 or arg[first_hash - 1] != "/"
    else:
        does_not_end_with_slash = not arg.endswith("/")
    does_not_start_with_dot = not arg.startswith(".")
    return (
        space_only_after_hash
        and has_slash
        and does_not_end_with_slash
        and does_not_start_with_dot
        and at_only_after_hash
        and colon_only_after_hash
        and second_slash_only_after_hash
    )


def _last_index_of_before(text: str, char: str, before: str) -> int:
    """JS `str.lastIndexOf(char, str.indexOf(before))`, searching the whole string when `before` is absent."""
    stop = text.find(before)
    return text.rfind(char, 0, stop + 1) if stop > -1 else text.rfind(char)


def _correct_protocol(arg: str, protocols: Container[str]) -> str:
    """Turn `git:github.com:user/repo` into `git://…` and `user:pw@host:path` into `git+ssh://…`."""
    first_colon = arg.find(":")
    if arg[: first_colon + 1] in protocols:
        return arg
    if first_colon > -1 and arg[first_colon : first_colon + 3] == "://":
        return arg
    first_at = arg.find("@")
    if first_at > -1:
        # <foo>:<bar>@<baz> is taken for git+ssh; git@github.com:npm/x.git is left alone
        return f"git+ssh://{arg}" if first_at > first_colon else arg
    return f"{arg[: first_colon + 1]}//{arg[first_colon + 1 :]}"


def _correct_url(giturl: str) -> str:
    """Make an scp-style remote parse: the last `:` after the userinfo becomes `/`."""
    # '@' and ':' after the first '#' belong to the committish (`#semver:^1.0.0`)
    first_at = _last_index_of_before(giturl, "@", "#")
    last_colon_before_hash = _last_index_of_before(giturl, ":", "#")
    if last_colon_before_hash > first_at:
        giturl = giturl[:last_colon_before_hash] + "/" + giturl[last_colon_before_hash + 1 :]
    if _last_index_of_before(giturl, ":", "#") == -1 and "//" not in giturl:
        giturl = f"git+ssh://{giturl}"
    return giturl


def parse_git_url(giturl: str, protocols: Container[str] | None = None) -> WhatwgUrl | None:
    """hosted-git-info's `parseUrl`: the URL as given (protocol-corrected), else scp-corrected."""
    with_protocol = _correct_protocol(giturl, protocols) if protocols is not None else giturl
    return whatwg_url.parse(with_protocol) or whatwg_url.parse(_correct_url(with_protocol))
