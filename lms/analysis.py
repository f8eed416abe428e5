"""Quiz item analysis: attempts read back from xAPI statements, rows and flags.

The LRS is the record, so an attempt is rebuilt from statements rather than read
from the quiz_attempts table, and statements sent by LRS clients count too. Within
one registration, in stored order, the ``answered`` statements on the questions of
a quiz belong to the attempt that the next ``passed`` or ``failed`` statement on the
quiz closes. The LMS writes an attempt's answers and its closing statement in one
batch, so this needs no attempt number in the statements. An ``attempted``
statement, or a second answer to a question already answered, starts a new
attempt; answers that no closing statement follows (an unfinished attempt, or one
whose closing statement was voided) are left out, as they say nothing about how
the rest of the quiz went.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from assessments import ItemStatistics, item_statistics
from assessments.questions import PAIR_DELIMITER
from assessments.quiz import Quiz
from xapi.vocabulary import VERBS

#: One attempt's answer to one question: score, max score, response pattern.
Answer = tuple[float, float, str | None]

ANSWERED = VERBS["answered"].id
ATTEMPTED = VERBS["attempted"].id
CLOSING = {VERBS["passed"].id, VERBS["failed"].id}

#: Below this many answers the numbers are too uncertain to flag a question.
MIN_ANSWERS = 5
#: Nearly everyone gets it right: it tells learners apart poorly.
EASY = 0.95
#: Few get it right: check the answer key and the wording.
HARD = 0.20
#: Strong learners hardly do better on it than weak ones.
LOW_DISCRIMINATION = 0.2


class Attempt(NamedTuple):
    """One finished attempt: the enrolment's registration and the answers."""

    registration: str
    answers: dict[str, Answer]


@dataclass(frozen=True)
class OptionRow:
    """How often one option (or one match, or one value) was chosen."""

    key: str
    #: Bilingual label; None when the template names it (true/false) or uses the key.
    label: Mapping[str, str] | None
    #: Whether choosing it is part of the right answer; None when that has no sense.
    correct: bool | None
    count: int
    #: Share of the attempts that answered the question.
    share: float


@dataclass(frozen=True)
class QuestionRow:
    """One question with its statistics, option counts and warnings."""

    question: object
    statistics: ItemStatistics | None
    options: tuple[OptionRow, ...]
    #: Keys of the warnings: "easy", "hard", "negative", "low"; "few" when unjudged.
    flags: tuple[str, ...]


def attempts_from_statements(
    statements: Iterable[Mapping], quiz_iri: str, question_ids: Collection[str]
) -> list[Attempt]:
    """Group answered statements into finished attempts, in the order they closed."""
    prefix = f"{quiz_iri}/question/"
    open_attempts: dict[str, dict[str, Answer]] = {}
    finished: list[Attempt] = []
    for statement in statements:
        registration = (statement.get("context") or {}).get("registration")
        target = (statement.get("object") or {}).get("id", "")
        verb = (statement.get("verb") or {}).get("id")
        if registration is None:
            continue
        if verb == ANSWERED and target.startswith(prefix):
            question_id = unquote(target[len(prefix) :])
            answer = answer_of(statement)
            if question_id not in question_ids or answer is None:
                continue
            current = open_attempts.setdefault(registration, {})
            if question_id in current:  # the earlier attempt was never closed
                current = open_attempts[registration] = {}
            current[question_id] = answer
        elif target == quiz_iri and verb == ATTEMPTED:
            open_attempts.pop(registration, None)
        elif target == quiz_iri and verb in CLOSING:
            answers = open_attempts.pop(registration, None)
            if answers:
                finished.append(Attempt(registration, answers))
    return finished


def answer_of(statement: Mapping) -> Answer | None:
    """Read score, max and response; fall back on success when there is no score."""
    result = statement.get("result") or {}
    score = result.get("score") or {}
    raw, top = score.get("raw"), score.get("max")
    response = result.get("response")
    response = response if isinstance(response, str) else None
    if _number(raw) and _number(top) and top > 0:
        return float(raw), float(top), response
    if isinstance(result.get("success"), bool):
        return float(result["success"]), 1.0, response
    return None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def question_rows(quiz: Quiz, attempts: list[Attempt]) -> list[QuestionRow]:
    """Return a row per question of the quiz, in authored order."""
    statistics = item_statistics([attempt.answers for attempt in attempts])
    rows = []
    for question in quiz.questions:
        item = statistics.get(question.id)
        rows.append(
            QuestionRow(
                question=question,
                statistics=item,
                options=option_rows(question, item),
                flags=flags(item),
            )
        )
    return rows


def flags(item: ItemStatistics | None) -> tuple[str, ...]:
    """Return the warnings for a question, or ("few",) when too few answered it."""
    if item is None or item.n < MIN_ANSWERS:
        return ("few",)
    found = []
    if item.difficulty is not None and item.difficulty > EASY:
        found.append("easy")
    elif item.difficulty is not None and item.difficulty < HARD:
        found.append("hard")
    if item.discrimination is not None and item.discrimination < 0:
        found.append("negative")
    elif item.discrimination is not None and item.discrimination < LOW_DISCRIMINATION:
        found.append("low")
    return tuple(found)


def option_rows(question, item: ItemStatistics | None) -> tuple[OptionRow, ...]:
    """Return how often each option was chosen, labelled for the question's type."""
    counts = dict(item.option_counts) if item else {}
    n = item.n if item else 0
    kind = question.type_name
    if kind in ("single_choice", "multiple_choice"):
        keyed = [(o.id, o.text, o.correct) for o in question.options]
    elif kind == "true_false":
        right = "true" if question.answer else "false"
        keyed = [(key, None, key == right) for key in ("true", "false")]
    elif kind == "matching":
        keyed = _matches(question, counts)
    elif kind == "numeric":
        ordered = sorted(counts, key=lambda value: (-counts[value], value))
        keyed = [(value, None, None) for value in ordered]
    else:  # every ordering answer names every item, so counts per item say nothing
        keyed = []
    return tuple(
        OptionRow(key, label, correct, counts.get(key, 0), _share(counts, key, n))
        for key, label, correct in keyed
    )


def _matches(question, counts: Mapping[str, int]) -> list[tuple]:
    """List each right match, then each wrong match that someone chose."""
    pairs = {pair.id: pair for pair in question.pairs}
    keys = [f"{pair.id}{PAIR_DELIMITER}{pair.id}" for pair in question.pairs]
    keys += sorted(key for key in counts if key not in keys)
    keyed = []
    for key in keys:
        left, _, right = key.partition(PAIR_DELIMITER)
        if left in pairs and right in pairs:
            label = {
                lang: f"{pairs[left].left[lang]} → {pairs[right].right[lang]}"
                for lang in pairs[left].left
            }
            keyed.append((key, label, left == right))
    return keyed


def _share(counts: Mapping[str, int], key: str, n: int) -> float:
    return counts.get(key, 0) / n if n else 0.0
