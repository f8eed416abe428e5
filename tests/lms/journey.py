"""Helpers that walk a learner through a module with the test client."""

from lms.content import current_version, module_of

SLUG = "video-consultations"


def shipped_module(slug: str = SLUG):
    """Return the parsed current version of a shipped module."""
    return module_of(current_version(slug))


def correct_form(quiz) -> dict:
    """Return quiz form data that answers every question correctly."""
    data: dict = {}
    for question in quiz.questions:
        name = f"q-{question.id}"
        kind = question.type_name
        if kind == "single_choice":
            data[name] = next(o.id for o in question.options if o.correct)
        elif kind == "multiple_choice":
            data[name] = [o.id for o in question.options if o.correct]
        elif kind == "true_false":
            data[name] = "true" if question.answer else "false"
        elif kind == "numeric":
            data[name] = str(question.answer).replace(".", ",")
        elif kind == "matching":
            for pair in question.pairs:
                data[f"{name}-{pair.id}"] = pair.id
        elif kind == "ordering":
            for position, item in enumerate(question.items, start=1):
                data[f"{name}-{item.id}"] = str(position)
    return data


def wrong_form(quiz) -> dict:
    """Return quiz form data that answers every choice question wrongly."""
    data: dict = {}
    for question in quiz.questions:
        if question.type_name == "single_choice":
            data[f"q-{question.id}"] = next(
                o.id for o in question.options if not o.correct
            )
        elif question.type_name == "true_false":
            data[f"q-{question.id}"] = "false" if question.answer else "true"
    return data


def do_learner_part(client, slug: str = SLUG, reflection: str | None = None):
    """Enrol, read every lesson, finish every case, pass the quiz, hand in the task."""
    module = shipped_module(slug)
    assert client.post(f"/learn/modules/{slug}/enrol").status_code == 302
    for activity in module.activities:
        url = f"/learn/modules/{slug}/{activity.id}"
        assert client.get(url).status_code == 200
        if activity.kind == "lesson":
            assert client.post(f"{url}/read").status_code == 302
        elif activity.kind == "case":
            for step in activity.content.steps:
                best = next(o for o in step.options if o.best)
                response = client.post(
                    f"{url}/case", data={"step": step.id, "option": best.id}
                )
                assert response.status_code == 302
        elif activity.kind == "quiz":
            started = client.post(f"{url}/attempts")
            assert started.status_code == 302
            attempt_url = started.headers["Location"]
            assert client.get(attempt_url).status_code == 200
            graded = client.post(attempt_url, data=correct_form(activity.content))
            assert graded.status_code == 302, graded.text
            assert client.get(graded.headers["Location"]).status_code == 200
        elif activity.kind == "practice_task":
            text = reflection or " ".join(
                ["refleksion"] * max(activity.content.min_words, 1)
            )
            response = client.post(f"{url}/submissions", data={"text": text})
            assert response.status_code == 302
    return module


def approve_all(client, rubric_score: int | None = None):
    """As a signed-in educator, approve every submission in the queue."""
    from lms.extensions import db
    from lms.models import Submission

    for submission in db.session.execute(db.select(Submission)).scalars():
        if submission.status != "submitted":
            continue
        module = module_of(submission.enrolment.module_version)
        rubric = module.activity(submission.activity_id).content.rubric
        data = {"decision": "approve", "feedback": "Fin refleksion."}
        for criterion in rubric:
            score = criterion.max_score if rubric_score is None else rubric_score
            data[f"score-{criterion.id}"] = str(score)
        response = client.post(f"/teach/submissions/{submission.uuid}", data=data)
        assert response.status_code == 302, response.text
