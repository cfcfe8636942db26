"""npm's package-spec vocabulary: npm-package-arg 13.0.2, hosted-git-info 9.0.3 and
validate-npm-package-name 7.0.2, ported with their quirks.

- `parse_spec(arg, where)` / `resolve(name, spec, where)`: what `foo@^1`, `user/repo`, `./dir`,
  `npm:bar@2` or a URL means, as one of the `PackageSpec` kinds (`parse`, `kinds`).
- `from_url` / `from_manifest` / `parse_url` and `HostedGit`: repositories on github, gitlab,
  bitbucket, gist and sourcehut, and every URL form they have (`git_hosts`, `git_host_templates`).
- `validate_package_name` and the scope/escaping helpers (`names`).

Supporting modules, public for other vocabulary modules: `whatwg_url` (node's `new URL()`),
`ecmascript` (encode/decodeURIComponent raising SpecError), `local_path` (node's `path.posix` for
`file:` specs). Layer 1: imports layer 0 (`snpm.errors`, `snpm.json_types`, `snpm.ecmascript`) and
`snpm.semver` only.
"""

from __future__ import annotations

from snpm.spec.git_hosts import HostedGit, from_manifest, from_url, parse_url
from snpm.spec.kinds import (
    AliasSpec,
    DirectorySpec,
    FileSpec,
    GitSpec,
    PackageSpec,
    RegistrySpec,
    RegistrySpecType,
    RemoteSpec,
    SpecType,
)
from snpm.spec.names import (
    NameValidity,
    escape_name,
    scope_of,
    split_scope,
    unescape_name,
    validate_package_name,
)
from snpm.spec.parse import parse_spec, resolve
from snpm.spec.whatwg_url import WhatwgUrl

__all__ = [
    "AliasSpec",
    "DirectorySpec",
    "FileSpec",
    "GitSpec",
    "HostedGit",
    "NameValidity",
    "PackageSpec",
    "RegistrySpec",
    "RegistrySpecType",
    "RemoteSpec",
    "SpecType",
    "WhatwgUrl",
    "escape_name",
    "from_manifest",
    "from_url",
    "parse_spec",
    "parse_url",
    "resolve",
    "scope_of",
    "split_scope",
    "unescape_name",
    "validate_package_name",
]
