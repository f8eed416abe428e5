"""The State, Activity Profile and Agent Profile resources (Communication 2.2-2.7).

The three share one set of handlers, described by a ``Resource``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Response

from lms.extensions import db
from lms.lrs import bp
from lms.lrs.documents import params
from lms.lrs.http import (
    FORM_CONTENT_TYPE,
    LRSError,
    body,
    check_params,
    dispatch,
    etag,
    header,
    is_alternate,
    json_response,
    last_modified,
    no_content,
    require_scope,
)
from xapi import documents
from xapi.documents import Document, Precondition, Scope
from xapi.errors import ConflictNeedsPrecondition, MergeNotPossible, PreconditionFailed

#: Stored when a client sends a document without a Content-Type.
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Resource:
    """One document resource: its parameters, its scope and where it stores."""

    #: The document id parameter: stateId or profileId.
    id_param: str
    #: Parameters naming the context, required ones first.
    required: tuple[str, ...]
    optional: tuple[str, ...]
    #: The xAPI scope that reads and writes it (Communication 4.2.s2).
    xapi_scope: str
    #: Whether DELETE without an id deletes every document of the context.
    delete_many: bool
    scope: Callable[[dict[str, str]], Scope]


STATE = Resource(
    "stateId",
    ("activityId", "agent"),
    ("registration",),
    "state",
    True,
    lambda given: documents.state(
        params.activity_id(given),
        params.agent_key_of(given),
        params.registration(given),
    ),
)
ACTIVITY_PROFILE = Resource(
    "profileId",
    ("activityId",),
    (),
    "profile",
    False,
    lambda given: documents.activity_profile(params.activity_id(given)),
)
AGENT_PROFILE = Resource(
    "profileId",
    ("agent",),
    (),
    "profile",
    False,
    lambda given: documents.agent_profile(params.agent_key_of(given)),
)


@bp.route("/activities/state", methods=["GET", "PUT", "POST", "DELETE"])
def state_documents() -> Response:
    """Store, merge, fetch, list or delete State documents (Communication 2.3)."""
    return _serve(STATE)


@bp.route("/activities/profile", methods=["GET", "PUT", "POST", "DELETE"])
def activity_profiles() -> Response:
    """Store, merge, fetch, list or delete Activity Profile documents (2.7)."""
    return _serve(ACTIVITY_PROFILE)


@bp.route("/agents/profile", methods=["GET", "PUT", "POST", "DELETE"])
def agent_profiles() -> Response:
    """Store, merge, fetch, list or delete Agent Profile documents (2.6)."""
    return _serve(AGENT_PROFILE)


def _serve(resource: Resource) -> Response:
    """Authenticate, then run the handler of the effective method."""
    require_scope(resource.xapi_scope)
    return dispatch(
        {
            "GET": lambda: _get(resource),
            "PUT": lambda: _write(resource, documents.put_document),
            "POST": lambda: _write(resource, documents.post_document),
            "DELETE": lambda: _delete(resource),
        }
    )


# --- Handlers -------------------------------------------------------------------------


def _get(resource: Resource) -> Response:
    """Answer one document, or the ids of the context's documents.

    Communication 2.3.s2: with the id parameter "the GET and DELETE methods will act
    upon a single defined ... document"; "Otherwise, GET will return the available
    ids". 3.1.s4.b1: "An LRS responding to a GET request MUST add an ETag HTTP
    header to the response".
    """
    given = _params(resource, extra=("since",))
    scope = resource.scope(given)
    connection = db.session.connection()
    if resource.id_param in given:
        if "since" in given:
            raise LRSError(
                400, f"parameter 'since' does not go with {resource.id_param}"
            )
        found = documents.get_document(connection, scope, given[resource.id_param])
        if found is None:
            raise LRSError(404, "no document with this id in this context")
        return _document_response(found)
    listing = documents.document_ids(connection, scope, params.since(given))
    response = json_response(listing.ids)
    response.headers["ETag"] = etag(response.get_data())
    if listing.last_modified is not None:
        response.headers["Last-Modified"] = last_modified(listing.last_modified)
    return response


def _write(resource: Resource, store: Callable[..., Document]) -> Response:
    """Store (PUT) or merge (POST) one document; 204 with its new ETag."""
    given = _params(resource, need_id=True)
    content, content_type = body(), _content_type()
    if documents.is_json(content_type):
        _check_json(content)
    with _domain_errors():
        saved = store(
            db.session.connection(),
            resource.scope(given),
            given[resource.id_param],
            content,
            content_type,
            _precondition(),
        )
    db.session.commit()
    return no_content({"ETag": f'"{saved.etag}"'})


def _delete(resource: Resource) -> Response:
    """Delete one document, or (State only) every document of the context.

    Communication 2.3.s5: without stateId the LRS "Deletes all state data for this
    context (Activity + Agent [+ registration if specified])".
    """
    given = _params(resource, need_id=not resource.delete_many)
    scope, connection = resource.scope(given), db.session.connection()
    with _domain_errors():
        if resource.id_param in given:
            documents.delete_document(
                connection, scope, given[resource.id_param], _precondition()
            )
        else:
            documents.delete_documents(connection, scope)
    db.session.commit()
    return no_content()


# --- Parameters and responses ---------------------------------------------------------


def _params(
    resource: Resource, *, extra: tuple[str, ...] = (), need_id: bool = False
) -> dict[str, str]:
    """Check the request's parameters against the resource's; 400 if they differ."""
    required = resource.required + ((resource.id_param,) if need_id else ())
    allowed = (*resource.required, *resource.optional, resource.id_param, *extra)
    return check_params(allowed, required)


def _content_type() -> str:
    """Return the document's Content-Type as given, or the generic default.

    In the alternate syntax the HTTP Content-Type is the form's; the content's own
    type is the Content-Type form field (Communication 1.3.s3.b10).
    """
    value = header("Content-Type")
    if not value or (is_alternate() and value.startswith(FORM_CONTENT_TYPE)):
        return DEFAULT_CONTENT_TYPE
    if "\x00" in value:  # it is stored as text, which cannot hold NUL
        raise LRSError(400, "the Content-Type holds U+0000 (NUL)")
    return value


def _check_json(content: bytes) -> None:
    """Reject application/json content that is not JSON.

    Communication 3.2.s3.b6: the LRS "SHOULD* reject any request with 400 Bad
    Request status where the content type header does not match the content".
    The standard parser keeps numbers of any size, as a document may hold them.
    """
    try:
        json.loads(content)
    except (ValueError, RecursionError):
        raise LRSError(
            400, "the document has Content-Type application/json but is not JSON"
        ) from None


def _precondition() -> Precondition:
    return Precondition.from_headers(header("If-Match"), header("If-None-Match"))


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Answer the document rules' errors with their xAPI status codes."""
    try:
        yield
    except PreconditionFailed as error:
        raise LRSError(412, str(error)) from None
    except ConflictNeedsPrecondition as error:
        raise LRSError(409, str(error)) from None
    except MergeNotPossible as error:
        raise LRSError(400, str(error)) from None


def _document_response(found: Document) -> Response:
    """Answer a document as stored, with its ETag and Last-Modified (2.2.s6)."""
    response = Response(found.content, status=200)
    response.headers["Content-Type"] = found.content_type
    response.headers["ETag"] = f'"{found.etag}"'
    response.headers["Last-Modified"] = last_modified(found.updated)
    return response
