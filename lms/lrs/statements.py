"""The Statement resource (Communication 2.1): PUT, POST and GET."""

from flask import Response

from lms.lrs import bp
from lms.lrs.http import (
    LRSError,
    check_params,
    dispatch,
    json_response,
    no_content,
    require,
)
from lms.lrs.read import get_statements
from lms.lrs.write import read_content, store
from xapi.formats import is_uuid


@bp.route("/statements", methods=["GET", "PUT", "POST"])
def statements() -> Response:
    """Store or fetch statements, by the effective method."""
    return dispatch({"GET": _get, "PUT": _put, "POST": _post})


@require("statements/read", "statements/read/mine")
def _get() -> Response:
    """Answer one statement or a StatementResult."""
    return get_statements()


@require("statements/write")
def _put() -> Response:
    """Store one statement under the statementId parameter; 204.

    Communication 2.1.1.s3.b3: "Where provided, the "id" property of the Statement
    MUST match the "statementId" parameter of the request".
    """
    statement_id = check_params(("statementId",), required=("statementId",))[
        "statementId"
    ]
    if not is_uuid(statement_id):
        raise LRSError(400, "parameter 'statementId' must be a UUID")
    statement, parts = read_content()
    if not isinstance(statement, dict):
        raise LRSError(400, "PUT takes one statement object")
    if "id" in statement and str(statement["id"]).lower() != statement_id.lower():
        raise LRSError(400, "statement.id does not match the statementId parameter")
    store([{**statement, "id": statement.get("id", statement_id)}], parts)
    return no_content()


@require("statements/write")
def _post() -> Response:
    """Store a statement or an array of statements; answer their ids in order."""
    check_params(())
    content, parts = read_content()
    batch = [content] if isinstance(content, dict) else content
    if not isinstance(batch, list):
        raise LRSError(400, "POST takes a statement object or an array of statements")
    return json_response(store(batch, parts))
