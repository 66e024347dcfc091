"""The status page: written after each run next to report.json and by `partynews report --html`, over a real
crawl output folder (two runs), self-contained, and rendered in a real headless Chromium (Debian's `chromium`,
installed by `make test`), which must lay out every chart. The screenshot is checked for the charts' colours.

PARTYNEWS_UPDATE_SCREENSHOT=1 also saves the screenshot as docs/status-page.png (the README's picture)."""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from corpus_runs import FAST, run_cli, shared_corpus
from crawler.cli import main as cli_main
from crawler.status_page import COLORS, collect

DOCS_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "status-page.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return shared_corpus(tmp_path_factory, "demo-two-runs", first_ip=130)


def test_every_run_writes_its_status_page_over_all_runs(corpus):
    first, second = (Path(r["files"]["report"]).parent / "status.html" for r in corpus["reports"])
    assert first.is_file() and second.is_file()
    one, two = first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")
    assert "1 finished run in" in one and "2 finished runs in" in two
    for key in corpus["sites"]:
        assert f'id="site-{key}"' in two


def test_collect_counts_what_the_runs_wrote(corpus):
    data = collect(corpus["out"])
    assert [r["run_id"] for r in data["runs"]] == [r["run_id"] for r in corpus["reports"]]
    assert data["articles"] == corpus["reports"][0]["totals"]["written"]
    heza = data["sites"]["heza"]
    assert [(r["new"], r["updated"]) for r in heza["runs"]] == [(3, 0), (0, 1)]
    assert heza["last_success"]["run_id"] == corpus["reports"][1]["run_id"]
    for key, site in data["sites"].items():
        report_site = corpus["reports"][0]["sites"][key]
        assert site["runs"][0]["pages"] == report_site["pages_fetched"]
        assert site["runs"][0]["dropped"] == sum(report_site["dropped"].values())
        assert sum(site["days"].values()) == site["dated"] <= site["articles"]


def _html(corpus, tmp_path) -> tuple[Path, str]:
    out = tmp_path / "status.html"
    assert cli_main(["report", "--html", str(out), str(corpus["out"])]) == 0
    return out, out.read_text(encoding="utf-8")


def test_report_html_is_self_contained(corpus, tmp_path):
    out, page = _html(corpus, tmp_path)
    # nothing is loaded from anywhere: no external scripts, styles, images, fonts or frames
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"""\bsrc\s*=|@import|url\(""", page)
    assert not re.findall(r'href="(?!#)[^"]*"', page)
    assert page.count('<svg class="chart"') == 2 + 4 * len(corpus["sites"])
    # a run folder names its output folder too
    run_dir = Path(corpus["reports"][1]["files"]["report"]).parent
    again = tmp_path / "again.html"
    assert cli_main(["report", "--html", str(again), str(run_dir)]) == 0
    assert again.read_text(encoding="utf-8").count('<svg class="chart"') == page.count('<svg class="chart"')


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND",   # no name resolves: the page must need no network
         f"--user-data-dir={tmp / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=120)


def _png_pixels(path: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) into (width, height, pixels)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, prev, pixels, i = zlib.decompress(idat), width * bpp, bytearray(width * bpp), [], 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.extend(tuple(line[x:x + 3]) for x in range(0, stride, bpp))
        prev = line
    return width, height, pixels


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


def test_status_page_renders_in_headless_chromium(corpus, tmp_path):
    assert CHROMIUM is not None, "chromium is missing: `make test` installs it (as root: apt-get install chromium)"
    out, page = _html(corpus, tmp_path)
    proc = _chromium("--dump-dom", out.as_uri(), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    charts = page.count('<svg class="chart"')
    # the page's own check ran in the browser: every chart was laid out with a size
    assert f'data-charts-rendered="{charts}"' in dom, re.findall(r"<body[^>]*>", dom)
    for key in corpus["sites"]:
        assert f'id="site-{key}"' in dom
    assert dom.count('class="bar"') >= 3 * len(corpus["sites"])

    shot = tmp_path / "status.png"
    proc = _chromium(f"--screenshot={shot}", "--window-size=1280,1500", "--hide-scrollbars", out.as_uri(),
                     tmp=tmp_path)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1280, 1500)
    counts = {name: pixels.count(_rgb(COLORS[name])) for name in ("new", "dropped", "articles", "errors")}
    assert all(n > 200 for n in counts.values()), counts   # the bars are painted, not just in the DOM
    if os.environ.get("PARTYNEWS_UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.write_bytes(shot.read_bytes())


def test_a_status_page_failure_never_fails_the_run(corpus, tmp_path):
    # a folder where the page must go: the page cannot be written, the run still finishes with its report
    run_id = "20991231T000000Z-page"
    out = tmp_path / "data"
    (out / run_id / "status.html").mkdir(parents=True)
    proc = run_cli("crawl", "--registry", str(corpus["registry"]), "--allow-private", "--out", str(out), "--json",
                   "--site", "heza", *FAST, "-s", f"PARTYNEWS_RUN_ID={run_id}",
                   "-s", "RETRY_ENABLED=0")
    report = json.loads((out / run_id / "report.json").read_text(encoding="utf-8"))
    assert report["finish_reason"] == "finished"
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    assert "could not write the status page" in proc.stderr
