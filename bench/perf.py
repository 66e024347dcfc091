#!/usr/bin/env python3
"""Performance benchmark: the pipeline against its physical limits (results in bench/README.md).

    python bench/perf.py [--pages 5000] [--mem-small 2000] [--mem-large 20000] [--reps 3] [--e2e-reps 1]
                         [--only core,e2e,mem] [--chart bench/perf.png]

1. core   CPU time per page (median of --reps runs, one process) on the pages of ../shared/extraction-bench and
          the Vietnamese gold pages: parsing the HTML once with lxml (the floor), plain trafilatura.extract, and
          the full cleaning core (pipelines.core.clean_page). Ratio: core_over_trafilatura (target <= 1.5).
2. e2e    A local site of --pages article pages (bench/sitegen.py: fixture pages made distinct, served from memory
          by an asyncio server on 127.0.0.1, whose own rate is measured first with a plain parallel client),
          crawled by `partynews crawl` with politeness off: (a) fetch only (no item pipelines: the crawler's
          ceiling), (b) the full pipeline as configured by default (extraction pool, one worker a core),
          (inline) the same with PARTYNEWS_EXTRACT_WORKERS=0, and (c) the cleaning core alone over the same pages
          on all cores. Pages/s and CPU seconds per page. Ratios: e2e_over_limit = (b) / min((a), (c)) (target
          >= 0.8) and pool_over_inline = (b) / inline (target >= 1.6).
3. mem    Peak RSS (crawler process and its extraction workers, sampled with psutil) of a default crawl of
          --mem-small and of --mem-large pages. Ratio: rss_20k_over_2k (target <= 1.25). The samples give the
          chart (--chart): pages/s and RSS against pages crawled.
4. scale  Incremental second run (bench/incremental.py's crawl, sizes --inc-sizes) and dedup index
          (bench/dedup.py, sizes --dedup-sizes) scaling tables.

Prints a table, then as its last line one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for p in (REPO, REPO / "bench", REPO / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=32",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "DEPTH_LIMIT=0", "-s", "RETRY_ENABLED=0"]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _quiet():
    for name in ("trafilatura", "htmldate", "courlan", "charset_normalizer", "pipelines", "readability", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


# ------------------------------------------------------------------------------------------------ 1. core

def core_pages() -> list[tuple[str, bytes, str, dict | None, bool]]:
    """(set, body, url, headers, filters) for the extraction-bench pages and the gold pages."""
    pages = []
    shared = Path(os.environ.get("PARTYNEWS_SHARED") or (REPO / ".." / "shared")).resolve() / "extraction-bench"
    manifest = shared / "MANIFEST.tsv"
    if manifest.exists():
        lines = manifest.read_text(encoding="utf-8").splitlines()
        head = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(head, line.split("\t")))
            with gzip.open(shared / row["local_file"], "rb") as f:
                pages.append(("bench", f.read(), row["url"], {"Content-Type": "text/html; charset=utf-8"}, False))
    from gold_cases import load_cases
    for case in load_cases():
        pages.append(("gold", case.body, case.url, case.headers, True))
    return pages


def bench_core(reps: int) -> dict:
    import lxml.html
    import trafilatura
    from pipelines.core import CleanOptions, clean_page
    _quiet()
    pages = core_pages()
    timing = {"lxml": [], "trafilatura": [], "core": []}
    per_set: dict[str, dict[str, float]] = {}

    def cpu(fn) -> float:
        runs = []
        for _ in range(reps):
            t0 = time.process_time()
            fn()
            runs.append(time.process_time() - t0)
        return statistics.median(runs)

    for kind, body, url, headers, filters in pages:
        options = CleanOptions() if filters else CleanOptions(apply_filters=False)
        text = body.decode("utf-8", "replace")
        t = {
            "lxml": cpu(lambda: lxml.html.document_fromstring(body)),
            "trafilatura": cpu(lambda: trafilatura.extract(text, url=url)),
            "core": cpu(lambda: clean_page(body, url, headers, None, options)),
        }
        for k, v in t.items():
            timing[k].append(v)
            per_set.setdefault(kind, {}).setdefault(k, 0.0)
            per_set[kind][k] += v
    n = len(pages)
    out = {"pages": n, "reps": reps,
           "ms_per_page": {k: 1000 * sum(v) / n for k, v in timing.items()},
           "median_ms": {k: 1000 * statistics.median(v) for k, v in timing.items()},
           "by_set": {s: {k: 1000 * v / sum(1 for p in pages if p[0] == s) for k, v in d.items()}
                      for s, d in per_set.items()}}
    out["core_over_trafilatura"] = sum(timing["core"]) / sum(timing["trafilatura"])
    out["core_over_lxml"] = sum(timing["core"]) / sum(timing["lxml"])
    return out


# ------------------------------------------------------------------------------------------------ 2. e2e

class Server:
    """bench/sitegen.py in its own process."""

    def __init__(self, pages: int):
        self.proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "sitegen.py"), "--pages", str(pages)],
                                     stdout=subprocess.PIPE, text=True, cwd=REPO)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "READY":
            self.proc.kill()
            raise RuntimeError("bench site server did not start")
        self.port, self.pages = int(line[1]), pages
        self.origin = f"http://127.0.0.1:{self.port}"
        import psutil
        self.ps = psutil.Process(self.proc.pid)

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def crawl(server: Server, out: Path, *settings: str, sample_every: float = 0.5) -> dict:
    """One `partynews crawl` of the bench site; wall time, CPU (crawler + workers), RSS samples."""
    import psutil
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu0 = server.cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--url", server.origin + "/", "--allow-private",
         "--out", str(out), "--state", str(out / "state.sqlite"), "--json", "--quiet", *FAST, *settings],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    ps = psutil.Process(proc.pid)
    seen: dict = {}
    samples = []          # (seconds, pages written, rss of crawler + workers MB, rss of crawler MB)
    while proc.poll() is None:
        try:
            main = ps.memory_info().rss
            tree = main + sum(c.memory_info().rss for c in ps.children(recursive=True))
        except psutil.Error:
            break
        for part in out.glob("*/articles.jsonl.part"):      # read only what was appended since the last sample
            offset, lines = seen.get(part, (0, 0))
            with open(part, "rb") as f:
                f.seek(offset)
                chunk = f.read()
            seen[part] = (offset + len(chunk), lines + chunk.count(b"\n"))
        written = sum(lines for _, lines in seen.values())
        samples.append((time.perf_counter() - t0, written, tree / 1e6, main / 1e6))
        time.sleep(sample_every)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"crawl failed ({proc.returncode}): {stderr[-2000:]}")
    report = json.loads(stdout) if stdout.strip() else {}
    totals = report.get("totals", {})
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "duration": report.get("duration_seconds") or wall, "cpu": cpu,
            "server_cpu": server.cpu() - server_cpu0, "written": totals.get("written", 0),
            "dropped": report.get("dropped", {}), "responses": totals.get("responses"),
            "peak_rss_mb": max((s[2] for s in samples), default=0.0),
            "peak_main_rss_mb": max((s[3] for s in samples), default=0.0),
            "maxrss_child_mb": after.ru_maxrss / 1024, "samples": samples}


_core_fn = None


def _core_init():
    global _core_fn
    _quiet()
    from pipelines.core import clean_page
    _core_fn = clean_page


def _core_task(args) -> tuple[float, bool]:
    body, url, headers = args
    t0 = time.process_time()
    ok = _core_fn(body, url, headers, None).ok
    return time.process_time() - t0, ok


def core_all_cores(site, n: int, processes: int | None = None) -> dict:
    """(c): the cleaning core alone over the same pages, one process a core (spawned, warmed up first); with
    `processes=1`, the same work in one process: (c) over it is what running on all cores buys on this machine now."""
    ctx = multiprocessing.get_context("spawn")
    processes = processes or cores()
    with ctx.Pool(processes, initializer=_core_init) as pool:
        pool.map(_core_task, [(site.page(i), site.url(i), site.headers(i)) for i in range(processes * 2)])
        t0 = time.perf_counter()
        results = list(pool.imap_unordered(_core_task, ((site.page(i), site.url(i), site.headers(i))
                                                        for i in range(n)), chunksize=8))
        wall = time.perf_counter() - t0
    return {"wall": wall, "duration": wall, "cpu": sum(r[0] for r in results), "written": sum(r[1] for r in results)}


def bench_e2e(n: int, reps: int, work: Path) -> dict:
    from sitegen import BenchSite, client_rate
    server = Server(n)
    try:
        site = BenchSite(n, server.origin, verify=False)
        c0 = server.cpu()
        client = client_rate(server.origin, [site.path(i) for i in range(n)], connections=8)
        client["server_cpu_per_page_ms"] = 1000 * (server.cpu() - c0) / n
        runs: dict[str, list[dict]] = {"fetch": [], "pool": [], "inline": [], "core": [], "core1": []}
        for r in range(reps):
            runs["fetch"].append(crawl(server, work / f"fetch{r}", "-s", "ITEM_PIPELINES={}"))
            runs["pool"].append(crawl(server, work / f"pool{r}"))
            runs["inline"].append(crawl(server, work / f"inline{r}", "-s", "PARTYNEWS_EXTRACT_WORKERS=0"))
            runs["core"].append(core_all_cores(site, n))
            runs["core1"].append(core_all_cores(site, n, processes=1))
    finally:
        server.close()
    out = {"pages": n, "reps": reps, "server_client": client, "configs": {}}
    for name, rs in runs.items():
        rate = statistics.median(n / x["duration"] for x in rs)
        out["configs"][name] = {
            "pages_per_s": rate, "cpu_ms_per_page": statistics.median(1000 * x["cpu"] / n for x in rs),
            "server_cpu_ms_per_page": statistics.median(1000 * x.get("server_cpu", 0) / n for x in rs),
            "written": rs[-1]["written"], "dropped": rs[-1].get("dropped"),
            "peak_rss_mb": rs[-1].get("peak_rss_mb"), "runs": [n / x["duration"] for x in rs]}
    c = out["configs"]
    limit = min(c["fetch"]["pages_per_s"], c["core"]["pages_per_s"])
    out["e2e_over_limit"] = c["pool"]["pages_per_s"] / limit
    out["pool_over_inline"] = c["pool"]["pages_per_s"] / c["inline"]["pages_per_s"]
    # What the machine allows. All cores together clean `parallel_speedup` times as fast as one process does
    # (1.0 to `cores`: shared, oversubscribed virtual cores give less than their number). A pool cannot beat
    # that over one process, and (b) has at least the fetching of (a) and the cleaning of (c) to do: spread on
    # the cores at that speedup, that work allows `e2e_cpu_bound` pages/s at most (no pool, WARC, dedup,
    # state or output costs counted).
    out["parallel_speedup"] = c["core"]["pages_per_s"] / c["core1"]["pages_per_s"]
    out["e2e_cpu_bound"] = 1000 * out["parallel_speedup"] / (c["fetch"]["cpu_ms_per_page"] + c["core1"]["cpu_ms_per_page"])
    out["e2e_bound_over_limit"] = out["e2e_cpu_bound"] / limit
    out["pool_samples"] = runs["pool"][-1]["samples"]
    return out


# ------------------------------------------------------------------------------------------------ 3. memory

def bench_memory(small: int, large: int, work: Path) -> dict:
    out = {}
    for n in (small, large):
        server = Server(n)
        try:
            run = crawl(server, work / f"mem{n}")
        finally:
            server.close()
        out[n] = {"pages": n, "written": run["written"], "pages_per_s": n / run["duration"],
                  "peak_rss_mb": run["peak_rss_mb"], "peak_main_rss_mb": run["peak_main_rss_mb"],
                  "maxrss_child_mb": run["maxrss_child_mb"], "samples": run["samples"]}
    return {"runs": out, "rss_20k_over_2k": out[large]["peak_rss_mb"] / out[small]["peak_rss_mb"],
            "main_rss_20k_over_2k": out[large]["peak_main_rss_mb"] / out[small]["peak_main_rss_mb"]}


# ------------------------------------------------------------------------------------------------ 4. scaling

def bench_incremental_and_dedup(args, work: Path) -> dict | None:
    """Benchmark 4. Incremental: for each of --inc-sizes, a first and a second `partynews crawl` (bench/incremental.py's
    crawl: no WARC, politeness off) of an unchanged bench site into one state: seconds, requests, bytes, written
    and skipped. Dedup: bench/dedup.py for each of --dedup-sizes synthetic records (its own process): records/s,
    SQLite index size and RSS growth."""
    from incremental import crawl as inc_crawl
    incremental = []
    for n in _sizes(args.inc_sizes):
        server = Server(n)
        try:
            out = work / f"inc{n}"
            first, second = inc_crawl(server.origin + "/", out), inc_crawl(server.origin + "/", out)
        finally:
            server.close()
        shutil.rmtree(work / f"inc{n}", ignore_errors=True)
        row = {"pages": n}
        for name, r in (("first", first), ("second", second)):
            t = r["totals"]
            row[name] = {"seconds": round(r["wall"], 1), "requests": t["requests"], "bytes": t["bytes"],
                         "written": t["written"], "skipped_known": t["skipped_known"]}
        row["second_over_first_requests"] = round(second["totals"]["requests"] / max(first["totals"]["requests"], 1), 4)
        row["second_over_first_bytes"] = round(second["totals"]["bytes"] / max(first["totals"]["bytes"], 1), 4)
        incremental.append(row)
    dedup = []
    for n in _sizes(args.dedup_sizes):
        proc = subprocess.run([sys.executable, str(REPO / "bench" / "dedup.py"), "--records", str(n), "--json"],
                              capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            dedup.append({"records": n, "error": proc.stderr[-500:]})
            continue
        f = json.loads(proc.stdout.strip().splitlines()[-1])
        dedup.append({k: f.get(k) for k in ("records", "records_per_second", "seconds", "indexed_records", "sqlite_mb",
                                            "sqlite_bytes_per_record", "rss_growth_mb")})
    return {"incremental": incremental, "dedup": dedup}


def _sizes(text: str) -> list[int]:
    return [int(x) for x in str(text or "").split(",") if x.strip()]


# ------------------------------------------------------------------------------------------------ output

def chart(mem: dict | None, e2e: dict | None, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    series = []
    if mem:
        series += [(f"default crawl, {n:,} pages", r["samples"]) for n, r in mem["runs"].items()]
    elif e2e:
        series.append((f"default crawl, {e2e['pages']:,} pages", e2e["pool_samples"]))
    for label, samples in series:
        xs, rates = [], []
        for (t0, w0, *_), (t1, w1, *_) in zip(samples, samples[5:]):
            xs.append(w1)
            rates.append((w1 - w0) / (t1 - t0) if t1 > t0 else 0)
        ax1.plot(xs, rates, label=label, lw=1)
        ax2.plot([s[1] for s in samples], [s[2] for s in samples], label=label + " (crawler + workers)", lw=1)
        ax2.plot([s[1] for s in samples], [s[3] for s in samples], label=label + " (crawler process)", lw=1, ls="--")
    ax1.set_ylabel("pages written / s")
    ax2.set_ylabel("RSS (MB)")
    ax2.set_xlabel("pages written")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    ax1.grid(alpha=.3)
    ax2.grid(alpha=.3)
    fig.suptitle(f"partynews crawl of the bench site, {cores()} cores, {datetime.now():%Y-%m-%d}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=5000, help="pages of the end-to-end site (default 5000)")
    ap.add_argument("--mem-small", type=int, default=2000)
    ap.add_argument("--mem-large", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the per-page CPU timings")
    ap.add_argument("--e2e-reps", type=int, default=1, help="repetitions of each end-to-end crawl")
    ap.add_argument("--inc-sizes", default="500,1000,2000", help="site sizes of the incremental-run scaling")
    ap.add_argument("--dedup-sizes", default="10000,100000", help="record counts of the dedup index scaling")
    ap.add_argument("--only", default="core,e2e,mem,scale")
    ap.add_argument("--chart", type=Path, default=REPO / "bench" / "perf.png")
    ap.add_argument("--no-chart", action="store_true")
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="partynews-perf-"))
    figures: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "cores": cores(),
                     "machine": f"{platform.machine()} {platform.processor() or ''} {platform.python_version()}".strip()}
    core = e2e = mem = None
    try:
        if "core" in parts:
            core = bench_core(args.reps)
            print(f"\n1. CPU per page ({core['pages']} pages: extraction-bench + gold; median of {core['reps']} runs)")
            print(f"   {'':14}{'mean ms':>10}{'median ms':>11}{'bench ms':>10}{'gold ms':>9}")
            for k in ("lxml", "trafilatura", "core"):
                print(f"   {k:14}{core['ms_per_page'][k]:10.2f}{core['median_ms'][k]:11.2f}"
                      f"{core['by_set'].get('bench', {}).get(k, 0):10.2f}{core['by_set'].get('gold', {}).get(k, 0):9.2f}")
            print(f"   core / trafilatura = {core['core_over_trafilatura']:.3f} (target <= 1.5);"
                  f" core / lxml parse = {core['core_over_lxml']:.1f}")
            figures["core"] = core
            figures["core_over_trafilatura"] = round(core["core_over_trafilatura"], 4)
        if "e2e" in parts:
            e2e = bench_e2e(args.pages, args.e2e_reps, work)
            s = e2e["server_client"]
            print(f"\n2. End to end, {e2e['pages']:,} pages on 127.0.0.1 ({cores()} cores, {e2e['reps']} run(s) each)")
            print(f"   server alone, 8-connection client: {s['pages_per_s']:,.0f} pages/s "
                  f"({s['server_cpu_per_page_ms']:.3f} ms server CPU a page)")
            print(f"   {'':34}{'pages/s':>9}{'CPU ms/page':>13}{'server ms/p':>12}{'written':>9}")
            names = {"fetch": "(a) fetch only (crawler ceiling)", "pool": "(b) full pipeline, default",
                     "core": "(c) cleaning core, all cores", "inline": "    full pipeline, inline",
                     "core1": "    cleaning core, one process"}
            for key in ("fetch", "pool", "core", "inline", "core1"):
                c = e2e["configs"][key]
                print(f"   {names[key]:34}{c['pages_per_s']:9.1f}{c['cpu_ms_per_page']:13.2f}"
                      f"{c['server_cpu_ms_per_page']:12.3f}{c['written']:9}")
            print(f"   (b) / min((a), (c)) = {e2e['e2e_over_limit']:.3f} (target >= 0.8); "
                  f"(b) / inline = {e2e['pool_over_inline']:.3f} (target >= 1.6)")
            print(f"   machine: all cores / one process on the cleaning core = {e2e['parallel_speedup']:.3f} "
                  f"(the most a pool can gain over inline); (a)'s fetching + the core's cleaning spread at that "
                  f"speedup allow {e2e['e2e_cpu_bound']:.1f} pages/s = {e2e['e2e_bound_over_limit']:.3f} x min((a), (c))")
            figures["e2e"] = {k: v for k, v in e2e.items() if k != "pool_samples"}
            figures["e2e_over_limit"] = round(e2e["e2e_over_limit"], 4)
            figures["pool_over_inline"] = round(e2e["pool_over_inline"], 4)
            figures["parallel_speedup"] = round(e2e["parallel_speedup"], 4)
            figures["e2e_bound_over_limit"] = round(e2e["e2e_bound_over_limit"], 4)
        if "mem" in parts:
            mem = bench_memory(args.mem_small, args.mem_large, work)
            print("\n3. Memory, default crawl (peak RSS sampled every 0.5 s)")
            print(f"   {'pages':>8}{'written':>9}{'pages/s':>9}{'crawler+workers MB':>20}{'crawler MB':>12}")
            for n, r in mem["runs"].items():
                print(f"   {n:8,}{r['written']:9}{r['pages_per_s']:9.1f}{r['peak_rss_mb']:20.1f}{r['peak_main_rss_mb']:12.1f}")
            print(f"   {args.mem_large:,} / {args.mem_small:,} pages: {mem['rss_20k_over_2k']:.3f} (target <= 1.25); "
                  f"crawler process alone {mem['main_rss_20k_over_2k']:.3f}")
            figures["memory"] = {str(n): {k: v for k, v in r.items() if k != "samples"} for n, r in mem["runs"].items()}
            figures["rss_20k_over_2k"] = round(mem["rss_20k_over_2k"], 4)
            figures["main_rss_20k_over_2k"] = round(mem["main_rss_20k_over_2k"], 4)
        if "scale" in parts:
            scale = bench_incremental_and_dedup(args, work)
            print("\n4. Incremental second run (unchanged site, same state) and dedup index scaling")
            print(f"   {'pages':>7}{'1st s':>8}{'1st req':>9}{'2nd s':>8}{'2nd req':>9}{'2nd/1st req':>13}"
                  f"{'2nd/1st bytes':>15}{'skipped':>9}")
            for r in scale["incremental"]:
                print(f"   {r['pages']:7,}{r['first']['seconds']:8.1f}{r['first']['requests']:9}{r['second']['seconds']:8.1f}"
                      f"{r['second']['requests']:9}{r['second_over_first_requests']:13.2%}"
                      f"{r['second_over_first_bytes']:15.2%}{r['second']['skipped_known']:9}")
            print(f"   {'records':>9}{'records/s':>11}{'SQLite MB':>11}{'bytes/record':>14}{'RSS growth MB':>15}")
            for r in scale["dedup"]:
                if "error" in r:
                    print(f"   {r['records']:9,} failed: {r['error'][-200:]}")
                    continue
                print(f"   {r['records']:9,}{r['records_per_second']:11}{r['sqlite_mb']:11}{r['sqlite_bytes_per_record']:14}"
                      f"{r['rss_growth_mb']:15}")
            figures["scaling"] = scale
        if not args.no_chart and (mem or e2e):
            chart(mem, e2e, args.chart)
            print(f"\nchart: {args.chart}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for key in ("core_over_trafilatura", "e2e_over_limit", "pool_over_inline", "rss_20k_over_2k"):
        figures.setdefault(key, None)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
