"""snpm.ops.audit_output.reify_audit: what the install family and `npm audit fix` print about the
audit after a reify (reify-output.js), and the JSON number form. The reporters themselves are
checked row by row against npm-audit-report in tests/conformance/audit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from snpm.audit_report import AuditOptions, AuditReport
from snpm.errors import HttpError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.audit_output import js_numbers, reify_audit
from snpm.ops.inspect.chalk import Chalk
from snpm.tree.lockfile_bridge import load_tree


def _report(tmp_path: Path, *, fail: bool = False) -> AuditReport:
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "app", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}})
    )
    (tmp_path / "package-lock.json").write_text(
        json.dumps(
            {
                "name": "app",
                "version": "1.0.0",
                "lockfileVersion": 3,
                "packages": {
                    "": {"name": "app", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}},
                    "node_modules/a": {"version": "1.0.0"},
                },
            }
        )
    )
    tree = load_tree(str(tmp_path))

    async def bulk(body: JsonObject) -> JsonValue:
        if fail:
            raise HttpError("405 Method Not Allowed - POST x", status=405)
        return {
            "a": [
                {
                    "id": 7,
                    "title": "A",
                    "url": "https://e.test/7",
                    "severity": "high",
                    "vulnerable_versions": "<1.0.1",
                    "cvss": {"score": 0.0},
                }
            ]
        }

    async def packument(name: str) -> JsonObject:
        return {
            "name": "a",
            "versions": {
                "1.0.0": {"name": "a", "version": "1.0.0"},
                "1.0.1": {"name": "a", "version": "1.0.1"},
            },
        }

    return asyncio.run(AuditReport.load(tree, AuditOptions(), bulk=bulk, packument=packument))


def test_install_prints_the_install_report_and_never_fails(tmp_path: Path) -> None:
    audit = reify_audit(
        _report(tmp_path),
        2,
        command="install",
        chalk=Chalk(False),
        audit_level=None,
        json=False,
        silent=False,
    )
    assert audit is not None
    assert audit.audited == 2 and audit.exit_code == 0
    assert audit.report == (
        "1 high severity vulnerability\n\nTo address all issues, run:\n  npm audit fix\n\nRun `npm audit` for details."
    )
    assert isinstance(audit.json, dict) and set(audit.json) == {"vulnerabilities", "dependencies"}


def test_audit_fix_prints_the_detail_report_and_fails_at_the_level(tmp_path: Path) -> None:
    report = _report(tmp_path)
    audit = reify_audit(
        report, 2, command="audit", chalk=Chalk(False), audit_level=None, json=False, silent=False
    )
    assert audit is not None and audit.exit_code == 1 and audit.report.startswith("# npm audit report\n")
    critical = reify_audit(
        report, 2, command="audit", chalk=Chalk(False), audit_level="critical", json=False, silent=False
    )
    assert critical is not None and critical.exit_code == 0
    as_json = reify_audit(
        report, 2, command="audit", chalk=Chalk(False), audit_level=None, json=True, silent=False
    )
    assert as_json is not None and as_json.report == "" and isinstance(as_json.json, dict)
    assert as_json.json["auditReportVersion"] == 2


def test_a_failed_audit_says_nothing(tmp_path: Path) -> None:
    report = _report(tmp_path, fail=True)
    assert report.error is not None
    assert (
        reify_audit(
            report, 2, command="install", chalk=Chalk(False), audit_level=None, json=False, silent=False
        )
        is None
    )
    assert (
        reify_audit(
            None, 2, command="install", chalk=Chalk(False), audit_level=None, json=False, silent=False
        )
        is None
    )


def test_js_numbers() -> None:
    assert js_numbers({"a": [0.0, 1.5, 2, True, None, "x"]}) == {"a": [0, 1.5, 2, True, None, "x"]}
