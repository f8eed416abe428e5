"""Read a quiz form into responses, keeping what the learner typed."""

from werkzeug.datastructures import MultiDict

from assessments import InvalidResponse, Quiz


def _raw(question, form: MultiDict):
    name = f"q-{question.id}"
    kind = question.type_name
    if kind == "multiple_choice":
        return form.getlist(name) or None
    if kind == "matching":
        chosen = {p.id: form.get(f"{name}-{p.id}", "") for p in question.pairs}
        return chosen if any(chosen.values()) else None
    if kind == "ordering":
        return _positions(question, form, name)
    value = form.get(name, "").strip()
    return value or None


def _positions(question, form: MultiDict, name: str):
    positions = {i.id: form.get(f"{name}-{i.id}", "") for i in question.items}
    if not any(positions.values()):
        return None
    try:
        ranked = sorted(positions, key=lambda item_id: int(positions[item_id]))
        numbers = sorted(int(value) for value in positions.values())
    except ValueError as error:
        raise InvalidResponse(question.id, "every item needs a position") from error
    if numbers != list(range(1, len(numbers) + 1)):
        raise InvalidResponse(question.id, "each position can be used once")
    return ranked


def read_responses(quiz: Quiz, form: MultiDict) -> tuple[dict, dict[str, str]]:
    """Return parsed responses and, per question id, what was wrong with the input."""
    responses, errors = {}, {}
    for question in quiz.questions:
        try:
            raw = _raw(question, form)
            if raw is not None:
                responses[question.id] = question.parse_response(raw)
        except InvalidResponse as error:
            errors[question.id] = str(error)
    return responses, errors
