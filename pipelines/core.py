"""The cleaning core: one fetched page in, one clean record (or a drop with its reason) out.

Plain functions over (html bytes, url, response headers, site), usable without Scrapy: the item pipelines,
`partynews extract`, re-processing, the benchmarks and the tests all call `clean_page`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from . import article, body as body_mod, classify, quality, residue
from .bylines import parse_byline
from .decode import DecodeError, decode_html, header
from .families import KINDS, detect_family, profile_with_overrides
from .html_tree import ParseError, index_page, is_ancestor, parse_html, release_page_index, select, text_of
from .language import detect_language
from .legacy_fonts import fix_legacy_html
from .normalize import comparison_key, fold_tone_placement, join_paragraphs, normalize_inline
from .page_meta import read_page_meta
from .published import find_published, first_date_line, parse_date_line
from .site import SiteInfo
from .urls import strip_tracking

_HTML_TYPES = re.compile(r"html|xml|text/plain|^\s*$", re.I)
_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"Rar!", b"ID3", b"\x00\x00\x01\x00",
          b"OggS", b"RIFF", b"\xd0\xcf\x11\xe0")
_SENT_END = re.compile(r"[.!?…]$")
# characters lxml refuses in a text node it is given (C0 controls but tab/newline/CR, surrogates, U+FFFE/FFFF):
# a page may carry them, and the tree edits that move text (drop_tree joins tails) would raise on them
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class CleanOptions:
    apply_filters: bool = True           # drop non-articles, non-Vietnamese and too-short pages
    min_words: int = 60                  # fewer words in `text` than this: too_short
    fold_tone_marks: bool = False        # store text with one tone-placement convention (default: the source's)
    language: str = "vi"                 # the language the corpus keeps
    now: datetime | None = None          # "now" for rejecting future dates (tests pin it)


@dataclass
class CleanResult:
    record: dict | None
    drop_reason: str | None = None
    detail: str | None = None
    fields: dict = field(default_factory=dict)   # what was extracted, also for dropped pages
    removed: list = field(default_factory=list)  # (kind, paragraph) the residue pass took out

    @property
    def ok(self) -> bool:
        return self.record is not None


def _drop(reason: str, detail: str = "", fields: dict | None = None, removed=None) -> CleanResult:
    return CleanResult(record=None, drop_reason=reason, detail=detail, fields=fields or {}, removed=removed or [])


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dedup_key(text: str) -> str:
    """Hash of the comparison key: identical for texts that differ only in spaces, case or tone placement."""
    return hashlib.sha256(comparison_key(text).encode("utf-8")).hexdigest()


def canonical_url(url: str, canonical: str | None) -> str:
    """The page's canonical link when it stays on the same site, else the fetched URL; no fragment."""
    chosen = url
    if canonical:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        chost = (urlsplit(canonical).hostname or "").removeprefix("www.")
        if chost and chost == host and urlsplit(canonical).scheme in ("http", "https"):
            chosen = canonical
    return safe_url_string(strip_tracking(chosen))


def _looks_binary(body: bytes, content_type: str | None) -> bool:
    if content_type and not _HTML_TYPES.search(content_type.split(";")[0]):
        return True
    return body[:8].startswith(_MAGIC)


def clean_page(body: bytes, url: str, headers: Mapping[str, str] | None = None, site: SiteInfo | dict | None = None,
               options: CleanOptions | None = None) -> CleanResult:
    options = options or CleanOptions()
    if isinstance(site, Mapping):
        site = SiteInfo.from_mapping(site)
    content_type = header(headers, "content-type")
    if _looks_binary(body, content_type):
        return _drop("not_html", f"content-type {content_type or 'sniffed binary'}")
    try:
        html_text, codec = decode_html(body, headers)
    except DecodeError as exc:
        return _drop("undecodable", str(exc))
    html_text, legacy = fix_legacy_html(html_text)
    html_text = _XML_INCOMPATIBLE.sub("", html_text)
    try:
        root = parse_html(html_text)
    except ParseError as exc:
        return _drop("unparseable", str(exc))
    try:
        return _clean_tree(root, html_text, url, site, options, codec, legacy)
    finally:
        release_page_index()


