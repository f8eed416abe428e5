"""A world where every object belongs to someone else, shared by a test module.

The acting accounts are the demo users (learner, educator, manager, admin). Every
object the authorization matrix and the form fuzzer point at belongs to an *owner*
outside their reach:

- ``owner_learner`` (Hjemmeplejen Vest, Svendborg) is enrolled on two modules, has
  a finished quiz attempt, a practice task with a file waiting for review, a
  certificate, and is in ``owner_educator``'s cohort;
- ``owner_educator`` runs that cohort (same module as the demo educator's cohort)
  and a second one, with a session that has begun, and owns two module drafts;
- ``owner_manager`` leads Svendborg (SUN) and assigned training there;
- LRS clients, one per xAPI scope, and a statement and documents written by another
  client.

Building it takes a while, so a module builds it once, snapshots every table and
puts the snapshot back after a request changed something (``World.restore``).
Comparing the tables with the snapshot (``World.changed``) also proves that a
refused request changed nothing.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import LargeBinary, select, text

from lms.content import current_version
from lms.extensions import db, limiter
from lms.lrs.credentials import invalidate
from lms.models import (
    Cohort,
    ManagedUnit,
    ModuleFile,
    QuizAttempt,
    Submission,
    Unit,
    User,
)
from lms.operations.assignments import create_assignment
from lms.operations.lrs_clients import create_client
from tests.conftest import KEPT, _all_tables, _clean
from tests.lms import files
from tests.lms.certificates.conftest import certify
from tests.lms.cohort_support import make_cohort, make_session
from tests.lms.journey import correct_form, shipped_module

PASSWORD = "password-1234"
#: The acting accounts and their passwords.
DEMO = {
    "learner": ("learner@example.org", "learner-demo-2026"),
    "educator": ("educator@example.org", "educator-demo-2026"),
    "manager": ("manager@example.org", "manager-demo-2026"),
    "admin": ("admin@example.org", "admin-demo-2026"),
}
#: The owners of the objects, who are allowed what the actors are not.
OWNERS = {
    "owner_learner": ("owner.learner@example.org", "HJV", {"learner"}),
    "spare_learner": ("spare.learner@example.org", "SHC", {"learner"}),
    "owner_educator": ("owner.educator@example.org", "SUU", {"educator"}),
    "owner_manager": ("owner.manager@example.org", "SUN", {"manager"}),
}
#: The module of both educators' cohorts, the quiz and the task waiting for review.
MODULE = "video-consultations"
#: A module the owner learner has started but not handed in; only the owner
#: educator teaches it.
SECOND = "secure-communication"
#: The module of the owner learner's certificate.
CERTIFIED = "understanding-technology"
#: The module the owner manager assigned to Svendborg.
ASSIGNED = "digital-relationships"
PROGRAMME = "bliv-digital-kompetent"
#: A media file added to the published module for the length of the module.
MEDIA = "media/authz-matrix.png"
#: Every scope an LRS client may hold; actors "lrs:<scope>" hold just that one.
LRS_ACTOR_SCOPES = (
    "statements/write",
    "statements/read/mine",
    "statements/read",
    "state",
    "define",
    "profile",
)
XAPI_VERSION = {"X-Experience-API-Version": "1.0.3"}
ACTIVITY_IRI = "http://lms.test/xapi/activities/authz/one"
AGENT = '{"objectType": "Agent", "mbox": "mailto:someone@example.org"}'
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SHIPPED = Path(__file__).resolve().parents[2] / "modules" / MODULE


def basic(key: str, secret: str) -> str:
    """Return an HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class World:
    """Ids of the objects, the actors' sign-ins, and a snapshot of every table.

    A plain class: Hypothesis treats a dataclass argument of a test as data.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.ids: dict[str, object] = {}
        #: Session cookie of each signed-in account, by actor name.
        self.cookies: dict[str, str] = {}
        #: HTTP headers of each LRS actor ("lrs:<scope>").
        self.lrs_headers: dict[str, dict[str, str]] = {}
        self.snapshot: dict[str, list] = {}
        self.tables = _Tables(app)

    def __repr__(self) -> str:
        return f"World({len(self.ids)} ids)"

    def client(self, actor: str) -> FlaskClient:
        """Return a test client signed in as ``actor`` (none for anonymous)."""
        client = self.app.test_client()
        if actor in self.cookies:
            client.set_cookie("session", self.cookies[actor])
        return client

    def headers(self, actor: str, path: str) -> dict[str, str]:
        """Return the headers an actor sends: xAPI version and Basic credentials."""
        if not path.startswith("/xapi"):
            return {}
        return {**XAPI_VERSION, **self.lrs_headers.get(actor, {})}

    def fill(self, template: str) -> str:
        """Fill {placeholders} in a URL or form value with the world's ids."""
        return _PLACEHOLDER.sub(lambda match: str(self.ids[match[1]]), template)

    def changed(self) -> list[str]:
        """Return the tables whose rows differ from the snapshot."""
        now = take_snapshot(self.tables)
        return sorted(
            name
            for name, rows in now.items()
            # Throttling counts refused sign-ins too: counters, not data.
            if rows != self.snapshot[name] and not name.startswith("rate_limit")
        )

    def restore(self) -> None:
        """Put every table back as it was in the snapshot."""
        db.session.rollback()
        db.session.remove()
        tables = self.tables.changing
        with db.engine.begin() as connection:
            for table in reversed(tables):
                if (
                    table.name == "audit_records"
                    and connection.dialect.name != "sqlite"
                ):
                    # A trigger refuses DELETE on the audit log; TRUNCATE is the
                    # owner's way to empty it.
                    connection.execute(text("TRUNCATE audit_records"))
                else:
                    connection.execute(table.delete())
            for table in tables:
                rows = self._rows[table.name]
                if rows:
                    connection.execute(table.insert(), rows)
        _forget_caches()

    def seal(self) -> None:
        """Take the snapshot that ``changed`` and ``restore`` use."""
        db.session.remove()
        self.snapshot = take_snapshot(self.tables)
        self._rows = {
            table.name: [
                {column.key: row._mapping[column] for column in table.columns}
                for row in db.session.execute(select(table)).all()
            ]
            for table in self.tables.changing
        }
        db.session.remove()


