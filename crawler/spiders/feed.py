"""Generic feed spider: RSS 2.0, Atom and JSON Feed sources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy.http import Response

from crawler.feeds import parse_feed
from crawler.spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.page_request(url, self.parse_feed)

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        feed = parse_feed(response.body, response.url, content_type)
        self.crawler.stats.inc_value(f"raqib/feed/{feed.kind}")
        if feed.problem:
            self.report_page_problem(response.url, "broken_feed", feed.problem)
        listed = await self.prefetch_known([e.url for e in feed.entries], [e.published for e in feed.entries])
        self.poll_parsed(response, ok=not feed.problem, listed=listed)
        for entry in feed.entries:
            for request in self.article_requests(
                entry.url,
                from_page=response.url,
                title=entry.title,
                published=entry.published,
                summary=entry.summary,
                author=entry.author,
                language=entry.language,
            ):
                yield request
