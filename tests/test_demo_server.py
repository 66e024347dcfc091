"""crawler.demo.server: site packs served as live local web sites (listings, feeds, sitemaps, robots.txt).

Every pack here is written into tmp_path by the test itself; nothing depends on tests/gold or the demo sites.
"""
from __future__ import annotations

import email.utils
import json
import math
import re
import signal
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
import yaml

from crawler.demo import DEMO_SITES
from crawler.demo.server import FAMILIES, ServedSite, find_packs, serve_packs

RSS_NS = {"atom": "http://www.w3.org/2005/Atom"}
SM_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}

# Where each family's generated listing puts its teaser title links (the test reads listings like a crawler).
TEASER_XPATH = {
    "nukeviet": "//div[contains(@class,'news_column')]//h3/a",
    "wordpress": "//h2[contains(@class,'entry-title')]/a",
    "liferay": "//h3[contains(@class,'asset-title')]/a",
    "aspnet": "//a[contains(@class,'title_news_list')]",
    "generic": "//h3[contains(@class,'story__title')]/a",
}
NEXT_XPATH = "//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
# Page 2 of the all-news listing and of a category listing, per family.
PAGE2_SHAPE = {
    "nukeviet": (r"^/news/page-2$", r"^/news/[a-z0-9-]+/page-2$"),
    "wordpress": (r"^/page/2/$", r"^/archives/category/[a-z0-9-]+/page/2/$"),
    "liferay": (r"^/tin-moi-nhat\?page=2$", r"^/[a-z0-9-]+\?page=2$"),
    "aspnet": (r"^/Tin-moi-nhat\.aspx\?page=2$", r"^/[A-Z][A-Za-z0-9-]*\.aspx\?page=2$"),
    "generic": (r"^/tim-kiem/p2$", r"^/[a-z0-9-]+\?page=2$"),
}
FAMILY_MARK = {
    "nukeviet": 'name="generator" content="NukeViet',
    "wordpress": 'name="generator" content="WordPress',
    "liferay": "Liferay.ThemeDisplay",
    "aspnet": "__VIEWSTATE",
    "generic": 'class="header__logo',
}


# ------------------------------------------------------------------------------------------------- HTTP helpers

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) without following redirects and without raising on 4xx/5xx."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def get_ok(url: str) -> bytes:
    status, _, body = fetch(url)
    assert status == 200, (url, status)
    return body


def get_doc(url: str):
    """The page parsed as a crawler would: decoded with the charset of its Content-Type (the generated pages are
    UTF-8; Liferay's `<meta content=... http-equiv>` order is not one libxml2 sniffs)."""
    status, headers, body = fetch(url)
    assert status == 200, (url, status)
    charset = headers.get_content_charset() or "utf-8"
    return lxml.html.fromstring(body.decode(charset))


# ------------------------------------------------------------------------------------------------- pack writing

def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes as Vietnamese sites wrote them: base letters precomposed, tone marks combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append((base + "".join(c for c in parts if c in tones)).encode("cp1258"))
    return b"".join(out)


