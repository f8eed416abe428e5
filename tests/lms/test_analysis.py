"""Quiz item analysis from the LRS, checked against numbers worked out by hand."""

import math
import re
from datetime import UTC, datetime, timedelta

import pytest

from lms.analysis import (
    Attempt,
    answer_of,
    attempts_from_statements,
    flags,
    question_rows,
)
from lms.content import current_version, module_of
from lms.extensions import db
from lms.models import Cohort, Enrolment, User
from lms.queries_analysis import quiz_analysis
from lms.records import authority
from tests.conftest import BASE_URL
from tests.lms.journey import SLUG, correct_form, wrong_form
from xapi.store import store_batch

EDUCATOR = ("educator@example.org", "educator-demo-2026")
ADMIN = ("admin@example.org", "admin-demo-2026")
QUIZ_ID = "final-quiz"
QUIZ = f"{BASE_URL}/xapi/activities/module/{SLUG}/quiz/{QUIZ_ID}"
ADL = "http://adlnet.gov/expapi/verbs/"

# The shipped quiz's first three questions, one point each:
#   q1-when-not-video  single choice, right answer b (options a-d)
#   q2-preparation     multiple choice, right answer a+b+d (options a-e)
#   q3-consumer-apps   true/false, right answer false
Q1, Q2, Q3 = "q1-when-not-video", "q2-preparation", "q3-consumer-apps"

# Five finished attempts by three learners of the educator's cohort; the
# (score, response) per question and the attempt's total:
#   A1 (learner 1, #1): q1 a 0, q2 a+b   0, q3 true  0 -> total 0
#   A2 (learner 1, #2): q1 b 1, q2 a+b+d 1, q3 false 1 -> total 3
#   A3 (learner 2, #1): q1 b 1, q2 a+b   0, q3 false 1 -> total 2
#   A4 (learner 3, #1): q1 c 0, q2 a+b+d 1, q3 false 1 -> total 2
#   A5 (learner 3, #2): q1 b 1, q2 a+c   0, q3 false 1 -> total 2
MINE = [
    (0, {Q1: (0, "a"), Q2: (0, "a[,]b"), Q3: (0, "true")}),
    (0, {Q1: (1, "b"), Q2: (1, "a[,]b[,]d"), Q3: (1, "false")}),
    (1, {Q1: (1, "b"), Q2: (0, "a[,]b"), Q3: (1, "false")}),
    (2, {Q1: (0, "c"), Q2: (1, "a[,]b[,]d"), Q3: (1, "false")}),
    (2, {Q1: (1, "b"), Q2: (0, "a[,]c"), Q3: (1, "false")}),
]
# q1: x (full marks) = 0,1,1,0,1 -> difficulty 3/5 = 0.6.
#     y (total minus q1) = 0,2,1,2,1; mean x 0.6, mean y 1.2.
#     dx = -.6,.4,.4,-.6,.4; dy = -1.2,.8,-.2,.8,-.2.
#     sum dx*dy = .72+.32-.08-.48-.08 = 0.4; sum dx^2 = 1.2; sum dy^2 = 2.8.
#     r = 0.4 / sqrt(3.36) = 0.21822.  Options: a 1, b 3, c 1, d 0.
# q2: x = 0,1,0,1,0 -> difficulty 2/5 = 0.4.
#     y = 0,2,2,1,2; mean x 0.4, mean y 1.4.
#     dx = -.4,.6,-.4,.6,-.4; dy = -1.4,.6,.6,-.4,.6.
#     sum dx*dy = .56+.36-.24-.24-.24 = 0.2; sum dx^2 = 1.2; sum dy^2 = 3.2.
#     r = 0.2 / sqrt(3.84) = 0.10206 -> below 0.2, flagged "low".
#     Options: a 5 (100%), b 4 (80%), c 1 (20%), d 2 (40%), e 0.
# q3: x = 0,1,1,1,1 -> difficulty 4/5 = 0.8.
#     y = 0,2,1,1,1; mean x 0.8, mean y 1.0.
#     dx = -.8,.2,.2,.2,.2; dy = -1,1,0,0,0.
#     sum dx*dy = .8+.2 = 1.0; sum dx^2 = 0.8; sum dy^2 = 2.
#     r = 1 / sqrt(1.6) = 0.79057.  Options: true 1, false 4.
EXPECTED = {
    Q1: (5, 0.6, 0.4 / math.sqrt(3.36), {"a": 1, "b": 3, "c": 1, "d": 0}),
    Q2: (5, 0.4, 0.2 / math.sqrt(3.84), {"a": 5, "b": 4, "c": 1, "d": 2, "e": 0}),
    Q3: (5, 0.8, 1 / math.sqrt(1.6), {"true": 1, "false": 4}),
}
# Another educator's learner: one attempt, everything wrong, option d on q1.
OUTSIDER = {Q1: (0, "d"), Q2: (0, "e"), Q3: (0, "true")}


