"""`snpm search` (aliases find, s, se): npm's lib/commands/search.js and format-search-stream.js.

Like npm, results are written as the formatter's chunks, each through `output.standard` (so a
blank line follows every text entry, and --json is a hand-built array, not buffered JSON).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import ClassVar

from snpm.cli.chalk import Chalk, js_text
from snpm.cli.command import Command
from snpm.ecmascript.json import stringify
from snpm.ecmascript.values import truthy
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops import registry_view

_VT_CONTROL = re.compile(
    r"[\x1b\x9b][\[\]()#;?]*(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\x07|(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~])"
)


def _strip(text: str) -> str:
    """util.stripVTControlCharacters."""
    return _VT_CONTROL.sub("", text)


def _iso_date(value: JsonValue) -> str | None:
    """`new Date(value).toISOString()`; None for an invalid date."""
    ms = registry_view.js_date_parse(value) if isinstance(value, str) else None
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _maintainers(data: JsonObject) -> list[JsonObject]:
    found = data.get("maintainers")
    if not isinstance(found, list):
        raise SnpmError("Cannot read properties of undefined (reading 'map')")
    return [m if isinstance(m, dict) else {} for m in found]


def _included(data: JsonObject, exclude: list[str]) -> bool:
    """format-search-stream's filter: drop results whose words match an exclusion."""
    keywords = data.get("keywords")
    words_list: list[JsonValue] = [data.get("name"), *(m.get("username") for m in _maintainers(data))]
    if isinstance(keywords, list):
        words_list += keywords
    elif keywords:
        words_list.append(keywords)
    words = " ".join(w.strip() for w in words_list if isinstance(w, str) and w.strip()).lower()
    for pattern in exclude:
        if pattern.startswith("/"):
            body = pattern[:-1] if pattern.endswith("/") else pattern
            if re.search(body[1:], words):
                return False
        elif pattern and pattern in words:
            return False
    return True


class Search(Command):
    name = "search"
    summary = "Search for packages"
    usage: ClassVar[tuple[str, ...]] = ("<search term> [<search term> ...]",)
    params: ClassVar[tuple[str, ...]] = (
        "json",
        "color",
        "parseable",
        "description",
        "searchlimit",
        "searchopts",
        "searchexclude",
        "registry",
        "prefer-online",
        "prefer-offline",
        "offline",
    )

    async def run(self, args: list[str]) -> None:
        config, out = self.ctx.config, self.ctx.out
        packages = await registry_view.search(config, out.emit, args)
        exclude = re.split(r"\s+", str(config.get("searchexclude") or "").lower())
        as_json = bool(config.get("json"))
        chunks: list[str] = []
        for data in packages:
            if not _included(data, exclude):
                continue
            if as_json:
                data = dict(data)
                if data.get("date"):
                    data["date"] = _iso_date(data["date"])
                chunks.append("[\n" if not chunks else "\n,\n")
                chunks.append(stringify(data, indent=0))
            else:
                chunks.append(self._entry(data, args))
        if as_json:
            chunks.append("]\n" if chunks else "\n[]\n")
        for chunk in chunks:
            out.standard(chunk)
        if not chunks and not as_json and not config.get("parseable"):
            out.standard("No matches found for " + " ".join(json.dumps(a, ensure_ascii=False) for a in args))
        out.log.silly("search", "search completed")

    def _entry(self, data: JsonObject, args: list[str]) -> str:
        chalk = Chalk(self.ctx.out.settings.color_stdout)
        terms = sorted((a.lower() for a in args if a.lower()), key=len)
        publisher = data.get("publisher")
        publisher_name = publisher.get("username") if isinstance(publisher, dict) else None
        date = None
        if data.get("date"):
            date = _iso_date(data["date"])
            if date is None:
                raise SnpmError("Invalid time value")
        name = _strip(js_text(data.get("name"), missing="name" not in data))
        description = data.get("description")
        raw_keywords = data.get("keywords")
        keywords: list[str] = []
        if isinstance(raw_keywords, list):
            keywords = [_strip(js_text(k)) for k in raw_keywords]
        elif isinstance(raw_keywords, str):
            keywords = _strip(re.sub(r"[,\s]+", " ", raw_keywords, count=1)).split(" ")
        pkg = {
            "authors": " ".join(
                _strip(js_text(m.get("username"), missing="username" not in m)) for m in _maintainers(data)
            ),
            "publisher": _strip(publisher_name if isinstance(publisher_name, str) and publisher_name else ""),
            "date": date[:10] if date else "prehistoric",
            "description": _strip("" if description is None else js_text(description)),
            "version": js_text(data.get("version"), missing="version" not in data),
        }
        if self.ctx.config.get("parseable"):
            version = data.get("version")
            cells = [name, pkg["description"], pkg["date"], js_text(version) if truthy(version) else ""]
            # the keywords column is an array, which is truthy even when empty
            columns = [c for c in cells if c] + [",".join(keywords)]
            return "\t".join(c.replace("\t", " ") for c in columns)
        shown_keywords = " ".join(chalk.cyan(k) if k in terms else k for k in keywords)
        shown_description = self._highlight(pkg["description"], terms, chalk)
        shown_name = chalk.cyan(name) if name in terms else chalk.blue(self._highlight(name, terms, chalk))
        text = f"{shown_name}\n{shown_description}\n" if shown_description else f"{shown_name}\n"
        by = chalk.blue(pkg["publisher"]) if pkg["publisher"] else chalk.yellow("???")
        text += f"Version {chalk.blue(pkg['version'])} published {chalk.blue(pkg['date'])} by {by}\n"
        text += f"Maintainers: {pkg['authors']}\n"
        if shown_keywords:
            text += f"Keywords: {shown_keywords}\n"
        text += f"{chalk.blue(f'https://npm.im/{name}')}\n"
        return text

    @staticmethod
    def _highlight(text: str, terms: list[str], chalk: Chalk) -> str:
        for term in terms:
            at = text.lower().find(term)
            while at > -1:
                lit = chalk.cyan(text[at : at + len(term)])
                text = text[:at] + lit + text[at + len(term) :]
                at = text.lower().find(term, at + len(lit))
        return text
