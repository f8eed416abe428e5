"""Exceptions shared by the xAPI package."""


class XAPIError(Exception):
    """Base class of every xAPI error."""


class StatementValidationError(XAPIError):
    """A statement breaks an xAPI rule; ``path`` names the offending property."""

    def __init__(self, path: str, message: str) -> None:
        """Store the property path and the human-readable message."""
        super().__init__(path, message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        """Render as ``path: message``."""
        return f"{self.path}: {self.message}"


class ConflictError(XAPIError):
    """A statement id is already stored with different content."""


class DuplicateIdError(XAPIError):
    """The same statement id appears twice in one batch."""


class PreconditionFailed(XAPIError):
    """An If-Match or If-None-Match precondition does not hold (412)."""


class ConflictNeedsPrecondition(XAPIError):
    """A PUT would overwrite a profile document without a precondition (409)."""


class MergeNotPossible(XAPIError):
    """A POSTed document cannot be merged into the stored one as JSON (400)."""
