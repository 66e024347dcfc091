"""The links of a page, as `LinkExtractor(unique=True, deny_extensions=[]).extract_links(response)` finds them
(the same URLs in the same order), for about half its cost on the crawler's reactor thread: the spider needs
the URLs only, not each link's text (an XPath `string()` per link), its rel=nofollow, nor the same list
de-duplicated three times and parsed once more for domain and extension filters it does not set.
tests/test_links.py compares the two on every fixture page.
"""
from __future__ import annotations

from urllib.parse import urljoin

from scrapy.http import TextResponse
from scrapy.linkextractors import _is_valid_url
from scrapy.utils.response import get_base_url
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string


def page_links(response: TextResponse) -> list[str]:
    base_url = get_base_url(response)
    page_url, encoding = response.url, response.encoding
    out: dict[str, None] = {}
    # lxml's HTML parser gives plain lower-case tag and attribute names (no XHTML namespace)
    for el in response.selector.root.iter("a", "area"):
        value = el.get("href")
        if value is None:
            continue
        try:
            url = safe_url_string(urljoin(base_url, strip_html5_whitespace(value)), encoding=encoding)
        except ValueError:
            continue            # a bogus link, skipped as LinkExtractor skips it
        out.setdefault(urljoin(page_url, url))
    return [url for url in out if _is_valid_url(url)]
