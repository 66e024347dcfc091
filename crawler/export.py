"""`partynews export`: the accumulated corpus (every finished run of an output folder) as Parquet, as a
Hugging Face `datasets` folder, or as one JSONL file.

Each article appears once, as its latest revision (the highest `revision`; between equal revisions the later
run); `--with-revisions` adds every revision of the exported articles as a second table. Filters (site,
province, publication date range) apply to the latest revision of an article. Columns are the record's
fields, in schema order, typed from the record's JSON Schema, which travels with the data: in the Parquet
key-value metadata (`partynews.schema`) and as `article.schema.json` in the folder.

Layouts written into OUT:

    parquet:  articles.parquet [revisions.parquet] article.schema.json export.json
    hf:       README.md (dataset card; `configs`: default, revisions) data/train-*.parquet [revisions/train-*.parquet]
              article.schema.json export.json                 -> datasets.load_dataset(OUT)
    jsonl:    articles.jsonl [revisions.jsonl] article.schema.json export.json

The records are read twice (once to find each article's latest revision, once to write it), so memory holds
one small entry per article, not the texts.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import unicodedata
from datetime import date, datetime, timezone
from pathlib import Path

from crawler.corpus import CorpusError, finished_runs, read_records

FORMATS = ("parquet", "hf", "jsonl")
MANIFEST = "export.json"
SCHEMA_FILE = "article.schema.json"
BATCH_ROWS = 2000
ROWS_PER_SHARD = 100_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ExportError(Exception):
    """A usage problem the user can fix; the message says how."""


# ------------------------------------------------------------------------------------------------ schema

def arrow_schema(json_schema: dict | None = None):
    """The Arrow schema of a record, derived from its JSON Schema (field order = the schema's `required`)."""
    import pyarrow as pa

    from pipelines.record import FIELD_ORDER, schema

    json_schema = json_schema or schema()
    defs = json_schema.get("$defs", {})

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[1]]
        if "oneOf" in node:  # e.g. a hash or null
            kinds = [resolve(n) for n in node["oneOf"]]
            return next((k for k in kinds if k.get("type") not in ("null", ["null"])), kinds[0])
        return node

    def to_arrow(node: dict):
        node = resolve(node)
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        kinds = [k for k in kinds if k and k != "null"]
        if not kinds:  # enum / const: the values say
            values = node.get("enum", [node.get("const")])
            kinds = ["integer" if all(isinstance(v, int) for v in values if v is not None) else "string"]
        kind = kinds[0]
        if kind == "integer":
            return pa.int64()
        if kind == "number":
            return pa.float64()
        if kind == "boolean":
            return pa.bool_()
        if kind == "array":
            return pa.list_(to_arrow(node.get("items", {"type": "string"})))
        if kind == "object":
            props = node.get("properties", {})
            order = node.get("required") or list(props)
            return pa.struct([pa.field(name, to_arrow(props[name])) for name in order])
        return pa.string()

    props = json_schema["properties"]
    order = list(json_schema.get("required") or FIELD_ORDER)
    order += [name for name in props if name not in order]
    return pa.schema([pa.field(name, to_arrow(props[name])) for name in order])


# ------------------------------------------------------------------------------------------------ filters

