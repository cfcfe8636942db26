"""Log-line formatting, level filtering, JSON merging and the log file (npm's display.js and log-file.js)."""

from __future__ import annotations

import io
from pathlib import Path

from snpm.cli.output import DisplaySettings, Output, format_lines, strip_c01


def _output(level: str = "notice", **kw: object) -> tuple[Output, io.StringIO, io.StringIO]:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(stdout, stderr)
    out.load(DisplaySettings(loglevel=level, heading="npm", **kw))  # type: ignore[arg-type]
    return out, stdout, stderr


def test_every_line_gets_the_prefix_and_empty_lines_stand_alone() -> None:
    assert format_lines("npm error", "a\n\nb") == "npm error a\nnpm error\nnpm error b\n"
    assert format_lines("", "x") == "x\n"


def test_control_characters_are_escaped_but_colours_kept() -> None:
    assert strip_c01("a\x07b") == "a^Gb"
    assert strip_c01("\x1b[31mred\x1b[39m") == "\x1b[31mred\x1b[39m"
    assert strip_c01("\x9b") == "^["


def test_levels_filter_what_is_shown() -> None:
    out, _, err = _output("warn")
    out.log.error("code", "E404")
    out.log.warn("", "careful")
    out.log.notice("", "hidden")
    out.log.verbose("x", "hidden")
    assert err.getvalue() == "npm error code E404\nnpm warn careful\n"


def test_silent_shows_nothing_and_notices_are_deduplicated() -> None:
    out, _, err = _output("silent")
    out.log.error("", "nope")
    assert err.getvalue() == ""
    out, _, err = _output("notice")
    out.log.notice("", "same")
    out.log.notice("", "same")
    assert err.getvalue() == "npm notice same\n"


def test_logs_before_load_are_buffered_then_filtered() -> None:
    stderr = io.StringIO()
    out = Output(io.StringIO(), stderr)
    out.log.info("using", "early")
    out.log.warn("config", "early warning")
    assert stderr.getvalue() == ""
    out.load(DisplaySettings(loglevel="warn", heading="snpm"))
    assert stderr.getvalue() == "snpm warn config early warning\n"


def test_tokens_are_redacted_in_logs_but_not_in_notices() -> None:
    out, _, err = _output()
    token = "npm_" + "a" * 36
    out.log.warn("", f"token {token} and http://user:secret@host/x")
    assert token not in err.getvalue() and "secret" not in err.getvalue()
    assert "npm_***" in err.getvalue() and "http://user:***@host/x" in err.getvalue()


def test_json_results_are_merged_like_npm() -> None:
    out, stdout, _ = _output(json=True)
    out.json({"a": 1})
    out.json({"b": [1, 2]})
    out.flush({"code": "E404", "summary": "s", "detail": "d"})
    assert stdout.getvalue() == (
        '{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ],\n  "error": {\n    "code": "E404",\n'
        '    "summary": "s",\n    "detail": "d"\n  }\n}\n'
    )


def test_log_file_gets_every_level_with_sequence_numbers(tmp_path: Path) -> None:
    out, _, _ = _output("error")
    out.log.silly("a", "first")
    out.logfile.open(str(tmp_path / "run-"), 10)
    out.log.verbose("b", "two\nlines")
    out.close()
    text = (tmp_path / "run-debug-0.log").read_text()
    assert text == "0 silly a first\n1 verbose b two\n1 verbose b lines\n"


def test_old_log_files_are_pruned_to_logs_max(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"2020-01-0{i + 1}T00_00_00_000Z-debug-0.log").write_text("old")
    out, _, _ = _output()
    out.logfile.open(str(tmp_path / "2026-01-01T00_00_00_000Z-"), 3)
    out.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "2020-01-04T00_00_00_000Z-debug-0.log",
        "2020-01-05T00_00_00_000Z-debug-0.log",
        "2026-01-01T00_00_00_000Z-debug-0.log",
    ]
