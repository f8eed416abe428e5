"""The Flask application: factory, blueprints and wiring of the domain packages."""

import gc
import logging
import os
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import ROOT, check, from_environment
from lms.extensions import csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)


#: WAL pages (of 4 KiB) after which a commit copies the WAL back into the database
#: file itself. That commit waits for an fsync while the process's other writers
#: wait for it, so the rarer the better (and a busy index page is copied back once,
#: not once per transaction): under steady writes the background checkpoint
#: (lms.checkpoints) copies most pages, but only a writer restarts the WAL.
#: Measured at 1 M statements: 10,000 pages gave single POSTs a p99 of 97 ms,
#: 40,000 pages 19 ms, at up to 160 MB of WAL on disk.
WAL_AUTOCHECKPOINT_PAGES = 40_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Use WAL and enforce foreign keys; lms.database sets the busy timeout."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    check(app.config)
    _trust_proxies(app)
    from lms.ids import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    _init_extensions(app)
    _register_blueprints(app)
    from lms import cli, database, errors, i18n, security_headers

    security_headers.init_app(app)

    database.init_app(app)
    i18n.init_app(app)
    _template_globals(app)
    _register_job_handlers()
    errors.init_app(app)
    cli.init_app(app)
    if app.config.get("LMS_GC_FREEZE") and not app.testing:
        # What a started app holds lives as long as the process: keep it out of
        # the garbage collector's passes, which walked it again and again (gc
        # took a tenth of a batch POST's time; frozen, 6,500 -> 7,700/s).
        gc.freeze()
    return app


def _trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the configured reverse proxies."""
    hops = app.config.get("LMS_TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _init_extensions(app: Flask) -> None:
    """Bind the extensions to the app."""
    from lms import (
        models,  # noqa: F401  (register the tables)
        ratelimit,  # noqa: F401  (the database:// rate-limit storage)
    )
    from xapi.documents import schema as _documents  # noqa: F401  (its tables)
    from xapi.store import metadata as xapi_metadata

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    app.extensions["xapi_metadata"] = xapi_metadata
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"


def _register_job_handlers() -> None:
    """Import the modules that register background job handlers."""
    from lms import mail  # noqa: F401
    from lms.privacy import operations  # noqa: F401  (file deletion, retention)


def _template_globals(app: Flask) -> None:
    """Expose content helpers to the templates."""
    from lms.content import framework
    from lms.markdown import render

    app.jinja_env.globals.update(framework=framework, render_markdown=render)


def _register_blueprints(app: Flask) -> None:
    """Register every blueprint."""
    from lms.admin.views import bp as admin_bp
    from lms.auth.views import bp as auth_bp
    from lms.health import bp as health_bp
    from lms.learn.programmes import bp as programmes_bp
    from lms.learn.views import bp as learn_bp
    from lms.lrs import init_app as init_lrs
    from lms.teach.views import bp as teach_bp

    for blueprint in (auth_bp, health_bp, learn_bp, teach_bp, admin_bp, programmes_bp):
        app.register_blueprint(blueprint)
    from lms.learn.sessions import bp as sessions_bp  # cohort sessions, .ics
    from lms.teach.cohorts import bp as cohorts_bp  # cohorts, attendance

    for blueprint in (cohorts_bp, sessions_bp):
        app.register_blueprint(blueprint)
    init_lrs(app)
    from lms.manage import init_app as init_manage  # manager pages, role profiles

    init_manage(app)
    from lms.teach import analysis, authoring  # item analysis, module authoring

    for blueprint in (analysis.bp, authoring.bp):
        app.register_blueprint(blueprint)
    from lms.teach.overview import bp as overview_bp  # cohort overview, CSV

    app.register_blueprint(overview_bp)
    from lms.certificates.views import bp as certificates_bp  # certificates, keys
    from lms.verify.views import bp as verify_bp  # public /verify, DID, status lists

    for blueprint in (certificates_bp, verify_bp):
        app.register_blueprint(blueprint)
    from lms.privacy.views import bp as privacy_bp  # data export, erasure

    app.register_blueprint(privacy_bp)
    from lms import forwarding  # external LRS endpoints

    forwarding.init_app(app)
    from lms.sso.views import bp as sso_bp  # OpenID Connect login, when configured

    app.register_blueprint(sso_bp)
    from lms.admin.audit_log import bp as audit_log_bp  # the audit log, read-only

    app.register_blueprint(audit_log_bp)
