"""Configuration from environment variables, with safe defaults."""

import os
from pathlib import Path

DEV_SECRET = "dev-secret-change-me"
ROOT = Path(__file__).resolve().parent.parent


def database_url(instance_path: str) -> str:
    """Return the database URL, using psycopg 3 for PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{Path(instance_path) / 'lms.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping from the environment."""
    from lms.sso import settings as sso_settings  # it raises ConfigError itself

    env = os.environ.get("LMS_ENV", "development")
    return {
        "LMS_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "LMS_BASE_URL": os.environ.get("LMS_BASE_URL", "http://127.0.0.1:5000").rstrip(
            "/"
        ),
        "LMS_MODULES_PATH": os.environ.get("LMS_MODULES_PATH", str(ROOT / "modules")),
        # Practice-task files are at most 10 MB; the rest is form overhead.
        "MAX_CONTENT_LENGTH": int(os.environ.get("LMS_MAX_UPLOAD_BYTES", 12 * 2**20)),
        # Uploaded files (lms.storage); LMS_STORAGE may plug in another backend.
        "LMS_STORAGE_DIR": os.environ.get(
            "LMS_STORAGE_DIR", str(Path(instance_path) / "uploads")
        ),
        "LMS_STORAGE": os.environ.get("LMS_STORAGE") or None,
        # Days after an enrolment finished before its practice-task files are
        # deleted (lms.privacy); 0 keeps them for ever.
        "LMS_SUBMISSION_FILE_RETENTION_DAYS": int(
            os.environ.get("LMS_SUBMISSION_FILE_RETENTION_DAYS", 365)
        ),
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        # How many reverse proxies stand in front of the app; their X-Forwarded-For
        # and X-Forwarded-Proto are trusted that many hops deep, no more.
        "LMS_TRUSTED_PROXIES": int(os.environ.get("LMS_TRUSTED_PROXIES", 0)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        # No pool_pre_ping: on PostgreSQL lms.database checks pooled connections
        # without a round trip, and pings those idle longer than this many seconds.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "LMS_DB_IDLE_PING_SECONDS": float(
            os.environ.get("LMS_DB_IDLE_PING_SECONDS", 30)
        ),
        # Seconds a request waits for a database lock (SQLite's busy timeout,
        # PostgreSQL's lock_timeout) or for a connection before it answers 503.
        "LMS_DB_LOCK_TIMEOUT": float(os.environ.get("LMS_DB_LOCK_TIMEOUT", 5)),
        "LMS_DB_CONNECT_TIMEOUT": int(os.environ.get("LMS_DB_CONNECT_TIMEOUT", 5)),
        "PASSWORD_HASH_METHOD": "scrypt",
        # The xAPI endpoint: largest request body, largest page, credential cache.
        "LRS_MAX_BODY_BYTES": int(os.environ.get("LRS_MAX_BODY_BYTES", 16 * 2**20)),
        "LRS_MAX_LIMIT": int(os.environ.get("LRS_MAX_LIMIT", 500)),
        # Plain statement POSTs skip Flask's request machinery (lms.lrs.fast).
        "LRS_FAST_PATH": os.environ.get("LRS_FAST_PATH", "1") != "0",
        # Group-commit rounds of one process that may write at once; 0: one on
        # SQLite, two on PostgreSQL (lms.lrs.grouping).
        "LRS_PARALLEL_ROUNDS": int(os.environ.get("LRS_PARALLEL_ROUNDS", 0)),
        # Unix sockets of `flask lrs writer` processes (lms.lrs.writer), comma-
        # separated.
        "LRS_WRITER_SOCKETS": [
            path.strip()
            for path in os.environ.get("LRS_WRITER_SOCKETS", "").split(",")
            if path.strip()
        ],
        "LRS_WRITER_TIMEOUT": float(os.environ.get("LRS_WRITER_TIMEOUT", 60)),
        # A served app's objects are left out of garbage collection (create_app).
        "LMS_GC_FREEZE": os.environ.get("LMS_GC_FREEZE", "1") != "0",
        "LRS_CREDENTIAL_CACHE_SECONDS": float(
            os.environ.get("LRS_CREDENTIAL_CACHE_SECONDS", 30)
        ),
        # Mail goes to instance/mail.log unless an SMTP host is set.
        "LMS_MAIL_FROM": os.environ.get("LMS_MAIL_FROM", "no-reply@localhost"),
        "LMS_SMTP_HOST": os.environ.get("LMS_SMTP_HOST", ""),
        "LMS_SMTP_PORT": int(os.environ.get("LMS_SMTP_PORT", 587)),
        "LMS_SMTP_USER": os.environ.get("LMS_SMTP_USER", ""),
        "LMS_SMTP_PASSWORD": os.environ.get("LMS_SMTP_PASSWORD", ""),
        "LMS_SMTP_STARTTLS": os.environ.get("LMS_SMTP_STARTTLS", "1") != "0",
        # Certificates: who issues them, and the Ed25519 signing key. Without a key
        # file, keys are generated into instance/signing-keys/ on first start.
        "LMS_ISSUER_NAME": os.environ.get("LMS_ISSUER_NAME", "Bliv Digital Kompetent"),
        "LMS_SIGNING_KEY_FILE": os.environ.get("LMS_SIGNING_KEY_FILE", ""),
        "LMS_SIGNING_KEYS_DIR": os.environ.get("LMS_SIGNING_KEYS_DIR", ""),
        # Forwarding to external LRSs (lms.forwarding): seconds a request may take,
        # statements per request, and how long a worker holds an endpoint's turn.
        "LMS_FORWARDING_TIMEOUT": float(os.environ.get("LMS_FORWARDING_TIMEOUT", 20)),
        "LMS_FORWARDING_BATCH_SIZE": int(
            os.environ.get("LMS_FORWARDING_BATCH_SIZE", 50)
        ),
        "LMS_FORWARDING_LEASE_SECONDS": float(
            os.environ.get("LMS_FORWARDING_LEASE_SECONDS", 120)
        ),
        # Rate limits: counted in the app's database (lms.ratelimit), shared by
        # every process; a redis:// URI counts in Redis instead.
        "RATELIMIT_STORAGE_URI": os.environ.get(
            "LMS_RATELIMIT_STORAGE_URI", "database://"
        ),
        "LMS_VERIFY_RATE_LIMIT": os.environ.get(
            "LMS_VERIFY_RATE_LIMIT", "30 per minute"
        ),
        # OpenID Connect single sign-on; None unless LMS_OIDC_ISSUER and its
        # client credentials are set (see lms/sso/settings.py).
        "LMS_OIDC": sso_settings.from_environment(os.environ),
        **_sign_in(),
    }


