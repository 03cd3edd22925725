"""Scrapy settings for Raqib: every knob once, with its default and why.

Values can be overridden per run (``scrapy crawl feed -s KEY=VALUE``), by the ``raqib crawl`` command,
and per source (``politeness`` in sources.yaml) for delay, timeout and concurrency.
"""

import os

BOT_NAME = "raqib"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- identity and politeness -------------------------------------------------------------------
# Outlets' admins should be able to see who we are and how to reach us.
USER_AGENT = os.environ.get(
    "RAQIB_USER_AGENT",
    "Raqib/0.1 (+https://github.com/raqib-monitor/raqib; Arabic news monitor for AML/CFT research)",
)
ROBOTSTXT_OBEY = True
# AutoThrottle adapts the delay to each server's latency; the start delay is the floor between two
# requests to one site until it has measured.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 0.5
CONCURRENT_REQUESTS = 16
# News sites are small operations; a handful of parallel requests per site is plenty.
CONCURRENT_REQUESTS_PER_DOMAIN = 4

# --- robustness ---------------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
# Arabic article pages are 50–500 KB; anything over 10 MB is not an article.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
# 404/410 reach the spider so the page is remembered as gone instead of being fetched every crawl.
HTTPERROR_ALLOWED_CODES = [404, 410]
# Scrapy starts this many tasks for every callback's output; an article callback yields one item, so
# the default of 100 only costs the reactor thread time the worker processes need.
CONCURRENT_ITEMS = 16
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("RAQIB_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt: a refused URL is recorded with its reason and never even asked about.
    "crawler.middlewares.UrlGuardMiddleware": 40,
    "crawler.middlewares.SkipStoredMiddleware": 45,
    # Feeds, sitemaps and listing pages are asked whether they changed (If-None-Match/If-Modified-Since).
    "crawler.middlewares.ConditionalGetMiddleware": 50,
    # Replaced by the guard above, which also records why; Scrapy's filters offsite requests when they
    # are scheduled, silently.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # Same behaviour, without decoding every article page in the crawl process to find out.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.QuickMetaRefreshMiddleware": 580,
    # Sources carry no credentials.
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
}
ITEM_PIPELINES = {
    "crawler.pipelines.extract.ExtractPipeline": 100,
    "crawler.pipelines.language.LanguagePipeline": 200,
    "crawler.pipelines.dedup.DedupPipeline": 300,
    "crawler.pipelines.classify.ClassifyPipeline": 400,
    "crawler.pipelines.store.StorePipeline": 500,
}

# --- Raqib ------------------------------------------------------------------------------------------
# Where sources come from and where articles go; None means the defaults (config/sources.yaml, and
# RAQIB_DATABASE_URL or the SQLite file in the data directory).
RAQIB_SOURCES_FILE = os.environ.get("RAQIB_SOURCES_FILE") or None
RAQIB_DATABASE_URL = None
# Set by `raqib crawl` so every spider of one run reports into one crawl_runs row.
RAQIB_CRAWL_RUN_ID = None
# Networks never fetched even when a source allows the host: an SSRF guard for user-supplied feeds.
RAQIB_BLOCKED_NETWORKS = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
]
# Exceptions to the list above (the bundled demo site and tests allow 127.0.0.1 only).
RAQIB_ALLOWED_NETWORKS: list[str] = []
# Article URLs already stored (in any alias form) are not downloaded again; False re-fetches them
# (they are still stored once).
RAQIB_SKIP_STORED = True
# Polls of feeds, sitemaps and listing pages send the validators their last clean parse stored, so an
# unchanged page costs a 304 and no parse; False always fetches them in full.
RAQIB_CONDITIONAL_GET = True
# Languages that are classified; others are stored with their language and left unclassified.
RAQIB_ACCEPTED_LANGUAGES = ["ar", "en", "fr"]
# langdetect is slow on long texts and no more accurate past a couple of thousand characters.
RAQIB_LANGUAGE_PREFIX_CHARS = 2000
# Bodies shorter than this are not articles (a teaser, a video page, an error template).
RAQIB_MIN_TEXT_CHARS = 200
# CPU-bound extraction runs in worker processes so the crawl uses every core.
RAQIB_WORKERS = int(os.environ.get("RAQIB_WORKERS", "0")) or (os.cpu_count() or 1)
# Articles are written in batches: one transaction per batch, not per article.
RAQIB_STORE_BATCH_SIZE = 50
RAQIB_STORE_FLUSH_SECONDS = 2.0
# A batch the database refuses after three retries is written here as JSON lines (None: the data
# directory's spill/ folder), so nothing is lost; its pages are fetched again by the next crawl.
RAQIB_SPILL_DIR = None
# Page chrome (crawler/chrome/): blocks that recur on this many distinct stories of one host are the
# outlet's template (ticker, most-read box, footer) and are removed from every later page.
RAQIB_CHROME_LEARN = True
RAQIB_CHROME_TEMPLATE_THRESHOLD = 3
# Custom rules folder for the classify stage (None: the packaged rule packs).
RAQIB_RULES_DIR = None
