"""What the user sees: stdout results, `npm <level>` log lines on stderr, the debug log file, --json.

A port of npm's lib/utils/display.js, format.js and log-file.js. Logs are buffered until the config is
loaded (npm does the same), then shown according to `loglevel`; every level goes to the log file.
This is the only module of the client that writes to the terminal.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Final, TextIO

from snpm.ecmascript.json import stringify
from snpm.json_types import JsonValue
from snpm.record import Record
from snpm.redact import redact_log

LEVELS = ("silent", "error", "warn", "notice", "http", "info", "verbose", "silly")
LEVEL_INDEX = {name: i for i, name in enumerate(LEVELS)}
_ALERT_LEVELS = frozenset({"error", "warn", "notice"})

# chalk's SGR codes for npm's palette (display.js COLOR_PALETTE)
_COLORS = {
    "heading": ("\x1b[1m", "\x1b[22m"),
    "title": ("\x1b[94m", "\x1b[39m"),
    "error": ("\x1b[31m", "\x1b[39m"),
    "warn": ("\x1b[33m", "\x1b[39m"),
    "notice": ("\x1b[96m", "\x1b[39m"),
    "http": ("\x1b[32m", "\x1b[39m"),
    "info": ("\x1b[36m", "\x1b[39m"),
    "verbose": ("\x1b[34m", "\x1b[39m"),
    "silly": ("\x1b[34m\x1b[2m", "\x1b[22m\x1b[39m"),
    "timing": ("\x1b[95m", "\x1b[39m"),
}

# C0/C1 control characters npm escapes as ^X (format.js STRIP_C01), keeping SGR colour sequences
_HAS_C01 = re.compile(r"[\x00-\x08\x0c\x0e-\x1f\x7f-\x9f]")
_ALLOWED_SGR = re.compile(r"\[[0-9;]{0,8}m")


def strip_c01(text: str) -> str:
    if not _HAS_C01.search(text):
        return text
    out: list[str] = []
    for i, ch in enumerate(text):
        code = ord(ch)
        if not _HAS_C01.match(ch) or code == 27 and _ALLOWED_SGR.match(text, i + 1):
            out.append(ch)
        elif code <= 31:
            out.append("^" + chr(code + 64))
        else:
            out.append("^" + chr(code - 64))
    return "".join(out)


def format_lines(prefix: str, message: str, *, redact: bool = True) -> str:
    """npm's formatWithOptions: every line of the message gets the prefix (and a space if non-empty)."""
    text = strip_c01(message)
    if redact:
        text = redact_log(text)
    lines = re.split(r"\r?\n", text)
    return "".join(f"{prefix}{' ' if prefix and line else ''}{line}\n" for line in lines)


def _well_formed(text: str) -> str:
    """Lone surrogates (from a JSON error message, say) become U+FFFD, as node writes them; a
    Python stream would raise instead."""
    if text.isascii():
        return text
    from snpm.ecmascript.json_errors import to_well_formed

    return to_well_formed(text)


class DisplaySettings(Record):
    """How the output shows what it is given (npm's display options); `_replace` makes a changed
    copy. A Record, not a dataclass: see `snpm.cli.command.CommandContext`."""

    _FIELDS = ("loglevel", "heading", "color_stderr", "color_stdout", "timing", "json")
    __slots__ = _FIELDS

    def __init__(
        self,
        loglevel: str = "notice",
        heading: str = "snpm",
        color_stderr: bool = False,
        color_stdout: bool = False,
        timing: bool = False,
        json: bool = False,
    ) -> None:
        self.loglevel: Final = loglevel
        self.heading: Final = heading
        self.color_stderr: Final = color_stderr
        self.color_stdout: Final = color_stdout
        self.timing: Final = timing
        self.json: Final = json


class LogFile:
    """The debug log: `<logs-dir>/<run id>-debug-0.log`, every level, `<seq> <level> <title> <msg>` lines."""

    MAX_LINES = 50_000

    def __init__(self) -> None:
        self._buffer: list[tuple[str, str, str]] | None = []
        self._stream: TextIO | None = None
        self._seq = 0
        self._lines = 0
        self.files: list[str] = []
        # what the run asked for, for the exit message when no file could be written
        self.max_files = 10
        self.folder = ""
        self.path_prefix = ""

    def log(self, level: str, title: str, message: str) -> None:
        if self._buffer is not None:
            self._buffer.append((level, title, message))
        elif self._stream is not None:
            self._write(level, title, message)

    def _write(self, level: str, title: str, message: str) -> None:
        assert self._stream is not None
        if self._lines >= self.MAX_LINES:
            return
        prefix = " ".join(p for p in (str(self._seq), level, title) if p)
        self._seq += 1
        self._lines += 1
        self._stream.write(format_lines(prefix, _well_formed(message)))

    def open(self, path_prefix: str, logs_max: int) -> None:
        """Start writing at `<path_prefix>debug-0.log`, flush what was buffered, prune old logs."""
        buffered, self._buffer = self._buffer or [], None
        self.max_files, self.folder = logs_max, str(Path(path_prefix).parent)
        self.path_prefix = path_prefix
        if logs_max <= 0:
            return
        path = f"{path_prefix}debug-0.log"
        try:
            self._stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the process lifetime
        except OSError:
            return
        self.files.append(path)
        for item in buffered:
            self._write(*item)
        self._prune(Path(path_prefix).parent, logs_max)

    def _prune(self, folder: Path, logs_max: int) -> None:
        # npm keeps the newest `logs-max` files named like its own log files
        try:
            names = sorted(n for n in os.listdir(folder) if re.fullmatch(r".*-debug-\d+\.log", n))
        except OSError:
            return
        mine = {os.path.basename(f) for f in self.files}
        others = [n for n in names if n not in mine]
        for name in others[: max(0, len(others) + len(mine) - logs_max)]:
            with contextlib.suppress(OSError):
                os.unlink(folder / name)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._buffer = None


