"""Database ids in URLs and forms: whole numbers that fit an integer column."""

from werkzeug.routing import Map
from werkzeug.routing.converters import IntegerConverter

#: The largest value of an INTEGER column on PostgreSQL; larger ids cannot exist.
MAX_ID = 2**31 - 1


def parse_id(text: str | None) -> int | None:
    """Return the id written in ``text`` (ASCII digits only), or None."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in a URL: a number that cannot be an id does not match (404).

    Without a limit a 20-digit number reaches the database, which refuses it with
    an error instead of finding nothing.
    """

    def __init__(self, map: Map, *args, **kwargs) -> None:
        """Take werkzeug's arguments; the maximum defaults to the largest id."""
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
