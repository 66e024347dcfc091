"""Legacy 8-bit Vietnamese font encodings (TCVN3/ABC, VNI Windows) back to Unicode.

Pages typed before Unicode hold their Vietnamese in the bytes of a font encoding: the letters are right
only in the font the markup names (`<font face=".VnTime">`, `<font face="VNI-Times">`). Decoded as
windows-1252 / latin-1 (what the page declares, what a browser does) they read as garbage:

    TCVN3 (.VnTime, .VnArial...):  céng hoµ x· héi chñ nghÜa viÖt nam   -> cộng hoà xã hội chủ nghĩa việt nam
    VNI   (VNI-Times, VNI-Helve):  Coäng hoaø xaõ hoäi chuû nghóa Vieät Nam -> Cộng hoà xã hội chủ nghĩa Việt Nam

The code tables are data: `rules/legacy_fonts.yaml`.

Detection weighs, for each encoding, the distinct words that hold a character the table would change.
Only words of ASCII/latin-1 letters are candidates: a word with a letter such as `ộ`, `ư`, `đ` is Unicode
Vietnamese already (legacy text decoded as latin-1 cannot hold one) and is never touched. Each candidate
is checked, as it stands and converted, against Vietnamese syllable structure (onset + rhyme, the
c/k, g/gh, ng/ngh, qu spelling rules, one tone mark, stop-final syllables only with sắc/nặng; "as it
stands" also needs a natural case pattern, so TCVN3 `lÊn` is not Unicode `lên`):

* good:     not a syllable as it stands, one once converted (`héi` -> `hội`, `Coäng` -> `Cộng`);
* foreign:  not a syllable either way (`été` -> `ộtộ`, `für` -> `fỹr`): another language, or garbage;
* unicode:  a syllable as it stands, none once converted (`các` -> TCVN3 `cỏc`, `không` -> VNI `khơng`);
* a syllable both ways (`cã`/`có`, `thông`/`thụng`) counts for the side on which it is one of the
  frequent syllables of the table, else for neither.

An encoding is reported when its support (good + frequent-once-converted) is at least `MIN_EVIDENCE`
words, `MIN_GOOD` of them plainly good, at least `MIN_RATIO` of support + foreign, and at least
`UNICODE_RATIO` of the words that read as Unicode Vietnamese (so a Unicode page with a TCVN3 article is
still found, and a Unicode page with a few odd names is not). Unicode Vietnamese yields practically no
good words, and English/French/German/Spanish/Portuguese words turn into non-syllables, so ordinary text
stays far from the threshold. One-letter words are ignored (a lone `«` or `©` would be TCVN3 `ô`/`â`).

`fix_legacy_html` works on the raw HTML string: only text between tags, `title`/`alt` attributes and
the `content` of description/keywords/title `<meta>` tags are candidates, each judged on its own words
with the page's verdict as prior, so a page whose menus are Unicode and whose article is TCVN3 has only
the article converted. Markup, scripts, styles and comments are never changed. Text inside a
`.VnTimeH`-style font (the TCVN3 uppercase fonts) is upper-cased after conversion.

Limitations: TCVN3 (ABC) has no capitals with tone marks: they exist only as the uppercase fonts
(.VnTimeH...) drawing the lowercase codes, so without that markup (plain text, CSS classes) they come out
lowercase, as the bytes say. On a page that also holds Unicode Vietnamese, a piece of text made only of
words that read both ways and are not frequent syllables stays as it is. Words of a converted piece that
read only as Unicode Vietnamese are kept (`Thông báo: héi nghÞ` -> `Thông báo: hội nghị`), which would
also keep a legacy word that looks like a frequent Unicode one when it shares its text node with
Unicode words (TCVN3 `cô`, that is `cụ`, in a node that also holds `Tin tức`). Text decoded as
windows-1258 (which turns some bytes into combining marks) is not recoverable here, nor VNI typed with
the modifier before its base letter. The first look at a huge page of new words costs more (about 10 µs
a distinct word); results are cached per process.
"""
from __future__ import annotations

import html as _html
import re
import unicodedata
from functools import lru_cache
from importlib import resources

import yaml

TCVN3 = "tcvn3"
VNI = "vni"
ENCODINGS = (TCVN3, VNI)

