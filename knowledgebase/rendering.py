"""Markdown bodies to safe HTML, plain text for the search index, and a table of contents.

Advisors' Markdown is untrusted: it may carry raw HTML, event handlers or `javascript:` links.
It is rendered with Python-Markdown and then cleaned by nh3 (the Rust `ammonia` sanitiser) under
the explicit allow-list below. Anything not listed is dropped.

Images are not shown: a Markdown image becomes a link to it ("Image: <alt text>") and a raw
`<img>` is dropped. Images from other sites would break the pages' Content-Security-Policy
(`img-src 'self'`) and tell those sites who reads the advice; we do not host advisors' images
(uploads belong to the publishing workflow). The reader can still follow the link.

Tables are wrapped, after sanitising, in a focusable container that scrolls sideways on its own,
so a wide table never makes the whole page scroll on a phone.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "ins",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
#: Links may only be web links, email links or relative; nh3 drops any other scheme.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Elements removed together with everything inside them.
REMOVED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template"})

MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "toc", "abbr", "def_list", "footnotes"]
MARKDOWN_CONFIG = {
    "tables": {"use_align_attribute": True},
    # Heading ids are prefixed so an advisor's heading can never clash with an id of the page.
    # The page's own <h1> is the title, so an advisor's "# Heading" becomes an <h2>.
    "toc": {"slugify": None, "baselevel": 2},
}

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)
_text_only = nh3.Cleaner(tags=set(), clean_content_tags=set(REMOVED_WITH_CONTENT))

HEADING_ID_PREFIX = "section-"
#: Raise whenever rendering changes (extensions, allow-list, heading levels): stored HTML is
#: then out of date, and the next ingest re-renders every file.
RENDERING_VERSION = "3"


@dataclass(frozen=True)
class TocEntry:
    """One heading of a deliverable, for its table of contents."""

    level: int
    anchor: str
    title: str


@dataclass(frozen=True)
class RenderedBody:
    html: str
    text: str
    toc: tuple[TocEntry, ...]


class _ImagesAsLinks(Treeprocessor):
    """Each Markdown image becomes a link to the image, labelled with its alt text."""

    def run(self, root):
        for parent in root.iter():
            for position, child in enumerate(list(parent)):
                if child.tag != "img":
                    continue
                link = etree.Element("a", {"href": child.get("src", "")})
                link.text = f"Image: {child.get('alt') or child.get('title') or 'untitled'}"
                link.tail = child.tail
                parent.remove(child)
                parent.insert(position, link)


class _ImagesAsLinksExtension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_ImagesAsLinks(md), "kb_images_as_links", 15)


_TABLE_OPEN = re.compile(r"<table\b")


def _wrap_tables(fragment: str) -> str:
    """Each table in a labelled, focusable region that scrolls sideways by itself."""
    counter = iter(range(1, 1_000_000))

    def opening(_match):
        number = next(counter)
        return (
            f'<div class="app-table-container" role="region" tabindex="0" '
            f'aria-label="Table {number} (scrolls sideways)"><table'
        )

    return _TABLE_OPEN.sub(opening, fragment).replace("</table>", "</table></div>")


def _slugify(value: str, separator: str) -> str:
    from markdown.extensions.toc import slugify_unicode

    return HEADING_ID_PREFIX + slugify_unicode(value, separator)


def render_markdown(source: str) -> RenderedBody:
    """Render a deliverable's Markdown body to sanitised HTML, plain text and its headings."""
    config = dict(MARKDOWN_CONFIG)
    config["toc"] = {**config["toc"], "slugify": _slugify}
    converter = markdown.Markdown(
        extensions=[*MARKDOWN_EXTENSIONS, _ImagesAsLinksExtension()], extension_configs=config
    )
    unsafe = converter.convert(source)
    safe = sanitise_html(unsafe)
    toc = tuple(_flatten_toc(converter.toc_tokens))
    return RenderedBody(html=_wrap_tables(safe), text=html_to_text(safe), toc=toc)


def sanitise_html(fragment: str) -> str:
    """Keep only allow-listed tags, attributes and link schemes."""
    return _cleaner.clean(fragment)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, with block boundaries kept as line breaks."""
    spaced = fragment.replace("</p>", "</p>\n").replace("</li>", "</li>\n").replace("<br>", "\n")
    for level in range(1, 7):
        spaced = spaced.replace(f"</h{level}>", f"</h{level}>\n")
    text = html.unescape(_text_only.clean(spaced))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _flatten_toc(tokens, into=None):
    into = [] if into is None else into
    for token in tokens:
        into.append(TocEntry(level=token["level"], anchor=token["id"], title=html.unescape(token["name"])))
        _flatten_toc(token.get("children", []), into)
    return into