class Logger:
    """npm's proc-log `log.*`: shown on stderr by level, always written to the log file."""

    def __init__(self, output: Output) -> None:
        self._out = output

    def error(self, title: str, *message: object) -> None:
        self._out.emit("error", title, *message)

    def warn(self, title: str, *message: object) -> None:
        self._out.emit("warn", title, *message)

    def notice(self, title: str, *message: object) -> None:
        self._out.emit("notice", title, *message)

    def http(self, title: str, *message: object) -> None:
        self._out.emit("http", title, *message)

    def info(self, title: str, *message: object) -> None:
        self._out.emit("info", title, *message)

    def verbose(self, title: str, *message: object) -> None:
        self._out.emit("verbose", title, *message)

    def silly(self, title: str, *message: object) -> None:
        self._out.emit("silly", title, *message)

    def timing(self, title: str, *message: object) -> None:
        self._out.emit("timing", title, *message)


class Output:
    """stdout results and stderr logs of one snpm process."""

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.settings = DisplaySettings()
        self.log = Logger(self)
        self.logfile = LogFile()
        self._loaded = False
        self._pending: list[tuple[str, str, str, tuple[str, ...]]] = []
        self._json: list[JsonValue] = []
        # npm de-duplicates notices by their whole argument list (`notice('')` ≠ `notice('', '')`)
        self._seen_notices: set[tuple[str, ...]] = set()
        # the error, warn and notice lines emitted (shown or not), as (level, title, text): the
        # no-op stamp (snpm.ops.noop_install) keeps those a no-op would emit again
        self.alerts: list[tuple[str, str, str]] = []

    # ── configuration ──
    def load(self, settings: DisplaySettings) -> None:
        """Apply the loaded config and show the log lines buffered so far."""
        self.settings = settings
        self._loaded = True
        pending, self._pending = self._pending, []
        for level, title, message, key in pending:
            self._show(level, title, message, key)

    @property
    def level_index(self) -> int:
        return LEVEL_INDEX.get(self.settings.loglevel, LEVEL_INDEX["notice"])

    # ── stdout ──
    def standard(self, text: str = "") -> None:
        """A result line on stdout (npm's output.standard)."""
        self.stdout.write(format_lines("", _well_formed(text)))

    def error(self, text: str = "") -> None:
        """A raw line on stderr (npm's output.error), e.g. lifecycle banners under --json."""
        self.stderr.write(format_lines("", _well_formed(text)))

    def json(self, value: JsonValue, *, redact: bool = True) -> None:
        """Buffer a JSON result; all are merged and printed once at the end, as npm does.

        Like npm's display (`redactValue`), secrets in it are redacted unless `redact=False`."""
        if redact:
            value = json.loads(redact_log(json.dumps(value, ensure_ascii=False)))
        self._json.append(value)

    def flush(self, json_error: dict[str, JsonValue] | None = None) -> None:
        """Print the merged --json output (with the error object merged in, like npm)."""
        if not self._json and json_error is None:
            return
        result = _merge_json(self._json)
        if json_error is not None and isinstance(result, dict):
            result["error"] = json_error
        # JSON.stringify(result, null, 2): JavaScript's number and escaping rules, not Python's
        self.stdout.write(stringify(result, 2) + "\n")
        self._json = []

    # ── logs ──
    def emit(self, level: str, title: str, *message: object) -> None:
        parts = tuple(str(m) for m in message)
        text = " ".join(parts)
        if level in _ALERT_LEVELS:
            self.alerts.append((level, title, text))
        if level != "timing" or self.settings.timing:
            self.logfile.log(level, title, text)
        if not self._loaded:
            self._pending.append((level, title, text, (title, *parts)))
            return
        self._show(level, title, text, (title, *parts))

    def _show(self, level: str, title: str, text: str, key: tuple[str, ...]) -> None:
        if level == "timing":
            if not self.settings.timing or self.level_index == 0:
                return
        elif LEVEL_INDEX[level] > self.level_index:
            return
        if level == "notice" and self.level_index < LEVEL_INDEX["verbose"]:
            if key in self._seen_notices:
                return
            self._seen_notices.add(key)
        color = self.settings.color_stderr
        parts = [_paint("heading", self.settings.heading, color), _paint(level, level, color)]
        if title:
            parts.append(_paint("title", title, color))
        self.stderr.write(format_lines(" ".join(parts), _well_formed(text), redact=level != "notice"))

    def close(self) -> None:
        self.logfile.close()
        for stream in (self.stdout, self.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()


def _paint(kind: str, text: str, color: bool) -> str:
    if not color:
        return text
    start, end = _COLORS[kind]
    return f"{start}{text}{end}"


def _merge_json(items: list[JsonValue]) -> JsonValue:
    """npm's getArrayOrObject: merge plain objects; arrays/non-objects: the first one wins."""
    for item in items:
        if not isinstance(item, dict):
            return item
    merged: dict[str, JsonValue] = {}
    for item in items:
        assert isinstance(item, dict)
        merged.update(item)
    return merged


def run_id() -> str:
    """npm's #runId: the ISO start time with ':' and '.' replaced by '_' (names the log file)."""
    # time rather than datetime: one module less for every command to import
    now_ms = time.time_ns() // 1_000_000
    return time.strftime("%Y-%m-%dT%H_%M_%S_", time.gmtime(now_ms // 1000)) + f"{now_ms % 1000:03d}Z"