MIN_EVIDENCE = 3     # supporting words (good + frequent-after) the whole text needs
MIN_GOOD = 2         # of which plainly good (invalid before, valid after)
MIN_RATIO = 0.7      # supporting / (supporting + words that are no syllable either way)
UNICODE_RATIO = 0.1  # supporting / words that are Unicode Vietnamese already

# ----------------------------------------------------------------------------------------------- tables


@lru_cache(maxsize=1)
def tables() -> dict:
    """The code tables of rules/legacy_fonts.yaml: {"tcvn3": {char: letter}, "tcvn3_vn1_extra": {...},
    "vni": {sequence: letter}, "common_syllables": frozenset}. Keys are the latin-1 characters the bytes
    decode to."""
    text = resources.files("pipelines").joinpath("rules/legacy_fonts.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    return {
        TCVN3: dict(raw["tcvn3"]),
        "tcvn3_vn1_extra": dict(raw["tcvn3_vn1_extra"]),
        VNI: dict(raw["vni"]),
        "common_syllables": frozenset(unicodedata.normalize("NFC", w) for w in raw["common_syllables"].split()),
    }


@lru_cache(maxsize=1)
def _vni_lenient() -> dict[str, str]:
    """The VNI table plus the case-mixed pairs careless typing produces (`Aù`, `aÙ`): the letter takes
    the case of its base vowel."""
    table = dict(tables()[VNI])
    for key, letter in list(table.items()):
        if len(key) != 2:
            continue
        base, mod = key
        for variant, out in ((base.swapcase() + mod, letter.swapcase()), (base + mod.swapcase(), letter)):
            table.setdefault(variant, out)
    return table


@lru_cache(maxsize=2)
def _tcvn3_translation(vn1_extra: bool) -> dict[int, str]:
    table = dict(tables()[TCVN3])
    if vn1_extra:
        table.update(tables()["tcvn3_vn1_extra"])
    return str.maketrans(table)


@lru_cache(maxsize=1)
def _vni_pattern() -> re.Pattern:
    keys = sorted(_vni_lenient(), key=len, reverse=True)  # longest first: `ôù` (ớ) before `ô` (ơ)
    return re.compile("|".join(re.escape(k) for k in keys))


def _convert_vni(text: str) -> str:
    table = _vni_lenient()
    return _vni_pattern().sub(lambda m: table[m.group()], text)


def convert_legacy(text: str, encoding: str, *, vn1_extra: bool = False) -> str:
    """Convert `text` (bytes of a TCVN3/VNI font decoded as latin-1/windows-1252) to Unicode NFC.

    Only characters of the table change (all of them non-ASCII), so markup survives. `vn1_extra` also
    maps the TCVN3 VN1 capitals that ABC fonts do not draw."""
    if encoding == TCVN3:
        out = text.translate(_tcvn3_translation(vn1_extra))
    elif encoding == VNI:
        out = _convert_vni(text)
    else:
        raise ValueError(f"unknown legacy encoding: {encoding!r} (expected 'tcvn3' or 'vni')")
    return unicodedata.normalize("NFC", out)


# ------------------------------------------------------------------------------------ syllable check

_TONE_MARKS = {"\u0301": "sac", "\u0300": "huyen", "\u0309": "hoi", "\u0303": "nga", "\u0323": "nang"}
_ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh",
           "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")
_RHYMES = """
a ai ao au ay am an ang anh ac ach ap at
ăm ăn ăng ăc ăp ăt
âm ân âng âc âp ât âu ây
e em en eng eo ec ep et
ê êm ên ênh êu êch êp êt
i ia im in inh iu ich ip it iêm iên iêng iêu iêc iêp iêt
yêm yên yêu yêt
o oi om on ong oc op ot oong ooc
ô ôi ôm ôn ông ôc ôp ôt
ơ ơi ơm ơn ơp ơt
u ua ui um un ung uc up ut uôi uôm uôn uông uôc uôt
ư ưa ưi ưu ưm ưn ưng ưc ưt ươi ươu ươm ươn ương ươc ươp ươt
y
oa oai oay oam oan oang oanh oac oach oap oat oăm oăn oăng oăc oăt
oe oeo oen oet
uân uâng uât uây
uê uênh uêch uêt
uơ
uy uya uyu uyn uynh uych uyp uyt uyên uyêt
""".split()
_QU_RHYMES = set("""
a ai ay am an ang anh ac ach at ăm ăn ăng ăc ăt âm ân âng ât ây
e em en eo et ê ên ênh êch êt i it y yt ynh ych yên yêt ơ ôc
""".split())
_STOP_CODAS = ("c", "ch", "p", "t")
_FRONT = ("e", "ê", "i", "y")


