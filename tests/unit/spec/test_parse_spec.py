"""snpm.spec.parse: npa behaviour beyond the conformance rows: caching, `where`, home, re-parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from snpm.errors import SpecError
from snpm.spec import (
    AliasSpec,
    DirectorySpec,
    FileSpec,
    GitSpec,
    RegistrySpec,
    RemoteSpec,
    parse_spec,
    resolve,
)


def test_each_kind() -> None:
    assert isinstance(parse_spec("foo@^1.2.3"), RegistrySpec)
    assert isinstance(parse_spec("foo@npm:bar@1"), AliasSpec)
    assert isinstance(parse_spec("user/repo"), GitSpec)
    assert isinstance(parse_spec("https://h.example/x.tgz"), RemoteSpec)
    assert isinstance(parse_spec("./x.tgz", "/p"), FileSpec)
    assert isinstance(parse_spec("./x", "/p"), DirectorySpec)


def test_registry_results_are_shared_whatever_the_directory() -> None:
    first = resolve("foo", "^1.2.3", "/a")
    assert resolve("foo", "^1.2.3", "/b/c") is first
    assert first.type == "range" and first.fetch_spec == "^1.2.3"


def test_paths_depend_on_where() -> None:
    a = resolve("foo", "../x", "/a/b")
    b = resolve("foo", "../x", "/c/d")
    assert isinstance(a, DirectorySpec) and isinstance(b, DirectorySpec)
    assert (a.fetch_spec, a.where) == ("/a/x", "/a/b")
    assert (b.fetch_spec, b.where) == ("/c/x", "/c/d")
    assert a.save_spec == b.save_spec == "file:../x"


def test_home_is_an_explicit_argument() -> None:
    spec = parse_spec("foo@~/pkg", "/p", home="/home/someone")
    assert isinstance(spec, DirectorySpec)
    assert spec.save_spec == "file:~/pkg"
    assert spec.fetch_spec == "/home/someone/pkg"
    other = parse_spec("foo@~/pkg", "/p", home="/home/else")
    assert other.fetch_spec == "/home/else/pkg"


def test_where_defaults_to_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = parse_spec("./pkg")
    assert spec.fetch_spec == str(tmp_path / "pkg")
    assert isinstance(spec, DirectorySpec) and spec.where == str(tmp_path)


def test_relative_where_follows_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    monkeypatch.chdir(tmp_path / "one")
    assert parse_spec("./pkg", "sub").fetch_spec == str(tmp_path / "one" / "sub" / "pkg")
    monkeypatch.chdir(tmp_path / "two")
    assert parse_spec("./pkg", "sub").fetch_spec == str(tmp_path / "two" / "sub" / "pkg")


def test_reparsing_a_parsed_spec() -> None:
    spec = parse_spec("foo@./pkg", "/a")
    assert parse_spec(spec) is spec
    assert parse_spec(spec, "/a") is spec
    moved = parse_spec(spec, "/b")
    assert moved.fetch_spec == "/b/pkg"
    nameless = parse_spec("./pkg", "/a")
    assert parse_spec(nameless, "/c").fetch_spec == "/c/pkg"


@pytest.mark.parametrize(
    ("arg", "code", "message"),
    [
        ("foo@bad tag", "EINVALIDTAGNAME", 'Invalid tag name "bad tag" of package "foo@bad tag": '),
        ("lodash.has @^4", "EINVALIDPACKAGENAME", 'Invalid package name "lodash.has " of package'),
        ("gopher://x", "EUNSUPPORTEDPROTOCOL", 'Unsupported URL Type "gopher:": gopher://x'),
        ("gopher://yea right", "ERR_INVALID_URL", "Invalid URL"),
        ("foo@npm:bar@npm:baz", None, "nested aliases not supported"),
        ("user/foo#1234::5678", None, "cannot override existing committish with a second committish"),
        ("git+ssh://h/x#semver:%E0", None, "URI malformed"),
    ],
)
def test_errors_carry_npas_code_and_message(arg: str, code: str | None, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec(arg, "/p")
    assert raised.value.code == code
    assert raised.value.message.startswith(message)


def test_errors_are_not_cached_as_results() -> None:
    for _ in range(2):
        with pytest.raises(SpecError):
            resolve("foo", "bad tag", "/p")


def test_a_git_shorthand_that_cannot_be_decoded_is_a_path() -> None:
    # hosted-git-info gives up on the URIError, so npa falls through to a directory (as node does)
    spec = parse_spec("user/repo#semver:%E0", "/p")
    assert isinstance(spec, DirectorySpec)
    assert spec.fetch_spec == "/p/user/repo#semver:%E0"


def test_resolve_without_a_spec() -> None:
    spec = resolve("foo", None, "/p")
    assert isinstance(spec, RegistrySpec)
    assert (spec.raw, spec.raw_spec, spec.type, str(spec)) == ("foo@null", "", "range", "foo")


def test_git_attributes() -> None:
    spec = parse_spec("github:user/repo#semver:^1.2.3::path:packages/a")
    assert isinstance(spec, GitSpec)
    assert (spec.git_range, spec.git_committish, spec.git_subdir) == ("^1.2.3", None, "/packages/a")
    assert (
        spec.hosted is not None
        and spec.hosted.tarball()
        == "https://codeload.github.com/user/repo/tar.gz/semver%3A%5E1.2.3%3A%3Apath%3Apackages%2Fa"
    )
