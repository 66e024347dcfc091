"""Bytes to text: the page's declared charset, checked against what the bytes really are.

Party sites often mislabel their pages (UTF-8 bytes declared as iso-8859-1, windows-1258 pages declared as
nothing at all), and windows-1258 decodes to decomposed text (tone marks as combining characters), so the
result is normalised to NFC here, before anything else reads it.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Mapping

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, resolve_encoding

# Single-byte code pages under which any byte sequence decodes; a page declared as one of these but made
# of valid multi-byte UTF-8 is really UTF-8 (the reverse accident almost never validates).
_SINGLE_BYTE = {"cp1252", "latin_1", "iso8859_1", "iso8859_15", "cp1258", "ascii"}
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]")


class DecodeError(ValueError):
    """The bytes are not text in any plausible charset."""


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Return (text NFC, codec name). Raises DecodeError for bytes that are not text."""
    if not body:
        return "", "utf-8"
    if body.count(b"\x00") > max(8, len(body) // 1000):
        # UTF-16 pages carry a BOM; anything else with NULs is binary
        if not body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise DecodeError("binary content (NUL bytes)")
    content_type = header(headers, "content-type")
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(body[:8192])
    declared = resolve_encoding(declared) if declared else None
    has_non_ascii = bool(_NON_ASCII_RUN.search(body))

    text: str | None = None
    codec = declared
    if declared and declared in _SINGLE_BYTE and has_non_ascii:
        text = _strict(body, "utf-8")
        codec = "utf-8" if text is not None else declared
    if text is None and declared:
        text = _strict(body, declared)
    if text is None and not declared:
        text = _strict(body, "utf-8")
        codec = "utf-8"
    if text is None:
        guess = from_bytes(body[:200_000], cp_isolation=["utf_8", "cp1258", "cp1252", "utf_16"]).best()
        if guess is not None:
            codec = guess.encoding
            text = _strict(body, codec)
    if text is None:
        # the declared codec with replacement characters, if it is mostly right
        codec, text = html_to_unicode(content_type, body)
        if text.count("\ufffd") > max(20, len(text) // 50):
            raise DecodeError(f"undecodable as {codec}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text), codec or "utf-8"