@lru_cache(maxsize=1)
def _syllables() -> dict[str, bool]:
    """Every toneless Vietnamese syllable spelling -> whether it ends in a stop (c, ch, p, t)."""
    out: dict[str, bool] = {}
    for onset in _ONSETS:
        rhymes = _QU_RHYMES if onset == "qu" else _RHYMES
        for rhyme in rhymes:
            front = rhyme.startswith(_FRONT)
            if onset in ("c", "ng") and front:
                continue
            if onset == "g" and front and not rhyme.startswith("i"):
                continue
            if onset in ("k", "gh", "ngh") and not front:
                continue
            if rhyme.startswith("y") and len(rhyme) > 1 and onset:
                continue  # yêu/yên without onset; iê after one
            if onset == "gi" and rhyme.startswith("i"):
                continue  # spelt with onset g
            out[onset + rhyme] = rhyme.endswith(_STOP_CODAS)
    return out


def is_vietnamese_syllable(word: str) -> bool:
    """Whether `word` is spelt like one Vietnamese syllable (case-insensitive, any tone placement)."""
    if not word or len(word) > 8:
        return False
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    stop = _syllables().get(base)
    if stop is None:
        return False
    if stop and (not tones or _TONE_MARKS[tones[0]] not in ("sac", "nang")):
        return False
    return True


# ---------------------------------------------------------------------------------------- evidence

_VN_LETTERS = "\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9"
_COMBINING = "\u0300\u0301\u0303\u0309\u0323"
_WORD = re.compile(f"[A-Za-z\u00a1-\u00ff{_VN_LETTERS}{_COMBINING}]+")
_UNICODE_VN = re.compile(f"[{_VN_LETTERS}{_COMBINING}]")  # letters no legacy text decoded as latin-1 has
_NON_ASCII = re.compile(r"[\u00a1-\u00ff]")

# word categories, per encoding
_NONE = 0     # the table does not change the word (or it has one letter)
_GOOD = 1     # not a syllable as it stands, a syllable once converted: legacy text
_FOREIGN = 2  # not a syllable either way: another language, or garbage
_UNI = 3      # a syllable as it stands, not once converted: Unicode Vietnamese
_PRO = 4      # a syllable both ways, a frequent one only once converted
_CON = 5      # a syllable both ways, a frequent one only as it stands
_NEUTRAL = 6  # a syllable both ways, no telling
_NCAT = 7

_WORD_CACHE: dict[str, tuple[int, int]] = {}
_TOKEN_CACHE: dict[str, tuple[int, tuple[str, ...]]] = {}
_CACHE_MAX = 300_000


@lru_cache(maxsize=65_536)
def _syllable(word: str) -> bool:
    return is_vietnamese_syllable(word)


def _category(word: str, encoding: str) -> int:
    converted = word.translate(_tcvn3_translation(False)) if encoding == TCVN3 else _convert_vni(word)
    if converted == word:
        return _NONE
    after = _syllable(converted)
    # as it stands, a Unicode word is lower case, Capitalised or UPPER CASE; `lÊn` (TCVN3 `lấn`) is none
    before = (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())) and _syllable(word)
    if not after:
        return _UNI if before else _FOREIGN
    if not before:
        return _GOOD
    common = tables()["common_syllables"]
    after_common = converted.lower() in common
    before_common = word.lower() in common
    if after_common != before_common:
        return _PRO if after_common else _CON
    return _NEUTRAL


def _categories(word: str) -> tuple[int, int]:
    cats = _WORD_CACHE.get(word)
    if cats is None:
        cats = (_NONE, _NONE) if len(word) < 2 else (_category(word, TCVN3), _category(word, VNI))
        if len(_WORD_CACHE) >= _CACHE_MAX:
            _WORD_CACHE.clear()
        _WORD_CACHE[word] = cats
    return cats


