"""Run by tests/test_extract_pool.py in a spawned process (imports only inside the function, so the test process
does not load the cleaning core by importing this module)."""
from __future__ import annotations


def check_prepared(page_path: str) -> list[str]:
    """What differs between the record as pipelines/prepared.py finishes it and as the pipelines build and
    check it inline (test_extract_pool.py runs this in a spawned process)."""
    from pathlib import Path

    from pipelines import prepared
    from pipelines.core import clean_page, dedup_key
    from pipelines.near_dup import default_hasher, prepared_inputs
    from pipelines.record import build_record, json_digest, public_fields, validation_errors

    url = "https://www.example.vn/tin-tuc/bai-1.html"
    result = clean_page(Path(page_path).read_bytes(), url, {}, None, None)
    if not result.ok:
        return [f"not an article: {result.drop_reason}"]
    build = {"url": url, "site": None, "http_status": 200, "run_id": "r1", "fetched_at": "2026-11-21T00:00:00Z"}
    record = prepared.finish(result.record, build, dedup=True, validate=True)
    inline = build_record(result.record, **build)
    text = inline["text"]
    digest, errors = record[prepared.VALIDATION]
    key, signature = prepared_inputs(record[prepared.DEDUP], text, default_hasher())
    checks = {
        "record": public_fields(record) == inline and list(public_fields(record)) == list(inline),
        "validation": digest == json_digest(inline) and errors == validation_errors(inline),
        "dedup": key == dedup_key(text) and bool((signature == default_hasher().signature(text)).all()),
        # a record changed since (flagged near_duplicate_of) has another digest: validated again, not reused
        "changed": json_digest(dict(inline, near_duplicate_of="b" * 24)) != digest,
    }
    return [name for name, ok in checks.items() if not ok]
