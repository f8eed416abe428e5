"""The admin's audit log page: search, pages, local time, export; admins only."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from lms import audit_queries
from lms.audit_queries import AuditFilter
from lms.extensions import db
from lms.models import AuditRecord, User

ADMIN = ("admin@example.org", "admin-demo-2026")
OTHERS = [
    ("learner@example.org", "learner-demo-2026"),
    ("educator@example.org", "educator-demo-2026"),
    ("manager@example.org", "manager-demo-2026"),
]
URLS = ["/admin/audit/", "/admin/audit/export.csv"]
SUMMER = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def user(email: str) -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def add(action="certificate.revoke", at=SUMMER, actor_id=None, **fields):
    """Write a record as it was at a given time."""
    record = AuditRecord(
        action=action,
        at=at,
        actor_id=actor_id,
        target_type=fields.pop("target_type", "certificate"),
        target_id=fields.pop("target_id", "c-1"),
        detail=fields.pop("detail", {}),
        remote_addr=fields.pop("remote_addr", "192.0.2.1"),
    )
    db.session.add(record)
    db.session.commit()
    return record


def shown_ids(response) -> list[str]:
    """Return the target ids of the rows on the page, in order."""
    return re.findall(r'<code class="audit-id">([^<]*)</code>', response.text)


# --- Access ------------------------------------------------------------------------


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, demo, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("account", OTHERS, ids=lambda a: a[0].split("@")[0])
def test_only_admins_see_the_audit_log(client, auth, demo, url, account):
    add()
    auth.login(*account)
    response = client.get(url)
    assert response.status_code == 403
    assert "c-1" not in response.text
    # A refused export leaves no trace of an export either.
    assert (
        db.session.execute(
            db.select(AuditRecord).filter_by(action="audit.export")
        ).first()
        is None
    )


# --- The page ----------------------------------------------------------------------


@pytest.fixture
def admin(client, auth, demo) -> User:
    """The demo admin, signed in; the accounts exist since before the records."""
    for account in db.session.execute(db.select(User)).scalars():
        account.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    db.session.commit()
    auth.login(*ADMIN)
    return user(ADMIN[0])


def test_a_record_shows_who_what_target_when_where_and_detail(client, admin):
    add(
        actor_id=admin.id,
        detail={"reason": "Fejl i prøven", "holder_id": 7},
        remote_addr="203.0.113.5",
    )
    page = client.get("/admin/audit/")
    assert page.status_code == 200
    assert "Anders Holm" in page.text and "admin@example.org" in page.text
    assert "Certifikat tilbagekaldt" in page.text
    assert "<code>certificate.revoke</code>" in page.text
    assert shown_ids(page) == ["c-1"]
    assert "203.0.113.5" in page.text
    assert "Fejl i prøven" in page.text and "holder_id" in page.text
    # 10:00 UTC on a summer day is 12:00 in Copenhagen.
    assert "2026-07-01 12:00:00" in page.text
    assert 'datetime="2026-07-01T10:00:00+00:00"' in page.text


def test_the_page_reads_in_english_too(client, admin):
    add(actor_id=999_999)
    page = client.get("/admin/audit/?lang=en")
    assert "<h1>Audit log</h1>" in page.text
    assert "Certificate revoked" in page.text and "Deleted user" in page.text


def test_an_actor_who_is_gone_shows_as_a_deleted_user(client, admin, make_user):
    add(actor_id=999_999, target_id="gone")
    # An account made after the record is not its actor, even with that id.
    later = make_user(email="later@example.org")
    add(actor_id=later.id, at=SUMMER - timedelta(days=1), target_id="reused")
    add(actor_id=None, target_id="system")
    page = client.get("/admin/audit/")
    assert page.text.count("Slettet bruger") == 2
    assert "later@example.org" not in page.text
    assert "System" in page.text


def test_unknown_actions_show_their_code(client, admin):
    add(action="privacy.erase", target_type="user", target_id="5")
    page = client.get("/admin/audit/")
    assert "privacy.erase" in page.text


def test_newest_first(client, admin):
    for day in (3, 1, 2):
        add(at=SUMMER + timedelta(days=day), target_id=f"day-{day}")
    assert shown_ids(client.get("/admin/audit/")) == ["day-3", "day-2", "day-1"]


# --- Search ------------------------------------------------------------------------


@pytest.fixture
def varied(admin, demo):
    """Records of different actors, actions, targets, times and addresses."""
    manager = user("manager@example.org")
    add(actor_id=admin.id, target_id="a", remote_addr="10.1.0.5")
    add(
        "export.unit_list",
        actor_id=manager.id,
        target_type="unit",
        target_id="b",
        remote_addr="10.2.0.9",
    )
    add("certificate.export", actor_id=manager.id, target_id="c")
    # 22:30 UTC on 1 July is already 2 July in Copenhagen.
    add("user.create", at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC), target_id="d")
    return {"admin": admin, "manager": manager}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=manager%40example", ["c", "b"]),
        ("actor=MANAGER@EXAMPLE.ORG", ["c", "b"]),
        ("action=certificate", ["c", "a"]),
        ("action=certificate.revoke", ["a"]),
        ("action=certificate%25", []),
        ("target_type=unit", ["b"]),
        ("target_id=c", ["c"]),
        ("remote_addr=10.2.", ["b"]),
        ("remote_addr=10._", []),
        ("date_from=2026-07-02", ["d"]),
        ("date_to=2026-07-01", ["c", "b", "a"]),
        ("date_from=2026-07-01&date_to=2026-07-01&target_type=certificate", ["c", "a"]),
        ("", ["d", "c", "b", "a"]),
    ],
)
def test_search_filters(client, varied, query, expected):
    page = client.get(f"/admin/audit/?{query}")
    assert page.status_code == 200
    assert shown_ids(page) == expected


def test_search_by_actor_id(client, varied):
    page = client.get(f"/admin/audit/?actor={varied['admin'].id}")
    assert shown_ids(page) == ["a"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-13-01", "date_from"),
        ("date_from=2026-07-02&date_to=2026-07-01", "date_to"),
        ("action=" + "x" * 65, "action"),
    ],
)
def test_bad_search_input_is_a_400_naming_the_field(client, admin, query, field):
    page = client.get(f"/admin/audit/?{query}")
    assert page.status_code == 400
    assert f'href="#{field}"' in page.text
    assert f'id="{field}-error"' in page.text
    export = client.get(f"/admin/audit/export.csv?{query}")
    assert export.status_code == 400
    assert (
        db.session.execute(
            db.select(AuditRecord).filter_by(action="audit.export")
        ).first()
        is None
    )


# --- Pages -------------------------------------------------------------------------


def test_pages_of_fifty_with_older_and_newer_links(client, admin):
    for number in range(120):
        add(at=SUMMER + timedelta(minutes=number), target_id=f"r{number:03}")
    newest = [f"r{n:03}" for n in range(119, -1, -1)]
    first = client.get("/admin/audit/?action=certificate")
    assert shown_ids(first) == newest[:50]
    assert 'rel="prev"' not in first.text
    older = re.search(r'href="([^"]+)" rel="next"', first.text).group(1)
    assert "action=certificate" in older
    second = client.get(older.replace("&amp;", "&"))
    assert shown_ids(second) == newest[50:100]
    third = client.get(
        re.search(r'href="([^"]+)" rel="next"', second.text)
        .group(1)
        .replace("&amp;", "&")
    )
    assert shown_ids(third) == newest[100:]
    assert 'rel="next"' not in third.text
    back = client.get(
        re.search(r'href="([^"]+)" rel="prev"', third.text)
        .group(1)
        .replace("&amp;", "&")
    )
    assert shown_ids(back) == newest[50:100]


def test_keyset_pages_neither_skip_nor_repeat_records_of_the_same_instant(app, demo):
    for number in range(7):
        add(target_id=f"same-{number}")
    seen, page = [], audit_queries.search(AuditFilter(), size=3)
    while True:
        seen += [record.target_id for record in page.records]
        if page.older is None:
            break
        page = audit_queries.search(AuditFilter(), before=page.older, size=3)
    assert seen == [f"same-{n}" for n in range(6, -1, -1)]
    newer = audit_queries.search(AuditFilter(), after=page.records[0].id, size=3)
    assert [r.target_id for r in newer.records] == ["same-3", "same-2", "same-1"]


def test_an_unknown_cursor_gives_the_first_page(client, admin):
    add(target_id="only")
    assert shown_ids(client.get("/admin/audit/?before=424242")) == ["only"]
    assert shown_ids(client.get("/admin/audit/?after=abc")) == ["only"]


# --- Export ------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    )


def test_the_export_holds_every_match_and_is_itself_audited(client, admin):
    for number in range(audit_queries.EXPORT_BATCH + 5):
        add(at=SUMMER + timedelta(seconds=number), target_id=f"e{number}")
    add("user.create", target_type="user", target_id="not-exported")
    client.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    response = client.get("/admin/audit/export.csv?action=certificate.revoke")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="audit-log-'
    )
    rows = _rows(response)
    assert rows[0][:3] == ["Post-id", "Tidspunkt (UTC)", "Tidspunkt (lokal tid)"]
    body = rows[1:]
    assert len(body) == audit_queries.EXPORT_BATCH + 5
    assert body[0][8] == f"e{audit_queries.EXPORT_BATCH + 4}" and body[-1][8] == "e0"
    assert "not-exported" not in response.get_data(as_text=True)
    (record,) = db.session.execute(
        db.select(AuditRecord).filter_by(action="audit.export")
    ).scalars()
    assert record.actor_id == admin.id
    assert record.detail == {"action": "certificate.revoke"}
    assert record.remote_addr == "198.51.100.20"


def test_the_export_shows_people_times_and_details(client, admin):
    add(
        actor_id=admin.id,
        detail={"reason": "Prøve"},
        remote_addr="203.0.113.5",
        target_id="x1",
    )
    (header, row) = _rows(client.get("/admin/audit/export.csv?target_id=x1"))
    line = dict(zip(header, row, strict=True))
    assert line["Tidspunkt (UTC)"] == "2026-07-01T10:00:00+00:00"
    assert line["Tidspunkt (lokal tid)"].startswith("2026-07-01 12:00:00")
    assert line["Aktør-id"] == str(admin.id)
    assert line["Aktørens navn"] == "Anders Holm"
    assert line["Aktørens e-mail"] == "admin@example.org"
    assert line["Handling"] == "certificate.revoke"
    assert line["Fjernadresse"] == "203.0.113.5"
    assert line["Detaljer"] == '{"reason": "Prøve"}'


def test_the_export_defuses_spreadsheet_formulas(client, admin, make_user):
    sly = make_user(email="sly@example.org")
    sly.name = '=HYPERLINK("http://evil")'
    db.session.commit()
    add(actor_id=sly.id, at=datetime.now(UTC), target_id="=cmd|' /C calc'!A0")
    (_header, row) = _rows(
        client.get("/admin/audit/export.csv?target_type=certificate")
    )
    assert row[4] == '\'=HYPERLINK("http://evil")'
    assert row[8] == "'=cmd|' /C calc'!A0"


def test_the_export_link_carries_the_search(client, admin):
    page = client.get("/admin/audit/?action=user&date_from=2026-01-01")
    link = re.search(r'href="(/admin/audit/export\.csv[^"]*)"', page.text).group(1)
    assert "action=user" in link and "date_from=2026-01-01" in link


def test_date_boundaries_follow_copenhagen_time(app, demo):
    winter = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)  # 00:30 on 16 January
    add(at=winter, target_id="w")
    on_16th = AuditFilter(date_from=date(2026, 1, 16), date_to=date(2026, 1, 16))
    on_15th = AuditFilter(date_to=date(2026, 1, 15))
    assert [r.target_id for r in audit_queries.search(on_16th).records] == ["w"]
    assert audit_queries.search(on_15th).records == []
