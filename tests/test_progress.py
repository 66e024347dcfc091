"""The terminal: the progress line while crawling (on a terminal by itself, elsewhere with --progress, never with
--quiet/--json unless asked), the summary at the end, --help texts, and errors that say what to do. Real crawls of
demo sites served on 127.0.0.x (slowed a little so the crawl outlasts a few progress ticks)."""
from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading

import pytest
import yaml

from corpus_runs import FAST, run_cli
from crawler.cli import demo_registry_entry
from crawler.cli import main as cli_main
from crawler.demo import DEMO_SITES
from crawler.demo.server import find_packs, serve_packs

LINE = re.compile(r"partynews (\d+):(\d\d)  pages (\d+)  articles (\d+)  unchanged (\d+)  drops (\d+)  errors (\d+)"
                  r"  \| (.*)")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("progress")
    packs = [p for p in find_packs(DEMO_SITES) if p.name in ("heza", "ninhbinh-dcs")]
    with serve_packs(packs, first_ip=140, delay=0.01) as served:
        registry = tmp / "sites.yaml"
        registry.write_text(yaml.safe_dump({"sites": [demo_registry_entry(s) for s in served]}, allow_unicode=True),
                            encoding="utf-8")
        yield {"tmp": tmp, "registry": registry, "keys": [s.key for s in served]}


def _args(sites, name: str, *extra: str) -> list[str]:
    out = sites["tmp"] / name
    return ["crawl", "--registry", str(sites["registry"]), "--allow-private", "--out", str(out),
            "--site", ",".join(sites["keys"]), *FAST, "-s", "PARTYNEWS_PROGRESS_INTERVAL=0.2", *extra]


def test_progress_lines_on_request_for_scripts_and_logs(sites):
    proc = run_cli(*_args(sites, "asked", "--json", "--quiet", "--progress"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)          # stdout stays pure JSON: progress goes to stderr
    lines = [m for m in map(LINE.search, proc.stderr.splitlines()) if m]
    assert len(lines) >= 2, proc.stderr[-2000:]
    last = lines[-1]
    assert last.string.endswith("[finished]")
    # the final line's counts are the run's
    assert int(last.group(3)) == report["totals"]["responses"]
    assert int(last.group(4)) == report["totals"]["written"]
    assert int(last.group(6)) == report["totals"]["dropped"]
    for key in sites["keys"]:
        site = report["sites"][key]
        assert f"{key} {site['pages_fetched']}p {site['written']}a {sum(site['dropped'].values())}d" in last.group(8)
    # counts grow, never shrink
    pages = [int(m.group(3)) for m in lines]
    assert pages == sorted(pages)


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal, as in an operator's shell: (exit status, stderr, stdout)."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", *args], stdout=subprocess.PIPE, stderr=slave,
                          stdin=subprocess.DEVNULL, timeout=300)
    os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace"), proc.stdout.decode("utf-8")


def test_on_a_terminal_the_line_is_redrawn_in_place_then_a_clean_summary(sites):
    status, shown, stdout = _on_a_terminal(*_args(sites, "tty"))
    assert status == 0, shown[-3000:]
    assert " INFO: " not in shown          # at a terminal the progress line stands in for Scrapy's INFO log
    assert "\r\x1b[K" in shown and LINE.search(shown), shown[-2000:]
    assert "[finished]\n" in shown.replace("\r\n", "\n")
    # the summary on stdout is plain text, one row per site
    assert "\x1b[" not in stdout
    assert re.match(r"run \S+: finished in [\d.]+s\n", stdout)
    for key in sites["keys"]:
        assert re.search(rf"^  {re.escape(key)}\s+\d+", stdout, re.M)


def test_quiet_and_json_are_silent_even_on_a_terminal(sites):
    status, shown, stdout = _on_a_terminal(*_args(sites, "quiet", "--json", "--quiet"))
    assert status == 0, shown[-3000:]
    assert not LINE.search(shown) and "\x1b[" not in shown, shown[-2000:]
    assert json.loads(stdout)["finish_reason"] == "finished"


def test_help_texts_and_errors_that_say_what_to_do(capsys, tmp_path):
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    top = capsys.readouterr().out
    for command in ("crawl", "export", "report", "sites", "extract"):
        assert command in top
    with pytest.raises(SystemExit):
        cli_main(["crawl", "--help"])
    assert "--progress" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli_main(["export", "--help"])
    assert "examples:" in capsys.readouterr().out
    assert cli_main(["report"]) == 2
    assert "--html" in capsys.readouterr().err
    assert cli_main(["report", str(tmp_path / "missing")]) == 2
    assert str(tmp_path / "missing") in capsys.readouterr().err
    assert cli_main(["report", "--html", str(tmp_path / "x.html"), str(tmp_path / "missing")]) == 2
    assert "partynews crawl --out" in capsys.readouterr().err