def write_pack(root: Path, config: dict, pages: list[dict]) -> Path:
    """pages: {"name", "url", "html" (str or bytes), "expected", "headers"?}."""
    pack = root / config["key"]
    (pack / "pages").mkdir(parents=True)
    (pack / "site.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    for page in pages:
        body = page["html"] if isinstance(page["html"], bytes) else page["html"].encode("utf-8")
        (pack / "pages" / f"{page['name']}.html").write_bytes(body)
        case = {"url": page["url"], "headers": page.get("headers") or {"Content-Type": "text/html; charset=utf-8"},
                "notes": "test page", "expected": page["expected"]}
        (pack / "pages" / f"{page['name']}.json").write_text(json.dumps(case, ensure_ascii=False, indent=1),
                                                             encoding="utf-8")
    return pack


NV_ORIGIN = "https://demo.dcs.vn"
NV_TITLES = [
    ("Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 15", "tin-tuc", "Tin tức", "2024-05-10T08:30:00+07:00"),
    ("Tỉnh ủy tổng kết công tác xây dựng Đảng năm 2023", "xay-dung-dang", "Xây dựng Đảng", "2024-01-05T15:00:00+07:00"),
    ("Học tập, quán triệt Nghị quyết Hội nghị Trung ương 8", "xay-dung-dang", "Xây dựng Đảng", "2023-12-20T09:10:00+07:00"),
    ("Kết nạp đảng viên mới trong doanh nghiệp tư nhân", "xay-dung-dang", "Xây dựng Đảng", "2023-11-02T00:00:00+07:00"),
    ("Đại hội Chi bộ điểm nhiệm kỳ 2025-2030", "tin-tuc", "Tin tức", "2025-03-18T07:45:00+07:00"),
    ("Gặp mặt cán bộ lão thành cách mạng nhân dịp Xuân mới", "tin-tuc", "Tin tức", "2024-02-01T10:00:00+07:00"),
    ("Ban Tuyên giáo Tỉnh ủy triển khai nhiệm vụ năm 2024", "tin-tuc", "Tin tức", None),
    ("Hội nghị học tập, quán triệt Nghị quyết Đại hội XII của Đảng", "tin-tuc", "Tin tức", "2016-03-15T04:35:00+07:00"),
]


def nv_article(title: str, cat: str, cat_name: str, url: str, date_line: str, charset: str = "utf-8") -> str:
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<title>{title} - Cổng thông tin điện tử Đảng bộ tỉnh Demo</title>
<meta name="generator" content="NukeViet v4.4">
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta property="og:url" content="{url}">
<link rel="canonical" href="{url}">
<link rel="alternate" href="/news/rss/" title="Tin tức" type="application/rss+xml">
<script type="application/ld+json">{{"@context":"https:\\/\\/schema.org","@type":"NewsArticle","url":"{url.replace('/', chr(92) + '/')}","publisher":{{"logo":"https:\\/\\/www.demo.dcs.vn\\/uploads\\/logo.png"}}}}</script>
</head>
<body>
<header><a href="{NV_ORIGIN}/"><img src="//demo.dcs.vn/uploads/logo.png" alt="logo"></a>
<span class="current-time">Thứ hai, 26/02/2024</span></header>
<nav><ul><li><a href="http://www.demo.dcs.vn/news/{cat}/">{cat_name}</a></li>
<li><a href="https://demo.dcs.vn.example.org/">Trang khác</a></li><li><a href="https://media.demo.dcs.vn/video/">Video</a></li></ul></nav>
<div class="news_column">
<h1 class="title">{title}</h1>
<span class="h5">{date_line}</span>
<div id="news-bodyhtml" class="bodytext">
<p>Chiều nay, đồng chí Bí thư Tỉnh ủy chủ trì hội nghị với sự tham dự của các đồng chí trong Ban Thường vụ.</p>
<p><img src="https://demo.dcs.vn/uploads/news/2024_01/anh.jpg" alt="">Quang cảnh hội nghị.</p>
<p>Liên hệ: <a href="mailto:banbientap@demo.dcs.vn">banbientap@demo.dcs.vn</a></p>
</div>
</div>
<footer>© demo.dcs.vn – <a href="HTTPS://DEMO.DCS.VN:443/lien-he">Liên hệ</a></footer>
</body>
</html>
"""


def nv_pack(root: Path) -> Path:
    pages = []
    for i, (title, cat, cat_name, published) in enumerate(NV_TITLES):
        url = f"{NV_ORIGIN}/news/{cat}/bai-viet-so-{i}-{1000 + i}.html"
        date_line = datetime.fromisoformat(published).strftime("%H:%M %d/%m/%Y") if published else ""
        cp1258 = i == 7
        html = nv_article(title, cat, cat_name, url, date_line, "windows-1258" if cp1258 else "utf-8")
        pages.append({
            "name": f"article-{i}", "url": url,
            "html": to_cp1258(html) if cp1258 else html,
            "headers": {"Content-Type": "text/html; charset=windows-1258" if cp1258 else "text/html; charset=utf-8",
                        "X-Cache": "HIT"},
            "expected": {"title": title, "lead": None if i % 2 else f"Tóm tắt của bài {i}: {title}.",
                         "text": f"Đoạn thứ nhất của bài {i} nói về {title.lower()}.\n\nĐoạn thứ hai.",
                         "published_at": published, "published_precision": "datetime" if published else None,
                         "modified_at": None, "authors": [], "category": cat_name, "tags": [],
                         "images": [{"url": f"{NV_ORIGIN}/uploads/news/2024_01/anh.jpg", "caption": "Quang cảnh hội nghị."}],
                         "canonical_url": url},
        })
    pages.append({"name": "contact", "url": f"{NV_ORIGIN}/contact/",
                  "html": f'<html><head><title>Liên hệ</title></head><body><h1>Liên hệ</h1>'
                          f'<a href="{NV_ORIGIN}/">Trang chủ</a></body></html>',
                  "expected": {"drop_reason": "not_article"}})
    return write_pack(root, {"key": "demo-dcs", "name": "Cổng thông tin điện tử Đảng bộ tỉnh Demo",
                             "province": "Ninh Bình", "level": "province", "family": "nukeviet",
                             "base_url": NV_ORIGIN + "/", "page_size": 3}, pages)


WP_ORIGIN = "https://www.demo-kkt.gov.vn"


def wp_pack(root: Path) -> Path:
    pages = []
    for i, (title, published) in enumerate([("Ban Quản lý Khu kinh tế tổng kết năm 2023", "2024-01-12T09:00:00+07:00"),
                                            ("Đảng ủy Khu kinh tế ra mắt Chi bộ mới", "2024-03-02T14:20:00+07:00"),
                                            ("Thu hút đầu tư vào các khu công nghiệp quý I", "2024-04-01T08:00:00+07:00")]):
        url = f"{WP_ORIGIN}/bai-viet-khu-kinh-te-{i}/"
        html = (f'<!doctype html><html lang="vi"><head><meta charset="UTF-8"><title>{title} - KKT</title>'
                f'<meta name="generator" content="WordPress 6.4.3"><link rel="canonical" href="{url}">'
                f'<link rel="alternate" type="application/rss+xml" href="https://demo-kkt.gov.vn/feed/"></head>'
                f'<body><h1 class="entry-title">{title}</h1><div class="entry-content"><p>Nội dung bài {i}.</p>'
                f'<img src="{WP_ORIGIN}/wp-content/uploads/2024/01/a.jpg"></div></body></html>')
        pages.append({"name": f"post-{i}", "url": url, "html": html,
                      "expected": {"title": title, "lead": None, "text": f"Nội dung bài {i}.", "published_at": published,
                                   "published_precision": "datetime", "category": "Tin tức - Sự kiện"}})
    return write_pack(root, {"key": "demo-kkt", "name": "Ban Quản lý Khu kinh tế Demo", "province": "Hải Phòng",
                             "level": "agency", "family": "wordpress", "base_url": WP_ORIGIN + "/"}, pages)


FAMILY_URL = {
    "nukeviet": lambda i, cat: f"/news/{cat}/tin-bai-so-{i}-{200 + i}.html",
    "wordpress": lambda i, cat: f"/tin-bai-so-{i}/",
    "liferay": lambda i, cat: f"/w/tin-bai-so-{i}",
    "aspnet": lambda i, cat: f"/Tin-tuc/Tin-bai-so-{i}-{200 + i}.html",
    "generic": lambda i, cat: f"/tin-bai-so-{i}-d{200 + i}.html",
}


def family_pack(root: Path, family: str, n: int = 7, page_size: int = 3) -> Path:
    origin = f"https://{family}.example.vn"
    cats = [("Thời sự", "thoi-su"), ("Chính trị", "chinh-tri")]
    pages = []
    for i in range(n):
        cat_name, cat = cats[i % 2]
        url = origin + FAMILY_URL[family](i, cat)
        published = None if i == 3 else f"2024-{1 + i:02d}-{10 + i}T0{i}:15:00+07:00"
        pages.append({"name": f"a{i}", "url": url,
                      "html": f'<html><head><meta charset="utf-8"><link rel="canonical" href="{url}"></head>'
                              f'<body><h1>Tin bài số {i}</h1><p>Nội dung.</p><a href="{origin}/">Trang chủ</a></body></html>',
                      "expected": {"title": f"Tin bài số {i} về công tác xây dựng Đảng", "lead": f"Tóm tắt bài {i}.",
                                   "text": "Nội dung.", "published_at": published,
                                   "published_precision": "datetime" if published else None, "category": cat_name}})
    pages.append({"name": "gioi-thieu", "url": origin + "/gioi-thieu",
                  "html": "<html><body><h1>Giới thiệu</h1></body></html>", "expected": {"drop_reason": "not_article"}})
    return write_pack(root, {"key": f"demo-{family}", "name": f"Trang tin {family}", "province": "Hà Nội",
                             "level": "province", "family": family, "base_url": origin + "/",
                             "page_size": page_size}, pages)


def rewritten(raw: bytes, real_origin_host: str, site: ServedSite) -> bytes:
    """What the server must send for a pack page: every spelling of the real origin replaced by the local one."""
    host = re.escape(real_origin_host.encode())
    local = urlsplit(site.base_url).netloc.encode()
    raw = re.sub(rb"(?i)https?://(?:www\.)?" + host + rb"(?::443)?(?![\w.-]*[\w-])", b"http://" + local, raw)
    raw = re.sub(rb"(?i)https?:\\/\\/(?:www\.)?" + host + rb"(?![\w-]|\.\w)", b"http:\\/\\/" + local, raw)
    return re.sub(rb"(?i)(?<![:\w])//(?:www\.)?" + host + rb"(?![\w-]|\.\w)", b"//" + local, raw)


def walk(site: ServedSite, start: str) -> tuple[list[str], list[str]]:
    """Follow the "next page" links from `start`: (the pages visited, the teaser links in order)."""
    url, pages, teasers = start, [], []
    while url:
        assert url not in pages, f"pagination loops at {url}"
        pages.append(url)
        doc = get_doc(url)
        teasers += [urljoin(url, a.get("href")) for a in doc.xpath(TEASER_XPATH[site.family])]
        nxt = doc.xpath(NEXT_XPATH)
        url = urljoin(url, nxt[0]) if nxt else None
    return pages, teasers


def newest_first(entries: list[dict]) -> list[str]:
    dated = sorted((e for e in entries if e["expected"].get("published_at")),
                   key=lambda e: datetime.fromisoformat(e["expected"]["published_at"]), reverse=True)
    return [e["url"] for e in dated] + [e["url"] for e in entries if not e["expected"].get("published_at")]


# ------------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def two_sites(tmp_path_factory):
    root = tmp_path_factory.mktemp("packs")
    packs = [nv_pack(root), wp_pack(root)]
    with serve_packs(packs) as served:
        yield served


@pytest.fixture(scope="module")
def nv(two_sites) -> ServedSite:
    return two_sites[0]


@pytest.fixture(scope="module")
def wp(two_sites) -> ServedSite:
    return two_sites[1]


@pytest.fixture(scope="module", params=FAMILIES)
def fam(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"fam-{request.param}")
    with serve_packs([family_pack(root, request.param)], first_ip=10) as served:
        yield served[0]


# ------------------------------------------------------------------------------------------------- the tests

def test_demo_sites_constant():
    assert DEMO_SITES.name == "sites" and DEMO_SITES.parent.name == "demo"


def test_find_packs(tmp_path):
    nv_pack(tmp_path / "a")
    wp_pack(tmp_path / "b" / "deeper")
    (tmp_path / "c").mkdir()
    found = find_packs(tmp_path)
    assert [p.name for p in found] == ["demo-dcs", "demo-kkt"]
    assert find_packs(found[0]) == [found[0]]
    assert find_packs(tmp_path / "c") == [] and find_packs(tmp_path / "missing") == []


def test_served_site_shape(nv, wp):
    assert nv.key == "demo-dcs" and nv.config["family"] == "nukeviet" and nv.family == "nukeviet"
    assert re.fullmatch(r"http://127\.0\.0\.\d+:\d+/", nv.base_url)
    assert len(nv.articles) == 8 and [p["path"] for p in nv.other_pages] == ["/contact/"]
    for entry in nv.articles + nv.other_pages:
        assert set(entry) >= {"path", "url", "expected", "json", "html"}
        assert entry["url"] == nv.base_url.rstrip("/") + entry["path"]
        assert entry["json"].is_file() and entry["html"].is_file()
    assert [a["url"] for a in nv.articles] == newest_first(nv.articles)   # articles are listed newest first
    assert nv.local_url(f"{NV_ORIGIN}/news/tin-tuc/bai-viet-so-0-1000.html") == \
        nv.base_url + "news/tin-tuc/bai-viet-so-0-1000.html"
    assert nv.local_url("http://www.demo.dcs.vn/news/?x=1") == nv.base_url + "news/?x=1"
    with pytest.raises(ValueError):
        nv.local_url("https://dangcongsan.vn/a.html")


def test_two_sites_on_different_addresses(nv, wp):
    a, b = urlsplit(nv.base_url), urlsplit(wp.base_url)
    assert a.hostname != b.hostname and a.hostname.startswith("127.") and b.hostname.startswith("127.")
    assert a.hostname == "127.0.0.2" or a.hostname == "127.0.0.1"   # 127.0.0.1 only where 127/8 is not local
    article_path = nv.articles[0]["path"]
    assert fetch(wp.origin + article_path)[0] == 404
    assert fetch(nv.origin + article_path)[0] == 200
    assert get_ok(wp.articles[0]["url"]).count(b"entry-title") == 1


def test_pages_served_at_their_paths_with_headers(nv, wp):
    for site, host in ((nv, "demo.dcs.vn"), (wp, "demo-kkt.gov.vn")):
        for entry in site.articles + site.other_pages:
            case = json.loads(entry["json"].read_text(encoding="utf-8"))
            status, headers, body = fetch(entry["url"])
            assert status == 200, entry["path"]
            for name, value in case["headers"].items():
                assert headers[name] == value
            assert int(headers["Content-Length"]) == len(body)
            assert email.utils.parsedate_to_datetime(headers["Last-Modified"]) is not None
            assert body == rewritten(entry["html"].read_bytes(), host, site)


def test_origin_rewrite(nv):
    entry = next(a for a in nv.articles if a["path"].endswith("bai-viet-so-0-1000.html"))
    body = get_ok(entry["url"]).decode("utf-8")
    local = nv.origin
    netloc = urlsplit(local).netloc
    assert f'<link rel="canonical" href="{entry["url"]}">' in body
    assert f'<a href="{local}/">' in body
    assert f'<a href="{local}/news/tin-tuc/">' in body                   # http://www. variant
    assert f'src="//{netloc}/uploads/logo.png"' in body                  # protocol-relative
    assert f'src="{local}/uploads/news/2024_01/anh.jpg"' in body
    assert f'"url":"http:\\/\\/{netloc}\\/news\\/tin-tuc\\/' in body      # JSON-escaped in JSON-LD
    assert f'"logo":"http:\\/\\/{netloc}\\/uploads' in body
    assert f'<a href="{local}/lien-he">' in body                          # upper case, explicit :443
    # other hosts, e-mail addresses and bare host names are left alone
    assert 'href="https://demo.dcs.vn.example.org/"' in body
    assert 'href="https://media.demo.dcs.vn/video/"' in body
    assert 'mailto:banbientap@demo.dcs.vn' in body and "© demo.dcs.vn" in body
    assert "https://demo.dcs.vn/" not in body and "www.demo.dcs.vn" not in body


def test_windows_1258_page(nv):
    entry = next(a for a in nv.articles if a["path"].endswith("bai-viet-so-7-1007.html"))
    status, headers, body = fetch(entry["url"])
    assert status == 200 and headers["Content-Type"] == "text/html; charset=windows-1258"
    raw = entry["html"].read_bytes()
    assert body == rewritten(raw, "demo.dcs.vn", nv) and body != raw
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = unicodedata.normalize("NFC", body.decode("cp1258"))
    assert "Hội nghị học tập, quán triệt Nghị quyết Đại hội XII của Đảng" in text
    assert f'<link rel="canonical" href="{entry["url"]}">' in text


def test_listing_pagination_reaches_all_articles_newest_first(fam):
    n_pages = math.ceil(len(fam.articles) / 3)
    pages, teasers = walk(fam, fam.listing_urls[0])
    assert teasers == newest_first(fam.articles)                          # all of them, undated last
    assert len(pages) == n_pages
    all_shape, cat_shape = PAGE2_SHAPE[fam.family]
    second = urlsplit(pages[1])
    assert re.match(all_shape, second.path + (f"?{second.query}" if second.query else "")), pages[1]
    drops = {e["url"] for e in fam.other_pages}
    assert not drops & set(teasers)
    # the category listings, together, list every article once, each newest first
    seen = []
    for start in fam.listing_urls[1:]:
        cat_pages, cat_teasers = walk(fam, start)
        cat_entries = [a for a in fam.articles if a["url"] in set(cat_teasers)]
        assert cat_teasers == newest_first(cat_entries)
        if len(cat_pages) > 1:
            p2 = urlsplit(cat_pages[1])
            assert re.match(cat_shape, p2.path + (f"?{p2.query}" if p2.query else "")), cat_pages[1]
        seen += cat_teasers
    assert sorted(seen) == sorted(a["url"] for a in fam.articles)


def test_generated_pages_have_family_chrome(fam):
    status, headers, body = fetch(fam.base_url)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    html = body.decode("utf-8")
    assert FAMILY_MARK[fam.family] in html
    doc = lxml.html.fromstring(body.decode("utf-8"))
    assert fam.config["name"] in doc.findtext(".//title")
    hrefs = {urljoin(fam.base_url, h) for h in doc.xpath("//a/@href")}
    for start in fam.listing_urls[1:]:                                     # the menu links every category
        assert start in hrefs
    assert fam.articles[0]["url"] in hrefs                                 # latest news on the home page
    assert fam.other_pages[0]["url"] in hrefs                              # drop pages: linked from the footer
    listing = get_doc(fam.listing_urls[0])
    for a in listing.xpath(TEASER_XPATH[fam.family]):
        assert a.text_content().strip().startswith("Tin bài số")
    # every teaser has a date (but the undated article) and a summary
    text = listing.text_content()
    assert text.count("Tóm tắt bài") >= 3
    assert re.search(r"\d{2}/\d{2}/2024", text)


def check_feed(site: ServedSite, path: str) -> None:
    assert site.feed_url == site.origin + path
    status, headers, body = fetch(site.feed_url)
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    rss = ET.fromstring(body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("title") == site.config["name"]
    assert channel.find("atom:link", RSS_NS).get("href") == site.feed_url
    links = [item.findtext("link") for item in channel.findall("item")]
    assert sorted(links) == sorted(a["url"] for a in site.articles)      # exactly the articles, no drop page
    for item in channel.findall("item"):
        entry = next(a for a in site.articles if a["url"] == item.findtext("link"))
        assert item.findtext("guid") == entry["url"]
        assert item.findtext("title") == entry["expected"]["title"]
        if entry["expected"].get("published_at"):
            assert email.utils.parsedate_to_datetime(item.findtext("pubDate")) == \
                datetime.fromisoformat(entry["expected"]["published_at"])
        else:
            assert item.find("pubDate") is None
    # the generated pages announce it
    for url in site.listing_urls[:2]:
        doc = get_doc(url)
        assert doc.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == [site.feed_url]


def test_feeds_list_exactly_the_articles(nv, wp):
    check_feed(nv, "/rss/")
    check_feed(wp, "/feed/")


def test_feed_per_family(fam):
    if fam.family == "nukeviet":
        check_feed(fam, "/rss/")
    elif fam.family == "wordpress":
        check_feed(fam, "/feed/")
    else:
        assert fam.feed_url is None
        assert "application/rss+xml" not in get_ok(fam.base_url).decode()
        assert fetch(fam.origin + "/rss/")[0] == 404 and fetch(fam.origin + "/feed/")[0] == 404


def test_nukeviet_module_and_category_feeds(nv):
    assert get_ok(nv.origin + "/news/rss/") == get_ok(nv.origin + "/rss/").replace(b"/rss/", b"/news/rss/")
    cat = ET.fromstring(get_ok(nv.origin + "/news/rss/xay-dung-dang/"))
    links = [i.findtext("link") for i in cat.iter("item")]
    assert len(links) == 3 and all("/news/xay-dung-dang/" in u for u in links)


def check_sitemap(site: ServedSite) -> None:
    assert site.sitemap_url == site.origin + "/sitemap.xml"
    status, headers, body = fetch(site.sitemap_url)
    assert status == 200 and "xml" in headers["Content-Type"]
    urlset = ET.fromstring(body)
    assert urlset.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    urls = urlset.findall("sm:url", SM_NS)
    assert sorted(u.findtext("sm:loc", namespaces=SM_NS) for u in urls) == sorted(a["url"] for a in site.articles)
    for u in urls:
        entry = next(a for a in site.articles if a["url"] == u.findtext("sm:loc", namespaces=SM_NS))
        lastmod = u.findtext("sm:lastmod", namespaces=SM_NS)
        if entry["expected"].get("published_at"):
            assert datetime.fromisoformat(lastmod) == datetime.fromisoformat(entry["expected"]["published_at"])
        else:
            assert lastmod is None


def test_sitemaps_list_exactly_the_articles(nv, wp):
    check_sitemap(nv)
    check_sitemap(wp)


def test_sitemap_per_family(fam):
    if fam.family in ("nukeviet", "wordpress"):
        check_sitemap(fam)
    else:
        assert fam.sitemap_url is None and fetch(fam.origin + "/sitemap.xml")[0] == 404


def test_robots_txt(fam):
    status, headers, body = fetch(fam.origin + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "User-agent: *" and "Disallow: /admin/" in lines
    disallowed = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Disallow:")]
    assert len(disallowed) >= 2
    if fam.sitemap_url:
        assert f"Sitemap: {fam.sitemap_url}" in lines
    else:
        assert "Sitemap:" not in text
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(lines)
    for entry in fam.articles + fam.other_pages:
        assert parser.can_fetch("partynews", entry["url"]), entry["url"]
    for url in fam.listing_urls + [fam.base_url]:
        assert parser.can_fetch("partynews", url), url
    assert not parser.can_fetch("partynews", fam.origin + "/admin/login")
    # the listing pages link to a disallowed path (the crawler must see it and not go there)
    doc = get_doc(fam.listing_urls[0])
    links = {urljoin(fam.listing_urls[0], h) for h in doc.xpath("//a/@href")}
    forbidden = [u for u in links if urlsplit(u).netloc == urlsplit(fam.base_url).netloc
                 and not parser.can_fetch("partynews", u)]
    assert forbidden, "no disallowed link on the listing page"
    # and Scrapy's robots parser (Protego) agrees
    import protego

    rp = protego.Protego.parse(text)
    assert all(not rp.can_fetch(u, "partynews") for u in forbidden)
    assert all(rp.can_fetch(a["url"], "partynews") for a in fam.articles)
    assert fetch(forbidden[0])[0] == 200                                  # it exists, a search-results page


def test_404_in_family_style(fam):
    status, headers, body = fetch(fam.origin + "/khong-co-trang-nay.html")
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    html = body.decode("utf-8")
    assert FAMILY_MARK[fam.family] in html and "Không tìm thấy" in html and fam.config["name"] in html
    assert fetch(fam.origin + "/favicon.ico")[0] == 404


def test_head(nv):
    for url in (nv.articles[0]["url"], nv.base_url, nv.origin + "/rss/", nv.origin + "/sitemap.xml",
                nv.origin + "/robots.txt", nv.origin + "/nothing-here"):
        g_status, g_headers, g_body = fetch(url)
        h_status, h_headers, h_body = fetch(url, method="HEAD")
        assert h_status == g_status and h_body == b""
        assert int(h_headers["Content-Length"]) == len(g_body)
        for name in ("Content-Type", "Last-Modified"):
            assert h_headers[name] == g_headers[name]


def test_last_modified_and_conditional_get(nv):
    newest = nv.articles[0]
    status, headers, _ = fetch(newest["url"])
    assert email.utils.parsedate_to_datetime(headers["Last-Modified"]) == \
        datetime.fromisoformat(newest["expected"]["published_at"])
    status, headers, body = fetch(newest["url"], headers={"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304 and body == b""
    status, _, _ = fetch(newest["url"], headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert status == 200
    # a listing page is as new as its newest teaser
    _, headers, _ = fetch(nv.listing_urls[0])
    assert email.utils.parsedate_to_datetime(headers["Last-Modified"]) == \
        datetime.fromisoformat(newest["expected"]["published_at"])


def test_trailing_slash_redirect(nv):
    status, headers, _ = fetch(nv.origin + "/news")
    assert status == 301 and headers["Location"] == nv.origin + "/news/"


def test_query_on_home_and_page_one(nv, fam):
    assert get_ok(nv.base_url + "?utm_source=zalo") == get_ok(nv.base_url)
    if fam.family in ("liferay", "aspnet"):
        assert get_ok(fam.listing_urls[0] + "?page=1") == get_ok(fam.listing_urls[0])


def test_request_log(tmp_path):
    with serve_packs([wp_pack(tmp_path)]) as (site,):
        fetch(site.base_url)
        fetch(site.origin + "/feed/", method="HEAD")
        fetch(site.origin + "/missing/?q=1")
        fetch(site.articles[0]["url"])
        assert site.requests == [("GET", "/", 200), ("HEAD", "/feed/", 200), ("GET", "/missing/?q=1", 404),
                                 ("GET", site.articles[0]["path"], 200)]
        assert site.request_log() == site.requests
        site.clear_requests()
        assert site.requests == []


def test_delay(tmp_path):
    with serve_packs([wp_pack(tmp_path)], delay=0.3) as (site,):
        start = time.monotonic()
        get_ok(site.base_url)
        assert time.monotonic() - start >= 0.3
        site.delay = 0
        start = time.monotonic()
        get_ok(site.base_url)
        assert time.monotonic() - start < 0.3


def read_response(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += conn.recv(65536)
    return head


def test_server_stops_cleanly(tmp_path):
    with serve_packs([nv_pack(tmp_path / "a"), wp_pack(tmp_path / "b")], first_ip=20) as served:
        addresses = [(urlsplit(s.base_url).hostname, urlsplit(s.base_url).port) for s in served]
        for site in served:
            get_ok(site.base_url)
        # a keep-alive connection left open must not keep the site answering
        conn = socket.create_connection(addresses[0], timeout=5)
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(conn).startswith(b"HTTP/1.1 200")
    for address in addresses:
        with pytest.raises(OSError):
            socket.create_connection(address, timeout=2).close()
    answer = b""
    try:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = conn.recv(65536)
    except OSError:
        pass
    finally:
        conn.close()
    assert answer == b""


def test_pack_page_on_a_reserved_path_and_on_a_listing_path(tmp_path):
    origin = "https://collide.example.vn"
    pages = [{"name": "home", "url": origin + "/", "html": "<html><body><h1>Trang chủ thật</h1></body></html>",
              "expected": {"drop_reason": "not_article"}},
             {"name": "real-listing", "url": origin + "/news/thoi-su/page-2",
              "html": "<html><body><h1>Thời sự - Trang 2 (bản gốc)</h1></body></html>",
              "expected": {"drop_reason": "not_article"}}]
    for i in range(4):
        url = f"{origin}/news/thoi-su/tin-{i}-{300 + i}.html"
        pages.append({"name": f"t{i}", "url": url, "html": f"<html><body><h1>Tin {i}</h1></body></html>",
                      "expected": {"title": f"Tin số {i}", "published_at": f"2024-0{i + 1}-01T00:00:00+07:00",
                                   "category": "Thời sự"}})
    pack = write_pack(tmp_path, {"key": "collide", "name": "Va chạm", "family": "nukeviet",
                                 "base_url": origin + "/", "page_size": 2}, pages)
    with serve_packs([pack]) as (site,):
        assert "Trang chủ thật" not in get_ok(site.base_url).decode()     # the generated home stays
        moved = site.local_url(origin + "/")
        assert moved == site.base_url + "?pack-page=home"
        assert "Trang chủ thật" in get_ok(moved).decode()
        assert "bản gốc" in get_ok(site.local_url(origin + "/news/thoi-su/page-2")).decode()
        assert {p["url"] for p in site.other_pages} == {moved, site.origin + "/news/thoi-su/page-2"}


def test_tracking_parameters_are_ignored(tmp_path):
    origin = "https://kkt.example.vn"
    shared = origin + "/bai-chia-se-qua-zalo/?utm_source=zalo&utm_medium=social"
    plain = origin + "/bai-binh-thuong/"
    pages = [{"name": "shared", "url": shared, "html": "<html><body><h1>Chia sẻ</h1></body></html>",
              "expected": {"title": "Bài được chia sẻ", "published_at": "2024-01-18T15:20:00+07:00"}},
             {"name": "plain", "url": plain, "html": "<html><body><h1>Bình thường</h1></body></html>",
              "expected": {"title": "Bài bình thường", "published_at": "2024-01-19T15:20:00+07:00"}}]
    pack = write_pack(tmp_path, {"key": "kkt", "name": "KKT", "family": "wordpress", "base_url": origin + "/"}, pages)
    with serve_packs([pack]) as (site,):
        served_at = site.local_url(shared)
        assert served_at == site.origin + "/bai-chia-se-qua-zalo/?utm_source=zalo&utm_medium=social"
        assert [a["url"] for a in site.articles] == [site.local_url(plain), served_at]   # listed as the pack says
        assert get_ok(site.origin + "/bai-chia-se-qua-zalo/") == get_ok(served_at)
        assert get_ok(site.local_url(plain) + "?fbclid=IwAR0x&utm_campaign=a") == get_ok(site.local_url(plain))
        assert fetch(site.local_url(plain) + "?p=2")[0] == 404


def test_main_serves_until_terminated(tmp_path):
    pack = wp_pack(tmp_path)
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "crawler.demo.server", str(tmp_path), "--first-ip", "40"],
                            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("demo-kkt "), (line, proc.stderr.read() if proc.poll() is not None else "")
        base_url = line.split()[1]
        assert re.fullmatch(r"http://127\.0\.0\.(40|1):\d+/", base_url)
        assert b"Ban Qu\xe1\xba\xa3n l\xc3\xbd Khu kinh t\xe1\xba\xbf Demo" in get_ok(base_url)
        assert fetch(base_url + "bai-viet-khu-kinh-te-0/")[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
    assert pack.is_dir()


def test_bad_pack(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "site.yaml").write_text("key: x\nfamily: drupal\nbase_url: https://x.vn/\n")
    with pytest.raises(ValueError, match="family"):
        with serve_packs([tmp_path / "p"]):
            pass
    with pytest.raises(ValueError, match="site.yaml"):
        with serve_packs([tmp_path / "nothing"]):
            pass


def test_redirects_aliases_documents_robots_and_feed_size(tmp_path):
    """Optional site.yaml keys: redirects (301), aliases (print / same views of a pack page), documents,
    robots_disallow and feed_size."""
    import io
    import zipfile

    origin = "https://extra.dcs.vn"
    pages = []
    for i in range(12):
        url = f"{origin}/news/tin-tuc/bai-so-{i}-{700 + i}.html"
        body = (f'<html><head><title>Bài {i} - Demo</title></head><body><div id="news-bodyhtml">'
                f'<p>Đoạn một của bài {i}, đủ dài để là đoạn văn của bài viết trên trang.</p>'
                f'<p>Đoạn hai của bài {i}, cũng là một đoạn văn của phần thân bài.</p>'
                f'<p style="text-align: right;">Minh Anh</p></div></body></html>')
        pages.append({"name": f"a{i}", "url": url, "html": body,
                      "expected": {"title": f"Tiêu đề bài {i}", "lead": "Sapo bài." if i == 0 else None,
                                   "text": None, "authors": ["Minh Anh"],
                                   "published_at": f"2024-{i % 12 + 1:02d}-05T08:30:00+07:00", "category": "Tin tức"}})
    config = {"key": "extra", "name": "Cổng Demo", "family": "nukeviet", "base_url": origin + "/", "feed_size": 10,
              "redirects": {"/news/cu/bai-so-3-703.html": "/news/tin-tuc/bai-so-3-703.html",
                            f"{origin}/?p=5": f"{origin}/news/tin-tuc/bai-so-5-705.html",
                            "/chuyen-di": "https://dangcongsan.vn/"},
              "aliases": {"/news/print/tin-tuc/bai-so-0-700.html": "a0",
                          "/news/savefile/tin-tuc/bai-so-1-701.html": {
                              "page": "a1", "headers": {"Content-Disposition": 'attachment; filename="bai-so-1.html"'}},
                          "/Portal/PrintItem.aspx?ContentID=702": {"page": "a2", "layout": "same"}},
              "documents": ["/uploads/van-ban/ke-hoach.pdf", "/uploads/van-ban/bieu-mau.docx", "/uploads/anh/goc.jpg",
                            "/uploads/anh/nho.png", "/uploads/cu.doc",
                            {"path": "/documents/20126/0/Nghi+quyet.pdf/5d1c0b7e", "type": "pdf", "title": "Nghị quyết"}],
              "robots_disallow": ["/news/noi-bo/", "/users/"]}
    pack = write_pack(tmp_path, config, pages)
    with serve_packs([pack]) as (site,):
        o = site.origin
        # redirects: to the local target, or off-site as written
        status, headers, _ = fetch(o + "/news/cu/bai-so-3-703.html")
        assert status == 301 and headers["Location"] == o + "/news/tin-tuc/bai-so-3-703.html"
        assert fetch(o + "/?p=5")[1]["Location"] == o + "/news/tin-tuc/bai-so-5-705.html"
        assert fetch(o + "/?p=5&utm_source=zalo")[0] == 301
        assert fetch(o + "/chuyen-di")[1]["Location"] == "https://dangcongsan.vn/"
        assert site.redirects[o + "/?p=5"] == o + "/news/tin-tuc/bai-so-5-705.html"
        # aliases: print layout with canonical and noindex; savefile headers; `same` serves the page itself
        article0 = site.local_url(pages[0]["url"])
        html = get_ok(o + "/news/print/tin-tuc/bai-so-0-700.html").decode("utf-8")
        assert f'<link rel="canonical" href="{article0}">' in html and '<meta name="robots" content="noindex">' in html
        assert "Tiêu đề bài 0" in html and "Sapo bài." in html and "<p>Đoạn một của bài 0" in html
        assert html.count("<p>") == 2 and ">Minh Anh<" in html                  # byline out of the body, once
        status, headers, body = fetch(o + "/news/savefile/tin-tuc/bai-so-1-701.html")
        assert status == 200 and headers["Content-Disposition"] == 'attachment; filename="bai-so-1.html"'
        assert b"Ti\xc3\xaau \xc4\x91\xe1\xbb\x81 b\xc3\xa0i 1" in body
        assert get_ok(o + "/Portal/PrintItem.aspx?ContentID=702") == get_ok(site.local_url(pages[2]["url"]))
        assert site.aliases[o + "/news/print/tin-tuc/bai-so-0-700.html"] == article0
        assert len(site.articles) == 12                                        # aliases are not articles
        # documents
        kinds = {}
        for url, ctype in site.documents.items():
            status, headers, body = fetch(url)
            assert status == 200 and headers["Content-Type"] == ctype and int(headers["Content-Length"]) == len(body)
            kinds[ctype] = body
        pdf = kinds["application/pdf"]
        assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
        xref = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
        assert pdf[xref:xref + 4] == b"xref"
        docx = kinds["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
        assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(docx)).namelist()
        assert kinds["image/jpeg"].startswith(b"\xff\xd8\xff") and kinds["image/jpeg"].endswith(b"\xff\xd9")
        assert kinds["image/png"].startswith(b"\x89PNG\r\n\x1a\n")
        assert kinds["application/msword"].startswith(bytes.fromhex("d0cf11e0a1b11ae1"))
        assert fetch(o + "/documents/20126/0/Nghi+quyet.pdf/5d1c0b7e")[1]["Content-Type"] == "application/pdf"
        # robots.txt and the feed
        robots = fetch(o + "/robots.txt")[2].decode().splitlines()
        assert "Disallow: /news/noi-bo/" in robots and "Disallow: /users/" in robots and "Disallow: /seek/" in robots
        items = ET.fromstring(fetch(site.feed_url)[2]).findall("./channel/item")
        assert [i.findtext("link") for i in items] == [a["url"] for a in site.articles][:10]
        locs = [e.text for e in ET.fromstring(fetch(site.sitemap_url)[2]).iter(f"{{{SM_NS['sm']}}}loc")]
        assert len(locs) == 12


def test_bad_alias_and_document(tmp_path):
    origin = "https://bad.dcs.vn"
    page = {"name": "a", "url": origin + "/news/x/bai-1-101.html", "html": "<html><body><p>x</p></body></html>",
            "expected": {"title": "Bài", "published_at": "2024-01-01T08:00:00+07:00"}}
    pack = write_pack(tmp_path / "one", {"key": "bad", "family": "nukeviet", "base_url": origin + "/",
                                         "aliases": {"/news/print/x.html": "nope"}}, [page])
    with pytest.raises(ValueError, match="no pack page"):
        with serve_packs([pack]):
            pass
    pack = write_pack(tmp_path / "two", {"key": "bad", "family": "nukeviet", "base_url": origin + "/",
                                         "documents": ["/documents/20126/0/no-extension"]}, [page])
    with pytest.raises(ValueError, match="unknown type"):
        with serve_packs([pack]):
            pass
