"""Scrapy-native use: `scrapy list` and `scrapy crawl party_news` from the repository, the item pipelines in
another Scrapy project (the README's ITEM_PIPELINES snippet, and ExtractPipeline alone), and the project deployed
with `scrapyd-deploy` (scrapy.cfg's deploy target) to a real scrapyd on loopback, a job scheduled there against
a demo site served on 127.0.0.x, and its JSONL read back."""
from __future__ import annotations

import configparser
import json
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from crawler.cli import demo_registry_entry
from crawler.demo import DEMO_SITES
from crawler.demo.server import find_packs, serve_packs
from pipelines.record import validation_errors

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FAST_SETTINGS = {"AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
                 "PARTYNEWS_ALLOW_PRIVATE": "1"}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scrapyd")
    packs = [p for p in find_packs(DEMO_SITES) if p.name == "ninhbinh-dcs"]
    with serve_packs(packs, first_ip=145) as served:
        registry = tmp / "sites.yaml"
        registry.write_text(yaml.safe_dump({"sites": [demo_registry_entry(s) for s in served]}, allow_unicode=True),
                            encoding="utf-8")
        yield {"tmp": tmp, "registry": registry, "site": served[0]}


def _only_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and (p / "report.json").is_file()]
    assert len(runs) == 1, list(out.iterdir())
    return runs[0]


