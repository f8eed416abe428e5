"""What the issuer publishes: the signed revocation status lists."""

from lms.certificates import keys, proof, status_list
from lms.certificates.credential import status_list_url
from lms.certificates.jsonld import CREDENTIALS_V2
from lms.extensions import db
from lms.models import Certificate

#: Signed lists by (number, revoked indexes, key); a revocation makes a new key.
_SIGNED: dict[tuple, dict] = {}


def status_list_credential(number: int) -> dict | None:
    """Return the signed BitstringStatusListCredential of one list, or None."""
    rows = db.session.execute(
        db.select(
            Certificate.status_index, Certificate.revoked_at, Certificate.issued_at
        ).filter_by(status_list=number)
    ).all()
    if not rows:
        return None
    revoked = sorted(index for index, revoked_at, _ in rows if revoked_at is not None)
    # Dated by its last change, so the same list is signed once.
    changed = max(
        [revoked_at for _, revoked_at, _ in rows if revoked_at is not None]
        or [min(issued_at for *_, issued_at in rows)]
    )
    key, private = keys.active_key()
    cache_key = (status_list_url(number), tuple(revoked), key.kid, changed)
    if cache_key not in _SIGNED:
        if len(_SIGNED) > 64:
            _SIGNED.clear()
        _SIGNED[cache_key] = proof.sign(
            _unsigned(number, revoked, changed),
            private,
            keys.verification_method(key),
            created=changed,
        )
    return _SIGNED[cache_key]


def _unsigned(number: int, revoked: list[int], changed) -> dict:
    url = status_list_url(number)
    return {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": keys.issuer_did(),
        "validFrom": proof.iso(changed),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": status_list.encode(revoked),
        },
    }
