"""README rendering: Markdown (CommonMark plus tables and strikethrough) to HTML, then sanitised.

READMEs are written by anyone who may publish, so their HTML is hostile until cleaned. Markdown is
rendered by markdown-it-py with raw HTML allowed (READMEs use it, as on GitHub), and the result goes
through nh3 (ammonia): only an allow-list of tags and attributes survives; `<script>`, `<style>`,
event handlers (`onerror=`), `style` attributes and comments are dropped; links keep only `http`,
`https` and `mailto` URLs (relative ones too) and get `rel="noopener noreferrer nofollow ugc"`.

Images are not loaded: the site's policy is that pages fetch nothing from elsewhere (no tracking
pixels, works offline), so a Markdown image shows its alt text (its address as a tooltip) and raw
`<img>` tags are removed. A README that is not Markdown (`readmeFilename` without a Markdown
extension) is shown as plain text. Rendered READMEs are kept in a small per-instance cache keyed by
a hash of their text.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

__all__ = ["ReadmeRenderer", "sanitize_html"]

_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".ron")
_TAGS = (set(nh3.ALLOWED_TAGS) - {"img", "map", "area"}) | {"tfoot"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in _TAGS},
    "a": {"href", "hreflang", "title"},
    "span": {"title"},
    "*": {"title", "lang", "dir"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_LINK_REL = "noopener noreferrer nofollow ugc"
_CACHE_SIZE = 256
# a README past this size is cut (npm's registry truncates long READMEs too)
MAX_README_CHARS = 256 * 1024


def sanitize_html(html: str) -> str:
    """Untrusted HTML reduced to the allow-list (see the module docstring)."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel=_LINK_REL,
        strip_comments=True,
        allowed_classes={"span": {"readme-image"}},
    )


def _image_as_text(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:  # markdown-it's renderer-rule signature
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or "image"
    src = str(token.attrGet("src") or "")
    return f'<span class="readme-image" title="{escape(src)}">[{escape(alt)}]</span>'


class ReadmeRenderer:
    def __init__(self) -> None:
        self._markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
        self._markdown.add_render_rule("image", _image_as_text)
        self._cache: OrderedDict[str, Markup] = OrderedDict()

    def render(self, text: str, filename: str | None = None) -> Markup:
        """The README as safe HTML (empty for an empty README)."""
        if not text.strip():
            return Markup("")
        is_markdown = not filename or filename.lower().endswith(_MARKDOWN_SUFFIXES)
        key = hashlib.sha256(f"{int(is_markdown)}\0{text}".encode()).hexdigest()
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        source = text[:MAX_README_CHARS]
        if is_markdown:
            html = sanitize_html(self._markdown.render(source))
        else:
            html = f'<pre class="readme-text">{escape(source)}</pre>'
        rendered = Markup(html)  # sanitised above, or escaped plain text
        self._cache[key] = rendered
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return rendered
