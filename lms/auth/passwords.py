"""The password policy: length limits, no common password, not the email.

Pure functions without Flask; callers pass the configured lengths and turn the
problem codes into messages (translated on pages, plain English in the CSV import).
The common passwords are Django's list of 20,000 (see lms/auth/data/NOTICE).
"""

import gzip
from functools import cache
from pathlib import Path

COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"
MIN_LENGTH = 12
MAX_LENGTH = 128

TOO_SHORT = "too_short"
TOO_LONG = "too_long"
COMMON = "common"
IS_EMAIL = "is_email"


@cache
def common_passwords() -> frozenset[str]:
    """Load the bundled list once, lower-cased."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def problems(
    password: str,
    email: str | None = None,
    min_length: int = MIN_LENGTH,
    max_length: int = MAX_LENGTH,
) -> list[str]:
    """Return the codes of every rule the password breaks; empty when it is fine."""
    found = []
    if len(password) < min_length:
        found.append(TOO_SHORT)
    if len(password) > max_length:
        found.append(TOO_LONG)
    folded = password.strip().lower()
    if folded in common_passwords():
        found.append(COMMON)
    if email and folded == email.strip().lower():
        found.append(IS_EMAIL)
    return found


def english(
    code: str, min_length: int = MIN_LENGTH, max_length: int = MAX_LENGTH
) -> str:
    """Describe a problem in plain English, for files and the command line."""
    return {
        TOO_SHORT: f"must have at least {min_length} characters",
        TOO_LONG: f"must have at most {max_length} characters",
        COMMON: "is too common; choose one that is harder to guess",
        IS_EMAIL: "must not be the email address",
    }[code]
