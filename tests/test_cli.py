"""The `partynews` command as a user runs it (a real subprocess)."""
import json
import subprocess
import sys

from gold_cases import load_cases

CASES = {c.name: c for c in load_cases()}


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_extract_one_file_with_its_url():
    case = CASES["ninhbinh-dcs/seed001-dang-uy-khoi-trien-khai-nhiem-vu-2023"]
    done = cli("extract", str(case.html_path), "--url", case.url)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["title"] == case.expected["title"]
    assert record["text"] == case.expected["text"]
    assert record["published_at"] == case.expected["published_at"]
    assert record["url"] == case.url and record["run_id"] == "extract"


def test_extract_without_url_takes_the_address_the_page_gives_itself(tmp_path):
    from pipelines.record import validation_errors

    case = CASES["hepza/binh-luan-tu-khoa-ordinary-words"]
    bare = tmp_path / "bare.html"
    bare.write_text("<html><head><title>Tin</title></head><body><p>Một đoạn.</p></body></html>", encoding="utf-8")
    done = cli("extract", str(case.html_path), str(bare))
    assert done.returncode == 1                                   # one file could not be given an address
    record, refused = [json.loads(x) for x in done.stdout.splitlines()]
    assert record["url"].startswith("https://hepza.hochiminhcity.gov.vn/w/")   # its canonical link
    assert record["text"] == case.expected["text"] and validation_errors(record) == []
    assert refused["drop_reason"] == "no_address" and "--url" in refused["detail"]


def test_extract_list_and_drop_reasons(tmp_path):
    article = CASES["ninhbinh-dcs/seed001-dang-uy-khoi-trien-khai-nhiem-vu-2023"]
    listing = CASES["ninhbinh-dcs/listing-tin-tuc-page-2"]
    tsv = tmp_path / "pages.tsv"
    tsv.write_text(f"{article.html_path}\t{article.url}\n{listing.html_path}\t{listing.url}\n", encoding="utf-8")
    lines = [json.loads(x) for x in cli("extract", "--list", str(tsv)).stdout.splitlines()]
    assert [x.get("drop_reason") for x in lines] == [None, "not_article"]
    assert set(lines[1]) == {"file", "url", "drop_reason", "detail"}
    kept = [json.loads(x) for x in cli("extract", "--list", str(tsv), "--keep-dropped").stdout.splitlines()]
    assert kept[1]["drop_reason"] == "not_article" and "text" in kept[1]


def test_extract_needs_input_and_one_file_per_url():
    assert cli("extract").returncode != 0
    assert "single FILE" in cli("extract", "a.html", "b.html", "--url", "https://x.vn/").stderr


def test_sites_lists_and_validates(tmp_path):
    done = cli("sites")
    assert done.returncode == 0 and "ninhbinh-dcs" in done.stdout and "registry valid" in done.stdout
    bad = tmp_path / "sites.yaml"
    bad.write_text("sites:\n  - key: X\n", encoding="utf-8")
    done = cli("sites", "--registry", str(bad))
    assert done.returncode == 2 and "missing required key 'name'" in done.stderr


def test_schema_is_printed():
    schema = json.loads(cli("schema").stdout)
    assert "published_at" in schema["required"] and schema["additionalProperties"] is False


def test_crawl_refuses_unknown_site():
    done = cli("crawl", "--site", "no-such-site", "--out", "/tmp/partynews-none")
    assert done.returncode == 2 and "unknown site key" in done.stderr


def test_private_addresses_are_refused_without_the_flag(tmp_path):
    done = cli("crawl", "--url", "http://127.0.0.1:9/", "--out", str(tmp_path), "--json", "--quiet")
    report = json.loads(done.stdout)
    assert report["skipped"].get("private_address", 0) >= 1
    assert report["totals"]["responses"] == 0


def test_sites_check_probes_a_live_site(tmp_path):
    import yaml

    from crawler.cli import demo_registry_entry
    from crawler.demo import DEMO_SITES
    from crawler.demo.server import find_packs, serve_packs

    with serve_packs([p for p in find_packs(DEMO_SITES) if p.name == "ninhbinh-dcs"]) as served:
        registry = tmp_path / "sites.yaml"
        registry.write_text(yaml.safe_dump({"sites": [demo_registry_entry(s) for s in served]}, allow_unicode=True),
                            encoding="utf-8")
        done = cli("sites", "--registry", str(registry), "--check", "ninhbinh-dcs", "--allow-private",
                   "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0")
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    out = done.stdout
    for line in ("ok  robots.txt", "ok  sitemaps", "ok  feeds", "ok  article"):
        assert line in out, out
    assert not list(tmp_path.glob("**/articles.jsonl")), "the probe keeps nothing"


def _report(**site):
    entry = {"pages_fetched": 100, "written": 5, "unchanged": 0, "not_modified": 0, "skipped_known": 0,
             "errors_by_kind": {}, **site}
    return {"finish_reason": "finished", "sites": {"a": entry}}


def test_exit_status_tells_a_scheduler_what_happened():
    from crawler.cli import EXIT_FAILED, EXIT_OK, EXIT_SITE_EMPTY, _exit_status

    assert _exit_status(_report()) == EXIT_OK
    # a second run over an unchanged site produced no record but knew every article: a success
    assert _exit_status(_report(written=0, skipped_known=40)) == EXIT_OK
    assert _exit_status(_report(written=0)) == EXIT_SITE_EMPTY
    # broken links are not the site failing; timeouts and 5xx answers are
    assert _exit_status(_report(errors_by_kind={"http_404": 90})) == EXIT_OK
    assert _exit_status(_report(errors_by_kind={"http_503": 60})) == EXIT_SITE_EMPTY
    assert _exit_status(_report(pages_fetched=10, errors_by_kind={"TimeoutError": 20})) == EXIT_SITE_EMPTY
    assert _exit_status(_report(errors_by_kind={"http_503": 60}), max_error_rate=0.7) == EXIT_OK
    assert _exit_status({**_report(), "finish_reason": "shutdown"}) == EXIT_FAILED
