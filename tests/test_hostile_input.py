"""Hostile input: XML bombs and external entities in feeds and sitemaps, a gzipped sitemap bomb, output paths,
the registry as data, and the private-address guard after DNS resolution. See docs/guarantees.md.

Servers listen on 127.0.0.160-169 (and, for the DNS test, on 127.0.0.1 where this machine's own host name
resolves, on a free port); nothing leaves loopback.
"""
from __future__ import annotations

import gzip
import re
import secrets
import socket
import time
from pathlib import Path

import pytest
import yaml

from crawler.middlewares import is_private_address, is_private_host
from crawler.registry import RegistryError, adhoc_site, load_registry
from crawler.xml_guard import declares_entities
from fault_server import BILLION_LAUGHS_DTD, FaultSite, xxe_dtd
from test_faults import run_crawl

MIB = 1024 * 1024


# --------------------------------------------------------------------------------- hostile feeds and sitemaps
@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> tuple[str, str]:
    """A local file whose content must never appear anywhere: the target of the external entities."""
    token = "PARTYNEWS-XXE-SECRET-" + secrets.token_hex(8)
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(token, encoding="utf-8")
    return str(path), token


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory, secret):
    path, _ = secret
    out = tmp_path_factory.mktemp("hostile")
    with FaultSite("127.0.0.160", hostile=True, secret_file=path) as site:
        result = run_crawl(site.base_url, out)
    result.update(site=site, out=out)
    return result


def _all_output_text(out: Path) -> str:
    texts = []
    for file in out.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            texts.append(data.decode("utf-8", "replace"))
    return "\n".join(texts)


def test_hostile_feeds_and_sitemaps_are_refused_and_counted(hostile_crawl):
    report = hostile_crawl["report"]
    assert hostile_crawl["returncode"] == 0, hostile_crawl["stderr"][-3000:]
    assert report["finish_reason"] == "finished"
    assert "Traceback" not in hostile_crawl["stderr"], hostile_crawl["stderr"][-3000:]
    # /sitemap.xml, /wp-sitemap.xml, /sitemap_index.xml, /rss/, /feed/, /feeds/ declare entities: each one the
    # crawler asked for (robots.txt names one, the families' usual paths the others) is refused and counted
    site = hostile_crawl["site"]
    asked = [p for p in ("/sitemap.xml", "/wp-sitemap.xml", "/sitemap_index.xml", "/rss/", "/feed/", "/feeds/")
             if site.hits[p]]
    assert len(asked) >= 4 and "/sitemap.xml" in asked, asked
    assert report["skipped"].get("xml_entities") == len(asked), report["skipped"]
    # the gzipped sitemap that expands to 256 MiB is stopped at DOWNLOAD_MAXSIZE while decompressing
    assert report["skipped"].get("sitemap_too_large") == 1, report["skipped"]
    assert hostile_crawl["maxrss"] < 512 * MIB
    # the site's articles are still found from its pages, the one with an entity-bearing DTD included
    written = {r["url"] for r in hostile_crawl["records"]}
    assert {site.origin + a["path"] for a in site.normal} <= written
    assert site.origin + next(iter(site.faults)) in written


def test_no_entity_is_ever_expanded_or_fetched(hostile_crawl, secret):
    _, token = secret
    site = hostile_crawl["site"]
    # the external-entity URLs were never fetched, nor any URL built from an expanded entity
    assert site.probe_hits() == 0
    assert not [p for _, p in site.log if "lol" in p or token in p]
    # the secret file's content is in no output file (records, report, archive) and not in the log
    assert token not in _all_output_text(hostile_crawl["out"])
    assert token not in hostile_crawl["stderr"]
    record = next(r for r in hostile_crawl["records"] if "thuc-the-ngoai" in r["url"])
    # an HTML page's undeclared entity stays the literal text a browser shows; nothing is read from disk
    assert token not in record["title"] and token not in record["text"]
    assert "&xxefile;" in record["title"]


def test_output_paths_come_from_the_run_never_from_pages(hostile_crawl):
    out, report = hostile_crawl["out"].resolve(), hostile_crawl["report"]
    run_dir = out / report["run_id"]
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", report["run_id"])
    for path in out.rglob("*"):
        # every file is directly in the output folder or in the run folder, named by the crawler
        assert path.resolve().is_relative_to(out), path
        assert path.parent in (out, run_dir, out / "latest") or path.parent.resolve() == run_dir, path
        assert re.fullmatch(r"[A-Za-z0-9._-]+", path.name), path
        assert not re.search(r"news|loi|xxe|sitemap|lol|thuc-the", path.name), path


