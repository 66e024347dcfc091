"""A real crawl output folder with two runs, for the export, status-page and progress tests.

The demo site packs are served live on 127.0.0.x; `partynews crawl` runs twice. Between the runs one article's
page is edited on the server, so the second run writes it again as revision 2 (and the second run writes
`articles.jsonl.gz`). An unfinished run (a `.part` file, no report.json) is left beside them, as a crash would.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from crawler.cli import demo_registry_entry
from crawler.demo import DEMO_SITES
from crawler.demo.server import find_packs, serve_packs

FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
EDITED_SITE = "heza"
ADDED_SENTENCE = "Đến nay, toàn tỉnh đã kết nạp thêm nhiều đảng viên mới trong các doanh nghiệp ngoài nhà nước."


def run_cli(*args: str, timeout: int = 300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def _edit_one_article(site) -> str:
    """Add a sentence to the body of one article page of a served site (the server holds its pages in memory:
    the page is changed there, at the same URL); returns the page's local URL."""
    from datetime import datetime, timezone

    for page in site.articles:
        text = (page["expected"] or {}).get("text") or ""
        for paragraph in text.split("\n\n"):
            needle = paragraph.encode("utf-8")
            if len(paragraph) < 80:
                continue
            routes = [r for r in site._app.pack_routes.values() if r.body.count(needle) == 1]
            if len(routes) == 1:
                routes[0].body = routes[0].body.replace(needle, needle + b" " + ADDED_SENTENCE.encode("utf-8"))
                routes[0].last_modified = datetime.now(timezone.utc)
                return page["url"]
    raise AssertionError(f"no article of {site.key} could be edited")


def make_corpus(tmp: Path, *, first_ip: int, extra: tuple[str, ...] = ()) -> dict:
    out = tmp / "data"
    with serve_packs(find_packs(DEMO_SITES), first_ip=first_ip) as served:
        registry = tmp / "sites.yaml"
        registry.write_text(yaml.safe_dump({"sites": [demo_registry_entry(s) for s in served]}, allow_unicode=True),
                            encoding="utf-8")
        base = ["crawl", "--registry", str(registry), "--allow-private", "--out", str(out), "--json", "--quiet",
                "--site", ",".join(s.key for s in served), *FAST, *extra]
        first = run_cli(*base)
        assert first.returncode == 0, first.stderr[-3000:]
        edited_url = _edit_one_article(next(s for s in served if s.key == EDITED_SITE))
        time.sleep(1.1)   # run ids and start times are per second
        second = run_cli(*base, "--gzip", "-s", "PARTYNEWS_INCREMENTAL=0")
        assert second.returncode == 0, second.stderr[-3000:]
        keys = [s.key for s in served]
    reports = [json.loads(first.stdout), json.loads(second.stdout)]
    # a run that was killed: records in a .part file, no report.json; not part of the corpus
    dead = out / "20000101T000000Z-dead"
    dead.mkdir()
    (dead / "articles.jsonl.part").write_text(json.dumps({"id": "f" * 24, "text": "unfinished", "revision": 1}) + "\n",
                                              encoding="utf-8")
    return {"out": out, "reports": reports, "sites": keys, "edited_url": edited_url, "registry": registry}


def read_run_records(report: dict) -> list[dict]:
    """The records a run wrote, whether articles.jsonl or articles.jsonl.gz."""
    import gzip

    run_dir = Path(report["files"]["report"]).parent
    for name in ("articles.jsonl", "articles.jsonl.gz"):
        path = run_dir / name
        if path.is_file():
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as fh:
                return [json.loads(line) for line in fh if line.strip()]
    raise AssertionError(f"no articles file in {run_dir}")


def shared_corpus(tmp_path_factory, name: str, *, first_ip: int) -> dict:
    """make_corpus once per test session, even with pytest-xdist: the workers that need it share one folder
    (the first builds it under a lock, the others read what it made)."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if base.name.startswith("popen-gw"):   # an xdist worker: its siblings share the parent folder
        base = base.parent
    root = base / f"corpus-{name}"
    with FileLock(str(root) + ".lock"):
        done = root / "corpus.json"
        if not done.is_file():
            root.mkdir(exist_ok=True)
            corpus = make_corpus(root, first_ip=first_ip)
            done.write_text(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in corpus.items()},
                                       ensure_ascii=False), encoding="utf-8")
    corpus = json.loads(done.read_text(encoding="utf-8"))
    corpus["out"], corpus["registry"] = Path(corpus["out"]), Path(corpus["registry"])
    return corpus
