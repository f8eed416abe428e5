"""The Open Badges 3.0 credential of a certificate: a W3C Verifiable Credential 2.0."""

import json
import uuid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.certificates import keys, proof
from lms.certificates.jsonld import CREDENTIALS_V2, OB_V3P0
from lms.models import Certificate

CONTEXT = [CREDENTIALS_V2, OB_V3P0]
TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


def base_url() -> str:
    """Return LMS_BASE_URL, under which every URL of a credential lives."""
    return current_app.config["LMS_BASE_URL"]


def achievement_id(kind: str, slug: str) -> str:
    """Return the achievement's id: the module's or programme's stable activity IRI."""
    return f"{base_url()}/xapi/activities/{kind}/{slug}"


def status_list_url(number: int) -> str:
    """Return the URL of one status list credential."""
    return f"{base_url()}/credentials/status/{number}"


def verify_url(code: str) -> str:
    """Return the public verification page of a certificate."""
    return f"{base_url()}/verify/{code}"


def issuer_profile() -> dict:
    """Return the issuer's Profile: the did:web of this platform, with a name."""
    return {
        "id": keys.issuer_did(),
        "type": ["Profile"],
        "name": current_app.config["LMS_ISSUER_NAME"],
        "url": base_url(),
    }


def _alignment(competence: dict, locale: str) -> dict:
    name = competence["name"].get(locale) or competence["id"]
    level = competence["level_name"].get(locale, "")
    return {
        "type": ["Alignment"],
        "targetName": name,
        "targetDescription": _(
            "Level %(level)s: %(name)s", level=competence["level"], name=level
        ),
        "targetUrl": f"{base_url()}/competences#{competence['id']}",
        "targetCode": f"{competence['id']}@{competence['level']}",
        "targetFramework": _("Digital competence framework"),
        "targetType": "ceasn:Competency",
    }


def _achievement(certificate: Certificate, summary: str, locale: str) -> dict:
    title = certificate.title(locale)
    if certificate.achievement_kind == "programme":
        narrative = _(
            "Completed every module and required session of %(title)s.", title=title
        )
    else:
        narrative = _(
            "Completed every required activity of the module %(title)s.", title=title
        )
    return {
        "id": achievement_id(
            certificate.achievement_kind, certificate.achievement_slug
        ),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title,
        "description": summary or title,
        "criteria": {"narrative": narrative},
        "alignment": [_alignment(c, locale) for c in certificate.competences],
        "version": certificate.achievement_version,
        "inLanguage": locale,
    }


def build(certificate: Certificate, summary: str) -> dict:
    """Return the unsigned credential, in the holder's language."""
    locale = certificate.locale
    with force_locale(locale):
        subject = {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": certificate.holder_name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": _achievement(certificate, summary, locale),
        }
        if certificate.institution_name:
            subject["source"] = {
                "id": uuid.uuid5(
                    uuid.NAMESPACE_URL,
                    f"{base_url()}/institution/{certificate.institution_name}",
                ).urn,
                "type": ["Profile"],
                "name": certificate.institution_name,
            }
        credential = {
            "@context": CONTEXT,
            "id": f"urn:uuid:{certificate.uuid}",
            "type": TYPES,
            "name": certificate.title(locale),
            "issuer": issuer_profile(),
            "validFrom": proof.iso(certificate.issued_at),
            "credentialSubject": subject,
            "credentialStatus": status_entry(certificate),
        }
    if certificate.expires_at is not None:
        credential["validUntil"] = proof.iso(certificate.expires_at)
    return credential


def status_entry(certificate: Certificate) -> dict:
    """Return the credentialStatus that points into the revocation status list."""
    url = status_list_url(certificate.status_list)
    return {
        "id": f"{url}#{certificate.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(certificate.status_index),
        "statusListCredential": url,
    }


def sign_certificate(certificate: Certificate, summary: str) -> None:
    """Build, sign and store the certificate's credential with the active key."""
    row, private = keys.active_key()
    signed = proof.sign(
        build(certificate, summary),
        private,
        keys.verification_method(row),
        created=certificate.issued_at,
    )
    certificate.signing_key = row
    certificate.credential = json.dumps(signed, ensure_ascii=False, indent=2)
