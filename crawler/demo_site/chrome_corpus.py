"""The chrome corpus: pages of six fictional security-news outlets, each story wrapped in its outlet's chrome.

"Judge the story, not the page": a security outlet's chrome (reader comments, «اقرأ أيضاً» lines,
related cards, tickers, most-read boxes, footers) is full of other stories' crypto/terror headlines. Each
`CorpusPage` says which texts of the page are the story and which are chrome, so a chrome remover (and a
template learner working across one outlet's pages) can be measured on it, and the demo site serves the
same pages under `/corpus/<outlet>/…`.

Data: `data/chrome_corpus.yaml` (every text written for Raqib). Templates: `templates/corpus/<style>.html.j2`
(plus `print.html.j2` for print variants). Pages are dated relative to `today`. Nothing runs at import time.

    pages = corpus_pages("http://127.0.0.1:8000")
    page.story    # every sentence of the story body, as written
    page.chrome   # every chrome text on the page (never a text of the story)
"""

from __future__ import annotations

import html
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

STYLES = ("wp", "handmade", "readalso", "ticker", "amp", "maghreb")
LABELS = ("core", "related", "none")

DEFAULT_LABELS = {
    "home": "الرئيسية",
    "breaking": "عاجل",
    "most_read": "الأكثر قراءة",
    "most_viewed": "الأكثر مشاهدة",
    "latest": "آخر الأخبار",
    "related": "مواضيع ذات صلة",
    "read_also": "اقرأ أيضاً:",
    "comments": "تعليقات",
    "add_comment": "أضف تعليقك",
    "readers": "آراء القراء",
    "send": "إرسال",
    "share": "شارك الخبر",
    "tags": "الوسوم:",
    "newsletter": "النشرة البريدية",
    "subscribe": "اشترك",
    "rights": "جميع الحقوق محفوظة",
    "print": "طباعة",
    "menu": "القائمة",
    "printed_from": "طُبع من موقع",
    "video": "فيديو",
}
SHARE_BUTTONS = ("فيسبوك", "إكس", "واتساب", "تيليغرام")
MONTHS = {
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"),
    "maghreb": ("يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر"),
}  # fmt: skip
WHEN = ("منذ ساعة", "منذ ساعتين", "منذ 3 ساعات", "منذ 5 ساعات", "أمس")
UTM = "?utm_source=rss&utm_medium=feed&utm_campaign={key}"


@dataclass(frozen=True)
class CorpusPage:
    outlet: str  # outlet key, e.g. "wp"
    style: str  # template style
    url: str  # absolute URL on the served site (base_url + path)
    path: str  # path on the site, e.g. "/corpus/wp/2026/12/story-3.html"
    html: str  # the rendered page
    title: str  # the story's headline ("" for a chrome-only page)
    story: tuple[str, ...]  # every sentence of the story body (title excluded), as written
    chrome: tuple[str, ...]  # every chrome sentence/headline/comment line on the page, as written
    label: str  # "core" | "related" | "none": what the story alone deserves
    story_key: str  # same for every URL variant / update of one story
    note: str  # what this page probes


@dataclass(frozen=True)
class CorpusOutlet:
    key: str
    style: str
    name: str
    name_latin: str
    country: str
    city: str
    utc_offset: str
    feed: str  # "rss" | "sitemap"

    @property
    def feed_path(self) -> str:
        name = "rss.xml" if self.feed == "rss" else "sitemap-news.xml"
        return f"/corpus/{self.key}/{name}"

    @property
    def tz(self) -> timezone:
        sign = -1 if self.utc_offset.startswith("-") else 1
        hours, minutes = self.utc_offset.lstrip("+-").split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


@dataclass(frozen=True)
class CorpusEntry:
    """A page plus what a crawl should do with it (the demo site's manifest reads this)."""

    page: CorpusPage
    role: str  # "story" | "update" | "utm" | "amp" | "print" | "chrome_only" | "link_only"
    published: datetime
    same_as: str = ""  # url of the canonical page, for utm/amp/print variants
    probe: str = field(default="")

    @property
    def linked(self) -> bool:
        """Whether the outlet's feed or sitemap lists the page (a print version is linked from its story
        page only: a crawler that followed it would fetch it again on every crawl)."""
        return self.role != "print"

    @property
    def expect(self) -> str:
        if self.role in {"utm", "amp", "print"}:
            return "duplicate_url"
        if self.role in {"chrome_only", "link_only"}:
            return "no_story"
        return "stored"


