"""Forwarding of stored statements to external LRSs: endpoints and their outbox."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow

#: A 64-bit sequence on PostgreSQL; SQLite's autoincrement needs INTEGER.
SEQUENCE = BigInteger().with_variant(Integer, "sqlite")


class ForwardingEndpoint(db.Model):
    """An external LRS that receives a copy of every statement stored here."""

    __tablename__ = "forwarding_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the admins call the receiver, e.g. "Region H LRS".
    name: Mapped[str] = mapped_column(String(200))
    #: The xAPI endpoint, ending in "/"; "statements" and "about" are below it.
    url: Mapped[str] = mapped_column(String(2000))
    #: The HTTP Basic user name at the receiver.
    username: Mapped[str] = mapped_column(String(200))
    #: The HTTP Basic password, Fernet-encrypted with a key derived from SECRET_KEY;
    #: never shown back, never logged.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    #: Only active endpoints get new statements queued and sent.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    #: Statements delivered so far.
    sent_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last failure, without secrets or statement content.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Backoff: nothing is sent to this endpoint before this time.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Failed sends in a row; the backoff grows with it.
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    #: The worker whose turn it is to send, and until when; an expired lease is
    #: free again, so a killed worker's turn passes to another.
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Backfills have queued every statement whose seq lies in this range (the
    #: outbox forgets delivered rows, so this is what makes a backfill idempotent).
    backfilled_from_seq: Mapped[int | None] = mapped_column(SEQUENCE)
    backfilled_to_seq: Mapped[int | None] = mapped_column(SEQUENCE)

    __table_args__ = (db.UniqueConstraint("name", name="uq_forwarding_endpoints_name"),)


class OutboxStatement(db.Model):
    """A statement waiting to be sent to one endpoint; deleted once it is sent."""

    __tablename__ = "forwarding_outbox"

    #: Queue order: statements go out to an endpoint in ascending id.
    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey(
            "forwarding_endpoints.id",
            ondelete="CASCADE",
            name="fk_forwarding_outbox_endpoint_id",
        )
    )
    #: The id of the stored statement (xapi_statements.statement_id).
    statement_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Sends that included this statement and failed, for whatever reason.
    attempts: Mapped[int] = mapped_column(default=0)
    #: Sends the receiver refused because of their content (400, 409, 413, ...).
    rejections: Mapped[int] = mapped_column(default=0)
    #: Set when the receiver kept refusing this statement alone; it is then set
    #: aside so that later statements can go, until an admin queues it again.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        db.UniqueConstraint(
            "endpoint_id",
            "statement_id",
            name="uq_forwarding_outbox_endpoint_statement",
        ),
        # The sender's scan: an endpoint's pending statements, oldest first.
        db.Index(
            "ix_forwarding_outbox_pending",
            "endpoint_id",
            "id",
            sqlite_where=db.text("failed_at IS NULL"),
            postgresql_where=db.text("failed_at IS NULL"),
        ),
    )
