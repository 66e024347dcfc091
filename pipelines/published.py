"""Which date on the page is the publication date.

Trust order: JSON-LD `datePublished`, meta tags, the article's own date element or date line, the URL.
The visible date is only looked for where the article is (after its headline, or in the family's date
element inside the article), so the site header's "today" date and dates cited in the body are never
taken. A date-only value is refined with the time of a visible date on the same day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .dates import ParsedDate, date_from_url, is_date_line, parse_iso, parse_vn_datetime
from .families import Profile
from .html_tree import is_ancestor, select, text_of
from .page_meta import PageMeta

META_PUBLISHED = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate", "publish_date",
    "publication_date", "article.published", "dc.date.issued", "dc.date", "dcterms.issued", "dcterms.created",
    "date", "sailthru.date", "parsely-pub-date", "article_date_original", "cxenseparse:recs:publishtime",
)
META_MODIFIED = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified")
_BLOCKS = ("p", "div", "span", "time", "li", "td", "small", "em", "strong", "h4", "h5", "h6", "b", "i", "font")
_CHROME = ("header", "nav", "footer", "aside")


@dataclass
class Published:
    date: ParsedDate | None = None
    source: str | None = None
    modified: ParsedDate | None = None


def _in_chrome(el) -> bool:
    """Inside the site's header, menus, sidebar or footer. A <header> or menu inside the <article> or <main> is
    the article's; a sidebar (<aside>, class "...sidebar...") is chrome even inside <main>, unless the
    <article> holds it."""
    ancestors = [n for n in [el, *el.iterancestors()] if isinstance(n.tag, str)]
    in_article = any(n.tag == "article" for n in ancestors)
    in_main = in_article or any(n.tag == "main" for n in ancestors)
    for node in ancestors:
        cls = (node.get("class") or "").lower()
        if node.tag == "aside" or "sidebar" in cls:
            if not in_article:
                return True
            continue
        if in_main:
            continue
        if node.tag in _CHROME or any(w in cls.split() for w in ("header", "top-bar", "topbar", "navbar", "menu",
                                                                   "footer")):
            return True
    return False


def _teaser_date(el, title_el) -> bool:
    """The date of a teaser in a list of other articles: it shares its list item or small block with a
    headline-length link, and that block does not hold the page's own headline."""
    node = el
    for _ in range(3):
        node = node.getparent()
        if node is None or node.tag in ("body", "html", "article", "main"):
            return False
        if title_el is not None and (node is title_el or is_ancestor(node, title_el)):
            return False
        for a in node.iter("a"):
            if a is not el and not is_ancestor(a, el) and len(text_of(a).split()) >= 5:
                return True
        if node.tag == "li":
            return False
    return False


def _element_date(el) -> ParsedDate | None:
    for attr in ("datetime", "content", "data-time", "title"):
        value = el.get(attr)
        if value:
            parsed = parse_iso(value) or parse_vn_datetime(value)
            if parsed:
                return parsed
    text = text_of(el)
    if text and len(text) <= 160:
        return parse_vn_datetime(text)
    return None


def _following_date_line(root, title_el, stop_el) -> ParsedDate | None:
    """The first short date line after the headline and before the body starts."""
    started = False
    seen = 0
    for el in root.iter(*_BLOCKS):
        if el is title_el:
            started = True
            continue
        if not started or is_ancestor(title_el, el):
            continue
        if stop_el is not None and (el is stop_el or is_ancestor(stop_el, el)):
            break
        text = text_of(el)
        if not text:
            continue
        seen += 1
        if len(text) <= 160 and is_date_line(text):
            parsed = parse_vn_datetime(text)
            if parsed:
                return parsed
        if seen > 40 or len(text.split()) > 80:
            break
    return None


def _reasonable(parsed: ParsedDate | None, now: datetime) -> ParsedDate | None:
    if parsed is None or parsed.value > now + timedelta(days=2):
        return None
    return parsed


def parse_date_line(line: str) -> ParsedDate | None:
    """The date of a short standalone date line ("Thứ hai, 09/01/2023"), None for anything else."""
    if len(line) <= 160 and is_date_line(line):
        return parse_vn_datetime(line)
    return None


def first_date_line(lines: list[str], now: datetime | None = None) -> ParsedDate | None:
    now = now or datetime.now().astimezone()
    for line in lines:
        parsed = _reasonable(parse_date_line(line), now)
        if parsed:
            return parsed
    return None


def find_published(root, meta: PageMeta, profile: Profile, url: str, *, title_el=None, body_el=None,
                   now: datetime | None = None) -> Published:
    now = now or datetime.now().astimezone()
    result = Published()

    page_date: ParsedDate | None = None
    order = {node: i for i, node in enumerate(root.iter())}
    # the article's own date stands near its headline, before the body ends: dates in the teaser
    # lists below the article (related, newer, older) carry the same classes
    if body_el is not None:
        last = body_el
        for last in body_el.iter():
            pass
        limit = order.get(last, len(order))
    elif title_el is not None:
        limit = order.get(title_el, 0) + 400
    else:
        limit = len(order)
    for css in profile.date:
        for el in select(root, css):
            if order.get(el, 0) > limit:
                continue
            if _in_chrome(el) and not (body_el is not None and is_ancestor(el, body_el)):
                continue
            if title_el is not None and _precedes_title_outside_article(el, title_el, body_el, order):
                continue
            if _teaser_date(el, title_el):
                continue
            page_date = _reasonable(_element_date(el), now)
            if page_date:
                break
        if page_date:
            break
    if page_date is None:
        for el in select(root, "[itemprop=datePublished]"):
            page_date = _reasonable(_element_date(el), now)
            if page_date:
                break
    if page_date is None and title_el is not None:
        page_date = _reasonable(_following_date_line(root, title_el, body_el), now)

    candidates: list[tuple[str, ParsedDate | None]] = [
        ("json-ld", _reasonable(parse_iso(str(meta.jsonld.get("datePublished") or meta.jsonld.get("dateCreated") or "")), now)
         if meta.jsonld else None),
        ("meta", _first_meta(meta, META_PUBLISHED, now)),
        ("page", page_date),
        ("url", _reasonable(date_from_url(url), now)),
    ]
    for source, parsed in candidates:
        if parsed is not None:
            if parsed.precision == "date" and page_date and page_date.precision == "datetime" \
                    and page_date.value.date() == parsed.value.date():
                parsed = page_date
            result.date, result.source = parsed, source
            break

    modified = parse_iso(str(meta.jsonld.get("dateModified") or "")) if meta.jsonld else None
    result.modified = modified or _first_meta(meta, META_MODIFIED, now + timedelta(days=3650))
    return result


def _first_meta(meta: PageMeta, names, now) -> ParsedDate | None:
    for name in names:
        for value in meta.meta.get(name, []):
            parsed = _reasonable(parse_iso(value) or parse_vn_datetime(value), now)
            if parsed:
                return parsed
    return None


def _precedes_title_outside_article(el, title_el, body_el, order: dict) -> bool:
    """A date element before the headline that is not in the article's own block (the header's date)."""
    region = _article_region(title_el, body_el)
    if region is not None and is_ancestor(region, el):
        return False
    return order.get(el, 0) < order.get(title_el, 0)


def _article_region(title_el, body_el):
    if body_el is None:
        return title_el.getparent()
    node = title_el.getparent()
    while node is not None and not is_ancestor(node, body_el):
        node = node.getparent()
    if node is not None and node.tag in ("body", "html"):
        return title_el.getparent()
    return node
