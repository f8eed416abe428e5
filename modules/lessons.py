"""Read lesson activities: Markdown in each language and an optional video."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from .document import Package, Table
from .model import LANGUAGES, Lesson, Video

LESSON_SUFFIXES = tuple(f".{language}.md" for language in LANGUAGES)

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING_1 = re.compile(r" {0,3}#(?:[ \t]|$)")
_SETEXT_1 = re.compile(r" {0,3}=+[ \t]*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[^)]*)?\)")
_EMBED = re.compile(r"<\s*(video|iframe)\b", re.IGNORECASE)
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:|/")


def parse_lesson(activity: Table, file: str, package: Package) -> Lesson:
    """Read and check the Markdown files of a lesson and its video."""
    markdown = {
        language: check_markdown(package, f"{file}.{language}.md")
        for language in LANGUAGES
    }
    return Lesson(markdown, parse_video(activity, package))


def check_markdown(package: Package, path: str) -> str:
    """Return a lesson's Markdown after reporting problems line by line."""
    text = package.text(path)
    if text is None:
        return ""
    if not text.strip():
        package.report(path, None, "the lesson is empty")
    for number, line, previous in _prose_lines(text):
        for message in _line_problems(line, previous, package):
            package.report(path, number, message)
    return text


def _prose_lines(text: str) -> Iterator[tuple[int, str, str]]:
    """Yield (number, line, previous line) for lines outside code blocks."""
    fence, previous = "", ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        marker = match.group(1) if match else ""
        if fence:
            closes = marker.startswith(fence)
            fence = "" if closes else fence
        elif marker:
            fence = marker
        else:
            yield number, line, previous
        previous = "" if fence or marker else line


def _line_problems(line: str, previous: str, package: Package) -> Iterator[str]:
    """Yield what is wrong with one line of lesson Markdown."""
    if _HEADING_1.match(line) or (_SETEXT_1.match(line) and _is_paragraph(previous)):
        yield "level-1 heading; lesson headings start at '##' (the page has the title)"
    for alt, target in _IMAGE.findall(line):
        yield from _image_problems(alt, unquote(target), package)
    if _EMBED.search(line):
        yield "video must be declared on the activity, not embedded in the lesson"


def _is_paragraph(line: str) -> bool:
    """Tell whether a line could be the text of a setext heading."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", ">", "-", "*", "|"))


def _image_problems(alt: str, target: str, package: Package) -> Iterator[str]:
    """Yield what is wrong with one image reference."""
    if not alt.strip():
        yield f"image '{target}' has no alt text; describe it in ![...]"
    target = target.removeprefix("./")
    if _URL.match(target):
        yield f"image '{target}' must be a file in the package, such as media/x.png"
    elif not package.has(target):
        yield f"image '{target}' not found in the package"


def parse_video(activity: Table, package: Package) -> Video | None:
    """Read a lesson's video and check its captions or transcript."""
    video = activity.table("video", required=False)
    if video is None:
        return None
    video.check_keys(("src", "captions", "transcript"))
    src = video.string("src")
    if src and not src.startswith("https://") and not package.has(src):
        video.error(f"video file '{src}' not found in the package", "src")
    captions = video.text("captions", required=False)
    transcript = video.text("transcript", required=False)
    if "captions" not in video.data and "transcript" not in video.data:
        video.error("a video needs captions or a transcript in both languages")
    for path in (captions or {}).values():
        _check_captions(video, path, package)
    return Video(src or "", captions, transcript)


def _check_captions(video: Table, path: str, package: Package) -> None:
    """Report a captions file that is missing or not WebVTT."""
    if not path:
        return
    if not package.has(path):
        video.error(f"captions file '{path}' not found in the package", "captions")
    elif not package.files[path].lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
        video.error(
            f"captions file '{path}' must be WebVTT (start with WEBVTT)", "captions"
        )
