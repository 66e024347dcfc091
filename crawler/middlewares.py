"""Downloader middlewares: where a request may go, how big an answer may be, and per-site response counts.

Every refusal here is counted under `partynews/skipped/<reason>` (the report's `skipped`) and raised as
`Refused`, an IgnoreRequest: the request's errback sees it, nothing retries it, and the spider does not count
it again as an error.

    private_address           a literal private/loopback/link-local address (or localhost) in a URL
    private_address_resolved  a host name that resolves to one (crawler.dns_guard; checked on the address
                              the connection uses)
    offsite_redirect          a redirect (HTTP or meta refresh) to a host outside the crawled sites
    redirect_loop             a redirect back to a URL of its own chain
    redirect_limit            more than REDIRECT_MAX_TIMES redirects
    size_limit                a body above DOWNLOAD_MAXSIZE, declared, streamed or reached while decompressing

Retry-After on 429/503 answers is honoured up to PARTYNEWS_MAX_RETRY_AFTER seconds; a longer wait asked for
is not retried (the page ends as its HTTP status error).
"""
from __future__ import annotations

import ipaddress
import logging
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.url import url_is_from_any_domain
from w3lib.url import canonicalize_url

logger = logging.getLogger(__name__)


class Refused(IgnoreRequest):
    """A request refused on purpose, already counted under partynews/skipped/<reason>."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def refuse(stats, request, reason: str, message: str) -> Refused:
    stats.inc_value(f"partynews/skipped/{reason}")
    logger.info("refused (%s): %s %s", reason, request.url, message)
    return Refused(reason, f"{request.url} {message}")


def is_private_address(address: str) -> bool:
    """An address that is not globally reachable: loopback, private, shared, link-local, reserved, multicast or
    unspecified (IPv4-mapped IPv6 addresses are judged by their IPv4 address)."""
    try:
        addr = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    # not is_global: private, shared (100.64/10), documentation, benchmarking ... ranges too
    return not addr.is_global or addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved \
        or addr.is_multicast or addr.is_unspecified


def is_private_host(host: str) -> bool:
    """A literal loopback, private, link-local or reserved address, or localhost."""
    host = (host or "").strip("[]").lower().rstrip(".")
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    return is_private_address(host)


def allow_private(settings) -> bool:
    return settings.getbool("PARTYNEWS_ALLOW_PRIVATE")


class PrivateAddressGuard:
    """Refuses requests to literal loopback and private addresses unless PARTYNEWS_ALLOW_PRIVATE is set
    (tests and local mirrors set it). Host names that resolve to such addresses are refused by the DNS
    resolver (crawler.dns_guard.GuardedResolver) on the address the connection would use, and
    ResolvedAddressGuard turns that refusal into a counted `private_address_resolved`. Redirected requests pass
    through here again, so a redirect to a literal private address is refused too."""

    def __init__(self, allow: bool, stats):
        self.allow = allow
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(allow_private(crawler.settings), crawler.stats)

    def process_request(self, request, spider=None):
        if not self.allow and is_private_host(urlsplit(request.url).hostname or ""):
            raise refuse(self.stats, request, "private_address", "(use --allow-private)")
        return None


class ResolvedAddressGuard:
    """Counts requests whose host the guarded resolver refused, and stops their retries (installed above
    RetryMiddleware, so its process_exception runs first)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_exception(self, request, exception, spider=None):
        from crawler.dns_guard import refused_address

        host = urlsplit(request.url).hostname or ""
        address = refused_address(host)
        if address is not None and not isinstance(exception, IgnoreRequest):
            raise refuse(self.stats, request, "private_address_resolved", f"({host} resolves to {address})")
        return None


