"""Canonical URLs: one story, one key, whatever decorations a link carries."""

import pytest

from crawler.urls import canonicalize_url, url_hash

CASES = [
    # (url, canonical, why)
    ("https://example.com/a/b?utm_source=x&utm_medium=y", "https://example.com/a/b", "utm_* are tracking"),
    ("https://example.com/a/b?fbclid=IwAR0&gclid=1", "https://example.com/a/b", "click ids are tracking"),
    ("https://example.com/a/b#comments", "https://example.com/a/b", "fragments never reach the server"),
    ("https://www.example.com/a/b", "https://example.com/a/b", "www. is the same site"),
    ("http://example.com:80/a/b", "https://example.com/a/b", "default port, and http/https fold together"),
    ("https://example.com:8443/a", "https://example.com:8443/a", "a non-default port is a different server"),
    ("https://example.com/a/b/", "https://example.com/a/b", "trailing slash"),
    ("https://example.com/amp/a/b", "https://example.com/a/b", "AMP prefix"),
    ("https://example.com/a/b/amp", "https://example.com/a/b", "AMP suffix"),
    ("https://example.com/a/b.amp.html", "https://example.com/a/b.html", "AMP extension"),
    ("https://example.com/a?amp=1", "https://example.com/a", "AMP flag parameter"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2", "query order is irrelevant"),
    ("https://example.com/a?id=7&utm_campaign=z", "https://example.com/a?id=7", "real parameters stay"),
    ("https://EXAMPLE.com/a", "https://example.com/a", "host case"),
    (
        "https://example.com/news/%D8%B9%D9%85%D9%84%D8%A9",
        "https://example.com/news/%D8%B9%D9%85%D9%84%D8%A9",
        "percent-encoded Arabic slug",
    ),
    ("https://example.com/news/عملة", "https://example.com/news/%D8%B9%D9%85%D9%84%D8%A9", "raw Arabic slug = encoded"),
]


@pytest.mark.parametrize(("url", "canonical", "why"), CASES, ids=[c[2] for c in CASES])
def test_canonicalize(url: str, canonical: str, why: str) -> None:
    assert canonicalize_url(url) == canonical, why


def test_hash_is_stable_sha256() -> None:
    h = url_hash("https://example.com/a")
    assert len(h) == 64 and h == url_hash("https://example.com/a")
    assert h != url_hash("https://example.com/b")
