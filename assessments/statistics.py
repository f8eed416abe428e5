"""Item statistics over graded attempts, for an educator's item analysis."""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assessments.questions import DELIMITER

#: One attempt's answer to one question: score, max score, xAPI response pattern.
Answer = tuple[float, float, str | None]


@dataclass(frozen=True)
class ItemStatistics:
    """Hold the classical item statistics of one question."""

    question_id: str
    #: Number of attempts that included the question.
    n: int
    #: Mean share of the points earned; higher means easier.
    difficulty: float | None
    #: Point-biserial correlation of full marks with the score on the other items.
    discrimination: float | None
    #: How often each option id (or other pattern part) was chosen.
    option_counts: Mapping[str, int]


def item_statistics(
    attempts: Sequence[Mapping[str, Answer]],
) -> dict[str, ItemStatistics]:
    """Compute difficulty, discrimination and option counts for every question."""
    totals = [
        math.fsum(answer[0] for answer in attempt.values()) for attempt in attempts
    ]
    question_ids = dict.fromkeys(qid for attempt in attempts for qid in attempt)
    return {
        question_id: _statistics(question_id, attempts, totals)
        for question_id in question_ids
    }


def _statistics(
    question_id: str, attempts: Sequence[Mapping[str, Answer]], totals: list[float]
) -> ItemStatistics:
    answers = [
        (attempt[question_id], total)
        for attempt, total in zip(attempts, totals, strict=True)
        if question_id in attempt
    ]
    shares = [_share(score, max_score) for (score, max_score, _), _ in answers]
    full_marks = [float(score >= max_score) for (score, max_score, _), _ in answers]
    rest = [total - score for (score, _, _), total in answers]
    return ItemStatistics(
        question_id=question_id,
        n=len(answers),
        difficulty=math.fsum(shares) / len(shares) if shares else None,
        discrimination=correlation(full_marks, rest),
        option_counts=_option_counts(pattern for (_, _, pattern), _ in answers),
    )


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Return Pearson's r, or None when fewer than two pairs or a variable is flat."""
    if len(xs) < 2:
        return None
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    dx = [x - mean_x for x in xs]
    dy = [y - mean_y for y in ys]
    spread = math.sqrt(math.fsum(d * d for d in dx) * math.fsum(d * d for d in dy))
    if spread == 0:
        return None
    r = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) / spread
    return max(-1.0, min(1.0, r))  # rounding can push r a hair past 1


def _share(score: float, max_score: float) -> float:
    return score / max_score if max_score > 0 else 0.0


def _option_counts(patterns: Iterable[str | None]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for pattern in patterns:
        if pattern:
            counts.update(part for part in pattern.split(DELIMITER) if part)
    return dict(counts)
