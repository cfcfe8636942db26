"""The website's pure parts: README sanitising, URLs that may become links, the package view,
where a sign-in may return to, dependency names, and the catalog's refresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_server.web.browser import active_content
from snpm.registry_server.app import Registry
from snpm.registry_server.storage.base import StoredPackage
from snpm.registry_server.web.catalog import Catalog, dependency_names
from snpm.registry_server.web.package_view import http_url, package_view
from snpm.registry_server.web.readme import ReadmeRenderer, sanitize_html
from snpm.registry_server.web.rendering import Links
from snpm.registry_server.web.site import safe_next
from support.registry import publish_body, run_with

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<details open ontoggle="alert(1)">x</details>',
    '<form action="https://evil.example/"><button formaction="javascript:alert(1)">x</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<input autofocus onfocus="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_readme_vectors_are_neutralised(vector: str) -> None:
    html = ReadmeRenderer().render(f"# Title\n\n{vector}\n\nafter\n")
    assert active_content(str(html)) == [], html
    assert "<form" not in html and "<input" not in html and "<style" not in html.lower()
    if "<style" not in vector:  # an unclosed <style> takes the rest of the README with it (safely)
        assert "after" in html


def test_readme_keeps_what_is_safe() -> None:
    rendered = ReadmeRenderer().render(
        "# Use\n\n```js\nconst a = '<b>'\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ "
        "[docs](https://example.test/docs) [mail](mailto:a@example.test) [rel](./docs/x.md)\n\n"
        "![logo](https://example.test/logo.png)\n\n<details><summary>More</summary>hidden</details>\n"
    )
    assert "<h1>Use</h1>" in rendered
    assert "const a = '&lt;b&gt;'" in rendered
    assert "<table>" in rendered and "<s>old</s>" in rendered
    assert '<a href="https://example.test/docs" rel="noopener noreferrer nofollow ugc">docs</a>' in rendered
    assert 'href="mailto:a@example.test"' in rendered and 'href="./docs/x.md"' in rendered
    # images are not loaded: their alt text shows, the address is a tooltip
    assert '<span class="readme-image" title="https://example.test/logo.png">[logo]</span>' in rendered
    assert "<details><summary>More</summary>hidden</details>" in rendered


def test_plain_text_readmes_and_empty_ones() -> None:
    renderer = ReadmeRenderer()
    assert renderer.render("<b>not markdown</b>", "README.txt") == (
        '<pre class="readme-text">&lt;b&gt;not markdown&lt;/b&gt;</pre>'
    )
    assert renderer.render("  \n", "README.md") == ""
    assert renderer.render("# x", "readme.MARKDOWN").startswith("<h1>")
    assert sanitize_html('<p class="x" id="y">t</p>') == "<p>t</p>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.test/a?b=c#d", "https://example.test/a?b=c#d"),
        ("HTTP://EXAMPLE.TEST", "HTTP://EXAMPLE.TEST"),
        ("  https://example.test/  ", "https://example.test/"),
        ("javascript:alert(1)", None),
        ("JavaScript://example.test/%0Aalert(1)", None),
        ("data:text/html,x", None),
        ("//example.test/x", None),
        ("/relative", None),
        ("https://", None),
        ("https://exa mple.test/", None),
        ("https://example.test/\nx", None),
        ("ftp://example.test/", None),
        (42, None),
        (None, None),
    ],
)
def test_only_http_urls_become_links(value: object, expected: str | None) -> None:
    assert http_url(value) == expected


def _package(document: dict[str, object], access: str = "public") -> StoredPackage:
    return StoredPackage("demo", "1-x", document, access)  # type: ignore[arg-type]


def test_package_view_reads_versions_tags_and_links() -> None:
    document = {
        "name": "demo",
        "dist-tags": {"latest": "1.10.0", "next": "2.0.0-rc.1"},
        "description": "top level",
        "versions": {
            "1.2.0": {"name": "demo", "version": "1.2.0", "deprecated": "use 1.10"},
            "1.10.0": {
                "name": "demo",
                "version": "1.10.0",
                "description": "latest one",
                "repository": "github:someone/demo",
                "homepage": "javascript:alert(1)",
                "license": {"type": "MIT"},
                "author": "Some One <one@example.test> (https://one.example)",
                "keywords": "a, b a",
                "dependencies": {"x": "^1", "lp": "npm:left-pad@1"},
                "devDependencies": {"t": "*"},
                "scripts": {"postinstall": "node x"},
                "dist": {"tarball": "demo/-/demo-1.10.0.tgz", "integrity": "sha512-x", "unpackedSize": 1200},
            },
            "2.0.0-rc.1": {"name": "demo", "version": "2.0.0-rc.1"},
        },
        "time": {"1.2.0": "2024-01-01T00:00:00.000Z", "1.10.0": "2024-02-01T00:00:00.000Z"},
        "maintainers": [{"name": "one", "email": "one@example.test"}],
    }
    view = package_view(_package(document))
    assert view is not None
    assert view.version == "1.10.0" and view.is_latest and view.install_command == "npm i demo"
    assert [row.version for row in view.versions] == ["2.0.0-rc.1", "1.10.0", "1.2.0"]  # semver order
    assert view.versions[2].deprecated and view.versions[0].tags == ("next",)
    assert view.dist_tags == (("latest", "1.10.0"), ("next", "2.0.0-rc.1"))
    assert view.description == "latest one" and view.license == "MIT" and view.author == "Some One"
    assert view.keywords == ("a", "b")
    assert view.repository == "https://github.com/someone/demo" and view.homepage is None
    assert view.bugs == "https://github.com/someone/demo/issues"
    assert view.runtime_dependency_count == 2 and view.has_install_script
    assert view.dist.unpacked_size == 1200 and view.published == "2024-02-01T00:00:00.000Z"
    old = package_view(_package(document), "1.2.0")
    assert old is not None and not old.is_latest and old.install_command == "npm i demo@1.2.0"
    assert old.deprecated == "use 1.10" and old.description == "top level"
    assert package_view(_package(document), "9.9.9") is None
    assert dependency_names(document["versions"]["1.10.0"]) == frozenset({"x", "left-pad"})  # type: ignore[index]
    assert dependency_names(
        {"peerDependencies": {"@s/p": "npm:@s/q@^2"}, "optionalDependencies": {"o": "1"}}
    ) == {
        "@s/q",
        "o",
    }


def test_sign_in_targets_stay_on_the_site() -> None:
    links = Links("", {})
    assert safe_next("/-/web/account?x=1", links) == "/-/web/account?x=1"
    for bad in ("", "//evil.example", "https://evil.example/", "/\\evil", "javascript:x", "/a\nb", "evil"):
        assert safe_next(bad, links) == "/"
    prefixed = Links("/npm", {})
    assert safe_next("/npm/-/web/account", prefixed) == "/npm/-/web/account"
    assert safe_next("/other", prefixed) == "/npm/"
    assert prefixed.package("@scope/name") == "/npm/-/web/package/@scope/name"
    assert prefixed.version("a", "1.0.0+build") == "/npm/-/web/package/a/v/1.0.0%2Bbuild"
    assert Links("", {}).search("keywords:a b", 2) == "/-/web/search?q=keywords%3Aa+b&page=2"


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_catalog_refreshes_what_changed(registry: Registry) -> None:
    clock = _Clock()
    catalog = Catalog(registry.storage, registry.access, max_age=5.0, clock=clock)

    async def scenario() -> None:
        alice = await registry.accounts.create_user("alice", "alice@example.test", "password-123")
        from snpm.registry_server.services.permissions import Actor

        actor = Actor(alice.name, alice.email)
        await registry.packages.publish(actor, "base", publish_body("base", "1.0.0"))
        assert await catalog.dependents(None, "base") == []
        await registry.packages.publish(
            actor, "user-a", publish_body("user-a", "1.0.0", manifest={"dependencies": {"base": "1"}})
        )
        assert await catalog.dependents(None, "base") == []  # within max_age: the old answer
        clock.now += 6
        assert await catalog.dependents(None, "base") == ["user-a"]
        # a new latest version without the dependency drops it
        await registry.packages.publish(actor, "user-a", publish_body("user-a", "2.0.0"))
        clock.now += 6
        assert await catalog.dependents(None, "base") == []
        assert [e.name for e in await catalog.recent(None)] == ["user-a", "base"]
        assert await catalog.count(None) == 2

    run_with(registry, scenario)


def test_guard_headers_are_complete() -> None:
    from snpm.registry_server.web.rendering import GUARD_HEADERS, html_response

    response = html_response("<p>x</p>", private=False)
    assert response.headers["Cache-Control"] == "private, no-cache" and response.headers["Vary"] == "Cookie"
    csp = GUARD_HEADERS["Content-Security-Policy"]
    for directive in (
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert directive in csp


def test_templates_exist_for_every_page() -> None:
    folder = Path(__file__).parents[4] / "src/snpm/registry_server/web/templates"
    names = {p.name for p in folder.glob("*.html")}
    assert {"base.html", "home.html", "package.html", "search.html", "account_2fa.html"} <= names
