"""The xAPI 1.0.3 Learning Record Store endpoint at {LMS_BASE_URL}/xapi/."""

from flask import Blueprint

bp = Blueprint("lrs", __name__, url_prefix="/xapi")

# The route modules register their views on ``bp``; they import it from here.
# lms.lrs.http is the HTTP layer they share; lms.lrs.documents serves the document
# resources, agents and activities.
from lms.lrs import about, documents, http, statements  # noqa: E402, F401


def init_app(app) -> None:
    """Register the LRS endpoint and its admin pages; exempt the endpoint from CSRF
    and from the rate limiter.

    The xAPI endpoint authenticates every request itself (HTTP Basic), so the
    session-cookie CSRF protection of the app's own forms does not apply.
    """
    from lms.admin.lrs_clients import bp as admin_bp
    from lms.extensions import csrf, limiter
    from lms.lrs import fast
    from lms.lrs.cli import lrs_cli

    csrf.exempt(bp)
    # No rate limit applies here; exempting spares every statement the check.
    limiter.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    fast.init_app(app)
    app.cli.add_command(lrs_cli)