class _Tables:
    """Every table, and a query of its rows (blobs by length) ordered by key.

    Built once: copying the metadata and compiling the queries anew for every
    snapshot would cost more than the requests under test.
    """

    def __init__(self, app: Flask) -> None:
        self.all = _all_tables(app)
        self.changing = [table for table in self.all if table.name not in KEPT]
        self.queries = {
            table.name: select(
                *[
                    db.func.length(c) if isinstance(c.type, LargeBinary) else c
                    for c in table.columns
                ]
            ).order_by(*table.primary_key.columns)
            for table in self.all
        }


def take_snapshot(tables: _Tables) -> dict[str, list]:
    """Return every table's rows (blobs by length), ordered by primary key."""
    found = {
        name: [tuple(row) for row in db.session.execute(query).all()]
        for name, query in tables.queries.items()
    }
    db.session.rollback()
    return found


def _forget_caches() -> None:
    """Forget what the app remembers between requests: credentials, rate limits."""
    invalidate()
    limiter.reset()


# --- Building the world -------------------------------------------------------------


def build(app: Flask) -> World:
    """Empty the tables, create the world, sign everyone in, take the snapshot."""
    from lms.demo import load_demo

    _clean(app)
    _forget_caches()
    load_demo()
    world = World(app)
    people = _people()
    world.ids |= {name: user.id for name, user in people.items()}
    world.ids |= {f"unit_{code}": _unit(code).id for code in ("SUN", "HJV", "AES")}
    _cohorts(world, people)
    _media(world)
    for actor, (email, password) in DEMO.items():
        world.cookies[actor] = _sign_in(app, email, password)
    for actor, (email, _unit_code, _roles) in OWNERS.items():
        world.cookies[actor] = _sign_in(app, email, PASSWORD)
    _learning(world, people)
    _drafts(world)
    _management(world, people)
    _lrs(world)
    db.session.commit()
    world.seal()
    return world


def _unit(code: str) -> Unit:
    return db.session.execute(select(Unit).filter_by(code=code)).scalar_one()


def _user(email: str) -> User:
    return db.session.execute(select(User).filter_by(email=email)).scalar_one()


