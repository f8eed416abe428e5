"""The registry of activity kinds: how each is done and how its file is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cases import parse_case
from .document import Package, Table
from .lessons import LESSON_SUFFIXES, parse_lesson
from .quizzes import parse_quiz
from .tasks import parse_task

Parser = Callable[[Table, str, Package], Any]


@dataclass(frozen=True)
class ActivityKind:
    """How an activity kind counts as done, and which file describes it."""

    done_when: tuple[str, ...]
    parse: Parser | None = None
    #: How the file value is written, for error messages; "" when there is none.
    example: str = ""
    suffixes: tuple[str, ...] = ("",)
    extra_keys: tuple[str, ...] = ()

    @property
    def needs_file(self) -> bool:
        """Tell whether activities of this kind name a file in the package."""
        return self.parse is not None

    @property
    def default_done_when(self) -> str:
        """Return how an activity of this kind is done unless it says otherwise."""
        return self.done_when[0]

    def paths(self, file: str) -> tuple[str, ...]:
        """Return the package paths that an activity's file value refers to."""
        return tuple(file + suffix for suffix in self.suffixes)


ACTIVITY_KINDS: dict[str, ActivityKind] = {
    "lesson": ActivityKind(
        ("read",), parse_lesson, "lessons/NAME", LESSON_SUFFIXES, ("video",)
    ),
    "case": ActivityKind(("completed",), parse_case, "cases/NAME.toml"),
    "quiz": ActivityKind(("passed", "completed"), parse_quiz, "quizzes/NAME.toml"),
    "practice_task": ActivityKind(
        ("approved", "submitted"), parse_task, "tasks/NAME.toml"
    ),
    "webinar": ActivityKind(("attended",)),
    "meeting": ActivityKind(("attended",)),
}