def _fold(text: str) -> str:
    """Case, accents and đ folded: `Hải Phòng`, `hai phong` and `HẢI PHÒNG` are one province."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").casefold().split())


def _date_arg(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if not _DATE.match(value):
        raise ExportError(f"{name} takes a date as YYYY-MM-DD, got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ExportError(f"{name} {value!r}: {exc}") from None
    return value


class Filters:
    def __init__(self, sites=(), provinces=(), since=None, until=None):
        self.sites = set(sites or ())
        self.provinces = {_fold(p) for p in provinces or ()}
        self.since = _date_arg(since, "--since")
        self.until = _date_arg(until, "--until")
        if self.since and self.until and self.since > self.until:
            raise ExportError(f"--since {self.since} is after --until {self.until}")

    def accepts(self, record: dict) -> bool:
        if self.sites and record.get("site") not in self.sites:
            return False
        if self.provinces and _fold(record.get("province") or "") not in self.provinces:
            return False
        if self.since or self.until:
            # published_at is Vietnam's local time (+07:00): its first ten characters are the local date
            day = (record.get("published_at") or "")[:10]
            if not day or (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True

    def describe(self) -> dict:
        return {"site": sorted(self.sites), "province": sorted(self.provinces), "since": self.since,
                "until": self.until}


# ------------------------------------------------------------------------------------------------ selection

def select(runs, filters: Filters, with_revisions: bool):
    """Pass 1: which lines to write. Returns (latest, revisions): sets of (run index, line number)."""
    best: dict[str, tuple] = {}        # id -> (revision, run index, line, accepted)
    per_revision: dict[tuple, tuple] = {}  # (id, revision) -> (run index, line)
    for i, run in enumerate(runs):
        for line, record in read_records(run.articles):
            rid, rev = record.get("id"), int(record.get("revision") or 1)
            if not rid:
                continue
            known = best.get(rid)
            if known is None or (rev, i) >= known[:2]:
                best[rid] = (rev, i, line, filters.accepts(record))
            if with_revisions:
                per_revision[(rid, rev)] = (i, line)
    latest = {(i, line) for _, i, line, ok in best.values() if ok}
    revisions = set()
    if with_revisions:
        keep = {rid for rid, entry in best.items() if entry[3]}
        revisions = {pos for (rid, _), pos in per_revision.items() if rid in keep}
    return latest, revisions


def _conform(record: dict, names: list[str]) -> dict:
    return {name: record.get(name) for name in names}


# ------------------------------------------------------------------------------------------------ writers

class _ParquetSink:
    """Rows into one Parquet file, or into `prefix-0000i-of-0000n.parquet` shards of at most ROWS_PER_SHARD."""

    def __init__(self, schema, target: Path, total: int, sharded: bool):
        self.schema, self.target, self.total, self.sharded = schema, target, total, sharded
        self.shards = max(1, -(-total // ROWS_PER_SHARD)) if sharded else 1
        self.writer, self.shard, self.in_shard, self.rows, self.files = None, -1, 0, [], []

    def _path(self) -> Path:
        if not self.sharded:
            return self.target
        return self.target / f"train-{self.shard:05d}-of-{self.shards:05d}.parquet"

    def _open_next(self):
        import pyarrow.parquet as pq

        if self.writer is not None:
            self.writer.close()
        self.shard += 1
        self.in_shard = 0
        path = self._path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.files.append(path)

    def add(self, row: dict):
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self):
        import pyarrow as pa

        while self.rows or self.writer is None:
            if self.writer is None or (self.sharded and self.in_shard >= ROWS_PER_SHARD):
                self._open_next()
            room = ROWS_PER_SHARD - self.in_shard if self.sharded else len(self.rows)
            chunk, self.rows = self.rows[:room], self.rows[room:]
            if chunk:
                self.writer.write_table(pa.Table.from_pylist(chunk, schema=self.schema))
                self.in_shard += len(chunk)
            if not self.rows:
                break

    def close(self) -> list[Path]:
        self.flush()
        if self.writer is not None:
            self.writer.close()
        return self.files


class _JsonlSink:
    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "w", encoding="utf-8")

    def add(self, row: dict):
        self.fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self) -> list[Path]:
        self.fh.close()
        return [self.path]


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MANIFEST).is_file() and not force:
            raise ExportError(f"--out {out} is not empty and holds no earlier export; choose an empty or new "
                              "folder (or add --force to write into it)")
        # an earlier export: replace what an export writes, nothing else
        for name in ("data", "revisions"):
            if (out / name).is_dir():
                shutil.rmtree(out / name)
        for name in ("articles.parquet", "revisions.parquet", "articles.jsonl", "revisions.jsonl", "README.md",
                     SCHEMA_FILE, MANIFEST):
            if (out / name).is_file() and (name != "README.md" or (out / MANIFEST).is_file()):
                (out / name).unlink()
    out.mkdir(parents=True, exist_ok=True)


def _card(info: dict) -> str:
    """The dataset card: YAML `configs` that `datasets.load_dataset(OUT)` reads, then what the fields mean."""
    configs = ["configs:", "- config_name: default", "  default: true", "  data_files:", "  - split: train",
               "    path: data/train-*.parquet"]
    if info["with_revisions"]:
        configs += ["- config_name: revisions", "  data_files:", "  - split: train", "    path: revisions/train-*.parquet"]
    lines = ["---", *configs, "language:", "- vi", "pretty_name: partynews corpus", "task_categories:",
             "- text-generation", "size_categories:", f"- {_size_category(info['articles'])}", "---", "",
             "# partynews corpus", "",
             "Cleaned articles of Vietnamese Communist Party news sites, written by "
             "[partynews](https://partynews.invalid/) crawls. One row per article: its latest revision.", "",
             f"- articles: {info['articles']}" + (f", revisions: {info['revisions']}" if info["with_revisions"] else ""),
             f"- runs: {len(info['runs'])} ({info['runs'][0] if info['runs'] else '-'} .. "
             f"{info['runs'][-1] if info['runs'] else '-'})",
             f"- sites: {', '.join(info['sites']) or '-'}",
             f"- filters: {json.dumps(info['filters'], ensure_ascii=False)}",
             f"- exported at: {info['exported_at']}", "",
             "```python",
             "import datasets",
             "ds = datasets.load_dataset(\"path/to/this/folder\", split=\"train\")"
             + ("\nrevs = datasets.load_dataset(\"path/to/this/folder\", \"revisions\", split=\"train\")"
                if info["with_revisions"] else ""),
             "```", "",
             "The columns are the fields of the partynews record, typed from its JSON Schema (`article.schema.json`, "
             "also stored in each Parquet file's key-value metadata under `partynews.schema`): `id` (stable, "
             "from the canonical URL), `text` (paragraphs separated by a blank line), `title`, `lead`, "
             "`published_at` (ISO 8601, +07:00), `authors`, `site`, `province`, `revision`, ...", ""]
    return "\n".join(lines)


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def export(data_dir, out, *, fmt: str = "parquet", filters: Filters | None = None, with_revisions: bool = False,
           force: bool = False) -> dict:
    """Write the corpus of `data_dir` into `out`; returns the export's manifest (also written as export.json)."""
    from pipelines.record import SCHEMA_VERSION, schema

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    filters = filters or Filters()
    out = Path(out)
    runs = finished_runs(data_dir)
    if not runs:
        raise CorpusError(f"no finished run in {data_dir}: run `partynews crawl --out {data_dir}` first "
                          "(a run is finished when its folder holds report.json)")
    if out.resolve() == Path(data_dir).resolve():
        raise ExportError(f"--out {out} is the crawl output folder itself; export into another folder")
    latest, revisions = select(runs, filters, with_revisions)
    _prepare_out(out, force)

    json_schema = schema()
    arrow = arrow_schema(json_schema)
    names = arrow.names
    info = {
        "format": fmt,
        "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": str(Path(data_dir).resolve()),
        "schema_version": SCHEMA_VERSION,
        "runs": [r.run_id for r in runs],
        "filters": filters.describe(),
        "with_revisions": with_revisions,
        "articles": len(latest),
        "revisions": len(revisions) if with_revisions else None,
        "sites": [],
        "files": {},
    }
    arrow = arrow.with_metadata({
        b"partynews.schema": json.dumps(json_schema, ensure_ascii=False).encode("utf-8"),
        b"partynews.schema_version": SCHEMA_VERSION.encode(),
        b"partynews.export": json.dumps({k: info[k] for k in ("exported_at", "runs", "filters", "with_revisions")},
                                        ensure_ascii=False).encode("utf-8"),
    })

    def sink(table: str, total: int):
        if fmt == "jsonl":
            return _JsonlSink(out / f"{table}.jsonl")
        if fmt == "parquet":
            return _ParquetSink(arrow, out / f"{table}.parquet", total, sharded=False)
        return _ParquetSink(arrow, out / ("data" if table == "articles" else "revisions"), total, sharded=True)

    sinks = {"articles": sink("articles", len(latest))}
    if with_revisions:
        sinks["revisions"] = sink("revisions", len(revisions))
    sites: set[str] = set()
    wanted_runs = {i for i, _ in latest} | {i for i, _ in revisions}
    for i, run in enumerate(runs):
        if i not in wanted_runs:
            continue
        for line, record in read_records(run.articles):
            row = None
            if (i, line) in latest:
                row = _conform(record, names)
                sinks["articles"].add(row)
                sites.add(record.get("site") or "")
            if (i, line) in revisions:
                sinks["revisions"].add(row or _conform(record, names))
    for table, s in sinks.items():
        info["files"][table] = [str(p.relative_to(out)) for p in s.close()]
    info["sites"] = sorted(s for s in sites if s)

    (out / SCHEMA_FILE).write_text(json.dumps(json_schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if fmt == "hf":
        (out / "README.md").write_text(_card(info), encoding="utf-8")
    (out / MANIFEST).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


# ------------------------------------------------------------------------------------------------ command line

def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "export", help="write the accumulated corpus (all runs) as Parquet, a Hugging Face dataset or JSONL",
        description="Write the corpus accumulated in a crawl output folder (every finished run; each article\n"
                    "once, as its latest revision) as Parquet, as a folder `datasets.load_dataset()` reads, or\n"
                    "as one JSONL file. The record's JSON Schema goes with the data.",
        epilog="examples:\n"
               "  partynews export --format hf --out corpus-hf\n"
               "  partynews export --format parquet --out corpus --out-of /srv/partynews "
               "--province 'Hải Phòng' --since 2026-01-01\n"
               "  partynews export --format jsonl --out corpus --with-revisions --site heza,ninhbinh-dcs",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--format", choices=FORMATS, default="parquet",
                   help="parquet: OUT/articles.parquet; hf: a Hugging Face datasets folder (parquet shards + "
                        "dataset card); jsonl: OUT/articles.jsonl (default: parquet)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write (new, empty or an earlier export)")
    p.add_argument("--out-of", default="data", metavar="DATA_DIR",
                   help="the crawl output folder to read (`crawl --out`; default: data)")
    p.add_argument("--site", action="append", metavar="KEY", help="only these sites (repeatable or comma-separated)")
    p.add_argument("--province", action="append", metavar="NAME",
                   help="only these provinces (repeatable; case and accents ignored: 'hai phong' = 'Hải Phòng')")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this date (Vietnam time)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this date")
    p.add_argument("--with-revisions", action="store_true",
                   help="also write every revision of the exported articles (revisions table / config)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder that is not an earlier export")
    p.add_argument("--json", action="store_true", help="print the export's manifest as JSON")
    p.set_defaults(func=cmd_export)
    return p


def cmd_export(args) -> int:
    sites = [v.strip() for item in args.site or [] for v in item.split(",") if v.strip()]
    try:
        filters = Filters(sites=sites, provinces=args.province, since=args.since, until=args.until)
        info = export(args.out_of, args.out, fmt=args.format, filters=filters, with_revisions=args.with_revisions,
                      force=args.force)
    except (ExportError, CorpusError) as exc:
        print(f"partynews export: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
    else:
        extra = f" and {info['revisions']} revisions" if args.with_revisions else ""
        print(f"exported {info['articles']} articles{extra} from {len(info['runs'])} runs "
              f"({', '.join(info['sites']) or 'no site'}) to {args.out} as {args.format}")
        if not info["articles"]:
            print("partynews export: no article matched; check --site/--province/--since/--until", file=sys.stderr)
    return 0
