"""Test-only cleaning function for tests/test_extract_pool.py, named by the crawl's PARTYNEWS_EXTRACT_FUNCTION
setting (this folder is put on PYTHONPATH): the real cleaning core, except on a page carrying one of the markers
below, where the worker process dies (os._exit, as a segfault or an out-of-memory kill would) or hangs."""
from __future__ import annotations

import os
import time

from pipelines.core import clean_page as real_clean_page

CRASH = b"<!-- partynews-test: crash the worker -->"
HANG = b"<!-- partynews-test: hang the worker -->"


def clean_page(body, url, headers=None, site=None, options=None):
    if CRASH in body:
        os._exit(70)
    if HANG in body:
        time.sleep(3600)
    return real_clean_page(body, url, headers, site, options)
