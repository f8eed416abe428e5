"""LRS client credentials: a cached HTTP Basic check and the xAPI scope rules.

Checking a secret means a deliberately slow password hash (scrypt). A client that
sends thousands of statements a second must not pay that on every request, so a
successful check is remembered in-process, keyed by the key and a SHA-256 of the
secret, for LRS_CREDENTIAL_CACHE_SECONDS. Changing a client invalidates the entry
in this process; other processes notice within that TTL.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from flask import current_app

from lms.extensions import db

#: Methods that only read; "all/read" allows them everywhere.
READ_METHODS = frozenset({"GET", "HEAD"})
#: Remembered credentials at most; the least recently used go first.
CACHE_SIZE = 1024
DEFAULT_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Client:
    """An authenticated LRS client, detached from the database session."""

    id: int
    key: str
    name: str
    scopes: frozenset[str]
    #: The authority Agent stamped on the client's statements.
    authority: Mapping


def allows(scopes: Iterable[str], wanted: Iterable[str], *, method: str) -> bool:
    """Return whether ``scopes`` allow a request that needs one of ``wanted``.

    Communication 4.2.s2: "all" is "unrestricted access", "all/read" is
    "unrestricted read access".
    """
    held = set(scopes)
    if "all" in held:
        return True
    if method in READ_METHODS and "all/read" in held:
        return True
    return bool(held & set(wanted))


class _Cache:
    """A small thread-safe LRU of successful credential checks with a TTL."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, bytes], tuple[float, Client]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, entry: tuple[str, bytes]) -> Client | None:
        """Return a remembered client that has not expired."""
        with self._lock:
            found = self._entries.get(entry)
            if found is None:
                return None
            expires, client = found
            if expires < time.monotonic():
                del self._entries[entry]
                return None
            self._entries.move_to_end(entry)
            return client

    def put(self, entry: tuple[str, bytes], client: Client, ttl: float) -> None:
        """Remember a client until ``ttl`` seconds from now."""
        with self._lock:
            self._entries[entry] = (time.monotonic() + ttl, client)
            self._entries.move_to_end(entry)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def drop(self, key: str | None) -> None:
        """Forget every entry of ``key``, or everything when ``key`` is None."""
        with self._lock:
            for entry in [e for e in self._entries if key is None or e[0] == key]:
                del self._entries[entry]


_cache = _Cache(CACHE_SIZE)


def basic_credentials(value: str) -> tuple[str, str]:
    """Return (key, secret) of an HTTP Basic Authorization value; ValueError saying
    what is wrong with it."""
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() != "basic" or not credentials.strip():
        raise ValueError("use HTTP Basic authentication")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8
        raise ValueError("the Basic credentials cannot be read") from None
    key, colon, secret = decoded.partition(":")
    if not colon:
        raise ValueError("the credentials were refused")
    return key, secret


def remembered(key: str, secret: str) -> Client | None:
    """Return the client if this check succeeded lately, without the database."""
    return _cache.get(_entry(key, secret))


def _entry(key: str, secret: str) -> tuple[str, bytes]:
    return key, hashlib.sha256(secret.encode("utf-8")).digest()


def authenticate(key: str, secret: str) -> Client | None:
    """Return the active client with this key and secret, or None."""
    entry = _entry(key, secret)
    client = _cache.get(entry)
    if client is not None:
        return client
    # When a busy client's entry expires, its concurrent requests would each pay
    # for the hash; one checks, the others then find its answer remembered.
    with _checking(entry):
        client = _cache.get(entry)
        if client is not None:
            return client
        client = _check(key, secret)
        ttl = float(
            current_app.config.get(
                "LRS_CREDENTIAL_CACHE_SECONDS", DEFAULT_CACHE_SECONDS
            )
        )
        if client is not None and ttl > 0:
            _cache.put(entry, client, ttl)
        return client


_checks_lock = threading.Lock()
_checks: dict[tuple[str, bytes], tuple[threading.Lock, int]] = {}


@contextlib.contextmanager
def _checking(entry: tuple[str, bytes]) -> Iterator[None]:
    """Hold the lock of one set of credentials while it is checked."""
    with _checks_lock:
        lock, users = _checks.get(entry, (threading.Lock(), 0))
        _checks[entry] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _checks_lock:
            lock, users = _checks[entry]
            if users == 1:
                del _checks[entry]
            else:
                _checks[entry] = (lock, users - 1)


def _check(key: str, secret: str) -> Client | None:
    """Check the credentials against the database, paying for the hash."""
    from lms.models.lrs import LRSClient

    row = db.session.execute(
        db.select(LRSClient).filter_by(key=key, active=True)
    ).scalar_one_or_none()
    if row is None or not row.check_secret(secret):
        return None
    return Client(
        id=row.id,
        key=row.key,
        name=row.name,
        scopes=frozenset(row.scopes),
        authority=MappingProxyType(dict(row.authority)),
    )


def invalidate(key: str | None = None) -> None:
    """Forget cached checks of one client (after a change), or of all clients."""
    _cache.drop(key)