def _clean_tree(root, html_text: str, url: str, site: SiteInfo | None, options: CleanOptions, codec: str,
                legacy: str | None) -> CleanResult:
    meta = read_page_meta(root, url)
    family = (site.family if site and site.family else None) or detect_family(html_text)
    profile = profile_with_overrides(family, site.rules if site else None)
    index_page(root, [css for kind in KINDS for css in getattr(profile, kind)])   # makes `select` cheap on this page
    page_body = root.find("body")
    page_words = len(text_of(page_body).split()) if page_body is not None else 0
    title_tag = root.find(".//title")
    title_tag_text = text_of(title_tag) if title_tag is not None else None

    if options.apply_filters and classify.is_challenge(root, page_words):
        return _drop("bot_challenge", title_tag_text or "")

    headings = [text_of(h) for h in root.iter("h1", "h2", "h3")]
    title, title_el = article.find_title(root, meta, profile)
    container = _body_container(root, profile)
    lead, lead_el = article.find_lead(root, profile, title_el, container)
    if lead_el is not None and container is not None and is_ancestor(lead_el, container):
        lead, lead_el = None, None      # a "lead" that holds the whole body is not a lead
    tags = article.find_tags(root, meta, profile)
    category = article.find_category(root, meta, profile, title)
    element_authors, author_els = article.find_author_elements(root, meta, profile, residue.rules())

    # metadata is read from the whole page; from here on the tree is cut down to the body
    for el in [title_el, lead_el, *author_els]:
        if el is not None and container is not None and is_ancestor(container, el) and el is not container:
            el.drop_tree()

    published = find_published(root, meta, profile, url, title_el=title_el, body_el=container, now=options.now)
    if container is not None:
        _prune(container, profile, keep=None)
        extracted = body_mod.container_body(container, profile, url)
    else:
        _prune(root, profile, keep=None)
        extracted = body_mod.trafilatura_body(root, profile, url)
    paragraphs = extracted.paragraphs
    if published.date is None or published.source == "url":
        # a date line that only the extracted body shows (no date element on the page)
        line_date = first_date_line(paragraphs[:4], now=options.now)
        if line_date is not None:
            published.date, published.source = line_date, "page"

    paragraphs, line_authors = _strip_head(paragraphs, title, category, lead)
    lead, paragraphs = _dedupe_lead(lead, paragraphs)
    cleaned = residue.remove_residue(paragraphs)
    paragraphs = [p for p in cleaned.paragraphs if normalize_inline(p) != title and not _date_line(p)]
    if options.fold_tone_marks:
        paragraphs = [fold_tone_placement(p) for p in paragraphs]
    text = join_paragraphs(paragraphs)

    authors = _unique(cleaned.bylines or element_authors or line_authors)
    if not tags:
        tags = cleaned.tags
    fields = {
        "canonical_url": canonical_url(url, meta.canonical),
        "title": title,
        "lead": lead,
        "text": text,
        "published_at": published.date.isoformat() if published.date else None,
        "published_precision": published.date.precision if published.date else None,
        "date_source": published.source,
        "modified_at": published.modified.isoformat() if published.modified else None,
        "authors": authors,
        "category": category,
        "tags": tags,
        "images": extracted.images,
        "language": None,
        "word_count": len(text.split()),
        "content_hash": content_hash(text),
        "dedup_key": dedup_key(text),
        "charset": codec,
        "legacy_encoding": legacy,
        "family": family,
        "extraction_mode": extracted.mode,
    }
    lang, _ = detect_language((title or "") + "\n" + text)
    fields["language"] = lang

    if options.apply_filters:
        if classify.is_error_page(title_tag_text, title, fields["word_count"], headings):
            return _drop("error_page", title or title_tag_text or "", fields, cleaned.removed)
        reason = _not_article(root, url, meta, container, extracted, published, options.min_words)
        if reason:
            return _drop("not_article", reason, fields, cleaned.removed)
        if not title:
            return _drop("no_title", "", fields, cleaned.removed)
        if fields["word_count"] < max(options.min_words, 1):     # no text is never a record, whatever min_words
            return _drop("too_short", f"{fields['word_count']} words", fields, cleaned.removed)
        if lang != options.language:
            return _drop("not_vietnamese", f"language {lang}", fields, cleaned.removed)
        poor = quality.check(text)
        if poor is not None:
            return _drop(poor.reason, poor.detail, fields, cleaned.removed)
    return CleanResult(record=fields, fields=fields, removed=cleaned.removed)


