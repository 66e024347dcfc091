"""The one spider: discovers article pages of the chosen sites from robots.txt sitemaps, feeds, sitemaps and
listing pages, and hands every article page, raw, to the item pipelines.

    scrapy crawl party_news -a site=ninhbinh-dcs,heza -a url=https://example.dcs.vn/
"""
from __future__ import annotations

import re
import time
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from protego import Protego
from scrapy import signals
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.items import PageItem
from crawler.links import page_links
from crawler.pagination import split_page
from crawler.registry import Site, adhoc_site, load_registry
from crawler.urls import normalize_url
from pipelines.dates import parse_iso
from pipelines.state_access import state_of

_FEED_TYPES = re.compile(r"(rss|atom|xml)", re.I)
_IGNORED = tuple("." + ext for ext in IGNORED_EXTENSIONS)
_SKIPPED_MEMORY = 50_000
_LINK_MEMORY = 20_000          # links classified (site, normalised URL, kind); the oldest are forgotten first
_REQUESTED_MEMORY = 100_000    # new-article URLs already handed to the scheduler


def _remember(memory: OrderedDict, key, value, limit: int) -> None:
    """Add to a bounded memory; past `limit` entries the oldest is forgotten (memory stays flat on big sites)."""
    memory[key] = value
    if len(memory) > limit:
        memory.popitem(last=False)


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
        self._known_streak: dict[tuple[str, str], int] = {}   # (site, listing) -> consecutive known articles
        # URLs skipped as known or dropped before, so that one linked from many pages is counted once. Bounded:
        # a URL not met again for _SKIPPED_MEMORY other skips may be counted twice (memory stays flat on big sites)
        self._skipped_known: OrderedDict[str, None] = OrderedDict()
        # Every page repeats the site's navigation and related-article links: a link met before is not classified
        # again, and a new article already scheduled in this run is not followed again (the request filter would
        # drop it, after ~60 µs of checks, state lookups, request building and middlewares). Both bounded.
        self._links: OrderedDict[str, tuple] = OrderedDict()
        self._requested: OrderedDict[str, None] = OrderedDict()

    # -- setup ------------------------------------------------------------------------------------------
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup(crawler.settings)
        crawler.signals.connect(spider._scheduled, signal=signals.request_scheduled)
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
        self._incremental = settings.getbool("PARTYNEWS_INCREMENTAL", True)
        self._stop_after_known = settings.getint("PARTYNEWS_STOP_AFTER_KNOWN", 20)
        self._revisit = timedelta(days=settings.getfloat("PARTYNEWS_REVISIT_DAYS", 7))
        started = datetime.now(timezone.utc)
        self._run_started = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        recheck = timedelta(days=settings.getfloat("PARTYNEWS_RECHECK_DROPPED_DAYS", 30))
        # a page dropped in an earlier run (not this one: the request filter sees to that) within the window
        self._recheck_since = (started - recheck).strftime("%Y-%m-%dT%H:%M:%SZ")

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
        from crawler.redis_frontier import seed_gate

        gate = seed_gate(self.crawler)      # workers sharing a Redis crawl: the first one seeds it, once
        if gate is not None and not gate.try_seed():
            return
        for request in self._start_requests():
            yield request
        if gate is not None:
            gate.seeded()

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
        self._mark(site)
        if site is None or response.status != 200:
            return
        robots = Protego.parse(response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace"))
        self.crawler.stats.inc_value(f"partynews/site/{site.key}/robots_txt")
        for sitemap in robots.sitemaps:
            if self.site_for(sitemap) is site:
                yield scrapy.Request(normalize_url(sitemap, site), callback=self.parse_sitemap, meta={"site_key": site.key},
                                     errback=self.on_error, priority=20)

    def parse_sitemap(self, response: Response):
        from crawler.xml_guard import declares_entities

        body = response.body
        stats = self.crawler.stats
        if body[:2] == b"\x1f\x8b":
            # decompressed in chunks, stopped at DOWNLOAD_MAXSIZE: a gzip bomb never expands past it
            max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            try:
                body = gunzip(body, max_size=max_size) if max_size else gunzip(body)
            except ValueError as exc:          # scrapy's _DecompressionMaxSizeExceeded
                stats.inc_value("partynews/skipped/sitemap_too_large")
                self.logger.info("sitemap skipped: %s expands beyond DOWNLOAD_MAXSIZE (%s)", response.url, exc)
                return
            except (OSError, EOFError) as exc:
                stats.inc_value("partynews/skipped/bad_sitemap")
                self.logger.info("sitemap skipped: %s is not valid gzip (%s)", response.url, exc)
                return
        if declares_entities(body):
            stats.inc_value("partynews/skipped/xml_entities")
            self.logger.info("sitemap skipped: %s declares XML entities", response.url)
            return
        try:
            sitemap = Sitemap(body)   # lxml iterparse, resolve_entities=False, no network, no huge_tree
        except (etree.XMLSyntaxError, ValueError, StopIteration):
            stats.inc_value("partynews/skipped/bad_sitemap")
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
                yield from self._follow(loc, lastmod=entry.get("lastmod"))

    def parse_feed(self, response: Response):
        from crawler.xml_guard import declares_entities

        if not _FEED_TYPES.search(response.headers.get("Content-Type", b"").decode("latin-1")) \
                and not response.body.lstrip()[:100].lower().startswith((b"<?xml", b"<rss", b"<feed")):
            return
        if declares_entities(response.body):
            self.crawler.stats.inc_value("partynews/skipped/xml_entities")
            self.logger.info("feed skipped: %s declares XML entities", response.url)
            return
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True,
                                     huge_tree=False)
            root = etree.fromstring(response.body, parser=parser)
        except etree.XMLSyntaxError:
            self.crawler.stats.inc_value("partynews/skipped/bad_feed")
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

    def _mark(self, site: Site | None) -> None:
        """First and last response time per site, for the report's per-site duration."""
        if site is not None:
            now = time.time()
            self.crawler.stats.min_value(f"partynews/site/{site.key}/first_response", now)
            self.crawler.stats.max_value(f"partynews/site/{site.key}/last_response", now)

    def parse_page(self, response: Response):
        site = self.site_for(response.url)
        self._mark(site)
        if response.status == 304:
            yield from self._not_modified(site, response)
            return
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
        # every page, articles included (their related-article links), is mined for more links; all of them:
        # site membership is checked per link by site_for(), and links to documents and media are counted as
        # skipped, never fetched
        links = page_links(response)
        walk = None
        if kind == "listing" or response.meta.get("listing"):
            walk = self._listing_walk(site, response.url, links)
        for url in links:
            yield from self._follow(url, walk=walk)

    def _listing_walk(self, site: Site, url: str, links: list[str]) -> tuple[str, int, bool]:
        """Where this listing page stands in its listing, and whether the listing is exhausted: its article
        links, in page order (newest first), ended a run of `PARTYNEWS_STOP_AFTER_KNOWN` consecutive
        articles the state already holds, counted across its pages."""
        listing, number = split_page(url)
        key = (site.key, listing)
        streak = self._known_streak.get(key, 0)
        if self._incremental:
            for link in links:
                if self.site_for(link) is not site:
                    continue
                target = normalize_url(link, site)
                if self.url_kind(site, target) != "article":
                    continue
                streak = streak + 1 if self._known(target) is not None else 0
        self._known_streak[key] = streak
        exhausted = self._incremental and self._stop_after_known > 0 and streak >= self._stop_after_known
        return listing, number, exhausted

    def _first_skip(self, url: str) -> bool:
        """True the first time (within the last _SKIPPED_MEMORY skips) this URL is skipped."""
        if url in self._skipped_known:
            self._skipped_known.move_to_end(url)
            return False
        _remember(self._skipped_known, url, None, _SKIPPED_MEMORY)
        return True

    def _classify(self, url: str) -> tuple:
        """(site, normalised URL, kind) of a link, or (None, None, skip reason); remembered per link."""
        found = self._links.get(url)
        if found is not None:
            return found
        site = self.site_for(url)
        if site is None:
            found = (None, None, "offsite")
        elif urlsplit(url).path.lower().endswith(_IGNORED):
            found = (None, None, "not_html_link")
        else:
            target = normalize_url(url, site)
            found = (site, target, self.url_kind(site, target))
        _remember(self._links, url, found, _LINK_MEMORY)
        return found

    def _scheduled(self, request, spider=None):
        """A request for a new article reaches the scheduler (and its duplicate filter): a later link to the
        same URL is dropped there whatever the state says (a new article stays new to `_known` within the
        run, and a page dropped in this run is not `dropped_since`), so `_follow` may skip it at once. Only
        requests the filter sees count: not dont_filter ones, not revisits of known articles (a later link
        could be skipped as known and counted), and only once scheduled (a request dropped on the way, e.g.
        past DEPTH_LIMIT, may come back by a shorter path)."""
        if request.dont_filter or request.callback != self.parse_page or request.meta.get("listing") \
                or "known_id" in request.meta:
            return
        _remember(self._requested, request.url, None, _REQUESTED_MEMORY)

    def _follow(self, url: str, *, lastmod: str | None = None, walk: tuple[str, int, bool] | None = None):
        site, url_or_none, kind = self._classify(url)
        if site is None:
            self.crawler.stats.inc_value(f"partynews/skipped/{kind}")
            return
        url = url_or_none
        if kind == "denied":
            self.crawler.stats.inc_value("partynews/skipped/denied_url")
            return
        if kind == "article":
            if url in self._requested:
                return
            meta = {"site_key": site.key}
            headers = {}
            if self._incremental and state_of(self.crawler).dropped_since(url, self._recheck_since, self._run_started):
                if self._first_skip(url):
                    self.crawler.stats.inc_value(f"partynews/site/{site.key}/skipped_dropped_before")
                    self.crawler.stats.inc_value("partynews/skipped/dropped_before")
                return
            known = self._known(url)
            if known is not None:
                if not self._due_for_revisit(known, lastmod):
                    if self._first_skip(url):
                        self.crawler.stats.inc_value("partynews/articles/skipped_known")
                        self.crawler.stats.inc_value(f"partynews/site/{site.key}/skipped_known")
                    return
                # a known article worth a look: ask the server whether it changed since we fetched it
                meta.update(known_id=known.id, handle_httpstatus_list=[304])
                if known.etag:
                    headers["If-None-Match"] = known.etag
                if known.last_modified:
                    headers["If-Modified-Since"] = known.last_modified
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error, priority=5, meta=meta,
                                 headers=headers or None)
        elif kind == "listing":
            listing, number = split_page(url)
            if walk is not None and listing == walk[0]:
                # the listing's own pagination: one page after the other, newest first, until exhausted
                if number != walk[1] + 1:
                    return
                if walk[2]:
                    self.crawler.stats.inc_value(f"partynews/site/{site.key}/listings_stopped_known")
                    return
            elif number > 1:
                return          # another listing is entered at its first page, not in its middle
            count = self._listing_pages.get(site.key, 0)
            if count >= self._max_listing_pages:
                self.crawler.stats.inc_value("partynews/skipped/listing_budget")
                return
            self._listing_pages[site.key] = count + 1
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error, priority=1,
                                 meta={"site_key": site.key, "listing": True})

    # -- incremental ------------------------------------------------------------------------------------
    def _known(self, url: str):
        """The state's entry for an article URL known from an earlier run (one fetched in this run is left to
        the duplicate-request filter)."""
        if not self._incremental:
            return None
        known = state_of(self.crawler).lookup_url(url)
        if known is not None and known.last_seen >= self._run_started:
            return None
        return known

    def _due_for_revisit(self, known, lastmod: str | None) -> bool:
        """Recently published articles are revisited (cheaply, conditionally), and any article whose sitemap
        `<lastmod>` is later than our last fetch of it."""
        now = datetime.now(timezone.utc)
        if lastmod:
            changed = parse_iso(lastmod)
            last_seen = _utc(known.last_seen)
            if changed is not None and last_seen is not None and changed.value > last_seen:
                return True
        published = parse_iso(known.published_at) if known.published_at else None
        reference = published.value if published is not None else _utc(known.first_seen)
        return reference is not None and now - reference <= self._revisit

    def _not_modified(self, site: Site | None, response: Response):
        known_id = response.meta.get("known_id")
        if known_id:
            state_of(self.crawler).touch(known_id, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.crawler.stats.inc_value("partynews/articles/not_modified")
        if site is not None:
            self.crawler.stats.inc_value(f"partynews/site/{site.key}/not_modified")
        return ()

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
            requested_url=(response.meta.get("redirect_urls") or [response.request.url])[0],
            status=response.status,
            headers=headers,
            body=response.body,
            site=site.as_dict(),
            fetched_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def on_error(self, failure):
        from crawler.middlewares import Refused

        request = failure.request
        if isinstance(failure.value, Refused):
            # refused on purpose (off-site or private target, redirect loop, size limit): counted under
            # skipped/<reason> by the middleware that refused it
            self.logger.info("refused: %s %s", request.url, failure.value.reason)
            return
        name = type(failure.value).__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            name = f"http_{response.status}"
        self.crawler.stats.inc_value(f"partynews/errors/{name}")
        site = self.site_for(request.url)
        if site is not None:
            self.crawler.stats.inc_value(f"partynews/site/{site.key}/errors")
            self.crawler.stats.inc_value(f"partynews/site/{site.key}/errors/{name}")
        self.logger.info("fetch failed: %s %s", request.url, name)


def _utc(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _join(base: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")
