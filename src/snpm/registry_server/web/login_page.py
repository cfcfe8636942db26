"""The web-login page npm sends the browser to (`loginUrl`): a minimal HTML form for now.

User name, password and (for accounts with 2FA) a one-time password; for `npm adduser` sessions an
e-mail field too, which signs up a new name. Every value is escaped; the page loads nothing from
elsewhere, cannot be framed, and is never cached or sent as a referrer (its address is a secret).
"""

from __future__ import annotations

from html import escape

__all__ = ["PAGE_HEADERS", "render_done", "render_form", "render_gone"]

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}"
    "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}"
    "button{margin-top:1.2rem;padding:.5rem 1.2rem}.error{color:#b00020}"
)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def render_form(*, create: bool, username: str = "", email: str = "", error: str | None = None) -> str:
    title = "Create an account" if create else "Log in"
    parts = [
        f"<h1>{escape(title)}</h1>",
        "<p>to finish <code>npm",
        " adduser" if create else " login",
        "</code></p>",
    ]
    if error:
        parts.append(f"<p class=error role=alert>{escape(error)}</p>")
    parts.append("<form method=post autocomplete=on>")
    parts.append(
        "<label for=username>Username</label>"
        f'<input id=username name=username required autocomplete=username value="{escape(username)}">'
    )
    if create:
        parts.append(
            "<label for=email>Email (this will be public; leave empty to log in to an existing account)</label>"
            f'<input id=email name=email type=email autocomplete=email value="{escape(email)}">'
        )
    parts.append(
        "<label for=password>Password</label>"
        "<input id=password name=password type=password required autocomplete=current-password>"
        "<label for=otp>One-time password (only with two-factor authentication)</label>"
        "<input id=otp name=otp inputmode=numeric autocomplete=one-time-code>"
        f"<button type=submit>{escape(title)}</button></form>"
    )
    return _page(title, "".join(parts))


def render_done(username: str) -> str:
    return _page(
        "Logged in",
        f"<h1>Logged in as {escape(username)}</h1><p>You can close this window and return to npm.</p>",
    )


def render_gone(message: str) -> str:
    return _page("Login expired", f"<h1>Login expired</h1><p>{escape(message)}</p>")
