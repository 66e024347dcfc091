import unicodedata

import pytest

from pipelines.normalize import comparison_key, fold_tone_placement, join_paragraphs, normalize_inline


def test_nfc_and_unicode_spaces():
    decomposed = unicodedata.normalize("NFD", "Đảng ủy")
    assert normalize_inline(f"  {decomposed}\u00a0\u2003khối\u202fcơ quan \t") == "Đảng ủy khối cơ quan"


@pytest.mark.parametrize("raw,clean", [
    ("Đảng\u200bủy", "Đảng ủy"),            # between two syllables: a word break, not glued
    ("Đả\u200bng ủy", "Đảng ủy"),           # inside a syllable: removed
    ("\ufeffBan Thường vụ", "Ban Thường vụ"),
    ("tổ\u200b chức", "tổ chức"),
    ("hội\u200b\u200bnghị", "hội nghị"),
])
def test_zero_width_characters_do_not_glue_words(raw, clean):
    assert normalize_inline(raw) == clean


def test_soft_hyphen_removed():
    assert normalize_inline("phát\u00adtriển") == "pháttriển"


@pytest.mark.parametrize("new,old", [
    ("hoà", "hòa"), ("Hoá", "Hóa"), ("thuỷ", "thủy"), ("uỷ ban", "ủy ban"), ("khoẻ", "khỏe"),
    ("hoàng", "hoàng"),     # a final consonant: only one placement exists
    ("quý", "quý"),         # qu- is a consonant: the mark stays on y
    ("thuở", "thuở"),
])
def test_tone_placement_folding(new, old):
    assert fold_tone_placement(new) == old


def test_comparison_key_unifies_spelling_but_keeps_diacritics_and_numbers():
    assert comparison_key("Uỷ ban  nhân dân\u00a0tỉnh") == comparison_key("ủy ban nhân dân tỉnh")
    assert comparison_key("ban") != comparison_key("bàn")
    assert comparison_key("Nghị quyết 28") != comparison_key("Nghị quyết 29")


def test_join_paragraphs_skips_empty():
    assert join_paragraphs(["a", "", "b"]) == "a\n\nb"