def _page() -> str:
    return f"/teach/analysis/{SLUG}/{current_version(SLUG).version}/{QUIZ_ID}"


def _question(qid: str) -> str:
    return f"{QUIZ}/question/{qid}"


def _statement(enrolment: Enrolment, verb: str, object_id: str, **extra) -> dict:
    statement = {
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": BASE_URL, "name": enrolment.user.uuid},
        },
        "verb": {"id": ADL + verb},
        "object": {"objectType": "Activity", "id": object_id},
        "context": {
            "registration": enrolment.uuid,
            "contextActivities": {"parent": [{"id": QUIZ}]},
        },
    }
    statement.update(extra)
    return statement


def _answered(enrolment: Enrolment, qid: str, score: float, response: str) -> dict:
    result = {
        "score": {"raw": score, "min": 0, "max": 1},
        "success": score == 1,
        "response": response,
    }
    return _statement(enrolment, "answered", _question(qid), result=result)


def _attempt(enrolment: Enrolment, answers: dict, close: bool = True) -> list[dict]:
    batch = [_statement(enrolment, "attempted", QUIZ)]
    batch += [_answered(enrolment, q, s, r) for q, (s, r) in answers.items()]
    if close:
        total = sum(score for score, _ in answers.values())
        passed = total == len(answers)
        batch.append(
            _statement(
                enrolment,
                "passed" if passed else "failed",
                QUIZ,
                result={"success": passed, "score": {"raw": total, "max": 3}},
            )
        )
    return batch


class Clock:
    """Stored times one second apart, so the stored order is the order written."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def store(self, batch: list[dict]) -> None:
        self.now += timedelta(seconds=1)
        store_batch(db.session.connection(), batch, authority(), now=self.now)


@pytest.fixture
def fixture(demo, make_user):
    """The educator's cohort of three learners, another cohort, and their statements."""
    version = current_version(SLUG)
    cohort = db.session.execute(db.select(Cohort)).scalar_one()
    learners = [
        db.session.execute(
            db.select(User).filter_by(email="learner@example.org")
        ).scalar_one(),
        make_user(),
        make_user(),
    ]
    cohort.members = list(learners)
    other_educator = make_user(role="educator", unit_code="SUU", password="other-1234")
    outsider = make_user()
    db.session.add(
        Cohort(
            name="Another cohort",
            module_slug=SLUG,
            members=[outsider],
            educators=[other_educator],
        )
    )
    enrolments = [
        Enrolment(user=user, module_version=version) for user in [*learners, outsider]
    ]
    db.session.add_all(enrolments)
    db.session.flush()
    clock = Clock()
    for learner, answers in MINE:
        clock.store(_attempt(enrolments[learner], answers))
    clock.store(_attempt(enrolments[3], OUTSIDER))
    # An unfinished attempt by learner 3: no closing statement, so it counts not.
    clock.store(_attempt(enrolments[2], {Q1: (0, "d")}, close=False))
    # An answer to a question the quiz does not have, in a finished attempt.
    clock.store(
        [
            _statement(enrolments[0], "attempted", QUIZ),
            _answered(enrolments[0], "no-such-question", 1, "a"),
            _statement(enrolments[0], "failed", QUIZ, result={"success": False}),
        ]
    )
    db.session.commit()
    return {
        "version": version,
        "enrolments": enrolments,
        "other_educator": other_educator,
        "learners": learners,
    }


def _rows(user: User, version) -> dict:
    module = module_of(version)
    analysis = quiz_analysis(user, version, module.activity(QUIZ_ID))
    return analysis, {row.question.id: row for row in analysis.rows}


