"""What kind of page this is: an article, or a page to drop with a reason."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

import yaml

from .html_tree import text_of


@lru_cache(maxsize=1)
def _rules() -> dict[str, re.Pattern]:
    raw = yaml.safe_load(resources.files("pipelines").joinpath("rules/pages.yaml").read_text(encoding="utf-8"))
    return {kind: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) for kind, patterns in raw.items()}


def is_challenge(root, page_words: int) -> bool:
    if page_words > 400:
        return False
    head = text_of(root.find(".//title")) if root.find(".//title") is not None else ""
    body = root.find("body")
    sample = head + " " + (text_of(body)[:3000] if body is not None else "")
    markup = "".join(s.text or "" for s in root.iter("script"))[:20000]
    forms = " ".join(f.get("id", "") + " " + f.get("action", "") for f in root.iter("form"))
    return bool(_rules()["challenge"].search(sample) or _rules()["challenge"].search(markup + forms))


def is_error_page(title_text: str | None, headline: str | None, body_words: int, headings=()) -> bool:
    """An error message in the title or a heading, and no article text to speak of."""
    if body_words >= 120:
        return False
    probe = [x for x in (title_text, headline, *headings) if x]
    return any(_rules()["error"].search(p) for p in probe if len(p) <= 200)


def listing_url(url: str) -> bool:
    parts = urlsplit(url)
    path = parts.path or "/"
    if _rules()["not_article_path"].search(path):
        # an .aspx/.php path is a listing only when its query does not name one item
        if path.endswith((".aspx", ".php")) and re.search(r"(^|&)(id|itemid|newsid|contentid|cid)=\d", parts.query, re.I):
            return False
        return True
    return bool(parts.query and _rules()["not_article_query"].search(parts.query))


def teaser_count(root) -> int:
    """Links that look like article teasers: a title-length text inside a heading or list item."""
    count = 0
    for a in root.iter("a"):
        words = len(text_of(a).split())
        if 6 <= words <= 40:
            count += 1
    return count
