"""`flask --app lms demo --scale large`: a large installation for the dashboard bench.

3 municipalities and 1 hospital with 200 units, 10,000 staff, 1,000,000 xAPI
statements on the programme's modules, certificates with spread-out expiry, and
required training. Statements go through the statement store's batch path
(store_batch, which inserts with xapi.store.bulk); the progress projection of each
enrolment is folded with lms.progress.apply, the same function `progress rebuild`
uses, and written in bulk. The dashboard rollups are then built by the rebuild.

Large-demo certificates carry no signed credential: they exist to give the
dashboard realistic volume, not to be verified.
"""

import logging
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from lms.competence import projection
from lms.competence.attestations import add_months
from lms.competence.membership import _record, matching_users
from lms.competence.profiles import seed_role_profiles
from lms.content import current_version, module_of
from lms.extensions import db
from lms.models import (
    ActivityProgress,
    Assignment,
    Enrolment,
    ManagedUnit,
    Organisation,
    Unit,
    User,
    UserRole,
)
from lms.progress import EnrolmentState, apply
from lms.records import authority
from lms.statements import activity_object, base_url, module_object
from xapi import builders as b
from xapi.store import store_batch

log = logging.getLogger(__name__)

PROGRAMME = "bliv-digital-kompetent"
ORGANISATIONS = [
    ("Storby Kommune (demo)", "municipality", "SK"),
    ("Kystby Kommune (demo)", "municipality", "KK"),
    ("Skovby Kommune (demo)", "municipality", "VK"),
    ("Regionshospitalet Midt (demo)", "hospital", "RH"),
]
AREAS, TEAMS = 7, 6  # per organisation: 1 + 7 + 7 * 6 = 50 units
JOB_ROLES = [
    ("nurse", 30),
    ("care_assistant", 30),
    ("care_helper", 20),
    ("physiotherapist", 8),
    ("occupational_therapist", 7),
    ("other", 5),
]
FIRST = ["Anne", "Bo", "Camilla", "Dorthe", "Emil", "Fatima", "Gitte", "Hans", "Ida"]
LAST = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Larsen", "Khan", "Holm"]
PASSWORD = "large-demo-2026"
BATCH = 5000


def load_large_demo(
    *,
    staff: int = 10_000,
    statements: int = 1_000_000,
    echo: Callable[[str], None] = print,
    seed: int = 2026,
) -> None:
    """Create the large demo once; a second run finds it and does nothing."""
    exists = db.session.execute(
        db.select(Organisation.id).filter_by(name=ORGANISATIONS[0][0])
    ).first()
    if exists is not None:
        echo("large demo already loaded")
        return
    started, rng = time.monotonic(), random.Random(seed)
    seed_role_profiles()
    leaves, tops = _organisations()
    units = db.session.execute(db.select(db.func.count(Unit.id))).scalar()
    echo(f"{units} units in {time.monotonic() - started:.0f} s")
    people = _staff(rng, staff, leaves)
    _managers(tops)
    echo(f"{len(people)} staff in {time.monotonic() - started:.0f} s")
    count, completions = _learning(rng, people, statements, echo, started)
    echo(f"{count} statements in {time.monotonic() - started:.0f} s")
    _certificates(completions)
    echo(f"{len(completions)} certificates in {time.monotonic() - started:.0f} s")
    _assignments(tops)
    projection.rebuild(check=False)
    db.session.commit()
    echo(f"large demo ready in {time.monotonic() - started:.0f} s")


def _organisations() -> tuple[list[int], list[Unit]]:
    """Return the leaf units (the hospital's twice: it has the most staff) and tops."""
    leaves, tops = [], []
    for name, kind, code in ORGANISATIONS:
        org = Organisation(name=name, kind=kind)
        top = Unit(organisation=org, code=code, name=name.replace(" (demo)", ""))
        db.session.add_all([org, top])
        tops.append(top)
        for area in range(1, AREAS + 1):
            middle = Unit(
                organisation=org,
                code=f"{code}-{area}",
                name=f"Område {area}",
                parent=top,
            )
            db.session.add(middle)
            for team in range(1, TEAMS + 1):
                leaf = Unit(
                    organisation=org,
                    code=f"{code}-{area}-{team}",
                    name=f"Team {area}.{team}",
                    parent=middle,
                )
                db.session.add(leaf)
                leaves.extend([leaf] * (2 if kind == "hospital" else 1))
    db.session.commit()
    return [leaf.id for leaf in leaves], tops


def _staff(rng: random.Random, count: int, leaves: list[int]) -> list[dict]:
    roles = [key for key, weight in JOB_ROLES for _ in range(weight)]
    rows = [
        {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "email": f"staff{n:05d}@large.example.org",
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            # Not a hash of anything: these demo staff cannot sign in.
            "password_hash": "!",
            "locale": "da",
            "primary_unit_id": leaves[n % len(leaves)],
            "job_role": rng.choice(roles),
            "active": True,
            "created_at": datetime.now(UTC),
        }
        for n in range(count)
    ]
    table = User.__table__
    ids = db.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    ).scalars()
    for row, user_id in zip(rows, ids, strict=True):
        row["id"] = user_id
    db.session.execute(
        insert(UserRole.__table__),
        [{"user_id": r["id"], "role": "learner"} for r in rows],
    )
    db.session.commit()
    return rows