def _user(email: str) -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def test_the_educator_sees_the_numbers_worked_out_by_hand(fixture):
    analysis, rows = _rows(_user(EDUCATOR[0]), fixture["version"])
    assert (analysis.attempts, analysis.learners) == (5, 3)
    for qid, (n, difficulty, discrimination, counts) in EXPECTED.items():
        item = rows[qid].statistics
        assert item.n == n
        assert item.difficulty == pytest.approx(difficulty)
        assert item.discrimination == pytest.approx(discrimination)
        assert {o.key: o.count for o in rows[qid].options} == counts
    assert rows[Q1].statistics.discrimination == pytest.approx(0.21822, abs=1e-5)
    assert rows[Q2].statistics.discrimination == pytest.approx(0.10206, abs=1e-5)
    assert rows[Q3].statistics.discrimination == pytest.approx(0.79057, abs=1e-5)
    shares = {o.key: o.share for o in rows[Q2].options}
    assert shares == pytest.approx({"a": 1.0, "b": 0.8, "c": 0.2, "d": 0.4, "e": 0})
    assert [o.correct for o in rows[Q2].options] == [True, True, False, True, False]
    assert (rows[Q1].flags, rows[Q2].flags, rows[Q3].flags) == ((), ("low",), ())
    # Questions nobody answered are listed, with nothing to judge.
    assert rows["q4-eye-contact"].statistics is None
    assert rows["q4-eye-contact"].flags == ("few",)


def _row_html(text: str, qid: str) -> str:
    match = re.search(rf'<tr id="question-{re.escape(qid)}".*?</tr>', text, re.S)
    assert match, qid
    return match.group(0)


def test_the_page_shows_the_numbers_in_english(client, auth, fixture):
    auth.login(*EDUCATOR)
    page = client.get(f"{_page()}?lang=en")
    assert page.status_code == 200
    assert "Based on 5 finished attempts" in page.text
    assert "by 3 learners" in page.text
    q1, q2, q3 = (_row_html(page.text, qid) for qid in (Q1, Q2, Q3))
    assert re.search(r'class="num">5</td>\s*<td class="num">60%</td>', q1)
    assert '<td class="num">0.22</td>' in q1
    assert '<td class="num">40%</td>' in q2
    assert '<td class="num">0.10</td>' in q2
    assert "Low discrimination" in q2
    assert "flagged" in q2 and "flagged" not in q1
    assert '<td class="num">80%</td>' in q3 and '<td class="num">0.79</td>' in q3
    # Option counts with their share; the right answer is marked in words.
    assert re.search(r"3 \(60%\)\s*<strong>\(right answer\)</strong>", q1)
    assert "0 (0%)" in q1  # option d, never chosen by my learners
    assert "4 (80%)" in q2 and "2 (40%)" in q2
    assert re.search(r"False:\s*4 \(80%\)", q3)
    assert "Too few answers to judge." in _row_html(page.text, "q4-eye-contact")
    assert '<th scope="row">' in q1
    assert "How to read the numbers" in page.text


def test_the_page_uses_danish_decimals(client, auth, fixture):
    auth.login(*EDUCATOR)
    page = client.get(f"{_page()}?lang=da")
    assert page.status_code == 200
    q1 = _row_html(page.text, Q1)
    assert '<td class="num">0,22</td>' in q1
    assert '<td class="num">60\xa0%</td>' in q1
    assert "Sådan læser du tallene" in page.text


def test_an_admin_counts_every_learner_on_the_version(fixture):
    analysis, rows = _rows(_user(ADMIN[0]), fixture["version"])
    # The outsider's attempt is the sixth; it chose d on q1 and got all wrong.
    assert (analysis.attempts, analysis.learners) == (6, 4)
    assert rows[Q1].statistics.n == 6
    assert rows[Q1].statistics.difficulty == pytest.approx(3 / 6)
    assert {o.key: o.count for o in rows[Q1].options}["d"] == 1


def test_another_educator_sees_only_their_own_cohort(client, auth, fixture):
    other = fixture["other_educator"]
    analysis, rows = _rows(other, fixture["version"])
    assert (analysis.attempts, analysis.learners) == (1, 1)
    assert {o.key: o.count for o in rows[Q1].options} == {
        "a": 0,
        "b": 0,
        "c": 0,
        "d": 1,
    }
    auth.login(other.email, "other-1234")
    page = client.get(f"{_page()}?lang=en")
    assert page.status_code == 200
    assert "Based on 1 finished attempt" in page.text
    assert "1 (100%)" in _row_html(page.text, Q1)
    assert "60%" not in page.text


