"""A spider that fetches nothing: it hands the pages archived in a run's WARC file to the item pipelines, in
their original order, for `partynews reprocess RUN_DIR`."""
from __future__ import annotations

from pathlib import Path

import scrapy

from crawler.items import PageItem
from pipelines.warc_archive import iter_pages


class WarcReplaySpider(scrapy.Spider):
    name = "warc_replay"

    def __init__(self, run_dir=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not run_dir:
            raise ValueError("warc_replay needs -a run_dir=OUT/<run-id>")
        self.run_dir = Path(run_dir)
        self.sites = []

    async def start(self):
        for page in iter_pages(self.run_dir):
            self.crawler.stats.inc_value("partynews/replayed_pages")
            yield PageItem(**page)