def _managers(tops: list[Unit]) -> None:
    """One manager per organisation, and one who leads all four (for the bench)."""
    everyone = User(email="large-overview@example.org", name="Overblik Demo")
    everyone.set_roles({"manager"})
    everyone.set_password(PASSWORD)
    db.session.add(everyone)
    for top in tops:
        manager = User(
            email=f"large-manager-{top.code.lower()}@example.org",
            name=f"Leder {top.name}",
            primary_unit_id=top.id,
        )
        manager.set_roles({"manager"})
        manager.set_password(PASSWORD)
        db.session.add(manager)
        db.session.flush()
        db.session.add(ManagedUnit(user_id=manager.id, unit_id=top.id))
        db.session.add(ManagedUnit(user_id=everyone.id, unit_id=top.id))
    db.session.commit()


# --- Learning records --------------------------------------------------------------


def _learning(rng, people, target: int, echo, started) -> tuple[int, list[tuple]]:
    """Write statements, enrolments and their projections; return completions."""
    from lms.programmes import current_programme, programme_of

    slugs = programme_of(current_programme(PROGRAMME)).modules
    versions = {slug: current_version(slug) for slug in slugs}
    # A little over target per person: some people run out of modules first.
    per_person = max(1, round(1.01 * target / max(1, len(people))))
    now = datetime.now(UTC)
    pending: list[dict] = []
    enrolments: list[tuple[dict, EnrolmentState]] = []
    completions: list[tuple] = []
    count = 0
    for person in people:
        budget = per_person + rng.randint(-per_person // 5, per_person // 5)
        for slug in slugs:
            if budget <= 0:
                break
            module = module_of(versions[slug])
            start = now - timedelta(
                days=rng.randint(1, 700), minutes=rng.randint(0, 600)
            )
            enrolment = {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "user_id": person["id"],
                "module_version_id": versions[slug].id,
                "enrolled_at": start,
            }
            made = _module_statements(rng, person, enrolment, module, start, budget)
            budget -= len(made)
            state = EnrolmentState()
            for statement in made:
                apply(module, state, statement, base_url())
            pending.extend(made)
            enrolments.append((enrolment, state))
            if state.completed_at is not None:
                completions.append(
                    (person["id"], module, state.completed_at, enrolment)
                )
        if len(pending) >= BATCH:
            count += _flush(pending, enrolments)
            pending, enrolments = [], []
            if count // 100_000 != (count - BATCH) // 100_000:
                echo(f"  {count} statements in {time.monotonic() - started:.0f} s")
    count += _flush(pending, enrolments)
    return count, completions


def _module_statements(rng, person, enrolment, module, start, budget) -> list[dict]:
    """Statements of one enrolment, in time order, as the live app would write."""
    base = base_url()
    actor = b.actor(base, person["uuid"])
    moment = [start]

    def say(verb, obj, parent=None, result=None) -> dict:
        moment[0] += timedelta(minutes=rng.randint(2, 90))
        context = {
            "registration": enrolment["uuid"],
            "contextActivities": _context_activities(module.slug, parent),
        }
        return b.statement(
            actor, verb, obj, context=context, result=result, timestamp=moment[0]
        )

    made = [say("registered", _object(module, None))]
    # Most people work through the whole module; some stop part way.
    depth = len(module.activities) if rng.random() < 0.6 else rng.randint(0, 4)
    for activity in module.activities[:depth]:
        if len(made) >= budget:
            break
        obj = _object(module, activity)
        made.append(say("experienced", obj))
        made.extend(_finish(rng, say, b.ActivityIds(base), module, activity, obj))
    if depth == len(module.activities) and len(made) < budget + 20:
        made.append(
            say("completed", _object(module, None), result=b.result(completion=True))
        )
    return made


_cache: dict[tuple, dict] = {}


def _context_activities(slug: str, parent: str | None) -> dict:
    """Context activities depend only on the module and the parent: build them once.

    Statements share them read-only: the store's enrich copies what it changes.
    """
    key = ("context", base_url(), slug, parent)
    if key not in _cache:
        _cache[key] = b.Context(
            base_url(),
            registration=str(uuid.UUID(int=0)),
            module_slug=slug,
            programme_slug=PROGRAMME,
            parent_id=parent,
        ).context_activities()
    return _cache[key]


def _object(module, activity) -> dict:
    """The statement object of a module or one of its activities, built once."""
    key = ("object", base_url(), module.slug, module.version, activity and activity.id)
    if key not in _cache:
        _cache[key] = (
            module_object(module)
            if activity is None
            else activity_object(module, activity)
        )
    return _cache[key]


def _finish(rng, say, ids, module, activity, obj) -> list[dict]:
    """The statements that make one activity done."""
    parent = ids.activity(module.slug, activity.kind, activity.id)
    if activity.kind == "lesson":
        return [say("completed", obj)]
    if activity.kind == "case":
        steps = [
            say(
                "answered",
                b.activity_object(
                    ids.case_step(module.slug, activity.id, step.id),
                    "interaction",
                    name=step.prompt,
                ),
                parent=parent,
                result=b.result(response=step.options[0].id),
            )
            for step in activity.content.steps
        ]
        return [*steps, say("completed", obj)]
    if activity.kind == "quiz":
        answers = [
            say(
                "answered",
                b.activity_object(
                    ids.question(module.slug, activity.id, question.id),
                    "interaction",
                    name=question.prompt,
                ),
                parent=parent,
                result=b.result(success=rng.random() < 0.85),
            )
            for question in activity.content.questions
        ]
        score = round(rng.uniform(0.8, 1.0), 2)
        outcome = b.result(score_scaled=score, success=True, completion=True)
        return [say("attempted", obj), *answers, say("passed", obj, result=outcome)]
    if activity.kind == "practice_task":
        return [
            say("submitted", obj),
            say("passed", obj, result=b.result(success=True)),
        ]
    return [say("attended", obj)]


def _flush(
    statements: list[dict], enrolments: list[tuple[dict, EnrolmentState]]
) -> int:
    """Store a batch of statements and the enrolments they belong to; commit."""
    if not statements:
        return 0
    store_batch(db.session.connection(), statements, authority(), validate=False)
    table = Enrolment.__table__
    rows = []
    for enrolment, state in enrolments:
        rows.append(
            enrolment
            | {
                "progress_percent": state.progress_percent,
                "completed_at": state.completed_at,
                "last_activity_id": state.last_activity_id,
            }
        )
    ids = db.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    ).scalars()
    progress = []
    for (enrolment, state), enrolment_id in zip(enrolments, ids, strict=True):
        enrolment["id"] = enrolment_id
        progress.extend(
            {
                "enrolment_id": enrolment_id,
                "activity_id": activity_id,
                "status": activity.status,
                "detail": activity.detail,
                "updated_at": activity.updated_at,
            }
            for activity_id, activity in state.activities.items()
        )
    if progress:
        db.session.execute(insert(ActivityProgress.__table__), progress)
    db.session.commit()
    return len(statements)


