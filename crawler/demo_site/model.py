"""The demo site's content: outlets and the pages they link, loaded from the package's YAML files.

Everything the server, the feeds and the manifest say about a page comes from one `Entry`, so the
three can never disagree about which URL is a trap and where it is linked.

The site lives in the present: data/articles.yaml is dated as the site looks on `DATED_AS_OF` (its
newest stories from the day before), and a site that runs on another day moves every date by the
same number of days (`load_content(today)`): URLs, feeds, sitemaps, pages and visible dates alike.
A new user's demo is fresh whenever it runs; tests pin `today` to keep fixed dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from importlib import resources

import yaml

# Channels an entry can be listed in, per outlet, and the source name each channel becomes.
CHANNEL_SOURCE = {
    "rss": "rss",
    "breaking": "breaking",
    "atom": "atom",
    "json": "jsonfeed",
    "sitemap": "sitemap",
    "listing": "sections",
}

# Kinds of entry; "article" and "malformed" render an article page, the others are traps.
PAGE_KINDS = {"article", "malformed"}
KINDS = PAGE_KINDS | {
    "http_404",
    "http_500",
    "slow",
    "redirect_loop",
    "redirect_offsite",
    "offsite",
    "private",
    "robots",
    "pdf",
    "png",
    "empty",
}
# The day data/articles.yaml's dates are written for: on it, the site looks exactly as the file says.
DATED_AS_OF = date(2024, 3, 18)
# How a page whose only date is the visible text writes it (pages.visible_date renders each).
DATE_STYLES = {"", "weekday", "levant", "maghreb", "hijri"}
ENCODINGS = {"utf-8", "cp1256-declared-utf8", "cp1256-declared-latin1", "cp1256-undeclared", "iso-8859-6"}


@dataclass(frozen=True)
class Comment:
    name: str
    text: str


@dataclass(frozen=True)
class Outlet:
    key: str
    name: str
    name_latin: str
    country: str
    utc_offset: str
    tagline: str
    city: str
    sections: dict[str, str]
    most_read: tuple[str, ...]
    ticker: tuple[str, ...]
    ads: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One article-like URL the site links (a real article or a trap)."""

    id: str
    outlet: str
    section: str
    published: datetime
    slug: str
    title: str
    text: str = ""
    kind: str = "article"
    topic: str = ""
    language: str = "ar"
    author: str = ""
    listed_in: tuple[str, ...] = ()
    variants: dict[str, str] = field(default_factory=dict)  # channel -> "utm" | "amp"
    amp: bool = False
    print_link: bool = False
    dates: tuple[str, ...] = ("meta", "jsonld")  # where the machine-readable date appears
    date_style: str = ""  # a visible date in another style than the outlet's own (DATE_STYLES)
    encoding: str = "utf-8"
    comments: tuple[Comment, ...] = ()
    trap: str = ""
    expect: str = "stored"
    same_as: str = ""
    first_line: str = ""  # a syndicated copy's own opening paragraph
    note: str = ""
    origin: str = ""  # id in classification/written.jsonl the text comes from

    @cached_property
    def paragraphs(self) -> tuple[str, ...]:
        paras = [p.strip() for p in self.text.split("\n") if p.strip()]
        if self.first_line:
            paras = [self.first_line, *paras[1:]]
        return tuple(paras)

    @property
    def summary(self) -> str:
        first = self.paragraphs[0] if self.paragraphs else self.title
        return first if len(first) <= 220 else first[:217].rsplit(" ", 1)[0] + "…"

    @property
    def is_page(self) -> bool:
        return self.kind in PAGE_KINDS

    @property
    def path(self) -> str:
        """Path of the page on its host (host differs for offsite/private kinds)."""
        date = self.published.strftime("%Y/%m/%d")
        ext = {"pdf": "pdf", "png": "png"}.get(self.kind, "html")
        if self.kind == "article" and not self.dates:
            # Pages whose only date is the visible text have no date in the URL either.
            return f"/{self.outlet}/news/{self.slug}.{ext}"
        prefix = {"robots": "members/"}.get(self.kind, "")
        return f"/{self.outlet}/{prefix}{date}/{self.slug}.{ext}"

    @property
    def print_path(self) -> str:
        return f"/{self.outlet}/print/{self.published:%Y/%m/%d}/{self.slug}.html"

    @property
    def amp_path(self) -> str:
        """AMP variant: a path prefix on one outlet, a query parameter on the other (both exist in the wild)."""
        if self.outlet == "nile":
            return f"/{self.outlet}/amp/{self.published:%Y/%m/%d}/{self.slug}.html"
        return self.path + "?amp=1"

    @property
    def utm_query(self) -> str:
        return (
            f"?utm_source={self.outlet}_feed&utm_medium=rss&utm_campaign=daily&fbclid=IwAR0demo{self.id[-4:]}"
        )


