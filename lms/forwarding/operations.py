"""Admin changes to forwarding endpoints, one commit and one audit record each."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from lms.audit import audit
from lms.extensions import db
from lms.forwarding import client, outbox
from lms.forwarding.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from lms.models import ForwardingEndpoint, OutboxStatement, User

log = logging.getLogger(__name__)

#: The admin's "test connection" waits at most this long.
TEST_TIMEOUT_SECONDS = 5.0


class EndpointError(ValueError):
    """An endpoint cannot be saved as asked; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        """Store the field and the message."""
        super().__init__(str(message))
        self.field = field
        self.message = message


def url_problem(url: str):
    """Return why ``url`` cannot be an xAPI endpoint, or None."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return _l("Enter a valid URL.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _l(
            "Enter an http:// or https:// address, e.g. https://lrs.example/xapi/."
        )
    if parts.username is not None or parts.password is not None:
        return _l("Put the user name and secret in their own fields, not in the URL.")
    if parts.query or parts.fragment:
        return _l("The address cannot have a query (?) or a fragment (#).")
    return None


def _normalise(url: str) -> str:
    """Return the endpoint URL ending in "/", so resources are resolved below it."""
    url = url.strip()
    return url if url.endswith("/") else url + "/"


def _check(name: str, url: str, username: str, endpoint_id: int | None) -> None:
    if not name:
        raise EndpointError("name", _l("Enter a name."))
    problem = url_problem(url)
    if problem:
        raise EndpointError("url", problem)
    if not username or ":" in username:  # RFC 7617: no colon in a Basic user name
        raise EndpointError("username", _l("Enter a user name without a colon."))
    taken = db.session.execute(
        db.select(ForwardingEndpoint.id).where(
            ForwardingEndpoint.name == name, ForwardingEndpoint.id != (endpoint_id or 0)
        )
    ).first()
    if taken:
        raise EndpointError("name", _l("Another endpoint already has this name."))


def _public(endpoint: ForwardingEndpoint) -> dict:
    """Return what the audit record may hold about an endpoint (never the secret)."""
    return {"name": endpoint.name, "url": endpoint.url, "username": endpoint.username}


def create_endpoint(
    name: str, url: str, username: str, secret: str, admin: User | None
) -> ForwardingEndpoint:
    """Add an active endpoint; statements stored from now on are forwarded to it."""
    name, username = name.strip(), username.strip()
    _check(name, url, username, None)
    if not secret:
        raise EndpointError("secret", _l("Enter the secret."))
    endpoint = ForwardingEndpoint(
        name=name,
        url=_normalise(url),
        username=username,
        secret_encrypted=encrypt_secret(secret),
    )
    db.session.add(endpoint)
    db.session.flush()
    audit(
        "forwarding_endpoint.create",
        "forwarding_endpoint",
        str(endpoint.id),
        admin,
        _public(endpoint),
    )
    db.session.commit()
    log.info("forwarding endpoint %s created", endpoint.id)
    return endpoint


def update_endpoint(
    endpoint: ForwardingEndpoint,
    name: str,
    url: str,
    username: str,
    secret: str | None,
    admin: User | None,
) -> None:
    """Change an endpoint; an empty secret keeps the stored one."""
    name, username = name.strip(), username.strip()
    _check(name, url, username, endpoint.id)
    endpoint.name, endpoint.url, endpoint.username = name, _normalise(url), username
    if secret:
        endpoint.secret_encrypted = encrypt_secret(secret)
    detail = _public(endpoint) | {"secret_changed": bool(secret)}
    audit(
        "forwarding_endpoint.update",
        "forwarding_endpoint",
        str(endpoint.id),
        admin,
        detail,
    )
    db.session.commit()
    log.info("forwarding endpoint %s changed", endpoint.id)


def set_active(endpoint: ForwardingEndpoint, active: bool, admin: User | None) -> None:
    """Pause or resume an endpoint; paused, it gets no new statements and sends none."""
    endpoint.active = active
    action = "activate" if active else "deactivate"
    audit(
        f"forwarding_endpoint.{action}", "forwarding_endpoint", str(endpoint.id), admin
    )
    db.session.commit()
    log.info("forwarding endpoint %s active=%s", endpoint.id, active)


def delete_endpoint(endpoint: ForwardingEndpoint, admin: User | None) -> int:
    """Delete an endpoint and its queue; return how many statements were unsent."""
    endpoint_id = endpoint.id
    unsent = db.session.execute(
        db.select(db.func.count())
        .select_from(OutboxStatement)
        .where(OutboxStatement.endpoint_id == endpoint.id)
    ).scalar_one()
    detail = _public(endpoint) | {"unsent": unsent}
    db.session.execute(
        OutboxStatement.__table__.delete().where(
            OutboxStatement.endpoint_id == endpoint.id
        )
    )
    audit(
        "forwarding_endpoint.delete",
        "forwarding_endpoint",
        str(endpoint.id),
        admin,
        detail,
    )
    db.session.delete(endpoint)
    db.session.commit()
    log.info("forwarding endpoint %s deleted with %s unsent", endpoint_id, unsent)
    return unsent


def retry_now(endpoint: ForwardingEndpoint, admin: User | None) -> None:
    """Clear the backoff, so the next worker round sends at once."""
    endpoint.next_attempt_at = None
    endpoint.consecutive_failures = 0
    audit("forwarding_endpoint.retry", "forwarding_endpoint", str(endpoint.id), admin)
    db.session.commit()
    log.info("forwarding endpoint %s retried by an admin", endpoint.id)


def requeue_failed(endpoint: ForwardingEndpoint, admin: User | None) -> int:
    """Queue the statements that were set aside again; return how many."""
    result = db.session.execute(
        update(OutboxStatement)
        .where(
            OutboxStatement.endpoint_id == endpoint.id,
            OutboxStatement.failed_at.is_not(None),
        )
        .values(failed_at=None, rejections=0, last_error=None)
        .execution_options(synchronize_session=False)
    )
    endpoint.next_attempt_at = None
    endpoint.consecutive_failures = 0
    audit(
        "forwarding_endpoint.requeue",
        "forwarding_endpoint",
        str(endpoint.id),
        admin,
        {"statements": result.rowcount},
    )
    db.session.commit()
    log.info(
        "forwarding endpoint %s: %s statements queued again",
        endpoint.id,
        result.rowcount,
    )
    return result.rowcount


def test_connection(
    endpoint: ForwardingEndpoint, admin: User | None
) -> tuple[bool, str]:
    """Ask the endpoint's /about (bounded by a short timeout); audit the check."""
    try:
        secret = decrypt_secret(endpoint.secret_encrypted)
    except SecretUnreadable as error:
        ok, message = False, str(error)
    else:
        lrs = client.ForwardingLRS(
            endpoint=endpoint.url,
            username=endpoint.username,
            secret=secret,
            timeout=min(
                TEST_TIMEOUT_SECONDS,
                float(current_app.config["LMS_FORWARDING_TIMEOUT"]),
            ),
        )
        ok, message = client.about(lrs)
    audit(
        "forwarding_endpoint.test",
        "forwarding_endpoint",
        str(endpoint.id),
        admin,
        {"ok": ok},
    )
    db.session.commit()
    return ok, message


