"""Work on a record that needs nothing but the record, done in the extraction worker (pipelines/extract_pool.py)
instead of on the crawler's reactor thread: building the full record, its near-duplicate inputs (text key and
MinHash signature) and its JSON Schema validation.

The results travel with the record under private keys (dropped by the writer like `_fetch`) and are asked for
only when the pipeline that reads them is enabled. Each pipeline uses them only if they still describe the
record it holds (a digest of the text, or of the whole public record), and otherwise computes them itself, as it
does when extraction runs inline or a record comes from elsewhere.
"""
from __future__ import annotations

from .record import build_record, validation_of

DEDUP = "_dedup"          # near_dup.prepare(text): (text digest, dedup key, signature, MinHash parameters)
VALIDATION = "_validation"  # record.validation_of(record): (digest of the public record, errors)


def finish(fields: dict, build: dict, dedup: bool, validate: bool) -> dict:
    """The full record (`build_record(fields, **build)`) with the precomputed inputs asked for."""
    record = build_record(fields, **build)
    if dedup:
        from .near_dup import prepare

        record[DEDUP] = prepare(record["text"])
    if validate:
        record[VALIDATION] = validation_of(record)
    return record
