"""Scrapy settings: the single source of configuration. Defaults suit unattended nightly crawls of small
government servers: robots.txt obeyed, AutoThrottle on, two requests at a time per domain, a descriptive
User-Agent. Override any of them with `partynews crawl -s NAME=VALUE` or `scrapy crawl -s NAME=VALUE`."""

BOT_NAME = "partynews"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "partynews/0.1 (research text-corpus crawler; robots.txt obeyed; low request rate)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5              # each delay varies by ±50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 8
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False           # no listening port on an unattended machine
LOG_LEVEL = "INFO"
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"     # drops are counted in the report, not logged one by one
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.PrivateAddressGuard": 50,
    "crawler.middlewares.SiteStats": 950,
}
ITEM_PIPELINES = {
    "pipelines.scrapy_pipelines.ExtractPipeline": 100,
    "pipelines.scrapy_pipelines.DedupPipeline": 200,
    "pipelines.scrapy_pipelines.ValidatePipeline": 300,
    "pipelines.scrapy_pipelines.StatePipeline": 400,
    "pipelines.scrapy_pipelines.JsonlWriterPipeline": 500,
}
EXTENSIONS = {
    "crawler.report.RunReport": 900,
}

# partynews's own settings
PARTYNEWS_OUT = "data"                 # output folder; each run writes <out>/<run-id>/
PARTYNEWS_RUN_ID = None                # set by `partynews crawl`; generated when unset
PARTYNEWS_STATE = None                 # crawl state SQLite file; default <out>/state.sqlite
PARTYNEWS_REGISTRY = None              # another sites.yaml instead of the bundled one
PARTYNEWS_ALLOW_PRIVATE = False        # fetch loopback/private addresses (tests, local mirrors)
PARTYNEWS_MIN_WORDS = 60               # shorter articles are dropped as too_short
PARTYNEWS_FOLD_TONE_MARKS = False      # store text with one tone-placement convention (hòa/thủy)
PARTYNEWS_MAX_LISTING_PAGES = 50       # listing pages followed per site and run
