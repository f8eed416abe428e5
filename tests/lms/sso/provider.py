"""A small OpenID Connect provider for tests, served over real HTTP in a thread.

It signs RS256 ID tokens with a key made at start, auto-approves one configurable
person, checks state, nonce, PKCE (S256) and the client's credentials, and can be
told to misbehave so that the relying party's checks are exercised.
"""

import base64
import hashlib
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

CLIENT_ID = "lms-test-client"
CLIENT_SECRET = "lms-test-secret-0123456789"
KID = "test-key-1"
#: Ways to misbehave when issuing the ID token or answering.
FAULTS = {
    "wrong_audience",
    "wrong_issuer",
    "bad_signature",
    "expired",
    "wrong_nonce",
    "no_nonce",
    "unknown_key",
    "no_id_token",
    "discovery_other_issuer",
    "userinfo_other_subject",
}


def default_person() -> dict[str, Any]:
    """Return the claims of the person who logs in, unless a test changes them."""
    return {
        "sub": "kl-7f3c2a9e",
        "email": "sso.nurse@odense.example",
        "email_verified": True,
        "name": "Sanne Sørensen",
        "organisation": "Odense Kommune",
        "unit_code": "HJS",
    }


@dataclass
class Grant:
    """An authorization code waiting to be exchanged."""

    person: dict[str, Any]
    nonce: str | None
    code_challenge: str
    redirect_uri: str
    used: bool = False


@dataclass
class TestProvider:
    """State of the provider: who logs in, what goes wrong, what was asked."""

    issuer: str = ""
    person: dict[str, Any] = field(default_factory=default_person)
    #: Claims left out of the ID token and given only at the userinfo endpoint.
    userinfo_only: set[str] = field(default_factory=set)
    #: One of FAULTS, or None to behave.
    fault: str | None = None
    #: Answer the authorization request with this error instead of a code.
    deny: str | None = None
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(
            2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"}, private=True
        )
    )
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What the relying party sent: authorization and token requests.
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    userinfo_calls: int = 0

    __test__ = False  # not a pytest test class

    def reset(self) -> None:
        """Behave again, with the default person, and forget past requests."""
        self.person = default_person()
        self.userinfo_only = set()
        self.fault = None
        self.deny = None
        self.grants.clear()
        self.tokens.clear()
        self.authorize_requests.clear()
        self.token_requests.clear()
        self.userinfo_calls = 0

    def id_token(self, grant: Grant) -> str:
        """Sign the ID token for a grant, misbehaving as told."""
        now = int(time.time())
        claims = {
            key: value
            for key, value in grant.person.items()
            if key not in self.userinfo_only
        }
        claims.update(
            iss=self.issuer, aud=CLIENT_ID, iat=now, exp=now + 300, auth_time=now
        )
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        key, kid = self.key, KID
        match self.fault:
            case "wrong_audience":
                claims["aud"] = "another-client"
            case "wrong_issuer":
                claims["iss"] = self.issuer + "/evil"
            case "expired":
                claims.update(iat=now - 3600, exp=now - 1800)
            case "wrong_nonce":
                claims["nonce"] = "not-the-nonce-that-was-sent"
            case "no_nonce":
                claims.pop("nonce", None)
            case "bad_signature":
                key = RSAKey.generate_key(2048, private=True)  # same kid, other key
            case "unknown_key":
                key, kid = RSAKey.generate_key(2048, private=True), "no-such-key"
        return jwt.encode({"alg": "RS256", "kid": kid}, claims, key)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _client_authenticated() -> bool:
    """Accept client_secret_basic or client_secret_post."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username == CLIENT_ID and auth.password == CLIENT_SECRET
    form = request.form
    return form.get("client_id") == CLIENT_ID and form.get("client_secret") == (
        CLIENT_SECRET
    )


def create_provider_app(state: TestProvider) -> Flask:
    """Build the provider's Flask app around its state."""
    app = Flask("test_oidc_provider")

    @app.get("/.well-known/openid-configuration")
    def discovery():
        issuer = state.issuer
        if state.fault == "discovery_other_issuer":
            issuer = "https://other.example"
        return jsonify(
            issuer=issuer,
            authorization_endpoint=f"{state.issuer}/authorize",
            token_endpoint=f"{state.issuer}/token",
            userinfo_endpoint=f"{state.issuer}/userinfo",
            jwks_uri=f"{state.issuer}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=[
                "client_secret_basic",
                "client_secret_post",
            ],
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(KeySet([state.key]).as_dict(private=False))

    @app.get("/authorize")
    def authorize():
        args = request.args.to_dict()
        state.authorize_requests.append(args)
        target = args.get("redirect_uri", "")
        if args.get("client_id") != CLIENT_ID or not target:
            return "unknown client", 400
        answer = {"state": args["state"]} if "state" in args else {}
        if (
            args.get("response_type") != "code"
            or args.get("code_challenge_method") != "S256"
            or not args.get("code_challenge")
        ):
            answer["error"] = "invalid_request"
        elif state.deny:
            answer["error"] = state.deny
        else:
            code = secrets.token_urlsafe(24)
            state.grants[code] = Grant(
                person=dict(state.person),
                nonce=args.get("nonce"),
                code_challenge=args["code_challenge"],
                redirect_uri=target,
            )
            answer["code"] = code
        return redirect(f"{target}?{urlencode(answer)}")

    @app.post("/token")
    def token():
        form = request.form.to_dict()
        state.token_requests.append(
            {"form": form, "basic": request.authorization is not None}
        )
        if not _client_authenticated():
            return jsonify(error="invalid_client"), 401
        grant = state.grants.get(form.get("code", ""))
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.used
            or grant.redirect_uri != form.get("redirect_uri")
            or _challenge(form.get("code_verifier", "")) != grant.code_challenge
        ):
            return jsonify(error="invalid_grant"), 400
        grant.used = True
        access_token = secrets.token_urlsafe(24)
        state.tokens[access_token] = grant.person
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300}
        if state.fault != "no_id_token":
            body["id_token"] = state.id_token(grant)
        return jsonify(body)

    @app.get("/userinfo")
    def userinfo():
        state.userinfo_calls += 1
        auth = request.headers.get("Authorization", "")
        person = state.tokens.get(auth.removeprefix("Bearer "))
        if person is None:
            return jsonify(error="invalid_token"), 401
        answer = dict(person)
        if state.fault == "userinfo_other_subject":
            answer["sub"] = "someone-else"
        return jsonify(answer)

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """Keep test output free of the provider's access log."""


@contextmanager
def running_provider():
    """Serve a provider on a free local port for the duration of the block."""
    state = TestProvider()
    server = make_server(
        "127.0.0.1",
        0,
        create_provider_app(state),
        threaded=True,
        request_handler=_QuietHandler,
    )
    state.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(timeout=5)
