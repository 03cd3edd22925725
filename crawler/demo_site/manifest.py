"""The manifest: what a correct crawl of the demo site does with every article-like URL the site links.

`expect` values:
  stored             an article the crawler must store (once).
  duplicate_url      the same page as `same_as` under another URL (tracking parameters, AMP variant):
                     the story is stored once, under `same_as`'s canonical URL.
  duplicate_content  an exact copy of `same_as` under an unrelated URL: exactly one of the pair is stored
                     (which one depends on crawl order), the other is caught by the content hash.
  syndicated         stored: the same story as `same_as`, republished by the other outlet with its own
                     first paragraph and byline (a near-duplicate, not an exact one).
  http_404 / http_500 / timeout / empty / not_html / redirect_loop
                     requested, not stored, the failure recorded with that reason.
  offsite            not stored, and nothing on another host is ever requested. For trap "redirect_offsite"
                     the URL itself is on the site (so it *is* requested) and answers 301 to the other host;
                     for the other offsite entries the URL itself is on another host. `never_requested`
                     tells the two apart.
  robots             disallowed by robots.txt: never requested.
  malformed          broken markup around a recoverable body: expected to be *stored* with its text
                     (failing with a recorded reason is the tolerable fallback).
  no_story           a page that carries no story (only chrome, or one «اقرأ أيضاً» link line): nothing
                     may be flagged for it; failing extraction (no main text) is the correct outcome.
Pages of the chrome corpus (`/corpus/<outlet>/…`, see chrome_corpus.py) carry a trap starting with
"chrome_": their stories sit inside security-news chrome full of crypto/terror headlines, and `topic` is
what the story alone deserves.
`topic` is an analyst's reading of the text ("core", "related", "none"), whatever the page's language;
non-Arabic pages are not classified, so compare topics only where `language == "ar"`.
`sources` names the demo sources (see `DemoSite.sources_yaml`) whose start pages link the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from .chrome_corpus import corpus_entries, corpus_outlets
from .links import SiteLinks
from .model import Entry, SiteContent, load_content
from .routes import loop_partner
from .sources_file import corpus_source_name, source_name

EXPECTS = frozenset(
    {
        "stored",
        "duplicate_url",
        "duplicate_content",
        "syndicated",
        "http_404",
        "http_500",
        "timeout",
        "empty",
        "not_html",
        "redirect_loop",
        "offsite",
        "robots",
        "malformed",
        "no_story",
    }
)


@dataclass(frozen=True)
class ExpectedPage:
    url: str
    outlet: str  # display name
    trap: str  # short name, "" for a plain article
    language: str  # "ar" | "fa" | "en" | "" for non-articles
    expect: str
    same_as: str  # url or ""
    topic: str  # "core" | "related" | "none" | "" for non-articles
    title: str
    published: str  # ISO date or ""
    sources: tuple[str, ...] = ()
    note: str = ""

    @property
    def never_requested(self) -> bool:
        """True when a polite, on-domain crawler must never send a request for this URL."""
        if self.expect == "robots":
            return True
        return self.expect == "offsite" and self.trap != "redirect_offsite"

    @property
    def path(self) -> str:
        """Path plus query, as the site's request log records it."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def _sources_of(e: Entry, content: SiteContent, *, plain: bool) -> set[str]:
    channels = {c for c in e.listed_in if (c not in e.variants) == plain}
    names = {source_name(e.outlet, c) for c in channels}
    outlet = content.outlets[e.outlet]
    # Every listing page carries the "most read" sidebar and the ticker, so listings link those too.
    if plain and (e.id in outlet.most_read or e.id in outlet.ticker):
        names.add(source_name(e.outlet, "listing"))
    return names


def _notes(e: Entry, links: SiteLinks) -> str:
    if e.kind == "redirect_loop":
        return f"302 to {links.base}{loop_partner(e)}, which 302s back"
    if e.kind == "redirect_offsite":
        return f"301 to {links.other_base}{e.path} (other host); {e.note}".rstrip("; ")
    if e.kind == "slow":
        return "answers only after DemoSite(slow_seconds=...), longer than the crawl's download timeout"
    if e.kind == "private":
        return "host stands in for a private address; nothing listens there"
    return e.note


def build_manifest(content: SiteContent, links: SiteLinks) -> list[ExpectedPage]:
    pages: list[ExpectedPage] = []
    for e in content.entries:
        outlet = content.outlets[e.outlet].name
        has_text = bool(e.text)
        same_as = links.url(content.by_id[e.same_as]) if e.same_as else ""
        common = {
            "outlet": outlet,
            "language": e.language if has_text else "",
            "topic": e.topic if has_text else "",
            "title": e.title,
            "published": e.published.date().isoformat() if has_text else "",
        }
        pages.append(
            ExpectedPage(
                url=links.url(e),
                trap="" if e.variants else e.trap,  # the variant URL carries the trap, not the story
                expect=e.expect,
                same_as=same_as,
                sources=tuple(sorted(_sources_of(e, content, plain=True))),
                note=_notes(e, links),
                **common,
            )
        )
        for channel, variant in sorted(e.variants.items()):
            pages.append(
                ExpectedPage(
                    url=links.channel_link(e, channel),
                    trap=e.trap,
                    expect="duplicate_url",
                    same_as=links.url(e),
                    sources=(source_name(e.outlet, channel),),
                    note="AMP variant whose canonical is same_as"
                    if variant == "amp"
                    else "tracking parameters",
                    **common,
                )
            )
        if e.print_link:
            pages.append(
                ExpectedPage(
                    url=links.base + e.print_path,
                    trap="robots_print",
                    expect="robots",
                    same_as="",
                    sources=(source_name(e.outlet, "listing"),),
                    note="print version under a Disallow'd path, linked from the section listing",
                    **{**common, "language": "", "topic": "", "published": ""},
                )
            )
    urls = [p.url for p in pages]
    if len(urls) != len(set(urls)):
        raise ValueError("demo site manifest: two entries share a URL")
    return pages


def expected_pages(
    base_url: str, other_base_url: str | None = None, *, today: date | None = None
) -> list[ExpectedPage]:
    """The manifest for a site running at `base_url` (other hosts are derived from its port), dated for
    `today` (default: today in UTC; pass the site's own `DemoSite.today`, its URLs carry dates)."""
    links = SiteLinks.for_base(base_url, other_base_url)
    content = load_content(today)
    return build_manifest(content, links) + corpus_manifest(links.base, content.today)


def corpus_manifest(base_url: str, today: date | None = None) -> list[ExpectedPage]:
    """The chrome corpus's pages: stories stored (variants as duplicates of their canonical page), pages
    without a story expected to flag nothing."""
    outlets = {o.key: o for o in corpus_outlets()}
    pages = []
    for e in (e for e in corpus_entries(base_url, today) if e.linked):
        p, outlet = e.page, outlets[e.page.outlet]
        probe = {"story": outlet.style, "chrome_only": "only"}.get(e.role, e.role)
        probe = f"variant_{probe}" if e.expect == "duplicate_url" else probe
        pages.append(
            ExpectedPage(
                url=p.url,
                outlet=outlet.name,
                trap=f"chrome_{probe}",
                language="ar",
                expect=e.expect,
                same_as=e.same_as,
                topic=p.label,
                title=p.title,
                published=e.published.date().isoformat(),
                sources=(corpus_source_name(outlet),),
                note=p.note,
            )
        )
    return pages
