"""The HTTP layer every xAPI resource shares: syntax, versions, auth, CORS, JSON.

A view calls ``effective_method()``, ``params()``, ``header()`` and ``body()``
instead of reading ``flask.request``: they hide the alternate request syntax
(Communication 1.3). Errors are raised as ``LRSError`` and answered as JSON.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl

import orjson
from flask import Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import http_date, parse_options_header

from lms.database import connection_for_reading, read_without_transaction
from lms.extensions import db
from lms.lrs import bp, versions
from lms.lrs.credentials import (
    READ_METHODS,
    Client,
    allows,
    authenticate,
    basic_credentials,
)
from xapi.builders import utc_timestamp
from xapi.errors import ConflictError, DuplicateIdError, StatementValidationError
from xapi.store import consistent_through
from xapi.store.query import CONSISTENCY_MARGIN

log = logging.getLogger(__name__)

#: The methods the alternate syntax may name (Communication 1.3.s3.b2).
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
#: Form parameters that the alternate syntax turns into headers (1.3.s3.b6).
FORM_HEADERS = (
    "Authorization",
    "X-Experience-API-Version",
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
)
_FORM_HEADER_NAMES = {name.lower(): name for name in FORM_HEADERS}
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
#: The default request size limit; LRS_MAX_BODY_BYTES overrides it.
DEFAULT_MAX_BODY = 16 * 2**20

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "HEAD, GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Authorization, Content-Type, Content-Length, X-Experience-API-Version, "
        "If-Match, If-None-Match, Accept, Accept-Language, X-Requested-With"
    ),
    "Access-Control-Expose-Headers": (
        "ETag, Last-Modified, Content-Type, Content-Length, WWW-Authenticate, "
        "X-Experience-API-Version, X-Experience-API-Consistent-Through"
    ),
}
#: How long a browser may cache a preflight answer, in seconds.
CORS_MAX_AGE = "86400"


class LRSError(Exception):
    """An xAPI error response: a status, a message and optional extra headers."""

    def __init__(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Store the status, the message naming the problem and the headers."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass
class LRSRequest:
    """A request as the xAPI sees it, whichever syntax carried it."""

    method: str
    params: MultiDict
    #: Header values given as form parameters (alternate syntax), by lowercase name.
    form_headers: dict[str, str] = field(default_factory=dict)
    #: The content, or None to read the HTTP body when asked.
    content: bytes | None = None
    alternate: bool = False


# --- Reading the request -----------------------------------------------------------


def _current() -> LRSRequest:
    """Return the parsed request, parsing it on first use."""
    parsed = g.get("lrs_request")
    if parsed is None:
        parsed = g.lrs_request = _parse()
    return parsed


def effective_method() -> str:
    """Return the xAPI method: the HTTP one, or ``method=`` of the alternate syntax."""
    return _current().method


def is_alternate() -> bool:
    """Return whether the request uses the alternate request syntax."""
    return _current().alternate


def params() -> MultiDict:
    """Return the xAPI parameters: the query string, or the alternate syntax's form."""
    return _current().params


def header(name: str) -> str | None:
    """Return a request header; the alternate syntax may carry it as a form field."""
    parsed = _current()
    value = parsed.form_headers.get(name.lower())
    return value if value is not None else request.headers.get(name)


def body() -> bytes:
    """Return the request content (alternate syntax: the ``content`` form field)."""
    parsed = _current()
    if parsed.content is None:
        parsed.content = _read_body()
    return parsed.content


def content_type() -> tuple[str, dict[str, str]]:
    """Return the content's media type in lowercase and its parameters."""
    mimetype, options = parse_options_header(header("Content-Type") or "")
    return mimetype.lower(), options


