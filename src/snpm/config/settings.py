"""Frozen, typed slices of the config for the rest of snpm, built the way npm derives them.

Other layers take one of these instead of the whole Config, so that what they depend on is
visible in their signatures and they can be built in tests without loading any files.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from snpm.config.layers import Config
from snpm.config.values import ConfigValue, js_number, js_string, js_truthy


def _int(value: ConfigValue, fallback: int) -> int:
    number = js_number(value)
    if number is None or number != number or number in (float("inf"), float("-inf")):
        return fallback
    return int(number)


class OutputSettings(NamedTuple):
    """What the display and the log file need (npm's Display.load arguments and log-file options)."""

    loglevel: str
    json: bool
    parseable: bool
    color_stdout: bool
    color_stderr: bool
    unicode: bool
    progress: bool
    timing: bool
    logs_dir: str
    logs_max: int
    heading: str


def output_settings(config: Config, stdout_tty: bool, stderr_tty: bool) -> OutputSettings:
    """npm's `color`/`logColor`/`progress` flattening for these streams, plus the log-file location."""
    color = config.get("color")
    color_on = js_truthy(color)
    always = color == "always"
    logs_dir = config.get("logs-dir")
    cache = js_string(config.get("cache"))
    return OutputSettings(
        loglevel=js_string(config.get("loglevel")),
        json=js_truthy(config.get("json")),
        parseable=js_truthy(config.get("parseable")),
        color_stdout=color_on and (always or stdout_tty),
        color_stderr=color_on and (always or stderr_tty),
        unicode=js_truthy(config.get("unicode")),
        progress=js_truthy(config.get("progress"))
        and stderr_tty
        and stdout_tty
        and config.env.get("TERM") != "dumb",
        timing=js_truthy(config.get("timing")),
        logs_dir=js_string(logs_dir) if js_truthy(logs_dir) else os.path.join(cache, "_logs"),
        logs_max=_int(config.get("logs-max"), 10),
        heading=js_string(config.get("heading")),
    )