@dataclass(frozen=True)
class SiteContent:
    outlets: dict[str, Outlet]
    entries: tuple[Entry, ...]
    today: date = DATED_AS_OF  # the day the site runs on; every date is moved by today - DATED_AS_OF

    def moved(self, when: datetime) -> datetime:
        """A fixed moment of the site as written (DATED_AS_OF), moved to the day the site runs on."""
        return when + (self.today - DATED_AS_OF)

    @cached_property
    def by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}

    def for_outlet(self, outlet: str) -> list[Entry]:
        return [e for e in self.entries if e.outlet == outlet]

    def listed(self, outlet: str, channel: str) -> list[Entry]:
        """Entries listed in a channel, newest first (the order feeds and listings use)."""
        found = [e for e in self.for_outlet(outlet) if channel in e.listed_in]
        return sorted(found, key=lambda e: (e.published, e.id), reverse=True)

    def section_entries(self, outlet: str, section: str) -> list[Entry]:
        return [e for e in self.listed(outlet, "listing") if e.section == section]


def utc_today() -> date:
    """Today in UTC: on it the newest stories (the day before, local time east of UTC) are all past."""
    return datetime.now(UTC).date()


def _entry(raw: dict, shift: timedelta) -> Entry:
    raw = dict(raw)
    raw["published"] = datetime.fromisoformat(raw["published"]) + shift
    raw["comments"] = tuple(Comment(**c) for c in raw.get("comments", ()))
    for key in ("listed_in", "dates"):
        if key in raw:
            raw[key] = tuple(raw[key])
    entry = Entry(**raw)
    if entry.kind not in KINDS:
        raise ValueError(f"demo site entry {entry.id}: unknown kind {entry.kind!r}")
    if entry.date_style not in DATE_STYLES:
        raise ValueError(f"demo site entry {entry.id}: unknown date style {entry.date_style!r}")
    if entry.encoding not in ENCODINGS:
        raise ValueError(f"demo site entry {entry.id}: unknown encoding {entry.encoding!r}")
    unknown = set(entry.listed_in) - set(CHANNEL_SOURCE)
    if unknown:
        raise ValueError(f"demo site entry {entry.id}: unknown channels {sorted(unknown)}")
    return entry


def load_content(today: date | None = None) -> SiteContent:
    """Read the package data (called when a site is built, never at import time), dated for a site
    running on ``today`` (default: today in UTC)."""
    today = today or utc_today()
    data = resources.files(__package__) / "data"
    outlets_raw = yaml.safe_load((data / "outlets.yaml").read_text(encoding="utf-8"))["outlets"]
    outlets = {
        key: Outlet(
            key=key,
            **{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()},
        )
        for key, raw in outlets_raw.items()
    }
    articles = yaml.safe_load((data / "articles.yaml").read_text(encoding="utf-8"))["articles"]
    entries = tuple(_entry(raw, today - DATED_AS_OF) for raw in articles)
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        raise ValueError("demo site: duplicate entry ids in articles.yaml")
    return SiteContent(outlets=outlets, entries=entries, today=today)
