"""The demo site lives in the present: dated for the day it runs on, consistently everywhere.

A new user's first `raqib demo` must show healthy sources, so the site's newest stories are from the
day before it runs, whatever that day is; the other crawl tests pin the site to `DATED_AS_OF`, the day
articles.yaml is written for, and check its fixed dates.
"""

from __future__ import annotations

import re
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import lxml.html
import pytest

from crawler.dates import parse_arabic_date
from crawler.demo_site import DATED_AS_OF, DemoSite, expected_pages
from crawler.demo_site.model import load_content
from crawler.demo_site.pages import WEEKDAYS_AR, styled_date, visible_date

# The day the file is written for, a leap day, a day in another Hijri year (Ramadan 1452 spans
# 2031's January-February), a year's first day, and today.
DAYS = [DATED_AS_OF, date(2028, 2, 29), date(2031, 2, 3), date(2030, 1, 1), datetime.now(UTC).date()]
URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - the local demo site
        return resp.read()


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_the_newest_stories_are_from_the_day_before_and_none_is_in_the_future(today: date) -> None:
    written, content = load_content(DATED_AS_OF), load_content(today)
    assert content.today == today
    for before, after in zip(written.entries, content.entries, strict=True):
        assert after.published - before.published == today - DATED_AS_OF, after.id
        assert after.published.utcoffset() == before.published.utcoffset(), after.id
    newest = max(e.published for e in content.entries)
    assert newest.date() == today - timedelta(days=1)
    midnight = datetime.combine(today, time(0), tzinfo=UTC)
    assert all(e.published < midnight for e in content.entries), "a story from the future"
    oldest = min(e.published for e in content.entries)
    assert 60 <= (today - oldest.date()).days <= 120, "a realistic spread: weeks of news, a few old stories"


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_visible_only_dates_read_back_as_the_published_day(today: date) -> None:
    """Pages whose only date is the visible text (weekday, Levantine, Maghrebi, Hijri styles) show the
    day the feeds and the manifest give, in words the extractor reads back to that day."""
    styled = [e for e in load_content(today).entries if e.date_style]
    assert {e.date_style for e in styled} == {"weekday", "levant", "maghreb", "hijri"}
    for e in styled:
        shown = visible_date(e)
        assert shown.split()[0] == WEEKDAYS_AR[e.published.weekday()], (e.id, shown)
        parsed = parse_arabic_date(shown)
        assert parsed is not None and parsed.value.date() == e.published.date(), (e.id, shown)
        if e.date_style == "hijri":
            assert parsed.calendar == "hijri" and shown.endswith("هـ"), shown


def test_the_styles_as_written() -> None:
    assert styled_date(date(2024, 3, 17), "weekday") == "الأحد 17 مارس 2024"
    assert styled_date(date(2024, 1, 16), "levant") == "الثلاثاء 16 كانون الثاني 2024"
    assert styled_date(date(2023, 12, 15), "maghreb") == "الجمعة 15 دجنبر 2023"
    assert styled_date(date(2024, 3, 14), "hijri") == "الخميس 4 رمضان 1445 هـ"


def test_a_site_running_on_another_day_agrees_with_itself() -> None:
    today = date(2031, 2, 3)
    yesterday = today - timedelta(days=1)
    with DemoSite(slow_seconds=0.5, today=today) as site:
        assert site.today == today
        manifest = {p.url: p for p in expected_pages(site.base_url, today=site.today)}
        # Feeds: newest item yesterday, each link's URL date its item's local day, built after them all.
        rss = ET.fromstring(_get(site.base_url + "/nile/rss.xml"))
        built = parsedate_to_datetime(rss.findtext("channel/lastBuildDate"))
        items = rss.findall("channel/item")
        dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
        assert max(dates).date() == yesterday and built >= max(dates)
        for item, when in zip(items, dates, strict=True):
            link = item.findtext("link")
            found = URL_DATE.search(urlsplit(link).path)
            assert found and date(*map(int, found.groups())) == when.date(), link
        # News sitemap: the same days, and the manifest agrees on every URL it lists.
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "n": "http://www.google.com/schemas/sitemap-news/0.9"}
        sitemap = ET.fromstring(_get(site.base_url + "/sada/sitemap-news.xml"))
        listed = {
            u.findtext("s:loc", namespaces=ns): datetime.fromisoformat(u.findtext("n:news/n:publication_date", namespaces=ns))
            for u in sitemap.findall("s:url", ns)
        }
        assert max(listed.values()).date() == yesterday
        for url, when in listed.items():
            page = manifest[url]
            if page.published:
                assert page.published == when.date().isoformat(), url
        # Article pages: the machine-readable date is the manifest's; the visible-only ones show theirs.
        content = load_content(today)
        for trap in ("visible_date", "visible_date_levant", "visible_date_maghreb", "hijri_date"):
            entry = next(e for e in content.entries if e.trap == trap)
            page = next(p for p in manifest.values() if p.trap == trap)
            doc = lxml.html.fromstring(_get(page.url))
            assert visible_date(entry) in doc.xpath("string(//*[contains(@class,'published')])"), trap
            assert page.published == entry.published.date().isoformat()
        stored = next(p for p in manifest.values() if p.expect == "stored" and URL_DATE.search(p.url) and p.trap == "")
        doc = lxml.html.fromstring(_get(stored.url))
        (meta,) = doc.xpath("//meta[@property='article:published_time']/@content")
        assert meta.startswith(stored.published)
        home = _get(site.base_url + "/nile/").decode()
        assert f"{WEEKDAYS_AR[today.weekday()]}، 3 فبراير 2031" in home and "© 2031" in home


def test_by_default_the_site_runs_today() -> None:
    before = datetime.now(UTC).date()
    site = DemoSite()
    assert before <= site.today <= datetime.now(UTC).date()
