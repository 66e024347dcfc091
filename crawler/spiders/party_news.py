"""The one spider: discovers article pages of the chosen sites from robots.txt sitemaps, feeds, sitemaps and
listing pages, and hands every article page, raw, to the item pipelines.

    scrapy crawl party_news -a site=ninhbinh-dcs,heza -a url=https://example.dcs.vn/
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from protego import Protego
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.items import PageItem
from crawler.registry import Site, adhoc_site, load_registry
from crawler.urls import normalize_url

_FEED_TYPES = re.compile(r"(rss|atom|xml)", re.I)
_IGNORED = tuple("." + ext for ext in IGNORED_EXTENSIONS)


def _split_arg(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_split_arg(v))
        return out
    return [v.strip() for v in str(value).split(",") if v.strip()]


class PartyNewsSpider(scrapy.Spider):
    name = "party_news"

    def __init__(self, site=None, url=None, registry=None, max_listing_pages=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.registry_path = registry
        self._site_keys = _split_arg(site)
        self._urls = _split_arg(url)
        self._max_listing_pages = int(max_listing_pages) if max_listing_pages else None
        self.sites: list[Site] = []
        self._by_host: dict[str, Site] = {}
        self._listing_pages: dict[str, int] = {}

    # -- setup ------------------------------------------------------------------------------------------
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup(crawler.settings)
        return spider

    def _setup(self, settings) -> None:
        registry = load_registry(self.registry_path or settings.get("PARTYNEWS_REGISTRY"))
        keys = self._site_keys or ([] if self._urls else list(registry))
        unknown = [k for k in keys if k not in registry]
        if unknown:
            raise ValueError(f"unknown site key(s): {', '.join(unknown)}; see `partynews sites`")
        self.sites = [registry[k] for k in keys] + [adhoc_site(u) for u in self._urls]
        for site in self.sites:
            for host in (site.host, *site.allowed_domains):
                self._by_host[host.removeprefix("www.")] = site
        self.allowed_domains = sorted({h for s in self.sites for h in (s.host, *s.allowed_domains)})
        if self._max_listing_pages is None:
            self._max_listing_pages = settings.getint("PARTYNEWS_MAX_LISTING_PAGES", 50)
        # site membership is checked per link by site_for(): LinkExtractor compares domains with the port.
        # Links to documents and media are extracted too, to be counted as skipped, never fetched.
        self._extractor = LinkExtractor(unique=True, deny_extensions=[])

    def site_for(self, url: str) -> Site | None:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        site = self._by_host.get(host)
        if site is None:
            for known, candidate in self._by_host.items():
                if host.endswith("." + known):
                    return candidate
        return site

    # -- discovery --------------------------------------------------------------------------------------
    async def start(self):
        for request in self._start_requests():
            yield request

    def _start_requests(self):
        for site in self.sites:
            base = site.base_url
            meta = {"site_key": site.key}
            yield scrapy.Request(base + "robots.txt", callback=self.parse_robots, meta={**meta, "dont_obey_robotstxt": True},
                                 errback=self.on_error, priority=30, dont_filter=True)
            for path in site.sitemaps:
                yield scrapy.Request(_join(base, path), callback=self.parse_sitemap, meta=meta,
                                     errback=self.on_error, priority=20)
            for path in site.feeds:
                yield scrapy.Request(_join(base, path), callback=self.parse_feed, meta=meta,
                                     errback=self.on_error, priority=20)
            for url in site.start_urls or (base,):
                yield scrapy.Request(url, callback=self.parse_page, meta={**meta, "listing": True},
                                     errback=self.on_error, priority=10)

    def parse_robots(self, response: Response):
        site = self.site_for(response.url)
        if site is None or response.status != 200:
            return
        robots = Protego.parse(response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace"))
        self.crawler.stats.inc_value(f"partynews/site/{site.key}/robots_txt")
        for sitemap in robots.sitemaps:
            if self.site_for(sitemap) is site:
                yield scrapy.Request(normalize_url(sitemap, site), callback=self.parse_sitemap, meta={"site_key": site.key},
                                     errback=self.on_error, priority=20)

    def parse_sitemap(self, response: Response):
        body = response.body
        if body[:2] == b"\x1f\x8b":
            max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            body = gunzip(body, max_size=max_size) if max_size else gunzip(body)
        try:
            sitemap = Sitemap(body)
        except (etree.XMLSyntaxError, ValueError):
            self.crawler.stats.inc_value("partynews/discovery/bad_sitemap")
            return
        site = self.site_for(response.url)
        if site is not None:
            self.crawler.stats.inc_value(f"partynews/site/{site.key}/sitemaps")
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc or self.site_for(loc) is None:
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(normalize_url(loc, self.site_for(loc)), callback=self.parse_sitemap, errback=self.on_error, priority=20)
            else:
                yield from self._follow(loc)

    def parse_feed(self, response: Response):
        if not _FEED_TYPES.search(response.headers.get("Content-Type", b"").decode("latin-1")) \
                and not response.body.lstrip()[:100].lower().startswith((b"<?xml", b"<rss", b"<feed")):
            return
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
            root = etree.fromstring(response.body, parser=parser)
        except etree.XMLSyntaxError:
            self.crawler.stats.inc_value("partynews/discovery/bad_feed")
            return
        if root is None:
            return
        site = self.site_for(response.url)
        if site is not None:
            self.crawler.stats.inc_value(f"partynews/site/{site.key}/feeds")
        links = [el.text.strip() for el in root.iter("link") if el.text and el.text.strip()]
        links += [el.get("href") for el in root.iter("{http://www.w3.org/2005/Atom}link") if el.get("href")]
        for link in links:
            yield from self._follow(response.urljoin(link))

    def parse_page(self, response: Response):
        site = self.site_for(response.url)
        if site is None or not isinstance(response, HtmlResponse):
            if site is not None:
                self.crawler.stats.inc_value("partynews/skipped/not_html")
            return
        kind = self.url_kind(site, response.url)
        if kind == "article":
            yield self._item(site, response)
        elif kind == "listing":
            self.crawler.stats.inc_value(f"partynews/site/{site.key}/listing_pages")
        # feeds the page announces in its head
        for href in response.xpath('//link[@rel="alternate"][contains(@type, "rss") or contains(@type, "atom")]/@href').getall():
            feed = response.urljoin(href)
            if self.site_for(feed) is site:
                yield scrapy.Request(normalize_url(feed, site), callback=self.parse_feed, errback=self.on_error,
                                     priority=20, meta={"site_key": site.key})
        # every page, articles included (their related-article links), is mined for more links
        for link in self._extractor.extract_links(response):
            yield from self._follow(link.url)

    def _follow(self, url: str):
        site = self.site_for(url)
        if site is None:
            self.crawler.stats.inc_value("partynews/skipped/offsite")
            return
        if urlsplit(url).path.lower().endswith(_IGNORED):
            self.crawler.stats.inc_value("partynews/skipped/not_html_link")
            return
        url = normalize_url(url, site)
        kind = self.url_kind(site, url)
        if kind == "denied":
            self.crawler.stats.inc_value("partynews/skipped/denied_url")
            return
        if kind == "article":
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error, priority=5,
                                 meta={"site_key": site.key})
        elif kind == "listing":
            count = self._listing_pages.get(site.key, 0)
            if count >= self._max_listing_pages:
                self.crawler.stats.inc_value("partynews/skipped/listing_budget")
                return
            self._listing_pages[site.key] = count + 1
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error, priority=1,
                                 meta={"site_key": site.key, "listing": True})

    def url_kind(self, site: Site, url: str) -> str:
        parts = urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        if any(p.search(target) for p in site.deny):
            return "denied"
        if any(p.search(target) for p in site.article):
            return "article"
        if any(p.search(target) for p in site.listing):
            return "listing"
        return "other"

    def _item(self, site: Site, response: Response) -> PageItem:
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        return PageItem(
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            site=site.as_dict(),
            fetched_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def on_error(self, failure):
        request = failure.request
        name = type(failure.value).__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            name = f"http_{response.status}"
        self.crawler.stats.inc_value(f"partynews/errors/{name}")
        site = self.site_for(request.url)
        if site is not None:
            self.crawler.stats.inc_value(f"partynews/site/{site.key}/errors")
        self.logger.info("fetch failed: %s %s", request.url, name)


def _join(base: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")
