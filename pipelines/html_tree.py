"""Parsing and small, shared helpers over lxml trees."""
from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree, html
from lxml.cssselect import CSSSelector

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Comments go at parse time: removing a comment node later drops its tail text with it (trafilatura does
# that to "had suffered<!-- --> months of ..." and loses the rest of the sentence).
_PARSER = html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)


class ParseError(ValueError):
    """The HTML could not be parsed into a document."""


def parse_html(text: str) -> html.HtmlElement:
    # lxml refuses str input that carries an encoding declaration; the text is decoded already.
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        raise ParseError("empty document")
    try:
        root = html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(str(exc)) from exc
    if root is None or root.find("body") is None and len(root) == 0:
        raise ParseError("no document element")
    return root


@lru_cache(maxsize=2048)
def selector(css: str) -> CSSSelector:
    return CSSSelector(css, translator="html")


def select(root, css: str) -> list:
    try:
        return selector(css)(root)
    except Exception:  # a malformed selector in a site's rules must not kill a page
        return []



def text_of(element) -> str:
    """Visible text of an element, with block boundaries as spaces."""
    if element is None:
        return ""
    parts = []
    for piece in element.itertext():
        parts.append(piece)
    return " ".join(" ".join(parts).split())



def is_ancestor(candidate, element) -> bool:
    node = element
    while node is not None:
        if node is candidate:
            return True
        node = node.getparent()
    return False
