"""The Vietnamese residue pass: chrome left inside the extracted paragraphs, removed by kind.

Rules are data (rules/residue.yaml). Every pattern must match a whole paragraph, so body text that merely
mentions "bình luận" or "từ khóa" stays. Position matters for what only makes sense at the edges: bylines,
attributions and teaser runs are looked for in the tail after the last paragraph of real text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from .bylines import parse_byline

_ELLIPSIS_END = re.compile(r"(…|\.\.\.)\s*[\"”»)]?$")
_SENTENCE_END = re.compile(r"[.!?…:;\"”»)\]。！？」』）]$")
_WORD = re.compile(r"\w+")
_TAGS_LINE = re.compile(r"^(từ khóa|từ khoá|tags?|thẻ)\s*:\s*(?P<tags>.+)$", re.IGNORECASE)
_SITE_PREFIX = re.compile(
    r"^\(\s*(?P<src>(?:[\w.\-]+\.(?:vn|com|net|org|gov)(?:\.vn)?)|[A-ZĐ][A-ZĐ0-9&.\- ]{1,18}|[\w.]+\.vn)\s*\)\s*[-–—:]*\s*",
)


@lru_cache(maxsize=1)
def rules() -> dict:
    text = resources.files("pipelines").joinpath("rules/residue.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)

    def whole(patterns):
        return re.compile(r"^(?:" + "|".join(f"(?:{p})" for p in patterns) + r")$", re.IGNORECASE)

    return {
        "line": {kind: whole(pats) for kind, pats in raw["line"].items()},
        "section_start": whole(raw["section_start"]),
        "attribution": whole(raw["attribution"]),
        "byline_prefix": re.compile(r"^(?:" + "|".join(raw["byline_prefix"]) + ")", re.IGNORECASE),
        "not_a_name": {s.casefold() for s in raw["not_a_name"]},
    }


def words(text: str) -> int:
    return len(_WORD.findall(text))


def chrome_kind(paragraph: str) -> str | None:
    """The kind of chrome a whole paragraph is, or None for text."""
    probe = paragraph.strip().strip("|•·-–—>»").strip()
    if not probe:
        return "empty"
    for kind, pattern in rules()["line"].items():
        if pattern.match(probe):
            return kind
    return None


def is_section_start(paragraph: str) -> bool:
    return bool(rules()["section_start"].match(paragraph.strip().rstrip(":").strip()))


def is_teaser(paragraph: str) -> bool:
    """A teaser of another article: a short line cut with an ellipsis, or a bare short title."""
    n = words(paragraph)
    return (n <= 45 and bool(_ELLIPSIS_END.search(paragraph))) or (n <= 25 and not _SENTENCE_END.search(paragraph))


def is_content(paragraph: str) -> bool:
    """A paragraph of real text: a sentence, not a label or a teaser."""
    n = words(paragraph)
    if (n >= 30 or len(paragraph) >= 180) and not _ELLIPSIS_END.search(paragraph):
        return True
    return n >= 6 and bool(_SENTENCE_END.search(paragraph)) and not _ELLIPSIS_END.search(paragraph)


@dataclass
class Residue:
    paragraphs: list[str]
    tags: list[str] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (kind, paragraph)


def strip_site_prefix(paragraph: str) -> str:
    """`(Thanhuytphcm.vn) - Sáng 5/1, ...` -> `Sáng 5/1, ...`."""
    return _SITE_PREFIX.sub("", paragraph, count=1)


def remove_residue(paragraphs: list[str]) -> Residue:
    out = Residue(paragraphs=[])
    kept: list[str] = []
    in_section = False
    for para in paragraphs:
        tags = _TAGS_LINE.match(para)
        if tags:
            out.tags.extend(t.strip() for t in re.split(r"[,;|]", tags.group("tags")) if t.strip())
            out.removed.append(("tags_label", para))
            continue
        kind = chrome_kind(para)
        if kind:
            out.removed.append((kind, para))
            continue
        if is_section_start(para):
            in_section = True
            out.removed.append(("section", para))
            continue
        if in_section:
            if is_teaser(para) or not is_content(para):
                out.removed.append(("teaser", para))
                continue
            in_section = False
        kept.append(para)
    out.paragraphs = _trim_tail(kept, out)
    return out


def _trim_tail(paragraphs: list[str], out: Residue) -> list[str]:
    """After the last paragraph of real text only a byline, an attribution and chrome remain."""
    last = len(paragraphs) - 1
    while last >= 0 and not is_content(paragraphs[last]):
        last -= 1
    tail = paragraphs[last + 1:]
    body = paragraphs[: last + 1]
    # a run of teasers cut with "…" right after the text: drop the run, and the text's last
    # paragraph too if it is one of them (short and cut)
    teasers = 0
    while body and words(body[-1]) <= 45 and _ELLIPSIS_END.search(body[-1]) and _is_run_of_teasers(body, tail):
        out.removed.append(("teaser", body.pop()))
        teasers += 1
    keep_tail: list[str] = []
    byline_seen = False
    for para in tail:
        if rules()["attribution"].match(para):
            out.removed.append(("attribution", para))
        elif byline_seen:
            # what follows the byline is the page around the article (menus, teasers, banners)
            out.removed.append(("after_byline", para))
        elif names := parse_byline(para, rules()):
            out.bylines.extend(names)
            out.removed.append(("byline", para))
            byline_seen = True
        else:
            keep_tail.append(para)
    # with no byline to mark the end: teasers cut with "…" and a closing run of menu labels still go
    while keep_tail and (_ELLIPSIS_END.search(keep_tail[-1]) and words(keep_tail[-1]) <= 45):
        out.removed.append(("teaser", keep_tail.pop()))
    labels = 0
    while labels < len(keep_tail) and _is_label(keep_tail[-1 - labels]):
        labels += 1
    if labels >= 2:
        for _ in range(labels):
            out.removed.append(("menu", keep_tail.pop()))
    return body + keep_tail


def _is_label(paragraph: str) -> bool:
    """A menu entry: a few words, no sentence punctuation, no numbers."""
    return words(paragraph) <= 6 and not _SENTENCE_END.search(paragraph) and not re.search(r"\d", paragraph)


def _is_run_of_teasers(body: list[str], tail: list[str]) -> bool:
    if len(body) >= 2 and words(body[-2]) <= 45 and _ELLIPSIS_END.search(body[-2]):
        return True
    return any(_ELLIPSIS_END.search(p) and words(p) <= 45 for p in tail)
