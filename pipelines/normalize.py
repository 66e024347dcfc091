"""Unicode and whitespace normalisation of extracted text, and the tone-placement comparison key."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Spaces that are not U+0020: NBSP, the U+2000 block, narrow NBSP, ideographic space...
_UNICODE_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\r\f\v]")
_SOFT = re.compile(r"[\u00ad\u200e\u200f\u2061-\u2064]")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ZW_SPLIT = re.compile(rf"[{_ZERO_WIDTH}]+")
_TRAILING_WORD = re.compile(r"\w+$")
_LEADING_WORD = re.compile(r"^\w+")
_MULTI_SPACE = re.compile(r" {2,}")

# A Vietnamese syllable: optional initial consonant cluster, a vowel nucleus, optional final.
_V = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵ"
_SYLLABLE = re.compile(
    rf"^(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?[{_V}]{{1,3}}(?:ng|nh|ch|[cmnpt])?$",
    re.IGNORECASE,
)


def _resolve_zero_width(text: str) -> str:
    pieces = _ZW_SPLIT.split(text)
    out = pieces[0]
    for piece in pieces[1:]:
        left = _TRAILING_WORD.search(out)
        right = _LEADING_WORD.match(piece)
        # Inside one syllable ("Đả\u200bng") the mark was an accident: glue. Between two complete syllables
        # or words ("Đảng\u200bủy") it stood for a word break: a space, so words are not glued together
        # the way trafilatura glues them.
        if left and right and not _SYLLABLE.match(left.group(0) + right.group(0)):
            out += " "
        elif right and out[-1:] in ",;:.!?)]”" and not out.endswith(" "):
            out += " "          # "xuất,\u200bkhu": the mark stood for the space after the comma
        out += piece
    return out


def normalize_inline(text: str) -> str:
    """One paragraph: NFC, every kind of space to one plain space, zero-width characters resolved."""
    text = unicodedata.normalize("NFC", text)
    text = _SOFT.sub("", text)
    if any(ch in text for ch in _ZERO_WIDTH):
        text = _resolve_zero_width(text)
    text = _UNICODE_SPACES.sub(" ", text).replace("\n", " ")
    return _MULTI_SPACE.sub(" ", text).strip()


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(p for p in paragraphs if p)


# Tone placement: the "new" style puts the mark on the last vowel of oa/oe/uy at the end of a syllable
# (hoà, thuỷ), the traditional one on the first (hòa, thủy). NFC keeps both, so they are folded to the
# traditional placement for comparison (never "quý": there the u belongs to the consonant).
_TONES = {"\u0300": "grave", "\u0301": "acute", "\u0309": "hook", "\u0303": "tilde", "\u0323": "dot"}
_FOLD_RE = re.compile(r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?!\w)")


def fold_tone_placement(text: str) -> str:
    """Move tone marks of syllable-final oa/oe/uy to the traditional position (hoà -> hòa, thuỷ -> thủy)."""
    decomposed = unicodedata.normalize("NFD", text)
    folded = _FOLD_RE.sub(lambda m: m.group(1) + m.group(3) + m.group(2), decomposed)
    return unicodedata.normalize("NFC", folded)


@lru_cache(maxsize=4)      # one record's text is keyed three times: its dedup_key, the dedup step's, its shingles
def comparison_key(text: str) -> str:
    """The text as de-duplication compares it: NFC, one convention of tone placement, folded case and space.

    Diacritics are kept (stripping them merges different words) and numbers are kept as they are.
    """
    text = fold_tone_placement(normalize_inline(text.replace("\n", " ")))
    return text.casefold()
