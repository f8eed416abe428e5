"""The About resource (Communication 2.8)."""

from flask import Response

from lms.lrs import bp, versions
from lms.lrs.http import check_params, dispatch, json_response


@bp.route("/about", methods=["GET", "POST"])
def about() -> Response:
    """Describe the LRS: the xAPI versions it serves; no authentication needed."""
    return dispatch({"GET": _get})


def _get() -> Response:
    """Answer the About document.

    Communication 2.8.s5.b1: the "version" property "includes the latest minor and
    patch version the LRS conforms to, for each major version"; b3: "An LRS SHOULD
    allow unauthenticated access to this resource".
    """
    check_params(())
    return json_response(
        {"version": [version.header for version in versions.SERVED], "extensions": {}}
    )
