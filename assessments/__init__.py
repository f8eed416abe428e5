"""Framework-free assessment engine: questions, quizzes, grading and statistics."""

from assessments.errors import (
    AssessmentError,
    AttemptLimitReached,
    InvalidQuestion,
    InvalidResponse,
    UnknownQuestionType,
)
from assessments.grading import (
    AttemptResult,
    attempts_left,
    check_can_attempt,
    grade_attempt,
    summarise,
)
from assessments.questions import (
    QUESTION_TYPES,
    Item,
    Matching,
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Pair,
    Question,
    QuestionResult,
    SingleChoice,
    Text,
    TrueFalse,
    format_number,
)
from assessments.quiz import Quiz, build_question, build_quiz
from assessments.shuffle import Presentation, present
from assessments.statistics import ItemStatistics, item_statistics

__all__ = [
    "QUESTION_TYPES",
    "AssessmentError",
    "AttemptLimitReached",
    "AttemptResult",
    "InvalidQuestion",
    "InvalidResponse",
    "Item",
    "ItemStatistics",
    "Matching",
    "MultipleChoice",
    "Numeric",
    "Option",
    "Ordering",
    "Pair",
    "Presentation",
    "Question",
    "QuestionResult",
    "Quiz",
    "SingleChoice",
    "Text",
    "TrueFalse",
    "UnknownQuestionType",
    "attempts_left",
    "build_question",
    "build_quiz",
    "check_can_attempt",
    "format_number",
    "grade_attempt",
    "item_statistics",
    "present",
    "summarise",
]
