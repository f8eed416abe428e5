"""Attachments over multipart/mixed, and signed statements (JWS), through HTTP."""

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from lms.lrs.multipart import split
from tests.lms.lrs.conftest import statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
TEXT = b"here is a simple attachment"


def _attachment(content: bytes, **extra) -> dict:
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def _multipart(first, parts, *, boundary="abcABC0123'()+_,-./:=?", part_headers=None):
    """Build a multipart/mixed body as Communication 1.5.2.s6 shows it."""
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        orjson.dumps(first),
    ]
    for content in parts:
        headers = part_headers or {
            "Content-Type": "text/plain",
            "Content-Transfer-Encoding": "binary",
            "X-Experience-API-Hash": hashlib.sha256(content).hexdigest(),
        }
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks += [f"\r\n--{boundary}\r\n{lines}\r\n".encode(), content]
    chunks.append(f"\r\n--{boundary}--".encode())
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'


def _send(client, headers, first, parts=(), method="POST", **options):
    data, content_type = _multipart(first, parts, **options)
    url = "/xapi/statements"
    if method == "PUT":
        url += f"?statementId={first['id']}"
    return client.open(
        url,
        method=method,
        data=data,
        headers={**headers, "Content-Type": content_type},
    )


def test_the_specification_example_is_accepted_and_returned(client, lrs):
    """Communication 1.5.2.s3.b4: "When receiving a PUT or POST with a document type
    of multipart/mixed, an LRS MUST accept batches of Statements that contain
    Attachments in the Transmission Format"; 2.1.3.s2.b6: with attachments=true "the
    LRS MUST use the multipart response format and include all Attachments"."""
    sent = statement(attachments=[_attachment(TEXT)])
    response = _send(client, lrs, sent, [TEXT])
    assert response.status_code == 200, response.data
    [statement_id] = orjson.loads(response.data)
    got = client.get(
        f"/xapi/statements?statementId={statement_id}&attachments=true", headers=lrs
    )
    assert got.status_code == 200
    assert got.mimetype == "multipart/mixed"
    parts = split(got.data, got.mimetype_params["boundary"])
    assert orjson.loads(parts[0].content)["id"] == statement_id
    assert parts[0].headers["content-type"] == "application/json"
    assert parts[1].content == TEXT
    assert parts[1].headers["x-experience-api-hash"] == hashlib.sha256(TEXT).hexdigest()
    assert parts[1].headers["content-transfer-encoding"] == "binary"
    listed = client.get("/xapi/statements?attachments=true", headers=lrs)
    parts = split(listed.data, listed.mimetype_params["boundary"])
    assert len(orjson.loads(parts[0].content)["statements"]) == 1
    assert [p.content for p in parts[1:]] == [TEXT]


def test_without_attachments_true_the_answer_is_json(client, lrs):
    """Communication 2.1.3.s2.b7: with attachments=false the LRS "MUST NOT include
    Attachment raw data and MUST report application/json"."""
    _send(client, lrs, statement(attachments=[_attachment(TEXT)]), [TEXT])
    response = client.get("/xapi/statements?attachments=false", headers=lrs)
    assert response.mimetype == "application/json"
    assert TEXT not in response.data


def test_put_with_an_attachment(client, lrs):
    """PUT takes multipart/mixed like POST."""
    sent = statement(id=str(uuid.uuid4()), attachments=[_attachment(TEXT)])
    assert _send(client, lrs, sent, [TEXT], method="PUT").status_code == 204


def test_one_part_serves_several_statements(client, lrs):
    """Communication 1.5.2.s2.b2.b5: the client "SHOULD only include one copy of an
    Attachment's data when the same Attachment is used in multiple Statements"."""
    item = statement(attachments=[_attachment(TEXT)])
    response = _send(client, lrs, [item, item], [TEXT])
    assert response.status_code == 200
    assert len(orjson.loads(response.data)) == 2


def test_file_url_attachments_need_no_part(client, lrs):
    """Communication 1.5.1.s1.b2: "an LRS MUST accept batches of Statements which
    contain only Attachment Objects with a populated fileUrl"."""
    item = statement(
        attachments=[_attachment(TEXT, fileUrl="http://example.org/file.txt")]
    )
    assert client.post("/xapi/statements", json=item, headers=lrs).status_code == 200
    assert _send(client, lrs, item).status_code == 200


def test_an_attachment_without_file_url_or_part_is_400(client, lrs):
    """Communication 1.5.2.s3.b5: the LRS "MUST reject batches of Statements having
    Attachments that neither contain a fileUrl nor match a received Attachment part
    based on their hash"."""
    item = statement(attachments=[_attachment(TEXT)])
    response = client.post("/xapi/statements", json=item, headers=lrs)
    assert response.status_code == 400
    assert "statement.attachments[0]" in orjson.loads(response.data)["error"]
    assert _send(client, lrs, item).status_code == 400
    assert (
        orjson.loads(client.get("/xapi/statements", headers=lrs).data)["statements"]
        == []
    )


