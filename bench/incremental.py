#!/usr/bin/env python3
"""What a nightly second run costs: requests and bytes fetched by a second `partynews crawl` over an unchanged
site of 1,000 articles (bench/sitegen.py), as a share of the first run's. Target: under 5%.

    .venv/bin/python bench/incremental.py [--pages 1000] [--repeat 3]

Prints a table and, as its last line, one JSON object (`second_over_first_requests`, `second_over_first_bytes`,
medians over the repetitions, each repetition a fresh state)."""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", "CONCURRENT_REQUESTS=32"]


def crawl(url: str, out: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--url", url, "--allow-private", "--out",
                           str(out), "--json", "--quiet", "--no-warc", *FAST], capture_output=True, text=True, cwd=REPO)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout)
    report["wall"] = time.perf_counter() - started
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    server = subprocess.Popen([sys.executable, str(REPO / "bench" / "sitegen.py"), "--pages", str(args.pages)],
                              stdout=subprocess.PIPE, text=True)
    rows = []
    try:
        port = server.stdout.readline().split()[1]
        url = f"http://127.0.0.1:{port}/"
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                first, second = crawl(url, Path(tmp)), crawl(url, Path(tmp))
            rows.append((first, second))
    finally:
        server.kill()
        server.wait(10)
    print(f"site of {args.pages} articles, {args.repeat} repetitions (fresh state each)")
    print(f"{'run':<8} {'requests':>9} {'bytes':>12} {'written':>8} {'known':>6} {'seconds':>8}")
    for first, second in rows:
        for name, r in (("first", first), ("second", second)):
            t = r["totals"]
            print(f"{name:<8} {t['requests']:>9} {t['bytes']:>12} {t['written']:>8} {t['skipped_known']:>6} "
                  f"{r['wall']:>8.1f}")
    req = statistics.median(s["totals"]["requests"] / f["totals"]["requests"] for f, s in rows)
    byt = statistics.median(s["totals"]["bytes"] / f["totals"]["bytes"] for f, s in rows)
    print(f"second run / first run: requests {req:.2%}, bytes {byt:.2%} (target < 5%)")
    print(json.dumps({"pages": args.pages, "second_over_first_requests": round(req, 4),
                      "second_over_first_bytes": round(byt, 4),
                      "first_written": rows[0][0]["totals"]["written"],
                      "second_written": rows[0][1]["totals"]["written"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