def test_my_learners_in_someone_elses_cohort_count_for_them_too(fixture):
    """Membership decides: a learner in both cohorts counts for both educators."""
    other = fixture["other_educator"]
    cohort = db.session.execute(
        db.select(Cohort).filter_by(name="Another cohort")
    ).scalar_one()
    cohort.members.append(fixture["learners"][1])
    db.session.commit()
    analysis, _rows_ = _rows(other, fixture["version"])
    assert (analysis.attempts, analysis.learners) == (2, 2)


@pytest.mark.parametrize(
    ("account", "status"),
    [
        (None, 302),
        (("learner@example.org", "learner-demo-2026"), 403),
        (("manager@example.org", "manager-demo-2026"), 403),
        (EDUCATOR, 200),
        (ADMIN, 200),
    ],
)
def test_who_may_see_the_analysis(client, auth, fixture, account, status):
    if account:
        auth.login(*account)
    assert client.get("/teach/analysis/").status_code == status
    assert client.get(_page()).status_code == status


def test_an_educator_without_a_cohort_on_the_module_is_refused(
    client, auth, fixture, make_user
):
    make_user(role="educator", unit_code="SUU", email="lone@example.org")
    auth.login("lone@example.org", "password-1234")
    assert client.get(_page()).status_code == 403
    index = client.get("/teach/analysis/?lang=en")
    assert index.status_code == 200
    assert _page() not in index.text
    assert "You do not run a cohort on a module with a quiz yet." in index.text


def test_the_index_links_to_the_quizzes_of_my_modules(client, auth, fixture):
    auth.login(*EDUCATOR)
    index = client.get("/teach/analysis/")
    assert _page() in index.text
    assert "/teach/analysis/understanding-technology/" not in index.text


@pytest.mark.parametrize(
    ("version", "activity"),
    [
        ("9.9.9", QUIZ_ID),
        (None, "no-such-quiz"),
        (None, "when-video"),  # a lesson, not a quiz
    ],
)
def test_unknown_versions_and_activities_are_not_found(
    client, auth, fixture, version, activity
):
    auth.login(*ADMIN)
    version = version or current_version(SLUG).version
    assert client.get(f"/teach/analysis/{SLUG}/{version}/{activity}").status_code == 404


def test_quizzes_taken_in_the_lms_are_analysed(client, auth, demo):
    """The statements the LMS writes for real attempts group into attempts."""
    auth.login()
    client.post(f"/learn/modules/{SLUG}/enrol")
    module = module_of(current_version(SLUG))
    quiz = module.activity(QUIZ_ID).content
    url = f"/learn/modules/{SLUG}/{QUIZ_ID}"
    for form in (wrong_form(quiz), correct_form(quiz)):
        attempt = client.post(f"{url}/attempts").headers["Location"]
        client.get(attempt)
        # The wrong form leaves some questions unanswered: fill them correctly.
        answers = {**correct_form(quiz), **form}
        assert client.post(attempt, data=answers).status_code == 302
    analysis, rows = _rows(_user(EDUCATOR[0]), current_version(SLUG))
    assert (analysis.attempts, analysis.learners) == (2, 1)
    # Single choice: wrong then right; its difficulty is 1/2.
    assert rows[Q1].statistics.n == 2
    assert rows[Q1].statistics.difficulty == pytest.approx(0.5)
    # Ordering was answered right both times.
    assert rows["q5-structure"].statistics.difficulty == pytest.approx(1.0)
    assert sum(o.count for o in rows[Q3].options) == 2


# The grouping of statements into attempts, without a database.


def _simple(registration: str, verb: str, object_id: str, score=None) -> dict:
    statement = {
        "verb": {"id": ADL + verb},
        "object": {"id": object_id},
        "context": {"registration": registration},
    }
    if score is not None:
        statement["result"] = {
            "score": {"raw": score, "max": 1},
            "response": "a" if score else "b",
        }
    return statement


