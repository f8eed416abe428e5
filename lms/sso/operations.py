"""Find, link or create the account of a person signed in by the identity provider."""

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from lms.audit import audit
from lms.extensions import db
from lms.models import Organisation, Unit, User, UserIdentity
from lms.models.common import utcnow
from lms.sso.errors import (
    AccountInactive,
    EmailTaken,
    MissingClaim,
    NoAccount,
    SSOError,
    UnknownOrganisation,
    UnknownUnit,
)
from lms.sso.settings import OIDCSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """What the provider says about the person, in our terms."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    organisation: str | None
    unit_code: str | None


def _text(value: Any) -> str | None:
    """Return a claim as stripped text; numbers count, lists and objects do not."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        return str(value).strip() or None
    return None


def person_from_claims(claims: dict[str, Any], settings: OIDCSettings) -> Person:
    """Read the verified claims with the configured claim names."""
    name = _text(claims.get("name")) or " ".join(
        part
        for part in (_text(claims.get("given_name")), _text(claims.get("family_name")))
        if part
    )
    email = _text(claims.get("email"))
    verified = claims.get("email_verified")
    organisation = _text(claims.get(settings.org_claim)) if settings.org_claim else None
    unit_code = _text(claims.get(settings.unit_claim)) if settings.unit_claim else None
    return Person(
        issuer=claims["iss"],
        subject=str(claims["sub"]),
        email=email.lower() if email else None,
        # Some providers send the flag as a string.
        email_verified=verified is True or verified == "true",
        name=name or None,
        organisation=organisation or settings.organisation or None,
        unit_code=unit_code,
    )


def sign_in(person: Person, settings: OIDCSettings, locale: str) -> User:
    """Return the person's user: found by (issuer, subject), linked or created."""
    try:
        return _sign_in(person, settings, locale)
    except IntegrityError:
        # The same first login finished at once in another tab: find it now.
        db.session.rollback()
        return _sign_in(person, settings, locale)


def _sign_in(person: Person, settings: OIDCSettings, locale: str) -> User:
    identity = db.session.execute(
        db.select(UserIdentity).filter_by(issuer=person.issuer, subject=person.subject)
    ).scalar_one_or_none()
    try:
        if identity is not None:
            user = _returning(identity, person)
        else:
            user = _first_login(person, settings, locale)
    except SSOError:
        db.session.commit()  # keep the audit records of a refusal
        raise
    db.session.commit()
    log.info("user %s signed in through single sign-on", user.id)
    return user


def _returning(identity: UserIdentity, person: Person) -> User:
    """Bring a known user's unit and e-mail up to date with the provider."""
    user = identity.user
    if not user.active:
        raise AccountInactive()
    identity.last_login_at = utcnow()
    try:
        unit = _unit(person)
    except (UnknownOrganisation, UnknownUnit) as error:
        # Never lock out known staff over a unit we lack; keep theirs and say so.
        _refusal(person, error, kept_unit=True)
        unit = None
    if unit is not None and unit.id != user.primary_unit_id:
        audit(
            "sso.unit_changed",
            "user",
            user.uuid,
            user,
            {"from_unit_id": user.primary_unit_id, "to_unit_id": unit.id},
        )
        user.primary_unit = unit
    _update_email(user, person)
    if person.name:
        user.name = person.name[:200]
    return user


def _update_email(user: User, person: Person) -> None:
    """Follow a verified change of e-mail address, unless another account has it."""
    if not person.email or not person.email_verified or person.email == user.email:
        return
    if _user_by_email(person.email) is not None:
        return
    audit("sso.email_changed", "user", user.uuid, user, {"field": "email"})
    user.email = person.email


def _first_login(person: Person, settings: OIDCSettings, locale: str) -> User:
    """Link an existing account by verified e-mail, or create one."""
    try:
        unit = _unit(person, required=bool(settings.unit_claim))
    except SSOError as error:
        raise _refusal(person, error) from None
    user = _linkable(person, settings)
    if user is not None:
        _link(user, person, unit)
        return user
    if not settings.create_users:
        raise _refusal(person, NoAccount())
    if not person.email:
        raise _refusal(person, MissingClaim("missing_email"))
    if _user_by_email(person.email) is not None:
        raise _refusal(person, EmailTaken())
    user = User(
        email=person.email,
        name=(person.name or person.email)[:200],
        password_hash=None,  # signs in only through the provider until one is set
        locale=locale,
        primary_unit=unit,
    )
    user.set_roles({"learner"})
    db.session.add(user)
    db.session.add(_identity(user, person))
    db.session.flush()
    audit(
        "sso.user_created",
        "user",
        user.uuid,
        None,
        {"issuer": person.issuer, "unit_id": unit.id if unit else None},
    )
    return user


def _linkable(person: Person, settings: OIDCSettings) -> User | None:
    """Return the account to link by e-mail, when allowed and the e-mail verified."""
    if not (settings.link_by_email and person.email and person.email_verified):
        return None
    user = _user_by_email(person.email)
    if user is None:
        return None
    if not user.active:
        raise AccountInactive()
    other = db.session.execute(
        db.select(UserIdentity).filter_by(user_id=user.id, issuer=person.issuer)
    ).scalar_one_or_none()
    if other is not None:
        # One provider account per user: a second one may not take this one over.
        raise _refusal(person, EmailTaken("already_linked"))
    return user


def _link(user: User, person: Person, unit: Unit | None) -> None:
    """Attach the provider account to an existing user."""
    db.session.add(_identity(user, person))
    audit("sso.identity_linked", "user", user.uuid, user, {"issuer": person.issuer})
    if unit is not None and unit.id != user.primary_unit_id:
        audit(
            "sso.unit_changed",
            "user",
            user.uuid,
            user,
            {"from_unit_id": user.primary_unit_id, "to_unit_id": unit.id},
        )
        user.primary_unit = unit


def _identity(user: User, person: Person) -> UserIdentity:
    return UserIdentity(
        user=user,
        issuer=person.issuer,
        subject=person.subject,
        last_login_at=utcnow(),
    )


def _user_by_email(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(func.lower(User.email) == email.lower())
    ).scalar_one_or_none()


def _unit(person: Person, required: bool = False) -> Unit | None:
    """Return the unit named by the claims, by code, within the organisation."""
    organisation = None
    if person.organisation:
        organisation = db.session.execute(
            db.select(Organisation).where(
                func.lower(Organisation.name) == person.organisation.lower()
            )
        ).scalar_one_or_none()
        if organisation is None:
            raise UnknownOrganisation()
    if not person.unit_code:
        if required:
            raise MissingClaim("missing_unit")
        return None
    query = db.select(Unit).where(func.lower(Unit.code) == person.unit_code.lower())
    if organisation is not None:
        query = query.where(Unit.organisation_id == organisation.id)
    units = db.session.execute(query.limit(2)).scalars().all()
    if len(units) != 1:  # none, or the same code in several organisations
        raise UnknownUnit()
    return units[0]


def _refusal(person: Person, error: SSOError, kept_unit: bool = False) -> SSOError:
    """Audit a refused or partial single sign-on and return the error to raise."""
    detail = {
        "reason": error.reason,
        "issuer": person.issuer,
        "subject": person.subject,
        "organisation": person.organisation,
        "unit_code": person.unit_code,
    }
    if kept_unit:
        detail["kept_unit"] = True
    action = "sso.unit_unknown" if kept_unit else "sso.refused"
    audit(action, "sso_identity", person.subject[:64], None, detail)
    log.info("sso sign-in: %s", error.reason)
    return error
