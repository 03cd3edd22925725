"""URL canonicalisation: one story, one URL.

Feeds and social shares decorate links with tracking parameters, AMP variants and host spellings;
the dedup key must see through all of them or the same story is downloaded and stored twice.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ito", "ocid", "smid", "spm",
        "utm", "amp", "outputtype", "at_medium", "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "__twitter")
# Path forms of AMP pages: /amp/..., .../amp, .../amp/, ...-amp.html, .amp.html
_AMP_PATH = [
    (re.compile(r"^/amp(/|$)"), "/"),
    (re.compile(r"/amp/?$"), ""),
    (re.compile(r"(\.amp)(\.html?)$"), r"\2"),
    (re.compile(r"-amp(\.html?)$"), r"\1"),
]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Canonical form used for dedup and the skip-already-stored check.

    Lower-cases scheme and host, drops ``www.``, default ports, fragments, tracking parameters, AMP
    path markers and trailing slashes; sorts the remaining query; normalises percent-encoding so
    Arabic slugs typed raw and percent-encoded compare equal. http and https fold to https, since
    outlets serve both. The result is a key, never fetched: requests keep the URL as found.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        scheme = "https"
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    port = parts.port
    netloc = host
    if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc = f"{host}:{port}"
    path = unquote(parts.path or "/")
    for pattern, repl in _AMP_PATH:
        path = pattern.sub(repl, path)
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    path = path or "/"
    path = quote(path, safe="/:@!$&'()*+,;=-._~%")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def url_hash(canonical_url: str) -> str:
    """sha256 hex of a canonical URL: the unique key of an article and of each of its aliases."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()
