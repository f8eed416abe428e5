"""Rate limits of sign-in and password reset: per client address and per account.

Only failed attempts count (a 401 answer), so staff behind one hospital address
can sign in at a shift change. The account key is a digest of the email, so no
email reaches the counters or the log, and unknown emails are limited like real
ones.
"""

import hashlib

from flask import current_app, request, session

from lms.extensions import limiter


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def account_key() -> str:
    """Key a limit by the email of the form."""
    return "account:" + _digest(request.form.get("email", ""))


def pending_account_key() -> str:
    """Key a limit by the account waiting for its sign-in code."""
    pending = session.get("pending_sign_in") or {}
    user_id = str(pending.get("user", "")).partition(":")[0]
    return "account:" + _digest("user-" + user_id)


def failed(response) -> bool:
    """Count only refused attempts."""
    return response.status_code == 401


def _config(name: str):
    return lambda: current_app.config[name]


login_per_ip = limiter.limit(
    _config("LMS_LOGIN_LIMIT_PER_IP"), methods=["POST"], deduct_when=failed
)
login_per_account = limiter.limit(
    _config("LMS_LOGIN_LIMIT_PER_ACCOUNT"),
    key_func=account_key,
    methods=["POST"],
    deduct_when=failed,
)
code_per_account = limiter.limit(
    _config("LMS_LOGIN_LIMIT_PER_ACCOUNT"),
    key_func=pending_account_key,
    methods=["POST"],
    deduct_when=failed,
)
#: Every reset request counts, since the answer is the same whether it mailed.
reset_per_ip = limiter.limit(_config("LMS_RESET_LIMIT_PER_IP"), methods=["POST"])
reset_per_account = limiter.limit(
    _config("LMS_RESET_LIMIT_PER_ACCOUNT"), key_func=account_key, methods=["POST"]
)