# --------------------------------------------------------------------------------- the parsers themselves
def _spider(tmp: Path):
    from scrapy.utils.test import get_crawler

    from crawler.spiders.party_news import PartyNewsSpider

    crawler = get_crawler(PartyNewsSpider, {"PARTYNEWS_ALLOW_PRIVATE": True, "PARTYNEWS_OUT": str(tmp),
                                            "PARTYNEWS_STATE": str(tmp / "state.sqlite"),
                                            "PARTYNEWS_INCREMENTAL": False})
    crawler.spider = PartyNewsSpider.from_crawler(crawler, url="http://127.0.0.161:1/")
    return crawler.spider


def _xml_response(url: str, body: bytes):
    from scrapy.http import XmlResponse

    return XmlResponse(url=url, body=body, headers={"Content-Type": "application/xml"})


@pytest.mark.parametrize("kind", ["sitemap", "sitemapindex", "feed"])
def test_the_parsers_expand_nothing_even_without_the_entity_check(kind, monkeypatch, secret, tmp_path):
    """Defence in depth: with the entity check switched off, the lxml parsers still neither expand a billion
    laughs nor read an external entity."""
    import crawler.xml_guard

    monkeypatch.setattr(crawler.xml_guard, "declares_entities", lambda body: False)
    path, token = secret
    origin = "http://127.0.0.161:1"
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if kind == "sitemap":
        body = (b'<?xml version="1.0"?>\n<!DOCTYPE u [\n<!ENTITY lol "lol">\n'
                + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
                           .encode() for i in range(1, 10))
                + f'<!ENTITY xxefile SYSTEM "file://{path}">\n]>\n'.encode()
                + f"<urlset {ns}><url><loc>{origin}/news/a/bai-viet-dau-tien-1.html</loc></url>".encode()
                + f"<url><loc>{origin}/news/a/&lol9;-2.html</loc></url>".encode()
                + f"<url><loc>{origin}/news/a/&xxefile;-3.html</loc></url></urlset>".encode())
        callback = "parse_sitemap"
    elif kind == "sitemapindex":
        body = (b'<?xml version="1.0"?>\n' + xxe_dtd(origin + "/probe", path)
                + f"<sitemapindex {ns}><sitemap><loc>{origin}/sm-&xxefile;.xml</loc></sitemap>".encode()
                + b"<sitemap><loc>&xxeurl;</loc></sitemap></sitemapindex>")
        callback = "parse_sitemap"
    else:
        body = (b'<?xml version="1.0"?>\n' + BILLION_LAUGHS_DTD.replace(b"]>", f'<!ENTITY xxefile SYSTEM "file://{path}">\n]>'.encode())
                + f'<rss version="2.0"><channel><item><link>{origin}/news/a/bai-viet-thu-nam-5.html</link></item>'
                  f'<item><link>{origin}/news/a/&xxefile;-4.html</link></item><title>&lol9;</title></channel></rss>'.encode())
        callback = "parse_feed"
    spider = _spider(tmp_path)
    started = time.monotonic()
    requests = list(getattr(spider, callback)(_xml_response(origin + "/x.xml", body)))
    assert time.monotonic() - started < 2
    urls = [r.url for r in requests]
    assert not [u for u in urls if token in u or "lollol" in u or "probe" in u], urls
    if kind == "sitemap":
        assert f"{origin}/news/a/bai-viet-dau-tien-1.html" in urls     # the honest entry is still read
    if kind == "feed":
        # libxml2 stops at the amplification (the rest of the document is lost, nothing is expanded)
        assert f"{origin}/news/a/bai-viet-thu-nam-5.html" in urls


def test_a_gzipped_sitemap_is_bounded_while_decompressing(tmp_path):
    from scrapy.http import Response

    spider = _spider(tmp_path)
    comp = gzip.compress(b" " * (64 * MIB), compresslevel=9)      # 64 KiB that expand to 64 MiB
    spider.crawler.settings.frozen = False
    spider.crawler.settings.set("DOWNLOAD_MAXSIZE", 8 * MIB)
    requests = list(spider.parse_sitemap(Response("http://127.0.0.161:1/s.xml.gz", body=comp)))
    assert requests == []
    assert spider.crawler.stats.get_value("partynews/skipped/sitemap_too_large") == 1
    # not gzip after all: counted as a bad sitemap, no exception
    list(spider.parse_sitemap(Response("http://127.0.0.161:1/t.xml.gz", body=b"\x1f\x8b\x08garbage")))
    assert spider.crawler.stats.get_value("partynews/skipped/bad_sitemap") == 1


