"""Generated article pages for the crawl benchmark: many distinct, realistic pages, cheap to produce.

Page *i* is a pure function of *i* (and the day the site started), so two runs serve the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from .model import Entry, SiteContent
from .pages import Renderer

CITIES = ("القاهرة", "دبي", "الرياض", "الرباط", "عمّان", "بيروت", "الكويت", "الدوحة", "تونس", "مسقط")


class BenchPages:
    def __init__(
        self, content: SiteContent, renderer: Renderer, count: int, now: datetime | None = None
    ) -> None:
        self.count = count
        self.renderer = renderer
        now = now or datetime.now(UTC)
        self.day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Dates spread over the part of today already past, so none is in the future.
        self.seconds_today = max(1, int((now - self.day_start).total_seconds()))
        sources = [e for e in content.entries if e.kind == "article" and e.language == "ar" and not e.same_as]
        self.templates = sorted(sources, key=lambda e: e.id)
        self.pool = [p for e in self.templates for p in e.paragraphs[1:]]
        self._sitemap: bytes | None = None
        self._bulk = self._chrome_bulk(content)
        # Rendered pages, kept: the benchmark measures the crawler, and the site's own rendering
        # (in the benchmark's process, on the same cores) should cost it nothing the second time.
        self._pages: dict[int, bytes] = {}

    def path(self, i: int) -> str:
        return f"/bench/article/{i}.html"

    def _lead(self, i: int) -> tuple[Entry, str]:
        return self.templates[i % len(self.templates)], CITIES[(i // len(self.templates)) % len(CITIES)]

    def title(self, i: int) -> str:
        lead, city = self._lead(i)
        return f"{lead.title} - {city}"

    def published(self, i: int) -> datetime:
        return self.day_start + timedelta(seconds=(i * 37) % self.seconds_today)

    def entry(self, i: int) -> Entry:
        rng = random.Random(i)
        lead, city = self._lead(i)
        extra = rng.sample(self.pool, 2)
        closing = f"ويحمل هذا التقرير الرقم المرجعي {i} في أرشيف الموقع، وأُعدّ بمساهمة مكتبنا في {city}."
        paragraphs = [*lead.paragraphs[:3], *extra, closing]
        return replace(
            lead,
            id=f"bench-{i}",
            outlet="nile" if i % 2 == 0 else "sada",
            slug=f"bench-{i}",
            title=self.title(i),
            text="\n".join(paragraphs),
            published=self.published(i),
            dates=("meta", "jsonld"),
            date_style="",
            encoding="utf-8",
            first_line="",
            comments=lead.comments[:1],
            trap="",
            amp=False,
            print_link=False,
        )

    def page(self, i: int) -> bytes | None:
        if not 0 <= i < self.count:
            return None
        page = self._pages.get(i)
        if page is None:
            entry = self.entry(i)
            page = self.renderer.bench_article(entry, canonical=self.renderer.base + self.path(i), bulk=self._bulk)
            self._pages[i] = page
        return page

    @staticmethod
    def _chrome_bulk(content: SiteContent) -> str:
        """What real outlets put around an article, built once: a nested mega-menu, "latest news"
        cards (image, section, time, headline, teaser) and an inline state blob. Real Arabic news
        pages carry 1,000–3,000 elements of such chrome; trafilatura's cost grows with the element
        count, so without it the benchmark would flatter the crawler (measured: 23–27 ms per real
        28–70 KB page, ~11 ms for a bare article page)."""
        arts = [e for e in content.entries if e.kind == "article" and e.language == "ar"]
        titles = [e.title for e in arts]
        teasers = [e.paragraphs[0][:160] if e.paragraphs else e.title for e in arts]
        menu = "".join(
            f'<li class="menu-item has-children"><a href="/section/{n}"><span>{escape(titles[n % len(titles)][:24])}</span></a>'
            '<ul class="sub-menu">'
            + "".join(f'<li class="menu-item"><a href="/section/{n}/{m}">{escape(titles[(n + m) % len(titles)][:30])}</a></li>' for m in range(6))
            + "</ul></li>"
            for n in range(14)
        )
        cards = "".join(
            f'<div class="card"><a class="card-img" href="/archive/{n}.html"><img src="/static/img/{n}.jpg" alt="" loading="lazy" width="300" height="170"></a>'
            f'<div class="card-body"><span class="card-section">{escape(titles[(n * 7) % len(titles)][:12])}</span>'
            f'<time class="card-time">منذ {n % 23 + 1} ساعة</time>'
            f'<h4 class="card-title"><a href="/archive/{n}.html">{escape(titles[n % len(titles)])}</a></h4>'
            f'<p class="card-teaser">{escape(teasers[n % len(teasers)])}</p></div></div>'
            for n in range(30)
        )
        state = ",".join(f'{{"id":{n},"slot":"ad-{n % 12}","kw":"{escape(titles[n % len(titles)][:40])}"}}' for n in range(150))
        return (
            f'<nav class="mega-menu"><ul class="menu">{menu}</ul></nav>'
            f'<section class="latest-news"><h3>آخر الأخبار</h3><div class="cards">{cards}</div></section>'
            f"<script>window.__STATE__={{\"ads\":[{state}]}};</script>"
        )

    def sitemap(self) -> bytes:
        """A Google News sitemap of every bench page, all dated today (built once, then reused)."""
        if self._sitemap is None:
            base = self.renderer.base
            parts = [
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            ]
            for i in range(self.count):
                parts.append(
                    f"<url><loc>{base}{self.path(i)}</loc><news:news><news:publication>"
                    "<news:name>Raqib bench</news:name><news:language>ar</news:language></news:publication>"
                    f"<news:publication_date>{self.published(i).isoformat()}</news:publication_date>"
                    f"<news:title>{escape(self.title(i))}</news:title></news:news></url>\n"
                )
            parts.append("</urlset>\n")
            self._sitemap = "".join(parts).encode("utf-8")
        return self._sitemap
