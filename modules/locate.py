"""Find the line of a key path in TOML text, since tomllib reports none."""

from __future__ import annotations

from collections.abc import Iterator

KeyPath = tuple[str | int, ...]

_SPACE = " \t\r"


def index_lines(text: str) -> dict[KeyPath, int]:
    """Map every table header and key in valid TOML text to its line."""
    index: dict[KeyPath, int] = {}
    array_sizes: dict[KeyPath, int] = {}
    table: KeyPath = ()
    for line, kind, raw_key in _statements(text):
        keys = split_key(raw_key)
        if kind == "key":
            _register(index, table + keys, line)
            continue
        table = _resolve(keys[:-1], array_sizes) + keys[-1:]
        if kind == "array":
            size = array_sizes.get(table, 0)
            array_sizes[table] = size + 1
            _register(index, table, line)
            table += (size,)
        _register(index, table, line)
    return index


def key_line(index: dict[KeyPath, int], path: KeyPath) -> int | None:
    """Return the line of path, or of its longest prefix that has one."""
    for end in range(len(path), 0, -1):
        line = index.get(path[:end])
        if line is not None:
            return line
    return None


def split_key(raw_key: str) -> tuple[str, ...]:
    """Split a dotted TOML key into its parts, removing quotes."""
    parts, current, quote = [], "", ""
    for char in raw_key:
        if quote and char == quote:
            quote = ""
        elif quote:
            current += char
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return tuple(parts)


def _register(index: dict[KeyPath, int], path: KeyPath, line: int) -> None:
    """Record the line of path and of its prefixes not seen before."""
    for end in range(1, len(path) + 1):
        index.setdefault(path[:end], line)


def _resolve(keys: tuple[str, ...], array_sizes: dict[KeyPath, int]) -> KeyPath:
    """Turn header keys into a path, entering the last item of each array."""
    path: KeyPath = ()
    for key in keys:
        path += (key,)
        if path in array_sizes:
            path += (array_sizes[path] - 1,)
    return path


def _statements(text: str) -> Iterator[tuple[int, str, str]]:
    """Yield (line, "table" | "array" | "key", raw key) for each statement."""
    scanner = _Scanner(text)
    while scanner.skip_blank():
        if scanner.peek() == "[":
            yield scanner.header()
        else:
            yield scanner.key_value()


class _Scanner:
    """Walk TOML text statement by statement, counting lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def peek(self) -> str:
        """Return the current character, or "" at the end."""
        return self.text[self.pos : self.pos + 1]

    def skip_blank(self) -> bool:
        """Skip whitespace, newlines and comments; return False at the end."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\n":
                self.line += 1
                self.pos += 1
            elif char in _SPACE:
                self.pos += 1
            elif char == "#":
                self.skip_to_newline()
            else:
                return True
        return False

    def skip_to_newline(self) -> None:
        """Move to the next newline without consuming it."""
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def header(self) -> tuple[int, str, str]:
        """Read a [table] or [[array]] header."""
        line = self.line
        kind = "array" if self.text.startswith("[[", self.pos) else "table"
        start = self.pos + (2 if kind == "array" else 1)
        self.pos = start
        self.skip_key_until("]")
        raw_key = self.text[start : self.pos]
        self.skip_to_newline()
        return line, kind, raw_key

    def key_value(self) -> tuple[int, str, str]:
        """Read a key = value pair, skipping over the whole value."""
        line, start = self.line, self.pos
        self.skip_key_until("=")
        raw_key = self.text[start : self.pos]
        self.pos += 1
        self.skip_value()
        return line, "key", raw_key

    def skip_key_until(self, stop: str) -> None:
        """Move to the stop character, stepping over quoted key parts."""
        while self.pos < len(self.text) and self.text[self.pos] not in stop + "\n":
            if self.text[self.pos] in "\"'":
                self.skip_string()
            else:
                self.pos += 1

    def skip_value(self) -> None:
        """Move past a value, which may span lines inside arrays or strings."""
        depth = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\n" and depth <= 0:
                return
            if char in "\"'":
                self.skip_string()
                continue
            if char == "#":
                self.skip_to_newline()
                continue
            depth += (char in "[{") - (char in "]}")
            self.line += char == "\n"
            self.pos += 1

    def skip_string(self) -> None:
        """Move past a basic, literal or multi-line string."""
        quote = self.text[self.pos]
        delimiter = quote * 3 if self.text.startswith(quote * 3, self.pos) else quote
        self.pos += len(delimiter)
        while self.pos < len(self.text):
            if quote == '"' and self.text[self.pos] == "\\":
                self.advance(2)
            elif self.text.startswith(delimiter, self.pos):
                self.pos += len(delimiter)
                self.skip_extra_quotes(quote, len(delimiter))
                return
            else:
                self.advance(1)

    def skip_extra_quotes(self, quote: str, delimiter_length: int) -> None:
        """Consume up to two quotes that end a multi-line string's content."""
        extra = 0
        while delimiter_length == 3 and extra < 2 and self.peek() == quote:
            self.pos += 1
            extra += 1

    def advance(self, count: int) -> None:
        """Move forward count characters, counting newlines."""
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count