def _body_container(root, profile):
    for css in profile.body:
        for el in select(root, css):
            words = len(text_of(el).split())
            if words >= body_mod.MIN_CONTAINER_WORDS:
                return el
    return None


def _prune(root, profile, keep) -> None:
    """Remove chrome by the family's prune selectors, never an element holding what we keep, nor one that
    wraps most of the page (ASP.NET puts the whole page in a <form>, some themes in a <header>-classed div)."""
    doomed = []
    for css in profile.prune:
        doomed.extend(select(root, css))
    total = len(text_of(root)) or 1
    for el in doomed:
        if el is root or el.getparent() is None:
            continue
        if keep is not None and is_ancestor(el, keep):
            continue
        if len(text_of(el)) > 0.5 * total:
            continue
        el.drop_tree()


def _date_line(paragraph: str) -> bool:
    return parse_date_line(paragraph) is not None


def _strip_head(paragraphs: list[str], title: str | None, category: str | None, lead: str | None):
    """Headline, breadcrumb, date lines and "Name dd/mm/yyyy - hh:mm" lines at the top of the body."""
    authors: list[str] = []
    out = list(paragraphs)
    while out:
        first = out[0]
        if first == title or (category and first == category) or residue.chrome_kind(first) == "empty":
            out.pop(0)
            continue
        if _date_line(first):
            names = _names_before_date(first)
            authors.extend(names)
            out.pop(0)
            continue
        break
    if out:
        out[0] = residue.strip_site_prefix(out[0])
        if not out[0]:
            out.pop(0)
    return out, authors


def _names_before_date(line: str) -> list[str]:
    match = re.match(r"^(?P<who>[^\d|]{2,60}?)\s+\d", line)
    if not match:
        return []
    who = match.group("who").strip(" -|,")
    if re.search(r"(thứ|chủ nhật|ngày|cập nhật|đăng|lúc|print|gửi)", who, re.I):
        return []
    return parse_byline(who, residue.rules())


def _dedupe_lead(lead: str | None, paragraphs: list[str]):
    """The sapo belongs in `lead` once: drop its copy at the top of the body."""
    if not paragraphs:
        return lead, paragraphs
    first = paragraphs[0]
    if lead:
        key_lead, key_first = comparison_key(lead), comparison_key(first)
        if key_first == key_lead:
            return lead, paragraphs[1:]
        if key_first.startswith(key_lead) and len(first) > len(lead):
            rest = first[len(lead):].strip()
            return lead, ([rest] if rest else []) + paragraphs[1:]
        return lead, paragraphs
    # no sapo element: a first paragraph printed twice is a lead and its copy
    if len(paragraphs) > 1:
        second = paragraphs[1]
        if comparison_key(first) == comparison_key(second):
            return first, paragraphs[2:]
    return lead, paragraphs


def _not_article(root, url, meta, container, extracted, published, min_words: int) -> str | None:
    strong = meta.jsonld_is_article or meta.og_type == "article"
    if classify.listing_url(url) and not strong:
        return "listing url"
    if extracted.words and extracted.link_words / extracted.words > 0.5:
        return "mostly links"
    paragraphs = extracted.paragraphs
    headlines, own_words = classify.headline_share(paragraphs, classify.link_titles(root, url))
    if headlines >= 3 and headlines >= 0.3 * len(paragraphs) and not (strong and own_words >= 150):
        return f"{headlines} of {len(paragraphs)} paragraphs are headlines of other pages"
    if headlines >= 3 and own_words < min_words and not strong:
        return f"{headlines} headlines of other pages and {own_words} words of its own"
    if not strong and container is None and published.date is None:
        teasers = classify.teaser_count(root)
        short = sum(1 for p in paragraphs if len(p.split()) < 25 and not _SENT_END.search(p))
        if teasers >= 15 and short >= len(paragraphs) / 2:
            return f"{teasers} teaser links, no date, no article body"
    if not strong and published.date is None and classify.undated_static_path(url):
        return "no date and no article id or date in the URL"
    return None


def _unique(names: list[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen
