"""Public pages and documents for verifying certificates; no login anywhere here."""

from datetime import UTC, datetime

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.certificates import keys, queries
from lms.certificates.publish import status_list_credential
from lms.extensions import limiter

bp = Blueprint("verify", __name__)


def _verify_limit() -> str:
    return current_app.config["LMS_VERIFY_RATE_LIMIT"]


@bp.after_request
def _private(response):
    """Keep verification results out of caches, search engines and referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/verify/")
def lookup():
    """Ask for a verification code, as printed on the certificate."""
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("verify.certificate", code=code))
    return render_template("verify/lookup.html")


def _wrong_code(response) -> bool:
    return response.status_code == 404


@bp.get("/verify/<code>")
# Only wrong codes count: the limit is there to stop guessing, and a lookup of a
# real code is then one read of the counter, not a write every process waits on.
@limiter.limit(_verify_limit, deduct_when=_wrong_code)
def certificate(code: str):
    """Confirm a certificate: valid, expired or revoked, and what it attests."""
    found = queries.by_code(code)
    if found is None:
        # The same answer for every wrong code, so nothing hints at a near miss.
        return render_template("verify/not_found.html"), 404
    now = datetime.now(UTC)
    return render_template(
        "verify/certificate.html", certificate=found, status=found.status(now)
    )


@bp.get("/competences")
def competences():
    """Show the competence framework that certificates align to, with anchors."""
    return render_template("verify/competences.html")


def _document(body: dict, media_type: str = "application/json"):
    response = jsonify(body)
    response.mimetype = media_type
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/did.json")
@bp.get("/did.json")
def did_document():
    """Publish the issuer's DID document with every signing key, old ones included."""
    return _document(keys.did_document(), "application/did+json")


@bp.get("/credentials/status/<int:number>")
def status_list(number: int):
    """Publish a revocation status list; a revocation shows here at once."""
    listing = status_list_credential(number)
    if listing is None:
        return _document({"error": "not found"}), 404
    return _document(listing, "application/vc+ld+json")
