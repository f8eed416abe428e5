"""Markdown from module packages rendered to safe HTML."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False}).enable("table")

_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "img",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "hr",
}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


@lru_cache(maxsize=2048)
def render(text: str, media_base: str = "") -> str:
    """Render Markdown to sanitised HTML; relative image paths go to media_base."""

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and "://" not in value:
            return f"{media_base}/{value.lstrip('/')}"
        return value

    return nh3.clean(
        _md.render(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=rewrite,
        link_rel="noopener noreferrer",
    )
