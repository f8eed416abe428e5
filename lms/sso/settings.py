"""OpenID Connect settings read from the environment and checked at start."""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from lms.config import ConfigError

#: Local addresses where a plain-HTTP issuer is tolerated (development, tests).
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class OIDCSettings:
    """How to reach the identity provider and how to read its claims."""

    issuer: str
    client_id: str
    client_secret: str
    #: The provider's name on the login button, e.g. "KommuneLogin".
    name: str = "SSO"
    scopes: str = "openid email profile"
    #: Claim holding the organisation's name; empty: not read.
    org_claim: str = ""
    #: Claim holding the unit's code; empty: not read.
    unit_claim: str = ""
    #: The organisation of every user of this provider when no claim names one.
    organisation: str = ""
    create_users: bool = True
    link_by_email: bool = False

    @property
    def discovery_url(self) -> str:
        """Return the provider's discovery document URL."""
        return f"{self.issuer}/.well-known/openid-configuration"


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (or true/false), not {raw!r}")


def _issuer(env: Mapping[str, str]) -> str:
    issuer = env["LMS_OIDC_ISSUER"].strip().rstrip("/")
    parts = urlsplit(issuer)
    local = parts.hostname in LOCAL_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ConfigError(
            "LMS_OIDC_ISSUER must be an https:// URL (http:// only for localhost)"
        )
    if not parts.netloc or parts.query or parts.fragment:
        raise ConfigError("LMS_OIDC_ISSUER must be a URL without query or fragment")
    return issuer


def from_environment(env: Mapping[str, str]) -> OIDCSettings | None:
    """Return the settings, or None when single sign-on is not configured."""
    names = ("LMS_OIDC_ISSUER", "LMS_OIDC_CLIENT_ID", "LMS_OIDC_CLIENT_SECRET")
    given = [name for name in names if env.get(name, "").strip()]
    if not given:
        return None
    for name in names:
        if name not in given:
            raise ConfigError(
                f"{name} must be set for single sign-on (set all of {', '.join(names)}"
                " or none of them)"
            )
    scopes = " ".join(env.get("LMS_OIDC_SCOPES", "").split()) or "openid email profile"
    if "openid" not in scopes.split():
        raise ConfigError("LMS_OIDC_SCOPES must include 'openid'")
    return OIDCSettings(
        issuer=_issuer(env),
        client_id=env["LMS_OIDC_CLIENT_ID"].strip(),
        client_secret=env["LMS_OIDC_CLIENT_SECRET"].strip(),
        name=env.get("LMS_OIDC_NAME", "").strip() or "SSO",
        scopes=scopes,
        org_claim=env.get("LMS_OIDC_ORG_CLAIM", "").strip(),
        unit_claim=env.get("LMS_OIDC_UNIT_CLAIM", "").strip(),
        organisation=env.get("LMS_OIDC_ORGANISATION", "").strip(),
        create_users=_flag(env, "LMS_OIDC_CREATE_USERS", True),
        link_by_email=_flag(env, "LMS_OIDC_LINK_BY_EMAIL", False),
    )
