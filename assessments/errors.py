"""Exceptions raised by the assessment engine."""


class AssessmentError(Exception):
    """Signal any error of the assessment engine."""


class UnknownQuestionType(AssessmentError):
    """Signal a question type that is not in the registry."""

    def __init__(self, type_name: str, source: str = "") -> None:
        self.type_name = type_name
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"unknown question type {type_name!r}{where}")


class InvalidQuestion(AssessmentError):
    """Signal a malformed question or quiz definition."""

    def __init__(self, field: str, message: str, source: str = "") -> None:
        self.field = field
        self.message = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: {message}" if field else where + message)

    def within(self, prefix: str = "", source: str = "") -> "InvalidQuestion":
        """Return this error with its field nested under ``prefix`` and a source."""
        field = ".".join(part for part in (prefix, self.field) if part)
        return InvalidQuestion(field, self.message, source or self.source)


class InvalidResponse(AssessmentError):
    """Signal a response of the wrong shape or naming unknown ids."""

    def __init__(self, question_id: str, message: str) -> None:
        self.question_id = question_id
        self.message = message
        super().__init__(f"question {question_id!r}: {message}")


class AttemptLimitReached(AssessmentError):
    """Signal that a learner may not start another attempt at a quiz."""

    def __init__(
        self, max_attempts: int | None, attempts_used: int, passed_before: bool = False
    ) -> None:
        self.max_attempts = max_attempts
        self.attempts_used = attempts_used
        self.passed_before = passed_before
        if passed_before:
            message = "the quiz is already passed"
        else:
            message = f"all {max_attempts} attempts are used"
        super().__init__(message)
