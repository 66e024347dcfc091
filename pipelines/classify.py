"""What kind of page this is: an article, or a page to drop with a reason."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from urllib.parse import urldefrag, urljoin, urlsplit

import yaml

from .html_tree import text_of
from .normalize import normalize_inline


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


def link_titles(root, url: str) -> set[str]:
    """Texts of links to other pages that are long enough to be a headline (four words or more)."""
    here = urldefrag(url)[0]
    titles = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        if urldefrag(urljoin(url, href))[0] == here:
            continue
        text = normalize_inline(text_of(a))
        if len(text.split()) >= 4:
            titles.add(text)
    return titles


def headline_share(paragraphs: list[str], titles: set[str]) -> tuple[int, int]:
    """How many of the extracted paragraphs are headlines of links to other pages, and the words of the rest.
    A listing, a tag page or a video page's text is mostly other articles' headlines (with their summaries);
    an article's text, once the related-news lists are cut away, has none or very few."""
    headlines = sum(1 for p in paragraphs if p in titles)
    own_words = sum(len(p.split()) for p in paragraphs if p not in titles)
    return headlines, own_words


def undated_static_path(url: str) -> bool:
    """A path with no number in it (no article id, no date): the shape of a site's fixed pages. Articles
    with such paths (WordPress slugs) are dated; an undated page of this shape is not an article."""
    path = urlsplit(url).path
    return not re.search(r"\d", path)