def test_answers_belong_to_the_attempt_their_closing_statement_ends():
    r1, r2 = "reg-1", "reg-2"
    stream = [
        _simple(r1, "attempted", QUIZ),
        _simple(r1, "answered", _question("q1"), 1),
        _simple(r2, "answered", _question("q1"), 0),  # interleaved learner
        _simple(r1, "answered", _question("q2"), 0),
        _simple(r1, "passed", QUIZ),
        _simple(r2, "failed", QUIZ),
        _simple(r1, "answered", _question("q1"), 0),  # never closed
    ]
    attempts = attempts_from_statements(stream, QUIZ, {"q1", "q2"})
    assert attempts == [
        Attempt(r1, {"q1": (1.0, 1.0, "a"), "q2": (0.0, 1.0, "b")}),
        Attempt(r2, {"q1": (0.0, 1.0, "b")}),
    ]


def test_a_repeated_question_or_a_new_attempt_drops_the_unclosed_answers():
    stream = [
        _simple("r", "answered", _question("q1"), 0),
        _simple("r", "answered", _question("q1"), 1),  # a second answer: new attempt
        _simple("r", "failed", QUIZ),
        _simple("r", "answered", _question("q1"), 0),
        _simple("r", "attempted", QUIZ),  # starts afresh
        _simple("r", "answered", _question("q2"), 1),
        _simple("r", "passed", QUIZ),
    ]
    attempts = attempts_from_statements(stream, QUIZ, {"q1", "q2"})
    assert [a.answers for a in attempts] == [
        {"q1": (1.0, 1.0, "a")},
        {"q2": (1.0, 1.0, "a")},
    ]


def test_statements_of_other_quizzes_and_without_registration_are_ignored():
    other = f"{BASE_URL}/xapi/activities/module/{SLUG}/quiz/other"
    stream = [
        _simple("r", "answered", f"{other}/question/q1", 1),
        _simple("r", "passed", other),
        {**_simple("r", "answered", _question("q1"), 1), "context": {}},
        _simple("r", "passed", QUIZ),
    ]
    assert attempts_from_statements(stream, QUIZ, {"q1"}) == []


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"score": {"raw": 2, "max": 4}, "response": "a"}, (2.0, 4.0, "a")),
        ({"success": True}, (1.0, 1.0, None)),
        ({"success": False, "response": "x"}, (0.0, 1.0, "x")),
        ({"score": {"raw": True, "max": 1}}, None),
        ({"score": {"raw": 1, "max": 0}}, None),
        ({}, None),
    ],
)
def test_an_answer_is_read_from_score_or_success(result, expected):
    assert answer_of({"result": result}) == expected


@pytest.mark.parametrize(
    ("n", "difficulty", "discrimination", "expected"),
    [
        (4, 0.5, 0.5, ("few",)),
        (5, 0.96, 0.5, ("easy",)),
        (5, 0.95, 0.5, ()),
        (5, 0.19, 0.5, ("hard",)),
        (5, 0.2, 0.2, ()),
        (5, 0.5, 0.19, ("low",)),
        (5, 0.5, -0.1, ("negative",)),
        (5, 0.1, -0.3, ("hard", "negative")),
        (5, 1.0, None, ("easy",)),
    ],
)
def test_flags(n, difficulty, discrimination, expected):
    from assessments import ItemStatistics

    item = ItemStatistics("q", n, difficulty, discrimination, {})
    assert flags(item) == expected


def test_matching_counts_name_both_sides(app):
    """A matching answer counts per pair chosen; right pairs are listed first."""
    quiz = module_of(current_version(SLUG)).activity(QUIZ_ID).content
    matching = next(q for q in quiz.questions if q.type_name == "matching")
    first, second = (pair.id for pair in matching.pairs[:2])
    right = "[,]".join(f"{p.id}[.]{p.id}" for p in matching.pairs)
    swapped = f"{first}[.]{second}[,]{second}[.]{first}"
    attempts = [
        Attempt("r1", {matching.id: (1.0, 1.0, right)}),
        Attempt("r2", {matching.id: (0.5, 1.0, swapped)}),
    ]
    row = next(r for r in question_rows(quiz, attempts) if r.question is matching)
    options = {o.key: o for o in row.options}
    assert options[f"{first}[.]{first}"].count == 1
    assert options[f"{first}[.]{first}"].correct is True
    assert options[f"{first}[.]{second}"].count == 1
    assert options[f"{first}[.]{second}"].correct is False
    assert "→" in options[f"{first}[.]{second}"].label["en"]