def _people() -> dict[str, User]:
    people = {actor: _user(email) for actor, (email, _password) in DEMO.items()}
    for actor, (email, unit_code, roles) in OWNERS.items():
        user = User(
            email=email,
            name=f"Owner {actor.split('_')[1].title()}",
            primary_unit=_unit(unit_code),
            job_role="nurse" if "learner" in roles else None,
        )
        user.set_roles(roles)
        user.set_password(PASSWORD)
        db.session.add(user)
        people[actor] = user
    db.session.commit()
    return people


def _cohorts(world: World, people: dict[str, User]) -> None:
    """The owner educator's cohorts; the demo cohort (A) is the demo educator's."""
    own = make_cohort(
        people["owner_educator"], [people["owner_learner"]], slug=MODULE, name="Hold B"
    )
    second = make_cohort(
        people["owner_educator"], [people["owner_learner"]], slug=SECOND, name="Hold C"
    )
    started = make_session(own, people["owner_educator"], title="Session B")
    demo_cohort = db.session.execute(
        select(Cohort).where(Cohort.name != "Hold B", Cohort.name != "Hold C")
    ).scalar_one()
    world.ids |= {
        "cohort": own.id,
        "cohort_second": second.id,
        "cohort_demo": demo_cohort.id,
        "session": started.id,
    }


def _media(world: World) -> None:
    """Add an image to the published module (content is kept between tests)."""
    version = current_version(MODULE)
    if db.session.get(ModuleFile, (version.id, MEDIA)) is None:
        image = ModuleFile(version_id=version.id, path=MEDIA, content=files.png())
        db.session.add(image)
        db.session.commit()
    world.ids |= {"module": MODULE, "version": version.id, "media": MEDIA}


@contextmanager
def shared(app: Flask, storage: Path) -> Iterator[World]:
    """Build the world for a test module in an app context; clean up afterwards.

    Uploaded files and signing keys (the admin may rotate the key) go to
    ``storage``; the image added to published content goes away again at the end.
    """
    kept = {name: app.config.get(name) for name in _FOLDERS}
    app.config["LMS_STORAGE_DIR"] = str(storage / "uploads")
    app.config["LMS_SIGNING_KEYS_DIR"] = str(storage / "signing-keys")
    try:
        with app.app_context():
            world = build(app)
            try:
                yield world
            finally:
                _remove_media()
    finally:
        app.config.update(kept)


_FOLDERS = ("LMS_STORAGE_DIR", "LMS_SIGNING_KEYS_DIR")


def _remove_media() -> None:
    """Take the added image away again."""
    version = current_version(MODULE)
    found = db.session.get(ModuleFile, (version.id, MEDIA))
    if found is not None:
        db.session.delete(found)
        db.session.commit()


def _sign_in(app: Flask, email: str, password: str) -> str:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, (email, response.status_code)
    return client.get_cookie("session").value


