"""extract_article on realistic pages written for the project, and on every kind of bad input."""

from __future__ import annotations

import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import pytest

from crawler.extraction import MAX_HTML_BYTES, STATUSES, Extraction, Hints, content_hash, extract_article
from tests.extraction.pages import (
    COMMENTS,
    PARAGRAPHS,
    RELATED_HEADLINES,
    SIDEBAR_HEADLINES,
    TITLE,
    article_page,
)

URL = "https://wahanews.test/news/2024/date-harvest?utm_source=feed"


def extract(html: str, **kwargs) -> Extraction:
    return extract_article(html.encode("utf-8"), URL, "text/html; charset=utf-8", **kwargs)


def test_realistic_page_keeps_the_article_and_drops_the_page_around_it():
    result = extract(article_page())
    assert result.status == "ok", result.error
    assert result.error == ""
    for paragraph in PARAGRAPHS:
        assert paragraph in result.text
    # The sidebar, related stories and comments are on the topic Raqib watches; the article is not.
    for headline in SIDEBAR_HEADLINES + RELATED_HEADLINES:
        assert headline not in result.text
    for comment in COMMENTS:
        assert comment not in result.text
    for word in ("العملات المشفرة", "بيتكوين", "داعش", "الإرهاب"):
        assert word not in result.text
    for boilerplate in ("الأكثر قراءة", "جميع الحقوق محفوظة", "أعلن هنا", "tracker", "الرئيسية"):
        assert boilerplate not in result.text
    assert result.title == TITLE
    assert not result.text.startswith(TITLE), "the headline has its own field"
    assert result.author == "سعاد المرزوقي"
    assert result.sitename == "صحيفة الواحة"
    assert result.description == "انطلاق موسم جني التمور في واحات الجنوب"
    assert result.canonical_url == "https://wahanews.test/news/2024/date-harvest"
    assert result.encoding == "utf-8"
    assert result.content_hash == content_hash(result.text) and len(result.content_hash) == 64


def test_comments_are_dropped_even_when_marked_up_as_article_content():
    comments = "".join(f'<div class="comment"><p>{c}</p></div>' for c in COMMENTS)
    html = article_page(
        paragraphs=[*PARAGRAPHS, f'</div><div id="comments" class="comments-area">{comments}']
    )
    result = extract(html)
    assert result.status == "ok"
    assert all(c not in result.text for c in COMMENTS)


def test_meta_date_wins_and_is_high_confidence():
    result = extract(article_page(meta_date="2024-03-14T19:30:00+03:00", jsonld_date="2024-01-01T00:00:00Z"))
    assert result.published_at == datetime(2024, 3, 14, 16, 30, tzinfo=UTC)
    assert (result.date_source, result.date_confidence) == ("meta", "high")
    assert result.published_at_raw == "2024-03-14T19:30:00+03:00"


def test_jsonld_date():
    result = extract(article_page(jsonld_date="2024-03-14T10:00:00Z"))
    assert result.published_at == datetime(2024, 3, 14, 10, 0, tzinfo=UTC)
    assert (result.date_source, result.date_confidence) == ("jsonld", "high")


def test_feed_date_is_the_fallback_before_visible_text():
    hints = Hints(published_raw="Thu, 14 Mar 2024 08:00:00 +0000")
    result = extract(article_page(), hints=hints)
    assert result.published_at == datetime(2024, 3, 14, 8, 0, tzinfo=UTC)
    assert (result.date_source, result.date_confidence) == ("feed", "high")


def test_visible_arabic_date_under_the_headline_not_the_sidebar_one():
    # The sidebar items carry «13 آذار 2024» and come after the article; the byline says 14 March.
    result = extract(article_page())
    assert result.published_at == datetime(2024, 3, 14, 22, 30, tzinfo=UTC)
    assert (result.date_source, result.date_confidence) == ("visible", "medium")
    assert result.published_at_raw == "14 آذار 2024 - 10:30 م"


def test_visible_hijri_date():
    result = extract(article_page(visible_date="السبت ١٥ رمضان ١٤٤٥ هـ"))
    assert result.published_at == datetime(2024, 3, 25, tzinfo=UTC)
    assert result.date_source == "visible"


def test_trafilatura_year_only_date_is_not_trusted():
    # htmldate turns this byline into 2024-01-01; the extraction must say 15 March.
    result = extract(article_page(visible_date="15 مارس 2024"))
    assert result.published_at == datetime(2024, 3, 15, tzinfo=UTC)


def test_url_date_is_low_confidence():
    html = article_page(visible_date="", canonical="")
    result = extract_article(html.encode(), "https://wahanews.test/2024/03/14/date-harvest", "text/html")
    assert result.published_at == datetime(2024, 3, 14, tzinfo=UTC)
    assert (result.date_source, result.date_confidence) == ("url", "low")


def test_no_date_anywhere():
    html = article_page(visible_date="").replace("13 آذار 2024", "").replace("2024", "")
    result = extract(html)
    assert result.published_at is None
    assert (result.date_source, result.date_confidence) == ("none", "none")


