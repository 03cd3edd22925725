"""Generic listing spider: section pages, article links by pattern, pagination to a depth."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.spiders.base import SourceSpider

# Link texts outlets use for "next page", in Arabic, French and English.
NEXT_TEXTS = re.compile(r"^\s*(التالي|الصفحة التالية|التالية|المزيد|suivant|next|older|»|›|>>)\s*[»›]?\s*$", re.I)


class ListingSpider(SourceSpider):
    name = "listing"
    kind = "listing"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.page_request(url, self.parse_listing, page=1)

    async def parse_listing(self, response: Response, page: int) -> AsyncIterator[Any]:
        if not isinstance(response, TextResponse):
            self.report_page_problem(response.url, "not_html", "listing page is not HTML")
            self.poll_parsed(response, ok=False)
            return
        pattern = re.compile(self.source.link_pattern)
        links = [response.urljoin(h.strip()) for h in response.css("a::attr(href)").getall()]
        articles = [u for u in links if pattern.search(u)]
        found = len(articles)
        listed = await self.prefetch_known(articles)
        self.poll_parsed(response, ok=found > 0, listed=listed)
        for url in articles:
            for request in self.article_requests(url, from_page=response.url):
                yield request
        self.crawler.stats.inc_value("raqib/listing/pages")
        if not found:
            self.report_page_problem(response.url, "no_links", "no link matched the source's link_pattern")
        if page >= self.source.max_pages:
            return
        next_url = self._next_page(response)
        if next_url:
            yield self.page_request(next_url, self.parse_listing, page=page + 1)

    @staticmethod
    def _next_page(response: TextResponse) -> str | None:
        href = response.css('link[rel="next"]::attr(href), a[rel~="next"]::attr(href)').get()
        if not href:
            for anchor in response.css("a[href]"):
                if NEXT_TEXTS.match(" ".join(anchor.css("::text").getall())):
                    href = anchor.attrib["href"]
                    break
        return response.urljoin(href) if href else None
