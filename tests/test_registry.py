"""The site registry: the bundled one is valid and large enough, and mistakes are reported with their line."""
import re

import pytest

from crawler.registry import RegistryError, adhoc_site, load_registry


def test_bundled_registry_is_valid():
    sites = load_registry()
    assert len(sites) >= 20
    assert {s.family for s in sites.values()} >= {"nukeviet", "liferay", "aspnet", "wordpress", "generic"}
    assert all(not s.verified for s in sites.values())
    ninhbinh = sites["ninhbinh-dcs"]
    assert ninhbinh.province == "Ninh Bình" and ninhbinh.level == "province"
    # family defaults fill what the entry does not say
    assert "/rss/" in ninhbinh.feeds and "/sitemap.xml" in ninhbinh.sitemaps
    assert any(p.search("/news/tin-tuc/dang-uy-khoi-trien-khai-nhiem-vu-nam-2023-4521.html") for p in ninhbinh.article)


def test_errors_name_line_site_and_key(tmp_path):
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n"
        "  - key: good-site\n    name: A\n    level: province\n    base_url: https://a.dcs.vn/\n    family: nukeviet\n"
        "  - key: bad-site\n    name: B\n    level: galaxy\n    base_url: ftp://b\n    family: joomla\n"
        "    article: ['([unclosed']\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    problems = "\n".join(err.value.problems)
    assert re.search(r"sites\.yaml:7 \(site bad-site\): level 'galaxy'", problems)
    assert "family 'joomla'" in problems and "base_url 'ftp://b'" in problems
    assert "bad regex" in problems and "unknown key 'colour'" in problems
    assert "good-site" not in problems


def test_duplicate_keys_and_missing_fields(tmp_path):
    path = tmp_path / "sites.yaml"
    entry = "  - key: x-site\n    name: X\n    level: city\n    base_url: https://x.vn/\n    family: generic\n"
    path.write_text("sites:\n" + entry + entry + "  - key: y-site\n    name: Y\n", encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    problems = "\n".join(err.value.problems)
    assert "duplicate key 'x-site'" in problems
    assert "missing required key 'base_url'" in problems and "missing required key 'family'" in problems


def test_adhoc_site_from_an_address():
    site = adhoc_site("https://example.dcs.vn/news/")
    assert site.key == "example-dcs-vn" and site.family is None
    assert site.base_url == "https://example.dcs.vn/"
    assert site.start_urls == ("https://example.dcs.vn/news/",)
    with pytest.raises(ValueError):
        adhoc_site("example.dcs.vn")
