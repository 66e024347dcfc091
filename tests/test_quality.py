"""pipelines/quality.py: the Vietnamese quality filters, on texts and through the cleaning core's filter step.
They must keep every article of the gold and held-out sets and drop what they are for, each with its reason."""
from __future__ import annotations

import html
import re
import unicodedata

import pytest

from fixtures.textbank import THEME_SENTENCES
from gold_cases import HELDOUT, load_cases
from pipelines import quality
from pipelines.core import clean_page

ARTICLES = [c for c in load_cases() + load_cases(HELDOUT) if not c.is_drop]
GOLD_ARTICLE = next(c for c in load_cases() if not c.is_drop and c.expected["text"].count("\n\n") >= 4)
PROSE = "\n\n".join(THEME_SENTENCES["dang"][:6])
MENU = ["Trang chủ", "Giới thiệu", "Chính trị", "Kinh tế", "Văn hóa - Xã hội", "Quốc phòng - An ninh",
        "Xây dựng Đảng", "Pháp luật", "Thể thao", "Du lịch", "Môi trường"]


def _strip_marks(text: str) -> str:
    text = re.sub(r"[\u0300-\u036f]", "", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")


@pytest.mark.parametrize("case", ARTICLES, ids=[c.name for c in ARTICLES])
def test_articles_of_the_gold_and_held_out_sets_pass(case):
    result = clean_page(case.body, case.url, case.headers)
    assert result.drop_reason not in quality.REASONS, result.detail
    if result.ok:
        assert quality.check(result.record["text"]) is None


def test_prose_passes():
    assert quality.check(PROSE) is None


def test_text_without_tone_marks():
    verdict = quality.check(_strip_marks(PROSE))
    assert verdict.reason == "low_vietnamese_letters" and "marked letters" in verdict.detail


def test_text_of_figures_and_symbols():
    table = "\n\n".join(f"{i}. {i * 1.5:.1f} | {i * 37} | {i * 2.25:.2f}% | {i * 1000:,} / {i * 7}" for i in range(1, 40))
    verdict = quality.check(PROSE[:300] + "\n\n" + table)
    assert verdict.reason == "low_vietnamese_letters" and "of the characters" in verdict.detail


def test_short_texts_are_not_judged_by_letters():
    assert quality.check("Hoi nghi tong ket nam 2024 cua Dang bo tinh.") is None


def test_menu_run_in_the_text():
    text = "\n\n".join(MENU) + "\n\n" + "\n\n".join(THEME_SENTENCES["dang"][:4])
    assert quality.check(text).reason == "menu_lines"


def test_sub_headings_between_paragraphs_are_not_a_menu():
    sentences = THEME_SENTENCES["dang"][:6]
    text = "\n\n".join(p for i, s in enumerate(sentences) for p in (f"Nhiệm vụ trọng tâm {chr(65 + i)}", s))
    assert quality.menu_line_count(quality.lines_of(text), 5, 3) == 0
    assert quality.check(text) is None


def test_repeated_lines():
    paragraphs = THEME_SENTENCES["dang"][:4]
    text = "\n\n".join(paragraphs + paragraphs[:2] + [paragraphs[0].upper()])
    verdict = quality.check(text)
    assert verdict.reason == "repeated_lines" and verdict.detail.startswith("3 of 7")
    # one repeated line is not enough
    assert quality.check("\n\n".join(paragraphs + paragraphs[:1])) is None


def test_thresholds_are_data():
    config = quality.rules()
    assert set(config) == set(quality.REASONS)
    stricter = {**config, "repeated_lines": {**config["repeated_lines"], "min_lines": 1, "max_line_share": 0.1}}
    paragraphs = THEME_SENTENCES["dang"][:4]
    assert quality.check("\n\n".join(paragraphs + paragraphs[:1]), stricter).reason == "repeated_lines"


# ------------------------------------------------------------------------------------ through clean_page

def _with_body_changed(case, change) -> bytes:
    """The gold page with its first body paragraph's HTML replaced by change(paragraph HTML)."""
    page = case.body.decode("utf-8")
    first = case.expected["text"].split("\n\n")[0]
    escaped = html.escape(first, quote=False)
    anchor = first[:40] if first[:40] in page else escaped[:40]
    assert anchor in page, case.name
    start = page.rfind("<p", 0, page.index(anchor))
    end = page.index("</p>", start) + 4
    return (page[:start] + change(page[start:end]) + page[end:]).encode("utf-8")


def test_core_drops_a_page_typed_without_tone_marks():
    body = _strip_marks(GOLD_ARTICLE.body.decode("utf-8")).encode("utf-8")
    result = clean_page(body, GOLD_ARTICLE.url, GOLD_ARTICLE.headers)
    assert result.drop_reason == "low_vietnamese_letters"


def test_core_drops_a_page_whose_body_kept_a_menu():
    body = _with_body_changed(GOLD_ARTICLE, lambda p: "".join(f"<p>{m}</p>" for m in MENU) + p)
    result = clean_page(body, GOLD_ARTICLE.url, GOLD_ARTICLE.headers)
    assert result.drop_reason == "menu_lines", (result.drop_reason, result.detail)


def test_core_drops_a_page_whose_body_is_printed_three_times():
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in GOLD_ARTICLE.expected["text"].split("\n\n")[1:])
    body = _with_body_changed(GOLD_ARTICLE, lambda p: p + paragraphs * 2)
    result = clean_page(body, GOLD_ARTICLE.url, GOLD_ARTICLE.headers)
    assert result.drop_reason == "repeated_lines", (result.drop_reason, result.detail)
