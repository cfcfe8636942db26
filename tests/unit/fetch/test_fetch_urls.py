"""URL rules of the fetchers: replace-registry-host (pacote and arborist), git's repoUrl/addGitSha."""

from __future__ import annotations

import pytest

from snpm.fetch.git import add_git_sha, needs_git_prepare, repo_url
from snpm.fetch.options import public_registry_host
from snpm.fetch.remote import registry_resolved, replace_registry_host
from snpm.spec import GitSpec, parse_spec

REG = "http://127.0.0.1:4873"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("url", "registry", "setting", "expected"),
    [
        ("https://mirror.test/pb/-/pb-1.0.0.tgz", REG, "mirror.test", f"{REG}/pb/-/pb-1.0.0.tgz"),
        ("https://mirror.test/pb/-/pb-1.0.0.tgz", REG, "other.test", "https://mirror.test/pb/-/pb-1.0.0.tgz"),
        ("https://mirror.test/pb/-/pb-1.0.0.tgz", REG, "always", f"{REG}/pb/-/pb-1.0.0.tgz"),
        ("https://mirror.test/pb/-/pb-1.0.0.tgz", REG, "never", "https://mirror.test/pb/-/pb-1.0.0.tgz"),
        # `new URL(pathname, registry)`: the registry's own path and the query string are dropped
        ("https://mirror.test/pb/-/pb-1.0.0.tgz?x=1", f"{REG}/npm", "always", f"{REG}/pb/-/pb-1.0.0.tgz"),
        # the host comparison includes a non-default port
        ("https://mirror.test:8443/a.tgz", REG, "mirror.test", "https://mirror.test:8443/a.tgz"),
        ("https://mirror.test:8443/a.tgz", REG, "mirror.test:8443", f"{REG}/a.tgz"),
    ],
)
def test_pacote_replace_registry_host(url: str, registry: str, setting: str, expected: str) -> None:
    assert replace_registry_host(url, registry, setting) == expected


def test_arborist_registry_resolved() -> None:
    public = f"https://{public_registry_host()}/pb/-/pb-1.0.0.tgz"
    assert registry_resolved(public, f"{REG}/", "npmjs") == f"{REG}/pb/-/pb-1.0.0.tgz"
    assert registry_resolved(public, f"{REG}/npm/", "npmjs") == f"{REG}/npm/pb/-/pb-1.0.0.tgz"
    assert registry_resolved(public, f"{REG}/", "never") == public
    assert registry_resolved("https://m.test/npm/pb.tgz", f"{REG}/reg/", "https://m.test/npm/") == (
        f"{REG}/reg/pb.tgz"
    )
    assert registry_resolved("https://m.test/other/pb.tgz", f"{REG}/", "https://m.test/npm") == (
        "https://m.test/other/pb.tgz"
    )
    assert registry_resolved("https://any.test/x.tgz", f"{REG}/", "always") == f"{REG}/x.tgz"
    assert registry_resolved("git+ssh://git@github.com/u/r.git#x", f"{REG}/", "always").startswith("git+ssh")


def _git(spec: str) -> GitSpec:
    parsed = parse_spec(spec)
    assert isinstance(parsed, GitSpec)
    return parsed


def test_repo_url_and_add_git_sha() -> None:
    hosted = _git("github:u/r#v1").hosted
    assert hosted is not None
    assert repo_url(hosted) == "git+ssh://git@github.com/u/r.git#v1"
    assert repo_url(hosted, no_committish=True) == "git+ssh://git@github.com/u/r.git"
    with_auth = _git("git+https://tok@github.com/u/r.git#v1").hosted
    assert with_auth is not None and repo_url(with_auth) == "git+https://tok@github.com/u/r.git#v1"
    assert add_git_sha(_git("github:u/r#v1"), SHA) == f"github:u/r#{SHA}"
    assert (
        add_git_sha(_git("git+https://tok@github.com/u/r.git#v1"), SHA)
        == f"https://tok@github.com/u/r.git#{SHA}"
    )
    assert add_git_sha(_git("git+ssh://git@example.test/r.git#main::path:a"), SHA) == (
        f"git+ssh://git@example.test/r.git#{SHA}"
    )


def test_needs_git_prepare() -> None:
    assert not needs_git_prepare({"scripts": {"test": "x"}})
    assert needs_git_prepare({"scripts": {"prepare": "tsc"}})
    assert needs_git_prepare({"scripts": {"build": "x"}})
    assert needs_git_prepare({"workspaces": ["a"]})
