"""Browser protections on every response, and templates that need no inline code."""

import re

import pytest

from lms import create_app
from lms.config import ROOT
from lms.security_headers import CONTENT_SECURITY_POLICY

COMMON = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def assert_protected(response) -> None:
    """Assert the headers every response of ours carries."""
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_the_policy_allows_no_inline_code_and_no_framing():
    directives = dict(
        part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";")
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/login", 200, "text/html"),
        ("/healthz", 200, "application/json"),
        ("/xapi/about", 200, "application/json"),
        ("/xapi/statements", 400, "application/json"),
        ("/no-such-page", 404, "text/html"),
        ("/learn/", 302, "text/html"),
        ("/static/css/app.css", 200, "text/css"),
    ],
)
def test_every_kind_of_response_is_protected(client, demo, path, status, kind):
    response = client.get(path, buffered=True)
    assert response.status_code == status
    assert response.mimetype == kind
    assert_protected(response)


def test_a_server_error_page_is_protected(app, client, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "health.healthz", broken)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert_protected(response)


def test_a_refused_form_is_protected(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/language", data={"locale": "en"})
    assert response.status_code == 400
    assert_protected(response)


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_in_production(session_app, monkeypatch):
    monkeypatch.setitem(session_app.config, "LMS_ENV", "production")
    response = session_app.test_client().get("/login")
    assert (
        response.headers["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains"
    )


def test_hsts_from_a_production_app(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-secret-for-production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    response = create_app().test_client().get("/static/css/app.css", buffered=True)
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert_protected(response)


def test_the_verify_page_sends_no_referrer(client, demo):
    """A verification code in the address must not travel to other pages."""
    response = client.get("/verify/ABCD-EFGH-JKLM")
    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


# --- Templates ---------------------------------------------------------------------

#: Rendered server-side into a PDF by WeasyPrint and never sent to a browser.
SERVER_ONLY = {"certificates/pdf.html"}
INLINE = [
    ("inline script", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("style block", re.compile(r"<style\b", re.I)),
    ("style attribute", re.compile(r"""\sstyle\s*=""", re.I)),
    ("event handler", re.compile(r"""\son[a-z]+\s*=""", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
]


def _templates():
    folder = ROOT / "templates"
    return sorted(
        (path.relative_to(folder).as_posix(), path.read_text("utf-8"))
        for path in folder.rglob("*.html")
    )


def test_templates_hold_no_inline_script_style_or_handlers():
    found = [
        f"{name}: {label}"
        for name, text in _templates()
        if name not in SERVER_ONLY
        for label, pattern in INLINE
        if pattern.search(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("snippet", "label"),
    [
        ("<script>alert(1)</script>", "inline script"),
        ('<script type="module">x()</script>', "inline script"),
        ("<style>p{}</style>", "style block"),
        ('<p style="color:red">', "style attribute"),
        ('<button onclick="go()">', "event handler"),
        ('<a href="javascript:go()">', "javascript: URL"),
    ],
)
def test_the_template_check_catches_each_kind(snippet, label):
    assert [name for name, pattern in INLINE if pattern.search(snippet)] == [label]


def test_external_scripts_pass_the_template_check():
    snippet = '<script src="/static/js/app.js" defer></script>'
    assert not any(pattern.search(snippet) for _name, pattern in INLINE)


def test_the_server_only_template_is_only_rendered_into_pdfs():
    """The PDF template may keep its styles only while no view serves it as HTML."""
    users = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "lms").rglob("*.py")
        if "certificates/pdf.html" in path.read_text("utf-8")
    ]
    assert users == ["lms/certificates/pdf.py"]
    callers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "lms").rglob("*.py")
        if "render_html(" in path.read_text("utf-8")
    ]
    assert callers == ["lms/certificates/pdf.py"]
