"""In a real browser: an admin adds, inspects, retries and deletes an endpoint."""

import re
import uuid
from datetime import UTC, datetime

import pytest

from lms.extensions import db
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _backlog(app, endpoint_id: int) -> None:
    """Store two statements (queued for the endpoint) and record a failure."""
    from lms.models import ForwardingEndpoint
    from lms.records import ingest

    with app.app_context():
        ingest(
            [
                {
                    "id": str(uuid.uuid4()),
                    "actor": {"account": {"homePage": "https://x.dk", "name": "a1"}},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                    "object": {"id": f"http://example.org/activities/{n}"},
                }
                for n in range(2)
            ],
            {
                "objectType": "Agent",
                "account": {"homePage": "https://c.dk", "name": "c"},
            },
        )
        endpoint = db.session.get(ForwardingEndpoint, endpoint_id)
        endpoint.last_error = "HTTP 503 Service Unavailable: down for maintenance"
        endpoint.last_error_at = datetime.now(UTC)
        endpoint.consecutive_failures = 1
        db.session.commit()
        db.session.remove()


def test_admin_manages_forwarding(live_server, page, axe):
    """The forwarding pages work in a browser and pass axe-core (WCAG 2.1 AA)."""
    base, app = live_server
    sign_in(page, base, "admin@example.org", "admin-demo-2026")
    page.goto(f"{base}/admin/forwarding/")
    axe.check(page)
    page.click("a.button.primary")  # add endpoint
    page.wait_for_url(re.compile(r"/admin/forwarding/new$"))
    page.click("main form button.primary")  # nothing filled in
    assert page.locator("#name-error").is_visible()
    assert page.locator("#url-error").is_visible()
    axe.check(page)
    page.fill("#name", "Region H LRS")
    page.fill("#url", "ftp://lrs.example/xapi/")
    page.fill("#username", "lms")
    page.fill("#secret", "a-secret-value")
    page.click("main form button.primary")
    assert "https://" in page.locator("#url-error").inner_text()
    page.fill("#url", "https://lrs.example/xapi/")
    page.fill("#secret", "a-secret-value")
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/admin/forwarding/\d+$"))
    endpoint_id = int(page.url.rsplit("/", 1)[1])
    _backlog(app, endpoint_id)
    page.reload()
    assert "down for maintenance" in page.locator("#last-error").inner_text()
    assert "a-secret-value" not in page.content()
    axe.check(page)
    page.click("form[action$='/retry'] button")
    page.wait_for_url(re.compile(r"/admin/forwarding/\d+$"))
    assert page.locator(".flash.success").is_visible()
    axe.check(page)
    page.goto(f"{base}/admin/forwarding/")
    assert "down for maintenance" in page.content()
    axe.check(page)
    page.goto(f"{base}/admin/forwarding/{endpoint_id}/delete")
    axe.check(page)
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/admin/forwarding/$"))
    assert "Region H LRS" in page.locator(".flash").inner_text()
    axe.check(page)
    assert axe.pages == 7
    assert axe.findings == []