def _token_words(token: str) -> tuple[int, tuple[str, ...]]:
    """(number of Unicode Vietnamese words, the legacy candidate words) of a whitespace-free token."""
    got = _TOKEN_CACHE.get(token)
    if got is None:
        text = _unescape_latin1(token) if "&" in token else token
        unicode_words, words = 0, []
        for word in _WORD.findall(text):
            if word.isascii():
                continue
            if _UNICODE_VN.search(word):
                unicode_words += 1
            else:
                words.append(word)
        got = (unicode_words, tuple(words))
        if len(_TOKEN_CACHE) >= _CACHE_MAX:
            _TOKEN_CACHE.clear()
        _TOKEN_CACHE[token] = got
    return got


class _Evidence:
    """Word counts of a text: per encoding one count per category, and the Unicode Vietnamese words."""

    __slots__ = ("counts", "unicode_words")

    def __init__(self) -> None:
        self.counts = {TCVN3: [0] * _NCAT, VNI: [0] * _NCAT}
        self.unicode_words = 0

    def support(self, enc: str) -> int:
        c = self.counts[enc]
        return c[_GOOD] + c[_PRO]

    def against(self, enc: str) -> int:
        c = self.counts[enc]
        return c[_FOREIGN] + c[_UNI] + c[_CON]

    def verdict(self) -> str | None:
        best, best_support = None, 0
        for enc in ENCODINGS:
            c = self.counts[enc]
            support = self.support(enc)
            if (c[_GOOD] >= MIN_GOOD and support >= MIN_EVIDENCE
                    and support >= MIN_RATIO * (support + c[_FOREIGN])
                    and support >= UNICODE_RATIO * (c[_UNI] + c[_CON])
                    and support > best_support):
                best, best_support = enc, support
        return best

    def mixed(self, enc: str) -> bool:
        """Whether the text also holds Unicode Vietnamese."""
        c = self.counts[enc]
        return self.unicode_words + c[_UNI] + c[_CON] >= 5


_SPACE_BYTES = (b" ", b"\n", b"\t", b"\r")
_TOKEN_END = re.compile(rb"\S{0,96}")
SPARSE_LIMIT = 3000  # latin-1 characters up to which a long text is read only around them


def _tokens(text: str) -> set[str]:
    """The distinct whitespace-separated tokens of `text` that may hold legacy letters: all of them for a
    short or dense text; for a long text with few latin-1 characters (an English page, a Unicode page
    with a few `©`), only the tokens around those characters and around `&`, found with bytes.find."""
    if len(text) < 20_000:
        return set(text.split())
    if text.isascii():
        if "&" not in text:
            return set()
        data = text.encode("ascii")
        markers: tuple[bytes, ...] = (b"&",)
    else:
        data = text.encode("utf-8", "surrogatepass")
        if data.count(b"\xc2") + data.count(b"\xc3") > SPARSE_LIMIT:
            return set(text.split())
        markers = (b"\xc2", b"\xc3", b"&")
    hits: list[int] = []
    for marker in markers:
        i = data.find(marker)
        while i != -1:
            hits.append(i)
            if len(hits) > 3 * SPARSE_LIMIT:
                return set(text.split())
            i = data.find(marker, i + 1)
    hits.sort()
    tokens: set[str] = set()
    end = -1
    for i in hits:
        if i < end:
            continue
        floor = max(0, i - 96)
        start = max(data.rfind(ws, floor, i) for ws in _SPACE_BYTES)
        start = floor if start < 0 else start + 1
        end = _TOKEN_END.match(data, i).end()
        tokens.add(data[start:end].decode("utf-8", "ignore"))
    return tokens


def _evidence(text: str) -> _Evidence:
    """The evidence of a text, counted over its distinct whitespace-separated tokens (word types, so a
    menu repeated on every line weighs once)."""
    ev = _Evidence()
    if not text:
        return ev
    t_counts, v_counts = ev.counts[TCVN3], ev.counts[VNI]
    cache = _WORD_CACHE
    for tok in _tokens(text):
        if tok.isascii() and "&" not in tok:
            continue
        unicode_words, words = _token_words(tok)
        ev.unicode_words += unicode_words
        for word in words:
            cats = cache.get(word) or _categories(word)
            t_counts[cats[0]] += 1
            v_counts[cats[1]] += 1
    return ev


