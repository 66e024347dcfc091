"""Bylines: the short name line at the end of an article ("Thái Bình", "B.H", "Minh Trí").

A byline can be a place name too ("Thái Bình"), so it is told by position (the first short line after the
last paragraph of text, or an author element) and shape (capitalised syllables or initials), not by a list
of names.
"""
from __future__ import annotations

import re

_PARENS = re.compile(r"\s*\([^()]{0,60}\)\s*$")
_SPLIT = re.compile(r"\s*(?:,|;|\s[-–—]\s|\svà\s|\s&\s|/)\s*", re.IGNORECASE)
_INITIALS = re.compile(r"^(?:[A-ZĐ]\.){0,4}[A-ZĐ]\.?$|^[A-ZĐ]{1,4}$")


def _name_token(token: str) -> bool:
    """A capitalised syllable: "Minh", "Đức", "Thùy" (a trailing dot allowed for abbreviations)."""
    core = token[:-1] if token.endswith(".") else token
    return bool(core) and core[0].isupper() and core[0].isalpha() and (core[1:].islower() or not core[1:]) \
        and core.isalpha()
_DIGIT = re.compile(r"\d")
_INITIALS_NAME = re.compile(r"^(?:[A-ZĐ]\.){1,4}\w+$")


def looks_like_name(candidate: str, not_a_name: set[str] | frozenset = frozenset()) -> bool:
    candidate = candidate.strip().strip(".").strip()
    if not candidate or len(candidate) > 40 or _DIGIT.search(candidate):
        return False
    if candidate.casefold() in not_a_name:
        return False
    tokens = candidate.split()
    if len(tokens) > 5:
        return False
    if len(tokens) == 1 and _INITIALS.match(tokens[0]):
        return True
    if len(tokens) > 1 and all(_INITIALS.match(t) or _name_token(t) for t in tokens):
        # "Thái Bình", "Minh Trí", "Nguyễn T. Hà"; a single capitalised word ("All", "Video") is not a byline
        return True
    # "N.T.Hà" style
    return len(tokens) == 1 and bool(_INITIALS_NAME.match(tokens[0])) and tokens[0].split(".")[-1][1:].islower()


def parse_byline(paragraph: str, rules: dict) -> list[str]:
    """Names in a byline paragraph, or [] if it is not one."""
    text = paragraph.strip()
    if not text or len(text) > 90:
        return []
    text = rules["byline_prefix"].sub("", text, count=1).strip()
    text = _PARENS.sub("", text).strip()
    if not text:
        return []
    names = [n.strip() for n in _SPLIT.split(text) if n.strip()]
    if not names or not all(looks_like_name(n, rules["not_a_name"]) for n in names):
        return []
    return [n.strip().rstrip(".") if not _INITIALS.match(n.strip()) else n.strip() for n in names]


def split_names(value: str, rules: dict) -> list[str]:
    """Names out of an author element or meta value; anything that is not name-shaped is left out."""
    value = rules["byline_prefix"].sub("", value.strip(), count=1)
    value = _PARENS.sub("", value).strip()
    return [n for n in (x.strip() for x in _SPLIT.split(value)) if n and looks_like_name(n, rules["not_a_name"])]
