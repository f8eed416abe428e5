"""Storing statements from LRS clients: JSON or multipart, attachments, signatures."""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Mapping

import orjson
from flask import Flask, current_app, has_app_context, request
from sqlalchemy.exc import DBAPIError

from lms import checkpoints
from lms.database import DRIVER_ERRORS, DatabaseBusy, lock_timeout, sqlstate
from lms.extensions import db
from lms.lrs import grouping, multipart, writer
from lms.lrs.http import (
    FORM_CONTENT_TYPE,
    LRSError,
    api_version,
    body,
    client_authority,
    content_type,
    holds,
    is_alternate,
    parse_json,
)
from lms.records import ingest
from xapi.errors import ConflictError, DuplicateIdError, StatementValidationError
from xapi.signatures import SIGNATURE_USAGE_TYPE, check_signature
from xapi.store import Attachment, save_attachments, validate_batch


def read_content() -> tuple[object, dict[str, Attachment]]:
    """Return the JSON of a PUT/POST and its attachment parts by SHA-2.

    Communication 1.5: statements come as application/json or as multipart/mixed
    whose "first part of the multipart document MUST contain the Statements
    themselves, with type application/json".
    """
    mimetype, options = content_type()
    if is_alternate() and mimetype == FORM_CONTENT_TYPE:
        # No Content-Type form field: the content is "a UTF-8 string" (1.3.s3.b5),
        # which for the Statement resource can only be JSON.
        mimetype = "application/json"
    if mimetype == "application/json":
        return parse_json(body()), {}
    if mimetype != "multipart/mixed":
        raise LRSError(
            400,
            "Content-Type must be application/json or multipart/mixed, not "
            f"{mimetype or 'missing'!r}",
        )
    parts = multipart.split(body(), options.get("boundary", ""))
    if not parts:
        raise LRSError(400, "the multipart body has no parts")
    first_type = parts[0].headers.get("content-type", "").split(";")[0].strip()
    if first_type.lower() != "application/json":
        raise LRSError(
            400, "the first multipart part must have Content-Type application/json"
        )
    statements = parse_json(parts[0].content, what="first multipart part")
    return statements, multipart.attachment_parts(parts[1:])


log = logging.getLogger(__name__)

#: SQLite has one writer at a time, and a waiting writer polls with sleeps of up to
#: 100 ms; queueing this process's writers on a lock instead keeps latency even.
_SQLITE_WRITER = threading.Lock()


#: Attempts at a batch that PostgreSQL aborts as a deadlock or serialization failure.
ATTEMPTS = 3
#: SQLSTATEs of transactions that fail only because of concurrent ones.
_TRANSIENT = frozenset({"40P01", "40001"})


#: What storing a request refuses with 400 or 409 (lms.lrs.http answers them).
REFUSALS = (StatementValidationError, DuplicateIdError, ConflictError, LRSError)
#: WSGI environ key: the refusal lms.lrs.fast met storing this request's body.
REFUSED = "lms.lrs.refused"


def store(statements: list, parts: Mapping[str, Attachment]) -> list[str]:
    """Validate and store a request's statements, all or nothing; commit."""
    refused = request.environ.pop(REFUSED, None)
    if refused is not None and not parts:
        # The fast path tried these very statements (the same body) and left
        # the answer to Flask: trying again would only repeat the refusal.
        raise refused
    source = (client_authority(), api_version().header, holds("define"))
    # What the request read so far (its credentials) ends here: a request waiting
    # for its round must not hold a pooled connection the round's leader needs.
    db.session.rollback()
    if parts:
        validate_batch(statements, source[0], version=source[1])
        return _store_now(statements, parts, source)
    return store_in(current_app._get_current_object(), source, statements)


def store_in(
    app: Flask,
    source: tuple[dict, str, bool],
    statements: list,
    announcement: grouping.Announcement | None = None,
) -> list[str]:
    """Validate and store statements without attachments of a client (authority,
    version, scope "define"); commit.

    They go to a writer process where one is configured (lms.lrs.writer), else
    through the group commit, so that concurrent small POSTs of this process share
    one transaction. Only a request that writes enters an app
    context: most requests under load join another's round and only wait, so
    lms.lrs.fast calls this without one and they skip pushing and tearing down a
    context and its session, a tenth of a small POST's CPU.
    """
    # Validated here, in the request's own thread, while the round before it
    # waits for the database, rather than by the leader of its round.
    validate_batch(statements, source[0], version=source[1])
    sender = writer.client_for(app)
    if sender is not None and statements:
        given = writer.with_ids(statements)
        try:
            return sender.store(source, given)
        except writer.WriterUnavailable:
            pass
        except (writer.WriterFailed, writer.WriterLost):
            # Stored here again, the same statements give the exact error, or,
            # where the writer stored them after all, their ids.
            statements = given

    def write(batch: list) -> list[str]:
        with app_context(app):
            return _write(batch, source)

    if not statements or len(statements) > grouping.ROUND_LIMIT:
        return write(statements)
    return GROUPS.store(
        statements,
        (id(app), orjson.dumps(source)),
        write,
        announcement,
        parallel_rounds(app),
    )


