"""`partynews merge RUN_DIR... --out DIR`: the runs of the workers of one shared crawl (`crawl --redis`), or
any runs, as one run folder: every article once (the higher revision when two runs hold the same id; the
earlier fetch at equal revision) and one report whose counts are the sums of the workers' reports.

Unfinished runs (a worker killed with SIGKILL leaves `articles.jsonl.part` and no report) are merged too: their
records count, torn last lines are skipped, and the merged report lists them under `merged_from` with
`finish_reason: null`.
"""
from __future__ import annotations

import gzip
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

_RECORD_FILES = ("articles.jsonl", "articles.jsonl.gz", "articles.jsonl.part", "articles.jsonl.gz.part")


def records_file(run_dir: Path) -> Path | None:
    for name in _RECORD_FILES:
        if (run_dir / name).exists():
            return run_dir / name
    return None


def read_records(path: Path):
    opener = gzip.open if ".gz" in path.name else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    return          # torn by a kill
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    return
    except EOFError:                # a gzip member cut by a kill
        return


def _better(new: dict, old: dict) -> bool:
    if new.get("revision", 1) != old.get("revision", 1):
        return new.get("revision", 1) > old.get("revision", 1)
    return (new.get("fetched_at") or "") < (old.get("fetched_at") or "")


def _add(into: dict, other: dict) -> None:
    """Sum `other` into `into`: numbers added, dicts merged recursively, the rest kept if missing."""
    for key, value in other.items():
        if isinstance(value, bool):
            into.setdefault(key, value)
        elif isinstance(value, (int, float)):
            into[key] = (into.get(key) or 0) + value
        elif isinstance(value, dict):
            into[key] = into.get(key) if isinstance(into.get(key), dict) else {}
            _add(into[key], value)
        else:
            into.setdefault(key, value)


def merge_reports(reports: list[dict], *, run_id: str, written: int, duplicates: int, out: Path,
                  sources: list[dict]) -> dict:
    totals: dict = {}
    merged: dict = {"dropped": {}, "errors": {}, "skipped": {}, "http_status": {}}
    sites: dict[str, dict] = {}
    for report in reports:
        _add(totals, report.get("totals") or {})
        for name in merged:
            _add(merged[name], report.get(name) or {})
        for key, entry in (report.get("sites") or {}).items():
            site = sites.setdefault(key, {})
            seconds = entry.get("duration_seconds")
            _add(site, {k: v for k, v in entry.items() if k != "duration_seconds"})
            if seconds is not None:   # the workers crawled at the same time: the longest, not the sum
                site["duration_seconds"] = max(site.get("duration_seconds") or 0, seconds)
            site.setdefault("duration_seconds", None)
    totals["written"] = written
    totals["duplicates_merged"] = duplicates
    started = [r["started_at"] for r in reports if r.get("started_at")]
    finished = [r["finished_at"] for r in reports if r.get("finished_at")]
    duration = None
    if started and finished:
        t0 = datetime.fromisoformat(min(started).replace("Z", "+00:00"))
        t1 = datetime.fromisoformat(max(finished).replace("Z", "+00:00"))
        duration = round((t1 - t0).total_seconds(), 3)
    reasons = {r.get("finish_reason") for r in reports} | ({None} if len(reports) < len(sources) else set())
    return {
        "run_id": run_id,
        "finish_reason": "finished" if reasons == {"finished"} else "merged: " + ", ".join(
            sorted(str(r) for r in reasons)),
        "started_at": min(started) if started else None,
        "finished_at": max(finished) if finished else None,
        "duration_seconds": duration,
        "totals": totals,
        **{name: dict(sorted(value.items())) for name, value in merged.items()},
        "sites": dict(sorted(sites.items())),
        "resumed": None,
        "merged_from": sources,
        "files": {"articles": str(out / "articles.jsonl"), "report": str(out / "report.json")},
    }


def merge_runs(run_dirs: list[Path], out: Path) -> dict:
    """Write `out/articles.jsonl` and `out/report.json`; return the report."""
    from crawler.report import write_json_atomic

    best: dict[str, dict] = {}
    order: list[str] = []
    seen = 0
    reports, sources = [], []
    for run_dir in run_dirs:
        run_dir = Path(run_dir)
        path = records_file(run_dir)
        count = 0
        for record in read_records(path) if path else ():
            count += 1
            old = best.get(record["id"])
            if old is None:
                order.append(record["id"])
                best[record["id"]] = record
            elif _better(record, old):
                best[record["id"]] = record
        seen += count
        report_path = run_dir / "report.json"
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None
        if report is not None:
            reports.append(report)
        sources.append({"run_dir": str(run_dir), "run_id": report["run_id"] if report else run_dir.name,
                        "records": count, "finish_reason": report.get("finish_reason") if report else None})
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "articles.jsonl.part"
    with open(tmp, "w", encoding="utf-8") as fh:
        for record_id in order:
            fh.write(json.dumps(best[record_id], ensure_ascii=False) + "\n")
    tmp.replace(out / "articles.jsonl")
    run_id = "merged-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = merge_reports(reports, run_id=run_id, written=len(order), duplicates=seen - len(order), out=out,
                           sources=sources)
    write_json_atomic(out / "report.json", report)
    return report


def cmd_merge(args) -> int:
    from crawler.report import format_summary

    dirs = [Path(d) for d in args.run_dirs]
    missing = [str(d) for d in dirs if not d.is_dir() or (records_file(d) is None and not (d / "report.json").exists())]
    if missing:
        print(f"partynews merge: not a run folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    report = merge_runs(dirs, Path(args.out))
    print(json.dumps(report, ensure_ascii=False) if args.json else format_summary(report))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("merge", help="combine the runs of several workers (crawl --redis) into one run folder")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folders (OUT/<run-id>), finished or not")
    p.add_argument("--out", required=True, help="the merged run folder: articles.jsonl + report.json")
    p.add_argument("--json", action="store_true", help="print the merged report as JSON")
    p.set_defaults(func=cmd_merge)
