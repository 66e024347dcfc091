import pytest

from crawler.registry import load_registry
from crawler.urls import normalize_url
from pipelines.core import canonical_url
from pipelines.urls import strip_tracking

SITE = load_registry()["ninhbinh-dcs"]


@pytest.mark.parametrize("raw,clean", [
    ("https://a.vn/x.html?utm_source=fb&utm_medium=social", "https://a.vn/x.html"),
    ("https://a.vn/x.aspx?id=3&fbclid=abc#top", "https://a.vn/x.aspx?id=3"),
    ("https://a.vn/x?page=2&zarsrc=31", "https://a.vn/x?page=2"),
    ("https://a.vn/x?id=1", "https://a.vn/x?id=1"),
])
def test_tracking_parameters_leave(raw, clean):
    assert strip_tracking(raw) == clean


@pytest.mark.parametrize("raw", [
    "http://ninhbinh.dcs.vn/news/tin-tuc/a-1.html",
    "https://www.ninhbinh.dcs.vn/news/tin-tuc/a-1.html",
    "http://www.ninhbinh.dcs.vn/news/tin-tuc/a-1.html?utm_campaign=x#comments",
])
def test_host_variants_fold_onto_the_site_origin(raw):
    assert normalize_url(raw, SITE) == "https://ninhbinh.dcs.vn/news/tin-tuc/a-1.html"


def test_other_hosts_are_left_alone():
    assert normalize_url("http://www.other.vn/a", SITE) == "http://www.other.vn/a"


def test_canonical_link_only_within_the_site():
    assert canonical_url("https://a.vn/p?utm_source=z", "https://a.vn/p-canonical") == "https://a.vn/p-canonical"
    assert canonical_url("https://a.vn/p?utm_source=z", "https://dangcongsan.vn/x") == "https://a.vn/p"
    assert canonical_url("https://www.a.vn/p", "https://a.vn/p") == "https://a.vn/p"