def parallel_rounds(app: Flask) -> int:
    """Return how many group-commit rounds of a process may write at once: one on
    SQLite, which has one writer, two elsewhere unless configured."""
    configured = int(app.config.get("LRS_PARALLEL_ROUNDS") or 0)
    if configured > 0:
        return configured
    uri = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    return 1 if uri.startswith("sqlite") else 2


def app_context(app: Flask) -> contextlib.AbstractContextManager:
    """Return the app context to work in: the one already pushed for this app (as
    a Flask request would use it, in tests), else a new one."""
    if has_app_context() and current_app._get_current_object() is app:
        return contextlib.nullcontext()
    return app.app_context()


def _write(batch: list, source: tuple[dict, str, bool]) -> list[str]:
    """Store one round's batch in one transaction; leave nothing behind on error."""
    try:
        return _store_now(batch, {}, source)
    except BaseException:
        db.session.rollback()
        raise


#: The group commit of this process's statement POSTs.
GROUPS = grouping.GroupCommit()


def _store_now(
    statements: list, parts: Mapping[str, Attachment], source: tuple[dict, str, bool]
) -> list[str]:
    """Store one batch of a client (authority, version, scope "define") in one
    transaction, retried when PostgreSQL aborts it.

    Concurrent batches that define the same Activities can deadlock on PostgreSQL;
    the database then aborts one of them, which is retried from the start.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            if db.engine.dialect.name != "sqlite":
                return _store(statements, parts, source)
            # Wait no longer for this queue than SQLite would wait for its lock,
            # so a long-held lock gives 503s instead of a growing queue.
            if not _SQLITE_WRITER.acquire(timeout=lock_timeout()):
                raise DatabaseBusy("no turn to write within the lock timeout")
            try:
                return _store(statements, parts, source)
            finally:
                _SQLITE_WRITER.release()
        except (DBAPIError, *DRIVER_ERRORS) as error:
            # The driver's errors may come unwrapped (code that uses it directly).
            if sqlstate(error) not in _TRANSIENT:
                raise
            db.session.rollback()
            if attempt == ATTEMPTS:
                raise
            log.info("statement batch retried after %s", sqlstate(error))
            time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")


def _store(
    statements: list, parts: Mapping[str, Attachment], source: tuple[dict, str, bool]
) -> list[str]:
    authority, version, define = source
    # store() or store_in() validated them.
    ids = ingest(statements, authority, version=version, define=define, validate=False)
    used = _check_attachments(statements, parts)
    save_attachments(db.session.connection(), [parts[sha2] for sha2 in used])
    db.session.commit()
    checkpoints.after_write(db.engine)
    return ids


def _check_attachments(statements: list, parts: Mapping[str, Attachment]) -> set[str]:
    """Match every attachment to a part or a fileUrl; check signatures.

    Communication 1.5.2.s3.b5: the LRS "MUST reject batches of Statements having
    Attachments that neither contain a fileUrl nor match a received Attachment part
    based on their hash"; Data 2.6.s5.b1: it "MUST reject requests to store
    Statements that contain malformed signatures, with 400 Bad Request".
    """
    used: set[str] = set()
    for index, statement in enumerate(statements):
        path = f"statements[{index}]" if len(statements) > 1 else "statement"
        for holder, where in _holders(statement, path):
            for number, attachment in enumerate(holder.get("attachments") or ()):
                sha2 = attachment["sha2"].lower()
                here = f"{where}.attachments[{number}]"
                if sha2 in parts:
                    used.add(sha2)
                elif "fileUrl" not in attachment:
                    raise StatementValidationError(
                        here, "has no fileUrl and no multipart part with its sha2"
                    )
                signed = attachment["usageType"] == SIGNATURE_USAGE_TYPE
                if signed and holder is statement and sha2 in parts:
                    check_signature(holder, parts[sha2].content, path=where)
    unmatched = sorted(set(parts) - used)
    if unmatched:
        raise LRSError(
            400, f"multipart part with hash {unmatched[0]} matches no attachment"
        )
    return used


def _holders(statement: Mapping, path: str) -> list[tuple[Mapping, str]]:
    """Return the statement and its SubStatement, which may carry attachments."""
    holders = [(statement, path)]
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        holders.append((obj, f"{path}.object"))
    return holders
