"""The health check."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.database import read_without_transaction
from lms.extensions import db
from lms.lrs.writer import reachable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the app and its database answer."""
    try:
        read_without_transaction()
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    report = {"status": "ok", "database": "ok", "dialect": db.engine.dialect.name}
    paths = current_app.config.get("LRS_WRITER_SOCKETS") or []
    if paths:
        # A writer that is down costs speed, not service: the web processes
        # store statements themselves, so the check stays 200 and says so.
        up = sum(1 for path in paths if reachable(path))
        report["statement_writers"] = {"configured": len(paths), "reachable": up}
        if up < len(paths):
            report["status"] = "degraded"
    return jsonify(report)
