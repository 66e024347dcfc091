"""The accumulated corpus on disk: the finished runs of an output folder and their records.

An output folder (`partynews crawl --out DIR`) holds one folder per run, `DIR/<run-id>/`, with
`articles.jsonl` (or `articles.jsonl.gz`) and `report.json`, plus the state store `DIR/state.sqlite` and
possibly a `DIR/latest` symlink to the newest run. A run that has not finished has `*.part` files and no
`report.json`: it is not part of the corpus yet. Used by `partynews export` and the status page.
"""
from __future__ import annotations

import gzip
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

logger = logging.getLogger(__name__)

ARTICLE_FILES = ("articles.jsonl", "articles.jsonl.gz")
OK_FINISH_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount")


class CorpusError(Exception):
    """The output folder cannot be read as a corpus; the message says what to do."""


@dataclass
class Run:
    run_id: str
    path: Path
    report: dict
    articles: Path | None          # None: the run wrote no article file

    @property
    def started_at(self) -> str:
        return self.report.get("started_at") or ""

    @property
    def ok(self) -> bool:
        return self.report.get("finish_reason") in OK_FINISH_REASONS


def _articles_file(run_dir: Path, report: dict) -> Path | None:
    named = (report.get("files") or {}).get("articles")
    candidates = ([Path(named).name] if named else []) + list(ARTICLE_FILES)
    for name in candidates:
        path = run_dir / name
        if name in ARTICLE_FILES and path.is_file():
            return path
    return None


def finished_runs(data_dir: str | os.PathLike) -> list[Run]:
    """The finished runs under `data_dir`, oldest first. Symlinks (`latest`) and unfinished runs are skipped; a
    run folder itself (`data_dir/latest`) gives that run alone."""
    root = Path(data_dir)
    if not root.is_dir():
        raise CorpusError(f"{root}: no such folder; give the output folder of `partynews crawl --out DIR` "
                          "(default: data)")
    runs: list[Run] = []
    if (root / "report.json").is_file():  # one run folder (e.g. DIR/latest): that run alone
        report = json.loads((root / "report.json").read_text(encoding="utf-8"))
        return [Run(run_id=report.get("run_id") or root.resolve().name, path=root, report=report,
                    articles=_articles_file(root, report))]
    for entry in os.scandir(root):
        if entry.is_symlink() or not entry.is_dir():
            continue
        run_dir = Path(entry.path)
        report_path = run_dir / "report.json"
        if not report_path.is_file():
            continue  # unfinished (or not a run folder at all)
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("skipping %s: unreadable report.json (%s)", run_dir, exc)
            continue
        if not isinstance(report, dict):
            continue
        runs.append(Run(run_id=report.get("run_id") or entry.name, path=run_dir, report=report,
                        articles=_articles_file(run_dir, report)))
    runs.sort(key=lambda r: (r.started_at, r.path.name))
    return runs


def open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_records(path: Path | None) -> Iterator[tuple[int, dict]]:
    """(line number, record) of a JSONL or JSONL.gz file; blank and unparseable lines are skipped (logged)."""
    if path is None:
        return
    bad = 0
    with open_text(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(record, dict):
                yield n, record
    if bad:
        logger.warning("%s: %d unparseable line(s) skipped", path, bad)