def _read_body() -> bytes:
    """Read the HTTP body, answering 413 above the configured size."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise LRSError(413, _too_large_message()) from None


def _too_large_message() -> str:
    return f"the request is larger than the limit of {max_body()} bytes"


def max_body() -> int:
    """Return the largest request body the LRS accepts, in bytes."""
    return int(current_app.config.get("LRS_MAX_BODY_BYTES", DEFAULT_MAX_BODY))


def _parse() -> LRSRequest:
    """Read the method, parameters, header fields and content of the request."""
    if request.method == "POST" and "method" in request.args:
        return _parse_alternate()
    if request.method == "POST" and request.mimetype == FORM_CONTENT_TYPE:
        # Communication 3.2.s3.b6: a form-encoded request is expected to carry the
        # method parameter of the alternate syntax.
        raise LRSError(
            400, "a form-encoded request must name its method in ?method= (1.3)"
        )
    return LRSRequest(method=request.method, params=request.args)


def _parse_alternate() -> LRSRequest:
    """Read a request in the alternate syntax (Communication 1.3).

    1.3.s3.b3: "The Learning Record Provider MUST NOT include any other query string
    parameters on the request"; 1.3.s3.b7: "The LRS MUST treat the form parameters
    listed above as header parameters"; 1.3.s3.b14: it "MUST treat any form
    parameters other than "content" or the header parameters listed above as query
    string parameters"; 1.3.s3.b5: content is "a UTF-8 string".
    """
    method = request.args.get("method", "")
    extra = sorted(set(request.args) - {"method"})
    if extra or len(request.args.getlist("method")) > 1:
        name = extra[0] if extra else "method"
        raise LRSError(
            400,
            f"query parameter {name!r} is not allowed with method= (alternate syntax:"
            " put parameters in the form)",
        )
    if method.upper() not in METHODS or method != method.upper():
        raise LRSError(400, f"method {method!r} must be one of {', '.join(METHODS)}")
    if request.mimetype != FORM_CONTENT_TYPE:
        raise LRSError(
            400,
            f"an alternate-syntax request must have Content-Type {FORM_CONTENT_TYPE}",
        )
    try:
        text = _read_body().decode("utf-8")
    except UnicodeDecodeError:
        raise LRSError(400, "the form content is not UTF-8") from None
    form_headers: dict[str, str] = {}
    fields: MultiDict = MultiDict()
    content = None
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name == "content":
            content = value.encode("utf-8")
        elif name.lower() in _FORM_HEADER_NAMES:
            form_headers[name.lower()] = value
        else:
            fields.add(name, value)
    return LRSRequest(
        method=method,
        params=fields,
        form_headers=form_headers,
        content=content if content is not None else b"",
        alternate=True,
    )


def check_params(
    allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, str]:
    """Return the parameters as a dict; 400 on an unknown, repeated or missing one.

    Communication 3.2.s3.b7: "The LRS MUST reject with 400 Bad Request status any
    requests that use any parameters which the LRS does not recognize"; b8: also
    "parameters matching parameters described in this specification in all but case".
    """
    allowed = set(allowed)
    given = params()
    for name in given:
        if name not in allowed:
            raise LRSError(400, f"unknown parameter {name!r}")
        if len(given.getlist(name)) > 1:
            raise LRSError(400, f"parameter {name!r} is given more than once")
        if "\x00" in given[name]:  # document ids are text columns
            raise LRSError(400, f"parameter {name!r} holds U+0000 (NUL)")
    for name in required:
        if name not in given:
            raise LRSError(400, f"parameter {name!r} is required")
    return given.to_dict()


def json_body(*, allow_empty: bool = False) -> Any:
    """Parse the content as JSON; 400 naming the problem on anything else.

    Communication 3.2.s3.b6: the LRS "SHOULD* reject any request with 400 Bad Request
    status where the content type header does not match the content"; 1.4.s1.b1:
    "All strings MUST be encoded and interpreted as UTF-8".
    """
    mimetype, _options = content_type()
    if mimetype != "application/json":
        raise LRSError(
            400, f"Content-Type must be application/json, not {mimetype or 'missing'!r}"
        )
    return parse_json(body(), allow_empty=allow_empty)


def parse_json(raw: bytes, *, what: str = "content", allow_empty: bool = False) -> Any:
    """Parse UTF-8 JSON text; 400 saying what is wrong with it."""
    if not raw.strip():
        if allow_empty:
            return None
        raise LRSError(400, f"the {what} is empty; JSON was expected")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LRSError(400, f"the {what} is not UTF-8") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise LRSError(400, f"the {what} is not valid JSON: {error}") from None


def parse_json_param(name: str, value: str) -> Any:
    """Parse a JSON-valued parameter such as ``agent``; 400 naming it."""
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise LRSError(400, f"parameter {name!r} is not valid JSON") from None


# --- Versions ----------------------------------------------------------------------


def api_version() -> versions.APIVersion:
    """Return the xAPI version this request is served in."""
    return g.get("xapi_version") or versions.DEFAULT


def _negotiate_version() -> None:
    """Choose the version from X-Experience-API-Version, or answer 400.

    Communication 2.8.s5.b4: /about "MUST NOT reject requests based on their version
    header".
    """
    if request.endpoint == "lrs.about":
        return
    try:
        g.xapi_version = versions.negotiate(header("X-Experience-API-Version"))
    except versions.VersionRejected as error:
        raise LRSError(400, str(error)) from None


# --- Authentication and scopes -----------------------------------------------------


def current_client() -> Client:
    """Return the authenticated LRS client of this request (401 if none)."""
    client = g.get("lrs_client")
    if client is None:
        client = g.lrs_client = _authenticate()
    return client


def client_authority() -> dict:
    """Return the authority Agent stamped on the current client's statements."""
    return dict(current_client().authority)


