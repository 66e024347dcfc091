"""The discovery fixture sites (tests/fixtures/sites, written by tests/fixtures/make_sites.py): one site per CMS
family, served live by crawler.demo.server. These tests check the fixtures themselves, reading the served sites
as a simple polite crawler would (breadth-first over links from the home page, robots.txt obeyed): every
article is reachable, the duplicate views, redirects, documents, feeds and sitemaps behave as the manifest says,
and every link on the sites resolves except the deliberately broken ones.
"""
from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter, deque
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
import pytest
import yaml

from crawler.demo.server import FAMILIES, find_packs, load_pack, serve_packs

FIXTURES = Path(__file__).parent / "fixtures" / "sites"
PACKS = find_packs(FIXTURES)
TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|zarsrc)$")

# the article URL shape of each family (path + query), as the brief of the fixtures gives them
ARTICLE_SHAPE = {
    "nukeviet": r"^/news/[a-z0-9-]+/[a-z0-9-]+-\d+\.html$",
    "liferay": r"^(?:/web/btg/chi-tiet-bai-viet/-/asset_publisher/[A-Za-z0-9]+/content/id/\d+|/w/[^/?]+)$",
    "aspnet": r"^/DetailView/\d+/\d+/[A-Za-z0-9-]+\.html$",
    "wordpress": r"^/[a-z0-9-]+/$",
    "generic": r"^/[a-z0-9-]+/d\d{14}\.htm$",
}
# the visible date line of each family, as the article pages print it
DATE_LINE = {
    "nukeviet": (r'<span class="h5">(\d\d:\d\d \d\d/\d\d/\d{4})</span>', "%H:%M %d/%m/%Y"),
    "liferay": (r'<div class="news-date"><i class="fa fa-clock-o"></i> (\d\d:\d\d \d\d/\d\d/\d{4})</div>', "%H:%M %d/%m/%Y"),
    "aspnet": (r'_lblDate">(?:Thứ \w+|Chủ Nhật), (\d\d/\d\d/\d{4} \d\d:\d\d)</span>', "%d/%m/%Y %H:%M"),
    "wordpress": (r'<time class="entry-date published" datetime="[^"]+">(\d\d/\d\d/\d{4} - \d\d:\d\d)</time>',
                  "%d/%m/%Y - %H:%M"),
    "generic": (r'<span class="detail-time"><i class="fa fa-clock-o"></i> (\d\d:\d\d \d\d/\d\d/\d{4})</span>',
                "%H:%M %d/%m/%Y"),
}
FAMILY_MARK = {"nukeviet": 'name="generator" content="NukeViet', "liferay": "Liferay.ThemeDisplay",
               "aspnet": "__VIEWSTATE", "wordpress": 'name="generator" content="WordPress', "generic": 'class="detail-title"'}
