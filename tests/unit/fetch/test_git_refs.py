"""snpm.git: ls-remote lines → Revs (@npmcli/git lines-to-revs), ref resolution, git's environment."""

from __future__ import annotations

from pathlib import Path

from snpm.git import Git, git_env, lines_to_revs, resolve_ref

A, B, C, D, E = ("a" * 40, "b" * 40, "c" * 40, "d" * 40, "e" * 40)

LINES = [
    f"{A}\tHEAD",
    f"{A}\trefs/heads/main",
    f"{B}\trefs/heads/feature",
    f"{C}\trefs/tags/v1.0.0",
    f"{D}\trefs/tags/v1.1.0",  # annotated: the tag object
    f"{B}\trefs/tags/v1.1.0^{{}}",  # …peeled to the commit
    f"{E}\trefs/tags/release-2.0.0-beta.1",
    f"{A}\trefs/tags/not-a-version",
    f"{B}\trefs/pull/7/head",
    f"{C}\trefs/notes/commits",
    "garbage",
]


def test_refs_versions_and_peeling() -> None:
    revs = lines_to_revs(LINES)
    assert revs.refs["HEAD"].type == "head" and revs.head is not None and revs.head.sha == A
    assert revs.refs["main"] is revs.refs["refs/heads/main"]
    assert revs.refs["v1.1.0"].sha == B  # peeled
    assert "v1.1.0^{}" not in revs.refs and "refs/tags/v1.1.0^{}" not in revs.refs
    assert revs.refs["pull/7"].type == "pull"
    assert revs.refs["refs/notes/commits"].type == "other"
    assert sorted(revs.versions) == ["1.0.0", "1.1.0", "2.0.0-beta.1"]
    assert revs.versions["1.1.0"].sha == B
    assert revs.shas[B] == (
        "feature",
        "refs/heads/feature",
        "v1.1.0",
        "refs/tags/v1.1.0",
        "pull/7",
        "refs/pull/7/head",
    )


def test_dist_tags_follow_head_or_a_latest_branch() -> None:
    on_head = lines_to_revs([f"{C}\tHEAD", f"{C}\trefs/tags/v1.0.0", f"{D}\trefs/tags/v2.0.0"])
    assert on_head.dist_tags == {"HEAD": "1.0.0", "latest": "1.0.0"}
    with_latest = lines_to_revs(
        [f"{C}\tHEAD", f"{D}\trefs/heads/latest", f"{C}\trefs/tags/v1.0.0", f"{D}\trefs/tags/v2.0.0"]
    )
    assert with_latest.dist_tags == {"HEAD": "1.0.0", "latest": "2.0.0"}


def test_resolve_ref() -> None:
    revs = lines_to_revs(LINES)
    assert resolve_ref(revs, None) is revs.head
    assert resolve_ref(revs, "feature") is revs.refs["feature"]
    assert resolve_ref(revs, B) is revs.refs["feature"]  # a sha: its first ref
    assert resolve_ref(revs, "HEAD~1") is None


def test_git_env_defaults_unless_configured(tmp_path: Path) -> None:
    env = git_env({"HOME": str(tmp_path), "PATH": "/bin"})
    assert env["GIT_ASKPASS"] == "echo"
    assert env["GIT_SSH_COMMAND"] == "ssh -oStrictHostKeyChecking=accept-new"
    (tmp_path / ".gitconfig").write_text("[core]\n\tsshCommand = ssh -i key\n[user]\n\taskpass = x\n")
    configured = git_env({"HOME": str(tmp_path), "GIT_ASKPASS": "mine"})
    assert configured["GIT_ASKPASS"] == "mine" and "GIT_SSH_COMMAND" not in configured


def test_shallow_only_for_known_hosts() -> None:
    git = Git(env={"PATH": "/bin"})
    assert git.is_shallow("https://github.com/u/r.git") and git.is_shallow("ssh://git@gitlab.com/u/r.git")
    assert not git.is_shallow("file:///tmp/r.git") and not git.is_shallow("https://git.example.test/r.git")
    assert Git(env={}, shallow=True).is_shallow("file:///tmp/r.git")
