"""The cleaning core against the gold set: every page gives exactly its expected record (or drop)."""
from __future__ import annotations

import pytest

from gold_cases import COMPARED, load_cases
from pipelines.core import CleanOptions, clean_page
from pipelines.record import build_record, validation_errors
from pipelines.site import SiteInfo

CASES = load_cases()


def test_gold_set_is_large_enough():
    families = {c.site["family"] for c in CASES}
    assert len(CASES) >= 30
    assert families >= {"nukeviet", "liferay", "aspnet", "wordpress", "generic"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("with_site", [False, True], ids=["no-registry", "registry"])
def test_gold_page(case, with_site):
    """With its registry entry, and without one (the family is told from the page)."""
    site = SiteInfo.from_mapping(case.site) if with_site else None
    result = clean_page(case.body, case.url, case.headers, site, CleanOptions())
    if case.is_drop:
        assert result.drop_reason == case.expected["drop_reason"], result.detail
        return
    assert result.ok, f"dropped as {result.drop_reason}: {result.detail}"
    got = {field: result.record[field] for field in COMPARED}
    want = {field: case.expected.get(field) for field in COMPARED}
    if got["text"] != want["text"]:
        extra = [p for p in got["text"].split("\n\n") if p not in want["text"].split("\n\n")]
        missing = [p for p in want["text"].split("\n\n") if p not in got["text"].split("\n\n")]
        pytest.fail(f"text differs\n  extra: {extra}\n  missing: {missing}")
    assert got == want
    record = build_record(result.record, url=case.url, site=site, http_status=200, run_id="test")
    assert validation_errors(record) == []