def _authenticate() -> Client:
    """Check HTTP Basic credentials against the LRS clients (cached)."""
    value = header("Authorization")
    if not value:
        raise _unauthorized("authentication is required (HTTP Basic)")
    try:
        key, secret = basic_credentials(value)
    except ValueError as error:
        raise _unauthorized(str(error)) from None
    client = authenticate(key, secret)
    if client is None:
        raise _unauthorized("the credentials were refused")
    return client


def _unauthorized(message: str) -> LRSError:
    return LRSError(401, message, {"WWW-Authenticate": 'Basic realm="xAPI"'})


def require_scope(*scopes: str) -> Client:
    """Authenticate, then 403 unless the client holds one of ``scopes``.

    ``all`` allows every request and ``all/read`` every GET and HEAD (Communication
    4.2.s2); 3.2.s3.b10: the LRS "MUST reject with 403 Forbidden status any request
    ... where the credentials ... do not have permission to make that request".
    """
    client = current_client()
    if not allows(client.scopes, scopes, method=effective_method()):
        wanted = " or ".join(scopes) if scopes else "all"
        raise LRSError(403, f"these credentials lack the scope {wanted}")
    return client


def require(*scopes: str) -> Callable:
    """Decorate a handler to run only for a client holding one of ``scopes``."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        def wrapper(*args, **kwargs):
            require_scope(*scopes)
            return handler(*args, **kwargs)

        return wrapper

    return decorate


def holds(scope: str) -> bool:
    """Return whether the current client may write what ``scope`` allows."""
    return allows(current_client().scopes, (scope,), method="POST")


def can_read(scope: str) -> bool:
    """Return whether the current client may read what ``scope`` allows."""
    return allows(current_client().scopes, (scope,), method="GET")


def can_write(scope: str) -> bool:
    """Return whether the current client may write what ``scope`` allows."""
    return allows(current_client().scopes, (scope,), method="PUT")


# --- Dispatch ----------------------------------------------------------------------


def dispatch(handlers: Mapping[str, Callable[[], Response]]) -> Response:
    """Call the handler of the effective method; HEAD runs the GET handler.

    Communication 1.1.s3.b1: "The LRS MUST respond to any HTTP HEAD request as it
    would have responded to an otherwise identical HTTP GET request except: The
    message-body MUST be omitted."
    """
    method = effective_method()
    handler = handlers.get(method)
    if handler is None and method == "HEAD":
        handler = handlers.get("GET")
    if handler is None:
        allowed = sorted({*handlers, *(["HEAD"] if "GET" in handlers else [])})
        raise LRSError(
            405,
            f"method {method} is not allowed here",
            {"Allow": ", ".join(allowed)},
        )
    return handler()


# --- Responses ---------------------------------------------------------------------


def json_response(
    content: Any,
    status: int = 200,
    headers: Mapping[str, str] | Headers | None = None,
) -> Response:
    """Answer JSON (UTF-8); ``content`` may be already encoded bytes."""
    data = content if isinstance(content, bytes) else orjson.dumps(content)
    response = Response(data, status=status, content_type="application/json")
    if headers:
        response.headers.update(headers)
    return response


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    """Answer 204 No Content."""
    return Response(status=204, headers=dict(headers or {}))


def etag(data: bytes) -> str:
    """Return the quoted SHA-1 ETag of a representation (Communication 3.1.s4.b2)."""
    return '"' + hashlib.sha1(data).hexdigest() + '"'  # noqa: S324 - spec-mandated


def last_modified(moment: datetime) -> str:
    """Return an aware datetime as an HTTP date for Last-Modified."""
    return http_date(moment)


def _error_response(status: int, message: str, headers: Mapping[str, str]) -> Response:
    response = json_response({"error": message}, status, headers)
    return response


# --- Hooks -------------------------------------------------------------------------


@bp.before_request
def _before() -> None:
    """Apply the shared rules before any view: size, syntax, version."""
    if request.method == "OPTIONS":
        return  # CORS preflight: Flask answers it, _after adds the headers.
    request.max_content_length = max_body()
    if request.content_length is not None and request.content_length > max_body():
        raise LRSError(413, _too_large_message())
    _current()
    _negotiate_version()
    if effective_method() in READ_METHODS and request.endpoint != "lrs.about":
        # GET and HEAD only read: no transaction, so no BEGIN and no ROLLBACK.
        read_without_transaction()


@bp.errorhandler(LRSError)
def _lrs_error(error: LRSError) -> Response:
    """Answer an LRSError as JSON, nothing stored."""
    db.session.rollback()
    if error.status >= 500:
        log.error("xAPI error %s on %s", error.status, request.path)
    return _error_response(error.status, error.message, error.headers)


@bp.errorhandler(StatementValidationError)
@bp.errorhandler(DuplicateIdError)
def _invalid(error: StatementValidationError | DuplicateIdError) -> Response:
    """Answer a statement that breaks a rule with 400, naming the property.

    Communication 3.2.s3.b9: "The LRS MUST reject a batch of statements if any
    Statement within that batch is rejected"; so nothing of the batch is kept.
    """
    db.session.rollback()
    return _error_response(400, str(error), {})


@bp.errorhandler(ConflictError)
def _conflict(error: ConflictError) -> Response:
    """Answer a statement id stored with other content with 409 Conflict."""
    db.session.rollback()
    return _error_response(409, str(error), {})


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """Answer werkzeug's HTTP errors (413, 405, …) as xAPI JSON errors."""
    db.session.rollback()
    status = error.code or 500
    headers = {}
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    message = _too_large_message() if status == 413 else (error.description or "")
    return _error_response(status, message, headers)


