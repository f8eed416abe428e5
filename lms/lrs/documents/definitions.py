"""The Agents (Person object) and Activities (canonical Activity) resources."""

from __future__ import annotations

from flask import Response, current_app

from lms.extensions import db
from lms.lrs import bp
from lms.lrs.documents import params
from lms.lrs.http import check_params, dispatch, etag, json_response, require_scope
from xapi import documents

#: Scopes that may read the Person and Activity objects (besides all, all/read).
DEFINITION_READERS = ("statements/read", "define")


@bp.route("/agents", methods=["GET", "POST"])
def agents() -> Response:
    """Answer the combined Person object of an Agent (Communication 2.4)."""
    return dispatch({"GET": _get_person})


@bp.route("/activities", methods=["GET", "POST"])
def activities() -> Response:
    """Answer the canonical Activity object (Communication 2.5)."""
    return dispatch({"GET": _get_activity})


def _get_person() -> Response:
    """Answer the Person object of the ``agent`` parameter.

    Communication 2.4.s2: the "agent" parameter "is a normal Agent Object with a
    single identifier and no arrays. It is not a Person Object, nor is it a Group."
    """
    require_scope(*DEFINITION_READERS)
    given = check_params(("agent",), required=("agent",))
    found = documents.person(
        db.session.connection(),
        params.agent(given),
        own_home_page=current_app.config["LMS_BASE_URL"],
    )
    return _json_with_etag(found)


def _get_activity() -> Response:
    """Answer the Activity object with its canonical definition, if any."""
    require_scope(*DEFINITION_READERS)
    given = check_params(("activityId",), required=("activityId",))
    found = documents.get_activity(db.session.connection(), params.activity_id(given))
    return _json_with_etag(found)


def _json_with_etag(content: dict) -> Response:
    """Answer JSON with the SHA-1 ETag a GET must carry (3.1.s4.b1)."""
    response = json_response(content)
    response.headers["ETag"] = etag(response.get_data())
    return response
