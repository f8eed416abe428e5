"""A hand-checked organisation for the manager dashboard tests.

Odense Kommune: AES (led by manager@example.org) with HJS, HJN and GTC below it.
Role profiles (set here, not the shipped ones): nurse needs use.video 2 and
use.secure 2; care_assistant needs use.video 1; other job roles need nothing.

HJS  learner@example.org  nurse           no certificates
HJS  n1                   nurse           video 2 (+200 d), secure 2 (+40 d)
HJS  n2                   nurse           video 2 expired (-10 d)
HJS  a1                   care_assistant  video 2, no expiry
HJN  n3                   nurse           video 1 (+300 d), secure 2 revoked
SUN  s1 (Svendborg)       nurse           video 2 (+300 d)

Heat map of AES: use.video HJS 2/4, HJN 0/1, all 2/5; use.secure HJS 1/3,
HJN 0/1, all 1/4. Expiring within 90 days: n1 use.secure.
"""

import itertools
from datetime import UTC, datetime, timedelta

from lms.competence.projection import refresh_staff
from lms.extensions import db
from lms.models import RoleProfile, RoleRequirement, Unit, User

NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
_serial = itertools.count(1)


def unit(code: str) -> Unit:
    """Return a demo unit by code."""
    return db.session.execute(db.select(Unit).filter_by(code=code)).scalar_one()


def set_profiles() -> None:
    """Replace the role profiles with the small hand-checked ones."""
    db.session.execute(db.delete(RoleRequirement))
    db.session.execute(db.delete(RoleProfile))
    for job_role, levels in {
        "nurse": {"use.video": 2, "use.secure": 2},
        "care_assistant": {"use.video": 1},
    }.items():
        profile = RoleProfile(job_role=job_role)
        profile.requirements = [
            RoleRequirement(competence_id=c, level=level) for c, level in levels.items()
        ]
        db.session.add(profile)
    db.session.flush()
    refresh_staff(db.session.execute(db.select(User.id)).scalars())
    db.session.commit()


def _signing_key():
    from lms.models.certificates import SigningKey

    key = db.session.execute(db.select(SigningKey)).scalars().first()
    if key is None:
        key = SigningKey(kid="key-test", public_key_multibase="z6MkTest")
        db.session.add(key)
        db.session.flush()
    return key


def certify(
    user: User,
    competences: dict[str, int],
    expires_at: datetime | None,
    *,
    revoked: bool = False,
    slug: str = "video-consultations",
):
    """Give a person a certificate attesting competences; commits."""
    from lms.models.certificates import Certificate

    n = next(_serial)
    certificate = Certificate(
        code=f"TEST{n:06d}",
        holder_id=user.id,
        holder_name=user.name,
        achievement_kind="module",
        achievement_slug=slug,
        achievement_version="1.0.0",
        title_da=slug,
        title_en=slug,
        competences=[{"id": c, "level": level} for c, level in competences.items()],
        issuer_name="Test",
        registration=f"00000000-0000-0000-0000-{n:012d}",
        issued_at=NOW - timedelta(days=400),
        expires_at=expires_at,
        revoked_at=NOW - timedelta(days=1) if revoked else None,
        status_index=n,
        cycle=n,
        signing_key_id=_signing_key().id,
        credential="{}",
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate


def build(make_user) -> dict[str, User]:
    """Create the people and certificates of the module docstring."""
    set_profiles()
    people = {
        "learner": db.session.execute(
            db.select(User).filter_by(email="learner@example.org")
        ).scalar_one(),
        "n1": make_user(unit_code="HJS", job_role="nurse", email="n1@example.org"),
        "n2": make_user(unit_code="HJS", job_role="nurse", email="n2@example.org"),
        "a1": make_user(
            unit_code="HJS", job_role="care_assistant", email="a1@example.org"
        ),
        "n3": make_user(unit_code="HJN", job_role="nurse", email="n3@example.org"),
        "s1": make_user(unit_code="HJV", job_role="nurse", email="s1@example.org"),
    }
    day = timedelta(days=1)
    certify(people["n1"], {"use.video": 2}, NOW + 200 * day)
    certify(
        people["n1"], {"use.secure": 2}, NOW + 40 * day, slug="secure-communication"
    )
    certify(people["n2"], {"use.video": 2}, NOW - 10 * day)
    certify(people["a1"], {"use.video": 2}, None)
    certify(people["n3"], {"use.video": 1}, NOW + 300 * day)
    certify(
        people["n3"],
        {"use.secure": 2},
        NOW + 300 * day,
        revoked=True,
        slug="secure-communication",
    )
    certify(people["s1"], {"use.video": 2}, NOW + 300 * day)
    return people
