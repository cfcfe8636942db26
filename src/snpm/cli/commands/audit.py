"""`snpm audit [fix|signatures]`: npm's lib/commands/audit.js and lib/utils/audit-error.js.

`audit` prints the detail report (or the report object with --json) and exits 1 when something is
at or above `--audit-level` (default low). `audit fix` reifies like an install and prints the
summary, then the detail report of what is left. When the registry's audit endpoint fails, npm
warns with the HTTP error, prints the answer's body (under --json: the error's message, method,
uri, headers, statusCode and body) and fails with `audit endpoint returned an error`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.cli.commands.ls import exit_with
from snpm.cli.error_render import ThrownStringError
from snpm.errors import SnpmError, UsageError
from snpm.json_types import JsonValue

if TYPE_CHECKING:
    from snpm.audit_report import AuditReport
    from snpm.ops.reify_session import ReifyOutcome

__all__ = ["Audit"]


class Audit(ArboristCommand):
    name = "audit"
    summary = "Run a security audit"
    usage: ClassVar[tuple[str, ...]] = ("[fix|signatures]",)
    params: ClassVar[tuple[str, ...]] = (
        "audit-level",
        "dry-run",
        "force",
        "json",
        "package-lock-only",
        "package-lock",
        "omit",
        "include",
        "foreground-scripts",
        "ignore-scripts",
        "include-attestations",
        *ArboristCommand.params,
    )

    async def run(self, args: list[str]) -> None:
        if args[:1] == ["signatures"]:
            await self.signatures()
            return
        fix = args[:1] == ["fix"]
        config = self.ctx.config
        if config.get("package-lock") is False and fix:
            raise self.usage_error("fix cannot be used without a package-lock")
        from snpm.ops import audit as audit_ops

        context = self.install_context()
        try:
            if fix:
                outcome = await audit_ops.audit_fix(context)
            else:
                report = await audit_ops.audit(context)
        except UsageError as err:
            raise self.usage_from(err) from None
        finally:
            self.stop_progress(context)
        if fix:
            code = self.finish(outcome)
            blocked = audit_ops.blocked_fixes(outcome.audit)
            if blocked:
                self.ctx.out.log.warn(
                    "audit",
                    f"{len(blocked)} package(s) left at a vulnerable version because a fix is newer "
                    f"than the release-age cutoff: {', '.join(blocked)}.\nAdd the package to "
                    "min-release-age-exclude, or relax min-release-age or before, to install the fix.",
                )
                code = 1
            exit_with(code)
            return
        self.report(report)

    def finish(self, outcome: ReifyOutcome) -> int:
        from snpm.ops.audit import AuditedOutcome

        if isinstance(outcome, AuditedOutcome):
            self.audit_error(outcome.audit)
        return super().finish(outcome)

    def report(self, report: AuditReport) -> None:
        from snpm.ops.audit_output import render_report
        from snpm.ops.inspect.chalk import Chalk

        self.audit_error(report)
        out = self.ctx.out
        level = self.ctx.config.get("audit-level")
        rendered = render_report(
            report.to_json(),
            "json" if out.settings.json else "detail",
            Chalk(out.settings.color_stdout),
            level if isinstance(level, str) else None,
        )
        out.standard(rendered.report)
        exit_with(rendered.exit_code)

    def audit_error(self, report: AuditReport | None) -> None:
        """audit-error.js: the endpoint's failure, reported, then thrown."""
        if report is None or report.error is None:
            return
        from snpm.ecmascript.inspect import inspect
        from snpm.ops.audit_output import js_numbers
        from snpm.redact import redact
        from snpm.registry_client.responses import parse_body

        error = report.error
        out = self.ctx.out
        out.log.warn("audit", error.message)
        raw = error.body
        body: JsonValue = parse_body(bytes(raw)) if isinstance(raw, bytes | bytearray) else raw  # type: ignore[assignment]
        if out.settings.json:
            data: dict[str, JsonValue] = {"message": error.message}
            method = getattr(error, "method", None)
            if method:
                data["method"] = method
            url = getattr(error, "url", None)
            if url:
                data["uri"] = redact(url)
            if error.headers:
                headers: dict[str, JsonValue] = {k: list[JsonValue](v) for k, v in error.headers.items()}
                # make-fetch-happen counts the attempts on every answer; a POST is never retried
                headers.setdefault("x-fetch-attempts", ["1"])
                data["headers"] = headers
            status = getattr(error, "status", None)
            if status is not None:
                data["statusCode"] = status
            if body is not None:
                data["body"] = body
            out.json(js_numbers(data))
        else:
            out.standard(
                body if isinstance(body, str) else "undefined" if body is None else inspect(body, depth=2)
            )
        # npm throws a string here: one error line, no code, an empty --json error
        raise ThrownStringError("audit endpoint returned an error")

    async def signatures(self) -> None:
        from snpm.ops import audit_signatures
        from snpm.ops.inspect.chalk import Chalk

        if self.ctx.config.is_global:
            raise SnpmError("`npm audit signatures` does not support global packages", code="EAUDITGLOBAL")
        context = self.install_context()
        try:
            result = await audit_signatures.verify_signatures(context)
        finally:
            self.stop_progress(context)
        out = self.ctx.out
        if out.settings.json:
            attestations = bool(self.ctx.config.get("include-attestations"))
            out.json(audit_signatures.result_json(result, include_attestations=attestations))
        else:
            for line in audit_signatures.result_lines(result, Chalk(out.settings.color_stdout)):
                out.standard(line)
        exit_with(1 if result.invalid or result.missing else 0)
