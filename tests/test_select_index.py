"""The per-page selector index (pipelines/html_tree.py index_page) changes no answer of `select`: on every gold
and held-out page, and on the tree cut down the way the cleaning core cuts it, each family's selectors match
the same elements in the same order with the index as without it. Likewise detect_family's literal pre-check
(pipelines/families.py) tells the same family as the plain regexes."""
from __future__ import annotations

import pytest

from gold_cases import GOLD, HELDOUT, load_cases
from pipelines.decode import decode_html
from pipelines.families import FAMILIES, KINDS, detect_family, family_profile
from pipelines.html_tree import index_page, parse_html, release_page_index, select, text_of
from pipelines.legacy_fonts import fix_legacy_html

EXTRA = ["[itemprop=datePublished]", "a", "div p", "p:not(.x)", "li:first-child", "*", "[class]", "#missing",
         ".missing-class a", "DIV.Missing", "[data-x=y]", "a[rel=tag], .nope", "h1 + p", "meta[name=generator]",
         "[id$=lblContent]", "[id^=ctl]", "[class~=detail-content]", ".bad[[selector"]


def _pages():
    return [pytest.param(case, id=f"{base.parent.name}/{case.name}") for base in (GOLD, HELDOUT)
            for case in load_cases(base)]


def _tree(case):
    text, _ = decode_html(case.body, case.headers)
    text, _ = fix_legacy_html(text)
    return text, parse_html(text)


def _selectors():
    seen = []
    for family in FAMILIES:
        profile = family_profile(family)
        for kind in KINDS:
            for css in getattr(profile, kind):
                if css not in seen:
                    seen.append(css)
    return seen + EXTRA


def _answers(root, selectors):
    return [[id(el) for el in select(root, css)] for css in selectors]


@pytest.mark.parametrize("case", _pages())
def test_index_changes_no_answer(case):
    _, root = _tree(case)
    selectors = _selectors()
    keep = list(root.iter())          # ids stay valid: every element of the page stays alive
    plain = _answers(root, selectors)
    index_page(root, selectors)
    try:
        assert _answers(root, selectors) == plain
        # cut the tree as the core does (prune selectors, then the body), then ask again: still the same
        for css in family_profile("generic").prune[:12]:
            for el in select(root, css):
                if el.getparent() is not None and len(text_of(el)) < 0.5 * len(text_of(root)):
                    el.drop_tree()
        body = root.find("body")
        indexed = _answers(root, selectors) + (_answers(body, selectors) if body is not None else [])
    finally:
        release_page_index()
    assert indexed == _answers(root, selectors) + (_answers(body, selectors) if body is not None else [])
    assert keep


@pytest.mark.parametrize("case", _pages())
def test_family_precheck_changes_no_family(case):
    text, _ = _tree(case)
    sample = text[:400_000]
    plain = "generic"
    for family in ("nukeviet", "liferay", "wordpress", "aspnet"):
        if any(p.search(sample) for p in family_profile(family).detect):
            plain = family
            break
    assert detect_family(text) == plain


@pytest.mark.parametrize("html, family", [
    ('<meta name="generator" content="NukeViet v4">', "nukeviet"),
    ('<META NAME="GENERATOR" CONTENT="WORDPRESS 6">', "wordpress"),
    ("<script src='/WP-CONTENT/x.js'></script>", "wordpress"),
    ("<a href='default.ASPX'>x</a>", "aspnet"),
    ("<a href='default.aspxy'>x</a>", "generic"),
    ("<div class='portlet-boundary'></div>", "liferay"),
    # a character that re.IGNORECASE equates with an ASCII letter but str.lower() does not: the regexes decide
    ("<script src='/wp-content/x.js'></script>\u017f", "wordpress"),
    ("<p>nothing here: Đảng bộ tỉnh</p>", "generic"),
])
def test_family_precheck_cases(html, family):
    assert detect_family(html) == family
