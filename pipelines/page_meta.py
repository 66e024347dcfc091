"""Machine-readable metadata in the page head: JSON-LD, meta tags, the canonical link."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

_ARTICLE_TYPES = {"newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
                  "webpage", "report", "opinionnewsarticle", "backgroundnewsarticle"}
_STRONG_ARTICLE_TYPES = _ARTICLE_TYPES - {"webpage"}
_TRAILING_COMMAS = re.compile(r",\s*([}\]])")


@dataclass
class PageMeta:
    jsonld: dict = field(default_factory=dict)       # the article object of JSON-LD, if any
    jsonld_is_article: bool = False
    meta: dict[str, list[str]] = field(default_factory=dict)   # lower-cased name/property -> values
    canonical: str | None = None
    og_type: str | None = None
    html_lang: str | None = None

    def first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, []):
                if value and value.strip():
                    return value.strip()
        return None

    def all(self, *names: str) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(v.strip() for v in self.meta.get(name, []) if v and v.strip())
        return out


def _walk_jsonld(node, found: list[dict], depth: int = 0) -> None:
    if depth > 20:          # hostile nesting; real graphs are two or three levels deep
        return
    if isinstance(node, list):
        for item in node:
            _walk_jsonld(item, found, depth + 1)
    elif isinstance(node, dict):
        types = node.get("@type")
        types = [types] if isinstance(types, str) else (types if isinstance(types, list) else [])
        if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types):
            found.append(node)
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in node:
                _walk_jsonld(node[key], found, depth + 1)


def _load_json(raw: str):
    raw = raw.strip().strip(";")
    for attempt in (raw, _TRAILING_COMMAS.sub(r"\1", raw)):
        try:
            return json.loads(attempt)
        except (ValueError, RecursionError):     # RecursionError: hostile nesting ([[[[...)
            continue
    return None


def read_page_meta(root, url: str) -> PageMeta:
    meta = PageMeta()
    found: list[dict] = []
    for script in root.iter("script"):
        if (script.get("type") or "").lower().strip() == "application/ld+json" and script.text:
            data = _load_json(script.text)
            if data is not None:
                _walk_jsonld(data, found)
    if found:
        # prefer a real article type over WebPage
        found.sort(key=lambda n: 0 if _types(n) & _STRONG_ARTICLE_TYPES else 1)
        meta.jsonld = found[0]
        meta.jsonld_is_article = bool(_types(found[0]) & _STRONG_ARTICLE_TYPES)
    for tag in root.iter("meta"):
        name = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip().lower()
        content = tag.get("content")
        if name and content is not None:
            meta.meta.setdefault(name, []).append(content)
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            meta.canonical = urljoin(url, link.get("href").strip())
            break
    meta.og_type = (meta.first("og:type") or "").lower() or None
    meta.html_lang = (root.get("lang") or root.get("xml:lang") or "").strip().lower() or None
    return meta


def own_address(root) -> str | None:
    """The http(s) address a saved page gives for itself (canonical link, then og:url), or None: a page
    saved to a file keeps it, and a record needs a web address, not the file's."""
    meta = read_page_meta(root, "")
    for candidate in (meta.canonical, meta.first("og:url")):
        if candidate and candidate.strip().lower().startswith(("http://", "https://")):
            return candidate.strip()
    return None


def _types(node: dict) -> set[str]:
    types = node.get("@type")
    types = [types] if isinstance(types, str) else (types or [])
    return {t.lower() for t in types if isinstance(t, str)}


def jsonld_names(value) -> list[str]:
    """Names out of a JSON-LD author/publisher value (string, object or list of either)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(jsonld_names(item))
        return out
    return []
