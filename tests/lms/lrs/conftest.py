"""Fixtures for the LRS endpoint: clients with scopes and their request headers."""

import base64
import uuid

import pytest

from lms.lrs.credentials import invalidate

VERSION = {"X-Experience-API-Version": "1.0.3"}


def basic(key: str, secret: str) -> str:
    """Return an HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@pytest.fixture(autouse=True)
def _fresh_credentials(app):
    """Forget cached credential checks: every test starts with empty tables."""
    invalidate()
    yield
    invalidate()


@pytest.fixture
def make_client(app):
    """Return a factory: create an LRS client with scopes, return its headers."""
    from lms.operations.lrs_clients import create_client

    def make(*scopes: str, name: str = "Test client") -> dict[str, str]:
        key = f"k{uuid.uuid4().hex[:12]}"
        secret = "s" * 8 + uuid.uuid4().hex
        create_client(name, key=key, secret=secret, scopes=scopes or ("all",))
        return {**VERSION, "Authorization": basic(key, secret)}

    return make


@pytest.fixture
def lrs(make_client):
    """Headers of a client with the scope "all"."""
    return make_client("all")


def statement(**extra) -> dict:
    """Return a small valid statement; keyword arguments replace its properties."""
    base = {
        "actor": {"objectType": "Agent", "mbox": "mailto:learner@example.org"},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/experienced",
            "display": {"en-US": "experienced", "da": "oplevede"},
        },
        "object": {
            "objectType": "Activity",
            "id": "http://example.org/activities/one",
            "definition": {"name": {"en-US": "One", "da": "En"}},
        },
    }
    base.update(extra)
    return base
