"""Continuous-integration detection: a port of the `ci-info` package (4.4) that npm bundles.

npm uses it for two defaults: `progress` is off in CI, and the `{ci}` part of `user-agent` names
the CI vendor (`ci/github-actions`). Vendors are checked in ci-info's order and the last match
wins, as in ci-info.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, TypeAlias

_EnvCheck: TypeAlias = "str | tuple[str, ...] | dict[str, str | tuple[str, ...]]"

# (name, constant, env check): a name that must be set, names that must all be set, {"env", "includes"},
# {"any": names}, or {VAR: exact value}
VENDORS: tuple[tuple[str, str, _EnvCheck], ...] = (
    ("Agola CI", "AGOLA", "AGOLA_GIT_REF"),
    ("Alpic", "ALPIC", "ALPIC_HOST"),
    ("Appcircle", "APPCIRCLE", "AC_APPCIRCLE"),
    ("AppVeyor", "APPVEYOR", "APPVEYOR"),
    ("AWS CodeBuild", "CODEBUILD", "CODEBUILD_BUILD_ARN"),
    ("Azure Pipelines", "AZURE_PIPELINES", "TF_BUILD"),
    ("Bamboo", "BAMBOO", "bamboo_planKey"),
    ("Bitbucket Pipelines", "BITBUCKET", "BITBUCKET_COMMIT"),
    ("Bitrise", "BITRISE", "BITRISE_IO"),
    ("Buddy", "BUDDY", "BUDDY_WORKSPACE_ID"),
    ("Buildkite", "BUILDKITE", "BUILDKITE"),
    ("CircleCI", "CIRCLE", "CIRCLECI"),
    ("Cirrus CI", "CIRRUS", "CIRRUS_CI"),
    ("Cloudflare Pages", "CLOUDFLARE_PAGES", "CF_PAGES"),
    ("Cloudflare Workers", "CLOUDFLARE_WORKERS", "WORKERS_CI"),
    ("Codefresh", "CODEFRESH", "CF_BUILD_ID"),
    ("Codemagic", "CODEMAGIC", "CM_BUILD_ID"),
    ("Codeship", "CODESHIP", {"CI_NAME": "codeship"}),
    ("Drone", "DRONE", "DRONE"),
    ("dsari", "DSARI", "DSARI"),
    ("Earthly", "EARTHLY", "EARTHLY_CI"),
    ("Expo Application Services", "EAS", "EAS_BUILD"),
    ("Gerrit", "GERRIT", "GERRIT_PROJECT"),
    ("Gitea Actions", "GITEA_ACTIONS", "GITEA_ACTIONS"),
    ("GitHub Actions", "GITHUB_ACTIONS", "GITHUB_ACTIONS"),
    ("GitLab CI", "GITLAB", "GITLAB_CI"),
    ("GoCD", "GOCD", "GO_PIPELINE_LABEL"),
    ("Google Cloud Build", "GOOGLE_CLOUD_BUILD", "BUILDER_OUTPUT"),
    ("Harness CI", "HARNESS", "HARNESS_BUILD_ID"),
    ("Heroku", "HEROKU", {"env": "NODE", "includes": "/app/.heroku/node/bin/node"}),
    ("Hudson", "HUDSON", "HUDSON_URL"),
    ("Jenkins", "JENKINS", ("JENKINS_URL", "BUILD_ID")),
    ("LayerCI", "LAYERCI", "LAYERCI"),
    ("Magnum CI", "MAGNUM", "MAGNUM"),
    ("Netlify CI", "NETLIFY", "NETLIFY"),
    ("Nevercode", "NEVERCODE", "NEVERCODE"),
    ("Prow", "PROW", "PROW_JOB_ID"),
    ("ReleaseHub", "RELEASEHUB", "RELEASE_BUILD_ID"),
    ("Render", "RENDER", "RENDER"),
    ("Sail CI", "SAIL", "SAILCI"),
    ("Screwdriver", "SCREWDRIVER", "SCREWDRIVER"),
    ("Semaphore", "SEMAPHORE", "SEMAPHORE"),
    ("Sourcehut", "SOURCEHUT", {"CI_NAME": "sourcehut"}),
    ("Strider CD", "STRIDER", "STRIDER"),
    ("TaskCluster", "TASKCLUSTER", ("TASK_ID", "RUN_ID")),
    ("TeamCity", "TEAMCITY", "TEAMCITY_VERSION"),
    ("Travis CI", "TRAVIS", "TRAVIS"),
    ("Vela", "VELA", "VELA"),
    ("Vercel", "VERCEL", {"any": ("NOW_BUILDER", "VERCEL")}),
    ("Visual Studio App Center", "APPCENTER", "APPCENTER_BUILD_ID"),
    ("Woodpecker", "WOODPECKER", {"CI": "woodpecker"}),
    ("Xcode Cloud", "XCODE_CLOUD", "CI_XCODE_PROJECT"),
    ("Xcode Server", "XCODE_SERVER", "XCS"),
)

_CI_VARS = (
    "BUILD_ID",
    "BUILD_NUMBER",
    "CI",
    "CI_APP_ID",
    "CI_BUILD_ID",
    "CI_BUILD_NUMBER",
    "CI_NAME",
    "CONTINUOUS_INTEGRATION",
    "RUN_ID",
)


class CiInfo(NamedTuple):
    is_ci: bool
    name: str | None
    github_actions: bool


def _check(check: _EnvCheck, env: Mapping[str, str]) -> bool:
    if isinstance(check, str):
        return bool(env.get(check))
    if isinstance(check, tuple):
        return all(bool(env.get(name)) for name in check)
    if "env" in check:
        value = env.get(str(check["env"]))
        return bool(value) and str(check["includes"]) in (value or "")
    if "any" in check:
        return any(bool(env.get(name)) for name in check["any"])
    return all(env.get(k) == v for k, v in check.items())


def detect_ci(env: Mapping[str, str]) -> CiInfo:
    """What ci-info computes at require time from the environment."""
    name: str | None = None
    github = False
    if env.get("CI") != "false":
        for vendor_name, constant, check in VENDORS:
            if _check(check, env):
                name = vendor_name
                if constant == "GITHUB_ACTIONS":
                    github = True
    is_ci = env.get("CI") != "false" and (any(env.get(v) for v in _CI_VARS) or name is not None)
    return CiInfo(is_ci=is_ci, name=name, github_actions=github)
