"""`flask --app lms certificates …`: verify a credential file, keys, reminders."""

import json
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.certificates import keys
from lms.certificates.verify import (
    KeyNotFound,
    did_web_url,
    key_from_document,
    key_from_text,
    verify_credential,
)
from lms.extensions import db

certificates_cli = AppGroup("certificates", help="Verify credentials; manage keys.")
TIMEOUT_SECONDS = 5


def fetch_json(url: str) -> dict:
    """GET a JSON document: this app's own URLs in-process, others over the net."""
    base = current_app.config["LMS_BASE_URL"] + "/"
    if url.startswith(base):
        response = current_app.test_client().get("/" + url[len(base) :])
        if response.status_code != 200:
            raise OSError(f"{url} answered {response.status_code}")
        return response.get_json(force=True)
    if not url.startswith("https://"):
        raise OSError(f"refusing to fetch {url} without HTTPS")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        return json.loads(response.read(2_000_000))


def _resolver(key_file: Path | None, offline: bool):
    """Return how to find the public key of a verification method."""
    if key_file is not None:
        text = key_file.read_text(encoding="utf-8")
        return lambda method: key_from_text(text, method)

    def resolve(method: str):
        did = method.split("#", 1)[0]
        if did == keys.issuer_did():
            return key_from_document(keys.did_document(), method)
        if offline:
            raise KeyNotFound("no --key given, and offline: cannot fetch the key")
        try:
            return key_from_document(fetch_json(did_web_url(did)), method)
        except OSError as error:
            raise KeyNotFound(f"cannot fetch the issuer's key: {error}") from None

    return resolve


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The issuer's public key: PEM, Multikey, or its DID document.",
)
@click.option("--offline", is_flag=True, help="Do not fetch the revocation status.")
def verify_command(file: Path, key_file: Path | None, offline: bool) -> None:
    """Check a credential's proof, dates and status; exit 0 if valid, 1 if not."""
    try:
        credential = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        click.echo(f"INVALID: the file is not JSON ({error})")
        sys.exit(1)
    verdict = verify_credential(
        credential, _resolver(key_file, offline), None if offline else fetch_json
    )
    for note in verdict.notes:
        click.echo(f"note: {note}")
    if verdict.valid:
        click.echo("VALID: the proof, the dates and the status check out")
        return
    click.echo(f"INVALID ({verdict.status}): " + "; ".join(verdict.reasons))
    sys.exit(1)


@certificates_cli.command("export-key")
def export_key() -> None:
    """Print the issuer's DID document: every public key, for offline checks."""
    keys.active_key()
    db.session.commit()  # the first use registers the key
    click.echo(json.dumps(keys.did_document(), indent=2))


@certificates_cli.command("rotate-key")
def rotate_key() -> None:
    """Sign with a new key from now on; old keys stay published."""
    from lms.operations.certificates import rotate_key as rotate

    try:
        key = rotate(None)
    except keys.KeyUnavailable as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"signing key {key.kid} is active")


@certificates_cli.command("remind")
@click.option("--now", help="Pretend it is this ISO 8601 time (for testing).")
def remind(now: str | None) -> None:
    """Send the due expiry reminders (90, 30 and 7 days before) once each."""
    from lms.operations.certificate_reminders import send_expiry_reminders

    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    click.echo(f"{send_expiry_reminders(moment)} reminder(s) queued")
