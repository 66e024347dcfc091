"""The DNS-level half of the private-address guard.

`GuardedResolver` is Scrapy's caching resolver (DNS_RESOLVER) with one more step: unless
PARTYNEWS_ALLOW_PRIVATE is set, an address that is loopback, private, link-local, reserved, multicast or
unspecified is refused *as the answer of the lookup*, so the connection is never opened. The address checked
is the address Twisted would connect to (there is no second lookup to race: no time-of-check/time-of-use gap),
and the refusal holds for every request, robots.txt included. Refused hosts are remembered so that
`crawler.middlewares.ResolvedAddressGuard` counts them (`skipped.private_address_resolved`) and stops their
retries.

Installed by crawler/settings.py: TWISTED_DNS_RESOLVER = "crawler.dns_guard.GuardedResolver".
"""
from __future__ import annotations

import logging

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.middlewares import allow_private, is_private_address

logger = logging.getLogger(__name__)

_refused: dict[str, str] = {}          # host name -> the private address it resolved to


def refused_address(host: str) -> str | None:
    return _refused.get(host.lower().rstrip(".")) if host else None


class PrivateAddressLookupError(DNSLookupError):
    """The name resolves to an address the crawler must not connect to."""


class GuardedResolver(CachingThreadedResolver):
    allow: bool = False

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow = allow_private(crawler.settings)
        return resolver

    def getHostByName(self, name: str, timeout=()):
        d = super().getHostByName(name, timeout)
        if not self.allow:
            d.addCallback(self._check, name)
        return d

    @staticmethod
    def _check(address: str, name: str) -> str:
        if is_private_address(address):
            _refused[name.lower().rstrip(".")] = address
            logger.info("refused: %s resolves to the private address %s", name, address)
            raise PrivateAddressLookupError(f"{name} resolves to {address}, a private address (use --allow-private)")
        return address
