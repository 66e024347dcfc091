"""The full record: the core's fields plus identity, provenance and run fields, in schema order."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata, resources

from jsonschema import Draft202012Validator
from w3lib.url import canonicalize_url

from .site import SiteInfo

SCHEMA_VERSION = "1.0"
FIELD_ORDER = (
    "id", "url", "canonical_url", "site", "site_name", "province", "title", "lead", "text", "published_at",
    "published_precision", "date_source", "modified_at", "authors", "category", "tags", "images", "language",
    "word_count", "content_hash", "fetched_at", "http_status", "run_id", "extractor", "schema_version",
    "revision", "previous_content_hash", "duplicate_urls", "near_duplicate_of",
)


def record_id(canonical: str) -> str:
    """Stable id of an article: its canonical URL with the query sorted, hashed."""
    return hashlib.sha256(canonicalize_url(canonical).encode("utf-8")).hexdigest()[:24]


@lru_cache(maxsize=1)
def extractor_info() -> dict:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {"name": "partynews", "version": version("partynews"), "trafilatura": version("trafilatura")}


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_record(fields: dict, *, url: str, site: SiteInfo | None, http_status: int, run_id: str,
                 fetched_at: str | None = None) -> dict:
    values = {
        "id": record_id(fields["canonical_url"]),
        "url": url,
        "site": site.key if site else None,
        "site_name": site.name if site else None,
        "province": site.province if site else None,
        "fetched_at": fetched_at or utc_now(),
        "http_status": http_status,
        "run_id": run_id,
        "extractor": extractor_info(),
        "schema_version": SCHEMA_VERSION,
        "revision": 1,
        "previous_content_hash": None,
        "duplicate_urls": [],
        "near_duplicate_of": None,
    }
    return {key: values[key] if key in values else fields[key] for key in FIELD_ORDER}


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(resources.files("pipelines").joinpath("schema/article.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def validation_errors(record: dict) -> list[str]:
    return [f"{'/'.join(str(p) for p in err.absolute_path) or '(record)'}: {err.message}"
            for err in validator().iter_errors(record)]


def public_fields(record: dict) -> dict:
    """The record without the pipeline-private keys (`_fetch` and the like, see pipelines/prepared.py)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def json_digest(public: dict) -> bytes:
    """Digest of the record as the writer serialises it (same keys, order, types and values): a validation
    made of a record with the same digest holds for this one. Far cheaper than validating again."""
    return hashlib.blake2b(json.dumps(public, ensure_ascii=False).encode("utf-8"), digest_size=16).digest()


def validation_of(record: dict) -> tuple[bytes, list[str]]:
    """(digest, validation errors) of the record's public fields, for reuse where the digest still matches."""
    public = public_fields(record)
    return json_digest(public), validation_errors(public)
