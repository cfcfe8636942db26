"""explain-dep.js / explain-eresolve.js rendering of arborist's explanation objects."""

from __future__ import annotations

import pytest

from snpm.tree import eresolve_report, eresolve_warning, explain_node

ROOT = {"location": "/p"}
EXPL = {
    "code": "ERESOLVE",
    "current": {
        "name": "react",
        "version": "17.0.2",
        "whileInstalling": {"name": "ex2b", "version": "1.0.0", "path": "/p"},
        "location": "node_modules/react",
        "isWorkspace": False,
        "dependents": [{"type": "prod", "name": "react", "spec": "17.0.2", "from": ROOT}],
    },
    "currentEdge": {"type": "prod", "name": "react", "spec": "17.0.2", "from": ROOT},
    "edge": {
        "type": "peer",
        "name": "react",
        "spec": "^18.3.1",
        "error": "INVALID",
        "from": {
            "name": "react-dom",
            "version": "18.3.1",
            "location": "node_modules/react-dom",
            "isWorkspace": False,
            "dependents": [{"type": "prod", "name": "react-dom", "spec": "^18.2.0", "from": ROOT}],
        },
    },
    "strictPeerDeps": False,
    "force": False,
}


def test_eresolve_report() -> None:
    terminal, report = eresolve_report(EXPL)
    assert terminal == (
        "While resolving: ex2b@1.0.0\n"
        "Found: react@17.0.2\n"
        "node_modules/react\n"
        '  react@"17.0.2" from the root project\n'
        "\n"
        "Could not resolve dependency:\n"
        'peer react@"^18.3.1" from react-dom@18.3.1\n'
        "node_modules/react-dom\n"
        '  react-dom@"^18.2.0" from the root project\n'
        "\n"
        "Fix the upstream dependency conflict, or retry this command with --force or --legacy-peer-deps "
        "to accept an incorrect (and potentially broken) dependency resolution."
    )
    assert report.startswith("# npm resolution error report\n\nWhile resolving: ex2b@1.0.0\n")
    strict = eresolve_report({**EXPL, "strictPeerDeps": True})[0]
    assert "with --no-strict-peer-deps, --force, or --legacy-peer-deps to accept" in strict


def test_warning_falls_back_to_the_heading() -> None:
    broken = {**EXPL, "peerConflict": {"name": "x", "version": "1.0.0"}}
    assert eresolve_warning("overriding peer dependency", broken) == ["ERESOLVE overriding peer dependency"]
    full = eresolve_warning("overriding peer dependency", EXPL)
    assert full[0] == "ERESOLVE overriding peer dependency" and full[1] == "While resolving: ex2b@1.0.0"


@pytest.mark.parametrize("count", [1, 3, 6])
def test_dependents_are_cut_short(count: int) -> None:
    node = {
        "name": "x",
        "version": "1.0.0",
        "location": "node_modules/x",
        "dev": True,
        "dependents": [
            {"type": "dev", "name": "x", "spec": "^1", "from": {"name": f"dep{i}", "version": "1.0.0"}}
            for i in range(count)
        ],
    }
    text = explain_node(node, 2)
    lines = text.split("\n")
    assert lines[0] == "x@1.0.0 dev" and lines[1] == "node_modules/x"
    assert lines[2] == '  dev x@"^1" from dep0@1.0.0'
    if count > 1:
        assert lines[-1] == f"  {count - 1} more ({', '.join(f'dep{i}' for i in range(1, count))})"
