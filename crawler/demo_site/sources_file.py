"""The sources file (crawler schema) describing the demo site's feeds, sitemaps and section listings."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

from .chrome_corpus import CorpusOutlet, corpus_outlets
from .model import CHANNEL_SOURCE, Outlet, SiteContent, load_content

# What each channel is and where it starts, per outlet. Listing start URLs are the outlet's sections.
CHANNELS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "nile": {
        "rss": ("feed", ("/nile/rss.xml",)),
        "breaking": ("feed", ("/nile/rss-breaking.xml",)),
        "sitemap": ("sitemap", ("/nile/sitemap-index.xml",)),
        "listing": ("listing", ()),
    },
    "sada": {
        "rss": ("feed", ("/sada/rss.xml",)),
        "atom": ("feed", ("/sada/atom.xml",)),
        "json": ("feed", ("/sada/feed.json",)),
        "sitemap": ("sitemap", ("/sada/sitemap-news.xml",)),
        "listing": ("listing", ()),
    },
}
MAX_PAGES = 3  # every section of the demo fits in three listing pages


@dataclass(frozen=True)
class SourceSpec:
    name: str
    outlet: Outlet
    channel: str
    kind: str  # feed | sitemap | listing
    start_paths: tuple[str, ...]

    @property
    def link_pattern(self) -> str:
        # Optional sub-folder (print/, members/, news/…) and optional date: the shapes this site uses.
        return rf"/{self.outlet.key}/(?:[a-z]+/)?(?:\d{{4}}/\d{{2}}/\d{{2}}/)?[^/?#]+\.html"


def source_name(outlet: str, channel: str) -> str:
    return f"demo-{outlet}-{CHANNEL_SOURCE[channel]}"


def corpus_source_name(outlet: CorpusOutlet) -> str:
    return f"demo-corpus-{outlet.key}-{outlet.feed}"


def source_specs(content: SiteContent) -> list[SourceSpec]:
    specs = []
    for outlet_key, channels in CHANNELS.items():
        outlet = content.outlets[outlet_key]
        for channel, (kind, paths) in channels.items():
            if kind == "listing":
                paths = tuple(f"/{outlet_key}/section/{key}" for key in outlet.sections)
            specs.append(SourceSpec(source_name(outlet_key, channel), outlet, channel, kind, paths))
    return specs


def sources_yaml(base_url: str, *, download_timeout: float = 2.0, bench_articles: int = 0) -> str:
    base_url = base_url.rstrip("/")
    host = urlsplit(base_url).hostname or "127.0.0.1"
    politeness = {"download_timeout": download_timeout, "download_delay": 0}
    sources = []
    for spec in source_specs(load_content()):
        record = {
            "name": spec.name,
            "outlet": spec.outlet.name,
            "country": spec.outlet.country,
            "language": "ar",
            "kind": spec.kind,
            "start_urls": [base_url + p for p in spec.start_paths],
            "allowed_domains": [host],
            "enabled": True,
            "group": "demo",
            "politeness": dict(politeness),
        }
        if spec.kind == "sitemap":
            record["max_age_days"] = 36500  # tests pin the site to 2024 (model.DATED_AS_OF): keep them all
        if spec.kind == "listing":
            record["link_pattern"] = spec.link_pattern
            record["max_pages"] = MAX_PAGES
        sources.append(record)
    for outlet in corpus_outlets():  # the chrome corpus: one feed or news sitemap per outlet
        sources.append(
            {
                "name": corpus_source_name(outlet),
                "outlet": outlet.name,
                "country": outlet.country,
                "language": "ar",
                "kind": "feed" if outlet.feed == "rss" else "sitemap",
                "start_urls": [base_url + outlet.feed_path],
                "allowed_domains": [host],
                "enabled": True,
                "group": "corpus",
                "politeness": dict(politeness),
                **({"max_age_days": 36500} if outlet.feed == "sitemap" else {}),
            }
        )
    if bench_articles:
        sources.append(
            {
                "name": "demo-bench-sitemap",
                "outlet": "Raqib bench",
                "country": "EG",
                "language": "ar",
                "kind": "sitemap",
                "start_urls": [f"{base_url}/bench/sitemap.xml"],
                "allowed_domains": [host],
                "enabled": True,
                "group": "bench",
                "politeness": dict(politeness),
                "max_age_days": 7,
            }
        )
    header = (
        "# Sources of the bundled demo site (generated for one running instance; ports change per run).\n"
        "# Schema: see config/sources.yaml. Every trap of the site is reachable from one of these.\n"
    )
    return header + yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False, width=200)