@pytest.mark.parametrize(
    ("part_headers", "message"),
    [
        ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary"}, "Hash"),
        (
            {
                "Content-Type": "text/plain",
                "X-Experience-API-Hash": hashlib.sha256(TEXT).hexdigest(),
            },
            "Content-Transfer-Encoding",
        ),
        (
            {
                "Content-Transfer-Encoding": "binary",
                "X-Experience-API-Hash": hashlib.sha256(b"other").hexdigest(),
            },
            "does not match",
        ),
    ],
)
def test_malformed_attachment_parts_are_400(client, lrs, part_headers, message):
    """Communication 1.5.2.s2.b2: each part after the first "MUST include an
    X-Experience-API-Hash parameter" and "a Content-Transfer-Encoding parameter with a
    value of binary"; 1.5.2.s1.b4: parts are matched by "the SHA-2 of the raw data"."""
    item = statement(attachments=[_attachment(TEXT)])
    response = _send(client, lrs, item, [TEXT], part_headers=part_headers)
    assert response.status_code == 400
    assert message in orjson.loads(response.data)["error"]


def test_a_part_that_matches_no_attachment_is_400(client, lrs):
    """Every part after the statements must belong to an attachment."""
    item = statement(attachments=[_attachment(TEXT)])
    response = _send(client, lrs, item, [TEXT, b"stray"])
    assert response.status_code == 400
    assert "matches no attachment" in orjson.loads(response.data)["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"no boundary here",
        b"--b\r\nContent-Type: application/json\r\n\r\n{}",
        b"--b\r\nContent-Type: text/plain\r\n\r\n{}\r\n--b--",
        b"--b--",
    ],
)
def test_malformed_multipart_bodies_are_400(client, lrs, body):
    """Communication 1.5.2.s2.b2: the body "MUST conform to the definition of
    multipart/mixed in RFC 2046" and "The first part ... MUST contain the Statements
    themselves, with type application/json"."""
    response = client.post(
        "/xapi/statements",
        data=body,
        headers={**lrs, "Content-Type": 'multipart/mixed; boundary="b"'},
    )
    assert response.status_code == 400


# --- Signed statements ---------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def signer():
    """An RSA key and a self-signed X.509 certificate for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LRS test signer")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return key, base64.b64encode(der).decode()


def _jws(payload: dict, key, *, alg="RS256", x5c=None, tamper=False) -> bytes:
    header = {"alg": alg, **({"x5c": [x5c]} if x5c else {})}
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(payload))}"
    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384()}.get(
        alg, hashes.SHA512()
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    if tamper:
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    return f"{signing_input}.{_b64(signature)}".encode()


def _signed(original: dict, jws: bytes) -> dict:
    attachment = {
        "usageType": SIGNATURE,
        "display": {"en-US": "Signature"},
        "contentType": "application/octet-stream",
        "length": len(jws),
        "sha2": hashlib.sha256(jws).hexdigest(),
    }
    return {**original, "attachments": [attachment]}


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_well_formed_signed_statement_is_stored(client, lrs, signer, alg):
    """Data 2.6.s4.b1: "A Signed Statement MUST include a JSON web signature (JWS)
    ... as an Attachment with a usageType of
    http://adlnet.gov/expapi/attachments/signature and a contentType of
    application/octet-stream"; b4: 'MUST use an algorithm of "RS256", "RS384", or
    "RS512"'; 2.6.s5.b3.b3: with an X.509 certificate, the LRS validates the
    signature against it."""
    key, certificate = signer
    original = statement(id=str(uuid.uuid4()))
    jws = _jws(original, key, alg=alg, x5c=certificate)
    response = _send(client, lrs, _signed(original, jws), [jws])
    assert response.status_code == 200, response.data


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda key, cert, s: b"not-a-jws", "compact serialization"),
        (lambda key, cert, s: b"a.b", "compact serialization"),
        (lambda key, cert, s: _jws(s, key, alg="HS256"), "RS256"),
        (
            lambda key, cert, s: _jws(
                {**s, "verb": {"id": "http://example.org/other"}}, key
            ),
            "does not match",
        ),
        (
            lambda key, cert, s: _jws({"not": "a statement"}, key),
            "not a valid statement",
        ),
        (lambda key, cert, s: _jws(s, key, x5c=cert, tamper=True), "does not verify"),
        (lambda key, cert, s: b"e30.e30.!!!", "cannot be decoded"),
    ],
)
def test_malformed_signatures_are_400(client, lrs, signer, make, message):
    """Data 2.6.s5.b1: "The LRS MUST reject requests to store Statements that contain
    malformed signatures, with 400 Bad Request"; b3: it decodes the JWS, checks the
    payload "is logically equivalent to the received Statement", and validates an
    included X.509 certificate's signature."""
    key, certificate = signer
    original = statement(id=str(uuid.uuid4()))
    jws = make(key, certificate, original)
    response = _send(client, lrs, _signed(original, jws), [jws])
    assert response.status_code == 400
    assert message in orjson.loads(response.data)["error"]
    assert (
        orjson.loads(client.get("/xapi/statements", headers=lrs).data)["statements"]
        == []
    )