MAGIC = {"application/pdf": b"%PDF-1.4", "image/jpeg": b"\xff\xd8\xff",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document": b"PK\x03\x04"}


# ------------------------------------------------------------------------------------------------- helpers

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str):
    try:
        with _OPENER.open(urllib.request.Request(url), timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def manifest_of(site) -> dict:
    return json.loads((site.pack / "manifest.json").read_text(encoding="utf-8"))


def strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def canon(url: str) -> str:
    """A URL as the server keys it (percent-escapes upper-case), without fragment and tracking parameters."""
    url = strip_tracking(url.split("#", 1)[0])
    return re.sub(r"%[0-9a-f]{2}", lambda m: m.group(0).upper(), url)


def bfs(site) -> dict:
    """Follow <a href> links from the home page over the served site, obeying robots.txt, not following
    redirects automatically (their Location is queued). Returns what it saw."""
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(site.origin + "/robots.txt")[2].decode("utf-8").splitlines())
    netloc = urlsplit(site.base_url).netloc
    start = canon(site.base_url)
    queue, seen = deque([start]), {start}
    out = {"status": {}, "ctype": {}, "disallowed": set(), "offsite": set(), "raw_hrefs": set(), "links_to": {}}

    def push(url: str, source: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return
        if parts.netloc != netloc:
            out["offsite"].add(url)
            return
        url = canon(url)
        out["links_to"].setdefault(url, source)
        if not robots.can_fetch("partynews", url):
            out["disallowed"].add(url)
            return
        if url not in seen:
            seen.add(url)
            queue.append(url)

    while queue:
        url = queue.popleft()
        status, headers, body = fetch(url)
        out["status"][url] = status
        ctype = headers.get("Content-Type", "")
        out["ctype"][url] = ctype
        if status in (301, 302, 303, 307, 308):
            push(urljoin(url, headers["Location"]), url)
            continue
        if status != 200 or not ctype.startswith("text/html"):
            continue
        doc = lxml.html.fromstring(body.decode(headers.get_content_charset() or "utf-8"))
        for href in doc.xpath("//a/@href"):
            out["raw_hrefs"].add(href)
            push(urljoin(url, href.strip()), url)
    return out


# ------------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def served():
    with serve_packs(PACKS, first_ip=70) as sites:
        yield {s.key: s for s in sites}


@pytest.fixture(scope="module")
def crawled(served):
    return {key: bfs(site) for key, site in served.items()}


# ------------------------------------------------------------------------------------------------- the packs

def test_one_pack_per_family():
    families = [yaml.safe_load((p / "site.yaml").read_text(encoding="utf-8"))["family"] for p in PACKS]
    assert sorted(families) == sorted(FAMILIES)
    assert [p.name for p in PACKS] == sorted(["quangninh-dcs", "btg-dongthap", "tuyenquang-dcs", "kcn-wp", "baoninhbinh"])


def test_total_size():
    size = sum(f.stat().st_size for f in FIXTURES.rglob("*") if f.is_file())
    assert size < 6.3e6, size


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_pack_contents(pack):
    loaded = load_pack(pack)
    conf, man = loaded.config, json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    family = conf["family"]
    articles = [p for p in loaded.pages if not p["expected"].get("drop_reason")]
    others = [p for p in loaded.pages if p["expected"].get("drop_reason")]
    assert 30 <= len(articles) <= 40
    assert {urlsplit(p["real_url"]).hostname for p in loaded.pages} == {urlsplit(conf["base_url"]).hostname}
    titles = [p["expected"]["title"] for p in articles]
    assert len(set(titles)) == len(titles)
    cats = Counter(p["expected"]["category"] for p in articles)
    assert 3 <= len(cats) <= 4 and min(cats.values()) >= 5, cats
    years = Counter()
    for p in articles:
        exp = p["expected"]
        path = urlsplit(p["real_url"]).path
        assert re.match(ARTICLE_SHAPE[family], path), path
        dt = datetime.fromisoformat(exp["published_at"])
        assert dt.utcoffset().total_seconds() == 7 * 3600 and exp["published_precision"] == "datetime"
        years[dt.year] += 1
        assert exp["text"] is None and exp["authors"] and exp["canonical_url"] == p["real_url"]
        html = p["html"].read_text(encoding="utf-8")
        # a full page of its family, with the headline and the date line in the family's shape
        assert FAMILY_MARK[family] in html and html.count("<html") == 1 and len(html) > 15000
        assert exp["title"].replace("“", "").split()[0] in html
        rx, fmt = DATE_LINE[family]
        shown = re.findall(rx, html)
        assert len(shown) == 1, (p["name"], shown)
        assert datetime.strptime(shown[0], fmt) == dt.replace(tzinfo=None), p["name"]
        body = re.sub(r"<[^>]+>", " ", html)
        assert len(exp.get("lead") or "") == 0 or exp["lead"] in html.replace("&quot;", '"')
        assert len(body.split()) > 400
    assert set(years) == {2023, 2024} and min(years.values()) >= 8, years
    kinds = {o["kind"] for o in man["non_articles"]}
    assert {"contact", "tag", "search", "video", "about"} <= kinds
    assert all(o["expected"]["drop_reason"] == "not_article" for o in others)
    assert len(others) == len(man["non_articles"])
    assert [a["url"] for a in man["articles"]] == [p["real_url"] for p in sorted(
        articles, key=lambda p: p["expected"]["published_at"], reverse=True)]


def test_article_texts_are_varied():
    """Recombined from a bank of sentences: many distinct sentences, each article at least 150 words."""
    sentences = Counter()
    for pack in PACKS:
        for page in load_pack(pack).pages:
            if page["expected"].get("drop_reason"):
                continue
            html = page["html"].read_text(encoding="utf-8")
            paras = re.findall(r"<p[^>]*>(.*?)</p>", html, re.S)
            text = " ".join(re.sub(r"<[^>]+>", "", p) for p in paras if len(p) > 80)
            assert len(text.split()) >= 150, page["name"]
            for s in re.split(r"(?<=\.) ", text):
                sentences[re.sub(r"\d+", "#", s)] += 1
    assert len([s for s in sentences if len(s) > 60]) >= 60


# ------------------------------------------------------------------------------------------------- served

def test_every_article_reachable_from_the_home_page(served, crawled):
    for key, site in served.items():
        seen = crawled[key]["status"]
        missing = [a["url"] for a in site.articles if seen.get(canon(a["url"])) != 200]
        assert not missing, (key, missing)
        for entry in site.other_pages:                                     # and the non-article pages
            assert seen.get(canon(entry["url"])) == 200, (key, entry["url"])


def test_every_link_resolves_except_the_broken_ones(served, crawled):
    for key, site in served.items():
        man = manifest_of(site)
        statuses = crawled[key]["status"]
        broken = {canon(site.local_url(u)) for u in man["broken_links"]}
        not_ok = {u: s for u, s in statuses.items() if s not in (200, 301)}
        assert set(not_ok) == broken, (key, not_ok, broken)
        assert all(s == 404 for s in not_ok.values())


def test_robots_disallowed_links_are_linked_and_not_fetched(served, crawled):
    for key, site in served.items():
        man = manifest_of(site)
        robots = fetch(site.origin + "/robots.txt")[2].decode()
        for path in man["robots_disallow"]:
            assert f"Disallow: {path}" in robots.splitlines()
        wanted = {canon(site.local_url(u)) for u in man["disallowed_links"]}
        assert wanted <= crawled[key]["disallowed"], (key, wanted - crawled[key]["disallowed"])
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(robots.splitlines())
        assert all(parser.can_fetch("partynews", u) for u in crawled[key]["status"])


def test_tracking_parameters_host_variants_and_offsite_links(served, crawled):
    for key, site in served.items():
        man = manifest_of(site)
        host = urlsplit(man["base_url"]).hostname
        raw = crawled[key]["raw_hrefs"]
        assert man["tracking_links"] and any(TRACKING.match(k) for h in raw for k, _ in parse_qsl(urlsplit(h).query))
        # in the pack files the links spell the real host four ways ...
        texts = "".join(p.read_text(encoding="utf-8") for p in (site.pack / "pages").glob("*.html"))
        for variant in (f'href="https://www.{host}/', f'href="http://{host}/', f'href="http://www.{host}/'):
            assert variant in texts, (key, variant)
        assert all(f'href="{u}"' in texts for u in man["host_variant_links"])
        # ... and all of them are served as links into the local mirror
        for entry in site.articles:
            body = fetch(entry["url"])[2].decode("utf-8")
            assert f"://{host}" not in body and f"://www.{host}" not in body, (key, entry["url"])
        offsite = crawled[key]["offsite"]
        assert len(offsite) >= 4 and all(urlsplit(u).hostname != host for u in offsite)
        assert set(man["offsite_links"]) <= offsite, set(man["offsite_links"]) - offsite


def test_duplicate_views(served):
    for key, site in served.items():
        man = manifest_of(site)
        kinds = {canon(site.local_url(d["url"])): d["kind"] for d in man["duplicates"]}
        assert len(kinds) == len(site.aliases) > 0
        for alias, article in site.aliases.items():
            kind = kinds[canon(alias)]
            status, headers, body = fetch(alias)
            assert status == 200 and headers["Content-Type"].startswith("text/html"), alias
            html = body.decode("utf-8")
            article_body = fetch(article)[2].decode("utf-8")
            title = re.search(r"<h1[^>]*>(?:<span[^>]*>)?([^<]+)", article_body).group(1)
            if kind == "same":
                assert html == article_body
                assert f'href="{article}" rel="canonical"' in html
                continue
            assert f'<link rel="canonical" href="{article}">' in html
            assert '<meta name="robots" content="noindex">' in html
            assert title in html and html.count("<p>") >= 5, alias
            if kind == "savefile":
                assert headers["Content-Disposition"].startswith("attachment; filename=")


def test_redirects(served, crawled):
    for key, site in served.items():
        man = manifest_of(site)
        assert len(site.redirects) == len(man["redirects"]) >= 2
        for r in man["redirects"]:
            old, new = site.local_url(r["from"]), site.local_url(r["to"])
            status, headers, _ = fetch(old)
            assert status == 301 and headers["Location"] == new, (old, status)
            assert fetch(new)[0] == 200
        linked = [u for u, s in crawled[key]["status"].items() if s == 301 and u in {canon(x) for x in site.redirects}]
        assert len(linked) >= 2, key                                       # old URLs are linked from pages


def test_documents(served, crawled):
    for key, site in served.items():
        man = manifest_of(site)
        types = set()
        for url in man["documents"]:
            local = site.local_url(url)
            status, headers, body = fetch(local)
            ctype = headers["Content-Type"]
            assert status == 200 and body.startswith(MAGIC[ctype]), (local, ctype)
            assert crawled[key]["status"].get(canon(local)) == 200            # linked from the pages
            types.add(ctype)
            if ctype == "application/pdf":
                assert body.rstrip().endswith(b"%%EOF") and b"startxref" in body
            if ctype.startswith("application/vnd.openxmlformats"):
                assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert types == set(MAGIC), key


def test_feeds_list_the_newest_ten_and_sitemaps_all(served):
    for key, site in served.items():
        man = manifest_of(site)
        newest = [a["url"] for a in site.articles]
        if site.sitemap_url:
            root = ET.fromstring(fetch(site.sitemap_url)[2])
            locs = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
            assert locs == newest
        if site.feed_url:
            assert man["feed_size"] == 10
            items = ET.fromstring(fetch(site.feed_url)[2]).findall("./channel/item")
            assert [i.findtext("link") for i in items] == newest[:10]
        else:
            assert site.family in ("liferay", "aspnet", "generic")


def test_listing_pagination_newest_first(served):
    for key, site in served.items():
        url, seen, pages = site.listing_urls[0], [], 0
        while url:
            status, headers, body = fetch(url)
            assert status == 200
            doc = lxml.html.fromstring(body.decode("utf-8"))
            pages += 1
            hrefs = [urljoin(url, h) for h in doc.xpath("//a/@href")]
            seen += [canon(h) for h in hrefs if canon(h) in {canon(a["url"]) for a in site.articles} and canon(h) not in seen]
            nxt = doc.xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href")
            url = urljoin(url, nxt[0]) if nxt else None
        assert pages >= 5, key
        assert set(seen) == {canon(a["url"]) for a in site.articles}
