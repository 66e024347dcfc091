"""Headline, lead, tags, category and author elements of an article page."""
from __future__ import annotations

import re

from .bylines import split_names
from .families import Profile
from .html_tree import is_ancestor, select, text_of
from .normalize import normalize_inline
from .page_meta import PageMeta, jsonld_names

_TITLE_SEP = re.compile(r"\s+[|\-–—:»]\s+")
_HOME = re.compile(r"^(trang chủ|trang chu|home|trang nhất)$", re.I)
_LOGO = re.compile(r"logo|brand|site-?name|header", re.I)
_ORG_WORDS = re.compile(r"\b(ban|báo|cổng|trang|sở|ủy ban|uỷ ban|đảng bộ|tỉnh ủy|thành ủy|admin|administrator|"
                        r"quản trị|biên tập viên|editor|tòa soạn)\b|\.vn\b|\.com\b", re.I)


def _clean(text: str) -> str:
    return normalize_inline(text)


def _inside_logo(el) -> bool:
    """In the site's header or navigation (an <article>'s own <header> holds its headline and byline)."""
    ancestors = [el, *el.iterancestors()]
    if any(isinstance(n.tag, str) and n.tag in ("article", "main") for n in ancestors):
        return False
    return any(isinstance(n.tag, str) and (n.tag in ("header", "nav") or _LOGO.search(n.get("class") or "")
                                           or _LOGO.search(n.get("id") or "")) for n in ancestors)


def find_title(root, meta: PageMeta, profile: Profile):
    """(title text, element or None)."""
    for css in profile.title:
        for el in select(root, css):
            text = _clean(text_of(el))
            if 3 <= len(text) <= 400 and not _inside_logo(el):
                return text, el
    machine = [_clean(v) for v in (meta.jsonld.get("headline") if meta.jsonld else None,
                                   meta.first("og:title"), meta.first("twitter:title")) if isinstance(v, str) and v]
    h1s = [el for el in root.iter("h1") if not _inside_logo(el) and 3 <= len(_clean(text_of(el))) <= 400]
    for el in h1s:
        text = _clean(text_of(el))
        if any(m.startswith(text) or text.startswith(m) for m in machine):
            return text, el
    if len(h1s) == 1:
        return _clean(text_of(h1s[0])), h1s[0]
    if machine:
        return _strip_site_suffix(machine[0], root), _element_with_text(root, machine[0])
    title_el = root.find(".//title")
    if title_el is not None and _clean(text_of(title_el)):
        text = _strip_site_suffix(_clean(text_of(title_el)), root)
        return text, _element_with_text(root, text)
    return None, None


def _strip_site_suffix(title: str, root) -> str:
    parts = _TITLE_SEP.split(title)
    if len(parts) > 1:
        # the headline is the longest part; the rest is the site name
        return max(parts, key=len).strip()
    return title


def _element_with_text(root, text: str):
    """The heading element that shows this headline, if the page prints it."""
    for el in root.iter("h1", "h2", "h3"):
        if _clean(text_of(el)) == text and not _inside_logo(el):
            return el
    return None


def find_lead(root, profile: Profile, title_el=None, body_el=None):
    """The sapo: a lead element printed between the headline and the body (a `.sapo` elsewhere on the
    page belongs to a teaser of another article)."""
    order = None
    for css in profile.lead:
        for el in select(root, css):
            text = _clean(text_of(el))
            if len(text.split()) < 5:
                continue
            if title_el is not None or body_el is not None:
                order = order or {node: i for i, node in enumerate(root.iter())}
                pos = order.get(el, -1)
                if title_el is not None and pos < order.get(title_el, -1):
                    continue
                if body_el is not None and not is_ancestor(body_el, el) and pos > order.get(body_el, 1 << 30):
                    continue
            return text, el
    return None, None


def find_tags(root, meta: PageMeta, profile: Profile) -> list[str]:
    tags: list[str] = []
    for css in profile.tags:
        for el in select(root, css):
            text = _clean(text_of(el)).lstrip("#").strip()
            if text and len(text) <= 80 and text not in tags and not re.match(r"^(từ khóa|từ khoá|tags?)\s*:?$", text, re.I):
                tags.append(text)
        if tags:
            return tags
    for value in meta.all("article:tag"):
        for tag in value.split(","):
            tag = _clean(tag)
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def find_category(root, meta: PageMeta, profile: Profile, title: str | None) -> str | None:
    for css in profile.breadcrumb:
        items = [_clean(text_of(a)) for a in select(root, css)]
        items = [i for i in items if i and not _HOME.match(i) and i != title and len(i) <= 80]
        if items:
            return items[-1]
    section = meta.first("article:section")
    if section:
        return _clean(section)
    if meta.jsonld:
        value = meta.jsonld.get("articleSection")
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.strip():
            return _clean(value)
    return None


def find_author_elements(root, meta: PageMeta, profile: Profile, residue_rules: dict) -> tuple[list[str], list]:
    """Authors from an author element, else JSON-LD Person names, else meta author."""
    for css in profile.author:
        for el in select(root, css):
            if _inside_logo(el):
                continue
            names = split_names(_clean(text_of(el)), residue_rules)
            if names:
                return names, [el]
    if meta.jsonld:
        names = []
        for name in jsonld_names(meta.jsonld.get("author")):
            names.extend(split_names(_clean(name), residue_rules))
        names = [n for n in names if not _ORG_WORDS.search(n)]
        if names:
            return names, []
    for value in meta.all("author", "article:author", "dc.creator"):
        if value.startswith("http"):
            continue
        names = [n for n in split_names(_clean(value), residue_rules) if not _ORG_WORDS.search(n)]
        if names:
            return names, []
    return [], []
