"""arborist's spec-from-lock, consistent-resolve and version-from-tgz over snpm.spec (expected values
from npa/arborist runs)."""

from __future__ import annotations

import pytest

from snpm.lockfile.spec_from_lock import consistent_resolve, spec_from_lock, spec_or_none, version_from_tgz
from snpm.spec import AliasSpec, from_url

WHERE = "/proj/root"


@pytest.mark.parametrize(
    ("spec", "kind", "fetch", "save", "consistent"),
    [
        ("github:a/b#abc", "git", None, "github:a/b#abc", "git+ssh://git@github.com/a/b.git#abc"),
        ("a/b", "git", None, "a/b", "git+ssh://git@github.com/a/b.git"),
        ("git+https://github.com/a/b.git#x", "git", None, None, "git+ssh://git@github.com/a/b.git#x"),
        ("https://github.com/a/b/tree/dev", "git", None, None, "git+ssh://git@github.com/a/b.git#dev"),
        ("git+https://u:pw@github.com/a/b.git#c", "git", None, None, "git+https://u:pw@github.com/a/b.git#c"),
        ("git@github.com:a/b.git", "git", None, None, "git+ssh://git@github.com/a/b.git"),
        (
            "git+ssh://git@gitlab.com/g/sub/b.git#c",
            "git",
            None,
            None,
            "git+ssh://git@gitlab.com/g/sub/b.git#c",
        ),
        ("bitbucket:u/r#c", "git", None, None, "git+ssh://git@bitbucket.org/u/r.git#c"),
        ("gist:123abc", "git", None, None, "git+ssh://git@gist.github.com/123abc.git"),
        (
            "git://gitlab.com/a/b.git",
            "git",
            "git://gitlab.com/a/b.git",
            "git://gitlab.com/a/b.git",
            "git://gitlab.com/a/b.git",
        ),
        (
            "git+ssh://git@example.com:a/b.git#c",
            "git",
            "git@example.com:a/b.git",
            "git+ssh://git@example.com:a/b.git#c",
            "git+ssh://git@example.com:a/b.git#c",
        ),
        (
            "git+file:///tmp/repo#main",
            "git",
            "file:///tmp/repo",
            "git+file:///tmp/repo#main",
            "git+file:///tmp/repo#main",
        ),
        (
            "https://github.com/a/b/archive/x.tgz",
            "remote",
            "https://github.com/a/b/archive/x.tgz",
            "https://github.com/a/b/archive/x.tgz",
            "https://github.com/a/b/archive/x.tgz",
        ),
        (
            "https://example.com/x-1.0.0.tgz",
            "remote",
            "https://example.com/x-1.0.0.tgz",
            "https://example.com/x-1.0.0.tgz",
            "https://example.com/x-1.0.0.tgz",
        ),
        ("file:../x", "directory", "/proj/x", "file:../x", "file:../x"),
        ("./x", "directory", "/proj/root/x", "file:x", "file:x"),
        (
            "file:foo-1.0.0.tgz",
            "file",
            "/proj/root/foo-1.0.0.tgz",
            "file:foo-1.0.0.tgz",
            "file:foo-1.0.0.tgz",
        ),
        (
            "../src/s1-1.0.0.tgz",
            "file",
            "/proj/src/s1-1.0.0.tgz",
            "file:../src/s1-1.0.0.tgz",
            "file:../src/s1-1.0.0.tgz",
        ),
        ("/abs/path", "directory", "/abs/path", "file:/abs/path", "file:../../abs/path"),
        ("file:///abs/x", "directory", "/abs/x", "file:/abs/x", "file:../../abs/x"),
        ("file://../y", "directory", "/proj/y", "file:../y", "file:../y"),
        ("1.2.3", "version", "1.2.3", None, "1.2.3"),
        ("v1.2.3", "version", "v1.2.3", None, "v1.2.3"),
        ("^1.0.0", "range", "^1.0.0", None, "^1.0.0"),
    ],
)
def test_resolve_spec(spec: str, kind: str, fetch: str | None, save: str | None, consistent: str) -> None:
    result = spec_or_none("x", spec, WHERE)
    assert result is not None and result.type == kind
    if getattr(result, "hosted", None) is None:
        assert (result.fetch_spec, result.save_spec) == (fetch, save)
    assert result.raw == f"x@{spec}"
    assert consistent_resolve(spec, WHERE, WHERE, True) == consistent


def test_alias_spec() -> None:
    spec = spec_or_none("my", "npm:is-number@6.0.0", WHERE)
    assert isinstance(spec, AliasSpec) and spec.registry
    assert (spec.sub_spec.name, spec.sub_spec.fetch_spec) == ("is-number", "6.0.0")
    alias = spec_or_none("my", "npm:@s/p", WHERE)
    assert isinstance(alias, AliasSpec) and alias.sub_spec.fetch_spec == "*"


def test_unsupported_protocol_and_other_npa_errors() -> None:
    assert spec_or_none("x", "ftp://host/x.tgz", WHERE) is None
    assert consistent_resolve("ftp://host/x.tgz", WHERE, WHERE) == "ftp://host/x.tgz"
    # npa.resolve('x', 'x@1') throws (an invalid tag); consistentResolve's npa('x@1') does not
    assert spec_or_none("x", "x@1", WHERE) is None
    assert consistent_resolve("x@1", WHERE, WHERE) == "1"
    assert consistent_resolve(" 1.2.3 ", WHERE, WHERE) == " 1.2.3 "


def test_hosted_git_rejects_other_hosts_and_paths() -> None:
    assert from_url("https://example.com/a/b") is None
    assert from_url("https://github.com/a/b/archive/x.tgz") is None
    assert from_url("https://bitbucket.org/u/r/get/x.tgz") is None
    assert from_url("./a/b") is None
    assert from_url("@scope/pkg") is None


def test_spec_from_lock_prefers_version_with_integrity_then_from_then_resolved() -> None:
    assert spec_from_lock("a", {"version": "1.0.0", "integrity": "sha512-x"}, WHERE).type == "version"  # type: ignore[union-attr]
    git = spec_from_lock(
        "a", {"version": "git+ssh://git@github.com/a/b.git#abc", "from": "a@github:a/b"}, WHERE
    )
    assert git is not None and git.type == "git"
    registry = spec_from_lock(
        "a", {"version": "1.0.0", "from": "a@^1.0.0", "resolved": "https://r/a.tgz"}, WHERE
    )
    assert registry is not None and registry.type == "version"
    remote = spec_from_lock("a", {"resolved": "https://r.example/a-1.0.0.tgz"}, WHERE)
    assert remote is not None and remote.type == "remote"


@pytest.mark.parametrize(
    ("name", "tgz", "expected"),
    [
        ("a", "file:/x/a-1.2.3.tgz", ("a", "1.2.3")),
        ("@s/p", "/x/p-1.0.0-beta.1+b.tgz", ("@s/p", "1.0.0-beta.1")),
        ("alias", "https://r.example/real/-/real-2.0.0.tgz", ("real", "2.0.0")),
        ("alias", "https://r.example/@s/real/-/real-2.0.0.tgz", ("@s/real", "2.0.0")),
        ("a", "/x/a-1.2.tgz", None),
        ("a", "/x/b-1.2.3.tgz", None),
        ("a", "/x/a-1.2.3.tar.gz", None),
        ("a", "/x/a-01.2.3.tgz", None),
    ],
)
def test_version_from_tgz(name: str, tgz: str, expected: tuple[str, str] | None) -> None:
    assert version_from_tgz(name, tgz) == expected
