"""The printable certificate: A4 landscape HTML rendered by WeasyPrint, with a QR code.

The fonts are Debian's DejaVu (fonts-dejavu-core, installed by `make run`), embedded
in the PDF through @font-face so æøå print on any machine. They are cut once to the
scripts people's names use (Latin, Greek, Cyrillic) and kept in the instance folder:
WeasyPrint subsets the embedded fonts on every render, and the whole DejaVu font
makes that the slowest part. WeasyPrint may load only those font files and data:
URIs, never anything from the network.
"""

import os
import threading
from pathlib import Path

import segno
from flask import current_app, render_template
from flask_babel import force_locale

from lms.models import Certificate

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
#: Latin with its extensions and combining marks, Greek, Cyrillic, punctuation, €.
UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x500),
    *range(0x1E00, 0x1F00),
    *range(0x2010, 0x2028),
    *range(0x2030, 0x203B),
    0x20AC,
    0x2122,
    0x2212,
]
_local = threading.local()


class FontsMissing(RuntimeError):
    """The fonts the certificate embeds are not installed."""


def qr_data_uri(url: str) -> str:
    """Return a QR code of the URL as a PNG data URI, one pixel per module x 8."""
    return segno.make(url, error="m").png_data_uri(scale=8, border=2)


def font_urls() -> dict[str, str]:
    """Return file: URLs of the embedded fonts; FontsMissing names the package."""
    sources = {weight: FONT_DIR / name for weight, name in FONTS.items()}
    missing = [str(path) for path in sources.values() if not path.is_file()]
    if missing:
        raise FontsMissing(
            f"missing {', '.join(missing)}: install fonts-dejavu-core (make run does)"
        )
    folder = Path(current_app.instance_path) / "fonts"
    return {
        weight: _cut(source, folder / f"{source.stem}-names.ttf").as_uri()
        for weight, source in sources.items()
    }


def _cut(source: Path, target: Path) -> Path:
    """Subset a font to UNICODES once; later calls find the file."""
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.drop_tables += ["FFTM"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    subset.save_font(font, str(partial), options)
    font.close()
    os.replace(partial, target)  # atomic: another process may be cutting it too
    return target


def _fetcher():
    """Return a URL fetcher that allows data: URIs and the certificate fonts only."""
    from weasyprint.urls import URLFetcher  # Pango loads on first use, not at start

    allowed = set(font_urls().values())

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:") or url in allowed:
                return super().fetch(url, headers)
            raise ValueError(f"the certificate may not load {url}")

    return Fetcher(allowed_protocols=("data", "file"))


def _font_config():
    # One per thread: loading the fonts again for every certificate costs 40 ms.
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_local, "fonts"):
        _local.fonts = FontConfiguration()
    return _local.fonts


def render_html(certificate: Certificate, verify_url: str) -> str:
    """Return the certificate's HTML in the holder's language."""
    with force_locale(certificate.locale):
        return render_template(
            "certificates/pdf.html",
            certificate=certificate,
            locale=certificate.locale,
            verify_url=verify_url,
            qr=qr_data_uri(verify_url),
            fonts=font_urls(),
        )


def render_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """Render the certificate as a PDF."""
    from weasyprint import HTML

    html = HTML(string=render_html(certificate, verify_url), url_fetcher=_fetcher())
    return html.write_pdf(font_config=_font_config())
