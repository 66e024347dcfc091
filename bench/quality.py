#!/usr/bin/env python3
"""Quality benchmark of the cleaning core against plain trafilatura.

    python bench/quality.py [--only gold|bench] [--json] [--jobs N]

Two data sets:

bench  ../shared/extraction-bench (or $PARTYNEWS_SHARED/extraction-bench): 181 public article pages
       (mostly English) with ground-truth bodies, scored with the benchmark's own metric
       (bench/scoring.py: 4-token shingles, precision and recall averaged over pages, F1 of the
       averages). Compared: (i) trafilatura.extract(html) with its defaults, (ii) the same with
       include_comments=False (the benchmark's published configuration), (iii) our cleaning core
       with CleanOptions(apply_filters=False), scored on record["text"] (and, for information,
       on lead + text, since the benchmark's truth includes the lead).

gold   tests/gold/sites/*/pages/*.json + .html, our Vietnamese gold set, cleaned with CleanOptions()
       and the page's url and headers. Article pages: body F1 (same metric, both sides NFC), pages
       whose output still holds boilerplate, title / date / author accuracy, for ours and for plain
       trafilatura (extract(html, url=url) for the body, bare_extraction(html, url=url,
       with_metadata=True) for the metadata). Pages whose expected record is a drop: how many ours
       dropped with the expected reason.

The last line printed is always one JSON object with the figures (null where a figure could not
be computed, e.g. while pipelines.core does not exist yet).
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import logging
import os
import re
import sys
import traceback
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import scoring  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Data: lines that are boilerplate whatever the page. Each is matched against a whole paragraph
# (or line) of the output, after NFC, whitespace collapsing and case folding (so write the
# patterns in lower case). A match is reported unless that paragraph is itself a paragraph of
# the gold text.
BOILERPLATE_MARKERS: list[tuple[str, str]] = [
    ("comment prompt", r"(bình luận|ý kiến) (của bạn|bạn đọc)\b.*"),
    ("comment prompt", r"(gửi|viết|thêm|xem) (bình luận|ý kiến)\b.*"),
    ("comment prompt", r"bình luận|ý kiến|ý kiến bạn đọc|bạn đọc bình luận|comments?"),
    ("comment prompt", r"(chưa có (ý kiến|bình luận) nào|hãy là người đầu tiên)\b.*"),
    ("comment count", r"\(?\d+\)?\s*(bình luận|ý kiến|comments?)\b.*"),
    ("comment form", r"(họ (và )?tên|địa chỉ email|e-?mail|nội dung|mã xác nhận|mã bảo mật|gửi đi|gửi)\s*[:*]*"),
    ("captcha", r".*\bcaptcha\b.*"),
    ("tags", r"(từ khóa|từ khoá)\b.*"),
    ("tags", r"(tags?|thẻ|chủ đề)\s*:.*"),
    ("related articles", r"(các |những )?(bài viết|bài|tin|tin tức) (liên quan|khác|cùng chuyên mục|cùng loại|"
                         r"đã đưa|mới( nhất)?|mới hơn|cũ hơn|trước|tiếp theo)"),
    ("related articles", r"(xem thêm|đọc thêm|có thể bạn quan tâm|có thể bạn muốn xem)\s*:?.*"),
    ("highlights", r"(tin )?(nổi bật|đọc nhiều( nhất)?|xem nhiều( nhất)?|tiêu điểm)|đừng bỏ lỡ\s*:?"),
    ("cookie banner", r".*\b(uses cookies|use of cookies|cookie policy|accept cookies|"
                      r"sử dụng cookie|chính sách cookie|chấp nhận cookie)\b.*"),
    ("cookie banner", r"(read more|see our policy.*|đồng ý|chấp nhận)"),
    ("print / font tools", r"(in bài viết|in bài|in trang|bản in|print|gửi email|gửi bài viết|email|"
                           r"lưu bài viết|chia sẻ|share|tweet|facebook|zalo|quay lại|trở về|trở lại|"
                           r"về đầu trang|đầu trang|lên đầu trang|gốc)\s*:?"),
    ("print / font tools", r"(cỡ chữ|font size|kích thước chữ)\b.*"),
    ("print / font tools", r"print\s.*"),
    ("view counter", r"(lượt xem|số lượt xem|lượt đọc|views?)\s*:?\s*[\d.,]*"),
    ("breadcrumb", r"trang chủ(\s*[>/»|›\-].*)?"),
    ("image file name", r"[\w\-.]+\.(jpe?g|png|gif|webp|bmp)"),
    ("copyright", r"(bản quyền|©|\(c\)|copyright)\b.*|.*©.*"),
    ("teaser", r".+(…|\.\.\.)"),
    ("date line", r"((thứ\s+\w+|chủ nhật|cập nhật( lúc)?|ngày đăng|đăng lúc)\s*[,:|\-–]?\s*)*"
                  r"[\d:/\s,|\-–]*\d{1,2}[/\-.]\d{1,2}[/\-.]\d{2,4}[\d:/\s,|\-–()+\[\]gmt]*"),
]
_MARKERS = [(name, re.compile(pattern)) for name, pattern in BOILERPLATE_MARKERS]
# separators and decoration around a marker line ("| Tin liên quan: |", "» Xem thêm", "Nổi bật:")
_EDGE_PUNCT = re.compile(r"^[\s|•·*>»›<«‹:\-–—]+|[\s|•·*>»›<«‹:\-–—]+$")

# Paragraphs shorter than this many tokens count as "occurring in the gold text" only as a whole
# gold paragraph or a whole sentence of it: a byline such as "Thái Bình" is a substring of many
# bodies (it is also a province name) and must still be reported.
SHORT_PARAGRAPH_TOKENS = 5
PARAGRAPH_F1_MATCH = 0.9

# Figures published by the benchmark's README for trafilatura 2.0.0 (include_comments=False).
PUBLISHED_TRAFILATURA = {"version": "2.0.0", "f1": 0.958, "precision": 0.938, "recall": 0.978}

VN = dt.timezone(dt.timedelta(hours=7))


# ---------------------------------------------------------------------------------------------
# the extractors (run in worker processes)

_core = None


def load_core():
    """(clean_page, CleanOptions, None) or (None, None, "why not")."""
    global _core
    if _core is None:
        try:
            from pipelines.core import CleanOptions, clean_page
            _core = (clean_page, CleanOptions, None)
        except Exception as exc:  # the core is being written: any failure to import = not available
            _core = (None, None, f"{type(exc).__name__}: {exc}")
    return _core


def _quiet_logs():
    for name in ("trafilatura", "htmldate", "courlan", "charset_normalizer", "pipelines", "readability", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _error_text(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"[:300]


def _run_ours(body: bytes, url: str, headers: dict | None, site, filters: bool) -> dict:
    clean_page, CleanOptions, why = load_core()
    if clean_page is None:
        return {"available": False, "error": why}
    try:
        options = CleanOptions() if filters else CleanOptions(apply_filters=False)
        res = clean_page(body, url, headers=headers, site=site, options=options)
    except Exception as exc:
        return {"available": True, "error": _error_text(exc), "record": None, "drop_reason": None}
    record = getattr(res, "record", None)
    keep = None
    if record is not None:
        keep = {k: record.get(k) for k in ("title", "lead", "text", "published_at", "published_precision", "authors")}
    return {"available": True, "error": None, "record": keep, "drop_reason": getattr(res, "drop_reason", None)}


def bench_task(item: tuple[str, str, str]) -> dict:
    page_id, path, url = item
    import trafilatura
    _quiet_logs()
    with gzip.open(path, "rb") as f:
        raw = f.read()
    html = raw.decode("utf-8")  # the benchmark's pages are UTF-8; the upstream runners read them as text
    out = {"id": page_id}
    out["default"] = trafilatura.extract(html)
    out["nocomments"] = trafilatura.extract(html, include_comments=False)
    out["ours"] = _run_ours(raw, url, {"Content-Type": "text/html; charset=utf-8"}, None, filters=False)
    return out


def gold_task(case: dict) -> dict:
    import trafilatura
    _quiet_logs()
    body = Path(case["html_path"]).read_bytes()
    out = {"id": case["id"]}
    site = None
    if case.get("site") and not case.get("no_site"):
        try:
            from pipelines.site import SiteInfo
            site = SiteInfo.from_mapping(case["site"])
        except Exception:
            site = None
    out["ours"] = _run_ours(body, case["url"], case.get("headers"), site, filters=True)
    try:
        out["traf_text"] = trafilatura.extract(body, url=case["url"]) or ""
        doc = trafilatura.bare_extraction(body, url=case["url"], with_metadata=True)
        out["traf_title"] = getattr(doc, "title", None) if doc is not None else None
        out["traf_date"] = getattr(doc, "date", None) if doc is not None else None
        out["traf_author"] = getattr(doc, "author", None) if doc is not None else None
        out["traf_error"] = None
    except Exception as exc:
        out.update(traf_text="", traf_title=None, traf_date=None, traf_author=None, traf_error=_error_text(exc))
    return out


def run_all(func, items: list, jobs: int) -> list:
    if jobs <= 1 or len(items) <= 1:
        return [func(i) for i in items]
    import multiprocessing
    with multiprocessing.Pool(jobs) as pool:
        return pool.map(func, items, chunksize=1)   # map keeps the input order: deterministic output


# ---------------------------------------------------------------------------------------------
# helpers

def shared_dir() -> Path:
    env = os.environ.get("PARTYNEWS_SHARED")
    return Path(env) if env else (REPO / ".." / "shared").resolve()


def fmt(x, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def rnd(x, digits: int = 4):
    return round(x, digits) if isinstance(x, float) else x


def norm(text: str | None) -> str:
    return scoring.normalize_text(text)


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def join_lead_text(lead: str | None, text: str | None) -> str:
    return "\n\n".join(p for p in (lead or "", text or "") if p.strip())


def split_paragraphs(text: str | None) -> list[str]:
    """Paragraphs/lines of an output text (ours uses blank lines, trafilatura single newlines)."""
    return [p for p in (norm(line) for line in (text or "").splitlines()) if p]


def _token_string(text: str) -> str:
    return " ".join(scoring.tokenize(text.casefold()))


class GoldText:
    """The normalised gold body (lead + text) and the tests for "this paragraph belongs to it"."""

    def __init__(self, text: str):
        self.paragraphs = [p.casefold() for p in split_paragraphs(text)]
        self.set = set(self.paragraphs)
        self.joined = "\n".join(self.paragraphs)
        # all gold tokens as one stream: a paragraph is found whatever the punctuation, table pipes
        # or paragraph breaks around or inside it
        self.stream = " " + " ".join(_token_string(p) for p in self.paragraphs) + " "

    def is_paragraph(self, para: str) -> bool:
        return para.casefold() in self.set

    def _in_stream(self, tokens: str) -> bool:
        return bool(tokens) and f" {tokens} " in self.stream

    def occurs(self, para: str, before: str = "", after: str = "") -> bool:
        """``before``/``after``: the neighbouring output paragraphs, which make a short piece of a
        gold paragraph (split at a <br>) recognisable as such."""
        p = para.casefold()
        if p in self.set:
            return True
        tokens = _token_string(p)
        if len(tokens.split()) < SHORT_PARAGRAPH_TOKENS:
            # only as a whole sentence of a gold paragraph, or glued to a neighbour in the output
            pattern = r"(?:^|(?<=[.!?:;…] ))" + re.escape(p) + r"(?=[.!?:;…]*$|[.!?:;…]+\s)"
            if re.search(pattern, self.joined, flags=re.M):
                return True
            if not tokens:
                return False
            before_tail = " ".join(_token_string(before).split()[-SHORT_PARAGRAPH_TOKENS:])
            after_head = " ".join(_token_string(after).split()[:SHORT_PARAGRAPH_TOKENS])
            return (bool(before_tail) and self._in_stream(f"{before_tail} {tokens}")) or \
                   (bool(after_head) and self._in_stream(f"{tokens} {after_head}"))
        if p in self.joined or self._in_stream(tokens):
            return True
        return any(scoring.token_f1(p, g) >= PARAGRAPH_F1_MATCH for g in self.paragraphs)


def boilerplate_left(output: str, gold: GoldText) -> list[tuple[str, str]]:
    """(why, paragraph) for every paragraph of ``output`` that is not part of the gold body."""
    found = []
    paras = split_paragraphs(output)
    for i, para in enumerate(paras):
        if gold.is_paragraph(para):
            continue
        folded = _EDGE_PUNCT.sub("", para.casefold()) or para.casefold()
        marker = next((name for name, rx in _MARKERS if rx.fullmatch(folded)), None)
        if marker:
            found.append((f"marker: {marker}", para))
        elif not scoring.tokenize(para):
            found.append(("no words", para))
        elif not gold.occurs(para, paras[i - 1] if i else "", paras[i + 1] if i + 1 < len(paras) else ""):
            found.append(("not in gold", para))
    return found


def parse_iso(value) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def local_day(value) -> dt.date | None:
    d = parse_iso(value)
    if d is None:
        return None
    if d.tzinfo is not None:
        d = d.astimezone(VN)
    return d.date()


def same_instant(a, b) -> bool:
    if a == b:
        return True
    da, db = parse_iso(a), parse_iso(b)
    if da is None or db is None or (da.tzinfo is None) != (db.tzinfo is None):
        return False
    return da == db and da.utcoffset() == db.utcoffset()


def author_set(names) -> set[str]:
    if names is None:
        return set()
    if isinstance(names, str):
        names = re.split(r"[;,]", names)
    return {n for n in (norm(x) for x in names) if n}


# ---------------------------------------------------------------------------------------------
# extraction-bench

def run_bench(jobs: int, lines: list[str], figures: dict) -> None:
    base = shared_dir() / "extraction-bench"
    gt_path = base / "ground-truth.json.gz"
    for prefix in ("trafilatura", "trafilatura_nocomments", "ours", "ours_lead_text"):
        for m in ("f1", "precision", "recall", "accuracy"):
            figures[f"bench_{m}_{prefix}"] = None
    for k in ("bench_wins_ours", "bench_losses_ours", "bench_ties_ours", "bench_dropped_ours", "bench_errors_ours"):
        figures[k] = None
    lines.append(f"== extraction-bench ({base}) ==")
    if not gt_path.exists():
        lines.append(f"   data not found ({gt_path}); set PARTYNEWS_SHARED to the shared folder")
        figures["bench_pages"] = 0
        return
    with gzip.open(gt_path, "rt", encoding="utf-8") as f:
        truth = json.load(f)
    ids = sorted(truth)
    item_urls = {k: truth[k].get("url") or "" for k in ids}
    items = [(k, str(base / "html" / f"{k}.html.gz"), item_urls[k]) for k in ids]
    results = run_all(bench_task, items, jobs)

    gold_bodies = [truth[k].get("articleBody") for k in ids]
    sets = {
        "trafilatura": [r["default"] for r in results],
        "trafilatura_nocomments": [r["nocomments"] for r in results],
    }
    ours_available = all(r["ours"]["available"] for r in results)
    ours_errors = [(r["id"], r["ours"]["error"]) for r in results if r["ours"]["available"] and r["ours"]["error"]]
    ours_dropped = [(r["id"], r["ours"]["drop_reason"]) for r in results
                    if r["ours"]["available"] and not r["ours"]["error"] and r["ours"]["record"] is None]
    if ours_available:
        recs = [r["ours"]["record"] or {} for r in results]
        sets["ours"] = [rec.get("text") or "" for rec in recs]
        sets["ours_lead_text"] = [join_lead_text(rec.get("lead"), rec.get("text")) for rec in recs]
    scores = {name: scoring.score(zip(gold_bodies, preds)) for name, preds in sets.items()}
    stds = {name: scoring.bootstrap_std(s["counts"]) for name, s in scores.items()}

    lines.append(f"   {len(ids)} pages; metric: the benchmark's shingle P/R averaged over pages, F1 of the"
                 f" averages (± bootstrap std, 1000 seeded resamples)")
    lines.append(f"   {'extractor':<56} {'F1':>14} {'precision':>14} {'recall':>14} {'accuracy':>9}")
    labels = [
        ("trafilatura", "(i) trafilatura.extract(html), defaults"),
        ("trafilatura_nocomments", "(ii) trafilatura.extract(html, include_comments=False)"),
        ("ours", "(iii) partynews core, record['text']"),
        ("ours_lead_text", "      partynews core, lead + text (info)"),
    ]
    for key, label in labels:
        if key not in scores:
            if key == "ours":
                why = results[0]["ours"]["error"] if results else "no pages"
                lines.append(f"   {label:<56} core not available ({why})")
            continue
        s, sd = scores[key], stds[key]
        lines.append(f"   {label:<56} {fmt(s['f1']):>6} ± {fmt(sd['f1']):<5} {fmt(s['precision']):>6} ± "
                     f"{fmt(sd['precision']):<5} {fmt(s['recall']):>6} ± {fmt(sd['recall']):<5} {fmt(s['accuracy']):>9}")
    pub = PUBLISHED_TRAFILATURA
    lines.append(f"   published upstream for trafilatura {pub['version']} with include_comments=False: "
                 f"F1 {pub['f1']:.3f}, precision {pub['precision']:.3f}, recall {pub['recall']:.3f}")

    figures["bench_pages"] = len(ids)
    for key, prefix in (("trafilatura", "trafilatura"), ("trafilatura_nocomments", "trafilatura_nocomments"),
                        ("ours", "ours"), ("ours_lead_text", "ours_lead_text")):
        s = scores.get(key)
        for m in ("f1", "precision", "recall", "accuracy"):
            figures[f"bench_{m}_{prefix}"] = rnd(s[m]) if s else None

    if "ours" in scores:
        ours_c, base_c = scores["ours"]["counts"], scores["trafilatura"]["counts"]
        diffs = [(o.f1 - t.f1, k) for o, t, k in zip(ours_c, base_c, ids)]
        wins = sum(1 for d, _ in diffs if d > 1e-9)
        losses = sum(1 for d, _ in diffs if d < -1e-9)
        ties = len(diffs) - wins - losses
        lines.append(f"   per-page F1, ours (record text) vs (i): {wins} wins, {losses} losses, {ties} ties")
        worst = sorted(d for d in diffs if d[0] < -1e-9)[:10]
        if worst:
            lines.append("   largest losses (page F1 ours - trafilatura, url):")
            for d, k in worst:
                lines.append(f"     {d:+.3f}  {item_urls.get(k) or k}")
        figures.update(bench_wins_ours=wins, bench_losses_ours=losses, bench_ties_ours=ties)
    else:
        figures.update(bench_wins_ours=None, bench_losses_ours=None, bench_ties_ours=None)
    figures["bench_dropped_ours"] = len(ours_dropped) if ours_available else None
    figures["bench_errors_ours"] = len(ours_errors) if ours_available else None
    if ours_dropped:
        lines.append(f"   ours dropped {len(ours_dropped)} page(s) (filters off): "
                     + ", ".join(f"{k[:10]}…={why}" for k, why in ours_dropped[:10]))
    if ours_errors:
        lines.append(f"   ours raised on {len(ours_errors)} page(s):")
        for k, err in ours_errors[:10]:
            lines.append(f"     {k[:16]}…  {err}")


# ---------------------------------------------------------------------------------------------
# gold set

def load_gold_cases(gold_dir: Path, no_site: bool) -> list[dict]:
    cases = []
    site_cache: dict[Path, dict | None] = {}
    for json_path in sorted(gold_dir.glob("*/pages/*.json")):
        site_yaml = json_path.parent.parent / "site.yaml"
        if site_yaml not in site_cache:
            site_cache[site_yaml] = None
            if site_yaml.exists():
                try:
                    import yaml
                    site_cache[site_yaml] = yaml.safe_load(site_yaml.read_text(encoding="utf-8"))
                except Exception:
                    site_cache[site_yaml] = None
        data = json.loads(json_path.read_text(encoding="utf-8"))
        cases.append({
            "id": f"{json_path.parent.parent.name}/{json_path.stem}",
            "html_path": str(json_path.with_suffix(".html")),
            "url": data.get("url") or "",
            "headers": data.get("headers") or {},
            "expected": data.get("expected") or {},
            "site": site_cache[site_yaml],
            "no_site": no_site,
        })
    return [c for c in cases if Path(c["html_path"]).exists()]


def run_gold(jobs: int, gold_dir: Path, no_site: bool, lines: list[str], figures: dict) -> None:
    lines.append(f"== gold set ({gold_dir}) ==")
    cases = load_gold_cases(gold_dir, no_site)
    figures["gold_pages"] = len(cases)
    article = [c for c in cases if not c["expected"].get("drop_reason")]
    drops = [c for c in cases if c["expected"].get("drop_reason")]
    figures["gold_article_pages"] = len(article)
    figures["gold_drop_total"] = len(drops)
    keys = ["gold_f1_ours", "gold_precision_ours", "gold_recall_ours",
            "gold_f1_ours_lead_text", "gold_precision_ours_lead_text", "gold_recall_ours_lead_text",
            "gold_f1_trafilatura", "gold_precision_trafilatura", "gold_recall_trafilatura",
            "gold_f1_trafilatura_vs_text", "gold_boilerplate_pages_ours", "gold_boilerplate_pages_trafilatura",
            "gold_title_acc_ours", "gold_title_acc_trafilatura", "gold_date_acc_ours", "gold_date_acc_trafilatura",
            "gold_date_sameday_acc_ours", "gold_date_sameday_acc_trafilatura",
            "gold_author_acc_ours", "gold_author_acc_trafilatura",
            "gold_drop_correct", "gold_article_dropped_ours", "gold_errors_ours", "gold_drop_kept_trafilatura"]
    for k in keys:
        figures[k] = None
    if not cases:
        lines.append("   no gold pages found (tests/gold/sites/*/pages/*.json with a .html next to it)")
        return

    results = {r["id"]: r for r in run_all(gold_task, cases, jobs)}
    ours_available = all(r["ours"]["available"] for r in results.values())
    core_why = next((r["ours"]["error"] for r in results.values() if not r["ours"]["available"]), None)

    def ours_rec(c):
        o = results[c["id"]]["ours"]
        return o.get("record") if o["available"] and not o["error"] else None

    n = len(article)
    # ---- body F1 (both sides NFC; the gold text excludes the lead)
    gold_text = [nfc(c["expected"].get("text")) for c in article]
    gold_lead_text = [nfc(join_lead_text(c["expected"].get("lead"), c["expected"].get("text"))) for c in article]
    traf_text = [nfc(results[c["id"]]["traf_text"]) for c in article]
    s_traf = scoring.score(zip(gold_lead_text, traf_text))
    s_traf_text = scoring.score(zip(gold_text, traf_text))
    s_ours = s_ours_lt = None
    if ours_available:
        recs = [ours_rec(c) or {} for c in article]
        s_ours = scoring.score(zip(gold_text, [nfc(r.get("text")) for r in recs]))
        s_ours_lt = scoring.score(zip(gold_lead_text, [nfc(join_lead_text(r.get("lead"), r.get("text"))) for r in recs]))

    # ---- boilerplate left
    bp_ours: list[tuple[str, list]] = []
    bp_traf: list[tuple[str, list]] = []
    for c, glt, tt in zip(article, gold_lead_text, traf_text):
        gold = GoldText(glt)
        found = boilerplate_left(tt, gold)
        if found:
            bp_traf.append((c["id"], found))
        rec = ours_rec(c)
        if rec is not None:
            found = boilerplate_left(join_lead_text(rec.get("lead"), rec.get("text")), gold)
            if found:
                bp_ours.append((c["id"], found))

    # ---- metadata
    acc = {k: 0 for k in ("title_o", "title_t", "date_o", "date_t", "day_o", "day_t", "auth_o", "auth_t")}
    misses: list[str] = []
    article_dropped: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    for c in article:
        exp, r = c["expected"], results[c["id"]]
        exp_pub = exp.get("published_at")
        exp_day = local_day(exp_pub)
        # trafilatura
        if norm(r["traf_title"]) == norm(exp.get("title")):
            acc["title_t"] += 1
        t_day = local_day(r["traf_date"])
        if exp_pub is None:
            acc["date_t"] += r["traf_date"] is None
            acc["day_t"] += r["traf_date"] is None
        else:
            acc["date_t"] += exp.get("published_precision") == "date" and t_day == exp_day
            acc["day_t"] += t_day is not None and t_day == exp_day
        if author_set(r["traf_author"]) == author_set(exp.get("authors") or []):
            acc["auth_t"] += 1
        # ours
        o = r["ours"]
        if not o["available"]:
            continue
        if o["error"]:
            errors.append((c["id"], o["error"]))
            continue
        rec = o["record"]
        if rec is None:
            article_dropped.append((c["id"], o["drop_reason"]))
            continue
        if norm(rec.get("title")) == norm(exp.get("title")):
            acc["title_o"] += 1
        else:
            misses.append(f"{c['id']}: title {rec.get('title')!r} != {exp.get('title')!r}")
        if same_instant(rec.get("published_at"), exp_pub):
            acc["date_o"] += 1
        else:
            misses.append(f"{c['id']}: published_at {rec.get('published_at')!r} != {exp_pub!r}")
        o_day = local_day(rec.get("published_at"))
        if (exp_pub is None and rec.get("published_at") is None) or (o_day is not None and o_day == exp_day):
            acc["day_o"] += 1
        if author_set(rec.get("authors") or []) == author_set(exp.get("authors") or []):
            acc["auth_o"] += 1
        else:
            misses.append(f"{c['id']}: authors {rec.get('authors')!r} != {exp.get('authors')!r}")

    # ---- drops
    drop_ok, drop_wrong = 0, []
    for c in drops:
        o = results[c["id"]]["ours"]
        want = c["expected"]["drop_reason"]
        if not o["available"]:
            continue
        got = o["drop_reason"] if not o["error"] else f"error: {o['error']}"
        if o["record"] is None and not o["error"] and got == want:
            drop_ok += 1
        else:
            drop_wrong.append(f"{c['id']}: expected drop {want!r}, got {got if o['record'] is None else 'a record'}")
    traf_kept = sum(1 for c in drops if (results[c["id"]]["traf_text"] or "").strip())

    # ---- table
    def pct(k):
        return acc[k] / n if n else None

    def cell(value, total=None):
        if value is None:
            return "core n/a" if not ours_available else "-"
        if total is not None:
            return f"{value}/{total}"
        return fmt(value)

    o = ours_available
    rows = [
        ("body F1: ours text vs gold text; traf. vs gold text",
         s_ours["f1"] if o else None, s_traf_text["f1"]),
        ("body F1: ours lead+text / traf. vs gold lead+text",
         s_ours_lt["f1"] if o else None, s_traf["f1"]),
        ("  precision (lead+text)", s_ours_lt["precision"] if o else None, s_traf["precision"]),
        ("  recall (lead+text)", s_ours_lt["recall"] if o else None, s_traf["recall"]),
    ]
    lines.append(f"   {len(cases)} pages: {n} article pages, {len(drops)} expected drops"
                 + ("" if o else f"   [ours: core not available ({core_why})]"))
    lines.append(f"   {'':<62} {'ours':>10} {'trafilatura':>12}")
    for label, a, b in rows:
        lines.append(f"   {label:<62} {cell(a):>10} {fmt(b):>12}")
    count_rows = [
        ("pages with boilerplate left", len(bp_ours) if o else None, len(bp_traf)),
        ("title right (NFC, whitespace)", acc["title_o"] if o else None, acc["title_t"]),
        ("published_at right (ours exact; traf. day + precision date)", acc["date_o"] if o else None, acc["date_t"]),
        ("published day right (looser, same calendar day)", acc["day_o"] if o else None, acc["day_t"]),
        ("authors right (set equality)", acc["auth_o"] if o else None, acc["auth_t"]),
    ]
    for label, a, b in count_rows:
        lines.append(f"   {label:<62} {cell(a, n):>10} {f'{b}/{n}':>12}")
    lines.append(f"   {'article pages dropped / raising':<62} "
                 f"{(str(len(article_dropped)) + ' / ' + str(len(errors))) if o else 'core n/a':>10} {'-':>12}")
    lines.append(f"   {'expected drops dropped with the right reason':<62} {cell(drop_ok if o else None, len(drops)):>10}"
                 f" {'-':>12}")
    lines.append(f"   {'expected drops where trafilatura returned text':<62} {'-':>10} {f'{traf_kept}/{len(drops)}':>12}")
    lines.append("   (body F1 uses the benchmark metric on NFC text; trafilatura's output carries the lead, so its"
                 " fair comparison is the lead+text row)")

    def list_bp(title, entries):
        if not entries:
            return
        lines.append(f"   {title}:")
        for page_id, found in entries:
            for why, para in found:
                lines.append(f"     {page_id}  [{why}]  {para[:80]}")

    for c in cases:
        if results[c["id"]].get("traf_error"):
            lines.append(f"   trafilatura raised on {c['id']}: {results[c['id']]['traf_error']}")
    list_bp("boilerplate left by ours", bp_ours)
    list_bp("boilerplate left by trafilatura", bp_traf)
    if misses or article_dropped or errors or drop_wrong:
        lines.append("   ours, fields that differ from the gold record:")
        for m in misses:
            lines.append(f"     {m[:200]}")
        for page_id, why in article_dropped:
            lines.append(f"     {page_id}: article page dropped ({why})")
        for page_id, err in errors:
            lines.append(f"     {page_id}: raised {err}")
        for m in drop_wrong:
            lines.append(f"     {m[:200]}")

    figures.update(
        gold_f1_trafilatura=rnd(s_traf["f1"]), gold_precision_trafilatura=rnd(s_traf["precision"]),
        gold_recall_trafilatura=rnd(s_traf["recall"]), gold_f1_trafilatura_vs_text=rnd(s_traf_text["f1"]),
        gold_boilerplate_pages_trafilatura=len(bp_traf),
        gold_title_acc_trafilatura=rnd(pct("title_t")), gold_date_acc_trafilatura=rnd(pct("date_t")),
        gold_date_sameday_acc_trafilatura=rnd(pct("day_t")), gold_author_acc_trafilatura=rnd(pct("auth_t")),
        gold_drop_kept_trafilatura=traf_kept,
    )
    if o:
        figures.update(
            gold_f1_ours=rnd(s_ours["f1"]), gold_precision_ours=rnd(s_ours["precision"]),
            gold_recall_ours=rnd(s_ours["recall"]),
            gold_f1_ours_lead_text=rnd(s_ours_lt["f1"]), gold_precision_ours_lead_text=rnd(s_ours_lt["precision"]),
            gold_recall_ours_lead_text=rnd(s_ours_lt["recall"]),
            gold_boilerplate_pages_ours=len(bp_ours),
            gold_title_acc_ours=rnd(pct("title_o")), gold_date_acc_ours=rnd(pct("date_o")),
            gold_date_sameday_acc_ours=rnd(pct("day_o")), gold_author_acc_ours=rnd(pct("auth_o")),
            gold_drop_correct=drop_ok, gold_article_dropped_ours=len(article_dropped), gold_errors_ours=len(errors),
        )


# ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("gold", "bench"), help="run one of the two data sets")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2; 1 = no pool)")
    ap.add_argument("--gold-dir", type=Path, default=REPO / "tests" / "gold" / "sites",
                    help="folder of the gold sites (default tests/gold/sites)")
    ap.add_argument("--no-site", action="store_true",
                    help="clean gold pages with site=None instead of the SiteInfo of their site.yaml")
    args = ap.parse_args(argv)

    import trafilatura
    clean_page, _, why = load_core()
    figures: dict = {"trafilatura_version": trafilatura.__version__, "core_available": clean_page is not None}
    lines: list[str] = [f"partynews quality benchmark (trafilatura {trafilatura.__version__}; ours: "
                        + ("pipelines.core" if clean_page else f"core not available — {why}") + ")"]
    if args.only in (None, "bench"):
        run_bench(args.jobs, lines, figures)
    if args.only in (None, "gold"):
        run_gold(args.jobs, args.gold_dir, args.no_site, lines, figures)
    if not args.json:
        print("\n".join(lines), flush=True)
    print(json.dumps(figures, sort_keys=True, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
