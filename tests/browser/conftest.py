"""A live server on SQLite and headless Debian Chromium driven by Playwright."""

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms import create_app
from lms.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """Serve a fresh, migrated app with the shipped modules and demo data."""
    instance = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'live.db'}",
            "SECRET_KEY": "browser-test-secret",
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        from lms.content import publish_shipped
        from lms.demo import load_demo

        upgrade()
        publish_shipped(Path(app.config["LMS_MODULES_PATH"]))
        load_demo()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["LMS_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, app
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium from Debian; no browser download."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page; it enforces the CSP as users' browsers do.

    Every test fails if a page it visited broke the Content-Security-Policy.
    """
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    refused = []

    def _console(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", _console)
    yield page
    context.close()
    assert refused == [], refused


class AxeChecker:
    """Run axe-core on every visited page and keep serious or critical findings."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self._axe = Axe()
        self.findings: list[str] = []
        self.pages = 0

    def check(self, page) -> None:
        """Audit the page as it is now."""
        results = self._axe.run(page)
        self.pages += 1
        for violation in results.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"]][:3]
                self.findings.append(f"{page.url}: {violation['id']} {targets}")


@pytest.fixture
def axe():
    """An axe-core checker for the test's pages."""
    return AxeChecker()


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the form and wait for the dashboard it leads to."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/learn/"))
