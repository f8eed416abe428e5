"""Importing users from CSV, by the CLI and the admin page."""

import io

import pytest

from lms.extensions import db
from lms.models import User

HEADER = "email,name,roles,organisation,unit,job_role,password\n"
GOOD = (
    HEADER
    + "nurse1@example.org,Nina N,learner,Odense Kommune,HJS,nurse,first-pass-1\n"
    + "lead1@example.org,Lars Lund,manager;learner,Svendborg Kommune,HJV,nurse,\n"
)


def _count() -> int:
    return len(db.session.execute(db.select(User)).scalars().all())


def test_cli_imports_a_good_file(runner, demo, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(GOOD, encoding="utf-8")
    before = _count()
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 users imported" in result.output
    assert _count() == before + 2
    lead = db.session.execute(
        db.select(User).filter_by(email="lead1@example.org")
    ).scalar_one()
    assert lead.roles == {"manager", "learner"}
    assert lead.primary_unit.code == "HJV"


@pytest.mark.parametrize(
    ("row", "line_error"),
    [
        ("bad-email,X,learner,Odense Kommune,HJS,nurse,", "line 3: email"),
        (
            "learner@example.org,X,learner,Odense Kommune,HJS,nurse,",
            "line 3: email: already exists",
        ),
        ("n2@example.org,,learner,Odense Kommune,HJS,nurse,", "line 3: name"),
        ("n2@example.org,X,pilot,Odense Kommune,HJS,nurse,", "line 3: roles"),
        ("n2@example.org,X,learner,Odense Kommune,NOPE,nurse,", "line 3: unit"),
        ("n2@example.org,X,learner,Nowhere,HJS,nurse,", "line 3: unit"),
        ("n2@example.org,X,learner,Odense Kommune,HJS,astronaut,", "line 3: job_role"),
        ("n2@example.org,X,learner,Odense Kommune,HJS,,", "line 3: job_role"),
        ("n2@example.org,X,learner,Odense Kommune,HJS,nurse,short", "line 3: password"),
        (
            "nurse1@example.org,X,learner,Odense Kommune,HJS,nurse,",
            "line 3: email: already exists",
        ),
    ],
)
def test_one_bad_row_imports_nothing(runner, demo, tmp_path, row, line_error):
    path = tmp_path / "users.csv"
    first = "nurse1@example.org,Nina,learner,Odense Kommune,HJS,nurse,\n"
    path.write_text(HEADER + first + row + "\n", encoding="utf-8")
    before = _count()
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert line_error in result.output
    assert "nothing imported" in result.output
    assert _count() == before


def test_every_bad_row_is_reported(runner, demo, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(
        HEADER
        + "a@example.org,A,learner,Odense Kommune,HJS,nurse,\n"
        + "bad,B,learner,Odense Kommune,HJS,nurse,\n"
        + "c@example.org,C,nobody,Odense Kommune,HJS,nurse,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["users", "import", str(path)])
    assert "line 3: email" in result.output and "line 4: roles" in result.output


def test_a_wrong_header_is_reported(runner, demo, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("mail,name\nx,y\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert "line 1: header" in result.output


def _upload(client, text: bytes, name="users.csv"):
    return client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(text), name)},
        content_type="multipart/form-data",
    )


def test_admin_page_imports_a_good_file(client, auth, demo):
    auth.login("admin@example.org", "admin-demo-2026")
    response = _upload(client, GOOD.encode())
    assert response.status_code == 302
    assert "nurse1@example.org" in client.get("/admin/users").text


def test_admin_page_lists_bad_rows_and_imports_nothing(client, auth, demo):
    auth.login("admin@example.org", "admin-demo-2026")
    before = _count()
    response = _upload(
        client, (GOOD + "bad,B,learner,Odense Kommune,HJS,nurse,\n").encode()
    )
    assert response.status_code == 400
    assert "line 4: email" in response.text
    assert _count() == before


def test_admin_page_rejects_a_non_csv_or_non_utf8_file(client, auth, demo):
    auth.login("admin@example.org", "admin-demo-2026")
    assert _upload(client, b"x", name="users.exe").status_code == 400
    assert _upload(client, "navn,æ".encode("latin-1")).status_code == 400