def _learning(world: World, people: dict[str, User]) -> None:
    """The owner learner's enrolments, quiz attempt, task with a file, certificate."""
    client = world.client("owner_learner")
    base = f"/learn/modules/{MODULE}"
    assert client.post(f"{base}/enrol").status_code == 302
    assert client.post(f"/learn/modules/{SECOND}/enrol").status_code == 302
    quiz = shipped_module(MODULE).activity("final-quiz").content
    assert client.post(f"{base}/final-quiz/attempts").status_code == 302
    graded = client.post(f"{base}/final-quiz/attempts/1", data=correct_form(quiz))
    assert graded.status_code == 302
    task = shipped_module(MODULE).activity("first-consultation").content
    handed_in = client.post(
        f"{base}/first-consultation/submissions",
        data={
            "text": " ".join(["refleksion"] * max(task.min_words, 1)),
            "file": (io.BytesIO(files.pdf()), "rapport.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert handed_in.status_code == 302, handed_in.status_code
    submission = db.session.execute(select(Submission)).scalar_one()
    assert db.session.execute(select(QuizAttempt)).scalar_one().finished_at
    certificate = certify(people["owner_learner"], CERTIFIED)
    case = shipped_module(MODULE).activity("first-video-follow-up").content
    rubric = task.rubric
    world.ids |= {
        "case_step": case.steps[0].id,
        "case_option": next(o.id for o in case.steps[0].options if o.best),
        "second_version": current_version(SECOND).version,
        "review_form": {
            "decision": "approve",
            "feedback": "Fin refleksion.",
            **{f"score-{c.id}": str(c.max_score) for c in rubric},
        },
        "submission": submission.uuid,
        "certificate": certificate.uuid,
        "code": certificate.code,
        "second": SECOND,
        "programme": PROGRAMME,
    }


def _drafts(world: World) -> None:
    """Two drafts of the owner educator: one with an image, one exactly as shipped.

    Publishing the second changes no module version, so it can be allowed safely.
    """
    from modules import read_package

    shipped = read_package(_SHIPPED)
    with_image = dict(shipped)
    toml = with_image["module.toml"].decode()
    with_image["module.toml"] = re.sub(
        r'(?m)^version = ".*"$', 'version = "99.0.0"', toml
    ).encode()
    with_image["media/diagram.png"] = files.png()
    client = world.client("owner_educator")
    for name, package in (("draft", with_image), ("draft_same", shipped)):
        response = client.post(
            "/teach/modules/",
            data={"package": (io.BytesIO(make_zip(package)), "package.zip")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.status_code
        world.ids[name] = response.headers["Location"].rsplit("/", 1)[-1]


def make_zip(package: dict[str, bytes]) -> bytes:
    """Zip a package inside a folder, as authors do."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in package.items():
            archive.writestr(f"{MODULE}/{path}", content)
    return buffer.getvalue()


def _management(world: World, people: dict[str, User]) -> None:
    """The owner manager leads Svendborg and assigned training there."""
    db.session.add(
        ManagedUnit(user_id=people["owner_manager"].id, unit_id=_unit("SUN").id)
    )
    db.session.commit()
    assignment = create_assignment(
        people["owner_manager"],
        _unit("SUN").id,
        "module",
        ASSIGNED,
        date.today() + timedelta(days=60),
    )
    world.ids["assignment"] = assignment.id


def _lrs(world: World) -> None:
    """One client per scope, and an owner client's statement and documents."""
    for scope in (*LRS_ACTOR_SCOPES, "all"):
        key, secret = f"authz-{scope.replace('/', '-')}", f"secret-{uuid.uuid4().hex}"
        client, _secret = create_client(
            f"Client {scope}", key=key, secret=secret, scopes=[scope]
        )
        world.lrs_headers[f"lrs:{scope}"] = {"Authorization": basic(key, secret)}
        world.ids[f"lrs_client_{scope}"] = client.id
    world.ids["lrs_client"] = world.ids["lrs_client_all"]
    from lms.forwarding.operations import create_endpoint

    # A closed port: "test connection" fails at once and sends nothing anywhere.
    endpoint = create_endpoint(
        "Region", "http://127.0.0.1:9/xapi/", "lms", "forward-secret", None
    )
    db.session.commit()
    world.ids["forwarding_endpoint"] = endpoint.id
    owner = {**XAPI_VERSION, **world.lrs_headers["lrs:all"]}
    client = world.app.test_client()
    statement_id = str(uuid.uuid4())
    response = client.put(
        f"/xapi/statements?statementId={statement_id}",
        json=xapi_statement(),
        headers=owner,
    )
    assert response.status_code == 204, response.data
    for url, query in (
        ("/xapi/activities/state", {"activityId": ACTIVITY_IRI, "agent": AGENT}),
        ("/xapi/activities/profile", {"activityId": ACTIVITY_IRI}),
        ("/xapi/agents/profile", {"agent": AGENT}),
    ):
        query["stateId" if "state" in url else "profileId"] = "owned"
        response = client.put(
            url, query_string=query, json={"owner": True}, headers=owner
        )
        assert response.status_code == 204, (url, response.data)
    world.ids |= {
        "statement": statement_id,
        "new_statement": str(uuid.uuid4()),
        "activity_iri": quote(ACTIVITY_IRI, safe=""),
        "agent": quote(AGENT, safe=""),
    }


def xapi_statement() -> dict:
    """Return a small valid statement about the world's activity."""
    return {
        "actor": {"objectType": "Agent", "mbox": "mailto:someone@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"objectType": "Activity", "id": ACTIVITY_IRI},
    }
