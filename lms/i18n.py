"""Language selection: Danish by default, kept per user."""

from flask import Flask, request, session
from flask_babel import get_locale
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
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _language():
        return {"current_locale": current_locale(), "t": localized, "LOCALES": LOCALES}
