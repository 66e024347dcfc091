"""crawler.links.page_links finds the same URLs, in the same order, as Scrapy's LinkExtractor as the spider
configured it before (unique, no extension filter)."""
from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from crawler.links import page_links

TESTS = Path(__file__).parent
PAGES = sorted(p for p in TESTS.rglob("*.html"))


def _reference(response) -> list[str]:
    return [link.url for link in LinkExtractor(unique=True, deny_extensions=[]).extract_links(response)]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(TESTS)))
def test_same_links_as_link_extractor_on_every_test_page(path):
    response = HtmlResponse(url="https://www.example.gov.vn/tin-tuc/chinh-tri/bai-viet-1.html?id=3#top",
                            body=path.read_bytes())
    assert page_links(response) == _reference(response)


EDGES = """<html><head><base href="/goc/"></head><body>
<a href=" tin-tuc/a.html ">a</a> <a href="tin-tuc/a.html">again</a> <A HREF="/B.html">b</A>
<a href="javascript:void(0)">js</a> <a href="mailto:x@example.vn">mail</a> <a href="tel:123">tel</a>
<a href="http://[::1">bogus</a> <a href="//cdn.example.vn/x.pdf">pdf</a> <a>none</a> <a href="">empty</a>
<a href="#top">fragment</a> <a href="../len/../xuong.html?b=2&a=1">dots</a> <a href="tin tức/bài viết.html">vi</a>
<area href="/ban-do.html"> <link href="/style.css"> <a href="ftp://files.example.vn/x">ftp</a>
<a href="https://other.example.vn/path?q=Đảng">other</a> <a rel="nofollow" href="/nf.html">nf</a>
</body></html>"""


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258", "latin-1"])
def test_same_links_on_edge_cases(encoding):
    body = EDGES.encode(encoding, errors="xmlcharrefreplace")
    response = HtmlResponse(url="http://www.example.vn/muc/trang.html", body=body, encoding=encoding)
    assert page_links(response) == _reference(response)
    assert page_links(response)


MEMO = """<html><head>{base}</head><body><a href="/tin-tuc/a.html">a</a> <a href="/../x/./y.html?q=1#f">dots</a>
<a href="http://www.example.vn/b.html">http</a> <a href="https://www.example.vn/c.html">https</a>
<a href="/%7Ephan tích/đảng.html">quoted</a> <a href="HTTP://UPPER.example.vn/D.html">upper</a></body></html>"""


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258"])
def test_links_remembered_across_pages_resolve_as_on_each_page(encoding):
    """Absolute-path and absolute links are remembered per origin: the same hrefs on pages of other hosts,
    schemes, ports and <base> elements, met in turn, still give LinkExtractor's URLs for each page."""
    pages = [("http://www.example.vn/muc/trang.html", ""), ("https://www.example.vn/khac/trang-2.html?p=3", ""),
             ("http://tinh.example.vn:8080/a/b/c.html", ""), ("http://www.example.vn/muc/trang.html",
                                                               '<base href="https://cdn.example.vn/goc/">'),
             ("https://www.example.vn/khac/trang-2.html", '<base href="http://www.example.vn/">')]
    for _ in range(2):
        for url, base in pages:
            body = MEMO.format(base=base).encode(encoding, errors="xmlcharrefreplace")
            response = HtmlResponse(url=url, body=body, encoding=encoding)
            assert page_links(response) == _reference(response), (url, base)
