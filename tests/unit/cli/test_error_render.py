"""snpm.cli.error_render: npm's `typeerror` block and the bare-string throw (error-message.js)."""

from __future__ import annotations

import re

import pytest

from snpm.cli.error_render import TYPE_ERROR_CODES, ThrownStringError, all_lines, render
from snpm.errors import HttpError, SnpmError


def _raised(err: BaseException) -> BaseException:
    """`err` with a traceback, as the CLI sees it."""

    def inner() -> None:
        raise err

    try:
        inner()
    except BaseException as caught:  # noqa: BLE001 - handed back to the test
        return caught
    raise AssertionError("unreachable")


@pytest.mark.parametrize("code", sorted(TYPE_ERROR_CODES))
def test_type_errors_print_the_stack_and_the_npm_itself_notice(code: str) -> None:
    err = _raised(SnpmError("Argument #1: Expected string but got null", code=code))
    rendered = render(err, command="team")
    assert rendered.error == [("code", code)]
    [(title, stack)] = rendered.summary
    assert title == "typeerror"
    first, *frames = stack.split("\n")
    assert first == "TypeError: Argument #1: Expected string but got null"
    # node's layout, innermost frame first
    assert frames and all(re.fullmatch(r" {4}at \S+ \(.+:\d+:\d+\)", f) for f in frames)
    assert frames[0].startswith("    at _raised.<locals>.inner (")
    assert rendered.detail == [
        (
            "typeerror",
            "This is an error with npm itself. Please report this error at:\nhttps://github.com/npm/cli/issues",
        )
    ]
    as_json = rendered.json_error()
    assert as_json["code"] == code
    assert str(as_json["summary"]).startswith("TypeError: Argument #1")
    assert rendered.exit_code == 1


def test_a_type_error_without_a_traceback_is_the_message_alone() -> None:
    rendered = render(SnpmError("Missing required argument #1", code="EMISSINGARG"))
    assert rendered.summary == [("typeerror", "TypeError: Missing required argument #1")]


def test_stack_frames_are_capped_like_node() -> None:
    def deep(n: int) -> None:
        if n == 0:
            raise SnpmError("too many", code="ETOOMANYARGS")
        deep(n - 1)

    try:
        deep(30)
    except SnpmError as err:
        rendered = render(err)
    stack = rendered.summary[0][1]
    assert len(stack.split("\n")) == 1 + 10  # Error.stackTraceLimit


def test_a_thrown_string_is_one_line_and_an_empty_json_error() -> None:
    rendered = render(_raised(ThrownStringError("audit endpoint returned an error")), command="audit")
    assert rendered.code is None
    assert list(all_lines(rendered)) == [("", "audit endpoint returned an error")]
    assert rendered.verbose == []
    assert rendered.json_error() == {"summary": "", "detail": ""}
    assert rendered.exit_code == 1
    assert not rendered.suppress  # npm still points at the debug log


def test_web_otp_errors_name_both_urls() -> None:
    body = {"authUrl": "http://r.test/-/v1/otp/a", "doneUrl": "http://r.test/-/v1/otp-done/b"}
    rendered = render(HttpError("OTP required for authentication", status=401, code="EOTP", body=body))
    assert rendered.summary == [("", "This operation requires a one-time password.")]
    assert ("", "  http://r.test/-/v1/otp/a") in rendered.detail
    assert ("", "  http://r.test/-/v1/otp-done/b") in rendered.detail
    assert rendered.json_error()["authUrl"] == body["authUrl"]


def test_a_bug_logs_its_type_and_stack_in_verbose() -> None:
    rendered = render(_raised(AssertionError("placed twice")), command="install")
    assert rendered.summary == [("", "AssertionError: placed twice")]
    (type_title, name), (stack_title, stack) = rendered.verbose[:2]
    assert (type_title, name, stack_title) == ("type", "AssertionError", "stack")
    first, *frames = stack.split("\n")
    assert first == "AssertionError: placed twice"
    assert frames[0].startswith("    at _raised.<locals>.inner (")
