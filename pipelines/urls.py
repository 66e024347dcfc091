"""URL hygiene shared by the crawler and the cleaning core: tracking parameters are not part of a page's
identity."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from w3lib.url import url_query_cleaner

# Parameters that only say where a visitor came from.
TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|zarsrc|zanalytics|_ga|_gl|mc_cid|mc_eid|igshid|"
                      r"ref|ref_src|spm|share|from|cmp|sharetype|rcm)$", re.I)


def strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url.split("#", 1)[0]
    names = [pair.split("=", 1)[0] for pair in parts.query.split("&") if pair]
    tracking = [n for n in names if TRACKING.match(n)]
    cleaned = url_query_cleaner(url, tracking, remove=True, keep_fragments=False) if tracking else url
    return cleaned.split("#", 1)[0]
