"""git specs through FetchSource against local repositories (bare repos served by path, no network),
and hosted shortcuts served locally through git's `insteadOf` plus a stand-in for the tarball host."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Unpack

import pytest

from snpm.cache import index
from snpm.errors import HttpError, SnpmError
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.context import PrepareKind
from snpm.fetch.source import FetchSource
from snpm.integrity import compute
from snpm.json_types import JsonObject
from snpm.registry_client import RegistryClient, RegistryResponse, RequestOptions
from snpm.spec import parse_spec
from snpm.tarball import iter_entries
from support.fake_registry import settings_for
from support.fetch_harness import Harness
from support.git_repos import Repo, hosted_env, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path / "repos")


def _manifest(harness: Harness, repo: Repo, spec: str) -> ResolvedManifest:
    return harness.run(
        lambda s: s.manifest(parse_spec(spec, str(harness.root)), where=harness.root), git_env=repo.env
    )


def _error(harness: Harness, repo: Repo, spec: str) -> SnpmError:
    with pytest.raises(SnpmError) as info:
        _manifest(harness, repo, spec)
    return info.value


@pytest.mark.parametrize(
    ("committish", "version", "sha_of"),
    [
        ("", "2.0.0-pre", "main"),
        ("#v1.0.0", "1.0.0", "v1.0.0"),
        ("#v1.1.0", "1.1.0", "v1.1.0"),  # annotated: peeled to the commit
        ("#feature", "1.5.0", "feature"),
        ("#main", "2.0.0-pre", "main"),
        ("#semver:^1", "1.1.0", "v1.1.0"),
        ("#semver:1.0.x", "1.0.0", "v1.0.0"),
        ("#HEAD~1", "1.1.0", "main~1"),  # not advertised: resolved by cloning
    ],
)
def test_git_refs_resolve_like_pacote(
    harness: Harness, repo: Repo, committish: str, version: str, sha_of: str
) -> None:
    got = _manifest(harness, repo, f"{repo.url}{committish}")
    assert got.manifest["version"] == version
    assert got.resolved == f"{repo.url}#{repo.shas[sha_of]}" == got.manifest["_resolved"]
    assert got.from_spec == f"{repo.url}{committish}" == got.manifest["_from"]
    assert got.integrity is None and "_integrity" not in got.manifest


def test_full_sha(harness: Harness, repo: Repo) -> None:
    sha = repo.shas["v1.0.0"]
    got = _manifest(harness, repo, f"{repo.url}#{sha}")
    assert (got.manifest["version"], got.resolved) == ("1.0.0", f"{repo.url}#{sha}")


def test_path_committish_reads_the_subfolder(harness: Harness, repo: Repo) -> None:
    got = _manifest(harness, repo, f"sub@{repo.url}#main::path:packages/sub")
    assert (got.manifest["name"], got.manifest["version"]) == ("sub", "0.1.0")
    # pacote's addGitSha keeps only the sha: the path part is not in `_resolved`
    assert got.resolved == f"{repo.url}#{repo.shas['main']}"


def test_git_errors(harness: Harness, repo: Repo, tmp_path: Path) -> None:
    err = _error(harness, repo, f"x@{repo.url}#semver:^5")
    assert (err.code, err.message) == ("ETARGET", "No matching version found for undefined@^5.")
    missing_ref = _error(harness, repo, f"{repo.url}#nosuch")
    assert (missing_ref.code, missing_ref.message) == (1, "The git reference could not be found")
    missing_repo = _error(harness, repo, f"git+{(tmp_path / 'nothere.git').as_uri()}")
    assert (missing_repo.code, missing_repo.message) == (128, "An unknown git error occurred")
    assert "ls-remote" in missing_repo.extra["args"]  # type: ignore[operator]


def test_git_tarball_packs_the_checkout_and_indexes_it(harness: Harness, repo: Repo) -> None:
    sha = repo.shas["v1.0.0"]
    spec = f"{repo.url}#{sha}"
    tarball = harness.run(lambda s: s.tarball(spec, where=harness.root), git_env=repo.env)
    assert sorted(e.path for e in iter_entries(tarball.data)) == ["index.js", "package.json"]
    assert tarball.resolved == spec and tarball.integrity == str(compute(tarball.data))
    entry = index.find(harness.cache, f"pacote:tarball:{spec}")
    assert entry is not None and entry.integrity == tarball.integrity


def test_a_pinned_git_package_comes_from_the_store_without_git(harness: Harness, repo: Repo) -> None:
    spec = f"gitpkg@{repo.url}#{repo.shas['v1.1.0']}"
    first = harness.run(lambda s: s.extract(spec, harness.root / "one", where=harness.root), git_env=repo.env)
    assert not first.from_store and (harness.root / "one" / "package.json").exists()
    shutil.rmtree(repo.bare)  # git could not answer any more
    second = harness.run(
        lambda s: s.extract(spec, harness.root / "two", where=harness.root), git_env=repo.env
    )
    assert second.from_store and second.integrity == first.integrity
    assert (harness.root / "two" / "index.js").read_text() == "module.exports = 'git'\n"


def test_prepare_hook_for_git_packages(tmp_path: Path, harness: Harness) -> None:
    repo = make_repo(tmp_path / "prep", scripts={"prepare": "node build.js"})
    calls: list[PrepareKind] = []

    async def prepare(folder: Path, manifest: JsonObject, *, kind: PrepareKind) -> None:
        calls.append(kind)
        (folder / "dist.js").write_text("built\n")

    async def body(source: FetchSource) -> list[str]:
        await source.manifest(parse_spec(f"{repo.url}#v1.0.0"), where=tmp_path)
        assert not calls
        tarball = await source.tarball(f"{repo.url}#v1.0.0", where=tmp_path)
        return sorted(e.path for e in iter_entries(tarball.data))

    assert harness.run(body, prepare=prepare, git_env=repo.env) == ["dist.js", "index.js", "package.json"]
    assert calls == ["git"]


# ── hosted repositories ──


class CodeloadClient(RegistryClient):
    """The registry client, with the git host's tarball endpoint answered locally."""

    def __init__(self, harness: Harness, tarballs: dict[str, bytes]) -> None:
        super().__init__(settings_for(harness.registry, cache=harness.cache))
        self.tarballs = tarballs
        self.asked: list[str] = []

    async def get_bytes(self, url: str, **options: Unpack[RequestOptions]) -> RegistryResponse:
        if url.startswith("https://codeload.github.com/"):
            self.asked.append(url)
            if url not in self.tarballs:
                raise HttpError(f"404 Not Found - GET {url}", status=404, url=url)
            data = self.tarballs[url]
            return RegistryResponse(200, url, {}, data, integrity=str(compute(data)))
        return await super().get_bytes(url, **options)


