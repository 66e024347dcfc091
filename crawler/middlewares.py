"""Downloader middlewares: the private-address guard and per-site response counts."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest


def is_private_host(host: str) -> bool:
    """A literal loopback, private, link-local or reserved address, or localhost."""
    host = (host or "").strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_multicast \
        or addr.is_unspecified


class PrivateAddressGuard:
    """Refuses requests to loopback and private addresses unless PARTYNEWS_ALLOW_PRIVATE is set
    (tests and local mirrors set it). Host names are checked as written; checking the addresses they
    resolve to is the DNS-level guard's job."""

    def __init__(self, allow: bool, stats):
        self.allow = allow
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("PARTYNEWS_ALLOW_PRIVATE"), crawler.stats)

    def process_request(self, request, spider=None):
        if not self.allow and is_private_host(urlsplit(request.url).hostname or ""):
            self.stats.inc_value("partynews/skipped/private_address")
            raise IgnoreRequest(f"private address refused: {request.url} (use --allow-private)")
        return None


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
