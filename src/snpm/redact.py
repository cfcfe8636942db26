"""Secrets out of anything shown or logged: npm's @npmcli/redact rules. Imports nothing.

Used by the CLI's output and log file, by error messages that carry URLs, and by the server's access log.
"""

from __future__ import annotations

import re

REPLACE = "***"

# npm tokens (npm_…, npms_…), as @npmcli/redact's NPM_SECRET matcher
_NPM_SECRET = re.compile(r"\b(npms?_)[a-zA-Z0-9]{36,48}\b", re.IGNORECASE)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
# user:password@ in a word that is a URL: the password goes, the user stays (redactUrlPassword
# parses the whole word with `new URL`, so a URL inside quotes or other text is left alone)
_URL_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^\s:/@]*:)([^\s@/]+)(@)", re.IGNORECASE)
_SPLIT = re.compile(r"([\s=])")


def redact(value: str) -> str:
    """Redact one word: URL passwords, npm tokens and UUIDs (npm's `redact`)."""
    if not value:
        return value
    value = _URL_PASSWORD.sub(lambda m: m.group(1) + REPLACE + m.group(3), value, count=1)
    value = _NPM_SECRET.sub("npm_" + REPLACE, value)
    return _UUID.sub(REPLACE, value)


def redact_log(text: str) -> str:
    """Redact a log line word by word, splitting on whitespace and `=` like npm's `redactLog`."""
    if "://" not in text and "npm" not in text.lower() and "-" not in text:
        return text
    parts = _SPLIT.split(text)
    return "".join(p if i % 2 else redact(p) for i, p in enumerate(parts))
