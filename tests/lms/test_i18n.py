"""Every user-facing text exists in Danish and English."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("lms/**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> set:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        METHODS,
        keywords={
            "_": None,
            "_l": None,
            "gettext": None,
            "ngettext": (1, 2),
            "lazy_gettext": None,
        },
    ):
        found.add(message)
    return found


def test_every_message_has_a_danish_translation():
    with (ROOT / "translations/da/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        message.id
        for message in catalog
        if message.id
        and (all(message.string) if isinstance(message.id, tuple) else message.string)
        and not message.fuzzy
    }
    missing = sorted(str(m) for m in _source_messages() - translated)
    assert missing == [], f"run 'make extract' and translate: {missing}"


def test_pages_switch_language(client, auth, demo):
    auth.login()
    danish = client.get("/learn/catalogue")
    assert "Katalog" in danish.text and '<html lang="da">' in danish.text
    english = client.get("/learn/catalogue?lang=en")
    assert "Catalogue" in english.text and '<html lang="en">' in english.text


def test_module_content_follows_the_language(client, auth, demo):
    auth.login()
    assert (
        "Videokonsultationer med borgere"
        in client.get("/learn/modules/video-consultations").text
    )
    client.post("/language", data={"locale": "en"})
    assert (
        "Video consultations with citizens"
        in client.get("/learn/modules/video-consultations").text
    )
