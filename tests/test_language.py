"""pipelines/language.py: the Vietnamese-letter share decides without the model when it is high enough, and that
gives the same language as running the model with the share as a fallback."""
from __future__ import annotations

import pytest

from gold_cases import GOLD, HELDOUT, load_cases
from pipelines import language
from pipelines.core import clean_page

VI = ("Sáng nay, Ban Chấp hành Đảng bộ tỉnh tổ chức hội nghị lần thứ mười lăm để thảo luận và cho ý kiến về các "
      "nội dung quan trọng của công tác xây dựng Đảng trong thời gian tới.")
VI_NO_MARKS = ("Sang nay, Ban Chap hanh Dang bo tinh to chuc hoi nghi lan thu muoi lam de thao luan va cho y kien "
               "ve cac noi dung quan trong cua cong tac xay dung Dang trong thoi gian toi.")
EN = ("This morning the provincial Party Committee held its fifteenth conference to discuss and comment on the "
      "important matters of Party building in the coming period.")
FR = "Ce matin, le comité provincial du Parti a tenu sa quinzième conférence pour discuter des questions importantes."


def model_then_share(text: str) -> str:
    """The rule as it was before the share could decide alone: the model first, the share as a fallback."""
    sample = text[:4000]
    if not sample.strip():
        return "und"
    lang, _ = language._identifier().classify(sample)
    if lang != "vi" and language.vietnamese_letter_share(sample) >= 0.08:
        return "vi"
    return lang


def page_texts() -> list[str]:
    texts = [VI, VI_NO_MARKS, EN, FR, "", "   ", "123 456", "Đ", VI[:40], EN + " " + VI[:30]]
    for case in load_cases(GOLD) + load_cases(HELDOUT):
        result = clean_page(case.body, case.url, case.headers, case.site)
        fields = result.fields or {}
        if fields.get("text"):
            texts.append((fields.get("title") or "") + "\n" + fields["text"])
    return texts


@pytest.mark.parametrize("text", page_texts())
def test_same_language_as_model_then_share(text):
    assert language.detect_language(text)[0] == model_then_share(text)


def test_vietnamese_prose_decided_without_the_model(monkeypatch):
    def no_model():
        raise AssertionError("the model was consulted for Vietnamese prose")

    monkeypatch.setattr(language, "_identifier", no_model)
    lang, confidence = language.detect_language(VI)
    assert lang == "vi" and 0.5 <= confidence <= 1.0


def test_low_share_goes_to_the_model():
    assert language.detect_language(EN)[0] == "en"
    assert language.detect_language(FR)[0] == "fr"
    assert language.detect_language("  \n ")[0] == "und"
    assert language.vietnamese_letter_share(VI_NO_MARKS) == 0.0
    assert language.detect_language(VI_NO_MARKS)[0] == model_then_share(VI_NO_MARKS)
