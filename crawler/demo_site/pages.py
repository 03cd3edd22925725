"""Renders the demo site's pages, feeds and sitemaps from `SiteContent` with the package's Jinja2 templates."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, StrictUndefined

from .links import SiteLinks
from .model import Entry, Outlet, SiteContent

MONTHS_AR = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# The same months as Levantine and Moroccan outlets name them, and the Hijri months.
MONTHS_LEVANT = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)
MONTHS_MAGHREB = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "ماي",
    "يونيو",
    "يوليوز",
    "غشت",
    "شتنبر",
    "أكتوبر",
    "نونبر",
    "دجنبر",
)
MONTHS_HIJRI = (
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
)
WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
PAGE_SIZE = 3  # teasers per listing page: small, so that sections really paginate

LABELS = {
    "ar": {
        "home": "الرئيسية",
        "most_read": "الأكثر قراءة",
        "related": "أخبار ذات صلة",
        "latest": "آخر الأخبار",
        "comments": "التعليقات",
        "add_comment": "أضف تعليقك",
        "send": "إرسال",
        "ago": "منذ ساعتين",
        "share": "شارك",
        "print": "طباعة",
        "next": "التالي",
        "prev": "السابق",
        "breaking": "عاجل",
        "ad": "إعلان",
        "by": "بقلم",
        "tags": "الوسوم",
        "read_also": "اقرأ أيضاً",
        "newsletter": "اشترك في النشرة البريدية",
        "subscribe": "اشترك",
        "search": "ابحث في الموقع",
        "epaper": "العدد الورقي",
        "contact": "اتصل بنا",
        "about": "من نحن",
        "sections": "الأقسام",
        "prayer": "مواقيت الصلاة",
        "archive_photo": "صورة أرشيفية",
        "cookies": "يستخدم هذا الموقع ملفات تعريف الارتباط لتحسين تجربتك.",
        "accept": "موافق",
    },
}
LABELS["fa"] = LABELS["ar"] | {
    "most_read": "پربازدیدترین",
    "related": "اخبار مرتبط",
    "comments": "نظرات",
    "add_comment": "نظر خود را بنویسید",
    "share": "اشتراک‌گذاری",
    "by": "نویسنده",
    "read_also": "بیشتر بخوانید",
    "archive_photo": "عکس آرشیوی",
}
LABELS["en"] = LABELS["ar"] | {
    "home": "Home",
    "most_read": "Most read",
    "related": "Related stories",
    "comments": "Comments",
    "add_comment": "Add your comment",
    "share": "Share",
    "by": "By",
    "read_also": "Read also",
    "archive_photo": "File photo",
}
LOCALES = {"ar": "ar_AR", "fa": "fa_IR", "en": "en_US"}

# How each encoding trap declares itself: (bytes codec, HTTP Content-Type, <meta> style, <meta> label).
ENCODING_PLANS = {
    "utf-8": ("utf-8", "text/html; charset=utf-8", "meta", "utf-8"),
    "cp1256-declared-utf8": ("cp1256", "text/html; charset=utf-8", "http-equiv", "utf-8"),
    "cp1256-declared-latin1": ("cp1256", "text/html; charset=iso-8859-1", "", ""),
    "cp1256-undeclared": ("cp1256", "text/html", "", ""),
    "iso-8859-6": ("iso-8859-6", "text/html; charset=iso-8859-6", "meta", "iso-8859-6"),
}


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str


def styled_date(d: date, style: str) -> str:
    """A day as pages that show no machine-readable date write it, e.g. «الخميس 4 رمضان 1445 هـ»."""
    weekday = WEEKDAYS_AR[d.weekday()]
    if style == "hijri":
        from hijridate import Gregorian  # Umm al-Qura, the table the extractor reads Hijri dates with

        h = Gregorian(d.year, d.month, d.day).to_hijri()
        return f"{weekday} {h.day} {MONTHS_HIJRI[h.month - 1]} {h.year} هـ"
    months = {"levant": MONTHS_LEVANT, "maghreb": MONTHS_MAGHREB}.get(style, MONTHS_AR)
    return f"{weekday} {d.day} {months[d.month - 1]} {d.year}"


def visible_date(e: Entry) -> str:
    """The date as a reader sees it; the style differs per outlet and language, like real sites."""
    d = e.published
    if e.date_style:
        return styled_date(d.date(), e.date_style)
    if e.language == "en":
        return f"{MONTHS_EN[d.month - 1]} {d.day}, {d.year}"
    if e.language == "fa":
        return f"{d:%Y/%m/%d}"
    if e.outlet == "sada":
        return f"{d.day} {MONTHS_AR[d.month - 1]} {d.year} | {d:%H:%M}"
    hour = d.hour % 12 or 12
    meridiem = "ص" if d.hour < 12 else "م"
    return f"{WEEKDAYS_AR[d.weekday()]}، {d.day} {MONTHS_AR[d.month - 1]} {d.year} - {hour:02d}:{d:%M} {meridiem}"


def _iso(e: Entry) -> str:
    return e.published.isoformat()


class Renderer:
    """Turns entries into bytes. Built once per running site (templates are compiled lazily by Jinja)."""

    def __init__(self, content: SiteContent, links: SiteLinks) -> None:
        self.content = content
        self.links = links
        self.base = links.base
        self.env = Environment(
            loader=PackageLoader(__package__, "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=False,
            keep_trailing_newline=True,
        )
        today = content.today
        self.env.globals.update(
            base=self.base,
            path=links.path,
            link=links.path,
            visible_date=visible_date,
            year=today.year,
            today_label=f"{WEEKDAYS_AR[today.weekday()]}، {today.day} {MONTHS_AR[today.month - 1]} {today.year}",
        )
        # The feeds were last built, and the sitemaps last changed, late on the newest stories' day.
        self.built = content.moved(datetime(2024, 3, 17, 23, 0, tzinfo=UTC))

    def url(self, e: Entry) -> str:
        return self.links.url(e)

    # --- HTML pages -------------------------------------------------------------------------------------
    def _outlet(self, e: Entry) -> Outlet:
        return self.content.outlets[e.outlet]

    def _common(self, outlet: Outlet, lang: str = "ar") -> dict:
        by_id = self.content.by_id
        return {
            "outlet": outlet,
            "labels": LABELS[lang],
            "lang": lang,
            "dir": "ltr" if lang == "en" else "rtl",
            "locale": LOCALES[lang],
            "most_read": [by_id[i] for i in outlet.most_read],
            "ticker": [by_id[i] for i in outlet.ticker],
            "charset_meta": "meta",
            "charset_label": "utf-8",
        }

    def _pages_of(self, outlet: str) -> list[Entry]:
        pages = [e for e in self.content.for_outlet(outlet) if e.is_page and e.expect != "duplicate_content"]
        return sorted(pages, key=lambda e: (e.published, e.id), reverse=True)

    def jsonld(self, e: Entry, canonical: str, *, ascii_only: bool = False, compact: bool = False) -> str:
        outlet = self._outlet(e)
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": e.title,
            "description": e.summary,
            "datePublished": _iso(e),
            "dateModified": _iso(e),
            "inLanguage": e.language,
            "articleSection": outlet.sections.get(e.section, e.section),
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            "image": [f"{self.base}/static/img/{e.slug}.jpg"],
            "author": [{"@type": "Person", "name": e.author or outlet.name}],
            "publisher": {
                "@type": "Organization",
                "name": outlet.name,
                "logo": {"@type": "ImageObject", "url": f"{self.base}/static/img/{outlet.key}-logo.png"},
            },
        }
        if compact:
            for key in ("description", "image", "articleSection"):
                del data[key]
        # "</" must not appear inside a <script> element.
        return json.dumps(data, ensure_ascii=ascii_only).replace("</", "<\\/")

    def _breadcrumb_ld(self, e: Entry, ascii_only: bool) -> str:
        outlet = self._outlet(e)
        items = [
            ("الرئيسية", f"{self.base}/{outlet.key}/"),
            (outlet.sections.get(e.section, e.section), f"{self.base}/{outlet.key}/section/{e.section}"),
        ]
        data = {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": name, "item": url}
                for i, (name, url) in enumerate(items, 1)
            ],
        }
        return json.dumps(data, ensure_ascii=ascii_only).replace("</", "<\\/")

    def article(self, e: Entry, *, canonical: str | None = None) -> Rendered:
        outlet = self._outlet(e)
        codec, content_type, meta_style, meta_label = ENCODING_PLANS[e.encoding]
        ascii_only = codec != "utf-8"
        canonical = canonical or self.url(e)
        ctx = self._common(outlet, e.language)
        pages = [p for p in self._pages_of(e.outlet) if p.id != e.id]
        if e.trap == "sidebar":
            # The trap: an unrelated story framed by crypto/terror headlines.
            related = [p for p in ctx["most_read"] if p.id != e.id][:3]
        else:
            related = [p for p in pages if p.section == e.section][:3] or pages[:3]
        ctx.update(
            e=e,
            canonical=canonical,
            section_name=outlet.sections.get(e.section, e.section),
            jsonld=self.jsonld(e, canonical, ascii_only=ascii_only),
            breadcrumb_ld=self._breadcrumb_ld(e, ascii_only),
            related=related,
            latest=pages[:4],
            read_also=next(p for p in ctx["most_read"] if p.id != e.id),
            charset_meta=meta_style,
            charset_label=meta_label,
        )
        html = self.env.get_template("article.html.j2").render(ctx)
        # Chrome characters the legacy charset lacks become character references, as old CMSes emit them.
        return Rendered(html.encode(codec, errors="xmlcharrefreplace"), content_type)

    def _simple(self, template: str, e: Entry) -> Rendered:
        outlet = self._outlet(e)
        ctx = self._common(outlet, e.language)
        ctx.update(
            e=e,
            canonical=self.url(e),
            section_name=outlet.sections.get(e.section, e.section),
            jsonld=self.jsonld(e, self.url(e)),
        )
        html = self.env.get_template(template).render(ctx)
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8")

    def bench_article(self, e: Entry, canonical: str, bulk: str = "") -> bytes:
        """A full article page (the site's whole chrome) plus ``bulk``: the mega-menus and inline
        script blobs that make real Arabic news pages 30–500 KB, so extraction costs what it does
        on a real outlet."""
        html = self.article(e, canonical=canonical).body
        if not bulk:
            return html
        return html.replace(b"</body>", bulk.encode("utf-8") + b"</body>", 1)

    def amp(self, e: Entry) -> Rendered:
        return self._simple("amp.html.j2", e)

    def print_version(self, e: Entry) -> Rendered:
        return self._simple("print.html.j2", e)

    def malformed(self, e: Entry) -> Rendered:
        return self._simple("malformed.html.j2", e)

    def listing(self, outlet_key: str, section: str, page: int) -> Rendered | None:
        outlet = self.content.outlets[outlet_key]
        if section not in outlet.sections:
            return None
        entries = self.content.section_entries(outlet_key, section)
        pages = max(1, math.ceil(len(entries) / PAGE_SIZE))
        if not 1 <= page <= pages:
            return None
        root = f"/{outlet_key}/section/{section}"

        def page_url(n: int) -> str:
            return root if n == 1 else f"{root}?page={n}"

        ctx = self._common(outlet)
        ctx.update(
            title=outlet.sections[section],
            items=entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            page=page,
            pages=pages,
            page_url=page_url,
            prev_url=page_url(page - 1) if page > 1 else "",
            next_url=page_url(page + 1) if page < pages else "",
            canonical=self.base + page_url(page),
        )
        html = self.env.get_template("listing.html.j2").render(ctx)
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8")

    def listing_pages(self, outlet_key: str, section: str) -> int:
        return max(1, math.ceil(len(self.content.section_entries(outlet_key, section)) / PAGE_SIZE))

    def home(self, outlet_key: str) -> Rendered:
        outlet = self.content.outlets[outlet_key]
        ctx = self._common(outlet)
        ctx["sections"] = {key: self.content.section_entries(outlet_key, key)[:2] for key in outlet.sections}
        html = self.env.get_template("home.html.j2").render(ctx)
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8")

    def index(self) -> Rendered:
        html = self.env.get_template("index.html.j2").render(outlets=list(self.content.outlets.values()))
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8")

    def other_host_page(self) -> Rendered:
        published = self.content.moved(datetime.fromisoformat("2024-03-08T10:00:00+04:00"))
        html = self.env.get_template("other_host.html.j2").render(published=published.isoformat())
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8")

    # --- feeds and sitemaps -----------------------------------------------------------------------------
    def _items(self, outlet_key: str, channel: str, entries: list[Entry] | None = None) -> list[dict]:
        outlet = self.content.outlets[outlet_key]
        entries = self.content.listed(outlet_key, channel) if entries is None else entries
        return [
            {
                "entry": e,
                "title": e.title,
                "link": self.links.channel_link(e, channel),
                "pub_date": format_datetime(e.published),
                "iso": _iso(e),
                "summary": e.summary if e.text else e.title,
                "section": outlet.sections.get(e.section, e.section),
                "language": e.language,
            }
            for e in entries
        ]

    def rss(self, outlet_key: str) -> Rendered:
        outlet = self.content.outlets[outlet_key]
        xml = self.env.get_template("rss.xml.j2").render(
            outlet=outlet,
            title=outlet.name,
            self_url=f"{self.base}/{outlet_key}/rss.xml",
            build_date=format_datetime(self.built),
            items=self._items(outlet_key, "rss"),
        )
        return Rendered(xml.encode("utf-8"), "application/rss+xml; charset=utf-8")

    def broken_feed(self, outlet_key: str) -> Rendered:
        """An RSS feed with a raw `&` before the items and a body cut off in the middle of an item."""
        outlet = self.content.outlets[outlet_key]
        listed = self.content.listed(outlet_key, "breaking")
        tail = next(e for e in self.content.listed(outlet_key, "rss") if e not in listed)
        xml = self.env.get_template("rss.xml.j2").render(
            outlet=outlet,
            title="@@TITLE@@",
            self_url=f"{self.base}/{outlet_key}/rss-breaking.xml",
            build_date=format_datetime(self.built),
            items=self._items(outlet_key, "breaking", [*listed, tail]),
        )
        xml = xml.replace("@@TITLE@@", f"{outlet.name} - عاجل & مباشر", 1)
        # Cut inside the last item's title, as a feed generator that died mid-write leaves it.
        cut = xml.rindex("<title>") + len("<title>") + 12
        return Rendered(xml[:cut].encode("utf-8"), "application/rss+xml; charset=utf-8")

    def atom(self, outlet_key: str) -> Rendered:
        outlet = self.content.outlets[outlet_key]
        items = self._items(outlet_key, "atom")
        xml = self.env.get_template("atom.xml.j2").render(
            outlet=outlet,
            self_url=f"{self.base}/{outlet_key}/atom.xml",
            updated=items[0]["iso"] if items else self.built.isoformat(),
            items=items,
        )
        return Rendered(xml.encode("utf-8"), "application/atom+xml; charset=utf-8")

    def json_feed(self, outlet_key: str) -> Rendered:
        outlet = self.content.outlets[outlet_key]
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": outlet.name,
            "home_page_url": f"{self.base}/{outlet_key}/",
            "feed_url": f"{self.base}/{outlet_key}/feed.json",
            "language": "ar",
            "items": [
                {
                    "id": f"{outlet_key}-{item['entry'].id}",
                    "url": item["link"],
                    "title": item["title"],
                    "summary": item["summary"],
                    "date_published": item["iso"],
                    "authors": [{"name": item["entry"].author}] if item["entry"].author else [],
                    "tags": [item["section"]],
                    "language": item["language"],
                }
                for item in self._items(outlet_key, "json")
            ],
        }
        body = json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")
        return Rendered(body, "application/feed+json; charset=utf-8")

    def news_sitemap(self, outlet_key: str, part: int | None = None) -> Rendered | None:
        """A Google News sitemap; with `part`, one half of the outlet's entries (the index lists both)."""
        entries = self.content.listed(outlet_key, "sitemap")
        if part is not None:
            half = math.ceil(len(entries) / 2)
            chunks = {1: entries[:half], 2: entries[half:]}
            if part not in chunks:
                return None
            entries = chunks[part]
        xml = self.env.get_template("sitemap_news.xml.j2").render(
            outlet=self.content.outlets[outlet_key], items=self._items(outlet_key, "sitemap", entries)
        )
        return Rendered(xml.encode("utf-8"), "application/xml; charset=utf-8")

    def sitemap_index(self, outlet_key: str, children: list[str]) -> Rendered:
        lastmod = self.built.isoformat()
        sitemaps = [{"loc": self.base + child, "lastmod": lastmod} for child in children]
        xml = self.env.get_template("sitemap_index.xml.j2").render(sitemaps=sitemaps)
        return Rendered(xml.encode("utf-8"), "application/xml; charset=utf-8")