def test_scrapy_list_and_crawl_from_the_repository(site):
    proc = subprocess.run([str(BIN / "scrapy"), "list"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "party_news" in proc.stdout.split()
    out = site["tmp"] / "native"
    settings = [a for k, v in {**FAST_SETTINGS, "PARTYNEWS_OUT": str(out), "LOG_LEVEL": "WARNING"}.items()
                for a in ("-s", f"{k}={v}")]
    proc = subprocess.run([str(BIN / "scrapy"), "crawl", "party_news", "-a", f"site={site['site'].key}",
                           "-a", f"registry={site['registry']}", *settings],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = _only_run(out)
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    records = _jsonl(run / "articles.jsonl")
    assert report["finish_reason"] == "finished" and len(records) == report["totals"]["written"] > 0
    assert {r["site"] for r in records} == {site["site"].key}


def _readme_snippet() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(ITEM_PIPELINES = \{.*?)```", readme, re.S)
    assert match, "the README's ITEM_PIPELINES snippet is gone"
    return match.group(1)


OTHER_SPIDER = '''
import json
from datetime import datetime, timezone

import scrapy


class PagesSpider(scrapy.Spider):
    """Another project's spider: fetches the given pages and hands them on raw, as the README describes."""
    name = "pages"

    def __init__(self, urls="", site="null", **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [u for u in urls.split(",") if u]
        self.site_info = json.loads(site)

    def parse(self, response):
        yield {"url": response.url, "status": response.status,
               "headers": {k.decode(): response.headers.get(k).decode("latin-1") for k in response.headers},
               "body": response.body, "site": self.site_info,
               "fetched_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
'''

COLLECT = '''
import json


class Collect:
    """This project's own last step: the cleaned records into a file of its choosing."""

    def __init__(self, path):
        self.path = path

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("COLLECT_TO"))

    def open_spider(self, spider=None):
        self.fh = open(self.path, "w", encoding="utf-8")

    def process_item(self, item, spider=None):
        self.fh.write(json.dumps(dict(item), ensure_ascii=False, default=str) + "\\n")
        return item

    def close_spider(self, spider=None):
        self.fh.close()
'''


def _other_project(tmp: Path, name: str, settings: str) -> Path:
    project = tmp / name
    (project / "otherspiders").mkdir(parents=True)
    (project / "otherspiders" / "__init__.py").write_text(OTHER_SPIDER, encoding="utf-8")
    (project / "collect.py").write_text(COLLECT, encoding="utf-8")
    (project / "scrapy.cfg").write_text("[settings]\ndefault = othersettings\n", encoding="utf-8")
    (project / "othersettings.py").write_text(
        'SPIDER_MODULES = ["otherspiders"]\nROBOTSTXT_OBEY = False\nLOG_LEVEL = "WARNING"\n' + settings,
        encoding="utf-8")
    return project


@pytest.mark.parametrize("variant", ["readme_snippet", "extract_only"])
def test_item_pipelines_in_another_scrapy_project(site, variant):
    served = site["site"]
    tmp = site["tmp"]
    if variant == "readme_snippet":
        settings = _readme_snippet() + f"PARTYNEWS_OUT = {str(tmp / 'other-out')!r}\n"
    else:
        settings = textwrap.dedent(f"""
            ITEM_PIPELINES = {{"pipelines.scrapy_pipelines.ExtractPipeline": 100, "collect.Collect": 900}}
            COLLECT_TO = {str(tmp / 'collected.jsonl')!r}
            PARTYNEWS_OUT = {str(tmp / 'extract-only-out')!r}
            """)
    project = _other_project(tmp, f"other-{variant}", settings)
    urls = [page["url"] for page in served.articles]
    entry = demo_registry_entry(served)
    site_info = {"key": served.key, "family": entry["family"], "name": entry["name"], "province": entry.get("province")}
    proc = subprocess.run([str(BIN / "scrapy"), "crawl", "pages", "-a", "urls=" + ",".join(urls),
                           "-a", "site=" + json.dumps(site_info, ensure_ascii=False)],
                          cwd=project, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if variant == "readme_snippet":
        run = _only_run(tmp / "other-out")
        records = _jsonl(run / "articles.jsonl")
        report = json.loads((run / "report.json").read_text(encoding="utf-8"))
        assert report["totals"]["written"] == len(records)
    else:
        records = _jsonl(tmp / "collected.jsonl")
        for record in records:
            record.pop("_fetch", None)   # what the later pipelines consume
    assert sorted(r["url"] for r in records) == sorted(urls)
    for record in records:
        assert validation_errors(record) == [], record["url"]
        assert record["site"] == served.key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _post(url: str, fields: list[tuple[str, str]]) -> dict:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=60) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def scrapyd(site):
    home = site["tmp"] / "scrapyd-home"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(textwrap.dedent(f"""
        [scrapyd]
        bind_address = 127.0.0.1
        http_port = {port}
        eggs_dir = {home / 'eggs'}
        logs_dir = {home / 'logs'}
        dbs_dir = {home / 'dbs'}
        items_dir =
        poll_interval = 0.5
        max_proc = 2
        """), encoding="utf-8")
    log = open(home / "scrapyd.log", "w")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(url + "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            assert proc.poll() is None, (home / "scrapyd.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.2)
        yield {"url": url, "home": home}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_scrapy_cfg_has_a_deploy_target():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "scrapy.cfg")
    assert cfg["deploy"]["project"] == "partynews"
    assert cfg["deploy"]["url"].startswith("http")
    assert cfg["settings"]["default"] == "crawler.settings"


def test_deploy_to_scrapyd_and_run_a_job(site, scrapyd):
    # scrapyd-deploy builds the egg in the project folder: do it in a copy, not in the working tree
    project = site["tmp"] / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("crawler", "pipelines"):
        shutil.copytree(ROOT / name, project / name, ignore=ignore)
    for name in ("setup.py", "pyproject.toml", "scrapy.cfg", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    with open(project / "scrapy.cfg", "a", encoding="utf-8") as fh:
        fh.write(f"\n[deploy:test]\nurl = {scrapyd['url']}\nproject = partynews\n")
    proc = subprocess.run([str(BIN / "scrapyd-deploy"), "test", "--version", "r1"], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert '"status": "ok"' in proc.stdout + proc.stderr
    assert _get(scrapyd["url"] + "listprojects.json")["projects"] == ["partynews"]
    assert "party_news" in _get(scrapyd["url"] + "listspiders.json?project=partynews")["spiders"]

    out = site["tmp"] / "scrapyd-out"
    served = site["site"]
    fields = [("project", "partynews"), ("spider", "party_news"), ("site", served.key),
              ("registry", str(site["registry"]))]
    fields += [("setting", f"{k}={v}") for k, v in {**FAST_SETTINGS, "PARTYNEWS_OUT": str(out)}.items()]
    job = _post(scrapyd["url"] + "schedule.json", fields)
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 240
    while True:
        jobs = _get(scrapyd["url"] + "listjobs.json?project=partynews")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    log = (scrapyd["home"] / "logs" / "partynews" / "party_news" / f"{job['jobid']}.log").read_text(encoding="utf-8")
    run = _only_run(out)
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    records = _jsonl(run / "articles.jsonl")
    assert report["finish_reason"] == "finished", log[-3000:]
    expected = {page["url"] for page in served.articles}
    assert {r["canonical_url"] for r in records} == expected, log[-3000:]
    for record in records:
        assert validation_errors(record) == []
    assert "Spider closed (finished)" in log
