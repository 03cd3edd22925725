"""The bundled offline Arabic news site used by `raqib demo`, the crawl tests and the benchmark.

Two fictional outlets (النيل اليوم, an Egyptian-style daily; صدى الخليج, a Gulf portal) with RSS, Atom,
JSON Feed, Google News sitemaps, paginated section listings, robots.txt and article pages shaped like
real Arabic news sites, plus the traps a crawler must survive. `expected_pages()` says what a correct
crawl does with each linked URL. Nothing starts at import time.

    with DemoSite(slow_seconds=3) as site:
        site.write_sources(tmp / "sources.yaml", download_timeout=1.0)
        ...  # crawl site.base_url
        assert site.other_requests == []
"""

from .manifest import ExpectedPage, expected_pages
from .model import DATED_AS_OF
from .server import DemoSite, RequestRecord

__all__ = ["DATED_AS_OF", "DemoSite", "ExpectedPage", "RequestRecord", "expected_pages"]
