"""The quick meta-refresh middleware redirects exactly where Scrapy's would, and skips the rest cheaply."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import QuickMetaRefreshMiddleware

PAGE = '<html><head>{meta}<title>خبر</title></head><body><p>{body}</p></body></html>'
REFRESH = '<META HTTP-EQUIV="Refresh" CONTENT="0; url=/ar/news/2024/story.html">'


@pytest.fixture
def middleware() -> QuickMetaRefreshMiddleware:
    return QuickMetaRefreshMiddleware.from_crawler(get_crawler())


def _response(html: str, encoding: str = "utf-8") -> tuple[Request, HtmlResponse]:
    url = "http://127.0.0.1:8000/ar/go"
    request = Request(url)
    headers = {"Content-Type": f"text/html; charset={encoding}"}
    return request, HtmlResponse(url, body=html.encode(encoding), headers=headers, request=request)


@pytest.mark.parametrize("encoding", ["utf-8", "windows-1256", "utf-16"])
def test_a_refresh_tag_redirects_in_any_encoding(middleware: QuickMetaRefreshMiddleware, encoding: str) -> None:
    request, response = _response(PAGE.format(meta=REFRESH, body="تحويل"), encoding)
    result = middleware.process_response(request, response)
    assert isinstance(result, Request)
    assert result.url == "http://127.0.0.1:8000/ar/news/2024/story.html"


def test_a_page_without_the_tag_passes_through_untouched(middleware: QuickMetaRefreshMiddleware) -> None:
    request, response = _response(PAGE.format(meta="", body="نص المقال " * 5000))
    assert middleware.process_response(request, response) is response


def test_the_word_alone_in_the_text_does_not_redirect(middleware: QuickMetaRefreshMiddleware) -> None:
    # The byte search is only a pre-check: Scrapy's parser still decides.
    request, response = _response(PAGE.format(meta="", body="Press F5 to refresh"))
    assert middleware.process_response(request, response) is response


def test_the_crawl_settings_use_it_instead_of_scrapys() -> None:
    from crawler.run import build_settings

    mws = build_settings({}).getwithbase("DOWNLOADER_MIDDLEWARES")
    assert mws["crawler.middlewares.QuickMetaRefreshMiddleware"] == 580
    assert mws["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