def test_entity_declarations_are_told_from_text():
    assert declares_entities(b'<?xml version="1.0"?>\n' + BILLION_LAUGHS_DTD + b"<urlset/>")
    assert declares_entities(xxe_dtd("http://127.0.0.161:1/p") + b"<rss/>")
    # a DOCTYPE without entities, and "<!ENTITY" as text inside the document, are not declarations
    assert not declares_entities(b'<?xml version="1.0"?><!DOCTYPE rss><rss><channel/></rss>')
    assert not declares_entities(b"<rss><channel><description><![CDATA[<!DOCTYPE x [<!ENTITY a 'b'>]>]]>"
                                 b"</description></channel></rss>")


# --------------------------------------------------------------------------------- paths and the registry
@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/", "https://EXAMPLE.dcs.vn/../../etc/passwd", "http://xn--bcher-kva.example/",
    "http://a..b.example/%2e%2e/%2f", "http://" + "a" * 200 + ".vn/", "http://[::1]:8000/",
])
def test_adhoc_site_keys_are_safe_path_components(url):
    key = adhoc_site(url).key
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", key), key
    assert ".." not in key and "/" not in key and len(key) <= 70


def test_the_registry_is_data_never_code(tmp_path):
    marker = tmp_path / "executed"
    for tag in (f'!!python/object/apply:os.system ["touch {marker}"]',
                f'!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
                "!!python/name:os.system"):
        registry = tmp_path / "sites.yaml"
        registry.write_text(f"sites:\n  - key: evil-site\n    name: {tag}\n    level: province\n"
                            f"    base_url: https://evil.example/\n    family: nukeviet\n", encoding="utf-8")
        with pytest.raises(RegistryError) as err:
            load_registry(registry)
        assert "not valid YAML" in str(err.value) and "python/" in str(err.value)
        assert not marker.exists()


def test_registry_keys_cannot_name_paths(tmp_path):
    registry = tmp_path / "sites.yaml"
    for key in ("../../etc", "a/b", ".hidden", "Upper", "a" * 80):
        registry.write_text(yaml.safe_dump({"sites": [{"key": key, "name": "x", "level": "province",
                                                       "base_url": "https://x.example/", "family": "nukeviet"}]}),
                            encoding="utf-8")
        with pytest.raises(RegistryError, match="must be lower-case letters"):
            load_registry(registry)


# --------------------------------------------------------------------------------- the private-address guard
def test_private_addresses_are_recognised():
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1",
                    "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1", "100.64.0.1"):
        assert is_private_address(address), address
    for address in ("8.8.8.8", "203.162.4.190", "2001:4860:4860::8888", "not-an-ip"):
        assert not is_private_address(address), address
    for host in ("localhost", "LOCALHOST.", "api.localhost", "[::1]", "127.1.2.3"):
        assert is_private_host(host), host
    assert not is_private_host("tuyenquang.dcs.vn")


def _host_resolving_to_loopback() -> str | None:
    """A host name that resolves to a loopback address but does not look private by its name: the machine's own
    name where /etc/hosts maps it to 127.x, else `127.1` (not an address to Python's `ipaddress`, so it passes
    the literal check, but the C resolver's inet_aton reads it as 127.0.0.1)."""
    for name in (socket.gethostname(), socket.getfqdn(), "127.1"):
        if not name or is_private_host(name):
            continue
        try:
            address = socket.gethostbyname(name)
        except OSError:
            continue
        if address.startswith("127."):
            return name
    return None


def test_a_literal_private_address_is_refused_before_connecting(tmp_path):
    with FaultSite("127.0.0.162", faults=False) as site:
        result = run_crawl(site.base_url, tmp_path / "out", allow_private=False)
    assert site.hits == {}
    assert result["report"]["skipped"].get("private_address", 0) >= 1
    assert result["report"]["totals"]["requests"] == 0


def test_a_host_name_resolving_to_a_private_address_is_refused_after_dns(tmp_path):
    name = _host_resolving_to_loopback()
    assert name is not None, "no host name on this machine resolves to a loopback address"
    address = socket.gethostbyname(name)
    with FaultSite(address, faults=False) as site:
        url = f"http://{name}:{site.port}/"
        refused = run_crawl(url, tmp_path / "guarded", allow_private=False)
        hits_when_guarded = sum(site.hits.values())
        # the same crawl with the guard relaxed reaches the server: the refusal above was the guard's
        allowed = run_crawl(url, tmp_path / "allowed", "-s", "CLOSESPIDER_PAGECOUNT=3")
    assert hits_when_guarded == 0
    report = refused["report"]
    assert report["skipped"].get("private_address_resolved", 0) >= 1, report
    assert report["totals"]["responses"] == 0
    assert sum(site.hits.values()) >= 1 and allowed["report"]["totals"]["responses"] >= 1
