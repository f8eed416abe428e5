"""LRS client credentials: create, change scopes, deactivate (one commit each)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable

from lms.audit import audit
from lms.extensions import db
from lms.lrs.credentials import invalidate
from lms.models import DEFAULT_LRS_SCOPES, LRS_SCOPES, LRSClient, User
from lms.statements import base_url

log = logging.getLogger(__name__)

#: A key is the HTTP Basic user name: no colon, no spaces.
KEY_RE = re.compile(r"[A-Za-z0-9._~-]{3,64}")
MIN_SECRET = 16


class ClientError(ValueError):
    """A client cannot be created or changed as asked; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        """Store the field and the message."""
        super().__init__(message)
        self.field = field
        self.message = message


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """Return the scopes in LRS_SCOPES order; ClientError on an unknown one."""
    wanted = set(scopes)
    unknown = sorted(wanted - set(LRS_SCOPES))
    if unknown:
        raise ClientError("scopes", f"unknown scope {unknown[0]!r}")
    if not wanted:
        raise ClientError("scopes", "choose at least one scope")
    return [scope for scope in LRS_SCOPES if scope in wanted]


def create_client(
    name: str,
    *,
    key: str | None = None,
    secret: str | None = None,
    scopes: Iterable[str] = DEFAULT_LRS_SCOPES,
    actor: User | None = None,
) -> tuple[LRSClient, str]:
    """Create a client; return it with its secret, which is shown only this once."""
    name = name.strip()
    if not name:
        raise ClientError("name", "a name is required")
    key = key or secrets.token_hex(12)
    if not KEY_RE.fullmatch(key):
        raise ClientError(
            "key", "use 3-64 letters, digits or . _ ~ - (no colon or spaces)"
        )
    if db.session.execute(db.select(LRSClient.id).filter_by(key=key)).first():
        raise ClientError("key", f"the key {key!r} is taken")
    secret = secret or secrets.token_urlsafe(32)
    if len(secret) < MIN_SECRET:
        raise ClientError("secret", f"use at least {MIN_SECRET} characters")
    client = LRSClient(
        name=name,
        key=key,
        scopes=check_scopes(scopes),
        authority={
            "objectType": "Agent",
            "account": {"homePage": base_url(), "name": f"client/{key}"},
        },
    )
    client.set_secret(secret)
    db.session.add(client)
    db.session.flush()
    audit(
        "lrs_client.create", "lrs_client", client.id, actor, {"scopes": client.scopes}
    )
    db.session.commit()
    log.info("LRS client %s created", client.id)
    return client, secret


def set_scopes(
    client: LRSClient, scopes: Iterable[str], actor: User | None = None
) -> None:
    """Replace a client's scopes; cached checks of it are forgotten."""
    client.scopes = check_scopes(scopes)
    audit(
        "lrs_client.scopes", "lrs_client", client.id, actor, {"scopes": client.scopes}
    )
    db.session.commit()
    invalidate(client.key)
    log.info("LRS client %s scopes changed", client.id)


def set_active(client: LRSClient, active: bool, actor: User | None = None) -> None:
    """Deactivate (or reactivate) a client; cached checks of it are forgotten."""
    client.active = active
    action = "lrs_client.activate" if active else "lrs_client.deactivate"
    audit(action, "lrs_client", client.id, actor)
    db.session.commit()
    invalidate(client.key)
    log.info("LRS client %s active=%s", client.id, active)
