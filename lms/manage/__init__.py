"""The manager pages: dashboard, lists, people, required training and exports."""

from flask import Blueprint, Flask

bp = Blueprint("manage", __name__, url_prefix="/manage")

from lms.manage import assignments, dashboard, exports, people  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """Register the manager and role-profile pages, jobs and rollup hooks."""
    from lms.admin.role_profiles import bp as role_profiles_bp
    from lms.competence import membership, reminders  # noqa: F401  (job handlers)
    from lms.competence.cli import competence_cli
    from lms.competence.projection import install_hooks

    app.register_blueprint(bp)
    app.register_blueprint(role_profiles_bp)
    app.cli.add_command(competence_cli)
    install_hooks()
