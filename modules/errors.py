"""Errors found in a module package, each naming the file and the line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PackageError:
    """One problem in a package file, at a line when one is known."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        """Format as "file:line: message", leaving out the line when unknown."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class PackageInvalid(Exception):
    """Raised when a package or framework has errors; holds all of them."""

    def __init__(self, errors: list[PackageError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = list(errors)