@bp.after_app_request
def _after(response: Response) -> Response:
    """Add the version and CORS headers to every /xapi response, errors included.

    Communication 3.3.s3.b1: "The LRS MUST include the X-Experience-API-Version
    header in every response"; b2: "set this header to the latest patch version".
    """
    if not (request.path == bp.url_prefix or request.path.startswith("/xapi/")):
        return response
    response.headers["X-Experience-API-Version"] = api_version().header
    if request.endpoint == "lrs.statements" and request.method != "OPTIONS":
        _add_consistent_through(response)
    _add_cors(response)
    parsed = g.get("lrs_request")
    if parsed is not None and parsed.alternate and parsed.method == "HEAD":
        response.set_data(b"")
    return response


def _add_consistent_through(response: Response) -> None:
    """Add X-Experience-API-Consistent-Through to a Statement resource response.

    Communication 2.1.3.s2.b5: "The LRS MUST include the header
    X-Experience-API-Consistent-Through ... on all responses to Statements Resource
    requests".
    """
    if "X-Experience-API-Consistent-Through" in response.headers:
        return
    response.headers["X-Experience-API-Consistent-Through"] = (
        consistent_through_header()
    )


def consistent_through_header() -> str:
    """Return the Consistent-Through value; an older value is always safe, so one
    is reused for a moment."""
    now = time.monotonic()
    cached = _consistent["value"]
    if (recent := recent_consistent_through()) is not None:
        return recent
    # One request of the process refreshes it; the others meanwhile take the older
    # value instead of each taking a database connection for the same answer.
    if not _refreshing.acquire(blocking=cached is None):
        return cached
    try:
        cached = utc_timestamp(_consistent_through())
        _consistent.update(value=cached, at=now)
    finally:
        _refreshing.release()
    return cached


def recent_consistent_through() -> str | None:
    """Return the Consistent-Through value if the one in hand is recent enough to
    reuse, else None; needs neither the database nor an app context."""
    cached = _consistent["value"]
    if (
        cached is not None
        and time.monotonic() - _consistent["at"] <= CONSISTENT_THROUGH_REUSE
    ):
        return cached
    return None


def _consistent_through() -> datetime:
    """Ask the database; without it, a moment that is certainly consistent."""
    session = db.session()
    try:
        if session.in_transaction():  # a read, with or without a transaction
            return consistent_through(session.connection())
        # After a write's COMMIT (also the fast path's) or an error's rollback, the
        # one query needs no transaction, and the session is left as it is.
        with connection_for_reading() as connection:
            return consistent_through(connection)
    except SQLAlchemyError:
        session.rollback()
        return datetime.now(UTC) - CONSISTENCY_MARGIN


#: Seconds for which one Consistent-Through value is reused by this process.
CONSISTENT_THROUGH_REUSE = 0.2
_consistent: dict[str, Any] = {"value": None, "at": 0.0}
_refreshing = threading.Lock()


def _add_cors(response: Response) -> None:
    """Let browser clients on other origins use the LRS (CORS)."""
    origin = request.headers.get("Origin")
    response.headers["Access-Control-Allow-Origin"] = origin or "*"
    if origin:
        response.vary.add("Origin")
    for name, value in CORS_HEADERS.items():
        response.headers[name] = value
    if request.method == "OPTIONS":
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE


__all__ = [
    "LRSError",
    "READ_METHODS",
    "api_version",
    "body",
    "can_read",
    "can_write",
    "check_params",
    "client_authority",
    "content_type",
    "current_client",
    "dispatch",
    "effective_method",
    "etag",
    "header",
    "holds",
    "is_alternate",
    "json_body",
    "json_response",
    "last_modified",
    "max_body",
    "no_content",
    "params",
    "parse_json",
    "parse_json_param",
    "require",
    "require_scope",
]