def backfill(
    endpoint: ForwardingEndpoint, since: datetime | None, admin: User | None
) -> int:
    """Queue the stored statements the endpoint has not got (since ``since``).

    For a receiver connected after statements were stored, or while it was
    inactive. Voided statements go too, with their voiding statements: the
    receiver applies the voiding. The backfilled statements are queued after
    whatever is queued already, so the receiver may get them after newer ones;
    an LRS accepts statements in any order (each keeps its own id and timestamp,
    and a voiding statement may arrive before its target, Data 2.3.2). Returns
    how many were queued; running it again queues nothing new.
    """
    _lock(endpoint)
    found = outbox.seq_range(since)
    queued = 0
    if found is not None:
        low, high = found
        done = endpoint.backfilled_from_seq, endpoint.backfilled_to_seq
        covered = done if done[0] is not None else None
        queued = outbox.queue_range(endpoint.id, low, high, skip=covered)
        # Widen the range only if the new one joins it; else keep the new one
        # (forgetting the old only costs resending, which the receiver ignores).
        joins = covered is not None and low <= covered[1] + 1
        endpoint.backfilled_from_seq = min(low, covered[0]) if joins else low
        endpoint.backfilled_to_seq = high
    detail = {"statements": queued, "since": since.isoformat() if since else None}
    audit(
        "forwarding_endpoint.backfill",
        "forwarding_endpoint",
        str(endpoint.id),
        admin,
        detail,
    )
    db.session.commit()
    log.info(
        "forwarding endpoint %s: %s earlier statements queued", endpoint.id, queued
    )
    return queued


def _lock(endpoint: ForwardingEndpoint) -> None:
    """Make two backfills of one endpoint take turns (PostgreSQL).

    NO KEY UPDATE does not wait for the storing transactions' KEY SHARE locks.
    """
    if db.session.connection().dialect.name != "postgresql":
        return
    db.session.execute(
        db.select(ForwardingEndpoint.id)
        .where(ForwardingEndpoint.id == endpoint.id)
        .with_for_update(key_share=True)
    )
    db.session.refresh(endpoint)
