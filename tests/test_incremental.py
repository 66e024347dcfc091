"""Nightly runs against a real local site that changes between runs (a copy of the NukeViet fixture site):
new articles appear at the top of the listings, an older article is edited, one is deleted, and the two newest
are recent enough to be revisited. The second run must download in full only the new and the edited articles
(the server's request log shows it), write records for exactly those with the right revision numbers, and
report counts that match; `partynews reprocess` over a run's WARC archive must rebuild that run's records
exactly."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from crawler.demo.server import serve_packs
from pipelines.record import validation_errors

PACK = Path(__file__).parent / "fixtures" / "sites" / "quangninh-dcs"
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
VN = timezone(timedelta(hours=7))
NEW_ARTICLES = [
    ("Hội nghị Ban Chấp hành Đảng bộ tỉnh sơ kết công tác chuyển đổi số năm 2026", "chinh-tri", [
        "Sáng nay, Ban Chấp hành Đảng bộ tỉnh tổ chức hội nghị sơ kết công tác chuyển đổi số trong các cơ quan đảng, "
        "chính quyền, Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội của tỉnh.",
        "Báo cáo tại hội nghị cho biết, 100% văn bản điều hành giữa các cơ quan cấp tỉnh đã được gửi nhận trên môi "
        "trường mạng; hệ thống họp trực tuyến được kết nối tới 171 xã, phường, thị trấn; kho dữ liệu đảng viên được "
        "cập nhật thường xuyên, phục vụ kịp thời công tác quản lý.",
        "Phát biểu kết luận, đồng chí Bí thư Tỉnh ủy đề nghị các cấp ủy tập trung hoàn thiện hạ tầng số, bảo đảm an "
        "toàn thông tin, đào tạo kỹ năng số cho cán bộ và lấy sự hài lòng của người dân làm thước đo hiệu quả.",
    ]),
    ("Huyện Tiên Yên trao Huy hiệu Đảng cho 42 đảng viên lão thành", "xay-dung-dang", [
        "Chiều qua, Huyện ủy Tiên Yên long trọng tổ chức lễ trao Huy hiệu 40, 45, 50, 55 và 60 năm tuổi Đảng cho 42 "
        "đảng viên lão thành đang sinh hoạt tại các chi bộ, đảng bộ cơ sở trên địa bàn huyện.",
        "Thay mặt các đảng viên được nhận Huy hiệu, đồng chí Hoàng Văn Lộc, 60 năm tuổi Đảng, bày tỏ niềm tự hào và "
        "hứa sẽ tiếp tục gương mẫu, tham gia xây dựng chi bộ ở khu dân cư vững mạnh.",
        "Dịp này, Huyện ủy cũng tặng quà các gia đình chính sách có hoàn cảnh khó khăn tại các xã vùng cao Đại Dực, "
        "Hà Lâu và Điền Xá, động viên bà con ổn định cuộc sống, phát triển kinh tế hộ gia đình.",
    ]),
    ("Cẩm Phả ra quân tổng vệ sinh môi trường các khu dân cư ven biển", "xa-hoi", [
        "Hưởng ứng phong trào chung tay vì môi trường xanh, sạch, đẹp, sáng Chủ nhật, hơn 3.000 đoàn viên, hội viên và "
        "Nhân dân thành phố Cẩm Phả đã ra quân tổng vệ sinh tại các khu dân cư ven biển.",
        "Các lực lượng đã thu gom hơn 25 tấn rác thải, nạo vét 4 km rãnh thoát nước, trồng mới 1.200 cây xanh dọc các "
        "tuyến đường ven vịnh Bái Tử Long và bãi tắm của phường Quang Hanh.",
        "Thành ủy Cẩm Phả yêu cầu duy trì hoạt động vệ sinh môi trường vào sáng thứ Bảy hằng tuần, gắn với tiêu chí "
        "xây dựng khu dân cư văn minh, đô thị du lịch bền vững.",
    ]),
]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, timeout=600)


def read_jsonl(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def _pages(pack: Path) -> list[tuple[Path, dict]]:
    out = []
    for json_path in sorted((pack / "pages").glob("art-*.json")):
        out.append((json_path, json.loads(json_path.read_text(encoding="utf-8"))))
    out.sort(key=lambda pair: pair[1]["expected"]["published_at"], reverse=True)
    return out


def _redate(json_path: Path, data: dict, when: datetime) -> None:
    """Give an article another publication time, in its page and its json."""
    html_path = json_path.with_suffix(".html")
    old = datetime.fromisoformat(data["expected"]["published_at"])
    html = html_path.read_text(encoding="utf-8").replace(f"{old:%H:%M %d/%m/%Y}", f"{when:%H:%M %d/%m/%Y}")
    html_path.write_text(html, encoding="utf-8")
    data["expected"]["published_at"] = when.isoformat()
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _new_article(pack: Path, template: tuple[Path, dict], n: int, title: str, category: str, paragraphs: list[str],
                 when: datetime) -> str:
    """A new article page made from an existing one of the site: its chrome, a new headline, date, URL and body."""
    json_path, data = template
    html = json_path.with_suffix(".html").read_text(encoding="utf-8")
    old_url = data["url"]
    slug = re.sub(r"[^a-z0-9]+", "-", f"bai-moi-{n}-{category}").strip("-")
    new_url = f"https://quangninh.dcs.vn/news/{category}/{slug}-{9000 + n}.html"
    old_date = datetime.fromisoformat(data["expected"]["published_at"])
    html = html.replace(old_url, new_url).replace(urlsplit(old_url).path, urlsplit(new_url).path)
    html = html.replace(data["expected"]["title"], title).replace(f"{old_date:%H:%M %d/%m/%Y}", f"{when:%H:%M %d/%m/%Y}")
    if data["expected"].get("lead"):
        html = html.replace(data["expected"]["lead"], paragraphs[0])
    body = "\n".join(f'<p style="text-align: justify;">{p}</p>' for p in paragraphs[1:])
    html = re.sub(r'(<div id="news-bodyhtml"[^>]*>).*?(<p style="text-align: right;">)', lambda m: m.group(1) + "\n" + body
                  + "\n" + m.group(2), html, count=1, flags=re.S)
    name = f"art-new-{n}"
    (pack / "pages" / f"{name}.html").write_text(html, encoding="utf-8")
    expected = dict(data["expected"], title=title, lead=paragraphs[0], published_at=when.isoformat(),
                    canonical_url=new_url)
    (pack / "pages" / f"{name}.json").write_text(
        json.dumps(dict(data, url=new_url, expected=expected), ensure_ascii=False, indent=1), encoding="utf-8")
    return new_url


def _edit(template: tuple[Path, dict], when: datetime) -> str:
    """Correct an article: one paragraph rewritten, the page marked modified now."""
    json_path, data = template
    html_path = json_path.with_suffix(".html")
    html = html_path.read_text(encoding="utf-8")
    html, n = re.subn(r'(<div id="news-bodyhtml"[^>]*>\s*<p[^>]*>)', r"\1(Đính chính: số liệu đã được cập nhật theo báo "
                      r"cáo chính thức của Ban Tổ chức Tỉnh ủy.) ", html, count=1)
    assert n == 1
    html_path.write_text(html, encoding="utf-8")
    data["expected"]["modified_at"] = when.isoformat()
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return data["url"]


def _delete(pack: Path, page: tuple[Path, dict]) -> None:
    """Remove an article, and its print and savefile views, from the site."""
    json_path, _ = page
    json_path.unlink()
    json_path.with_suffix(".html").unlink()
    config = yaml.safe_load((pack / "site.yaml").read_text(encoding="utf-8"))
    aliases = config.get("aliases") or {}
    config["aliases"] = {path: spec for path, spec in aliases.items()
                         if (spec if isinstance(spec, str) else spec.get("page")) != json_path.stem}
    (pack / "site.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("incremental")
    pack = tmp / "quangninh-dcs"
    shutil.copytree(PACK, pack)
    now = datetime.now(VN).replace(second=0, microsecond=0)
    pages = _pages(pack)
    recent = [pages[0], pages[1]]
    for i, page in enumerate(recent):
        _redate(*page, now - timedelta(days=2, hours=i))
    out = tmp / "out"
    with serve_packs([pack], first_ip=190) as (site,):
        base = ["crawl", "--url", site.base_url, "--allow-private", "--out", str(out), "--json", "--quiet", *FAST]
        first = run_cli(*base)
        assert first.returncode == 0, first.stderr[-3000:]
        log1 = site.request_log()

        # the site changes: three new articles at the top, one older article corrected, one removed
        new_urls = [_new_article(pack, pages[5], i, title, cat, paras, now - timedelta(hours=6 + i))
                    for i, (title, cat, paras) in enumerate(NEW_ARTICLES)]
        time.sleep(1.1)     # the edit is later than the first run's last fetch, to the second (HTTP dates' unit)
        edited_url = _edit(pages[10], datetime.now(VN).replace(microsecond=0))
        deleted = pages[12]
        _delete(pack, deleted)
        site.reload()
        site.clear_requests()
        second = run_cli(*base)
        assert second.returncode == 0, second.stderr[-3000:]
        log2 = site.request_log()

        site.clear_requests()
        third = run_cli(*base)
        assert third.returncode == 0, third.stderr[-3000:]
        log3 = site.request_log()
        yield {"site": site, "out": out, "first": json.loads(first.stdout), "second": json.loads(second.stdout),
               "third": json.loads(third.stdout), "logs": (log1, log2, log3),
               "new": [site.local_url(u) for u in new_urls], "edited": site.local_url(edited_url),
               "recent": [site.local_url(p[1]["url"]) for p in recent],
               "deleted": site.local_url(deleted[1]["url"]), "articles": len(pages)}


def _article_fetches(log, status=None) -> list[str]:
    return sorted(p for _, p, s in log if re.search(r"-\d+\.html$", urlsplit(p).path) and "/print/" not in p
                  and "/savefile/" not in p and (status is None or s == status))


def test_first_run_writes_every_article(runs):
    report = runs["first"]
    records = read_jsonl(report["files"]["articles"])
    assert len(records) == runs["articles"] == report["totals"]["new"] == report["totals"]["written"]
    assert all(r["revision"] == 1 and r["previous_content_hash"] is None for r in records)
    assert all(validation_errors(r) == [] for r in records)


def test_second_run_downloads_only_new_and_edited_articles(runs):
    log2 = runs["logs"][1]
    full = {p for p in _article_fetches(log2, 200)}
    expected = {urlsplit(u).path for u in runs["new"] + [runs["edited"]]}
    assert full == expected
    # the two recent articles were asked for conditionally and not sent again
    assert {p for p in _article_fetches(log2, 304)} == {urlsplit(u).path for u in runs["recent"]}
    assert urlsplit(runs["deleted"]).path not in {urlsplit(p).path for _, p, _ in log2}


def test_second_run_writes_exactly_the_new_and_edited_articles(runs):
    first = {r["canonical_url"]: r for r in read_jsonl(runs["first"]["files"]["articles"])}
    records = {r["canonical_url"]: r for r in read_jsonl(runs["second"]["files"]["articles"])}
    assert set(records) == set(runs["new"]) | {runs["edited"]}
    for url in runs["new"]:
        assert records[url]["revision"] == 1 and records[url]["previous_content_hash"] is None
    edited = records[runs["edited"]]
    assert edited["revision"] == 2
    assert edited["previous_content_hash"] == first[runs["edited"]]["content_hash"]
    assert edited["id"] == first[runs["edited"]]["id"] and edited["content_hash"] != first[runs["edited"]]["content_hash"]
    assert edited["text"].startswith("(Đính chính:")


def test_second_run_report_counts_match(runs):
    report = runs["second"]
    totals = report["totals"]
    assert (totals["new"], totals["updated"], totals["written"]) == (3, 1, 4)
    assert totals["not_modified"] == 2
    (site,) = report["sites"].values()
    assert (site["new"], site["updated"], site["written"], site["not_modified"]) == (3, 1, 4, 2)
    # every other article still on the site was known and not fetched
    assert site["skipped_known"] >= runs["articles"] - 1 - 2 - 1 - 3
    assert report["finish_reason"] == "finished"


def test_third_run_over_the_unchanged_site_fetches_no_article(runs):
    report, log3 = runs["third"], runs["logs"][2]
    assert report["totals"]["written"] == 0
    assert _article_fetches(log3, 200) == []
    # what is still recent is revisited, conditionally: the two old recent ones and the three new ones
    assert len(_article_fetches(log3, 304)) == 5 == report["totals"]["not_modified"]
    first_requests = len(runs["logs"][0])
    assert len(log3) < 0.5 * first_requests
    # `latest` points at the newest complete run
    assert Path(runs["out"], "latest").resolve() == Path(report["files"]["report"]).parent.resolve()


@pytest.mark.parametrize("which", ["first", "second"])
def test_reprocess_rebuilds_a_run_exactly(runs, which, tmp_path):
    report = runs[which]
    run_dir = Path(report["files"]["report"]).parent
    assert (run_dir / "pages.warc.gz").exists()
    proc = run_cli("reprocess", str(run_dir), "--out", str(tmp_path), "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rebuilt = json.loads(proc.stdout)
    # the same records (their order follows the order the extraction workers finish in)
    by_id = lambda records: sorted(records, key=lambda r: r["id"])  # noqa: E731
    assert by_id(read_jsonl(rebuilt["files"]["articles"])) == by_id(read_jsonl(report["files"]["articles"]))
    assert rebuilt["run_id"] == report["run_id"]
    assert rebuilt["totals"]["written"] == report["totals"]["written"]
