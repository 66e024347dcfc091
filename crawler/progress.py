"""Progress while crawling: a Scrapy extension that writes one status line to stderr every few seconds.

    partynews 0:42  pages 312  articles 57  drops 9  errors 3  | anhp 80p 15a 2d  heza 64p 12a 1d ...

On a terminal the line is redrawn in place (and cut to the terminal's width), unless Scrapy's INFO log goes to the
same terminal; otherwise one line per update.
Settings: PARTYNEWS_PROGRESS = "auto" (default: only when stderr is a terminal), true (always) or false
(never; `partynews crawl --quiet` and `--json` set it unless `--progress` is given);
PARTYNEWS_PROGRESS_INTERVAL = seconds between updates (default 2).
"""
from __future__ import annotations

import logging
import shutil
import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured

_SITE = "partynews/site/"


def progress_enabled(value, stream) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "auto").strip().lower()
    if text in ("1", "true", "yes", "on", "always"):
        return True
    if text in ("0", "false", "no", "off", "never", ""):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def summarize(stats: dict, site_keys: list[str]) -> dict:
    """Counts for the progress line: totals and per site (pages fetched, articles written, drops)."""
    sites = {key: {"pages": 0, "articles": 0, "drops": 0} for key in site_keys}
    for name, value in stats.items():
        if not name.startswith(_SITE) or not isinstance(value, (int, float)):
            continue
        key, _, counter = name[len(_SITE):].partition("/")
        entry = sites.setdefault(key, {"pages": 0, "articles": 0, "drops": 0})
        if counter == "pages_fetched":
            entry["pages"] = value
        elif counter == "written":
            entry["articles"] = value
        elif counter.startswith("dropped/"):
            entry["drops"] += value
    return {
        "pages": stats.get("downloader/response_count", 0),
        "articles": stats.get("partynews/written", 0),
        "unchanged": stats.get("partynews/articles/unchanged", 0),
        "drops": sum(v for k, v in stats.items() if k.startswith("partynews/dropped/") and isinstance(v, (int, float))),
        "errors": sum(v for k, v in stats.items() if k.startswith("partynews/errors/") and isinstance(v, (int, float))),
        "sites": sites,
    }


def format_line(counts: dict, elapsed: float) -> str:
    minutes, seconds = divmod(int(elapsed), 60)
    head = (f"partynews {minutes}:{seconds:02d}  pages {counts['pages']}  articles {counts['articles']}  "
            f"unchanged {counts['unchanged']}  drops {counts['drops']}  errors {counts['errors']}")
    per_site = "  ".join(f"{key} {s['pages']}p {s['articles']}a {s['drops']}d" for key, s in counts["sites"].items())
    return head + (f"  | {per_site}" if per_site else "")


def _logs_to_stderr(settings) -> bool:
    if not settings.getbool("LOG_ENABLED", True) or settings.get("LOG_FILE"):
        return False
    level = settings.get("LOG_LEVEL", "INFO")
    level = logging.getLevelName(str(level).upper()) if not isinstance(level, int) else level
    return isinstance(level, int) and level <= logging.INFO


class Progress:
    def __init__(self, crawler, stream, interval: float, tty: bool):
        self.crawler, self.stream, self.interval, self.tty = crawler, stream, interval, tty
        self.task = None
        self.started = time.monotonic()
        self.lines = 0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        stream = sys.stderr
        if not progress_enabled(crawler.settings.get("PARTYNEWS_PROGRESS", "auto"), stream):
            raise NotConfigured
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        # redrawn in place only when no log lines land on the same terminal (they would be glued to it)
        tty = tty and not _logs_to_stderr(crawler.settings)
        return cls(crawler, stream, max(0.1, crawler.settings.getfloat("PARTYNEWS_PROGRESS_INTERVAL", 2.0)), tty)

    def spider_opened(self, spider):
        from twisted.internet import task

        self.spider = spider
        self.started = time.monotonic()
        self.task = task.LoopingCall(self.tick)
        self.task.start(self.interval, now=False)

    def line(self) -> str:
        keys = [s.key for s in getattr(getattr(self, "spider", None), "sites", [])]
        return format_line(summarize(dict(self.crawler.stats.get_stats()), keys), time.monotonic() - self.started)

    def _write(self, text: str, final: bool = False) -> None:
        try:
            if self.tty:
                width = shutil.get_terminal_size((120, 20)).columns
                if len(text) >= width and not final:
                    text = text[:width - 2] + "…"
                self.stream.write("\r\x1b[K" + text + ("\n" if final else ""))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
            self.lines += 1
        except (OSError, ValueError):  # a closed or broken stderr must not break the crawl
            pass

    def tick(self) -> None:
        self._write(self.line())

    def spider_closed(self, spider, reason):
        if self.task is not None and self.task.running:
            self.task.stop()
        self._write(self.line() + f"  [{reason}]", final=True)
