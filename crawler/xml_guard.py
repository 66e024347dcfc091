"""Hostile XML in feeds and sitemaps.

Feeds and sitemaps are parsed by lxml with entity expansion off, no network and no DTD loading
(`resolve_entities=False`, `no_network=True`, `load_dtd=False`, `huge_tree=False`: scrapy.utils.sitemap.Sitemap
and the spider's feed parser), so neither a billion-laughs document nor an external entity (a local file,
a URL) is ever expanded or fetched. On top of that, a feed or sitemap whose DTD declares entities at all is
refused and counted (no real feed or sitemap needs one: defusedxml's `forbid_entities`), and a gzipped
sitemap is decompressed in chunks up to DOWNLOAD_MAXSIZE (scrapy.utils.gz.gunzip with max_size).
"""
from __future__ import annotations

import re

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENTITY = re.compile(rb"<!ENTITY", re.I)


def declares_entities(body: bytes) -> bool:
    """True when the document's prolog (what comes before its root element) declares an entity."""
    match = _DOCTYPE.search(body, 0, 1 << 20)
    if match is None or _ELEMENT.search(body, 0, match.start()):
        return False
    root = _ELEMENT.search(body, match.end())
    return bool(_ENTITY.search(body, match.end(), root.start() if root else len(body)))