# --- data ------------------------------------------------------------------------------------------------
@cache
def _data() -> dict[str, Any]:
    text = (resources.files(__package__) / "data" / "chrome_corpus.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["outlets"]


def corpus_outlets() -> list[CorpusOutlet]:
    return [
        CorpusOutlet(
            key=key,
            style=raw["style"],
            name=raw["name"],
            name_latin=raw["name_latin"],
            country=raw["country"],
            city=raw["city"],
            utc_offset=raw["utc_offset"],
            feed=raw["feed"],
        )
        for key, raw in _data().items()
    ]


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("crawler.demo_site", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def visible_text(page_html: str) -> str:
    """The page's visible text: markup, scripts and styles gone, entities unescaped, whitespace collapsed."""
    import lxml.html

    doc = lxml.html.document_fromstring(page_html)
    for el in doc.xpath("//script|//style|//noscript|//template"):
        el.drop_tree()
    return re.sub(r"\s+", " ", html.unescape(doc.text_content())).strip()


def _rotate(pool: list, i: int, k: int | None = None) -> list:
    """A rotating window on a pool: one item leaves and one comes in from one page to the next."""
    if not pool:
        return []
    k = max(1, len(pool) - 1) if k is None else min(k, len(pool))
    return [pool[(i + j) % len(pool)] for j in range(k)]


def _visible_date(d: datetime, maghreb: bool) -> str:
    months = MONTHS["maghreb" if maghreb else "ar"]
    return f"{d.day} {months[d.month - 1]} {d.year} - {d:%H:%M}"


# --- building the pages ----------------------------------------------------------------------------------
class _Builder:
    def __init__(self, base_url: str, today: date) -> None:
        self.base = base_url.rstrip("/")
        self.today = today

    def when(self, outlet: CorpusOutlet, days_ago: int, hhmm: str) -> datetime:
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=outlet.tz)

    def path(self, outlet: CorpusOutlet, d: datetime, slug: str, prefix: str = "") -> str:
        return f"/corpus/{outlet.key}/{prefix}{d:%Y/%m}/{slug}.html"

    def build(self) -> list[CorpusEntry]:
        entries: list[CorpusEntry] = []
        for outlet in corpus_outlets():
            entries += self.outlet_entries(outlet, _data()[outlet.key])
        return entries

    def outlet_entries(self, outlet: CorpusOutlet, raw: dict[str, Any]) -> list[CorpusEntry]:
        stories = raw["stories"]
        # (story dict or None, role, paragraphs, published, modified, path, note)
        plans: list[dict[str, Any]] = []
        titles = {}
        for s in stories:
            published = self.when(outlet, s["days_ago"], s["time"])
            path = self.path(outlet, published, s["slug"])
            titles[s["key"]] = (s["title"], path)
            base = {"story": s, "published": published, "modified": published, "note": s.get("note", "")}
            plans.append({**base, "role": "story", "paragraphs": s["paragraphs"], "path": path})
            paragraphs = list(s["paragraphs"])
            for n, update in enumerate(s.get("updates", ()), start=2):
                paragraphs = paragraphs + update["paragraphs"]
                modified = self.when(outlet, s["days_ago"], update["time"])
                upath = self.path(outlet, published, f"{s['slug']}-u{n}")
                note = f"update {n - 1} of {s['key']} (same title, a paragraph added); {base['note']}"
                plans.append({**base, "role": "update", "paragraphs": paragraphs, "path": upath, "modified": modified, "note": note})  # fmt: skip
            for variant in s.get("variants", ()):
                vpath = {
                    "utm": path + UTM.format(key=outlet.key),
                    "amp": path + "?amp=1",  # the WordPress AMP plugin's URL form
                    "print": self.path(outlet, published, s["slug"], "print/"),
                }[variant]
                note = f"{variant} variant of {path}: {base['note']}"
                plans.append({**base, "role": variant, "paragraphs": s["paragraphs"], "path": vpath, "note": note, "canonical": path})  # fmt: skip
        for sp in raw.get("specials", ()):
            published = self.when(outlet, sp["days_ago"], sp["time"])
            plans.append(
                {
                    "story": None,
                    "special": sp,
                    "role": sp["kind"],
                    "paragraphs": [],
                    "published": published,
                    "modified": published,
                    "path": self.path(outlet, published, sp["slug"]),
                    "note": sp["note"],
                }
            )
        plans.sort(key=lambda p: (p["published"], p["modified"], p["path"]))
        entries = []
        for i, plan in enumerate(plans):
            entries.append(self.render(outlet, raw, plan, i, titles))
        return entries

    # --- one page ----------------------------------------------------------------------------------------
    def render(self, outlet: CorpusOutlet, raw: dict, plan: dict, i: int, titles: dict) -> CorpusEntry:
        labels = {**DEFAULT_LABELS, **raw.get("labels", {})}
        s = plan["story"]
        special = plan.get("special") or {}
        role = plan["role"]
        key = s["key"] if s else special["key"]
        title = s["title"] if s else special.get("title", "")
        style = {"amp": "amp", "print": "print"}.get(role, outlet.style)
        canonical_path = plan.get("canonical", plan["path"].split("?")[0])  # utm/amp: the story's page
        others = [(t, p) for k, (t, p) in titles.items() if k != key]

        def link(headline: str) -> dict:
            own = next((p for t, p in titles.values() if t == headline), None)
            return {
                "title": headline,
                "href": own or f"/corpus/{outlet.key}/tag/{zlib.crc32(headline.encode()) % 9973}",
            }

        other_links = [{"title": t, "href": p} for t, p in _rotate(others, i, 3)]
        read_also = [link(h) for h in _rotate(raw.get("read_also", []), i)]
        markers = raw.get("read_also_markers") or [labels["read_also"]]
        blocks: list[dict] = []
        sentences: list[str] = []
        paragraphs = plan["paragraphs"]
        for n, para in enumerate(paragraphs):
            sentences += para
            blocks.append({"type": "p", "text": " ".join(para)})
            if outlet.style in {"wp", "readalso", "maghreb"} and style not in {"amp", "print"}:
                spots = {"wp": (0, 2), "readalso": (0, 1), "maghreb": (1,)}[outlet.style]
                if n in spots and n < len(paragraphs) - 1:
                    pool = read_also if n == spots[0] else other_links
                    target = pool[(i + n) % len(pool)] if pool else other_links[0]
                    marker = markers[(i + n) % len(markers)]
                    blocks.append({"type": "read_also", "marker": marker, **target})
                if outlet.style == "readalso" and n == 2:
                    blocks.append({"type": "cards", "heading": labels["related"], "items": other_links})
        if role == "link_only":
            blocks.append(
                {"type": "read_also", "marker": special["link_marker"], **link(special["link_headline"])}
            )
        if outlet.style == "readalso" and role == "story" and len(paragraphs) < 3 and paragraphs:
            blocks.append({"type": "cards", "heading": labels["related"], "items": other_links})
        comments = [
            {"name": c["name"], "when": c.get("when", WHEN[(i + j) % len(WHEN)]), "text": c["text"]}
            for j, c in enumerate(_rotate(raw.get("comments", []), i, 3))
        ]
        anonymous = bool(s and s.get("anonymous_comments"))
        ctx = {
            "outlet": outlet,
            "home": f"/corpus/{outlet.key}/",
            "labels": labels,
            "nav": raw["nav"],
            "title": title,
            "role": role,
            "canonical": self.base + canonical_path,
            "amphtml": self.base + self.path(outlet, plan["published"], s["slug"]) + "?amp=1"
            if s and "amp" in s.get("variants", ()) and role not in {"amp", "print"}
            else "",
            "print_href": self.path(outlet, plan["published"], s["slug"], "print/")
            if s and "print" in s.get("variants", ()) and role not in {"amp", "print"}
            else "",
            "published_iso": plan["published"].isoformat(),
            "modified_iso": plan["modified"].isoformat(),
            "visible_date": _visible_date(plan["modified"], outlet.style == "maghreb"),
            "blocks": blocks,
            "ticker": _rotate(raw.get("ticker", []), i),
            "most_read": [link(h) for h in _rotate(raw.get("most_read", []), i)],
            "most_viewed": [link(h) for h in _rotate(raw.get("most_viewed", []), i)],
            "latest": [link(h) for h in _rotate(raw.get("latest", []), i)],
            "related": [link(h) for h in _rotate(raw.get("related", []), i, 2)] + other_links[:2],
            "comments": [] if anonymous else comments,
            "anonymous_comments": _rotate(raw.get("anonymous_comments", []), i, 3) if anonymous else [],
            "tags": _rotate(raw.get("tags_pool", []), i, 2),
            "share": SHARE_BUTTONS,
            "footer": raw.get("footer", []),
            "promo": raw.get("promo", []),
            # An unlabelled box among the story's own paragraphs, in their markup: only the outlet's
            # template, learned across its pages, tells it from the story.
            "in_article": raw.get("in_article", []),
        }
        page_html = _env().get_template(f"corpus/{style}.html.j2").render(**ctx)
        story = tuple(sentences)
        chrome = self.chrome_of(ctx, page_html, story, title)
        page = CorpusPage(
            outlet=outlet.key,
            style=style,
            url=self.base + plan["path"],
            path=plan["path"],
            html=page_html,
            title=title,
            story=story,
            chrome=chrome,
            label=s["label"] if s else "none",
            story_key=key,
            note=plan["note"] or f"{outlet.style} page: the story inside its outlet's chrome",
        )
        same_as = self.base + plan["canonical"] if "canonical" in plan else ""
        return CorpusEntry(page=page, role=role, published=plan["published"], same_as=same_as)

    @staticmethod
    def chrome_of(ctx: dict, page_html: str, story: tuple[str, ...], title: str) -> tuple[str, ...]:
        """Every chrome text the template was given, kept where it shows and is not a text of the story."""
        candidates: list[str] = [*ctx["labels"].values(), *ctx["nav"], *ctx["ticker"], *ctx["share"]]
        for box in ("most_read", "most_viewed", "latest", "related"):
            candidates += [item["title"] for item in ctx[box]]
        for block in ctx["blocks"]:
            if block["type"] == "read_also":
                candidates += [block["marker"], block["title"]]
            elif block["type"] == "cards":
                candidates += [block["heading"], *(item["title"] for item in block["items"])]
        for c in ctx["comments"]:
            candidates += [c["name"], c["when"], c["text"]]
        candidates += [*ctx["anonymous_comments"], *ctx["tags"], *ctx["footer"], *ctx["promo"], *ctx["in_article"]]
        shown = visible_text(page_html)
        story_text = " ".join([title, *story])
        seen: dict[str, None] = {}
        for text in candidates:
            text = text.strip()
            if text and text in shown and text not in story_text:
                seen.setdefault(text, None)
        return tuple(seen)


def corpus_entries(base_url: str, today: date | None = None) -> list[CorpusEntry]:
    """Every corpus page with its role and what a crawl should do with it."""
    return _Builder(base_url, today or date.today()).build()


def corpus_pages(base_url: str, today: date | None = None) -> list[CorpusPage]:
    """Every page of the chrome corpus, rendered for a site at `base_url`, dated relative to `today`."""
    return [e.page for e in corpus_entries(base_url, today)]


# --- feeds -----------------------------------------------------------------------------------------------
def corpus_feeds(base_url: str, entries: list[CorpusEntry]) -> dict[str, tuple[bytes, str]]:
    """path -> (body, content type): one RSS feed or Google News sitemap per corpus outlet, newest first,
    listing every page of the outlet (tracking and AMP variants and updates included) but print versions,
    which only their story's page links."""
    base = base_url.rstrip("/")
    out: dict[str, tuple[bytes, str]] = {}
    for outlet in corpus_outlets():
        mine = sorted(
            (e for e in entries if e.page.outlet == outlet.key), key=lambda e: e.published, reverse=True
        )
        items = [
            {
                "link": e.page.url,
                "title": e.page.title or outlet.name,
                "iso": e.published.isoformat(),
                "rfc822": format_datetime(e.published),
                "guid": f"{outlet.key}-{e.page.path}",
            }
            for e in mine
            if e.linked
        ]
        template = "corpus/rss.xml.j2" if outlet.feed == "rss" else "corpus/sitemap_news.xml.j2"
        body = _env().get_template(template).render(outlet=outlet, base=base, items=items)
        ctype = (
            "application/rss+xml; charset=utf-8" if outlet.feed == "rss" else "application/xml; charset=utf-8"
        )
        out[outlet.feed_path] = (body.encode("utf-8"), ctype)
    return out
