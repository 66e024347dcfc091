"""Run folders: finding the newest unfinished run to resume, and making a killed run's files whole again.

A run is finished when its report.json exists (written last, atomically). A killed run leaves
`articles.jsonl[.gz].part` and `pages.warc.gz.part`, whose last line or record may be torn. Resuming cuts the
torn end off, and makes the state store hold every article whose line made it into the file (the writer
writes the line first, then the state, so a kill between the two would otherwise write the article twice),
and the near-duplicate index hold every such text (a crawl commits both in batches, pipelines/sqlite_batch.py,
so a kill loses the last batch: without this a later copy of one of those texts would not be found).

A new run does the same for every killed run not done yet (marked RECONCILED), before it opens the state: the
`ReconcileKilledRuns` extension, in every crawl with its state in SQLite (`partynews crawl` and `scrapy crawl`);
`partynews crawl --redis` before it starts the crawl.
"""
from __future__ import annotations

import gzip
import json
import os
import zlib
from pathlib import Path

from pipelines.state import StateStore

PARTS = ("articles.jsonl.part", "articles.jsonl.gz.part", "pages.warc.gz.part")


RECONCILED = ".reconciled"      # in a killed run's folder: its records are in the state (a later plain run did it)


def unfinished_runs(out: Path) -> list[Path]:
    """The run folders under `out` that have no report.json, oldest first (run ids sort by start time)."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted((d for d in out.iterdir()
                   if d.is_dir() and not d.is_symlink() and not (d / "report.json").exists()
                   and any((d / name).exists() for name in PARTS)), key=lambda d: d.name)


def unfinished_run(out: Path) -> Path | None:
    """The newest run folder under `out` that has no report.json."""
    runs = unfinished_runs(out)
    return runs[-1] if runs else None


def repair_records(run_dir: Path) -> Path | None:
    """Cut a torn last line off the run's records file; return the file (None if there is none)."""
    plain, packed = run_dir / "articles.jsonl.part", run_dir / "articles.jsonl.gz.part"
    if plain.exists():
        with open(plain, "r+b") as fh:
            data = fh.read()
            keep = data.rfind(b"\n") + 1
            if keep < len(data):
                fh.truncate(keep)
        return plain
    if packed.exists():
        lines = _readable_gzip_lines(packed)
        tmp = packed.with_name(packed.name + ".tmp")
        with gzip.open(tmp, "wb") as fh:
            fh.writelines(lines)
        os.replace(tmp, packed)
        return packed
    return None


def _readable_gzip_lines(path: Path) -> list[bytes]:
    """Whole lines of a gzip file whose last member may be torn (each line was flushed with a sync point)."""
    data = path.read_bytes()
    out = b""
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data)
        except zlib.error:
            break
        if not inflater.eof:
            break
        data = inflater.unused_data
    keep = out.rfind(b"\n") + 1
    return out[:keep].splitlines(keepends=True)


def _records(records_path: Path):
    opener = gzip.open if records_path.name.endswith(".gz.part") else open
    with opener(records_path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def reconcile(records_path: Path, state: StateStore, dedup=None) -> int:
    """Make the state (and the near-duplicate index `dedup`, a pipelines.near_dup.SQLiteDedupStore, if given)
    hold every record in the file; return how many records the file holds."""
    from pipelines.core import dedup_key

    count = 0
    for record in _records(records_path):
        count += 1
        known = state.get(record["id"])
        if known is None or known.content_hash != record["content_hash"] or known.revision < record["revision"]:
            state.put(record, record["fetched_at"])
        if dedup is not None:
            key = dedup_key(record["text"])
            if dedup.holder(key) is None:
                dedup.record_written(key, record["id"], record["canonical_url"], dedup.hasher.signature(record["text"]),
                                     record.get("near_duplicate_of"), record.get("run_id"))
    return count


def reconcile_run(run_dir: Path, settings, state_path: Path) -> int:
    """Cut a killed run's torn last line and make the crawl state (and the near-duplicate index) hold every record
    in its file; return how many records the file holds."""
    from pipelines.near_dup import DEFAULT_THRESHOLD, SQLiteDedupStore
    from pipelines.state import SQLiteState

    records = repair_records(run_dir)
    if records is None:
        return 0
    redis_url = settings.get("PARTYNEWS_REDIS_URL")
    if redis_url:
        from pipelines.state_redis import RedisState

        state = RedisState.from_url(redis_url, prefix=settings.get("PARTYNEWS_REDIS_PREFIX") or "partynews")
    else:
        state = SQLiteState(state_path)
    dedup = None if redis_url else SQLiteDedupStore(
        state_path, threshold=settings.getfloat("PARTYNEWS_NEAR_DUP_THRESHOLD", DEFAULT_THRESHOLD))
    try:
        return reconcile(records, state, dedup)
    finally:
        state.close()
        if dedup is not None:
            dedup.close()


def reconcile_unfinished(out: Path, settings, state_path: Path, current: str | None = None) -> int:
    """Before a new run (not `current`): every killed run's records into the state, once; how many runs were done.
    The state commits in batches, so a killed run's last records may be in its file only: without this, the new
    run would write those articles again. Call with the state's lock held (no other run is writing them)."""
    done = 0
    for run_dir in unfinished_runs(out):
        if run_dir.name != current and not (run_dir / RECONCILED).exists():
            reconcile_run(run_dir, settings, state_path)
            (run_dir / RECONCILED).touch()
            done += 1
    return done


class ReconcileKilledRuns:
    """Scrapy extension: a crawl (`partynews crawl` or `scrapy crawl party_news`) reconciles killed runs before any
    component opens the state (extensions are built before the engine opens the spider and its pipelines).
    Takes the state's lock to do it, which the crawl holds anyway (pipelines/state_access.py). A replay
    (`partynews reprocess`) and a Redis crawl (its workers share the state; `partynews crawl --redis` reconciles
    before it starts) are left out."""

    @classmethod
    def from_crawler(cls, crawler):
        from pipelines.run_context import run_id_of, state_path_of
        from pipelines.state import lock_state

        settings = crawler.settings
        if not settings.get("PARTYNEWS_REPLAY_RUN") and not settings.get("PARTYNEWS_REDIS_URL"):
            state_path = state_path_of(crawler)
            lock_state(state_path)
            reconcile_unfinished(Path(settings.get("PARTYNEWS_OUT") or "data"), settings, state_path,
                                 current=run_id_of(crawler))
        return cls()
