import codecs
import unicodedata

import pytest

from pipelines.decode import DecodeError, decode_html

TEXT = "Đảng ủy Khu kinh tế Hải Phòng tổ chức Hội nghị tổng kết công tác năm 2022"


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """Encode as windows-1258 does: precomposed base letters where the code page has them (â ê ô ơ ư ă đ),
    tone marks as combining characters."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return bytes(out)


def page(body: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_utf8_declared_in_header():
    text, codec = decode_html(page(TEXT).encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
    assert TEXT in text and codec == "utf-8"


def test_windows_1258_comes_out_nfc():
    raw = _cp1258(page(TEXT, '<meta charset="windows-1258">'))
    text, codec = decode_html(raw, {})
    assert codec == "cp1258"
    assert TEXT in text
    assert text == unicodedata.normalize("NFC", text)


def test_utf8_bytes_mislabelled_as_latin1():
    raw = page(TEXT, '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">').encode("utf-8")
    text, codec = decode_html(raw, {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert TEXT in text and codec == "utf-8"


def test_undeclared_utf8_and_bom():
    text, _ = decode_html(codecs.BOM_UTF8 + page(TEXT).encode("utf-8"), None)
    assert text.startswith("<html>") and TEXT in text


def test_undeclared_windows_1258_is_guessed():
    text, codec = decode_html(_cp1258(page(TEXT * 5)), None)
    assert TEXT in text, codec


def test_binary_is_refused():
    with pytest.raises(DecodeError):
        decode_html(b"\x00\x01\x02\x03" * 500, {"Content-Type": "text/html"})
