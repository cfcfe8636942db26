"""Vulnerabilities from advisories + a tree, and the fixes npm would suggest (layer 3).

A port of arborist's audit-report.js and vuln.js with @npmcli/metavuln-calculator:

    report = await AuditReport.load(tree, AuditOptions(...), bulk=bulk_from_client(client, registry),
                                    packument=source.packument)
    report.to_json()            # npm's `npm audit --json` object
    report.is_vulnerable(node)  # what `npm audit fix` asks while building the ideal tree

Rendering the report (npm-audit-report) is the front end's job: see snpm.ops.audit_output.
"""

from __future__ import annotations

from snpm.audit_report.advisory import Advisory, Calculator, PackumentFetch
from snpm.audit_report.report import BULK_PATH, AuditOptions, AuditReport, BulkFetch, bulk_from_client
from snpm.audit_report.vuln import SEVERITY_RANK, FixAvailable, FixBlocked, Vuln

__all__ = [
    "BULK_PATH",
    "SEVERITY_RANK",
    "Advisory",
    "AuditOptions",
    "AuditReport",
    "BulkFetch",
    "Calculator",
    "FixAvailable",
    "FixBlocked",
    "PackumentFetch",
    "Vuln",
    "bulk_from_client",
]
