"""The cleaning core, fuzzed: whatever bytes, HTML and headers a server sends, `clean_page` never raises and
ends in either a record that validates against the schema or a drop with a known reason.

Strategies: raw bytes; bytes behind HTML, XML, BOM, PDF and gzip openings; HTML trees built from the tags,
classes and ids the family rules look for, with Vietnamese text (NFC and decomposed), legacy-font (TCVN3/VNI)
characters, broken entities, date strings in every shape and JSON-LD; deep nesting; the same pages encoded in
several charsets under truthful or lying headers; random headers.

    pytest tests/test_fuzz_core.py                          # CI: 10,500 cases, derandomized (same cases each run)
    HYPOTHESIS_PROFILE=long pytest tests/test_fuzz_core.py  # 30x the cases, random, with a failure database

See docs/guarantees.md.
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from pipelines.core import CleanOptions, clean_page
from pipelines.record import build_record, validation_errors
from pipelines.site import SiteInfo

settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.filter_too_much])
settings.register_profile("long", derandomize=False, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.filter_too_much])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
SCALE = {"ci": 1, "long": 30}.get(PROFILE, 1) * float(os.environ.get("PARTYNEWS_FUZZ_SCALE", "1"))


def cases(n: int):
    return settings(max_examples=max(1, int(n * SCALE)))


DROP_REASONS = {"not_html", "undecodable", "unparseable", "bot_challenge", "error_page", "not_article", "no_title",
                "too_short", "not_vietnamese"}
ROOT = Path(__file__).parent.parent


# ------------------------------------------------------------------------------------------------ the property
def check(body: bytes, url: str, headers: dict | None = None, site: SiteInfo | None = None,
          options: CleanOptions | None = None) -> None:
    result = clean_page(body, url, headers, site, options)          # must not raise
    if result.ok:
        assert result.drop_reason is None
        record = build_record(result.record, url=url, site=site, http_status=200, run_id="fuzz",
                              fetched_at="2026-01-01T00:00:00Z")
        assert validation_errors(record) == [], (validation_errors(record), record)
        json.dumps(record, ensure_ascii=False)                      # serialisable
    else:
        assert result.record is None
        # a known reason, or one a newer filter added, always a name
        assert result.drop_reason in DROP_REASONS or re.fullmatch(r"[a-z][a-z_]*", result.drop_reason or ""), result


# ------------------------------------------------------------------------------------------------ vocabulary
@lru_cache(maxsize=1)
def rule_names() -> list[str]:
    """Class and id names the family rules select on: trees built from them reach the container paths."""
    text = (ROOT / "pipelines" / "rules" / "families.yaml").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"[.#]([A-Za-z][\w-]+)", text)))[:400] or ["content"]


VI_WORDS = ("Đảng bộ tỉnh Quảng Ninh tổ chức hội nghị Ban Chấp hành lần thứ hai mươi nhằm triển khai nhiệm vụ "
            "phát triển kinh tế xã hội năm 2024 đồng chí Bí thư Tỉnh ủy phát biểu chỉ đạo các cấp ủy "
            "thực hiện nghiêm túc Nghị quyết của Trung ương về xây dựng chỉnh đốn Đảng hòa thủy hoà thuỷ").split()
LEGACY = "¸µ¶·¹¨¾»¼½Æ©ÊÇÈÉË®ÐÌÎÏÑ«ÖÒÓÔÕ×ÝØÜÞßãáâäåæçèéêëìíîïðñòóôõöøùúûüýþ"   # TCVN3 code points
DATES = ["2024-06-05T08:30:00+07:00", "2024-06-05", "05/06/2024", "5/6/2024 08:30", "Thứ năm, 05/06/2024 - 08:30",
         "Ngày 05 tháng 6 năm 2024", "2024-13-45T99:99", "00/00/0000", "31/02/2024", "1970-01-01T00:00:00Z",
         "9999-12-31", "Cập nhật lúc 08:30 ngày 5/6/2024", "05-06-2024 08:30:00 GMT+7", "", "T", "2024/06/05 8h30",
         "10:00 AM 05/06/2024", "+002024-06-05"]
URLS = ["http://127.0.0.1/news/chinh-tri/hoi-nghi-ban-chap-hanh-dang-bo-tinh-lan-thu-20-5115.html",
        "https://tuyenquang.dcs.vn/Trang/tin-tuc-chi-tiet.aspx?ItemID=1234", "http://x.vn/", "http://x.vn/a?page=2",
        "https://btgtu.dongthap.gov.vn/w/bai-viet", "http://x.vn/2024/06/05/bai-viet/",
        "http://[::1]:8000/news/a/b-1.html", "https://x.vn/%ZZ/%%/bai-\u1ea1-1.html", "http://x.vn/A/../B/bai-viet-dai-12.html"]
TAGS = ("div", "p", "span", "article", "section", "main", "header", "footer", "nav", "aside", "h1", "h2", "h3", "h4",
        "table", "tr", "td", "ul", "ol", "li", "a", "img", "figure", "figcaption", "script", "style", "time", "br",
        "strong", "em", "b", "i", "blockquote", "form", "input", "iframe", "svg", "noscript", "template", "center",
        "font", "frameset", "frame", "object", "textarea", "select", "option", "pre", "code", "sup", "hr", "picture",
        "source", "video", "label", "button", "dl", "dt", "dd", "abbr", "html", "head", "body", "title", "meta")


def texts() -> st.SearchStrategy[str]:
    words = st.lists(st.sampled_from(VI_WORDS), min_size=1, max_size=20).map(" ".join)
    return st.one_of(
        words,
        st.text(max_size=60),
        st.text(alphabet=LEGACY + " .,", max_size=60),
        words.map(lambda s: __import__("unicodedata").normalize("NFD", s)),
        st.sampled_from(DATES),
        st.sampled_from(["&amp;", "&nbsp;", "&#xD800;", "&#99999999;", "&bogus;", "&#0;", "<!--", "]]>", "<![CDATA[",
                         "\u200b", "\ufeff", "\x00", "\u202e", "Ảnh: TTXVN", "Từ khóa:", "Bình luận", "(Nguồn: Báo Nhân Dân)",
                         "Theo TTXVN", "Tác giả: Nguyễn Văn A", "In bài viết", "Chia sẻ", "404", "Không tìm thấy trang"]),
    )


def attributes() -> st.SearchStrategy[dict]:
    value = st.one_of(st.sampled_from(rule_names()), texts(), st.sampled_from(URLS), st.sampled_from(DATES))
    return st.dictionaries(
        st.sampled_from(["class", "id", "href", "src", "content", "name", "property", "datetime", "itemprop", "rel",
                         "type", "charset", "http-equiv", "lang", "alt", "title", "style", "onclick", "srcset"]),
        value, max_size=4)


def _attr_text(attrs: dict) -> str:
    out = []
    for k, v in attrs.items():
        v = v.replace('"', "&quot;")
        out.append(f'{k}="{v}"')
    return (" " + " ".join(out)) if out else ""


def elements() -> st.SearchStrategy[str]:
    leaf = texts().map(lambda t: t.replace("<", "&lt;"))

    def extend(children):
        return st.builds(
            lambda tag, attrs, kids, close: f"<{tag}{_attr_text(attrs)}>{''.join(kids)}" + (f"</{tag}>" if close else ""),
            st.sampled_from(TAGS), attributes(), st.lists(children, max_size=4), st.booleans())

    return st.recursive(leaf, extend, max_leaves=12)


def jsonld() -> st.SearchStrategy[str]:
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), texts(),
                       st.sampled_from(DATES))
    obj = st.recursive(scalar, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(
        st.sampled_from(["@type", "@graph", "headline", "datePublished", "dateModified", "author", "name",
                         "articleSection", "keywords", "description", "image", "url", "mainEntityOfPage"]), c,
        max_size=4)), max_leaves=8)
    return st.one_of(obj.map(lambda o: json.dumps(o, ensure_ascii=False, default=str)),
                     st.text(max_size=80)).map(lambda j: f'<script type="application/ld+json">{j}</script>')


def metas() -> st.SearchStrategy[str]:
    return st.builds(lambda n, v: f'<meta property="{n}" name="{n}" content="{v.replace(chr(34), "")}">',
                     st.sampled_from(["article:published_time", "article:modified_time", "og:type", "og:title",
                                      "description", "generator", "pubdate", "keywords", "author", "og:url",
                                      "article:section", "article:tag", "dc.date"]),
                     st.one_of(texts(), st.sampled_from(DATES), st.sampled_from(["article", "NukeViet v4.5",
                                                                                  "WordPress 6.4", "Liferay"])))


TEXTS, ELEMENTS = texts(), elements()
HEAD_PARTS = st.lists(st.one_of(metas(), jsonld(), ELEMENTS), max_size=3)
BODY_PARTS = st.lists(ELEMENTS, min_size=0, max_size=3)
PARAGRAPHS = st.lists(st.lists(st.sampled_from(VI_WORDS), min_size=8, max_size=40).map(" ".join), min_size=1, max_size=8)


@st.composite
def pages(draw) -> str:
    head = "".join(draw(HEAD_PARTS))
    title = draw(TEXTS)
    body = "".join(draw(BODY_PARTS))
    if draw(st.booleans()):      # a plausible article body, so the filters let some pages through
        paras = draw(PARAGRAPHS)
        cls = draw(st.sampled_from(rule_names()))
        body += f'<div class="{cls}" id="{cls}"><h1>{title}</h1>' + "".join(f"<p>{p}.</p>" for p in paras) + "</div>"
    doctype = draw(st.sampled_from(["<!DOCTYPE html>", "", "<?xml version='1.0' encoding='utf-8'?>",
                                    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">']))
    if draw(st.booleans()):
        return f"{doctype}<html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    return doctype + head + body     # fragments, no html/head/body


CHARSETS = ["utf-8", "utf-16", "cp1258", "windows-1252", "iso-8859-1", "ascii", "utf-32", "shift_jis", "x-bogus", ""]


def headers_for() -> st.SearchStrategy[dict | None]:
    ctype = st.one_of(
        st.builds(lambda t, c: f"{t}; charset={c}" if c else t,
                  st.sampled_from(["text/html", "application/xhtml+xml", "text/plain", "application/octet-stream",
                                   "application/pdf", "image/png", "", "text/html;;", "TEXT/HTML"]),
                  st.sampled_from(CHARSETS)),
        st.text(max_size=40))
    return st.one_of(st.none(), st.fixed_dictionaries({"Content-Type": ctype}),
                     st.dictionaries(st.sampled_from(["Content-Type", "content-type", "Content-Language", "X-Whatever",
                                                      "Content-Encoding", "Last-Modified", ""]),
                                     st.one_of(ctype, st.text(max_size=30)), max_size=4))


def sites() -> st.SearchStrategy[SiteInfo | None]:
    rules = st.dictionaries(st.sampled_from(["title", "lead", "body", "date", "author", "tags", "prune", "caption",
                                             "category"]),
                            st.lists(st.one_of(st.sampled_from(["#" + n for n in rule_names()[:50]] + ["." + n for n in rule_names()[:50]]),
                                               st.text(max_size=15)), max_size=3), max_size=3)
    return st.one_of(st.none(), st.builds(
        lambda fam, r: SiteInfo(key="fuzz-site", name="Fuzz", province="Quảng Ninh", family=fam, rules=r),
        st.sampled_from([None, "nukeviet", "liferay", "aspnet", "wordpress", "generic"]), rules))


def encode(text: str, codec: str) -> bytes:
    try:
        return text.encode(codec or "utf-8", errors="replace")
    except LookupError:
        return text.encode("utf-8")


# ------------------------------------------------------------------------------------------------ the tests
@cases(5000)
@given(body=st.binary(max_size=512), url=st.sampled_from(URLS))
def test_raw_bytes(body, url):
    check(body, url)


@cases(2500)
@given(prefix=st.sampled_from([b"<html>", b"<!DOCTYPE html><html><head>", b"<?xml version='1.0'?>", b"\xef\xbb\xbf<html>",
                               b"\xff\xfe<\x00h\x00", b"%PDF-1.4", b"\x1f\x8b\x08", b"<html><body>" + b"<div>" * 300,
                               b"<meta charset='cp1258'>", b"<meta http-equiv='Content-Type' content='text/html; charset=x'>"]),
       body=st.binary(max_size=512), headers=headers_for())
def test_bytes_behind_plausible_openings(prefix, body, headers):
    check(prefix + body, URLS[0], headers)


@cases(1800)
@given(page=pages(), url=st.sampled_from(URLS), site=sites(), min_words=st.sampled_from([0, 1, 60]))
def test_html_trees(page, url, site, min_words):
    check(page.encode("utf-8"), url, {"Content-Type": "text/html; charset=utf-8"}, site,
          CleanOptions(min_words=min_words))


@cases(1000)
@given(page=pages(), codec=st.sampled_from(CHARSETS), declared=st.sampled_from(CHARSETS), headers=headers_for(),
       legacy=st.booleans())
def test_charsets_and_lying_headers(page, codec, declared, headers, legacy):
    if legacy:    # a page typed in a legacy Vietnamese font, in bytes
        page = page.replace("Đảng", "§¶ng").replace("tỉnh", "tØnh")
    body = encode(page, codec)
    if declared and headers is not None:
        headers = {**headers, "Content-Type": f"text/html; charset={declared}"}
    check(body, URLS[0], headers)


@cases(200)
@given(depth=st.integers(min_value=1, max_value=5_000), tag=st.sampled_from(["div", "span", "table", "b", "li", "p"]),
       text=st.lists(st.sampled_from(VI_WORDS), min_size=0, max_size=200).map(" ".join),
       closed=st.booleans())
def test_deep_nesting(depth, tag, text, closed):
    body = f"<html><head><title>{text[:60]}</title></head><body>" + f"<{tag}>" * depth + f"<p>{text}</p>" \
        + (f"</{tag}>" * depth if closed else "") + "</body></html>"
    check(body.encode("utf-8"), URLS[0], {"Content-Type": "text/html; charset=utf-8"})



# what the fuzzer found, kept as plain regression cases
FOUND = [
    # JSON-LD whose @type is not a string or a list crashed read_page_meta (TypeError)
    '<!DOCTYPE html><script type="application/ld+json">{"@type": true}</script>',
    '<script type="application/ld+json">{"@type": 5, "@graph": [{"@type": {}}]}</script><p>x</p>',
    # JSON-LD nested beyond the recursion limit raised RecursionError out of json.loads
    '<script type="application/ld+json">' + "[" * 100_000 + "</script><p>x</p>",
    '<script type="application/ld+json">' + '{"@graph":' * 3000 + "1" + "}" * 3000 + "</script><p>x</p>",
    # a control character in text that a pruned element's tail moved: lxml refused the joined text (ValueError)
    "<!DOCTYPE html>\x1f<input>Đảng",
    "<!DOCTYPE html><div>Đảng<div>\x1f<header></header>Đảng",
    "<p>a\x00b\ufffe\x0b</p><header>x</header>tail\x01",
    # a title and no text, with min_words 0, became a record with empty text (invalid)
    "<!DOCTYPE html><html><head><title>Đảng</title></head><body></body></html>",
]


def test_what_the_fuzzer_found():
    for page in FOUND:
        check(page.encode("utf-8"), URLS[0], {"Content-Type": "text/html; charset=utf-8"}, None,
              CleanOptions(min_words=0))
