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
# Outputs of one callback processed at once. Scrapy starts this many asyncio tasks for every response, whatever
# it yields; a page here yields one item and a few requests, and 100 (Scrapy's default) tasks cost the crawler's
# thread ~2 ms a page (bench/README.md, part 2c).
CONCURRENT_ITEMS = 16
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # where a request may go and how big an answer may be: each refusal counted (crawler/middlewares.py)
    "crawler.middlewares.PrivateAddressGuard": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.ResolvedAddressGuard": 560,
    "crawler.middlewares.SizeLimitCounter": 561,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.GuardedMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.BoundedHttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.GuardedRedirectMiddleware": 600,
    "crawler.middlewares.SiteStats": 950,
}
TWISTED_DNS_RESOLVER = "crawler.dns_guard.GuardedResolver"   # refuses private addresses after resolution
ITEM_PIPELINES = {
    "pipelines.scrapy_pipelines.WarcArchivePipeline": 50,
    "pipelines.scrapy_pipelines.ExtractPipeline": 100,
    "pipelines.scrapy_pipelines.DedupPipeline": 200,
    "pipelines.scrapy_pipelines.ValidatePipeline": 300,
    "pipelines.scrapy_pipelines.StatePipeline": 400,
    "pipelines.scrapy_pipelines.JsonlWriterPipeline": 500,
}
EXTENSIONS = {
    "crawler.runs.ReconcileKilledRuns": 0,     # a killed run's last records into the state first (crawler/runs.py)
    "crawler.report.RunReport": 900,
    "crawler.progress.Progress": 950,
}
# several workers sharing one crawl through Redis (crawler/redis_frontier.py): does nothing unless
# PARTYNEWS_REDIS_URL is set, which switches to scrapy-redis's scheduler and the Redis crawl state
ADDONS = {"crawler.redis_frontier.RedisAddon": 0}

# partynews's own settings
PARTYNEWS_OUT = "data"                 # output folder; each run writes <out>/<run-id>/
PARTYNEWS_RUN_ID = None                # set by `partynews crawl`; generated when unset
PARTYNEWS_STATE = None                 # crawl state SQLite file; default <out>/state.sqlite
PARTYNEWS_REGISTRY = None              # another sites.yaml instead of the bundled one
PARTYNEWS_ALLOW_PRIVATE = False        # fetch loopback/private addresses (tests, local mirrors)
PARTYNEWS_MAX_RETRY_AFTER = 60         # longest Retry-After (s) waited for before a retry; longer: no retry
PARTYNEWS_MIN_WORDS = 60               # shorter articles are dropped as too_short
PARTYNEWS_FOLD_TONE_MARKS = False      # store text with one tone-placement convention (hòa/thủy)
PARTYNEWS_MAX_LISTING_PAGES = 50       # listing pages followed per site and run
PARTYNEWS_DISK_QUEUE = True            # pending requests on disk in <run>/scrapy-job (JOBDIR), removed after the run
# duplicates across runs and sites (pipelines/near_dup.py; the index lives in the state file)
PARTYNEWS_NEAR_DUP_THRESHOLD = 0.8     # MinHash Jaccard similarity of word 5-shingles that makes a near duplicate
PARTYNEWS_NEAR_DUP_ACTION = "flag"     # flag: written with near_duplicate_of; drop: counted as near_duplicate
# nightly runs
PARTYNEWS_INCREMENTAL = True           # skip articles the state already holds (False: fetch everything again)
PARTYNEWS_STOP_AFTER_KNOWN = 20        # a listing stops after this many consecutive known articles (0: never)
PARTYNEWS_REVISIT_DAYS = 7             # known articles published this recently are revisited (conditional GET)
PARTYNEWS_RECHECK_DROPPED_DAYS = 30    # a page dropped as not an article is fetched again after this long
PARTYNEWS_GZIP = False                 # write articles.jsonl.gz instead of articles.jsonl
PARTYNEWS_STATE_BATCH = 200           # state and dedup-index writes per SQLite transaction (1: each its own)
PARTYNEWS_STATE_BATCH_SECONDS = 2.0    # ... or fewer, committed once the batch is this old; --resume redoes a lost one
PARTYNEWS_WARC = True                  # archive the pages handed to the pipelines in <run>/pages.warc.gz
PARTYNEWS_MAX_ERROR_RATE = 0.5         # a site whose failed fetches exceed this share makes the exit status 3
# extraction off the reactor thread (pipelines/extract_pool.py)
PARTYNEWS_EXTRACT_WORKERS = None       # worker processes; None = the usable cores; 0 = inline on the reactor thread
PARTYNEWS_EXTRACT_TIMEOUT = 60         # seconds per page; past it the worker is replaced, the page dropped
PARTYNEWS_EXTRACT_MAX_PENDING = 0      # pages in the pool at most (back-pressure); 0 = 2 per worker
PARTYNEWS_EXTRACT_MAX_TASKS = 0        # pages per worker before it is replaced; 0 = never
PARTYNEWS_EXTRACT_FUNCTION = "pipelines.core.clean_page"   # the cleaning function (dotted path)
# the operator's view (crawler/progress.py, crawler/status_page.py)
PARTYNEWS_PROGRESS = "auto"            # progress line on stderr: auto (when stderr is a terminal), true, false
PARTYNEWS_PROGRESS_INTERVAL = 2.0      # seconds between progress lines
PARTYNEWS_STATUS_PAGE = True           # write <run>/status.html (every run of the folder) after each run
# several machines (`partynews crawl --redis URL`, crawler/redis_frontier.py, pipelines/state_redis.py)
PARTYNEWS_REDIS_URL = None             # redis://HOST:PORT/DB: shared queue, duplicate filter and crawl state
PARTYNEWS_REDIS_PREFIX = "partynews"   # prefix of every Redis key
PARTYNEWS_REDIS_CRAWL = None           # the shared crawl's name; default: made from the crawled sites
PARTYNEWS_REDIS_IDLE_CLOSE = 10        # a worker stops once nothing is queued or in flight for this long (s)
PARTYNEWS_REDIS_WORKER_TTL = 15        # a worker silent this long (s) is dead: its in-flight requests are requeued
PARTYNEWS_REDIS_DOMAIN_INTERVAL = None # seconds between two requests to a host across workers; None: DOWNLOAD_DELAY