_ENTITY = re.compile(r"&(?:#[0-9]{2,7}|#[xX][0-9a-fA-F]{2,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unescape_latin1(text: str) -> str:
    """Resolve the character references that stand for a latin-1 character (`c&eacute;ng`, `&#183;`),
    the only ones legacy font text can need; `&lt;`, `&amp;`, `&nbsp;` and the rest stay."""
    if "&" not in text:
        return text

    def one(m: re.Match) -> str:
        ch = _html.unescape(m.group())
        return ch if len(ch) == 1 and "\u00a1" <= ch <= "\u00ff" else m.group()

    return _ENTITY.sub(one, text)


def legacy_scores(text: str) -> dict[str, dict[str, int]]:
    """The word counts detection weighs, per encoding (for inspection and tuning)."""
    ev = _evidence(text)
    names = ("unchanged", "good", "foreign", "unicode", "frequent_after", "frequent_before", "neutral")
    out: dict[str, dict[str, int]] = {enc: dict(zip(names, ev.counts[enc])) for enc in ENCODINGS}
    for enc in ENCODINGS:
        out[enc]["unicode_words"] = ev.unicode_words
    return out


def detect_legacy_encoding(text: str) -> str | None:
    """"tcvn3", "vni" or None: whether `text` (plain text or an HTML string) holds legacy font text."""
    return _evidence(text).verdict()


# -------------------------------------------------------------------------------------- conversion


def _convert_segment(text: str, encoding: str, ev: _Evidence, upper: bool = False) -> str:
    """Convert one piece of legacy text. Words that can only be Unicode stay: those holding a letter such
    as `ộ`, those that are syllables only as they stand (`báo` -> TCVN3 `bỏo`), and, in a piece that
    also holds Unicode words, the frequent syllables conversion would turn into rare ones (`Thông`)."""
    idx = 0 if encoding == TCVN3 else 1
    c = ev.counts[encoding]
    if ev.unicode_words or c[_UNI]:
        keep = (_UNI, _CON) if ev.unicode_words else (_UNI,)

        def one(m: re.Match) -> str:
            word = m.group()
            if word.isascii() or _UNICODE_VN.search(word) or _categories(word)[idx] in keep:
                return word
            return convert_legacy(word, encoding)

        out = unicodedata.normalize("NFC", _WORD.sub(one, text))
    else:
        out = convert_legacy(text, encoding)
    return out.upper() if upper else out


def _segment_is_legacy(ev: _Evidence, encoding: str, mixed_page: bool) -> bool:
    support, against = ev.support(encoding), ev.against(encoding)
    if ev.unicode_words or mixed_page:
        return support > against  # next to Unicode text, only on positive evidence
    return support >= against  # in an all-legacy text a tie follows the text's verdict


_HTML_HINT = re.compile(r"<(?:!doctype|html|head|body|div|p|table|td|font|span|br|title)\b", re.I)


def fix_legacy_text(text: str) -> tuple[str, str | None]:
    """Detect legacy font text and convert it: (text, encoding), converted parts NFC, or (text, None).

    An HTML string is handed to `fix_legacy_html`. Plain text is judged as a whole, then line by line:
    lines of Unicode Vietnamese next to legacy lines stay as they are."""
    if not text or (text.isascii() and "&" not in text):
        return text, None
    if _HTML_HINT.search(text):
        return fix_legacy_html(text)
    total = _evidence(text)
    encoding = total.verdict()
    if encoding is None:
        return text, None
    if "\n" not in text:
        return _convert_segment(text, encoding, total), encoding
    mixed = total.mixed(encoding)
    out = []
    for line in text.split("\n"):
        ev = _evidence(line)
        out.append(_convert_segment(line, encoding, ev) if _segment_is_legacy(ev, encoding, mixed) else line)
    return "\n".join(out), encoding


# --------------------------------------------------------------------------------------------- HTML

_TAG_BODY = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_HTML_TOKEN = re.compile(
    r"<!--.*?(?:-->|$)"
    r"|<(script|style)\b" + _TAG_BODY + r">.*?(?:</\1\s*>|$)"
    r"|<!\[CDATA\[.*?(?:\]\]>|$)"
    r"|<[!?][^>]*>"
    r"|</?[A-Za-z][\w:-]*" + _TAG_BODY + r">"
    r"|</?[A-Za-z][^>]*>",
    re.S | re.I,
)
_TAG_NAME = re.compile(r"<(/?)([A-Za-z][\w:-]*)")
_TEXT_ATTR = re.compile(r"""(\s(?:title|alt)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.I)
_META_CONTENT = re.compile(r"""(\scontent\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.I)
_META_TEXTUAL = re.compile(
    r"""\s(?:name|property)\s*=\s*["']?(?:description|keywords|title|og:title|og:description|"""
    r"""twitter:title|twitter:description)["'\s/>]""", re.I)
_FONT_DECL = re.compile(r"""\sface\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))|font-family\s*:\s*([^;"'>]+)""", re.I)
# the TCVN3 uppercase twins: .VnTimeH, .VnArialH, .VnCentury SchoolbookH (not VNI-TimesH, not .VnEnglish)
_UPPER_FONT = re.compile(r"\.?[vV][nN](?![iI])[\w .-]*H")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def _upper_font(tag: str) -> bool | None:
    """True for a tag naming a TCVN3 uppercase font, False for another font, None if it names none."""
    m = _FONT_DECL.search(tag)
    if not m:
        return None
    value = next(g for g in m.groups() if g is not None)
    first = value.split(",")[0].strip().strip("'\"").strip()
    return bool(_UPPER_FONT.fullmatch(first))


def _segments(html_text: str) -> list[tuple[int, int, bool]]:
    """(start, end, inside an uppercase font) of every piece of text of the page that may hold legacy
    text: text between tags, title/alt attribute values, textual meta content."""
    segs: list[tuple[int, int, bool]] = []
    fonts: list[list] = []  # open font-declaring elements: [name, depth, upper]
    pos = 0

    def text(start: int, end: int) -> None:
        raw = html_text[start:end]
        upper = bool(fonts and fonts[-1][2])
        if _NON_ASCII.search(raw) or "&" in raw or (upper and raw.strip()):
            segs.append((start, end, upper))

    for m in _HTML_TOKEN.finditer(html_text):
        if m.start() > pos:
            text(pos, m.start())
        pos = m.end()
        tag = m.group()
        nm = _TAG_NAME.match(tag)
        if nm is None or m.group(1):  # comment, doctype, script, style
            continue
        closing, name = nm.group(1) == "/", nm.group(2).lower()
        if closing:
            for entry in fonts:
                if entry[0] == name:
                    entry[1] -= 1
            fonts[:] = [e for e in fonts if e[1] > 0]
            continue
        if _NON_ASCII.search(tag) or "&" in tag:
            attrs = list(_TEXT_ATTR.finditer(tag))
            if name == "meta" and _META_TEXTUAL.search(tag):
                attrs += list(_META_CONTENT.finditer(tag))
            for a in attrs:
                g = 2 if a.group(2) is not None else 3
                if _NON_ASCII.search(a.group(g)) or "&" in a.group(g):
                    segs.append((m.start() + a.start(g), m.start() + a.end(g), False))
        if name in _VOID or tag.endswith("/>"):
            continue
        for entry in fonts:
            if entry[0] == name:
                entry[1] += 1
        lowered = tag.lower()
        if "face" in lowered or "font-family" in lowered:
            declared = _upper_font(tag)
            if declared is not None:
                fonts.append([name, 1, declared])
    if pos < len(html_text):
        text(pos, len(html_text))
    segs.sort()
    return segs


def fix_legacy_html(html_text: str) -> tuple[str, str | None]:
    """Convert the legacy font text of an HTML page (the decoded string, before parsing).

    The page must be detected as legacy first; then each text node, `title`/`alt` value and textual
    `<meta content>` is converted when its own words say it is legacy, so Unicode menus next to a TCVN3
    article stay as they are. Markup, scripts, styles and comments are never changed. Character
    references of latin-1 characters inside converted text (`c&eacute;ng`) are resolved first; text in
    a TCVN3 uppercase font (`.VnTimeH`) is upper-cased. Returns (html, encoding) or (html, None)."""
    page = _evidence(html_text)
    encoding = page.verdict()
    if encoding is None:
        return html_text, None
    mixed = page.mixed(encoding)
    out: list[str] = []
    pos = 0
    for start, end, upper in _segments(html_text):
        raw = html_text[start:end]
        ev = _evidence(_html.unescape(raw) if "&" in raw else raw)
        if not _segment_is_legacy(ev, encoding, mixed):
            continue
        new = _convert_segment(_unescape_latin1(raw), encoding, ev, upper=upper and encoding == TCVN3)
        if new != raw:
            out.append(html_text[pos:start])
            out.append(new)
            pos = end
    if not out:
        return html_text, None
    out.append(html_text[pos:])
    return "".join(out), encoding