def _certificates(completions: list[tuple]) -> None:
    """One certificate per completed module, valid for the module's months."""
    from lms.models.certificates import Certificate, SigningKey

    key = SigningKey(kid="large-demo", public_key_multibase="z-large-demo-unused")
    db.session.add(key)
    db.session.flush()
    rows = []
    for index, (user_id, module, completed_at, enrolment) in enumerate(completions):
        months = module.certificate_valid_months
        rows.append(
            {
                "uuid": str(uuid.uuid4()),
                "code": f"LD{index:08d}",
                "holder_id": user_id,
                "holder_name": "",
                "locale": "da",
                "achievement_kind": "module",
                "achievement_slug": module.slug,
                "achievement_version": module.version,
                "title_da": module.title["da"],
                "title_en": module.title["en"],
                "competences": [
                    {"id": c.id, "level": c.level} for c in module.competences
                ],
                "issuer_name": "Bliv Digital Kompetent (demo)",
                "institution_name": None,
                "registration": enrolment["uuid"],
                "issued_at": completed_at,
                "expires_at": add_months(completed_at, months) if months else None,
                "status_list": 0,
                "status_index": index,
                "cycle": 0,
                "signing_key_id": key.id,
                "credential": "{}",
            }
        )
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Certificate.__table__), rows[start : start + BATCH])
    db.session.commit()


def _assignments(tops: list[Unit]) -> None:
    """Assign training: one module per municipality, every module in the hospital."""
    today = datetime.now(UTC).date()
    plans = {
        "municipality": [
            ("secure-communication", -30),
            ("video-consultations", 20),
            ("digital-relationships", 120),
        ],
    }
    creator = db.session.execute(
        db.select(User).filter_by(email="large-overview@example.org")
    ).scalar_one()
    from lms.programmes import current_programme, programme_of

    modules = programme_of(current_programme(PROGRAMME)).modules
    for index, top in enumerate(tops):
        kind = top.organisation.kind
        if kind == "hospital":
            chosen = [(slug, 10 + 3 * n) for n, slug in enumerate(modules)]
        else:
            chosen = [plans["municipality"][index % 3]]
        for slug, days in chosen:
            assignment = Assignment(
                unit_id=top.id,
                kind="module",
                slug=slug,
                due_on=today + timedelta(days=days),
                created_by_id=creator.id,
            )
            db.session.add(assignment)
            db.session.flush()
            # Staff are enrolled already; record who the assignment covers.
            _record(assignment, matching_users(assignment), None, datetime.now(UTC))
    db.session.commit()
