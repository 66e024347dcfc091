"""The status page: one self-contained HTML file about a crawl output folder (every finished run).

Per site: articles per day (by publication date, latest revision of each article) over time, new / updated /
dropped per run, drops by reason, error rate per run, date and author coverage, the last run and the last
successful one. Charts are inline SVG drawn here; the page loads nothing (no scripts, fonts, styles or images
from anywhere), so it can be mailed or opened from a disk.

    partynews report --html status.html [DATA_DIR | RUN_DIR]

and after every run, `<run>/status.html` (written by crawler.report.RunReport).
"""
from __future__ import annotations

import html
import logging
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from crawler.corpus import CorpusError, finished_runs, read_records

logger = logging.getLogger(__name__)

COLORS = {"new": "#2b6cb0", "updated": "#dd6b20", "dropped": "#a0aec0", "errors": "#c53030", "articles": "#2f855a",
          "unchanged": "#cbd5e0"}
MAX_RUNS_CHARTED = 60


# ------------------------------------------------------------------------------------------------ data

def _ok(report: dict) -> bool:
    return report.get("finish_reason") in ("finished", "closespider_pagecount", "closespider_itemcount")


def collect(data_dir) -> dict:
    """Everything the page shows, as plain data (also handy for tests and scripts)."""
    runs = finished_runs(data_dir)
    latest: dict[str, tuple] = {}                       # id -> (revision, run index, site, day, precision, authors)
    counted: list[dict[str, Counter]] = []              # per run: site -> Counter(new, updated)
    for i, run in enumerate(runs):
        per_site: dict[str, Counter] = defaultdict(Counter)
        for _, r in read_records(run.articles):
            site = r.get("site") or "(unregistered)"
            rev = int(r.get("revision") or 1)
            per_site[site]["updated" if rev > 1 else "new"] += 1
            rid = r.get("id")
            if rid and (rid not in latest or (rev, i) >= latest[rid][:2]):
                latest[rid] = (rev, i, site, (r.get("published_at") or "")[:10] or None,
                               r.get("published_precision"), bool(r.get("authors")))
        counted.append(per_site)

    sites: dict[str, dict] = {}

    def site_entry(key: str) -> dict:
        return sites.setdefault(key, {"key": key, "articles": 0, "dated": 0, "timed": 0, "with_authors": 0,
                                      "days": Counter(), "runs": [], "drops": Counter(), "last_run": None,
                                      "last_success": None})

    for rev, i, site, day, precision, authors in latest.values():
        s = site_entry(site)
        s["articles"] += 1
        if day:
            s["dated"] += 1
            s["days"][day] += 1
        if precision == "datetime":
            s["timed"] += 1
        if authors:
            s["with_authors"] += 1

    for i, run in enumerate(runs):
        report = run.report
        keys = set(report.get("sites") or {}) | set(counted[i])
        for key in sorted(keys):
            rs = (report.get("sites") or {}).get(key) or {}
            s = site_entry(key)
            dropped = {k: v for k, v in (rs.get("dropped") or {}).items() if isinstance(v, (int, float))}
            pages = int(rs.get("pages_fetched") or 0)
            errors = int(rs.get("errors") or 0)
            written = int(rs.get("written") if rs.get("written") is not None else sum(counted[i][key].values()))
            row = {
                "run_id": run.run_id,
                "started_at": report.get("started_at"),
                "finish_reason": report.get("finish_reason"),
                "pages": pages,
                # new / updated: the report's when it has them, else counted from the run's records
                "new": int(rs["new"]) if isinstance(rs.get("new"), int) else counted[i][key]["new"],
                "updated": int(rs["updated"]) if isinstance(rs.get("updated"), int) else counted[i][key]["updated"],
                "written": written,
                "unchanged": int(rs.get("unchanged") or 0),
                "dropped": int(sum(dropped.values())),
                "errors": errors,
                "http_errors": int(rs.get("http_errors") or 0),
                "error_rate": errors / (pages + errors) if pages + errors else 0.0,
            }
            s["runs"].append(row)
            s["drops"].update(dropped)
            s["last_run"] = row
            if _ok(report) and (row["written"] or row["unchanged"]):
                s["last_success"] = row
    overall = [{"run_id": r.run_id, "started_at": r.report.get("started_at"), "finish_reason": r.report.get(
        "finish_reason"), "duration": r.report.get("duration_seconds"), "totals": r.report.get("totals") or {},
                "errors": sum((r.report.get("errors") or {}).values()), "ok": _ok(r.report)} for r in runs]
    return {"data_dir": str(data_dir), "runs": overall, "sites": dict(sorted(sites.items())),
            "articles": len(latest), "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


# ------------------------------------------------------------------------------------------------ charts

def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5, 5 x 10^k not below value (at least 1): the top of a value axis."""
    if value <= 1:
        return 1
    scale = 1
    while True:
        for m in (1, 2, 2.5, 5):
            if m * scale >= value:
                return m * scale
        scale *= 10


def bar_chart(labels: list[str], series: list[tuple[str, str, list[float]]], *, title: str, width: int = 560,
              height: int = 190, percent: bool = False) -> str:
    """A stacked bar chart as inline SVG. series: (name, colour, one value per label)."""
    left, right, top, bottom = 44, 8, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(labels))
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    vmax = 1.0 if percent else _nice_max(max(totals, default=0))
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">',
           f'<text x="{left}" y="14" class="t">{_e(title)}</text>']
    lx = width - right
    for name, color, _ in reversed(series):  # legend, right-aligned
        lx -= 8 + 6.2 * len(name) + 14
        out.append(f'<rect x="{lx:.1f}" y="5" width="10" height="10" fill="{color}"/>'
                   f'<text x="{lx + 14:.1f}" y="14" class="l">{_e(name)}</text>')
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        value = vmax * frac
        label = f"{value:.0%}" if percent else (f"{value:.0f}" if value == int(value) else f"{value:.1f}")
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="g"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" class="a" text-anchor="end">{label}</text>')
    slot = plot_w / n
    bar_w = min(36.0, max(1.0, slot * 0.8))
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for name, color, values in series:
            v = values[i]
            if not v:
                continue
            h = plot_h * min(v, vmax) / vmax
            y -= h
            shown = f"{v:.1%}" if percent else f"{v:g}"
            out.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" '
                       f'fill="{color}"><title>{_e(label)}: {_e(name)} {shown}</title></rect>')
    ticks = sorted({0, n - 1} | ({(n - 1) // 2} if n > 4 else set()) | (set(range(n)) if n <= 6 else set()))
    for i in ticks:
        if i < len(labels):
            x = left + i * slot + slot / 2
            anchor = "start" if i == 0 and n > 6 else "end" if i == n - 1 and n > 6 else "middle"
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" class="a" text-anchor="{anchor}">'
                       f'{_e(labels[i])}</text>')
    if not labels:
        out.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" class="a" text-anchor="middle">no data</text>')
    out.append("</svg>")
    return "".join(out)


def hbar_chart(items: list[tuple[str, float]], *, title: str, color: str, width: int = 560) -> str:
    """Horizontal bars, one per (label, value)."""
    row, top, left = 18, 24, 130
    height = top + row * max(1, len(items)) + 6
    vmax = max((v for _, v in items), default=0) or 1
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">',
           f'<text x="0" y="14" class="t">{_e(title)}</text>']
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = (width - left - 50) * value / vmax
        out.append(f'<text x="{left - 6}" y="{y + 12}" class="a" text-anchor="end">{_e(label)}</text>'
                   f'<rect class="bar" x="{left}" y="{y + 2}" width="{max(w, 1):.1f}" height="{row - 6}" '
                   f'fill="{color}"><title>{_e(label)}: {value:g}</title></rect>'
                   f'<text x="{left + w + 4:.1f}" y="{y + 12}" class="a">{value:g}</text>')
    if not items:
        out.append(f'<text x="{left}" y="{top + 12}" class="a">none</text>')
    out.append("</svg>")
    return "".join(out)


def meter(fraction: float | None, color: str = "#2f855a") -> str:
    """A small inline coverage bar with its percentage."""
    if fraction is None:
        return "–"
    w = 80
    return (f'<svg class="meter" xmlns="http://www.w3.org/2000/svg" width="{w + 42}" height="12" role="img" '
            f'aria-label="{fraction:.0%}"><rect x="0" y="1" width="{w}" height="10" fill="#edf2f7"/>'
            f'<rect x="0" y="1" width="{w * fraction:.1f}" height="10" fill="{color}"/>'
            f'<text x="{w + 4}" y="10" class="a">{fraction:.0%}</text></svg>')


def _buckets(days: Counter) -> tuple[str, list[str], list[int]]:
    """Articles per day over the site's span; per week past 120 days, per month past two years."""
    if not days:
        return "day", [], []
    parsed = {}
    for d, n in days.items():
        try:
            parsed[date.fromisoformat(d)] = n
        except ValueError:
            continue
    if not parsed:
        return "day", [], []
    first, last = min(parsed), max(parsed)
    span = (last - first).days + 1
    if span <= 120:
        labels = [(first + timedelta(days=i)) for i in range(span)]
        return "day", [d.isoformat() for d in labels], [parsed.get(d, 0) for d in labels]
    if span <= 730:
        weeks: Counter = Counter()
        for d, n in parsed.items():
            weeks[d - timedelta(days=d.weekday())] += n
        start = first - timedelta(days=first.weekday())
        labels = []
        while start <= last:
            labels.append(start)
            start += timedelta(days=7)
        return "week", [d.isoformat() for d in labels], [weeks.get(d, 0) for d in labels]
    months: Counter = Counter(f"{d.year:04d}-{d.month:02d}" for d in parsed for _ in range(parsed[d]))
    labels, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        labels.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return "month", labels, [months.get(x, 0) for x in labels]


def _run_label(started_at: str | None) -> str:
    if not started_at:
        return "?"
    return started_at[5:16].replace("T", " ")   # "11-22 07:33"


# ------------------------------------------------------------------------------------------------ page

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1a202c;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #e2e8f0}
.sub{color:#4a5568;margin:0 0 16px}table{border-collapse:collapse;margin:8px 0}
th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #edf2f7;vertical-align:middle}
th{background:#f7fafc;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#2f855a;font-weight:600}.bad{color:#c53030;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:8px 24px}
svg .t{font-size:12px;font-weight:600;fill:#2d3748}svg .a,svg .l{font-size:10px;fill:#4a5568}
svg .g{stroke:#e2e8f0;stroke-width:1}svg.meter{vertical-align:middle}
section.site{margin-bottom:20px}
"""


def render(data: dict, title: str = "partynews status") -> str:
    runs = data["runs"]
    last = runs[-1] if runs else None
    last_ok = next((r for r in reversed(runs) if r["ok"]), None)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>",
             f'<p class="sub">{len(runs)} finished run{"" if len(runs) == 1 else "s"} in <code>{_e(data["data_dir"])}</code>, '
             f'{data["articles"]} articles, {len(data["sites"])} sites. Last run: '
             + (f'<b>{_e(last["run_id"])}</b> ({_e(last["finish_reason"])}, {_e(last["started_at"])})' if last else "none")
             + ". Last successful run: "
             + (f'<b>{_e(last_ok["run_id"])}</b> ({_e(last_ok["started_at"])})' if last_ok else '<span class="bad">none</span>')
             + f". Generated {_e(data['generated_at'])}.</p>"]

    # the whole corpus, per run
    charted = runs[-MAX_RUNS_CHARTED:]
    labels = [_run_label(r["started_at"]) for r in charted]
    parts.append('<div class="charts">')
    parts.append(bar_chart(labels, [
        ("new", COLORS["new"], [r["totals"].get("new", 0) for r in charted]),
        ("updated", COLORS["updated"], [r["totals"].get("updated", 0) for r in charted]),
        ("dropped", COLORS["dropped"], [r["totals"].get("dropped", 0) for r in charted]),
    ], title="All sites: new / updated / dropped per run"))
    parts.append(bar_chart(labels, [("errors", COLORS["errors"], [r["errors"] for r in charted])],
                           title="All sites: errors per run"))
    parts.append("</div>")

    # one row per site
    parts.append("<h2>Sites</h2><table><tr><th>site</th><th>articles</th><th>last run</th><th>last successful run</th>"
                 "<th>errors (last run)</th><th>dated</th><th>with time</th><th>with authors</th></tr>")
    for key, s in data["sites"].items():
        n = s["articles"]
        lr, ls = s["last_run"], s["last_success"]
        healthy = lr is not None and ls is not None and lr["run_id"] == ls["run_id"]
        parts.append(
            f'<tr><td><a href="#site-{_e(key)}">{_e(key)}</a></td><td class="n">{n}</td>'
            f'<td><span class="{"ok" if healthy else "bad"}">{"ok" if healthy else "failing"}</span> '
            f'{_e(_run_label(lr["started_at"]) if lr else "–")}</td>'
            f'<td>{_e(ls["run_id"]) if ls else "<span class=bad>never</span>"}</td>'
            f'<td class="n">{(lr["errors"] if lr else 0)} ({(lr["error_rate"] if lr else 0):.0%})</td>'
            f'<td>{meter(s["dated"] / n if n else None)}</td><td>{meter(s["timed"] / n if n else None)}</td>'
            f'<td>{meter(s["with_authors"] / n if n else None, "#2b6cb0")}</td></tr>')
    parts.append("</table>")

    for key, s in data["sites"].items():
        unit, day_labels, day_values = _buckets(s["days"])
        site_runs = s["runs"][-MAX_RUNS_CHARTED:]
        run_labels = [_run_label(r["started_at"]) for r in site_runs]
        ls = s["last_success"]
        parts.append(f'<section class="site" id="site-{_e(key)}"><h2>{_e(key)}</h2><p class="sub">'
                     f'{s["articles"]} articles; {s["dated"]} dated, {s["with_authors"]} with authors; '
                     f'{len(s["runs"])} runs; last successful run: '
                     + (f'{_e(ls["run_id"])} ({_e(ls["started_at"])})' if ls else '<span class="bad">never</span>')
                     + '</p><div class="charts">')
        parts.append(bar_chart(day_labels, [("articles", COLORS["articles"], day_values)],
                               title=f"Articles per {unit} (publication date)"))
        parts.append(bar_chart(run_labels, [
            ("new", COLORS["new"], [r["new"] for r in site_runs]),
            ("updated", COLORS["updated"], [r["updated"] for r in site_runs]),
            ("dropped", COLORS["dropped"], [r["dropped"] for r in site_runs]),
        ], title="New / updated / dropped per run"))
        parts.append(hbar_chart(sorted(s["drops"].items(), key=lambda kv: (-kv[1], kv[0])),
                                title="Drops by reason (all runs)", color=COLORS["dropped"]))
        parts.append(bar_chart(run_labels, [("error rate", COLORS["errors"], [r["error_rate"] for r in site_runs])],
                               title="Error rate per run (errors / requests)", percent=True))
        parts.append("</div></section>")

    parts.append("<h2>Runs</h2><table><tr><th>run</th><th>started</th><th>finish</th><th>seconds</th><th>pages</th>"
                 "<th>written</th><th>new</th><th>updated</th><th>unchanged</th><th>dropped</th><th>errors</th></tr>")
    for r in reversed(runs[-50:]):
        t = r["totals"]
        parts.append(f'<tr><td>{_e(r["run_id"])}</td><td>{_e(r["started_at"])}</td>'
                     f'<td class="{"ok" if r["ok"] else "bad"}">{_e(r["finish_reason"])}</td>'
                     f'<td class="n">{r["duration"] or 0:.0f}</td>'
                     + "".join(f'<td class="n">{int(t.get(k, 0) or 0)}</td>'
                               for k in ("responses", "written", "new", "updated", "unchanged", "dropped"))
                     + f'<td class="n">{r["errors"]}</td></tr>')
    parts.append("</table>")
    # Marks the page once laid out (charts with a size), for checks in a headless browser; the page needs no script.
    parts.append("<script>(function(){var n=0;document.querySelectorAll('svg.chart').forEach(function(s){"
                 "var r=s.getBoundingClientRect();if(r.width>0&&r.height>0)n++;});"
                 "document.body.setAttribute('data-charts-rendered',String(n));})();</script>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_status_page(data_dir, out, *, title: str | None = None) -> Path:
    out = Path(out)
    page = render(collect(data_dir), title=title or f"partynews status: {Path(data_dir).resolve().name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


def write_after_run(run_dir) -> Path:
    """`<run>/status.html` over the whole output folder, called once report.json is written."""
    run_dir = Path(run_dir)
    return write_status_page(run_dir.parent, run_dir / "status.html")


def cmd_report_html(args) -> int:
    """`partynews report --html OUT [PATH]`: PATH is an output folder, or a run folder (its parent is used)."""
    path = Path(args.run_dir or "data")
    if path.is_file() and path.name == "report.json":
        path = path.parent
    data_dir = path.parent if (path / "report.json").is_file() else path
    try:
        out = write_status_page(data_dir, args.html)
    except CorpusError as exc:
        print(f"partynews report: {exc}", file=sys.stderr)
        return 2
    if not finished_runs(data_dir):
        print(f"partynews report: no finished run in {data_dir} yet (the page is empty); "
              f"run `partynews crawl --out {data_dir}` first", file=sys.stderr)
    print(f"status page: {out}")
    return 0
