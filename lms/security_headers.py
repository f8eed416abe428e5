"""Browser protections sent with every response: CSP, HSTS, framing and referrers.

A view may send a stricter header of its own (a stored file is served with a
sandboxing policy, the public verify pages send no referrer at all); it is kept.
"""

from flask import Flask, Response

#: No inline script or style anywhere: templates load static/js and static/css only.
#: ``img-src data:`` is for the QR codes, ``form-action`` keeps every form on our
#: origin, and ``frame-ancestors`` forbids framing (clickjacking).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
#: Browsers remember HTTPS for a year; sent only in production, which runs on TLS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
#: The app uses none of these powerful features; embedded content may not either.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Other sites learn our origin only, never a path that may hold an id or code.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def init_app(app: Flask) -> None:
    """Add the protective headers to every response the app sends."""

    @app.after_request
    def _protect(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("LMS_ENV") == "production":
            response.headers.setdefault(
                "Strict-Transport-Security", STRICT_TRANSPORT_SECURITY
            )
        return response
