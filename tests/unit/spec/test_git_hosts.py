"""snpm.spec.git_hosts: hosted-git-info behaviour that the conformance table does not pin down."""

from __future__ import annotations

import pytest

from snpm.errors import SpecError
from snpm.spec import HostedGit, from_manifest, from_url


def test_shorthand_is_github() -> None:
    info = from_url("npm/cli#v11")
    assert info == HostedGit("github", "npm", None, "cli", "v11", "shortcut")
    assert str(info) == "github:npm/cli#v11"
    assert info.tarball() == "https://codeload.github.com/npm/cli/tar.gz/v11"


def test_options_are_kept_and_can_be_overridden_per_call() -> None:
    info = from_url("git+ssh://git@github.com/npm/cli.git#main", no_committish=True, no_git_plus=True)
    assert info is not None
    assert info.to_string() == "ssh://git@github.com/npm/cli.git"
    assert (
        info.to_string(no_committish=False, no_git_plus=False) == "git+ssh://git@github.com/npm/cli.git#main"
    )
    # tarball always uses the committish
    assert info.tarball() == "https://codeload.github.com/npm/cli/tar.gz/main"


def test_tree_url_without_a_committish_gets_the_string_undefined() -> None:
    info = from_url("https://github.com/user/repo/tree")
    assert info is not None
    assert info.committish == "undefined"


def test_gist_without_user_renders_null() -> None:
    info = from_url("gist:feedbeef")
    assert info is not None
    assert info.edit("package.json") == "https://gist.github.com/null/feedbeef/edit"


def test_object_prototype_names_are_not_hosts() -> None:
    # upstream crashes with a TypeError on these; here they are simply not hosted
    assert from_url("git+ssh://constructor/foo/bar") is None
    assert from_url("https://__proto__/foo/bar") is None


def test_missing_templates_and_null_urls() -> None:
    gitlab = from_url("gitlab:group/repo")
    assert gitlab is not None and gitlab.git() is None
    sourcehut = from_url("sourcehut:~u/r", no_git_plus=True)
    assert sourcehut is not None and sourcehut.bugs() is None


def test_http_default_prints_as_sshurl() -> None:
    info = from_url("http://github.com/user/repo")
    assert info is not None
    assert info.default == "http"
    assert info.to_string() == "git+ssh://git@github.com/user/repo.git"


def test_browse_paths_and_fragments() -> None:
    info = from_url("github:user/repo#v1")
    assert info is not None
    assert info.browse("/lib/Index.js", "L10") == "https://github.com/user/repo/tree/v1/lib/Index.js#l10"
    assert info.browse("") == "https://github.com/user/repo/tree/v1/"
    assert info.browse_file("package.json") == "https://github.com/user/repo/blob/v1/package.json"


def test_from_manifest() -> None:
    assert from_manifest({"repository": "user/repo"}) == from_url("user/repo")
    assert (
        from_manifest({"repository": {"url": "git+https://example.com/a/b.git"}}) == "https://example.com/a/b"
    )
    assert from_manifest(None) is None
    assert from_manifest([]) is None
    with pytest.raises(SpecError, match="no repository"):
        from_manifest({"name": "x"})
    with pytest.raises(SpecError, match="no repository"):
        from_manifest({"repository": {"url": ""}})


def test_host_names_match_the_template_table() -> None:
    """git_hosts spells the host names (its shortcut protocols) so the templates load lazily."""
    from snpm.spec.git_host_templates import GIT_HOSTS
    from snpm.spec.git_hosts import HOST_NAMES

    assert set(HOST_NAMES) == set(GIT_HOSTS)
    assert all(GIT_HOSTS[name].name == name for name in HOST_NAMES)
