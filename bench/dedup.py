#!/usr/bin/env python3
"""De-duplication benchmark: throughput and index memory of pipelines/near_dup.py on synthetic records.

    python bench/dedup.py [--records 100000] [--threshold 0.8] [--state PATH] [--json]

Builds N synthetic articles from the fixture text bank (tests/fixtures/textbank.py: 3 body sentences of each of
3 themes, a shortcoming, a direction and a closing, placeholders filled with seeded places, names and numbers), of
which 10% are exact copies of an earlier record (new tone-mark spelling, other spacing, half of them in
capitals; the site prefixes a copy may carry are the cleaning core's to remove) and 10% near copies (one sentence added), and runs each through the same path as the crawl's
DedupPipeline: `Deduplicator.check`, then, for a record that would be written, `written` (text key, signature
and LSH buckets into a fresh SQLite state file, one transaction per record).

Prints records per second (whole path, and signatures alone), what was found (new, exact, near; the copies
planted and the copies found), the process's resident memory growth over the run and the size of the SQLite
file (with its WAL). The last line printed is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import random
import string
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fixtures import textbank  # noqa: E402
from pipelines.near_dup import Deduplicator, MinHasher, SQLiteDedupStore  # noqa: E402

PLACES = ["huyện Vân Đồn", "thành phố Cẩm Phả", "thị xã Đông Triều", "huyện Tiên Yên", "huyện Yên Khánh",
          "thành phố Hoa Lư", "huyện Kim Sơn", "huyện Hải Hà", "phường Hồng Gai", "xã Quảng Long"]
LEADERS = ["đồng chí Bí thư Tỉnh ủy", "đồng chí Phó Bí thư Thường trực Tỉnh ủy", "đồng chí Trưởng Ban Tuyên giáo Tỉnh ủy",
           "đồng chí Chủ tịch Ủy ban nhân dân tỉnh"]


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _Values(dict):
    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        rng = self.rng
        if key.startswith(("n", "pct", "growth", "year", "prev", "conf", "tw", "m")) or key in ("q",):
            return str(rng.randint(2, 2025) if key in ("year", "prev") else rng.randint(1, 999))
        if "leader" in key:
            return rng.choice(LEADERS)
        return rng.choice(PLACES)


def _fill(sentence: str, rng: random.Random) -> str:
    fields = [f for _, f, _, _ in string.Formatter().parse(sentence) if f]
    values = _Values(rng)
    return sentence.format_map({f: values[f] for f in fields})


def synthetic_texts(count: int, seed: int = 20261122):
    """(text, kind, original index) for `count` records: 80% new, 10% exact copies, 10% near copies."""
    rng = random.Random(seed)
    themes = list(textbank.THEME_SENTENCES)
    made: list[str] = []
    for i in range(count):
        roll = rng.random()
        if made and roll < 0.10:
            j = rng.randrange(len(made))
            text = made[j].replace("hòa", "hoà").replace("thủy", "thuỷ").replace(", ", ",  ")
            yield text.upper() if rng.random() < 0.5 else text, "exact", j
            continue
        if made and roll < 0.20:
            j = rng.randrange(len(made))
            extra = _fill(rng.choice(textbank.CLOSINGS + textbank.DIRECTIONS), rng)
            yield made[j] + "\n\n" + extra, "near", j
            continue
        # sentences of three themes: records of one theme alone would share most of their sentences
        body = [s for theme in rng.sample(themes, 3) for s in rng.sample(textbank.THEME_SENTENCES[theme], 3)]
        body += rng.sample(textbank.SHORTCOMINGS, 1) + rng.sample(textbank.DIRECTIONS, 1)
        rng.shuffle(body)
        body += rng.sample(textbank.CLOSINGS, 1)
        text = "\n\n".join(_fill(s, rng) for s in body)
        made.append(text)
        yield text, "new", len(made) - 1


def run(records: int, threshold: float, state: Path) -> dict:
    hasher = MinHasher()
    store = SQLiteDedupStore(state, threshold=threshold, hasher=hasher)
    dedup = Deduplicator(store, store, hasher, threshold)
    texts = list(synthetic_texts(records))
    words = sum(len(t.split()) for t, _, _ in texts) / len(texts)

    sample = [t for t, _, _ in texts[:2000]]
    started = time.perf_counter()
    for text in sample:
        hasher.signature(text)
    signature_rate = len(sample) / (time.perf_counter() - started)

    planted = {"exact": 0, "near": 0}
    found = {"new": 0, "same": 0, "exact": 0, "near": 0}
    caught = {"exact": 0, "near": 0}
    rss_before = rss_bytes()
    started = time.perf_counter()
    for i, (text, kind, _) in enumerate(texts):
        record_id = f"{i:024x}"
        verdict = dedup.check(record_id, text, "bench")
        found[verdict.kind] += 1
        if kind in planted:
            planted[kind] += 1
            caught[kind] += verdict.kind in ("exact", "near")
        if verdict.kind == "exact":
            store.link(verdict.kept_id, f"https://bench.invalid/{i}", "exact", 1.0, "bench")
            continue
        dedup.hold(record_id, verdict, "bench")
        dedup.written(record_id, f"https://bench.invalid/{i}", verdict.kept_id if verdict.kind == "near" else None,
                      "bench")
    elapsed = time.perf_counter() - started
    rss_after = rss_bytes()
    indexed = store.count()
    store.close()
    size = sum(p.stat().st_size for p in state.parent.glob(state.name + "*") if p.is_file())
    return {
        "records": records,
        "words_per_record": round(words, 1),
        "threshold": threshold,
        "bands_rows": [store.bands, store.rows],
        "seconds": round(elapsed, 2),
        "records_per_second": round(records / elapsed, 1),
        "signatures_per_second": round(signature_rate, 1),
        "found": found,
        "planted_copies": planted,
        "planted_copies_found": caught,
        "indexed_records": indexed,
        "rss_growth_mb": round((rss_after - rss_before) / 2 ** 20, 1),
        "sqlite_mb": round(size / 2 ** 20, 1),
        "sqlite_bytes_per_record": round(size / max(indexed, 1)),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--state", type=Path, help="SQLite file to build (default: a temporary one, removed after)")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        state = args.state or Path(tmp) / "state.sqlite"
        figures = run(args.records, args.threshold, state)
    if not args.json:
        f = figures
        print(f"partynews de-duplication benchmark: {f['records']} synthetic records of {f['words_per_record']} words")
        print(f"  {f['records_per_second']} records/s through check + write ({f['seconds']} s); "
              f"signatures alone {f['signatures_per_second']}/s")
        print(f"  found: {f['found']}; planted copies {f['planted_copies']}, found {f['planted_copies_found']}")
        print(f"  index: {f['indexed_records']} records, SQLite {f['sqlite_mb']} MB "
              f"({f['sqlite_bytes_per_record']} bytes/record), RSS growth {f['rss_growth_mb']} MB; "
              f"LSH {f['bands_rows'][0]} bands x {f['bands_rows'][1]} rows")
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