def test_feed_hints_fill_what_the_page_lacks():
    html = article_page(title=None)
    hints = Hints(
        title="عنوان من الخلاصة", author="مراسل الواحة", summary="ملخص من الخلاصة", published_raw="2024-03-14"
    )
    result = extract(
        html.replace('<meta name="description" content="انطلاق موسم جني التمور في واحات الجنوب">', ""),
        hints=hints,
    )
    assert result.status == "ok"
    assert result.title == "عنوان من الخلاصة"
    assert result.description == "ملخص من الخلاصة"
    assert result.author == "سعاد المرزوقي", "the page's own byline beats the feed's author"
    assert result.published_at == datetime(2024, 3, 14, tzinfo=UTC)
    assert result.date_source == "feed"


def test_windows_1256_page_with_wrong_declarations():
    body = article_page(charset="utf-8").encode("cp1256")
    result = extract_article(body, URL, "text/html; charset=iso-8859-1")
    assert result.status == "ok"
    assert result.encoding == "windows-1256"
    assert PARAGRAPHS[0] in result.text
    assert result.title == TITLE


def test_windows_1256_xhtml_with_xml_declaration():
    html = '<?xml version="1.0" encoding="windows-1256"?>\n' + article_page(charset="")
    result = extract_article(html.encode("cp1256"), URL, None)
    assert result.encoding == "windows-1256"
    assert PARAGRAPHS[1] in result.text


def test_same_text_same_hash_whatever_the_whitespace():
    a = extract(article_page())
    b = extract(article_page().replace("</p>", "</p>\n\n   "))
    assert a.content_hash == b.content_hash
    assert content_hash("") == ""


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", "text/html", "empty"),
        (b"   \n\t ", "text/html", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "application/pdf", "not_html"),
        (b"%PDF-1.4\n1 0 obj", "text/html", "not_html"),  # magic bytes beat a lying header
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "not_html"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", "not_html"),
        (b"PK\x03\x04\x14\x00\x06\x00", "application/octet-stream", "not_html"),
        (b'{"items": []}', "application/json", "not_html"),
        (b"<<<<", "text/html", "unparseable"),
        (
            # Only a navigation link: chrome, removed before extraction, so nothing is left.
            b"<html><head><title>x</title></head><body><nav><a href='/'>home</a></nav></body></html>",
            "text/html",
            "empty",
        ),
        (
            b"<html><head><title>x</title></head><body><div><img src='a.png'></div></body></html>",
            "text/html",
            "empty",
        ),
    ],
)
def test_bad_input_gives_a_status_and_a_reason(body, content_type, status):
    result = extract_article(body, URL, content_type)
    assert result.status == status
    assert result.error, "every failure says why"
    assert result.text == "" or status == "too_short"


def test_short_article_is_too_short_but_keeps_what_it_found():
    result = extract(article_page(paragraphs=[PARAGRAPHS[0][:120]]))
    assert result.status == "too_short"
    assert "120" in result.error
    assert result.text and result.title == TITLE
    assert extract(article_page(paragraphs=[PARAGRAPHS[0][:120]]), min_text_chars=50).status == "ok"


def test_malformed_html_is_repaired_not_fatal():
    html = (
        article_page()
        .replace("</p>", "")
        .replace("</div>", "</span></table>")
        .replace("<main>", "<main><<<>>>")
    )
    result = extract(html)
    assert result.status == "ok"
    assert PARAGRAPHS[2][:60] in result.text


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>\x00\x00\x00</body></html>",
        b"<html>" + bytes(range(256)) * 50,
        b"<?xml version='1.0'?><rss></rss>",
        b"\xff\xfe\x00<",
    ],
)
def test_never_raises(body):
    for content_type in (None, "text/html", "text/html; charset=bogus", "application/xhtml+xml"):
        result = extract_article(body, "not a url", content_type)
        assert result.status in STATUSES


def test_huge_page_is_capped_and_bounded_in_time():
    html = article_page(sidebar_size=16_000)  # ~6.5 MB of "most read" links after the article
    body = html.encode("utf-8")
    assert len(body) > 6 * 1024 * 1024
    start = time.perf_counter()
    result = extract_article(body, URL, "text/html")
    elapsed = time.perf_counter() - start
    assert elapsed < 30, f"took {elapsed:.1f}s"
    assert result.status == "ok"
    assert f"first {MAX_HTML_BYTES}" in result.error
    assert PARAGRAPHS[0] in result.text


def test_results_cross_a_process_pool():
    # The crawler runs extraction in a ProcessPoolExecutor: function and result must pickle.
    body = article_page().encode("utf-8")
    with ProcessPoolExecutor(max_workers=1) as pool:
        result = pool.submit(extract_article, body, URL, "text/html", Hints(title="t")).result(timeout=120)
    assert result == pickle.loads(pickle.dumps(result))
    assert result.status == "ok" and PARAGRAPHS[0] in result.text


def test_header_date_of_today_is_not_the_publication_date():
    # Many Arabic sites print today's date in the header; far from the headline it must be ignored.
    html = article_page(visible_date="").replace(
        '<div class="logo">', '<div class="today">الأحد 5 مايو 2024 - 27 شوال 1445</div><div class="logo">'
    )
    html = html.replace("13 آذار 2024", "")
    result = extract(html)
    assert result.status == "ok"
    assert result.published_at is None and result.date_source == "none"