def _sign_in() -> dict:
    """Sign-in limits, lockout, password policy, reset links and TOTP."""
    return {
        # Failed sign-ins allowed per client address and per account (email).
        "LMS_LOGIN_LIMIT_PER_IP": os.environ.get(
            "LMS_LOGIN_LIMIT_PER_IP", "20 per minute"
        ),
        "LMS_LOGIN_LIMIT_PER_ACCOUNT": os.environ.get(
            "LMS_LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"
        ),
        # Requests for a password reset link per client address and per email.
        "LMS_RESET_LIMIT_PER_IP": os.environ.get(
            "LMS_RESET_LIMIT_PER_IP", "10 per hour"
        ),
        "LMS_RESET_LIMIT_PER_ACCOUNT": os.environ.get(
            "LMS_RESET_LIMIT_PER_ACCOUNT", "3 per hour"
        ),
        # Consecutive failed sign-ins that lock the account, and for how long.
        "LMS_LOCKOUT_THRESHOLD": int(os.environ.get("LMS_LOCKOUT_THRESHOLD", 10)),
        "LMS_LOCKOUT_MINUTES": int(os.environ.get("LMS_LOCKOUT_MINUTES", 15)),
        "LMS_PASSWORD_MIN_LENGTH": int(os.environ.get("LMS_PASSWORD_MIN_LENGTH", 12)),
        "LMS_PASSWORD_MAX_LENGTH": int(os.environ.get("LMS_PASSWORD_MAX_LENGTH", 128)),
        "LMS_PASSWORD_RESET_MINUTES": int(
            os.environ.get("LMS_PASSWORD_RESET_MINUTES", 60)
        ),
        # Every admin must use a TOTP code at sign-in; without one, enrol first.
        "LMS_REQUIRE_ADMIN_TOTP": os.environ.get("LMS_REQUIRE_ADMIN_TOTP", "0")
        in ("1", "true", "yes"),
    }


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete."""


def check(config: dict) -> None:
    """Refuse to run production with the development secret."""
    if config["LMS_ENV"] == "production" and config["SECRET_KEY"] in ("", DEV_SECRET):
        raise ConfigError("SECRET_KEY must be set to a strong secret in production")
