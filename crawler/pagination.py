"""Listing pagination in the shapes these CMSs use: `/page-N` (NukeViet), `/page/N/` (WordPress), `/pN` and
`/trang-N` (generic portals), and `?page=N`, `?trang=N`, `?p=N`, `?paged=N`, `?pageindex=N`, `?cur=N` in the
query (ASP.NET, Liferay, generic). A listing URL splits into its listing (the URL without the page number) and
the page number, so the spider can walk each listing page after page, newest first, and stop it early."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_PATH_PAGE = re.compile(r"(?:/page-(\d+)|/page/(\d+)|/p(\d+)|/trang-(\d+))/?$", re.I)
_QUERY_PAGE = {"page", "trang", "p", "paged", "pageindex", "cur", "pagenumber"}


def split_page(url: str) -> tuple[str, int]:
    """(the listing's URL without its page number, the page number: 1 when the URL has none)."""
    parts = urlsplit(url)
    path, number = parts.path or "/", None
    match = _PATH_PAGE.search(path)
    if match:
        number = int(next(g for g in match.groups() if g))
        path = path[:match.start()] or "/"
    query = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _QUERY_PAGE and value.isdigit():
            number = int(value)
        else:
            query.append((name, value))
    listing = urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") or "/", urlencode(sorted(query)), ""))
    return listing, number or 1
