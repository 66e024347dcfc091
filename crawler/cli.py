"""`partynews`: the command line.

    partynews crawl [--site KEY]... [--url URL]... [--out DIR] [--state PATH] [-s NAME=VALUE]... [--allow-private]
    partynews demo [--out DIR]
    partynews extract FILE... [--url URL | --list TSV] [--site KEY] [--keep-dropped]
    partynews sites
    partynews schema
    partynews report RUN_DIR [--json]
    partynews merge RUN_DIR... --out DIR          (the runs of the workers of one --redis crawl)
    partynews report --html OUT.html [DATA_DIR | RUN_DIR]
    partynews export --format parquet|hf|jsonl --out DIR [--out-of DATA_DIR] [--site KEY]... [--province NAME]...
                     [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--with-revisions]

`crawl` and `demo` show a progress line on stderr when it is a terminal (`--progress` always, `--quiet` and
`--json` never unless `--progress` is given).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from scrapy.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SITE_EMPTY = 3         # a site produced nothing, or too many of its fetches failed
EXIT_LOCKED = 4             # another run holds the same crawl state


def _project_settings(args) -> "Settings":
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for pair in getattr(args, "set", None) or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"partynews: -s takes NAME=VALUE, got {pair!r}")
        settings.set(name.strip(), value, priority="cmdline")
    if getattr(args, "out", None):
        settings.set("PARTYNEWS_OUT", args.out, priority="cmdline")
    if getattr(args, "state", None):
        settings.set("PARTYNEWS_STATE", args.state, priority="cmdline")
    if getattr(args, "allow_private", False):
        settings.set("PARTYNEWS_ALLOW_PRIVATE", True, priority="cmdline")
    if getattr(args, "registry", None):
        settings.set("PARTYNEWS_REGISTRY", args.registry, priority="cmdline")
    if getattr(args, "quiet", False):
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    if getattr(args, "progress", False):
        settings.set("PARTYNEWS_PROGRESS", True, priority="cmdline")
    elif getattr(args, "quiet", False) or getattr(args, "json", False):
        settings.set("PARTYNEWS_PROGRESS", False, priority="cmdline")
    if hasattr(args, "progress") and settings.getpriority("LOG_LEVEL") < 40 and sys.stderr.isatty():
        # an operator at a terminal gets the progress line and warnings, not Scrapy's INFO log (-s LOG_LEVEL=INFO)
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    if getattr(args, "gzip", False):
        settings.set("PARTYNEWS_GZIP", True, priority="cmdline")
    if getattr(args, "no_warc", False):
        settings.set("PARTYNEWS_WARC", False, priority="cmdline")
    if getattr(args, "redis", None):
        settings.set("PARTYNEWS_REDIS_URL", args.redis, priority="cmdline")
    if getattr(args, "redis_idle", None) is not None:
        settings.set("PARTYNEWS_REDIS_IDLE_CLOSE", args.redis_idle, priority="cmdline")
    return settings


def run_crawl(settings, *, sites: list[str], urls: list[str], resume: bool = False, spider_cls=None,
              spider_args: dict | None = None) -> dict:
    """Run one crawl in this process and return its report. Holds the crawl state's lock for the whole run
    (StateLocked if another run holds it). With `resume`, continues the newest unfinished run in the output
    folder, if there is one."""
    from scrapy.crawler import CrawlerProcess

    from crawler.runs import reconcile_run, reconcile_unfinished, unfinished_run
    from crawler.spiders.party_news import PartyNewsSpider
    from pipelines.run_context import new_run_id
    from pipelines.state import lock_state

    out = Path(settings.get("PARTYNEWS_OUT") or "data")
    state_path = Path(settings.get("PARTYNEWS_STATE") or out / "state.sqlite")
    redis_url = settings.get("PARTYNEWS_REDIS_URL")
    if not redis_url:
        lock_state(state_path)      # with --redis many workers share the state in Redis: no file lock
    resumed = None
    if resume and not settings.get("PARTYNEWS_RUN_ID"):
        run_dir = unfinished_run(out)
        if run_dir is not None:
            settings.set("PARTYNEWS_RUN_ID", run_dir.name, priority="cmdline")
            resumed = {"run_dir": str(run_dir), "written": reconcile_run(run_dir, settings, state_path)}
            print(f"partynews: resuming run {run_dir.name} ({resumed['written']} records already written)",
                  file=sys.stderr)
        else:
            print("partynews: no unfinished run to resume; starting a new one", file=sys.stderr)
    elif redis_url and not settings.get("PARTYNEWS_RUN_ID"):
        # a new run after killed ones puts their records into the state first (crawler/runs.py); with the state in
        # SQLite the crawl's ReconcileKilledRuns extension does it, under the state's lock
        reconcile_unfinished(out, settings, state_path)
    if not settings.get("PARTYNEWS_RUN_ID"):
        settings.set("PARTYNEWS_RUN_ID", new_run_id(), priority="cmdline")
    job = _job_folder(settings, out)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls or PartyNewsSpider)
    crawler._partynews_resumed = resumed
    if spider_cls is None:
        process.crawl(crawler, site=",".join(sites) or None, url=",".join(urls) or None)
    else:
        process.crawl(crawler, **(spider_args or {}))
    try:
        process.start()
    finally:
        if job is not None:
            _remove_job_folder(job)
    report = getattr(crawler, "_partynews_report", None)
    if report is None:
        run_dir = out / settings.get("PARTYNEWS_RUN_ID")
        report_path = run_dir / "report.json"
        if not report_path.exists():
            raise RuntimeError("the crawl ended without a report (see the log above)")
        report = json.loads(report_path.read_text(encoding="utf-8"))
    return report


JOB_FOLDER = "scrapy-job"


def _job_folder(settings, out: Path) -> Path | None:
    """Scrapy's JOBDIR for this run, inside the run folder: the scheduler keeps its queue of pending requests on
    disk there, not in memory (sitemap discovery queues every listed URL at once), and the request filter its
    fingerprints. Made fresh for every run and removed when the run ends: a killed run's queue files are not
    kill-safe, so a resumed run discovers its URLs again (the state store skips what is written). A JOBDIR the
    user sets is theirs and left alone; PARTYNEWS_DISK_QUEUE=False keeps everything in memory."""
    if settings.get("JOBDIR") or not settings.getbool("PARTYNEWS_DISK_QUEUE", True) \
            or settings.get("PARTYNEWS_REDIS_URL"):      # a shared Redis queue is not this run's to keep
        return None
    job = out / settings.get("PARTYNEWS_RUN_ID") / JOB_FOLDER
    if job.exists():
        shutil.rmtree(job)             # a stale queue from a killed run: discarded, never reused
    settings.set("JOBDIR", str(job), priority="cmdline")
    return job


def _remove_job_folder(job: Path) -> None:
    shutil.rmtree(job, ignore_errors=True)
    try:
        job.parent.rmdir()             # a run folder the job folder alone made (nothing else written) goes too
    except OSError:
        pass


def _exit_status(report: dict, max_error_rate: float = 0.5) -> int:
    if report["finish_reason"] not in ("finished", "closespider_pagecount", "closespider_itemcount"):
        return EXIT_FAILED
    for entry in report["sites"].values():
        produced = sum(entry.get(k, 0) for k in ("written", "unchanged", "not_modified", "skipped_known"))
        if not produced or _failure_rate(entry) > max_error_rate:
            return EXIT_SITE_EMPTY
    return EXIT_OK


def _failure_rate(entry: dict) -> float:
    """The share of a site's requests that failed in a way that says the site is unwell: timeouts, refused or
    reset connections, 5xx, 403 and 429 answers. Broken links (404, 410) are counted in the report but are
    not the site failing."""
    failed = sum(n for kind, n in (entry.get("errors_by_kind") or {}).items() if kind not in ("http_404", "http_410"))
    attempts = entry.get("pages_fetched", 0) + sum(
        n for kind, n in (entry.get("errors_by_kind") or {}).items() if not kind.startswith("http_"))
    return failed / attempts if attempts else 0.0


def cmd_crawl(args) -> int:
    from crawler.registry import RegistryError, adhoc_site, load_registry
    from pipelines.state import StateLocked

    if not args.site and not args.url:
        print("partynews crawl: crawling every registered site (use --site KEY or --url URL to choose)",
              file=sys.stderr)
    settings = _project_settings(args)
    try:
        # fail before the engine starts: a wrong key or address is the user's to fix, not a crashed run
        registry = load_registry(settings.get("PARTYNEWS_REGISTRY"))
        unknown = [k for k in args.site or [] if k not in registry]
        if unknown:
            raise ValueError(f"unknown site key(s): {', '.join(unknown)}; `partynews sites` lists them")
        for url in args.url or []:
            adhoc_site(url)
        report = run_crawl(settings, sites=args.site or [], urls=args.url or [], resume=args.resume)
    except StateLocked as exc:
        print(f"partynews crawl: refusing to start: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (RegistryError, ValueError) as exc:
        print(f"partynews crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _print_report(report, args)
    max_rate = settings.getfloat("PARTYNEWS_MAX_ERROR_RATE", 0.5)
    status = _exit_status(report, max_rate)
    if status == EXIT_SITE_EMPTY and settings.get("PARTYNEWS_REDIS_URL") and \
            not any(_failure_rate(e) > max_rate for e in report["sites"].values()):
        status = EXIT_OK        # a worker's share of a shared crawl may be empty; judge the merged run
    return status


def _print_report(report: dict, args) -> None:
    from crawler.report import format_summary

    if getattr(args, "json", False):
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(format_summary(report))


def cmd_demo(args) -> int:
    from crawler.demo import DEMO_SITES
    from crawler.demo.server import find_packs, serve_packs

    packs = find_packs(DEMO_SITES)
    if not packs:
        print(f"partynews demo: no demo sites under {DEMO_SITES}", file=sys.stderr)
        return EXIT_FAILED
    args.allow_private = True
    settings = _project_settings(args)
    # the demo sites are ours and local: no politeness delays
    for name, value in (("AUTOTHROTTLE_ENABLED", False), ("DOWNLOAD_DELAY", 0), ("CONCURRENT_REQUESTS_PER_DOMAIN", 8),
                        ("LOG_LEVEL", "WARNING" if not args.verbose else "INFO")):
        if settings.getpriority(name) is None or settings.getpriority(name) < 40:
            settings.set(name, value, priority="cmdline")
    with serve_packs(packs) as served, tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "demo-sites.yaml"
        registry.write_text(yaml.safe_dump({"sites": [demo_registry_entry(s) for s in served]}, allow_unicode=True),
                            encoding="utf-8")
        settings.set("PARTYNEWS_REGISTRY", str(registry), priority="cmdline")
        print("partynews demo: serving " + ", ".join(f"{s.key} at {s.base_url}" for s in served))
        report = run_crawl(settings, sites=[s.key for s in served], urls=[])
    _print_report(report, args)
    return _exit_status(report)


def demo_registry_entry(served) -> dict:
    """A registry entry for a locally served site pack (its real base URL replaced by the local one)."""
    from crawler.registry import OPTIONAL, REQUIRED

    entry = {k: v for k, v in served.config.items() if k in REQUIRED or k in OPTIONAL}
    entry["base_url"] = served.base_url
    entry.pop("allowed_domains", None)
    entry.pop("start_urls", None)
    return entry


def _extract_inputs(args) -> list[tuple[Path, str | None]]:
    pairs: list[tuple[Path, str | None]] = []
    if args.list:
        for n, line in enumerate(Path(args.list).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            path, sep, url = line.partition("\t")
            if not sep:
                raise SystemExit(f"partynews extract: {args.list}:{n}: expected path<TAB>url")
            pairs.append((Path(path.strip()), url.strip()))
    if args.url and len(args.files) != 1:
        raise SystemExit("partynews extract: --url gives the URL of a single FILE; use --list for many")
    for f in args.files:
        path = Path(f)
        pairs.append((path, args.url))      # None: the page's own address (cmd_extract)
    if not pairs:
        raise SystemExit("partynews extract: give FILE... or --list TSV")
    return pairs


def _saved_page_address(body: bytes, path: Path) -> str | None:
    from pipelines.decode import DecodeError, decode_html
    from pipelines.html_tree import ParseError, parse_html
    from pipelines.page_meta import own_address

    try:
        return own_address(parse_html(decode_html(body)[0]))
    except (DecodeError, ParseError):
        return None


def cmd_extract(args) -> int:
    from pipelines.core import CleanOptions, clean_page
    from pipelines.record import build_record

    site = None
    if args.site:
        from crawler.registry import load_registry

        site = load_registry(args.registry)[args.site].info()
    options = CleanOptions(min_words=args.min_words)
    status = EXIT_OK
    for path, url in _extract_inputs(args):
        try:
            body = path.read_bytes()
        except OSError as exc:
            print(json.dumps({"file": str(path), "url": url, "drop_reason": "unreadable", "detail": str(exc)},
                             ensure_ascii=False))
            status = EXIT_FAILED
            continue
        if url is None:
            url = _saved_page_address(body, path)
            if url is None:
                print(json.dumps({"file": str(path), "url": None, "drop_reason": "no_address",
                                  "detail": "the page names no http(s) address of its own "
                                            "(canonical link, og:url): give it with --url or --list"},
                                 ensure_ascii=False))
                status = EXIT_FAILED
                continue
        result = clean_page(body, url, None, site, options)
        if result.ok:
            out = build_record(result.record, url=url, site=site, http_status=200, run_id="extract")
        elif args.keep_dropped and result.fields:
            out = build_record(result.fields, url=url, site=site, http_status=200, run_id="extract")
            out["drop_reason"] = result.drop_reason
            out["drop_detail"] = result.detail
        else:
            out = {"file": str(path), "url": url, "drop_reason": result.drop_reason, "detail": result.detail}
        print(json.dumps(out, ensure_ascii=False))
    return status


def cmd_sites(args) -> int:
    from crawler.registry import RegistryError, load_registry

    try:
        sites = load_registry(args.registry)
    except RegistryError as exc:
        print("partynews sites: the registry has problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        return check_site(args, sites)
    if args.json:
        print(json.dumps([{"key": s.key, "name": s.name, "province": s.province, "level": s.level,
                           "family": s.family, "base_url": s.base_url, "verified": s.verified}
                          for s in sites.values()], ensure_ascii=False, indent=2))
        return EXIT_OK
    kw = max(len(k) for k in sites)
    print(f"{'key':<{kw}}  {'family':<9}  {'level':<8}  {'province':<18}  verified  base_url")
    for s in sites.values():
        print(f"{s.key:<{kw}}  {s.family:<9}  {s.level:<8}  {(s.province or '-'):<18}  "
              f"{'yes' if s.verified else 'no':<8}  {s.base_url}")
    print(f"{len(sites)} sites, registry valid")
    return EXIT_OK


def check_site(args, sites) -> int:
    """A short live probe of one site: robots.txt, sitemaps, feeds, listing pages, and the first article
    through the whole pipeline. For a user with network; nothing is kept."""
    if args.check not in sites:
        print(f"partynews sites --check: unknown site key {args.check!r}", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory() as tmp:
        args.out, args.state, args.quiet = tmp, str(Path(tmp) / "state.sqlite"), not args.verbose
        settings = _project_settings(args)
        for name, value in (("CLOSESPIDER_ITEMCOUNT", 1), ("CLOSESPIDER_PAGECOUNT", 60), ("CLOSESPIDER_TIMEOUT", 180),
                            ("PARTYNEWS_MAX_LISTING_PAGES", 3)):
            settings.set(name, value, priority="cmdline")
        report = run_crawl(settings, sites=[args.check], urls=[])
        records = [json.loads(x) for x in Path(report["files"]["articles"]).read_text(encoding="utf-8").splitlines()]
    site = report["sites"].get(args.check, {})
    checks = [
        ("robots.txt", site.get("robots_txt", 0) > 0, "fetched" if site.get("robots_txt") else "missing or unreachable"),
        ("sitemaps", site.get("sitemaps", 0) > 0, f"{site.get('sitemaps', 0)} read"),
        ("feeds", site.get("feeds", 0) > 0, f"{site.get('feeds', 0)} read"),
        ("listing pages", site.get("listing_pages", 0) > 0, f"{site.get('listing_pages', 0)} fetched"),
        ("article", bool(records), (f"{records[0]['title']!r}, {records[0]['published_at']}, "
                                    f"{records[0]['word_count']} words, authors {records[0]['authors']}")
         if records else "none extracted; dropped: " + (", ".join(f"{k} {v}" for k, v in report["dropped"].items()) or "-")),
    ]
    print(f"check {args.check} ({sites[args.check].base_url}): {site.get('pages_fetched', 0)} pages fetched, "
          f"errors: {', '.join(f'{k} {v}' for k, v in report['errors'].items()) or 'none'}")
    for name, ok, detail in checks:
        print(f"  {'ok ' if ok else '-- '} {name}: {detail}")
    return EXIT_OK if records else EXIT_SITE_EMPTY


def cmd_reprocess(args) -> int:
    """Replay the archived pages through today's item pipelines: same run id, same fetch times, and the
    state as it was before the run (from the archive), into a new folder; nothing is fetched."""
    from crawler.spiders.warc_replay import WarcReplaySpider
    from pipelines.warc_archive import archive_path

    run_dir = Path(args.run_dir)
    if not archive_path(run_dir).exists():
        print(f"partynews reprocess: no pages.warc.gz in {run_dir} (was the run made with --no-warc?)",
              file=sys.stderr)
        return EXIT_USAGE
    report_path = run_dir / "report.json"
    run_id = json.loads(report_path.read_text(encoding="utf-8"))["run_id"] if report_path.exists() else run_dir.name
    out = Path(args.out) if args.out else run_dir / "reprocessed"
    args.out, args.state = str(out), None
    settings = _project_settings(args)
    settings.set("PARTYNEWS_RUN_ID", run_id, priority="cmdline")
    settings.set("PARTYNEWS_REPLAY_RUN", str(run_dir), priority="cmdline")
    settings.set("PARTYNEWS_STATE", str(out / f".replay-{run_id}.sqlite"), priority="cmdline")
    settings.set("PARTYNEWS_WARC", False, priority="cmdline")
    report = run_crawl(settings, sites=[], urls=[], spider_cls=WarcReplaySpider, spider_args={"run_dir": str(run_dir)})
    _print_report(report, args)
    return EXIT_OK if report["finish_reason"] == "finished" else EXIT_FAILED


def cmd_schema(args) -> int:
    from pipelines.record import schema

    print(json.dumps(schema(), ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_report(args) -> int:
    from crawler.report import format_summary

    if args.html:
        from crawler.status_page import cmd_report_html

        return cmd_report_html(args)
    if not args.run_dir:
        print("partynews report: give a run folder (OUT/<run-id>), or --html OUT for the status page",
              file=sys.stderr)
        return EXIT_USAGE
    path = Path(args.run_dir)
    report_path = path / "report.json" if path.is_dir() else path
    if not report_path.exists():
        print(f"partynews report: no report.json in {args.run_dir}", file=sys.stderr)
        return EXIT_USAGE
    report = json.loads(report_path.read_text(encoding="utf-8"))
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_summary(report))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partynews", description="Vietnamese party news sites into a clean JSONL text corpus.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="typical use:\n"
               "  partynews demo                                  try it offline on the bundled demo sites\n"
               "  partynews sites                                 the registered sites\n"
               "  partynews crawl --site KEY --out data           crawl; data/<run-id>/articles.jsonl + report.json\n"
               "  partynews report --html status.html data        the status page of every run\n"
               "  partynews export --format hf --out corpus       the corpus for `datasets.load_dataset`\n"
               "`partynews COMMAND --help` explains each command's options.")
    sub = parser.add_subparsers(dest="command", required=True)

    def crawl_options(p):
        p.add_argument("--out", help="output folder; each run writes OUT/<run-id>/ (default: data)")
        p.add_argument("--state", help="crawl state SQLite file (default: OUT/state.sqlite)")
        p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting")
        p.add_argument("--json", action="store_true", help="print the run report as JSON")
        p.add_argument("--quiet", action="store_true", help="log warnings and errors only; no progress line")
        p.add_argument("--progress", action="store_true",
                       help="print a progress line to stderr even when it is not a terminal (or with --quiet/--json)")
        p.add_argument("--gzip", action="store_true", help="write articles.jsonl.gz instead of articles.jsonl")
        p.add_argument("--no-warc", action="store_true", help="do not archive the fetched pages as WARC")

    p = sub.add_parser("crawl", help="crawl registered sites (--site) or any site by address (--url)")
    p.add_argument("--site", action="append", help="registry key (repeatable, or comma-separated)")
    p.add_argument("--url", action="append", help="crawl a site that is not registered, from this URL (repeatable)")
    p.add_argument("--allow-private", action="store_true", help="allow loopback and private addresses")
    p.add_argument("--registry", help="use this sites.yaml instead of the bundled registry")
    p.add_argument("--resume", action="store_true",
                   help="continue the newest unfinished run in OUT (after a crash or kill) instead of starting anew")
    p.add_argument("--redis", metavar="redis://HOST:PORT/DB",
                   help="be one worker of a crawl shared through Redis (frontier and state); start the same "
                        "command on every machine")
    p.add_argument("--redis-idle", type=float, metavar="SECONDS",
                   help="with --redis: stop once the shared queue has been empty this long (default 10)")
    crawl_options(p)
    p.set_defaults(func=cmd_crawl)

    from crawler.merge import add_parser as add_merge_parser

    add_merge_parser(sub)

    p = sub.add_parser("reprocess", help="rebuild a run's records from its WARC archive, with no network")
    p.add_argument("run_dir", help="a finished or unfinished run folder (OUT/<run-id>) holding pages.warc.gz")
    p.add_argument("--out", help="where the rebuilt run goes (default: RUN_DIR/reprocessed)")
    p.add_argument("--registry", help="unused; for symmetry with crawl")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting")
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    p.add_argument("--quiet", action="store_true", help="log warnings and errors only")
    p.add_argument("--gzip", action="store_true", help="write articles.jsonl.gz instead of articles.jsonl")
    p.set_defaults(func=cmd_reprocess)

    p = sub.add_parser("demo", help="crawl the bundled offline demo sites, served on 127.0.0.x")
    crawl_options(p)
    p.add_argument("--verbose", action="store_true", help="show Scrapy's log")
    p.set_defaults(func=cmd_demo, registry=None)

    p = sub.add_parser("extract", help="clean saved HTML pages offline; one JSON line per page")
    p.add_argument("files", nargs="*", help="saved HTML files")
    p.add_argument("--url", help="the URL of the (single) FILE (default: the address the page gives itself: canonical link, og:url)")
    p.add_argument("--list", help="a TSV file of path<TAB>url lines")
    p.add_argument("--site", help="apply this registry entry's rules")
    p.add_argument("--registry", help="use this sites.yaml instead of the bundled registry")
    p.add_argument("--keep-dropped", action="store_true", help="print dropped pages as records with drop_reason")
    p.add_argument("--min-words", type=int, default=60, help="shorter texts are dropped as too_short (default 60)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("sites", help="list the registered sites and validate the registry")
    p.add_argument("--registry", help="validate and list this sites.yaml instead of the bundled one")
    p.add_argument("--json", action="store_true")
    p.add_argument("--check", metavar="KEY", help="probe one site live: robots, sitemaps, feeds, listings, one article")
    p.add_argument("--allow-private", action="store_true", help="allow loopback and private addresses (with --check)")
    p.add_argument("--verbose", action="store_true", help="show Scrapy's log (with --check)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting (with --check)")
    p.set_defaults(func=cmd_sites)

    p = sub.add_parser("schema", help="print the JSON Schema of a record")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("report", help="print the summary of a run, or write the HTML status page (--html)")
    p.add_argument("run_dir", nargs="?", help="a run folder (OUT/<run-id>) or its report.json; with --html, the "
                   "output folder (default: data) or one of its runs")
    p.add_argument("--json", action="store_true", help="print the run's report.json")
    p.add_argument("--html", metavar="OUT", help="write the status page of every run in the folder to this HTML file "
                   "(self-contained: charts inline, opens offline)")
    p.set_defaults(func=cmd_report)

    from crawler.export import add_parser as add_export_parser

    add_export_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ("site", "url") if args.command == "crawl" else ():
        if getattr(args, name, None):
            setattr(args, name, [v.strip() for item in getattr(args, name) for v in item.split(",") if v.strip()])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
