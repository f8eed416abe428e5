"""JSON-LD canonicalisation with contexts served only from committed copies."""

import json
from functools import cache
from pathlib import Path

from pyld import jsonld

CONTEXTS_DIR = Path(__file__).parent / "contexts"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
#: Every context URL we resolve, and the committed file that holds it.
CONTEXT_FILES = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OB_V3P0: "ob-v3p0-context-3.0.3.json",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
}


class ContextNotAllowed(jsonld.JsonLdError):
    """A document named a context that is not committed in the repository."""


@cache
def _context(url: str) -> dict:
    return json.loads((CONTEXTS_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict | None = None) -> dict:
    """Serve the committed contexts; refuse every other URL, never touching the net."""
    if url not in CONTEXT_FILES:
        raise ContextNotAllowed(
            f"context {url!r} is not one of the committed contexts",
            "jsonld.LoadDocumentError",
            code="loading document failed",
        )
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def canonicalize(document: dict) -> str:
    """Return the RDF Dataset Canonicalization (URDNA2015) of a document as N-Quads.

    Safe mode makes any term the contexts do not define an error instead of
    silently dropping it, so nothing unsigned can ride along in a credential.
    """
    return jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": document_loader,
            "safe": True,
        },
    )
