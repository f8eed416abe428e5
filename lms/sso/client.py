"""Talk to the OpenID Connect provider through Authlib: redirect, code, ID token."""

import logging
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import current_app, request, session
from joserfc.errors import JoseError

from lms.sso.errors import (
    InvalidToken,
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
    StateMismatch,
)
from lms.sso.settings import OIDCSettings

log = logging.getLogger(__name__)

#: Seconds to wait for the provider's back channel (discovery, keys, token).
TIMEOUT = 10
#: Clock skew tolerated on the ID token's exp and iat, in seconds.
LEEWAY = 60
#: Provider errors that mean the person (or the provider's policy) said no.
REFUSALS = {
    "access_denied",
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
}
#: Claims read for the account; fetched from userinfo when the ID token lacks one.
WANTED = ("email", "email_verified", "name")


def _client(settings: OIDCSettings) -> FlaskOAuth2App:
    """Return the Authlib client for these settings, made once per app."""
    clients = current_app.extensions.setdefault("lms_oidc_clients", {})
    if settings not in clients:
        oauth = OAuth()
        oauth.init_app(current_app)
        clients[settings] = oauth.register(
            name="oidc",
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=settings.discovery_url,
            client_kwargs={
                "scope": settings.scopes,
                "code_challenge_method": "S256",
                "default_timeout": TIMEOUT,
            },
        )
    return clients[settings]


def _metadata(client: FlaskOAuth2App, settings: OIDCSettings) -> dict[str, Any]:
    """Load the discovery document once and check that it is the issuer's own."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        log.warning("sso discovery failed: %s", type(error).__name__)
        raise ProviderUnavailable("discovery_failed") from error
    if metadata.get("issuer") != settings.issuer:
        # OpenID Connect Discovery 1.0, 4.3: the issuer must be the one asked.
        client.server_metadata.pop("_loaded_at", None)
        log.error("sso discovery document names another issuer")
        raise ProviderUnavailable("issuer_mismatch")
    return metadata


def begin(settings: OIDCSettings, redirect_uri: str, locale: str):
    """Return the redirect to the provider, with state, nonce and PKCE kept here."""
    client = _client(settings)
    _metadata(client, settings)
    return client.authorize_redirect(redirect_uri, ui_locales=locale)


def _claims_options(settings: OIDCSettings) -> dict[str, dict]:
    # Authlib checks aud only loosely (through azp), so insist on ours here.
    return {
        "iss": {"essential": True, "value": settings.issuer},
        "aud": {"essential": True, "values": [settings.client_id]},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }


def _refused_by_provider() -> None:
    """Raise for an error answer from the authorization endpoint."""
    error = request.args.get("error")
    if not error:
        return
    state = request.args.get("state")
    if state:
        session.pop(f"_state_oidc_{state}", None)
    log.info("sso provider answered %r", error[:64])
    if error in REFUSALS:
        raise ProviderRefused(error)
    raise ProviderError("provider_error")


def finish(settings: OIDCSettings) -> dict[str, Any]:
    """Exchange the code, verify the ID token and return the person's claims."""
    _refused_by_provider()
    client = _client(settings)
    _metadata(client, settings)
    try:
        token = client.authorize_access_token(
            claims_options=_claims_options(settings), leeway=LEEWAY
        )
    except MismatchingStateError as error:
        raise StateMismatch() from error
    except requests.RequestException as error:
        log.warning("sso token request failed: %s", type(error).__name__)
        raise ProviderUnavailable("token_request_failed") from error
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        # The error code only: descriptions may repeat what the person typed.
        code = getattr(error, "error", "")
        claim = getattr(error, "claim", "")
        log.warning("sso token rejected: %s %s %s", type(error).__name__, code, claim)
        raise InvalidToken() from error
    claims = token.get("userinfo")
    if not claims:
        raise InvalidToken("no_id_token")
    return _with_userinfo(client, settings, token, dict(claims))


def _with_userinfo(client, settings, token, claims: dict[str, Any]) -> dict[str, Any]:
    """Fill claims the ID token lacks from the userinfo endpoint, same subject only."""
    wanted = [*WANTED, settings.org_claim, settings.unit_claim]
    missing = [name for name in wanted if name and name not in claims]
    metadata = client.load_server_metadata()
    if not missing or not metadata.get("userinfo_endpoint"):
        return claims
    try:
        userinfo = client.userinfo(token=token)
    except requests.RequestException as error:
        log.warning("sso userinfo failed: %s", type(error).__name__)
        raise ProviderUnavailable("userinfo_failed") from error
    except (AuthlibBaseError, ValueError) as error:
        raise InvalidToken("userinfo_invalid") from error
    # OpenID Connect Core 1.0, 5.3.2: userinfo of another subject must be ignored.
    if userinfo.get("sub") != claims["sub"]:
        raise InvalidToken("userinfo_subject")
    for name in missing:
        if name in userinfo:
            claims[name] = userinfo[name]
    return claims
