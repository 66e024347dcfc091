"""pipelines.dates: string-level date parsing for Vietnamese party-news pages (see shared/SITES.md, "Dates")."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from pipelines.dates import (
    VN_TZ, ParsedDate, date_from_url, find_dates, is_date_line, parse_iso, parse_vn_datetime,
)

REF = datetime(2025, 6, 1, tzinfo=VN_TZ)


# --- ParsedDate ------------------------------------------------------------------------------------------

def test_parsed_date_isoformat():
    parsed = ParsedDate(datetime(2023, 3, 7, 4, 32, tzinfo=VN_TZ), "datetime")
    assert parsed.isoformat() == "2023-03-07T04:32:00+07:00"


def test_parsed_date_converts_to_vietnam_time_and_drops_microseconds():
    parsed = ParsedDate(datetime(2024, 3, 12, 2, 15, 0, 123456, tzinfo=timezone.utc), "datetime")
    assert parsed.value.utcoffset() == timedelta(hours=7)
    assert parsed.isoformat() == "2024-03-12T09:15:00+07:00"


def test_parsed_date_naive_is_local_and_date_precision_is_midnight():
    assert ParsedDate(datetime(2023, 3, 7, 4, 32), "datetime").isoformat() == "2023-03-07T04:32:00+07:00"
    assert ParsedDate(datetime(2023, 3, 7, 4, 32, tzinfo=VN_TZ), "date").isoformat() == "2023-03-07T00:00:00+07:00"


def test_parsed_date_is_frozen_and_checks_precision():
    parsed = ParsedDate(datetime(2023, 3, 7, tzinfo=VN_TZ), "date")
    with pytest.raises(Exception):
        parsed.precision = "datetime"  # type: ignore[misc]
    with pytest.raises(ValueError):
        ParsedDate(datetime(2023, 3, 7, tzinfo=VN_TZ), "day")


def test_parsed_dates_compare_equal():
    a = parse_vn_datetime("09:21 30/12/2022")
    b = parse_iso("2022-12-30T02:21:00Z")
    assert a == b and hash(a) == hash(b)


# --- parse_vn_datetime: every shape from SITES.md and the brief ------------------------------------------

SHAPES = [
    # (text, ISO, precision)
    ("09:21 30/12/2022", "2022-12-30T09:21:00+07:00", "datetime"),
    ("04:32 07/03/2023", "2023-03-07T04:32:00+07:00", "datetime"),           # 7 March, never 3 July
    ("Thứ hai, 09/01/2023", "2023-01-09T00:00:00+07:00", "date"),
    ("Thứ Bảy, 26/01/2019 19:26", "2019-01-26T19:26:00+07:00", "datetime"),
    ("Vũ Ba 15/06/2024 - 09:58", "2024-06-15T09:58:00+07:00", "datetime"),  # byline in front
    ("15:05 - 25/05/2024", "2024-05-25T15:05:00+07:00", "datetime"),
    ("Thứ 6, 29/09/2023 | 10:18:56 [GMT +7]", "2023-09-29T10:18:56+07:00", "datetime"),
    ("10:51, 19/10/2020", "2020-10-19T10:51:00+07:00", "datetime"),
    ("14/10/2020, 09:11 GMT+07", "2020-10-14T09:11:00+07:00", "datetime"),
    ("Cập nhật lúc22:18, Thứ Sáu, 28/10/2016 (GMT+7)", "2016-10-28T22:18:00+07:00", "datetime"),
    ("Thứ tư, 08 Tháng 9 2021 15:09", "2021-09-08T15:09:00+07:00", "datetime"),
    ("ngày 27 tháng 02 năm 2020", "2020-02-27T00:00:00+07:00", "date"),
    ("Hải Phòng, ngày 27 tháng 02 năm 2020", "2020-02-27T00:00:00+07:00", "date"),
    ("Print Thứ Tư, 15/01/2020 08:22 Gốc", "2020-01-15T08:22:00+07:00", "datetime"),
    ("Ngày đăng: 12/05/2023", "2023-05-12T00:00:00+07:00", "date"),
    ("Cập nhật: 14/03/2006", "2006-03-14T00:00:00+07:00", "date"),
    ("Đăng lúc 8h30 ngày 3/4/2021", "2021-04-03T08:30:00+07:00", "datetime"),
    ("20:35 19/11/2024", "2024-11-19T20:35:00+07:00", "datetime"),
    ("19/11/2024 20:35", "2024-11-19T20:35:00+07:00", "datetime"),
    ("2023-03-07 04:32", "2023-03-07T04:32:00+07:00", "datetime"),
    ("07-03-2023 04:32", "2023-03-07T04:32:00+07:00", "datetime"),
    ("7.3.2023", "2023-03-07T00:00:00+07:00", "date"),
    ("Chủ nhật, 5/1/2025 - 7:05 AM", "2025-01-05T07:05:00+07:00", "datetime"),
    ("14 giờ 30 phút, ngày 5/1/2025", "2025-01-05T14:30:00+07:00", "datetime"),
    ("14h30 ngày 5/1/2025", "2025-01-05T14:30:00+07:00", "datetime"),
    # more spellings of the same things
    ("Thứ Năm, 12/01/2023, 10:04 (GMT+7)", "2023-01-12T10:04:00+07:00", "datetime"),
    ("Cập nhật: 14/03/2006 10:08:22 AM", "2006-03-14T10:08:22+07:00", "datetime"),
    ("Chủ nhật, 5/1/2025 - 7:05 PM", "2025-01-05T19:05:00+07:00", "datetime"),
    ("Chủ nhật, 5/1/2025 - 12:05 AM", "2025-01-05T00:05:00+07:00", "datetime"),
    ("5/1/2025 7:05 CH", "2025-01-05T19:05:00+07:00", "datetime"),             # CH = chiều (PM)
    ("5/1/2025 7:05 SA", "2025-01-05T07:05:00+07:00", "datetime"),             # SA = sáng (AM)
    ("7 giờ tối ngày 5/1/2025", "2025-01-05T19:00:00+07:00", "datetime"),
    ("Hồi 23h31' ngày 23/11/2024", "2024-11-23T23:31:00+07:00", "datetime"),  # from a seed body
    ("ngày 5/1/2025 lúc 14g30", "2025-01-05T14:30:00+07:00", "datetime"),
    ("Thứ 2, 09/01/2023", "2023-01-09T00:00:00+07:00", "date"),
    ("T2, 09/01/2023 08:00", "2023-01-09T08:00:00+07:00", "datetime"),
    ("CHỦ NHẬT, 05/01/2025", "2025-01-05T00:00:00+07:00", "date"),
    ("Thứ hai, 09-01-2023", "2023-01-09T00:00:00+07:00", "date"),
    ("ngày 8 tháng Chín năm 2021", "2021-09-08T00:00:00+07:00", "date"),
    ("5 tháng 1, 2025", "2025-01-05T00:00:00+07:00", "date"),
    ("09 Jan 2023 08:00", "2023-01-09T08:00:00+07:00", "datetime"),
    ("2023/03/07", "2023-03-07T00:00:00+07:00", "date"),
    ("2023-03-07T04:32:00+07:00", "2023-03-07T04:32:00+07:00", "datetime"),
    ("2023-03-07T04:32:00Z", "2023-03-07T11:32:00+07:00", "datetime"),
    ("15/06/2024 – 09:58", "2024-06-15T09:58:00+07:00", "datetime"),          # en dash
    ("Thứ hai,\u00a009/01/2023\u00a0\u00a010:00", "2023-01-09T10:00:00+07:00", "datetime"),  # NBSP
    ("Thứ hai,\u200b09/01/2023", "2023-01-09T00:00:00+07:00", "date"),        # zero-width space
    ("  Ngày đăng:   12/05/2023  ", "2023-05-12T00:00:00+07:00", "date"),
]


@pytest.mark.parametrize("text,expected,precision", SHAPES)
def test_parse_vn_datetime_shapes(text, expected, precision):
    parsed = parse_vn_datetime(text, reference=REF)
    assert parsed is not None, text
    assert parsed.isoformat() == expected
    assert parsed.precision == precision
    assert parsed.value.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize("text", [s[0] for s in SHAPES])
def test_decomposed_text_parses_the_same(text):
    """windows-1258 pages decode to combining marks; the result must not change."""
    decomposed = unicodedata.normalize("NFD", text)
    assert parse_vn_datetime(decomposed, reference=REF) == parse_vn_datetime(text, reference=REF)


@pytest.mark.parametrize("text,expected", [
    ("04:32 07/03/2023", "2023-03-07T04:32:00+07:00"),   # 7 March
    ("03/07/2023", "2023-07-03T00:00:00+07:00"),         # 3 July
    ("12/01/2023", "2023-01-12T00:00:00+07:00"),         # 12 January, not 1 December
    ("01/12/2023", "2023-12-01T00:00:00+07:00"),
    ("07-03-2023", "2023-03-07T00:00:00+07:00"),
    ("7.3.2023", "2023-03-07T00:00:00+07:00"),
])
def test_never_month_first(text, expected):
    assert parse_vn_datetime(text, reference=REF).isoformat() == expected


def test_month_first_reading_is_invalid_not_swapped():
    # 13 is not a month, but the date is day-first anyway: 13 May. And 05/13/2023 is not a date at all.
    assert parse_vn_datetime("13/05/2023", reference=REF).isoformat() == "2023-05-13T00:00:00+07:00"
    assert parse_vn_datetime("05/13/2023", reference=REF) is None


@pytest.mark.parametrize("text", [
    "Chiều 10/7", "Sáng 29-12", "Ngày 9/1", "Chiều 10/7, đồng chí Bí thư đã làm việc", "tháng 9/2021",
    "năm 2020", "Tháng 9 2021", "ngày 27 tháng 02", "10/7/23",   # a 2-digit year with nothing dating it
    "", "   ", "không có ngày", "Số 1.000.000 đồng", "Quyết định số 1234/QĐ-UBND", "Luật số 59/2020/QH14",
])
def test_yearless_and_no_dates(text):
    assert parse_vn_datetime(text, reference=REF) is None
    assert find_dates(text) == []
    assert is_date_line(text) is False


@pytest.mark.parametrize("text", [
    "31/02/2023", "29/02/2023", "32/01/2023", "00/01/2023", "15/13/2023", "15/00/2023",
    "25:61 07/03/2023", "07/03/2023 25:61", "07/03/2023 24:00", "07/03/2023 10:60",
    "14/10/2020, 09:11 GMT+25",
])
def test_invalid_dates(text):
    assert parse_vn_datetime(text, reference=REF) is None
    assert find_dates(text) == []


def test_leap_day_is_valid():
    assert parse_vn_datetime("29/02/2024", reference=REF).isoformat() == "2024-02-29T00:00:00+07:00"


@pytest.mark.parametrize("text,reference,expected", [
    ("30/04/1975", REF, None),                       # cited history, not a publication date
    ("12/03/1989", REF, None),
    ("01/01/1990", REF, "1990-01-01T00:00:00+07:00"),
    ("01/01/2026", REF, "2026-01-01T00:00:00+07:00"),  # reference year + 1 is still allowed
    ("01/01/2027", REF, None),
    ("01/01/2027", datetime(2026, 1, 1, tzinfo=VN_TZ), "2027-01-01T00:00:00+07:00"),
])
def test_year_range(text, reference, expected):
    parsed = parse_vn_datetime(text, reference=reference)
    assert (parsed.isoformat() if parsed else None) == expected


def test_year_range_defaults_to_now():
    next_year = datetime.now(VN_TZ).year + 1
    assert parse_vn_datetime(f"01/01/{next_year}") is not None
    assert parse_vn_datetime(f"01/01/{next_year + 1}") is None


@pytest.mark.parametrize("text,expected", [
    ("Thứ hai, 09/01/23", "2023-01-09T00:00:00+07:00"),     # weekday in front
    ("09:21 30/12/22", "2022-12-30T09:21:00+07:00"),         # time attached
    ("30/12/22 09:21", "2022-12-30T09:21:00+07:00"),
    ("Ngày đăng: 9/1/23", "2023-01-09T00:00:00+07:00"),
    ("Thứ hai, 09/01/99", None),                             # 1999 is fine as a year, but...
])
def test_two_digit_years_only_in_date_line_shapes(text, expected):
    parsed = parse_vn_datetime(text, reference=REF)
    if expected is None:
        assert parsed is not None and parsed.value.year == 1999
    else:
        assert parsed.isoformat() == expected


def test_two_digit_year_never_with_dots():
    assert parse_vn_datetime("phiên bản 1.2.23", reference=REF) is None


@pytest.mark.parametrize("text,expected", [
    ("Thứ hai, 10/01/2023", "2023-01-10T00:00:00+07:00"),   # 10 Jan 2023 was a Tuesday
    ("Chủ nhật, 09/01/2023 08:00", "2023-01-09T08:00:00+07:00"),
])
def test_wrong_weekday_is_ignored(text, expected):
    assert parse_vn_datetime(text, reference=REF).isoformat() == expected


@pytest.mark.parametrize("text,expected", [
    ("14/10/2020, 09:11 GMT+0", "2020-10-14T16:11:00+07:00"),
    ("14/10/2020, 09:11 GMT", "2020-10-14T16:11:00+07:00"),
    ("14/10/2020, 09:11 (UTC+00:00)", "2020-10-14T16:11:00+07:00"),
    ("14/10/2020, 09:11 GMT+9", "2020-10-14T07:11:00+07:00"),
    ("14/10/2020, 09:11 GMT-5", "2020-10-14T21:11:00+07:00"),
    ("Thứ 6, 29/09/2023 | 10:18:56 [GMT +7]", "2023-09-29T10:18:56+07:00"),
    ("Cập nhật lúc 02:18 GMT+0, 28/10/2016", "2016-10-28T09:18:00+07:00"),
    ("Cập nhật lúc 22:18, 28/10/2016 (GMT+0)", "2016-10-29T05:18:00+07:00"),
    ("07/03/2023 04:32+00:00", "2023-03-07T11:32:00+07:00"),
    ("2023-03-07 04:32:00-05:00", "2023-03-07T16:32:00+07:00"),
])
def test_explicit_zones_are_honoured(text, expected):
    assert parse_vn_datetime(text, reference=REF).isoformat() == expected


def test_dash_after_time_is_not_an_offset():
    # "10:00-12:00" is a time range after a day-first date; " - 25" is the next date, not UTC-25.
    assert parse_vn_datetime("12/3/2023 10:00-12:00", reference=REF).isoformat() == "2023-03-12T10:00:00+07:00"
    assert parse_vn_datetime("15:05-25/05/2024", reference=REF).isoformat() == "2024-05-25T15:05:00+07:00"


def test_time_must_be_on_the_same_line():
    parsed = parse_vn_datetime("09/01/2023\n10:00 Lượt xem", reference=REF)
    assert parsed.isoformat() == "2023-01-09T00:00:00+07:00" and parsed.precision == "date"
    assert parse_vn_datetime("10:00\n09/01/2023", reference=REF).precision == "date"


def test_a_number_is_not_a_time():
    parsed = parse_vn_datetime("ngày 12/3/2023 2 hộ gia đình", reference=REF)
    assert parsed.precision == "date"


def test_returns_the_first_complete_date():
    text = "Thứ hai, 26/02/2024 Đảng ủy Khối triển khai nhiệm vụ năm 2023 Thứ hai, 09/01/2023"
    assert parse_vn_datetime(text, reference=REF).isoformat() == "2024-02-26T00:00:00+07:00"
    # a year-less date in front does not count; the first complete one does
    assert parse_vn_datetime("Chiều 10/7, ngày 12/07/2023", reference=REF).isoformat() == "2023-07-12T00:00:00+07:00"
    # an invalid date is skipped
    assert parse_vn_datetime("31/02/2023 hoặc 01/03/2023", reference=REF).isoformat() == "2023-03-01T00:00:00+07:00"


def test_body_sentence_still_gives_its_date():
    # parse_vn_datetime reads whatever string it is given; is_date_line decides whether it is a date line.
    parsed = parse_vn_datetime("Đề án 02-ĐA/TU ngày 24/3/2014", reference=REF)
    assert parsed.isoformat() == "2014-03-24T00:00:00+07:00"


@pytest.mark.parametrize("text,expected", [
    ("January 9, 2023 10:00", "2023-01-09T10:00:00+07:00"),
    ("Tháng Chín 8, 2021", "2021-09-08T00:00:00+07:00"),
])
def test_dateparser_fallback_for_month_words(text, expected):
    assert parse_vn_datetime(text, reference=REF).isoformat() == expected


# --- find_dates ------------------------------------------------------------------------------------------

def test_find_dates_in_body_text():
    text = ("Thực hiện Nghị quyết số 28-NQ/TU ngày 10/11/2009 của Ban Thường vụ và Đề án 02-ĐA/TU ngày 24/3/2014 "
            "của Ban Thường vụ Tỉnh ủy. Chiều 10/7, đoàn công tác đã làm việc.")
    found = find_dates(text)
    assert [p.isoformat() for _, _, p in found] == ["2009-11-10T00:00:00+07:00", "2014-03-24T00:00:00+07:00"]
    assert [text[s:e] for s, e, _ in found] == ["10/11/2009", "24/3/2014"]


def test_find_dates_spans_cover_time_and_zone():
    text = "Tin địa phương\nVũ Ba 15/06/2024 - 09:58\n\nThứ 6, 29/09/2023 | 10:18:56 [GMT +7]\n09:21 30/12/2022"
    found = find_dates(text)
    assert [text[s:e] for s, e, _ in found] == [
        "15/06/2024 - 09:58", "29/09/2023 | 10:18:56 [GMT +7]", "09:21 30/12/2022"]
    assert [p.isoformat() for _, _, p in found] == [
        "2024-06-15T09:58:00+07:00", "2023-09-29T10:18:56+07:00", "2022-12-30T09:21:00+07:00"]


def test_find_dates_does_not_share_a_time_between_two_dates():
    found = find_dates("12/03/2023 10:00 14/03/2023")
    assert [p.isoformat() for _, _, p in found] == ["2023-03-12T10:00:00+07:00", "2023-03-14T00:00:00+07:00"]
    spans = [(s, e) for s, e, _ in found]
    assert spans[0][1] <= spans[1][0]


def test_find_dates_offsets_refer_to_the_callers_text():
    text = unicodedata.normalize("NFD", "Cập nhật lúc 22:18, Thứ Sáu, 28/10/2016 (GMT+7) — Đề án ngày 24/3/2014")
    found = find_dates(text)
    assert [text[s:e] for s, e, _ in found] == [
        unicodedata.normalize("NFD", "22:18, Thứ Sáu, 28/10/2016 (GMT+7)"), "24/3/2014"]
    text = "Thứ\u200bhai,\u200b09/01/2023"
    ((s, e, p),) = find_dates(text)
    assert text[s:e] == "09/01/2023"


def test_find_dates_ignores_numbers_and_codes():
    text = ("Tổng vốn 1.234.567 triệu đồng, tăng 12,5%; điện thoại 0225.3.842.123; Quyết định 1234/QĐ-UBND; "
            "Luật số 59/2020/QH14; tỷ lệ 3/4; giai đoạn 2020-2025; phiên bản 1.2.3")
    assert find_dates(text) == []


def test_find_dates_on_a_20kb_text_takes_the_leading_date():
    # speed is measured by bench/perf.py (the core's CPU per page), not asserted here: machines are noisy
    paragraph = ("Chiều 10/7, Đảng ủy Khối tổ chức hội nghị triển khai Nghị quyết số 28-NQ/TU ngày 10/11/2009 "
                 "với 1.234 đảng viên tham dự, tăng 12,5% so với năm 2022; tổng kinh phí 3.500.000 đồng. ")
    text = ("09:21 30/12/2022\n" + paragraph * 200)[:20_000]
    found = find_dates(text)
    assert found[0][2].isoformat() == "2022-12-30T09:21:00+07:00"


# --- is_date_line ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [s[0] for s in SHAPES] + [
    "Ngày đăng: 12/05/2023 | Cập nhật: 14/05/2023",
    "12/05/2023 | Lượt xem: 1.234",
    "(0) Bình luận 15/06/2024 - 09:58",
    "Tin, ảnh: Hoàng Tùng 15/06/2024",
    "B.H 09/01/2023",
    "Nguyễn Văn An và Trần Bình - 09/01/2023",
    "Theo TTXVN | 09/01/2023 08:00",
    "Nguồn: baohaiphong.com.vn | 09/01/2023",
    "Thứ hai, 26/02/2024",            # the header's today date is a date line too; the caller rejects it
    "Posted on 09/01/2023 by admin",
    "In bài viết 07/03/2023",
    "Tác giả: Minh Trí - Thứ Ba, 07/03/2023 04:32",
    "Thứ tư, 08 Tháng 9 2021 15:09 Lượt xem: 2415",
    "Thứ Hai, 09/01/2023 10:25 (GMT+7) - Chia sẻ",
    "09/01/2023 8:00:00 SA",
])
def test_is_date_line_true(text):
    assert is_date_line(text) is True


@pytest.mark.parametrize("text", [
    "Đề án 02-ĐA/TU ngày 24/3/2014",
    "Thực hiện Đề án 02-ĐA/TU ngày 24/3/2014 của Ban Thường vụ Tỉnh ủy",
    "Ngày 24/3/2014, Ban Thường vụ Tỉnh ủy ban hành Đề án về phát triển kinh tế biển.",
    "Sáng 09/01/2023, Đảng ủy Khối tổ chức hội nghị",
    "Hồi 23h31' ngày 23/11/2024, Trung tâm thông tin chỉ huy nhận tin báo",
    "Tổng kết năm 2023 ngày 09/01/2023 tại hội trường",
    "Nghị quyết số 28-NQ/TU ngày 10/11/2009",
    "Chiều 10/7",
    "Thứ hai",
])
def test_is_date_line_false(text):
    assert is_date_line(text) is False


def test_is_date_line_max_extra_words():
    text = "Nguyễn Văn An Trần Thị Bình 09/01/2023"
    assert is_date_line(text) is True
    assert is_date_line(text, max_extra_words=4) is False
    assert is_date_line("Thứ hai, 09/01/2023", max_extra_words=0) is True


# --- parse_iso -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected,precision", [
    ("2023-03-07T04:32:00+07:00", "2023-03-07T04:32:00+07:00", "datetime"),
    ("2024-03-12T02:15:00+00:00", "2024-03-12T09:15:00+07:00", "datetime"),
    ("2023-03-07T04:32:00Z", "2023-03-07T11:32:00+07:00", "datetime"),
    ("2023-03-07 04:32:00", "2023-03-07T04:32:00+07:00", "datetime"),       # naive: Vietnam time
    ("2023-03-07", "2023-03-07T00:00:00+07:00", "date"),
    ("2023-03-07T04:32", "2023-03-07T04:32:00+07:00", "datetime"),
    ("2023-03-07T00:00:00+07:00", "2023-03-07T00:00:00+07:00", "datetime"),  # a time given is a time
    ("2023-03-07T04:32:00.000+07:00", "2023-03-07T04:32:00+07:00", "datetime"),
    ("2023-03-07T04:32:00.1234567+0700", "2023-03-07T04:32:00+07:00", "datetime"),
    ("2023-03-07T04:32:00+07", "2023-03-07T04:32:00+07:00", "datetime"),
    ("2023-03-07T04:32:00-05:00", "2023-03-07T16:32:00+07:00", "datetime"),
    ("  2023-03-07T04:32:00+07:00\n", "2023-03-07T04:32:00+07:00", "datetime"),
    ("20230307T043200Z", "2023-03-07T11:32:00+07:00", "datetime"),
    ("Mon, 09 Jan 2023 08:00:00 +0700", "2023-01-09T08:00:00+07:00", "datetime"),
    ("Mon, 09 Jan 2023 01:00:00 GMT", "2023-01-09T08:00:00+07:00", "datetime"),
    ("Mon, 09 Jan 2023 01:00:00 +0000", "2023-01-09T08:00:00+07:00", "datetime"),
    ("Mon, 09 Jan 2023 01:00:00 -0000", "2023-01-09T08:00:00+07:00", "datetime"),
    ("Sun, 8 Jan 2023 20:00:00 -0500", "2023-01-09T08:00:00+07:00", "datetime"),
    ("09 Jan 2023 08:00 +0700", "2023-01-09T08:00:00+07:00", "datetime"),
    ("07/03/2023 04:32", "2023-03-07T04:32:00+07:00", "datetime"),           # day-first, as VN sites write
    ("07/03/2023", "2023-03-07T00:00:00+07:00", "date"),
])
def test_parse_iso(value, expected, precision):
    parsed = parse_iso(value)
    assert parsed is not None, value
    assert parsed.isoformat() == expected
    assert parsed.precision == precision


@pytest.mark.parametrize("value", [
    "", "   ", "garbage", "null", "None", "0000-00-00", "0001-01-01T00:00:00", "2023-13-01", "2023-02-30",
    "2023-03-07T25:00:00", "2023-03-07T04:61:00", "1697432100", "12345", "2023", "Thứ hai, 09/01/2023",
    "2023-03-07T04:32:00+25:00", "Mon, 32 Jan 2023 08:00:00 +0700", "07/03/2023 hôm nay",
])
def test_parse_iso_garbage(value):
    assert parse_iso(value) is None


def test_parse_iso_rejects_non_strings():
    assert parse_iso(None) is None  # type: ignore[arg-type]
    assert parse_iso(20230307) is None  # type: ignore[arg-type]


# --- date_from_url ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("url,expected,precision", [
    ("https://heza.gov.vn/2023/01/09/hoi-nghi-trien-khai/", "2023-01-09T00:00:00+07:00", "date"),
    ("https://example.vn/2023/01/09/", "2023-01-09T00:00:00+07:00", "date"),
    ("https://example.vn/2023-01-09/bai-viet", "2023-01-09T00:00:00+07:00", "date"),
    ("https://baotintuc.vn/thoi-su/hoi-nghi-20231009123456789.htm", "2023-10-09T12:34:56+07:00", "datetime"),
    ("https://baotintuc.vn/thoi-su/hoi-nghi-20231009123456789.htm?utm=1#x", "2023-10-09T12:34:56+07:00", "datetime"),
    ("https://baoninhbinh.org.vn/hoi-nghi-trien-khai/d20230109083000.htm", "2023-01-09T08:30:00+07:00", "datetime"),
    ("https://example.vn/tin/slug-20230109083000.html", "2023-01-09T08:30:00+07:00", "datetime"),
])
def test_date_from_url(url, expected, precision):
    parsed = date_from_url(url)
    assert parsed is not None, url
    assert parsed.isoformat() == expected
    assert parsed.precision == precision


@pytest.mark.parametrize("url", [
    "https://haiphong.dcs.vn/news/tin-tuc/hoi-nghi-4521.html",            # NukeViet id
    "https://media.anhp.vn/hoi-nghi-d12345.html",                         # anhp id
    "https://hcmcpv.org.vn/tin-tuc/hoi-nghi-1697432100",                  # 10-digit hcmcpv id
    "https://hcmcpv.org.vn/tin-tuc/hoi-nghi-1491912345",
    "https://www.tapchicongsan.org.vn/web/guest/-/2018/52402/view_content",
    "https://dangcongsan.vn/thoi-su/hoi-nghi-628912.html",
    "https://nhandan.vn/hoi-nghi-post756432.html",
    "https://example.vn/2023/01/",                                        # no day
    "https://example.vn/2023/13/09/slug/",                                # month 13
    "https://example.vn/2023/02/30/slug/",                                # 30 February
    "https://example.vn/1990/01/09/slug/",                                # before 1995
    "https://example.vn/2999/01/09/slug/",                                # future
    "https://baotintuc.vn/thoi-su/hoi-nghi-20231309123456789.htm",        # month 13
    "https://baotintuc.vn/thoi-su/hoi-nghi-20231009253456789.htm",        # hour 25
    "https://baotintuc.vn/thoi-su/hoi-nghi-202310091234567890.htm",       # 18 digits: an id
    "https://example.vn/news/20230109/",                                  # 8-digit segment: could be an id
    "https://example.vn/Portal/PrintItem.aspx?ContentID=20230109",
    "", "not a url",
])
def test_date_from_url_ignores_ids(url):
    assert date_from_url(url) is None


@pytest.mark.parametrize("value,iso", [
    ("2024-03-21ICT08:15:00", "2024-03-21T08:15:00+07:00"),        # NukeViet's PHP date('Y-m-dTH:i:s')
    ("2016-03-15ICT04:35:00+07:00", "2016-03-15T04:35:00+07:00"),
    ("2016-03-15UTC04:35:00", "2016-03-15T11:35:00+07:00"),
])
def test_nukeviet_zone_abbreviation_in_meta(value, iso):
    assert parse_iso(value).isoformat() == iso
