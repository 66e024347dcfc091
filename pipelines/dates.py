"""Dates as party-news pages write them: string-level parsing only.

Which element of a page holds the publication date is decided elsewhere (`published.py`); this module turns
one string into a date, and tells a date *line* ("Thứ hai, 09/01/2023", "Vũ Ba 15/06/2024 - 09:58") from body
text that cites a date ("... Đề án 02-ĐA/TU ngày 24/3/2014 ...").

Rules that hold everywhere here (see ../shared/SITES.md, "Dates"):

* Vietnamese sites write day/month/year. A numeric date is never read month-first; only a 4-digit leading
  year (``2023-03-07``) makes a date year-month-day.
* Local time is Asia/Ho_Chi_Minh, UTC+7 without DST. Naive times are local; an explicit offset or
  ``GMT+0`` is honoured and converted; every result is expressed in UTC+7.
* A date is *complete* only with a year: "Chiều 10/7", "Sáng 29-12", "Ngày 9/1" are dates cited in bodies,
  never publication dates. A 2-digit year is only accepted where the shape leaves no doubt (a time is
  attached, or a weekday / "ngày" / "Cập nhật" label stands right before it).
* Years outside 1990..next year are not publication dates (historical dates cited in bodies, ``0001-01-01``
  placeholders, typos).

The core is a handful of compiled regular expressions: dateparser 1.5 misses most of these shapes (bylines in
front, ``[GMT +7]``, ``Cập nhật lúc``) and is far too slow to run over every candidate of every page. It is
only a last resort in `parse_vn_datetime`, for a short string with a month *word* ("Tháng Chín 8, 2021",
"January 9, 2023") that the regexes do not cover.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

__all__ = [
    "VN_TZ", "ParsedDate", "parse_iso", "parse_vn_datetime", "find_dates", "is_date_line", "date_from_url",
]

VN_TZ = timezone(timedelta(hours=7))
_VN_OFFSET = timedelta(hours=7)

MIN_YEAR = 1990        # no party-news web page is older; earlier years in text are cited history
URL_MIN_YEAR = 1995    # a URL-embedded date before the web existed in Vietnam is an id, not a date


@dataclass(frozen=True)
class ParsedDate:
    value: datetime          # timezone-aware, converted to VN_TZ
    precision: str           # "datetime" or "date" (date-only values are midnight VN_TZ)

    def __post_init__(self) -> None:
        if self.precision not in ("datetime", "date"):
            raise ValueError(f"precision must be 'datetime' or 'date', not {self.precision!r}")
        value = self.value
        if value.tzinfo is None:                      # naive means Vietnam local time
            value = value.replace(tzinfo=VN_TZ)
        value = value.astimezone(VN_TZ).replace(microsecond=0)
        if self.precision == "date":
            value = value.replace(hour=0, minute=0, second=0)
        object.__setattr__(self, "value", value)

    def isoformat(self) -> str:
        """``2023-03-07T04:32:00+07:00`` (always with seconds and the +07:00 offset)."""
        return self.value.isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------------------

_FLAGS = re.IGNORECASE | re.VERBOSE

# Horizontal whitespace only: a time belongs to a date only "within the same line". (In `str` patterns \s
# also covers NBSP and the other Unicode spaces the sites use.)
_HS = r"[^\S\r\n]"
_DASH = r"\-\u2013\u2014\u2212"          # - – — −
_SEP = rf"[,|{_DASH}]"                  # what sites put between a date and its time: "," "|" " - "

_WEEKDAY = rf"""(?:
      th[uứ]{_HS}*(?:hai|ba|t[uư]|n[aă]m|s[aá]u|b[aảẩ]y|[2-7])(?!\w)      # Thứ hai … Thứ bảy, Thứ 2 … Thứ 7
    | ch[uủ]{_HS}*nh[aậ]t(?!\w)                                         # Chủ nhật
    | (?<!\w)(?:T[2-7]|CN)(?!\w)                                        # T2 … T7, CN
    | (?<!\w)(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?!\w)
    | (?<!\w)(?:mon|tue|wed|thu|fri|sat|sun)\.?(?={_HS}*,)              # "Mon," only before a comma
)"""

# A clock time. Three spellings: 09:21 / 10:18:56 / 04:32:00.000, 8h30 / 14h / 14g30, 14 giờ 30 phút.
# The lookbehind keeps it from starting inside a number ("123:45", the "34:56" of "12:34:56").
_TIME = rf"""
(?<![\d:.])
(?:
    (?P<h1>\d{{1,2}}):(?P<m1>\d{{2}})(?::(?P<s1>\d{{2}})(?:[.,]\d{{1,9}})?)?(?!\d)
  | (?P<h2>\d{{1,2}})(?:{_HS}?h|g)(?:(?P<m2>\d{{2}})(?:ph(?:út)?|p|['’])?)?(?!\w)
  | (?P<h3>\d{{1,2}}){_HS}*giờ(?:{_HS}*(?P<m3>\d{{1,2}})(?:{_HS}*phút)?)?(?!\w)
)
# 12-hour clocks: AM/PM, Vietnamese SA (sáng) / CH (chiều), or the words themselves ("7 giờ tối")
(?:{_HS}*(?P<ap>a\.?m\.?|p\.?m\.?|SA|CH|sáng|chiều|tối|trưa|đêm)(?!\w))?
"""

# "GMT+7", "[GMT +7]", "(GMT+07:00)", "UTC+0", bare "GMT". Used after a time and after a date.
_GMT = rf"""
(?P<gmt>
  {_HS}*[\[(]?{_HS}*(?:GMT|UTC)
  (?:{_HS}*(?P<gs>[+{_DASH}]){_HS}*(?P<gh>\d{{1,2}})(?::?(?P<gm>\d{{2}}))?)?(?!\d)
  (?:{_HS}*[\])])?
)
"""

# Month names in words ("tháng Chín"). Giêng and Chạp are left out: they name lunar-calendar months.
_MONTHS_VI = {"một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8,
              "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12}
_MONTH_VI = "|".join(sorted(_MONTHS_VI, key=len, reverse=True)).replace(" ", f"{_HS}+")

_MONTHS_EN = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MONTH_EN = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"

# ---------------------------------------------------------------------------------------------------------
# The date core: what makes a complete date. Every alternative starts with a digit; `_TRIGGER` below finds
# where to try it.
# ---------------------------------------------------------------------------------------------------------
_CORE = re.compile(rf"""
    # Not the tail of a number, a code or a ratio: "1.000.000", "0225.3.842", "3/4/5/2020" - unless what
    # comes before is a clock time glued on with a dash ("15:05-25/05/2024").
    (?<!\d)(?:(?<!\d[/.{_DASH}])|(?<=:\d\d[{_DASH}]))
    (?:
        # 30/12/2022, 07-03-2023, 7.3.2023 - always DAY first; one separator used twice. 2-digit years
        # ("10/7/23") are checked against the context later; "." never takes one (version numbers).
        (?P<d>\d{{1,2}})(?P<sep>[/.{_DASH}])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}|(?<!\.)\d{{2}})
      | # 2023-03-07, 2023/03/07: a leading 4-digit year is the only year-first shape
        (?P<iy>(?:19|20)\d{{2}})(?P<isep>[/.\-])(?P<im>\d{{1,2}})(?P=isep)(?P<id>\d{{1,2}})
      | # 27 tháng 02 năm 2020, 08 Tháng 9 2021, 5 tháng 1, 2025, 09 Th01 2023, 8 tháng Chín năm 2021
        (?P<ld>\d{{1,2}}){_HS}*(?:tháng|th\.?){_HS}*(?:(?P<lm>\d{{1,2}})|(?P<lmw>{_MONTH_VI})(?!\w))
        (?:{_HS}*,?{_HS}*năm{_HS}*|{_HS}*[,/]{_HS}*|{_HS}+)(?P<ly>\d{{4}})
      | # 09 Jan 2023, 9th January, 2023 (RSS and English pages)
        (?P<ed>\d{{1,2}})(?:st|nd|rd|th)?{_HS}+(?P<emon>{_MONTH_EN}),?{_HS}+(?P<ey>\d{{4}})
    )
    (?!\d)(?![./]\d)        # not the head of a longer number ("7.3.2023.5", "12/3/2023/5")
""", _FLAGS)

# A time in front of the date, anchored at the date ("09:21 30/12/2022", "15:05 - 25/05/2024",
# "Cập nhật lúc22:18, Thứ Sáu, 28/10/2016", "14 giờ 30 phút, ngày 5/1/2025", "8h30 ngày 3/4/2021").
# Tried at the `_TIME_HINT` positions of a short window before the date, with `endpos` = the date's start
# (\Z matches at `endpos`).
_TIME_BEFORE = re.compile(rf"""
    {_TIME}
    (?:{_GMT})?
    {_HS}*(?:{_SEP}{_HS}*)?
    (?:(?:ngày|hôm){_HS}*)?
    (?:{_WEEKDAY}{_HS}*(?:{_SEP}{_HS}*)?)?
    (?:ngày{_HS}*)?
    \Z
""", _FLAGS)

# A time after the date ("30/12/2022 09:21", "15/06/2024 - 09:58", "29/09/2023 | 10:18:56",
# "5/1/2025 - 7:05 AM", "2023-03-07T04:32", "năm 2020 lúc 10:00"), matched at the end of the date.
_TIME_AFTER = re.compile(rf"""
    (?:T(?=\d) | {_HS}*(?:{_SEP}{_HS}*)?(?:\({_HS}*)?(?:(?:vào{_HS}+)?lúc{_HS}*)?)
    {_TIME}
""", _FLAGS)

# A zone after a time or a date. Numeric offsets only glued to a time ("04:32+07:00", "04:32Z"), so that
# "15:05 - 25/05/2024" never reads " - 25" as an offset.
_TZ = re.compile(rf"""
    {_GMT}
  | (?<=\d)(?P<z>Z)(?!\w)
  | (?<=\d)(?P<ns>[+\-])(?P<nh>\d{{2}})(?::?(?P<nm>\d{{2}}))?(?![\d/.:])
""", _FLAGS)

# What may stand right before a 2-digit-year date for it to count ("Thứ hai, 09/01/23", "Ngày đăng: 9/1/23").
_DATE_CONTEXT = re.compile(rf"""
    (?:{_WEEKDAY}|ngày|cập{_HS}*nhật|đăng|lúc)(?:{_HS}|[,:|{_DASH}])*\Z
""", _FLAGS)

# Where a date core can be: a digit followed by the rest of a numeric date's shape (sep, 1-2 digits, the same
# kind of sep, a digit), or by a month word ("8 tháng", "8 Th01", "09 Jan"). It starts with a plain character
# class, which `re` scans for very fast; _CORE itself (an alternation behind lookbehinds) is ~15x slower to
# run over a whole text, so it is only tried where this matched. The match is the LAST digit of the leading
# number; `_scan` walks back to its first digit.
_TRIGGER = re.compile(rf"""
    [0-9]
    (?=                     # a lookahead, so that a failed try ("15:05-25/05/2024" at "05") consumes nothing
        [/.{_DASH}][0-9]{{1,2}}[/.{_DASH}][0-9]
      | {_HS}*[tT][hH]
      | (?:st|nd|rd|th)?{_HS}+(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)
    )
""", re.VERBOSE)        # no IGNORECASE on the whole: it makes the scan ~40% slower

# Where a time in front of a date can start (a fast pre-filter for _TIME_BEFORE, which is then only tried
# at these positions instead of being searched over the whole window).
_TIME_HINT = re.compile(rf"[0-9]{{1,2}}(?::[0-9]|{_HS}?[hHgG]|{_HS}*gi)")

_TIME_WINDOW = 60      # how far before a date a time may start ("Cập nhật lúc22:18, Thứ Sáu, " is ~28)


# ---------------------------------------------------------------------------------------------------------
# Text preparation: zero-width characters out, NFC, with a map back to the caller's offsets
# ---------------------------------------------------------------------------------------------------------

# Zero-width characters are not whitespace for \s; replaced one-for-one so offsets stay valid.
# (A regex, not str.translate: translate is ~15x slower on non-ASCII text.)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _blank_zero_width(text: str) -> str:
    return _ZERO_WIDTH.sub(" ", text) if _ZERO_WIDTH.search(text) else text


# A base character with its combining marks: the only places NFC changes decomposed Vietnamese.
_CLUSTER = re.compile(r".[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+", re.DOTALL)


class _Prepared:
    """The text the regexes run on, and `orig(i)` mapping an offset in it back to the caller's text."""
    __slots__ = ("text", "_norm_starts", "_orig_starts", "_exact")

    def __init__(self, text: str):
        if unicodedata.is_normalized("NFC", text):
            self.text = _blank_zero_width(text)
            self._norm_starts = None
            return
        # Decomposed input (windows-1258 pages): normalise piece by piece, remembering where pieces start.
        out, norm_starts, orig_starts, exact = [], [], [], []
        pos = npos = 0

        def add(piece: str, start: int) -> None:
            nonlocal npos
            new = unicodedata.normalize("NFC", piece)
            out.append(new)
            norm_starts.append(npos)
            orig_starts.append(start)
            exact.append(len(new) == len(piece))
            npos += len(new)

        for m in _CLUSTER.finditer(text):
            if m.start() > pos:
                add(text[pos:m.start()], pos)
            add(m.group(), m.start())
            pos = m.end()
        if pos < len(text):
            add(text[pos:], pos)
        norm_starts.append(npos)
        orig_starts.append(len(text))
        exact.append(True)
        self.text = _blank_zero_width("".join(out))
        self._norm_starts, self._orig_starts, self._exact = norm_starts, orig_starts, exact

    def orig(self, i: int) -> int:
        if self._norm_starts is None:
            return i
        k = bisect.bisect_right(self._norm_starts, i) - 1
        offset = i - self._norm_starts[k]
        return self._orig_starts[k] + (offset if self._exact[k] else 0)


# ---------------------------------------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------------------------------------

def _vn(value: datetime, precision: str) -> ParsedDate:
    """A ParsedDate for a value already in VN_TZ without microseconds (and midnight for "date"): skips the
    normalisation in __post_init__, which costs more than the rest of a candidate's parsing."""
    parsed = object.__new__(ParsedDate)
    object.__setattr__(parsed, "value", value)
    object.__setattr__(parsed, "precision", precision)
    return parsed


def _max_year(reference: datetime | None) -> int:
    return (reference or datetime.now(VN_TZ)).year + 1


def _expand_year(two: str, max_year: int) -> int:
    year = 2000 + int(two)
    return year if year <= max_year else 1900 + int(two)


def _hour_24(hour: int, marker: str | None) -> int | None:
    """Apply AM/PM (or SA/CH, sáng/chiều/tối...) to an hour; None when the hour is impossible."""
    if marker:
        m = marker.lower().replace(".", "")
        if m in ("am", "sa", "sáng"):
            if hour == 12:
                hour = 0
        elif m in ("pm", "ch", "chiều", "tối"):
            if 1 <= hour < 12:
                hour += 12
        elif m == "trưa":                          # "12 giờ trưa", "1 giờ trưa"
            if 1 <= hour <= 4:
                hour += 12
        elif m == "đêm":                           # "11 giờ đêm" but "2 giờ đêm"
            if 6 <= hour < 12:
                hour += 12
            elif hour == 12:
                hour = 0
    return hour if 0 <= hour <= 23 else None


def _time_of(m: re.Match) -> tuple[int, int, int] | None:
    """(hour, minute, second) of a `_TIME` match, or None if it is not a real clock time ("25:61")."""
    if m.group("h1") is not None:
        h, mi, s = int(m.group("h1")), int(m.group("m1")), int(m.group("s1") or 0)
    elif m.group("h2") is not None:
        h, mi, s = int(m.group("h2")), int(m.group("m2") or 0), 0
    else:
        h, mi, s = int(m.group("h3")), int(m.group("m3") or 0), 0
    h = _hour_24(h, m.group("ap"))
    if h is None or mi > 59 or s > 59:
        return None
    return h, mi, s


def _gmt_offset(m: re.Match) -> timedelta | None | bool:
    """Offset of a `_GMT` match: a timedelta, or False if malformed. Bare "GMT"/"UTC" is UTC."""
    if m.group("gh") is None:
        return timedelta(0)
    hours, minutes = int(m.group("gh")), int(m.group("gm") or 0)
    if hours > 14 or minutes > 59:
        return False
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if m.group("gs") != "+" else delta


def _core_date(m: re.Match) -> tuple[int, int, int, bool, bool]:
    """(year, month, day, is_year_first, two_digit_year) of a `_CORE` match."""
    if m.group("d") is not None:
        y = m.group("y")
        return int(y), int(m.group("m")), int(m.group("d")), False, len(y) == 2
    if m.group("iy") is not None:
        return int(m.group("iy")), int(m.group("im")), int(m.group("id")), True, False
    if m.group("ld") is not None:
        if m.group("lm") is not None:
            month = int(m.group("lm"))
        else:
            month = _MONTHS_VI[" ".join(m.group("lmw").lower().split())]
        return int(m.group("ly")), month, int(m.group("ld")), False, False
    return int(m.group("ey")), _MONTHS_EN[m.group("emon")[:3].lower()], int(m.group("ed")), False, False


def _scan(text: str, max_year: int):
    """Every date-core match in `text` (already prepared), in order, as (start, end, ParsedDate | None).

    None marks a match that is not a real date (31/02/2023, an attached 25:61, a year out of range, a 2-digit
    year without a date-line context); callers skip it. Spans cover the attached time and zone, and never
    overlap: a time already taken by the previous date is not taken again.
    """
    floor = 0                                     # where the previous candidate ended
    # Two stages, for speed: the leading lookbehinds of _CORE keep `re` from skipping ahead to digits by
    # itself, so find plausible starts first (cheap) and try the core only there.
    for hit in _TRIGGER.finditer(text):
        start = hit.start()
        lowest = max(start - 3, floor)            # a leading number has at most 4 digits
        while start > lowest and "0" <= text[start - 1] <= "9":
            start -= 1
        if start < floor:
            continue
        m = _CORE.match(text, start)
        if m is None:
            continue
        end = m.end()
        year, month, day, year_first, two_digit = _core_date(m)
        clock = None
        offset: timedelta | None | bool = None
        bad = False

        before = None
        for hint in _TIME_HINT.finditer(text, max(floor, start - _TIME_WINDOW), start):
            before = _TIME_BEFORE.match(text, hint.start(), start)
            if before is not None:
                break
        if before is not None:
            clock = _time_of(before)
            bad = clock is None
            if before.group("gmt") is not None:
                offset = _gmt_offset(before)
            span_start = before.start()
        else:
            span_start = start
            after = _TIME_AFTER.match(text, end)
            if after is not None:
                clock = _time_of(after)
                bad = clock is None
                end = after.end()
        if offset is None:
            tz = _TZ.match(text, end)
            if tz is not None:
                if tz.group("z"):
                    offset, end = timedelta(0), tz.end()
                elif tz.group("ns"):
                    # A glued numeric offset follows only a time; "-hh" only in ISO-like year-first values
                    # ("10:00-12:00" after a day-first date is a time range, not UTC-12).
                    if clock is not None and (tz.group("ns") == "+" or year_first):
                        hours, minutes = int(tz.group("nh")), int(tz.group("nm") or 0)
                        if hours <= 14 and minutes <= 59:
                            delta = timedelta(hours=hours, minutes=minutes)
                            offset, end = (delta if tz.group("ns") == "+" else -delta), tz.end()
                else:
                    offset, end = _gmt_offset(tz), tz.end()
        floor = end

        if two_digit:
            year = _expand_year(str(year), max_year)
            if clock is None and not _DATE_CONTEXT.search(text, max(0, span_start - 30), span_start):
                bad = True
        if bad or offset is False or not MIN_YEAR <= year <= max_year:
            yield span_start, end, None
            continue
        try:
            if clock is None:
                parsed = _vn(datetime(year, month, day, tzinfo=VN_TZ), "date")
            elif offset is None or offset == _VN_OFFSET:
                parsed = _vn(datetime(year, month, day, *clock, tzinfo=VN_TZ), "datetime")
            else:
                parsed = ParsedDate(datetime(year, month, day, *clock, tzinfo=timezone(offset)), "datetime")
        except ValueError:                        # 31/02/2023, month 13
            yield span_start, end, None
            continue
        yield span_start, end, parsed


# ---------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------

def find_dates(text: str) -> list[tuple[int, int, ParsedDate]]:
    """Every complete date in `text` with its (start, end) span in `text`, in order.

    A span covers the date and the time (and zone) attached to it, e.g. the whole of "09:21 30/12/2022" or
    "15/06/2024 - 09:58"; year-less dates, invalid dates and out-of-range years are left out.
    """
    if not text:
        return []
    prepared = _Prepared(text)
    found = []
    for start, end, parsed in _scan(prepared.text, _max_year(None)):
        if parsed is not None:
            found.append((prepared.orig(start), prepared.orig(end), parsed))
    return found


# For the dateparser fallback: a month word and a 4-digit year, and no numeric d/m the regexes already judged.
_MONTH_WORD = re.compile(
    r"(?<!\w)(?:tháng(?!\s*\d)|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE)
_YEAR4 = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_NUMERIC_DM = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}")
_HAS_TIME = re.compile(r"\d{1,2}\s*(?::\d{2}|h\d{0,2}(?!\w)|giờ)", re.IGNORECASE)
_DATEPARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "Asia/Ho_Chi_Minh",
    "TO_TIMEZONE": "Asia/Ho_Chi_Minh",
    "REQUIRE_PARTS": ["day", "month", "year"],
}
_FALLBACK_MAX_CHARS = 120


def _dateparser_fallback(text: str, max_year: int) -> ParsedDate | None:
    if (len(text) > _FALLBACK_MAX_CHARS or not _YEAR4.search(text) or not _MONTH_WORD.search(text)
            or _NUMERIC_DM.search(text)):
        return None
    try:
        import dateparser
        value = dateparser.parse(text, languages=["vi", "en"], settings=_DATEPARSER_SETTINGS)
    except Exception:          # dateparser raises on odd input in some versions; a miss is not an error
        return None
    if value is None or not MIN_YEAR <= value.year <= max_year:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    return ParsedDate(value, "datetime" if _HAS_TIME.search(text) else "date")


def parse_vn_datetime(text: str, *, reference: datetime | None = None) -> ParsedDate | None:
    """The first complete date in one human-visible date line, with its time if one is attached.

    Handles "09:21 30/12/2022", "Thứ hai, 09/01/2023", "Vũ Ba 15/06/2024 - 09:58",
    "Thứ 6, 29/09/2023 | 10:18:56 [GMT +7]", "Cập nhật lúc22:18, Thứ Sáu, 28/10/2016 (GMT+7)",
    "Hải Phòng, ngày 27 tháng 02 năm 2020", "Chủ nhật, 5/1/2025 - 7:05 AM", "14h30 ngày 5/1/2025"...
    Weekdays are ignored (even wrong ones). Year-less dates, invalid dates and years outside
    1990..(reference or now).year + 1 give None.
    """
    if not text:
        return None
    prepared = _Prepared(text)
    max_year = _max_year(reference)
    seen_any = False
    for _start, _end, parsed in _scan(prepared.text, max_year):
        if parsed is not None:
            return parsed
        seen_any = True
    if seen_any:
        return None
    return _dateparser_fallback(prepared.text.strip(), max_year)


# --- machine values --------------------------------------------------------------------------------------

_ISO = re.compile(r"""
    (?:
        (?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})           # extended: 2023-03-07
      | (?P<by>\d{4})(?P<bmo>\d{2})(?P<bd>\d{2})              # basic: 20230307
    )
    (?:
        (?:T|\s+)
        (?P<h>\d{1,2}):(?P<mi>\d{2})
        (?::(?P<s>\d{2})(?:[.,]\d+)?)?                        # seconds, fraction of any length (dropped)
    )?
    \s*(?P<tz>Z|UTC|GMT|[+\-]\d{2}(?::?\d{2})?)?
""", _FLAGS)

_ISO_BASIC = re.compile(r"""
    (?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})T(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})?(?:[.,]\d+)?
    (?P<tz>Z|[+\-]\d{2}(?::?\d{2})?)?
""", _FLAGS)

_RFC2822 = re.compile(rf"""
    (?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?
    (?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH_EN}),?\s+(?P<y>\d{{4}}|\d{{2}})
    (?:\s+(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})(?::(?P<s>\d{{2}}))?)?
    (?:\s*(?P<tz>[+\-]\d{{2}}:?\d{{2}}|UTC?|GMT|Z|ICT|[ECMP][SD]T))?
""", _FLAGS)
_NAMED_ZONES = {"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "ICT": 7, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
                "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}


def _zone(token: str | None) -> timezone | None:
    """A tzinfo for "Z", "+07:00", "+0700", "+07", "GMT", "ICT"...; None for no zone (local time)."""
    if not token:
        return None
    upper = token.upper()
    if upper in _NAMED_ZONES:
        return timezone(timedelta(hours=_NAMED_ZONES[upper]))
    digits = token[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(token)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if token[0] == "-" else delta)     # RFC 2822 "-0000" is UTC as well


def _build(year, month, day, hour, minute, second, tz, max_year) -> ParsedDate | None:
    if not MIN_YEAR <= year <= max_year:
        return None
    try:
        if hour is None:
            return ParsedDate(datetime(year, month, day, tzinfo=VN_TZ), "date")
        value = datetime(year, month, day, hour, minute, second, tzinfo=tz or VN_TZ)
        return ParsedDate(value, "datetime")
    except ValueError:
        return None


_PHP_ZONE_T = re.compile(r"^(\d{4}-\d{2}-\d{2})([A-Z]{3,5})(?=\d{2}:\d{2})")
_HAS_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")


def parse_iso(value: str) -> ParsedDate | None:
    """A machine date from JSON-LD, a meta tag, a `datetime` attribute or RSS.

    ISO 8601 ("2023-03-07T04:32:00+07:00", "...Z", "2023-03-07 04:32:00" naive = Vietnam time,
    "2023-03-07" = date precision, "2023-03-07T04:32"), RFC 2822 ("Mon, 09 Jan 2023 08:00:00 +0700"), and a
    string that is nothing but a day-first Vietnamese date ("07/03/2023 04:32", which some sites put in
    JSON-LD). A time in the string means precision "datetime". Anything else, including placeholder years
    such as 0001-01-01, gives None.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    max_year = _max_year(None)
    # NukeViet 4 writes its meta times with PHP date('Y-m-dTH:i:s'), where T is the zone abbreviation:
    # "2024-03-21ICT08:15:00". ICT is Vietnam time.
    abbr = _PHP_ZONE_T.match(text)
    if abbr is not None:
        zone = abbr.group(2)
        text = abbr.group(1) + "T" + text[abbr.end(2):]
        if zone in ("ICT", "UTC", "GMT") and not _HAS_OFFSET.search(text[11:]):
            text += "+07:00" if zone == "ICT" else "Z"

    m = _ISO.fullmatch(text)
    if m is not None:
        try:
            tz = _zone(m.group("tz"))
        except ValueError:
            return None
        if m.group("y") is not None:
            y, mo, d = int(m.group("y")), int(m.group("mo")), int(m.group("d"))
        else:
            y, mo, d = int(m.group("by")), int(m.group("bmo")), int(m.group("bd"))
        if m.group("h") is None:
            return _build(y, mo, d, None, 0, 0, None, max_year)
        return _build(y, mo, d, int(m.group("h")), int(m.group("mi")), int(m.group("s") or 0), tz, max_year)

    m = _RFC2822.fullmatch(text)
    if m is not None:
        try:
            tz = _zone(m.group("tz"))
        except ValueError:
            return None
        y = int(m.group("y")) if len(m.group("y")) == 4 else _expand_year(m.group("y"), max_year)
        mo = _MONTHS_EN[m.group("mon")[:3].lower()]
        if m.group("h") is None:
            return _build(y, mo, int(m.group("d")), None, 0, 0, None, max_year)
        return _build(y, mo, int(m.group("d")), int(m.group("h")), int(m.group("mi")), int(m.group("s") or 0),
                      tz, max_year)

    m = _ISO_BASIC.fullmatch(text)          # "20230307T043200Z" (basic format, seen in some feeds)
    if m is not None:
        try:
            tz = _zone(m.group("tz"))
        except ValueError:
            return None
        return _build(int(m.group("y")), int(m.group("mo")), int(m.group("d")), int(m.group("h")),
                      int(m.group("mi")), int(m.group("s") or 0), tz, max_year)

    # Nothing but a day-first date (and its time): "07/03/2023", "07/03/2023 04:32:00".
    prepared = _Prepared(text)
    for start, end, parsed in _scan(prepared.text, max_year):
        if parsed is not None and start == 0 and end == len(prepared.text):
            return parsed
        break
    return None


# --- date lines ------------------------------------------------------------------------------------------

# Words that go with a date line and say nothing else: labels, weekdays, zone, print/share buttons, view and
# comment counters, byline prefixes, domain names of a "Nguồn:" line.
_LABELS = re.compile(rf"""
      {_WEEKDAY}
    | (?<!\w)(?:GMT|UTC)(?:{_HS}*[+{_DASH}]{_HS}*\d{{1,2}}(?::?\d{{2}})?)?
    | (?<!\w)lượt{_HS}*(?:xem|đọc|truy{_HS}*cập)\W*\d[\d.,]*
    | (?<!\w)\d[\d.,]*{_HS}*lượt{_HS}*(?:xem|đọc|truy{_HS}*cập)(?!\w)
    | \(?(?<!\w)\d+\)?{_HS}*(?:bình{_HS}*luận|comments?|views?|lượt{_HS}*thích)(?!\w)
    | (?<!\w)[\w\-]+(?:\.[\w\-]+)*\.(?:vn|com|net|org|gov|info)(?:\.vn)?(?!\w)
    | (?<!\w)(?:
          cập{_HS}*nhật|ngày{_HS}*đăng|đăng{_HS}*ngày|đăng{_HS}*lúc|đăng{_HS}*bởi|người{_HS}*đăng|
          thời{_HS}*gian|xuất{_HS}*bản|ngày|lúc|vào|đăng|bởi|
          tác{_HS}*giả|người{_HS}*viết|biên{_HS}*tập|tin|bài{_HS}*viết|bài|ảnh|video|theo|nguồn|admin|
          print|in|bản{_HS}*in|gốc|chia{_HS}*sẻ|share|email|e-mail|gửi|lưu|tweet|like|zalo|facebook|
          nghe|đọc{_HS}*bài|bình{_HS}*luận|lượt{_HS}*xem|cỡ{_HS}*chữ|
          posted|published|updated|on|at|by|am|pm|sa|ch|sáng|chiều|tối|trưa
      )(?!\w)
""", _FLAGS)
_WORD_SPLIT = re.compile(rf"[\s,;:|/()\[\]{_DASH}·•*+=<>\"“”'‘’…!?]+")
_JOINERS = frozenset({"và", "&"})


def is_date_line(text: str, *, max_extra_words: int = 6) -> bool:
    """Whether `text` is a standalone date line rather than a sentence that cites a date.

    True for a complete date plus at most `max_extra_words` other words, where those words are labels
    ("Cập nhật", "Ngày đăng", "Print", "Gốc", a weekday, "GMT +7", a view counter) or a byline/place written
    like a name ("Vũ Ba", "Hải Phòng", "B.H"). A lowercase word or a number outside the date
    ("Đề án 02-ĐA/TU ngày 24/3/2014") means body text.
    """
    if not text:
        return False
    prepared = _Prepared(text)
    norm = prepared.text
    pieces, last, found = [], 0, False
    for start, end, parsed in _scan(norm, _max_year(None)):
        if parsed is None:
            continue
        found = True
        pieces.append(norm[last:start])
        last = end
    if not found:
        return False
    pieces.append(norm[last:])
    rest = _LABELS.sub(" ", " ".join(pieces))
    words = [w for w in _WORD_SPLIT.split(rest) if w.strip(".")]
    if len(words) > max_extra_words:
        return False
    for word in words:
        if any(ch.isdigit() for ch in word):
            return False
        if not (word[0].isupper() or word.lower() in _JOINERS):
            return False
    return True


# --- URLs ------------------------------------------------------------------------------------------------

# WordPress and friends: /2023/01/09/slug/ (a whole path segment each).
_URL_YMD_SLASH = re.compile(r"/(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?=/|\.html?$|$)")
# /2023-01-09/ or a path segment that starts/ends with the ISO date.
_URL_YMD_DASH = re.compile(r"(?<![\w])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\w])")
# A timestamp id at the end of the last segment: baotintuc "...-20231009123456789.htm" (YYYYMMDDhhmmss +
# up to 3 digits of ms), baoninhbinh "/d20230109083000.htm". 14 to 17 digits, so numeric ids (-4521,
# -d12345, hcmcpv's 10-digit ids) never qualify.
_URL_STAMP = re.compile(r"""
    (?:[\-_/]|/d|-d)
    (?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})\d{0,3}
    (?:\.(?:html?|aspx|php|chn|vnp))?/?$
""", re.VERBOSE | re.IGNORECASE)


def date_from_url(url: str) -> ParsedDate | None:
    """A publication date embedded in an article URL, or None.

    `/2023/01/09/slug/` and `/2023-01-09/` give a date; `-20231009123456789.htm` and `/d20230109083000.htm`
    give a date and time (Vietnam local). The year must be 1995..next year and the date valid.
    """
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    max_year = _max_year(None)

    m = _URL_STAMP.search(path)
    if m is not None:
        y = int(m.group("y"))
        if URL_MIN_YEAR <= y <= max_year:
            try:
                value = datetime(y, int(m.group("m")), int(m.group("d")), int(m.group("h")), int(m.group("mi")),
                                 int(m.group("s")), tzinfo=VN_TZ)
                return ParsedDate(value, "datetime")
            except ValueError:
                pass
    for pattern in (_URL_YMD_SLASH, _URL_YMD_DASH):
        for m in pattern.finditer(path):
            y = int(m.group("y"))
            if not URL_MIN_YEAR <= y <= max_year:
                continue
            try:
                return ParsedDate(datetime(y, int(m.group("m")), int(m.group("d")), tzinfo=VN_TZ), "date")
            except ValueError:
                continue
    return None
