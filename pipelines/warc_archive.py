"""The run's raw pages as a WARC file (warcio), so a run can be rebuilt later with the current pipeline and no
network (`partynews reprocess RUN_DIR`).

`<run>/pages.warc.gz` holds, for every page handed to the item pipelines, a `response` record (the HTTP status,
the headers and the body as Scrapy received it, i.e. after transfer decoding) with the site entry in a
`WARC-Partynews-Site` header; and, for every article that reached the state step, a `metadata` record
with what the crawl state knew of it before this run (`prior`: revision and content hash, or null), so a
rebuild decides new / updated / unchanged exactly as the run did, whatever the state holds today.

Written record by record under `pages.warc.gz.part` (each record its own gzip member, flushed), renamed when
the run closes: a killed run leaves whole records followed by at most one torn one, which readers skip.
"""
from __future__ import annotations

import json
import os
import zlib
from http.client import responses
from io import BytesIO
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

WARC_NAME = "pages.warc.gz"
SITE_HEADER = "WARC-Partynews-Site"
REQUESTED_HEADER = "WARC-Partynews-Requested-URI"
# the body is stored decoded: headers describing the transfer would make readers decode it again
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
# warcio compresses at level 9; on news pages level 6 (zlib's and gzip's default) makes files 0.2% larger in 84%
# of the time (0.53 instead of 0.64 ms a 30 kB page, on the crawler's reactor thread)
GZIP_LEVEL = 6


class _GzipMembers:
    """The file as warcio's writer sees it (with gzip=False): each record, which warcio ends with one flush(),
    becomes its own gzip member, as with warcio's gzip=True, at GZIP_LEVEL."""

    def __init__(self, fh, level: int = GZIP_LEVEL):
        self.fh, self.level, self.compressor = fh, level, None

    def write(self, data: bytes) -> None:
        if self.compressor is None:
            self.compressor = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.fh.write(self.compressor.compress(data))

    def flush(self) -> None:
        if self.compressor is not None:
            self.fh.write(self.compressor.flush())
            self.compressor = None
        self.fh.flush()


class WarcArchive:
    def __init__(self, run_dir: Path):
        self.final = Path(run_dir) / WARC_NAME
        self.part = self.final.with_name(WARC_NAME + ".part")
        repair(self.part)
        self.fh = open(self.part, "ab")
        self.writer = WARCWriter(_GzipMembers(self.fh), gzip=False)

    def write_page(self, item) -> None:
        status = int(item.get("status") or 200)
        headers = [(k, v) for k, v in (item.get("headers") or {}).items() if k.lower() not in _TRANSFER_HEADERS]
        http_headers = StatusAndHeaders(f"{status} {responses.get(status, 'Unknown')}", headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": item.get("fetched_at") or "",
                        SITE_HEADER: json.dumps(item.get("site"), ensure_ascii=True, sort_keys=True)}
        if item.get("requested_url") and item.get("requested_url") != item["url"]:
            warc_headers[REQUESTED_HEADER] = item["requested_url"]
        if not warc_headers["WARC-Date"]:
            del warc_headers["WARC-Date"]
        record = self.writer.create_warc_record(item["url"], "response", payload=BytesIO(item["body"] or b""),
                                                http_headers=http_headers, warc_headers_dict=warc_headers)
        self._write(record)

    def write_prior(self, url: str, article_id: str, prior: dict | None) -> None:
        payload = json.dumps({"id": article_id, "prior": prior}, sort_keys=True).encode("utf-8")
        record = self.writer.create_warc_record(url, "metadata", payload=BytesIO(payload),
                                                warc_content_type="application/json")
        self._write(record)

    def _write(self, record) -> None:
        self.writer.write_record(record)
        self.fh.flush()

    def close(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.part, self.final)


def repair(path: Path) -> None:
    """Cut a torn last record off a WARC file a killed run left, so appending goes on from a whole record."""
    if not path.exists() or path.stat().st_size == 0:
        return
    good = 0
    with open(path, "rb") as fh:
        try:
            records = ArchiveIterator(fh)
            for record in records:
                record.content_stream().read()
                good = records.get_record_offset() + records.get_record_length()
        except (ArchiveLoadFailed, EOFError, OSError, ValueError):
            pass
    if good < path.stat().st_size:
        with open(path, "r+b") as fh:
            fh.truncate(good)


def archive_path(run_dir: Path) -> Path:
    path = Path(run_dir) / WARC_NAME
    return path if path.exists() else path.with_name(WARC_NAME + ".part")


def read_priors(run_dir: Path) -> dict[str, dict | None]:
    """What the crawl state knew of each article before the run (first record per id wins)."""
    priors: dict[str, dict | None] = {}
    for record in iter_records(archive_path(run_dir)):
        if record.rec_type == "metadata":
            data = json.loads(record.content_stream().read().decode("utf-8"))
            priors.setdefault(data["id"], data.get("prior"))
    return priors


def iter_pages(run_dir: Path) -> Iterator[dict]:
    """The pages of a run's archive, one at a time, in the order they reached the pipelines."""
    for record in iter_records(archive_path(run_dir)):
        if record.rec_type != "response":
            continue
        headers = record.rec_headers
        site = headers.get_header(SITE_HEADER)
        yield {
            "url": headers.get_header("WARC-Target-URI"),
            "requested_url": headers.get_header(REQUESTED_HEADER) or headers.get_header("WARC-Target-URI"),
            "status": int(record.http_headers.get_statuscode() or 200),
            "headers": {k: v for k, v in record.http_headers.headers},
            "body": record.content_stream().read(),
            "site": json.loads(site) if site else None,
            "fetched_at": headers.get_header("WARC-Date"),
        }


def iter_records(path: Path) -> Iterator:
    with open(path, "rb") as fh:
        try:
            yield from ArchiveIterator(fh)
        except (ArchiveLoadFailed, EOFError, OSError, ValueError):
            return          # a torn last record of a killed run
