"""Organisations and their unit trees."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow

ORGANISATION_KINDS = ("municipality", "hospital", "region", "university_college")


class Organisation(db.Model):
    """A municipality, hospital, region or university college."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: One of ORGANISATION_KINDS.
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    units: Mapped[list["Unit"]] = relationship(back_populates="organisation")


class Unit(db.Model):
    """A ward, a home-care district or any other node of an organisation's tree."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: The unit above this one; None for the organisation's top units.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Stable short code used in CSV imports, unique per organisation.
    code: Mapped[str] = mapped_column(String(64))

    organisation: Mapped[Organisation] = relationship(back_populates="units")
    parent: Mapped["Unit | None"] = relationship(remote_side=[id])

    __table_args__ = (db.UniqueConstraint("organisation_id", "code"),)

    @property
    def path(self) -> str:
        """Return the unit's name with its ancestors, top first."""
        names, unit = [], self
        while unit is not None:
            names.append(unit.name)
            unit = unit.parent
        return " / ".join(reversed(names))
