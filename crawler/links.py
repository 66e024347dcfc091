"""The links of a page, as `LinkExtractor(unique=True, deny_extensions=[]).extract_links(response)` finds them
(the same URLs in the same order), for about half its cost on the crawler's reactor thread: the spider needs
the URLs only, not each link's text (an XPath `string()` per link), its rel=nofollow, nor the same list
de-duplicated three times and parsed once more for domain and extension filters it does not set.
tests/test_links.py compares the two on every fixture page.
"""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse
from scrapy.linkextractors import _is_valid_url
from scrapy.utils.response import get_base_url
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string

_ABSOLUTE = ("http://", "https://")


def _resolve(value: str, base_url: str, page_url: str, encoding: str) -> str | None:
    """The link's URL as LinkExtractor makes it, or None for a bogus one (skipped as LinkExtractor skips it)."""
    try:
        url = safe_url_string(urljoin(base_url, strip_html5_whitespace(value)), encoding=encoding)
    except ValueError:
        return None
    url = urljoin(page_url, url)
    return url if _is_valid_url(url) else None


@lru_cache(maxsize=20_000)
def _resolve_memo(value: str, base_origin: str, page_origin: str, encoding: str) -> str | None:
    return _resolve(value, base_origin, page_origin, encoding)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def page_links(response: TextResponse) -> list[str]:
    base_url = get_base_url(response)
    page_url, encoding = response.url, response.encoding
    base_origin = page_origin = None
    out: dict[str, None] = {}
    # lxml's HTML parser gives plain lower-case tag and attribute names (no XHTML namespace)
    for el in response.selector.root.iter("a", "area"):
        value = el.get("href")
        if value is None:
            continue
        # A link to an absolute path (/a/b) or an absolute http(s) URL resolves the same against any page of the
        # same origin (RFC 3986 5.2.2: the base's path and query are not used), so its URL is remembered across
        # pages: most links of a page are the site's navigation and related articles, the same on every page.
        if (value[:1] == "/" and value[1:2] != "/") or value.startswith(_ABSOLUTE):
            if base_origin is None:
                base_origin, page_origin = _origin(base_url), _origin(page_url)
            url = _resolve_memo(value, base_origin, page_origin, encoding)
        else:
            url = _resolve(value, base_url, page_url, encoding)
        if url is not None:
            out.setdefault(url)
    return list(out)
