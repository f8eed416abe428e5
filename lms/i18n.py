"""Language selection: Danish by default, kept per user."""

from zoneinfo import available_timezones

from flask import Flask, current_app, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from lms.extensions import babel

LOCALES = ("da", "en")


def select_locale() -> str:
    """Pick the UI language: the user's choice, then the session, then Danish."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        session["locale"] = asked
        return asked
    if current_user and current_user.is_authenticated:
        return current_user.locale if current_user.locale in LOCALES else "da"
    return session.get("locale", "da")


def select_timezone() -> str:
    """Pick the time zone that times are shown in: the user's, else the app's."""
    if current_user and current_user.is_authenticated:
        if current_user.timezone in time_zones():
            return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def time_zones() -> frozenset[str]:
    """Return the IANA time zone names this machine knows."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


_ZONES: frozenset[str] | None = None


def current_locale() -> str:
    """Return the active language code."""
    return str(get_locale() or "da")


def localized(text, locale: str | None = None) -> str:
    """Return one language of a bilingual text mapping."""
    if text is None:
        return ""
    locale = locale or current_locale()
    return text.get(locale) or text.get("da") or ""


def init_app(app: Flask) -> None:
    """Wire Flask-Babel and the template helpers."""
    babel.init_app(
        app, locale_selector=select_locale, timezone_selector=select_timezone
    )
    # A global, so that imported macros without context can show the zone too.
    app.jinja_env.globals["current_zone"] = lambda: str(get_timezone())

    @app.context_processor
    def _language():
        return {
            "current_locale": current_locale(),
            "t": localized,
            "LOCALES": LOCALES,
        }
