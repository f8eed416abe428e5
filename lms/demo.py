"""Demo data: organisations, one user per role and a cohort. Safe to run twice."""

import logging

from lms.content import current_version
from lms.extensions import db
from lms.models import Cohort, ManagedUnit, Organisation, Unit, User

log = logging.getLogger(__name__)

ORGANISATIONS = [
    (
        "Odense Kommune",
        "municipality",
        [
            ("AES", "Ældre og Sundhed", None),
            ("HJS", "Hjemmeplejen Syd", "AES"),
            ("HJN", "Hjemmeplejen Nord", "AES"),
            ("GTC", "Genoptræningscenter Odense", "AES"),
        ],
    ),
    (
        "Svendborg Kommune",
        "municipality",
        [
            ("SUN", "Sundhed og Omsorg", None),
            ("HJV", "Hjemmeplejen Vest", "SUN"),
            ("SHC", "Sundhedscenter Svendborg", "SUN"),
        ],
    ),
    (
        "Odense Universitetshospital",
        "hospital",
        [
            ("MED", "Medicinsk Afdeling M", None),
            ("MEDS", "Sengeafsnit M2", "MED"),
        ],
    ),
    (
        "UCL Erhvervsakademi og Professionshøjskole",
        "university_college",
        [
            ("SUU", "Sundhedsuddannelserne", None),
        ],
    ),
]

#: email, name, roles, (organisation, unit code), job role, password. Demo only.
USERS = [
    (
        "learner@example.org",
        "Lene Sørensen",
        {"learner"},
        ("Odense Kommune", "HJS"),
        "nurse",
        "learner-demo-2026",
    ),
    (
        "educator@example.org",
        "Erik Møller",
        {"educator"},
        ("UCL Erhvervsakademi og Professionshøjskole", "SUU"),
        None,
        "educator-demo-2026",
    ),
    (
        "manager@example.org",
        "Mette Åberg",
        {"manager"},
        ("Odense Kommune", "AES"),
        None,
        "manager-demo-2026",
    ),
    (
        "admin@example.org",
        "Anders Holm",
        {"admin"},
        ("UCL Erhvervsakademi og Professionshøjskole", "SUU"),
        None,
        "admin-demo-2026",
    ),
]

COHORT = "Bliv Digital Kompetent – hold 1"


def _organisations() -> dict[tuple[str, str], Unit]:
    units = {}
    for name, kind, tree in ORGANISATIONS:
        org = db.session.execute(
            db.select(Organisation).filter_by(name=name)
        ).scalar_one_or_none() or Organisation(name=name, kind=kind)
        db.session.add(org)
        for code, unit_name, parent in tree:
            unit = (
                db.session.execute(
                    db.select(Unit).filter_by(organisation=org, code=code)
                ).scalar_one_or_none()
                if org.id
                else None
            )
            if unit is None:
                unit = Unit(
                    organisation=org,
                    code=code,
                    name=unit_name,
                    parent=units.get((name, parent)),
                )
                db.session.add(unit)
            units[(name, code)] = unit
        db.session.flush()
    return units


def _users(units) -> dict[str, User]:
    people = {}
    for email, name, roles, unit_key, job_role, password in USERS:
        user = db.session.execute(
            db.select(User).filter_by(email=email)
        ).scalar_one_or_none()
        if user is None:
            user = User(
                email=email, name=name, primary_unit=units[unit_key], job_role=job_role
            )
            user.set_roles(roles)
            user.set_password(password)
            db.session.add(user)
        people[email] = user
    db.session.flush()
    manager = people["manager@example.org"]
    unit = units[("Odense Kommune", "AES")]
    if db.session.get(ManagedUnit, (manager.id, unit.id)) is None:
        db.session.add(ManagedUnit(user_id=manager.id, unit_id=unit.id))
    return people


def _cohort(people) -> None:
    cohort = db.session.execute(
        db.select(Cohort).filter_by(name=COHORT)
    ).scalar_one_or_none()
    if cohort is None:
        cohort = Cohort(name=COHORT, module_slug="video-consultations")
        cohort.members = [people["learner@example.org"]]
        cohort.educators = [people["educator@example.org"]]
        db.session.add(cohort)


def load_demo() -> list[tuple[str, str]]:
    """Create the demo organisations, users and cohort; return logins."""
    units = _organisations()
    people = _users(units)
    if current_version("video-consultations") is not None:
        _cohort(people)
    db.session.commit()
    log.info("demo data ready")
    return [(email, password) for email, *_rest, password in USERS]
