"""Decode downloaded HTML bytes to text, whatever charset the page uses or claims to use.

Arabic sites still serve windows-1256 and iso-8859-6, and often label them wrongly (a server-wide
``charset=iso-8859-1`` header, a template's ``<meta charset="utf-8">`` over cp1256 bytes). A BOM is
trusted; every other declaration is only a candidate that the bytes must confirm. Candidates are scored
by how plausible the decoded text looks: Arabic letters and isolated Latin accented letters count for a
decoding, C1 controls, replacement characters, runs of accented Latin letters (the look of Arabic read
as Latin-1) and Arabic letters glued to Latin ones (the look of French read as cp1256) count against it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["DecodedHtml", "decode_html"]


@dataclass(frozen=True)
class DecodedHtml:
    text: str
    encoding: str  # WHATWG-style label of the codec actually used, e.g. "utf-8", "windows-1256"
    declared: str | None  # what the HTTP header (first) or the page itself claimed, lower-cased
    confident: bool  # False when the choice rests on scoring alone or needed errors="replace"


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Python codec name -> label we report. Latin-1 and ASCII labels decode as windows-1252, as browsers do.
_LABELS = {
    "utf-8": "utf-8",
    "cp1256": "windows-1256",
    "iso8859-6": "iso-8859-6",
    "cp1252": "windows-1252",
    "latin-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "ascii": "windows-1252",
    "cp720": "cp720",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "utf-16": "utf-16",
    "utf-32-le": "utf-32-le",
    "utf-32-be": "utf-32-be",
}
_CODEC_FOR_LABEL = {
    "windows-1252": "cp1252",
    "windows-1256": "cp1256",
    "iso-8859-6": "iso8859-6",
}

_HEADER_CHARSET = re.compile(rb"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)|<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:\-]+)",
    re.I,
)
_META_WINDOW = (
    16 * 1024
)  # meta tags after long inline scripts still count; the spec's 1024 bytes is too strict

# Above this size only a sample is scored: the decision does not need every byte and must stay cheap.
_SAMPLE = 256 * 1024

_ARABIC = "\u0621-\u063a\u0641-\u064a\u0660-\u0669\u0671-\u06d3\u06f0-\u06f9\ufb50-\ufdff\ufe70-\ufefc"
_ARABIC_MARKS = "\u064b-\u0652\u0670"
_LATIN_EXT = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_RE_ARABIC = re.compile(f"[{_ARABIC}{_ARABIC_MARKS}]")
_RE_LATIN_EXT = re.compile(f"[{_LATIN_EXT}]")
_RE_LATIN_RUN = re.compile(f"[{_LATIN_EXT}]{{2,}}")
_RE_BAD = re.compile("[\u0080-\u009f\ufffd]")
_RE_MIXED = re.compile(f"[A-Za-z{_LATIN_EXT}][{_ARABIC}]|[{_ARABIC}][A-Za-z{_LATIN_EXT}]")
_RE_NON_ASCII = re.compile("[^\x00-\x7f]")


def _codec_name(label: str | bytes | None) -> str | None:
    """Python codec name for a charset label, or None when unknown (a bad label is no evidence)."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    if label in _CODEC_FOR_LABEL:
        return _CODEC_FOR_LABEL[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in {"latin-1", "iso8859-1", "ascii"}:
        return "cp1252"
    return name


def _label(codec: str) -> str:
    return _LABELS.get(codec, codec)


def _declarations(body: bytes, content_type: str | None) -> tuple[str | None, str | None, str | None]:
    """(raw declared label, codec from the HTTP header, codec from the page)."""
    header_raw = None
    if content_type:
        match = _HEADER_CHARSET.search(content_type.encode("latin-1", "ignore"))
        if match:
            header_raw = match.group(1).decode("ascii", "ignore").lower()
    meta_raw = None
    match = _META_CHARSET.search(body[:_META_WINDOW])
    if match:
        meta_raw = (match.group(1) or match.group(2)).decode("ascii", "ignore").lower()
    return header_raw or meta_raw, _codec_name(header_raw), _codec_name(meta_raw)


def _sample(body: bytes) -> bytes:
    if len(body) <= 2 * _SAMPLE:
        return body
    middle = len(body) // 2
    return body[:_SAMPLE] + b"\n" + body[middle : middle + _SAMPLE]


def _plausibility(text: str) -> float:
    """Score in roughly [-3, 1]: share of non-ASCII characters that look like real text."""
    non_ascii = len(_RE_NON_ASCII.findall(text))
    if not non_ascii:
        return 0.0
    arabic = len(_RE_ARABIC.findall(text))
    latin = len(_RE_LATIN_EXT.findall(text))
    latin_in_runs = sum(len(run) for run in _RE_LATIN_RUN.findall(text))
    bad = len(_RE_BAD.findall(text))
    mixed = len(_RE_MIXED.findall(text))
    good = arabic + (latin - latin_in_runs)
    return (good - latin_in_runs - 3 * bad - 2 * mixed) / non_ascii


def _decode(body: bytes, codec: str) -> tuple[str, bool]:
    """Decoded text and whether it decoded without errors."""
    try:
        return body.decode(codec), True
    except UnicodeDecodeError:
        return body.decode(codec, errors="replace"), False
    except LookupError:  # pragma: no cover - codecs come from codecs.lookup
        return body.decode("utf-8", errors="replace"), False


def decode_html(body: bytes, content_type: str | None = None) -> DecodedHtml:
    """Decode an HTML page; never raises (the last resort is UTF-8 with replacement characters)."""
    try:
        return _decode_html(body, content_type)
    except Exception:  # noqa: BLE001 - a crawler must never die on one page's bytes
        return DecodedHtml(body.decode("utf-8", errors="replace"), "utf-8", None, False)


def _decode_html(body: bytes, content_type: str | None) -> DecodedHtml:
    declared, header_codec, meta_codec = _declarations(body, content_type)

    for bom, codec in _BOMS:
        if body.startswith(bom):
            text, _ = _decode(body[len(bom) :], codec)
            return DecodedHtml(text, _label(codec), declared, True)

    if body.isascii():
        codec = header_codec or meta_codec or "utf-8"
        if codec.startswith(("utf-16", "utf-32")):  # an ASCII body cannot be UTF-16; the label is wrong
            codec = "utf-8"
        text, clean = _decode(body, codec)
        return DecodedHtml(text, _label(codec), declared, clean)

    # Valid UTF-8 with non-ASCII bytes is practically never an accident of a single-byte charset, so it
    # wins over any declaration (a wrong header or <meta> on a UTF-8 page is the common case).
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A body cut short (size cap, dropped connection) may end inside a character: still UTF-8.
        if exc.reason == "unexpected end of data" and exc.start >= len(body) - 3:
            return DecodedHtml(body[: exc.start].decode("utf-8"), "utf-8", declared, True)
    else:
        return DecodedHtml(text, "utf-8", declared, True)

    candidates: list[str] = []
    for codec in (header_codec, meta_codec, "utf-8", "cp1256", "iso8859-6", "cp1252"):
        if codec and codec not in candidates and not codec.startswith(("utf-16", "utf-32")):
            candidates.append(codec)
    sample = _sample(body)
    scored = []
    for rank, codec in enumerate(candidates):
        text, clean = _decode(sample, codec)
        # Declared codecs come first, so ties go to what the page claimed.
        scored.append((_plausibility(text), -rank, codec, clean))
    scored.sort(reverse=True)
    best_score, _, best, clean = scored[0]
    margin = best_score - scored[1][0] if len(scored) > 1 else 1.0
    text, whole_clean = _decode(body, best)
    confident = clean and whole_clean and (best in (header_codec, meta_codec) or margin > 0.3)
    return DecodedHtml(text, _label(best), declared, confident)
