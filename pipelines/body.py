"""The article body: its paragraphs in order, and its images with their captions.

Two ways in. Where the family (or site) names the element that holds the body and it holds enough text,
its blocks are walked directly: exact, and every paragraph kept. Elsewhere trafilatura finds the main text
in the pruned page. Either way captions are taken out first and moved to `images`.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import trafilatura

from .families import Profile
from .html_tree import is_ancestor, select, text_of
from .normalize import normalize_inline
from .residue import chrome_kind

BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table thead tbody tfoot "
    "tr td th caption figure figcaption center address header footer hr form fieldset details summary".split()
)
SKIP_TAGS = frozenset("script style noscript template iframe object embed svg canvas video audio map head".split())
_CAPTION_CLASS = re.compile(r"caption|chu-?thich|chuthich|img-?desc|image-?desc|photo-?desc|note|expEdit", re.I)
_CENTER = re.compile(r"text-align\s*:\s*center", re.I)
_BAD_IMG = re.compile(r"(^data:)|icon|logo|blank\.gif|spacer|pixel|loading|placeholder|/ads?/|banner|avatar|emoji", re.I)
MIN_CONTAINER_WORDS = 40


@dataclass
class Body:
    paragraphs: list[str]
    images: list[dict] = field(default_factory=list)
    mode: str = "container"          # "container" or "trafilatura"
    link_words: int = 0
    words: int = 0


def _image_url(img, base_url: str) -> str | None:
    for attr in ("data-src", "data-original", "data-lazy-src", "src"):
        src = (img.get(attr) or "").strip()
        if src and not src.startswith("data:"):
            break
    else:
        return None
    if _BAD_IMG.search(src):
        return None
    for dim in ("width", "height"):
        value = (img.get(dim) or "").strip().rstrip("px")
        if value.isdigit() and int(value) < 60:
            return None
    return urljoin(base_url, src)


def _is_styled_caption(el) -> bool:
    if _CAPTION_CLASS.search(el.get("class") or "") or _CAPTION_CLASS.search(el.get("id") or ""):
        return True
    text = text_of(el)
    if not text or len(text.split()) > 70:
        return False
    if _CENTER.search(el.get("style") or "") or (el.get("align") or "").lower() == "center":
        return True
    # the whole text is in <em>/<i>
    emph = " ".join(text_of(e) for e in el.iter("em", "i"))
    return bool(emph) and len(emph) >= 0.9 * len(text)


def _only_image(el) -> bool:
    return bool(list(el.iter("img"))) and len(text_of(el).split()) <= 3


def _heuristic_captions(container) -> list:
    """Caption paragraphs without a caption class: a short, centred or italic paragraph right after an
    image-only paragraph, or the text next to an image inside the same centred paragraph."""
    found = []
    for el in container.iter("p", "div", "span", "em", "i", "td"):
        if el.tag == "td":
            # old table layouts: an image row, then a caption row
            row = el.getparent()
            prev = row.getprevious() if row is not None else None
            if prev is not None and prev.tag == "tr" and _only_image(prev) and not list(el.iter("img")) \
                    and len(row) == 1 and _is_styled_caption(el):
                found.append(el)
            continue
        if el.tag in ("p", "div"):
            prev = el.getprevious()
            if prev is not None and isinstance(prev.tag, str) and _only_image(prev) and not list(el.iter("img")):
                if _is_styled_caption(el):
                    found.append(el)
                    continue
            if list(el.iter("img")) and _is_styled_caption(el) and len(text_of(el).split()) > 3:
                # <p align=center><img><br><em>caption</em></p>: the caption is the emphasised text
                for emph in el.iter("em", "i"):
                    if text_of(emph):
                        found.append(emph)
                        break
    return found


def take_images(container, profile: Profile, base_url: str) -> list[dict]:
    """Collect images in document order and move their captions out of the tree."""
    captions = []
    for css in profile.caption:
        captions.extend(select(container, css))
    captions.extend(_heuristic_captions(container))
    caption_set = {id(c) for c in captions}
    images: list[dict] = []
    seen_urls: set[str] = set()
    to_drop = []
    for el in container.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "img":
            if any(is_ancestor(c, el) for c in to_drop):
                continue
            src = _image_url(el, base_url)
            if src and src not in seen_urls:
                seen_urls.add(src)
                images.append({"url": src, "caption": None})
        elif id(el) in caption_set and not any(is_ancestor(c, el) for c in to_drop):
            text = normalize_inline(text_of(el))
            if text and chrome_kind(text) != "image_file":
                pending = [im for im in images if im["caption"] is None]
                if pending:
                    pending[-1]["caption"] = text
            to_drop.append(el)
    for el in to_drop:
        if el.getparent() is not None:
            # captions holding their image (rare) keep the image out of the text anyway
            el.drop_tree()
    return images


def walk_paragraphs(container) -> tuple[list[str], int, int]:
    """Text of the container as paragraphs: every block element and <br> ends a paragraph."""
    out: list[str] = []
    buf: list[str] = []
    link_words = 0

    def flush():
        text = normalize_inline("".join(buf))
        buf.clear()
        if text:
            out.append(text)

    stack = [(container, False)]
    # iterative walk: hostile pages can nest deeper than Python's recursion limit
    while stack:
        el, closing = stack.pop()
        if closing:
            if el.tag in BLOCK_TAGS:
                flush()
            if el.tail:
                buf.append(el.tail)
            continue
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None or tag in SKIP_TAGS:
            if el.tail:
                buf.append(el.tail)
            continue
        if tag == "br":
            flush()
            if el.tail:
                buf.append(el.tail)
            continue
        if tag in BLOCK_TAGS:
            flush()
        if tag == "a":
            link_words += len(text_of(el).split())
        if el.text:
            buf.append(el.text)
        stack.append((el, True))
        for child in reversed(el):
            stack.append((child, False))
    flush()
    words = sum(len(p.split()) for p in out)
    return out, link_words, words


def container_body(container, profile: Profile, base_url: str) -> Body:
    images = take_images(container, profile, base_url)
    paragraphs, link_words, words = walk_paragraphs(container)
    return Body(paragraphs=paragraphs, images=images, mode="container", link_words=link_words, words=words)


_LIST_MARK = re.compile(r"^[-•*]\s+")


def trafilatura_body(root, profile: Profile, base_url: str) -> Body:
    """Main text found by trafilatura in the already-pruned page; images and captions from the part of
    the page that holds that text (not the sidebars)."""
    text = trafilatura.extract(
        copy.deepcopy(root), url=base_url, include_comments=False, include_tables=True, include_images=False,
        output_format="txt", deduplicate=False, with_metadata=False,
    ) or ""
    paragraphs = [normalize_inline(_LIST_MARK.sub("", line)) for line in text.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    region = _region_of(root, paragraphs)
    images = take_images(region, profile, base_url) if region is not None else []
    # trafilatura keeps some figure captions; the ones taken out above must not come back as text
    captions = {im["caption"] for im in images if im["caption"]}
    paragraphs = [p for p in paragraphs if p not in captions]
    return Body(paragraphs=paragraphs, images=images, mode="trafilatura",
                words=sum(len(p.split()) for p in paragraphs))


def _region_of(root, paragraphs: list[str]):
    """The smallest element holding the first and the last paragraph of the extracted text."""
    if not paragraphs:
        return None

    def holder(paragraph: str):
        probe = paragraph[:24]
        for el in root.iter():
            if isinstance(el.tag, str) and el.tag not in SKIP_TAGS and el.text and probe in normalize_inline(el.text):
                return el
        return None

    first, last = holder(paragraphs[0]), holder(paragraphs[-1])
    if first is None or last is None:
        return None
    ancestors = {id(a) for a in (first, *first.iterancestors())}
    for node in (last, *last.iterancestors()):
        if id(node) in ancestors:
            return node
    return None
