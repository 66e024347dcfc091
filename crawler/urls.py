"""One URL per page: tracking parameters, fragments and the http/https and www variants of a site's host
are folded onto the site's own origin before a request is made, so the scheduler's duplicate filter
sees one URL per page."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from pipelines.urls import strip_tracking


def normalize_url(url: str, site) -> str:
    """The URL on the site's own origin (scheme, www or not, port), without tracking parameters."""
    url = strip_tracking(url)
    if site is None:
        return url
    parts, base = urlsplit(url), urlsplit(site.base_url)
    host = (parts.hostname or "").removeprefix("www.")
    if host == (base.hostname or "").removeprefix("www."):
        parts = parts._replace(scheme=base.scheme, netloc=base.netloc)
    return urlunsplit(parts)
