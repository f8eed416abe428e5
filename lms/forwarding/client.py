"""Requests to an external LRS, built with TinCanPython, with a timeout.

TinCanPython's ``RemoteLRS`` opens its HTTP connection without a timeout, so a
receiver that accepts and never answers would hang the worker for ever, and it
raises on connection failures. ``ForwardingLRS`` overrides its one request method
to give every socket operation a timeout, bound the whole answer by a deadline and
its size, and send bytes as they are.

Statements go out as the exact JSON we stored: a round trip through tincan's
``Statement`` rewrites durations ("PT1M30S" becomes "PT01M30S") and timestamps,
and the receiver must hold what we hold. The request itself is tincan's
``HTTPRequest`` on tincan's endpoint, version header and Basic authentication.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import secrets
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple
from urllib.parse import urlencode, urlparse

from tincan import HTTPRequest, LRSResponse, RemoteLRS

from xapi.store import Attachment

XAPI_VERSION = "1.0.3"
#: An answer to a POST of statements is a list of ids; more than this is not one.
MAX_RESPONSE_BYTES = 1 * 2**20
#: Statuses by which the receiver refuses the content of a batch; sending the same
#: batch again will not help, so a statement refused alone is set aside in the end.
REJECTED = frozenset({400, 409, 413, 415, 422})
_EMAIL = re.compile(r"[^\s\"'<>(),;:]+@[^\s\"'<>(),;:]+")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_MESSAGE_KEYS = ("error", "message", "detail")


class ForwardingError(RuntimeError):
    """The receiver's answer broke a limit (time or size)."""


class BinaryRequest(HTTPRequest):
    """A tincan HTTPRequest whose body is bytes; tincan's own decodes to text."""

    _props = [*HTTPRequest._props, "body"]


