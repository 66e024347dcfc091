"""Parsing and small, shared helpers over lxml trees."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

from cssselect import parser as css_parser
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
    index = getattr(_page, "index", None)
    if index is not None and not index.may_match(root, css):
        return []
    try:
        return selector(css)(root)
    except Exception:  # a malformed selector in a site's rules must not kill a page
        return []


# A page's tag names, class tokens, ids and the values of the attributes its selectors test, read once per page
# (index_page). A selector that needs a tag, class, id or attribute value the page lacks matches nothing, so
# `select` answers it without evaluating the XPath over the whole tree: most of a family's ~150 selectors
# miss on any one page. Exact because the cleaning core only ever removes elements from a parsed tree (the
# index stays a superset of what the tree holds), and only used for trees of the indexed document.
_page = threading.local()
_XML_SPACE = frozenset(" \t\r\n")


class PageIndex:
    __slots__ = ("root", "tags", "classes", "ids", "attrs")

    def __init__(self, root, attributes=()):
        self.root = root
        self.tags = {el.tag for el in root.iter()}
        # str.split() cuts at least where normalize-space() does: a superset of the tokens XPath sees
        self.classes = set(" ".join(root.xpath("//@class")).split())
        self.ids = {str(value) for value in root.xpath("//@id")}
        names = sorted({name for name in attributes if re.fullmatch(r"[a-z][a-z0-9_-]*", name)})
        self.attrs: dict[str, set] = {name: set() for name in names}
        if names:
            for value in root.xpath("|".join(f"//@{name}" for name in names)):
                self.attrs[value.attrname].add(str(value))

    def may_match(self, root, css: str) -> bool:
        try:
            if root.getroottree().getroot() is not self.root:
                return True
        except Exception:
            return True
        needs = _requirements(css)
        if needs is None:
            return True
        return any(self._satisfies(need) for need in needs)

    def _satisfies(self, need) -> bool:
        tags, classes, ids, attrs = need
        if not tags <= self.tags or not classes <= self.classes or not ids <= self.ids:
            return False
        for name, value in attrs:
            values = self.attrs.get(name)
            if values is None:
                continue                 # not indexed: no evidence either way
            if not values if value is None else value not in values:
                return False
        return True


def index_page(root, selectors=()) -> PageIndex:
    """Index this parsed page for `select` (until release_page_index); `selectors` name the attributes to index."""
    names: set[str] = set()
    for css in selectors:
        for need in _requirements(css) or ():
            names.update(name for name, _ in need[3])
    names.add("itemprop")
    index = PageIndex(root, names)
    _page.index = index
    return index


def release_page_index() -> None:
    _page.index = None


@lru_cache(maxsize=4096)
def _requirements(css: str):
    """Per comma-separated alternative, what a matching element's document must hold: (tag names, class
    tokens, ids, (attribute, value or None) pairs). None when that cannot be told (then XPath decides)."""
    try:
        parsed = css_parser.parse(css)
    except Exception:
        return None
    out = []
    for sel in parsed:
        if sel.pseudo_element is not None:
            return None
        tags: set[str] = set()
        classes: set[str] = set()
        ids: set[str] = set()
        attrs: set[tuple] = set()
        node = sel.parsed_tree
        stack = [node]
        while stack:
            node = stack.pop()
            if isinstance(node, css_parser.Element):
                if node.namespace is None and node.element not in (None, "*"):
                    tags.add(node.element.lower())
            elif isinstance(node, css_parser.Class):
                if not any(ch.isspace() for ch in node.class_name) and node.class_name:
                    classes.add(node.class_name)
                stack.append(node.selector)
            elif isinstance(node, css_parser.Hash):
                ids.add(node.id)
                stack.append(node.selector)
            elif isinstance(node, css_parser.Attrib):
                if node.namespace is None:
                    value = node.value
                    exact = (node.operator == "=" and node.flag is None and value is not None
                             and value.type in ("IDENT", "STRING"))
                    attrs.add((node.attrib.lower(), value.value if exact else None))
                stack.append(node.selector)
            elif isinstance(node, css_parser.CombinedSelector):
                stack.extend((node.selector, node.subselector))
            elif isinstance(node, (css_parser.Negation, css_parser.Pseudo, css_parser.Function, css_parser.Matching,
                                   css_parser.Relation, css_parser.SpecificityAdjustment)):
                stack.append(node.selector)      # what is inside :not(), :is(), :has() ... requires nothing
            else:
                return None
        out.append((frozenset(tags), frozenset(classes), frozenset(ids), frozenset(attrs)))
    return tuple(out)



def text_of(element) -> str:
    """Visible text of an element, with block boundaries as spaces."""
    if element is None:
        return ""
    return " ".join(" ".join(element.itertext()).split())



def is_ancestor(candidate, element) -> bool:
    node = element
    while node is not None:
        if node is candidate:
            return True
        node = node.getparent()
    return False
