"""Credentials of LRS clients: third parties that use the xAPI endpoint."""

from datetime import datetime

from flask import current_app
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow

#: The xAPI scopes (Communication 4.2.s2), in the order the admin page lists them.
LRS_SCOPES = (
    "statements/write",
    "statements/read/mine",
    "statements/read",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
)
#: Communication 4.2.s5.b2: "assume a requested scope of "statements/write" and
#: "statements/read/mine" if no scope is specified".
DEFAULT_LRS_SCOPES = ("statements/write", "statements/read/mine")


class LRSClient(db.Model):
    """A client of the LRS, authenticated by HTTP Basic with its key and secret."""

    __tablename__ = "lrs_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the admins call the client, e.g. "Region H analytics".
    name: Mapped[str] = mapped_column(String(200))
    #: The Basic username; public, and part of the client's authority.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: The Basic password, hashed like user passwords.
    secret_hash: Mapped[str] = mapped_column(String(255))
    #: xAPI scopes granted, a subset of LRS_SCOPES.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The Agent stamped as "authority" on the client's statements; fixed at
    #: creation so that "statements/read/mine" keeps finding them.
    authority: Mapped[dict] = mapped_column(JSON)
    #: A deactivated client is refused; its statements stay.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def set_secret(self, secret: str) -> None:
        """Hash and store the secret."""
        self.secret_hash = generate_password_hash(
            secret, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_secret(self, secret: str) -> bool:
        """Return whether ``secret`` is this client's secret."""
        return check_password_hash(self.secret_hash, secret)
