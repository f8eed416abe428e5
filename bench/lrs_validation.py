"""Time xAPI statement validation (and validation + orjson.dumps) per statement."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xapi.validation import validate_statement  # noqa: E402

ROUNDS = 100_000
REPEATS = 5

STATEMENT: dict = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {
        "objectType": "Agent",
        "name": "Alex Example",
        "account": {"homePage": "https://lms.example.org", "name": "u-1625378"},
    },
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/completed",
        "display": {"en-US": "completed", "de-DE": "abgeschlossen"},
    },
    "object": {
        "objectType": "Activity",
        "id": "https://lms.example.org/modules/hand-hygiene/quiz",
        "definition": {
            "name": {"en-US": "Hand hygiene quiz"},
            "description": {"en-US": "Five questions on hand hygiene."},
            "type": "http://adlnet.gov/expapi/activities/assessment",
        },
    },
    "result": {
        "score": {"scaled": 0.8, "raw": 8, "min": 0, "max": 10},
        "success": True,
        "completion": True,
        "duration": "PT4M12.5S",
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {
            "parent": [{"id": "https://lms.example.org/modules/hand-hygiene"}],
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
        },
        "platform": "bdk-lms",
        "language": "de-DE",
        "extensions": {"https://lms.example.org/xapi/ext/attempt": 2},
    },
    "timestamp": "2024-05-18T05:32:34.804Z",
}
BODY = orjson.dumps(STATEMENT)


def timed_rounds(run: Callable[[int], None]) -> tuple[float, float]:
    """Time ``run(n)`` in ROUNDS calls split into REPEATS; return best, median us."""
    per_round = ROUNDS // REPEATS
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run(per_round)
        times.append((time.perf_counter() - start) / per_round * 1e6)
    return min(times), statistics.median(times)


def validate_only(count: int) -> None:
    """Validate the sample statement ``count`` times."""
    for _ in range(count):
        validate_statement(STATEMENT)


def validate_and_dump(count: int) -> None:
    """Validate, then serialise the statement the way the store would."""
    for _ in range(count):
        validate_statement(STATEMENT)
        orjson.dumps(STATEMENT)


def parse_only(count: int) -> None:
    """Parse the statement's JSON ``count`` times (baseline for the next one)."""
    for _ in range(count):
        orjson.loads(BODY)


def parse_and_validate(count: int) -> None:
    """Parse and validate freshly parsed statements (no cached string hashes)."""
    for _ in range(count):
        validate_statement(orjson.loads(BODY))


def main() -> None:
    """Run the benchmark and print microseconds per statement."""
    validate_statement(STATEMENT)  # fail loudly if the sample is invalid
    print(f"{ROUNDS} statements per measurement, {REPEATS} rounds; best / median")
    results = {
        "validation": timed_rounds(validate_only),
        "validation + orjson.dumps": timed_rounds(validate_and_dump),
        "orjson.loads alone": timed_rounds(parse_only),
        "orjson.loads + validation": timed_rounds(parse_and_validate),
    }
    for label, (best, median) in results.items():
        print(f"{label:28} {best:6.2f} / {median:6.2f} us/statement")
    fresh = results["orjson.loads + validation"][0] - results["orjson.loads alone"][0]
    print(f"{'validation, fresh data':28} {fresh:6.2f} us/statement (best minus best)")


if __name__ == "__main__":
    main()
