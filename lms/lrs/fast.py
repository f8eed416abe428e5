"""The everyday statement POST and GET, answered without Flask's request machinery.

Most traffic to an LRS is clients posting statements as JSON, and reading pages of
them. Flask's request and response objects, hooks and error handlers cost about as
much CPU as storing a statement, and about half of a page's time, so this WSGI
middleware serves those cases itself:

- a POST to /xapi/statements with a JSON body, known credentials (from the
  credential cache) and a supported version; it answers success, 503 and nothing
  else;
- a GET of a page of /xapi/statements in the "exact" format without attachments,
  by a client that may read every statement; it answers success only.

Every other request, and every request it would refuse, goes on to Flask unchanged
(the body put back), so each rule and error answer lives in one place:
lms.lrs.http and the views.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

import orjson
import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" error handler
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from lms.database import (
    DRIVER_ERRORS,
    DatabaseBusy,
    connection_for_reading,
    unavailability,
)
from lms.errors import LRS_UNAVAILABLE, RETRY_AFTER
from lms.lrs import versions
from lms.lrs.credentials import allows, basic_credentials, remembered
from lms.lrs.grouping import Announcement
from lms.lrs.http import (
    CORS_HEADERS,
    DEFAULT_MAX_BODY,
    consistent_through_header,
    etag,
    recent_consistent_through,
)
from lms.lrs.read import (
    CURSOR,
    FILTERS,
    exact_result,
    max_limit,
    more_url,
    page_modified,
    page_query,
)
from lms.lrs.write import GROUPS, REFUSALS, REFUSED, app_context, store_in
from lms.security_headers import HEADERS as SECURITY_HEADERS
from lms.security_headers import STRICT_TRANSPORT_SECURITY
from xapi.store import StatementQuery, query_payloads

log = logging.getLogger(__name__)

PATH = "/xapi/statements"
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class FastStatements:
    """WSGI middleware in front of the app for plain statement POSTs."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or not self.app.config.get(
            "LRS_FAST_PATH", True
        ):
            return self.wsgi_app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        answer = None
        if method == "POST" and not environ.get("QUERY_STRING"):
            answer = self._serve(environ)
        elif method == "GET":
            answer = self._read(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, data = answer
        start_response(status, headers)
        return [data]

    def _serve(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Store the statements and return the answer, or None to leave it to Flask."""
        with GROUPS.expecting() as announcement:
            return self._store(environ, announcement)

    def _store(
        self, environ: dict, announcement: Announcement
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        accepted = self._accept(environ)
        if accepted is None:
            return None
        source, batch = accepted
        try:
            ids = store_in(self.app, source, batch, announcement)
        except (SQLAlchemyError, DatabaseBusy, *DRIVER_ERRORS) as error:
            reason = unavailability(error)
            if reason is None:
                return None
            log.warning("database unavailable (%s) on POST lrs.statements", reason)
            data = orjson.dumps({"error": LRS_UNAVAILABLE})
            extra = [("Retry-After", str(RETRY_AFTER))]
            return self._answer(environ, "503 SERVICE UNAVAILABLE", data, extra)
        except REFUSALS as error:
            # Flask answers it, with its headers, without storing again.
            environ[REFUSED] = error
            return None
        except Exception:  # noqa: BLE001 - Flask gives the exact 500
            return None
        through = recent_consistent_through()
        if through is None:
            with app_context(self.app):
                through = consistent_through_header()
        extra = [("X-Experience-API-Consistent-Through", through)]
        return self._answer(environ, "200 OK", orjson.dumps(ids), extra, source[1])

    def _accept(self, environ: dict) -> tuple[tuple[dict, str, bool], list] | None:
        """Return the client's source and the statements, or None if Flask must
        look at the request (anything unusual, refused or malformed)."""
        mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        length = environ.get("CONTENT_LENGTH", "")
        if mimetype != "application/json" or not length.isdigit():
            return None
        size = int(length)
        limit = int(self.app.config.get("LRS_MAX_BODY_BYTES", DEFAULT_MAX_BODY))
        if not 0 < size <= limit:
            return None
        known = _known_client(environ, "statements/write", "POST")
        if known is None:
            return None
        client, version = known
        raw = environ["wsgi.input"].read(size)
        # Whatever happens next, Flask may need to read the body again.
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            content = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        batch = [content] if isinstance(content, dict) else content
        if not isinstance(batch, list) or not batch:
            return None
        define = allows(client.scopes, ("define",), method="POST")
        return (dict(client.authority), version.header, define), batch

    def _read(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Answer a page of statements, or None to leave the request to Flask."""
        if environ.get("CONTENT_LENGTH", "0") not in ("", "0"):
            return None
        # "statements/read/mine" reads a part only: Flask applies it.
        known = _known_client(environ, "statements/read", "GET")
        given = _page_params(environ.get("QUERY_STRING", ""))
        if known is None or given is None:
            return None
        version = known[1]
        path = environ.get("SCRIPT_NAME", "") + PATH
        try:
            query = page_query(given, None)
            with app_context(self.app):
                data, headers = _page(query, given, path)
                through = consistent_through_header()
        except Exception:  # noqa: BLE001 - Flask gives the exact 400, 503 or 500
            return None
        extra = [
            *headers.items(),
            ("ETag", etag(data)),
            ("X-Experience-API-Consistent-Through", through),
        ]
        return self._answer(environ, "200 OK", data, extra, version.header)

    def _answer(
        self,
        environ: dict,
        status: str,
        data: bytes,
        extra: list[tuple[str, str]],
        version: str = versions.DEFAULT.header,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """Return the answer with the headers Flask's hooks would have added."""
        origin = environ.get("HTTP_ORIGIN")
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *extra,
            ("X-Experience-API-Version", version),
            ("Access-Control-Allow-Origin", origin or "*"),
            *CORS_HEADERS.items(),
            *SECURITY_HEADERS.items(),
        ]
        # Flask's session machinery adds Cookie; the same answer either way.
        headers.append(("Vary", "Origin, Cookie" if origin else "Cookie"))
        if self.app.config.get("LMS_ENV") == "production":
            headers.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
        return status, headers, data


#: The parameters of a page the fast path answers: filters and our cursor.
PAGE_PARAMS = frozenset((*FILTERS, CURSOR))


def _page_params(query_string: str) -> dict[str, str] | None:
    """Return the parameters of a page request as Flask would read them, or None
    where one is not a page filter, is repeated or holds NUL (Flask refuses those)."""
    try:
        # As werkzeug reads request.args from the WSGI environ.
        pairs = parse_qsl(
            query_string.encode("latin-1").decode(),
            keep_blank_values=True,
            errors="werkzeug.url_quote",
        )
    except (UnicodeError, LookupError):
        return None
    given = dict(pairs)
    if (
        len(given) != len(pairs)
        or not given.keys() <= PAGE_PARAMS
        or any("\x00" in value for value in given.values())
    ):
        return None
    return given


def _page(
    query: StatementQuery, given: dict[str, str], path: str
) -> tuple[bytes, dict[str, str]]:
    """Return the StatementResult of a page and its Last-Modified header; on
    PostgreSQL read outside a transaction, as a Flask GET reads."""
    with connection_for_reading() as connection:
        payloads, cursor = query_payloads(connection, query, max_limit=max_limit())
    more = more_url(path, given, cursor) if cursor is not None else ""
    return exact_result(payloads, more), page_modified(payloads, query.ascending)


def _known_client(environ: dict, scope: str, method: str):
    """Return the remembered client and the negotiated version of a request whose
    client holds ``scope`` for ``method``, or None (Flask answers the others)."""
    try:
        version = versions.negotiate(environ.get("HTTP_X_EXPERIENCE_API_VERSION"))
    except versions.VersionRejected:
        return None
    client = _client(environ.get("HTTP_AUTHORIZATION", ""))
    if client is None or not allows(client.scopes, (scope,), method=method):
        return None
    return client, version


def _client(authorization: str):
    """Return the client of remembered HTTP Basic credentials, or None."""
    try:
        return remembered(*basic_credentials(authorization))
    except ValueError:
        return None


def init_app(app: Flask) -> None:
    """Put the fast path in front of the app."""
    app.wsgi_app = FastStatements(app, app.wsgi_app)  # type: ignore[method-assign]
