"""Where each entry lives and how each channel links it. Shared by the renderer and the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .model import Entry

PRIVATE_HOST = "127.0.0.3"  # stands in for a private/intranet address; nothing listens there


@dataclass(frozen=True)
class SiteLinks:
    base: str  # http://127.0.0.1:PORT
    other_base: str  # the recording "other host" server
    private_base: str  # never listened on

    @classmethod
    def for_base(cls, base_url: str, other_base_url: str | None = None) -> SiteLinks:
        """Other hosts share the site's port (DemoSite binds them that way)."""
        base_url = base_url.rstrip("/")
        port = urlsplit(base_url).port
        other = other_base_url.rstrip("/") if other_base_url else f"http://127.0.0.2:{port}"
        return cls(base_url, other, f"http://{PRIVATE_HOST}:{port}")

    def url(self, e: Entry) -> str:
        """Absolute URL of an entry on the host it lives on."""
        host = {"offsite": self.other_base, "private": self.private_base}.get(e.kind, self.base)
        return host + e.path

    def path(self, e: Entry) -> str:
        """What pages put in href: root-relative on the site, absolute for entries on other hosts."""
        if e.kind in {"offsite", "private"}:
            return self.url(e)
        return e.path

    def channel_link(self, e: Entry, channel: str) -> str:
        """The URL a feed/sitemap/listing gives for an entry (tracking or AMP variants included)."""
        variant = e.variants.get(channel, "")
        if variant == "utm":
            return self.url(e) + e.utm_query
        if variant == "amp":
            return self.base + e.amp_path
        return self.url(e)