def _hosted(tmp_path: Path) -> tuple[Repo, dict[str, str]]:
    repos = tmp_path / "hosted"
    repo = make_repo(repos / "u", name="r")
    return repo, hosted_env(tmp_path, repos)


def test_hosted_shortcut_uses_the_tarball_fast_path(harness: Harness, tmp_path: Path) -> None:
    repo, env = _hosted(tmp_path)
    sha = repo.shas["v1.0.0"]
    url = f"https://codeload.github.com/u/r/tar.gz/{sha}"
    client = CodeloadClient(harness, {url: repo.archive(sha, f"r-{sha}")})
    got = harness.run(
        lambda s: s.manifest(parse_spec("github:u/r#v1.0.0"), where=tmp_path), client=client, git_env=env
    )
    assert got.manifest["version"] == "1.0.0"
    assert got.resolved == f"git+ssh://git@github.com/u/r.git#{sha}"
    assert got.from_spec == "github:u/r#v1.0.0"
    assert client.asked == [url]
    short = harness.run(lambda s: s.manifest(parse_spec("u/r"), where=tmp_path), client=client, git_env=env)
    assert (
        short.from_spec == "github:u/r"
        and short.resolved == f"git+ssh://git@github.com/u/r.git#{repo.shas['main']}"
    )


def test_hosted_http_error_falls_back_to_cloning(harness: Harness, tmp_path: Path) -> None:
    repo, env = _hosted(tmp_path)
    client = CodeloadClient(harness, {})
    got = harness.run(
        lambda s: s.manifest(parse_spec("github:u/r#semver:^1"), where=tmp_path), client=client, git_env=env
    )
    assert got.manifest["version"] == "1.1.0"
    assert got.resolved == f"git+ssh://git@github.com/u/r.git#{repo.shas['v1.1.0']}"
    assert client.asked == [f"https://codeload.github.com/u/r/tar.gz/{repo.shas['v1.1.0']}"]


def test_hosted_with_credentials_records_https(harness: Harness, tmp_path: Path) -> None:
    repo, _ = _hosted(tmp_path)
    env = hosted_env(tmp_path, tmp_path / "hosted", base="https://tok@github.com/")
    sha = repo.shas["main"]
    url = f"https://codeload.github.com/u/r/tar.gz/{sha}"
    client = CodeloadClient(harness, {url: repo.archive(sha, "r")})
    got = harness.run(
        lambda s: s.manifest(parse_spec("git+https://tok@github.com/u/r.git"), where=tmp_path),
        client=client,
        git_env=env,
    )
    assert got.resolved == f"git+https://tok@github.com/u/r.git#{sha}"
