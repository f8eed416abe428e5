"""Certificates and the keys that sign them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, new_uuid, utcnow
from lms.models.user import User

ACHIEVEMENT_KINDS = ("module", "programme")


class SigningKey(db.Model):
    """An Ed25519 key of the issuer; retired keys stay published for old credentials.

    Only the public half is stored here. The private half lives in the instance folder
    (instance/signing-keys/<kid>.pem) or comes from LMS_SIGNING_KEY.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Fragment of the verification method in the DID document, e.g. "key-1a2b…".
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    #: The public key as a Multikey: "z6Mk…" (base58btc of 0xed01 + 32 bytes).
    public_key_multibase: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when a newer key took over; the key still verifies what it signed.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Certificate(db.Model):
    """A certificate issued once per holder, achievement and recertification cycle."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public id in URLs and the credential's urn:uuid.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    #: The unguessable code of /verify/<code>, without ambiguous letters.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The holder's name as printed; the certificate says what it said when issued.
    holder_name: Mapped[str] = mapped_column(String(200))
    #: Set when the holder was erased: the name and our copies of the PDF and the
    #: credential are gone; the record still verifies, without a name.
    holder_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The holder's language at issue, which the PDF is written in.
    locale: Mapped[str] = mapped_column(String(8), default="da")
    #: One of ACHIEVEMENT_KINDS.
    achievement_kind: Mapped[str] = mapped_column(String(16))
    achievement_slug: Mapped[str] = mapped_column(String(100))
    #: The module or programme version whose completion earned it.
    achievement_version: Mapped[str] = mapped_column(String(32))
    title_da: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    #: [{"id", "level", "name": {da, en}, "level_name": {da, en}}], as attested.
    competences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: The organisation that issues every certificate (LMS_ISSUER_NAME).
    issuer_name: Mapped[str] = mapped_column(String(200))
    #: The organisation of the educators of the holder's cohort, if any.
    institution_name: Mapped[str | None] = mapped_column(String(200))
    #: The xAPI registration of the enrolment whose completion earned it.
    registration: Mapped[str] = mapped_column(String(36))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None when the module or programme sets no certificate_valid_months.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Which bitstring status list holds the revocation bit, and where in it.
    status_list: Mapped[int] = mapped_column(default=1)
    status_index: Mapped[int]
    #: 0 for the first certificate; each recertification continues the chain.
    cycle: Mapped[int] = mapped_column(default=0)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    #: The signed Open Badges 3.0 credential, byte for byte as signed.
    credential: Mapped[str] = mapped_column(Text)
    #: The rendered PDF, cached; deferred so verification never loads it.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    holder: Mapped[User] = relationship(foreign_keys=[holder_id])
    previous: Mapped["Certificate | None"] = relationship(remote_side=[id])
    signing_key: Mapped[SigningKey] = relationship()

    __table_args__ = (
        # Issuing exactly once, even when two completions race.
        db.UniqueConstraint(
            "holder_id", "achievement_kind", "achievement_slug", "cycle"
        ),
        db.UniqueConstraint("status_list", "status_index"),
    )

    def title(self, locale: str) -> str:
        """Return the achievement's title in the given language."""
        return self.title_en if locale == "en" else self.title_da

    def status(self, now: datetime) -> str:
        """Return "revoked", "expired" or "valid" at the given time."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "valid"
