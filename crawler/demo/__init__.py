"""The demo: site packs served as live local web sites (`crawler.demo.server`) and crawled by `partynews demo`.

`DEMO_SITES` holds the packs shipped for the demo, one folder per site in the gold-set format
(`site.yaml` + `pages/<name>.html` + `pages/<name>.json`, see tests/gold/README.md).
"""
from pathlib import Path

DEMO_SITES = Path(__file__).parent / "sites"

__all__ = ["DEMO_SITES"]
