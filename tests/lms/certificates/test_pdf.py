"""The PDF: A4 landscape, the holder's name with æøå, embedded fonts, a QR code."""

import io

import pytest
import zxingcpp
from pypdf import PdfReader

from lms.extensions import db
from lms.models import Certificate, User
from lms.operations.certificates import pdf_of
from tests.lms.certificates.conftest import certify

NAME = "Åse Kjærgaard Sørensen"


@pytest.fixture
def holder(make_user) -> User:
    user = make_user(email="aase@example.org")
    user.name = NAME
    db.session.commit()
    return user


def _reader(certificate: Certificate) -> PdfReader:
    return PdfReader(io.BytesIO(pdf_of(certificate)))


def test_the_pdf_names_the_holder_in_danish(holder):
    reader = _reader(certify(holder))
    (page,) = reader.pages
    text = page.extract_text()
    assert NAME in text
    assert "Kompetencebevis" in text and "Videokonsultationer med borgere" in text
    assert "Kan anvende" in text
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape in points


def test_the_pdf_is_in_english_for_an_english_holder(holder):
    holder.locale = "en"
    db.session.commit()
    text = _reader(certify(holder)).pages[0].extract_text()
    assert "Certificate" in text and "Video consultations with citizens" in text
    assert NAME in text


def test_the_fonts_are_embedded(holder):
    page = _reader(certify(holder)).pages[0]
    fonts = page["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        descendants = font.get("/DescendantFonts")
        if descendants:
            font = descendants[0].get_object()
        descriptor = font["/FontDescriptor"].get_object()
        embedded.append(
            any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        )
    assert embedded and all(embedded)


def test_the_qr_code_points_to_the_verification_page(holder):
    certificate = certify(holder)
    (image,) = _reader(certificate).pages[0].images
    (barcode,) = zxingcpp.read_barcodes(image.image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == f"http://lms.test/verify/{certificate.code}"


def test_the_pdf_is_cached(holder):
    certificate = certify(holder)
    first = pdf_of(certificate)
    db.session.expire_all()
    again = db.session.get(Certificate, certificate.id)
    assert again.pdf == first


@pytest.mark.parametrize(
    "url", ["http://example.org/logo.png", "file:///etc/passwd", "https://lms.test/x"]
)
def test_the_renderer_loads_nothing_but_its_fonts(app, url):
    from lms.certificates.pdf import _fetcher, font_urls

    with pytest.raises(ValueError):
        _fetcher().fetch(url)
    response = _fetcher().fetch(font_urls()["regular"])
    assert response is not None