class ForwardingLRS(RemoteLRS):
    """tincan's RemoteLRS with a timeout on every request."""

    _props = [*RemoteLRS._props, "timeout"]

    def __init__(self, *, endpoint: str, username: str, secret: str, timeout: float):
        """Address one receiver with HTTP Basic credentials (UTF-8)."""
        credentials = f"{username}:{secret}".encode()
        super().__init__(
            endpoint=endpoint,
            version=XAPI_VERSION,
            auth="Basic " + base64.b64encode(credentials).decode("ascii"),
        )
        self.timeout = timeout

    def post_statements(self, body: bytes, content_type: str) -> LRSResponse:
        """POST a batch of statements (JSON or multipart/mixed) as given."""
        request = BinaryRequest(
            method="POST",
            resource="statements",
            headers={"Content-Type": content_type},
        )
        request.body = body
        return self._send_request(request)

    def _send_request(self, request: HTTPRequest) -> LRSResponse:
        """Send a request like tincan does, but never wait longer than the timeout."""
        headers = {"X-Experience-API-Version": self.version}
        if self.auth is not None:
            headers["Authorization"] = self.auth
        headers.update(request.headers or {})
        body = getattr(request, "body", None)
        if body is None and request.content is not None:
            body = request.content.encode("utf-8")
        resource = request.resource
        url = resource if resource.startswith("http") else self.endpoint + resource
        parsed = urlparse(url)
        query = "&".join(
            part
            for part in (parsed.query, urlencode(request.query_params or {}))
            if part
        )
        path = (parsed.path or "/") + (f"?{query}" if query else "")
        deadline = time.monotonic() + 2 * self.timeout
        connection = _connection(
            parsed.scheme, parsed.hostname, parsed.port, self.timeout
        )
        try:
            connection.request(request.method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = _read(response, deadline)
        finally:
            connection.close()
        success = 200 <= response.status < 300 or (
            response.status == 404 and bool(request.ignore404)
        )
        return LRSResponse(
            success=success, request=request, response=response, data=data
        )


def _connection(
    scheme: str, host: str | None, port: int | None, timeout: float
) -> http.client.HTTPConnection:
    """Return an HTTP(S) connection whose socket operations time out."""
    if scheme == "https":
        return http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _read(response: http.client.HTTPResponse, deadline: float) -> bytes:
    """Read an answer in pieces, within the deadline and the size limit."""
    chunks, size = [], 0
    while chunk := response.read(65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ForwardingError("the answer is larger than 1 MiB")
        if time.monotonic() > deadline:
            raise ForwardingError("the answer took too long")
        chunks.append(chunk)
    return b"".join(chunks)


class Body(NamedTuple):
    """A request body and its Content-Type."""

    content: bytes
    content_type: str


def statements_body(payloads: Sequence[str], attachments: Iterable[Attachment]) -> Body:
    """Return a batch as JSON, or as multipart/mixed when it carries attachments.

    Communication 1.5.2: the first part holds the statements as application/json;
    each further part holds one attachment's raw data with its SHA-2 in
    X-Experience-API-Hash and Content-Transfer-Encoding: binary.
    """
    statements = ("[" + ",".join(payloads) + "]").encode("utf-8")
    parts = list(attachments)
    if not parts:
        return Body(statements, "application/json")
    boundary = "forwarding-" + secrets.token_hex(16)
    lines = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        statements,
    ]
    for part in parts:
        lines += [
            (
                f"\r\n--{boundary}\r\nContent-Type: {part.content_type}\r\n"
                "Content-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {part.sha2}\r\n\r\n"
            ).encode(),
            part.content,
        ]
    lines.append(f"\r\n--{boundary}--\r\n".encode())
    return Body(b"".join(lines), f'multipart/mixed; boundary="{boundary}"')


class Outcome(NamedTuple):
    """What became of one request: delivered, refused for its content, or failed."""

    delivered: bool
    rejected: bool = False
    error: str | None = None


def send(lrs: ForwardingLRS, body: Body) -> Outcome:
    """POST a batch; never raise, and describe a failure without secrets."""
    try:
        response = lrs.post_statements(body.content, body.content_type)
    except (OSError, http.client.HTTPException, ForwardingError) as error:
        return Outcome(False, error=describe_exception(error, lrs.timeout))
    if response.success:
        return Outcome(True)
    status = response.response.status
    return Outcome(
        False,
        rejected=status in REJECTED,
        error=describe_response(status, response.response.reason, response.data),
    )


def about(lrs: ForwardingLRS) -> tuple[bool, str]:
    """Ask the receiver's /about; return success and the versions or the error."""
    try:
        response = lrs.about()
    except (OSError, http.client.HTTPException, ForwardingError) as error:
        return False, describe_exception(error, lrs.timeout)
    except Exception:  # tincan could not read the answer as an About object
        return False, "the answer to /about is not an xAPI About object"
    if not response.success:
        status = response.response.status
        return False, describe_response(status, response.response.reason, response.data)
    return True, ", ".join(response.content.version or [])


def describe_exception(error: BaseException, timeout: float) -> str:
    """Describe a transport failure in a line; the URL never holds a secret."""
    if isinstance(error, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} seconds"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    text = f"{type(error).__name__}: {error}".strip()
    return _redact(text)[:500]


def describe_response(status: int, reason: str, data: bytes | str | None) -> str:
    """Describe a refusal: status, reason and an excerpt of the answer.

    The receiver may quote statement content back; quoted values and e-mail
    addresses are removed, so no personal data reaches the admin page or the log.
    """
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    excerpt = " ".join(_message(data or "").split())[:300]
    text = f"HTTP {status} {reason}".strip()
    return _redact(f"{text}: {excerpt}" if excerpt else text)[:500]


def _message(data: str) -> str:
    """Return the message of a JSON error answer ({"error": ...}), or the text."""
    try:
        answer = json.loads(data)
    except ValueError:
        return data
    if isinstance(answer, dict):
        found = [
            answer[key] for key in _MESSAGE_KEYS if isinstance(answer.get(key), str)
        ]
        if found:
            return " ".join(found)
    return data


def _redact(text: str) -> str:
    return _QUOTED.sub("'…'", _EMAIL.sub("[e-mail]", text))
