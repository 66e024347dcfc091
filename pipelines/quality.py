"""Quality filters suited to Vietnamese text, with their thresholds as data (rules/quality.yaml).

The cleaning core calls `check` in its filter step, after too_short and not_vietnamese; each filter has its
own drop reason:

- `low_vietnamese_letters`: too few letters of the Vietnamese alphabet among the characters (figures, symbols,
  mis-decoded bytes), or too few letters with a Vietnamese diacritic among the letters (a text typed without
  tone marks, a foreign text that slipped past language identification);
- `menu_lines`: a large share of the lines are runs of short, unpunctuated items (a menu or link list that
  the extraction kept);
- `repeated_lines`: a large share of the lines (or of the characters) repeat earlier lines.

The minimum length is the core's `too_short` (PARTYNEWS_MIN_WORDS).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from .normalize import comparison_key

_VOWELS_MARKED = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
_MARKED = frozenset(_VOWELS_MARKED + _VOWELS_MARKED.upper())
# the Vietnamese alphabet plus f j w z, which loanwords and names use
_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ") | _MARKED
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?…:;,\"”»)\]]$")

REASONS = ("low_vietnamese_letters", "menu_lines", "repeated_lines")


@dataclass(frozen=True)
class Verdict:
    reason: str
    detail: str


@lru_cache(maxsize=1)
def rules() -> dict:
    text = resources.files("pipelines").joinpath("rules/quality.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def lines_of(text: str) -> list[str]:
    """The lines the filters judge: the record's paragraphs (blank-line separated), or its lines."""
    return [line.strip() for line in re.split(r"\n+", text) if line.strip()]


def letter_shares(text: str) -> tuple[float, float, int]:
    """(alphabet letters / non-space characters, marked letters / letters, letters)."""
    chars = alphabet = marked = letters = 0
    for ch in text:
        if ch.isspace():
            continue
        chars += 1
        if ch in _ALPHABET:
            alphabet += 1
        if ch.isalpha():
            letters += 1
            if ch in _MARKED:
                marked += 1
    return (alphabet / chars if chars else 0.0), (marked / letters if letters else 0.0), letters


def is_menu_like(line: str, max_words: int) -> bool:
    words = _WORD.findall(line)
    return 0 < len(words) <= max_words and not _DIGIT.search(line) and not _SENTENCE_END.search(line)


def menu_line_count(lines: list[str], max_words: int, min_run: int) -> int:
    """Menu-like lines that stand in runs of at least `min_run` such lines."""
    counted = run = 0
    for line in [*lines, None]:
        if line is not None and is_menu_like(line, max_words):
            run += 1
            continue
        if run >= min_run:
            counted += run
        run = 0
    return counted


def repeated_lines(lines: list[str]) -> tuple[int, int]:
    """(lines that repeat an earlier line, their characters)."""
    seen: set[str] = set()
    count = chars = 0
    for line in lines:
        key = comparison_key(line)
        if key in seen:
            count += 1
            chars += len(line)
        seen.add(key)
    return count, chars


def check(text: str, config: dict | None = None) -> Verdict | None:
    """The first quality filter the text fails, or None."""
    config = config or rules()
    lines = lines_of(text)
    if not lines:
        return None

    cfg = config["low_vietnamese_letters"]
    letter_share, marked_share, letters = letter_shares(text)
    if letters >= cfg["min_letters"]:
        if letter_share < cfg["min_letter_share"]:
            return Verdict("low_vietnamese_letters",
                           f"letters are {letter_share:.2f} of the characters (min {cfg['min_letter_share']})")
        if marked_share < cfg["min_diacritic_share"]:
            return Verdict("low_vietnamese_letters",
                           f"marked letters are {marked_share:.2f} of the letters (min {cfg['min_diacritic_share']})")

    cfg = config["menu_lines"]
    menu = menu_line_count(lines, cfg["max_words"], cfg["min_run"])
    if menu >= cfg["min_lines"] and menu / len(lines) >= cfg["max_share"]:
        return Verdict("menu_lines", f"{menu} of {len(lines)} lines look like menu items")

    cfg = config["repeated_lines"]
    count, chars = repeated_lines(lines)
    total_chars = sum(len(line) for line in lines) or 1
    if count >= cfg["min_lines"] and (count / len(lines) >= cfg["max_line_share"]
                                      or chars / total_chars >= cfg["max_char_share"]):
        return Verdict("repeated_lines", f"{count} of {len(lines)} lines repeat earlier lines "
                                         f"({chars / total_chars:.0%} of the characters)")
    return None