class _GuardedRedirectMixin:
    """Redirects stay on the crawled sites, never loop, and stop at REDIRECT_MAX_TIMES, each refusal counted;
    decided before the redirected request is scheduled, so an off-site target is never resolved."""

    def _redirect(self, redirected, request, reason):
        stats = self.crawler.stats
        spider = self.crawler.spider
        target = redirected.url
        if urlsplit(target).scheme not in ("http", "https"):
            raise refuse(stats, request, "offsite_redirect", f"-> {target} (not http)")
        site_for = getattr(spider, "site_for", None)
        if site_for is not None:
            offsite = site_for(target) is None
        else:
            offsite = not url_is_from_any_domain(target, getattr(spider, "allowed_domains", None) or [])
        if offsite:
            raise refuse(stats, request, "offsite_redirect", f"-> {target}")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        key = canonicalize_url(target)
        if any(canonicalize_url(u) == key for u in chain):
            raise refuse(stats, request, "redirect_loop", f"-> {target} (already in its chain)")
        try:
            return super()._redirect(redirected, request, reason)
        except Refused:
            raise
        except IgnoreRequest as exc:
            raise refuse(stats, request, "redirect_limit", f"-> {target} ({exc})") from exc


class GuardedRedirectMiddleware(_GuardedRedirectMixin, RedirectMiddleware):
    pass


class GuardedMetaRefreshMiddleware(_GuardedRedirectMixin, MetaRefreshMiddleware):
    pass


class BoundedHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, which stops at DOWNLOAD_MAXSIZE while decompressing (a gzip bomb never expands
    in memory past the limit), with the refusal counted as size_limit."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except Refused:
            raise
        except IgnoreRequest as exc:
            raise refuse(self.stats, request, "size_limit",
                         f"(expands beyond DOWNLOAD_MAXSIZE while decompressing: {exc})") from exc


class SizeLimitCounter:
    """Downloads the handler cancelled for DOWNLOAD_MAXSIZE (a declared Content-Length above it, or a streamed
    body that passed it) become counted size_limit refusals instead of retried errors. A streamed body is
    measured here too (the bytes_received signal), so only a cancellation for size is counted as one."""

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.received: dict[int, int] = {}
        if self.maxsize:
            crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _bytes_received(self, data, request, spider=None):
        self.received[id(request)] = self.received.get(id(request), 0) + len(data)

    def process_response(self, request, response, spider=None):
        self.received.pop(id(request), None)
        return response

    def process_exception(self, request, exception, spider=None):
        received = self.received.pop(id(request), 0)
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        if not maxsize:
            return None
        name = type(exception).__name__
        declared = name == "DownloadCancelledError" and "max size" in str(exception)
        streamed = name in ("DownloadCancelledError", "CancelledError") and received > maxsize
        if declared or streamed:
            raise refuse(self.stats, request, "size_limit", f"(body above DOWNLOAD_MAXSIZE {maxsize} B)")
        return None


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """RetryMiddleware that waits as long as a 429/503's Retry-After asks, up to PARTYNEWS_MAX_RETRY_AFTER
    seconds (the wait holds the download slot, so the whole site slows down, as the server asked); a longer
    wait is not retried."""

    def __init__(self, settings):
        super().__init__(settings)
        self.max_retry_after = settings.getfloat("PARTYNEWS_MAX_RETRY_AFTER", 60.0)

    async def process_response(self, request, response, spider=None):
        retries_left = request.meta.get("retry_times", 0) < request.meta.get("max_retry_times", self.max_retry_times)
        if response.status in (429, 503) and retries_left and not request.meta.get("dont_retry", False):
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is not None:
                if wait > self.max_retry_after:
                    logger.info("not retrying %s: Retry-After %ss is above PARTYNEWS_MAX_RETRY_AFTER", request.url, wait)
                    self.crawler.stats.inc_value("partynews/retry_after/too_long")
                    return response
                self.crawler.stats.inc_value("partynews/retry_after/waited")
                await _sleep(wait)
        return super().process_response(request, response)


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    from scrapy.utils.defer import maybe_deferred_to_future

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class SiteStats:
    """Counts responses per site (partynews/site/<key>/pages_fetched)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request, response, spider=None):
        key = request.meta.get("site_key")
        if key:
            self.stats.inc_value(f"partynews/site/{key}/pages_fetched")
            if response.status >= 400:
                self.stats.inc_value(f"partynews/site/{key}/http_errors")
        return response
