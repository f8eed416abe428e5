"""Why a single sign-on failed: an HTTP status and a message for the person."""

from flask_babel import lazy_gettext as _l


class SSOError(Exception):
    """A single sign-on that cannot go on; shown as a friendly page."""

    status = 400
    #: A short, non-personal reason for the log.
    reason = "sso_error"
    message = _l("The login could not be completed. Please try again.")

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or self.reason)
        self.reason = reason or self.reason


class ProviderRefused(SSOError):
    """The provider answered with an error, e.g. the person cancelled."""

    status = 401
    reason = "access_denied"
    message = _l(
        "The login was cancelled or refused at the identity provider. "
        "You have not been logged in."
    )


class ProviderError(SSOError):
    """The provider answered with an error other than a refusal."""

    status = 400
    reason = "provider_error"
    message = _l(
        "The identity provider reported an error, so you have not been logged in. "
        "Please try again."
    )


class StateMismatch(SSOError):
    """The answer does not belong to a login started in this browser."""

    status = 400
    reason = "state_mismatch"
    message = _l(
        "This login has expired or was started in another window. "
        "Please start the login again."
    )


class InvalidToken(SSOError):
    """The provider's answer could not be verified."""

    status = 401
    reason = "invalid_token"
    message = _l(
        "We could not verify the login from the identity provider, so you have "
        "not been logged in. Please try again."
    )


class ProviderUnavailable(SSOError):
    """The provider cannot be reached or describes itself wrongly."""

    status = 503
    reason = "provider_unavailable"
    message = _l(
        "The identity provider cannot be reached right now. Please try again later."
    )


class UnknownOrganisation(SSOError):
    """The organisation named by the provider is not set up here."""

    status = 403
    reason = "unknown_organisation"
    message = _l(
        "Your organisation is not set up on this platform yet, so no account was "
        "created. Please ask your administrator."
    )


class UnknownUnit(SSOError):
    """The unit code sent by the provider matches none of our units."""

    status = 403
    reason = "unknown_unit"
    message = _l(
        "Your unit is not set up on this platform yet, so no account was created. "
        "Please ask your administrator."
    )


class MissingClaim(SSOError):
    """The provider did not send something a new account needs."""

    status = 403
    reason = "missing_claim"
    message = _l(
        "The identity provider did not send all the information needed for your "
        "account (e-mail address or unit), so no account was created. Please ask "
        "your administrator."
    )


class NoAccount(SSOError):
    """No account is linked and new accounts are not created automatically."""

    status = 403
    reason = "no_account"
    message = _l(
        "There is no account for you on this platform. Please ask your "
        "administrator to create one."
    )


class EmailTaken(SSOError):
    """A local account already uses the e-mail address and may not be linked."""

    status = 409
    reason = "email_taken"
    message = _l(
        "An account with your e-mail address already exists. Log in with your "
        "password, or ask your administrator to link the account."
    )


class AccountInactive(SSOError):
    """The linked account has been deactivated here."""

    status = 403
    reason = "inactive"
    message = _l("Your account has been deactivated. Please ask your administrator.")
