"""One normaliser for rule terms and for article text.

The steps are small pure ``str -> str`` functions applied in the order of ``STEPS``:

1. ``strip_invisible``      bidi controls, zero-width marks, BOM, soft hyphen (Unicode ``Cf``) are dropped;
                            other control characters and lone surrogates become spaces
2. ``fold_compatibility``   NFKD: presentation forms (ﻻ ﷲ ﺑ), ligatures, full-width Latin → base letters
3. ``strip_diacritics``     harakat, shadda, sukun, Quranic marks, hamza above/below, madda, Latin accents
4. ``strip_tatweel``        ـ (kashida)
5. ``fold_alef``            أ إ آ ٱ ٲ ٳ → ا   (أ إ آ are already split by step 2; ٱ and friends are not)
6. ``fold_alef_maqsura``    ى → ي
7. ``fold_ta_marbuta``      ة → ه
8. ``fold_hamza_carriers``  ؤ → و, ئ → ي  (for the high-hamza letters NFKD leaves alone)
9. ``fold_persian``         ک ڪ → ك, ی ې → ي, ہ ھ ە → ه, ۀ ۃ → ه
10. ``fold_digits``          Arabic-Indic and Persian digits → 0-9
11. ``fold_case``            Latin case folding

Every step maps one character at a time (no step looks at a neighbour), so the whole chain can be
compiled into one translation table: ``Normalizer`` applies it with a single ``str.translate`` call,
which is what keeps classification fast. ``normalize`` is the readable reference; a test checks that
both agree. For matching, ``Normalizer`` also folds punctuation: sentence ends become ``.``, every
other character that is not a letter or digit becomes a space, so words are runs between those two.
Because the table can delete (diacritics) or expand (ligatures) characters, ``NormalizedText`` keeps
a compact map from normalised offsets back to offsets in the original text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

TATWEEL = "\u0640"
SENTENCE_END = "."
_SENTENCE_CHARS = ".!?؟؛;\n\r\u2029\u06d4"  # ۔ is the Urdu full stop
_ALEF_VARIANTS = "ٱٲٳٵ"
_PERSIAN = {"ک": "ك", "ڪ": "ك", "ی": "ي", "ې": "ي", "ہ": "ه", "ھ": "ه", "ە": "ه", "ۀ": "ه", "ۃ": "ه"}
_HAMZA_CARRIERS = {"ؤ": "و", "ئ": "ي", "ٶ": "و", "ٷ": "و", "ٸ": "ي"}
_KEEP_CONTROLS = "\n\r\t"
_ALEF_TABLE = str.maketrans({c: "ا" for c in "أإآ" + _ALEF_VARIANTS})
_HAMZA_TABLE = str.maketrans(_HAMZA_CARRIERS)
_PERSIAN_TABLE = str.maketrans(_PERSIAN)


def strip_invisible(text: str) -> str:
    """Drop format characters (bidi, ZWJ/ZWNJ, BOM); turn other controls and lone surrogates into spaces."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        if (cat == "Cc" and ch not in _KEEP_CONTROLS) or cat == "Cs":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def fold_compatibility(text: str) -> str:
    """Unicode compatibility decomposition (NFKD), so presentation forms become ordinary letters."""
    return unicodedata.normalize("NFKD", text)


def strip_diacritics(text: str) -> str:
    """Remove combining marks: Arabic harakat and Quranic annotation, hamza/madda marks, Latin accents."""
    return "".join(ch for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn")


def strip_tatweel(text: str) -> str:
    return text.replace(TATWEEL, "")


def fold_alef(text: str) -> str:
    return text.translate(_ALEF_TABLE)


def fold_alef_maqsura(text: str) -> str:
    return text.replace("ى", "ي")


def fold_ta_marbuta(text: str) -> str:
    return text.replace("ة", "ه")


def fold_hamza_carriers(text: str) -> str:
    return text.translate(_HAMZA_TABLE)


def fold_persian(text: str) -> str:
    return text.translate(_PERSIAN_TABLE)


def fold_digits(text: str) -> str:
    """Arabic-Indic (٠-٩) and extended/Persian (۰-۹) digits → ASCII."""
    return "".join(
        str(unicodedata.decimal(ch)) if "\u0660" <= ch <= "\u06f9" and ch.isdecimal() else ch for ch in text
    )


def fold_case(text: str) -> str:
    return text.lower()


STEPS: tuple[Callable[[str], str], ...] = (
    strip_invisible,
    fold_compatibility,
    strip_diacritics,
    strip_tatweel,
    fold_alef,
    fold_alef_maqsura,
    fold_ta_marbuta,
    fold_hamza_carriers,
    fold_persian,
    fold_digits,
    fold_case,
)


def normalize(text: str) -> str:
    """Apply every step in order (the readable reference; ``Normalizer`` is the fast path)."""
    for step in STEPS:
        text = step(text)
    return text


def fold_punctuation(text: str) -> str:
    """Sentence ends → ``.``, anything else that is not a letter or digit → space."""
    return "".join(SENTENCE_END if ch in _SENTENCE_CHARS else (ch if ch.isalnum() else " ") for ch in text)


@dataclass(frozen=True)
class NormalizedText:
    """Normalised, punctuation-folded text plus the map back to the original offsets."""

    original: str
    flat: str
    # Piecewise map: segment i starts at flat offset _norm_starts[i] and original offset _orig_starts[i];
    # _expanded[i] says the segment is one original character that became several (a ligature).
    _norm_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]
    _expanded: tuple[bool, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of ``flat`` to the matching span of ``original``."""
        norm_starts = self._norm_starts
        if len(norm_starts) == 1:  # nothing was deleted or expanded: offsets are the same
            o_start = start
            o_end = end if end > start else start
        else:  # the segment each offset falls in (inlined ``_orig_index``: this runs for every match)
            orig_starts, expanded = self._orig_starts, self._expanded
            i = bisect_right(norm_starts, start) - 1
            if i < 0:
                o_start = 0
            else:
                o_start = orig_starts[i] if expanded[i] else orig_starts[i] + (start - norm_starts[i])
            if end > start:
                i = bisect_right(norm_starts, end - 1) - 1
                if i < 0:
                    o_end = 1
                else:
                    o_end = (
                        orig_starts[i] if expanded[i] else orig_starts[i] + (end - 1 - norm_starts[i])
                    ) + 1
            else:
                o_end = o_start
        # Keep the diacritics or tatweel that trail the last letter inside the highlighted span.
        original = self.original
        n = len(original)
        while o_end < n and original[o_end] >= "\x80" and _is_trailing_mark(original[o_end]):
            o_end += 1
        return o_start, o_end

    def _orig_index(self, pos: int) -> int:
        i = bisect_right(self._norm_starts, pos) - 1
        if i < 0:
            return 0
        if self._expanded[i]:
            return self._orig_starts[i]
        return self._orig_starts[i] + (pos - self._norm_starts[i])


def _is_trailing_mark(ch: str) -> bool:
    return ch == TATWEEL or unicodedata.category(ch) in ("Mn", "Cf")


# Joins the characters when the chain is run over all of them at once. A line feed passes every step
# unchanged, no step produces one, it is neither cased nor case-ignorable (so ``str.lower`` cannot see
# past it for a final sigma) and it is a starter (so NFKD does not reorder marks across it).
_TABLE_SEP = "\n"


def build_table() -> list[str]:
    """``fold_punctuation(normalize(ch))`` for every BMP character: the translation table.

    Calling the chain once per character costs ~2 s, paid by every worker process of a crawl. As no
    step looks at a neighbour, the chain runs once over all characters joined by ``_TABLE_SEP``, and
    the result is split back: the same table (a test compares it with the per-character reference) in
    a fraction of the time. The separator itself and the surrogates are done one by one.
    """
    singles = {ord(_TABLE_SEP), *range(0xD800, 0xE000)}
    bulk = [cp for cp in range(0x10000) if cp not in singles]
    folded = normalize(_TABLE_SEP.join(map(chr, bulk))).split(_TABLE_SEP)
    if len(folded) != len(bulk):
        raise RuntimeError("normalisation step produced or removed the table separator")
    table = [""] * 0x10000
    for cp, out in zip(bulk, folded, strict=True):
        table[cp] = fold_punctuation(out)
    for cp in singles:
        table[cp] = fold_punctuation(normalize(chr(cp)))
    return table


class Normalizer:
    """The normalisation chain compiled into one translation table (built once per classifier)."""

    def __init__(self) -> None:
        table = build_table()
        irregular = [chr(cp) for cp, out in enumerate(table) if len(out) != 1]
        self._table = table
        # Characters whose image is not exactly one character: only these break the 1:1 offset map.
        self._irregular_re = re.compile("[" + _class_ranges(irregular) + "]")
        self._fast = _ByteFolder(table)

    def _fold(self, text: str) -> str:
        """``text.translate(table)``, through bytes when every character is in the common alphabet."""
        out = self._fast(text)
        return text.translate(self._table) if out is None else out

    def __call__(self, text: str) -> NormalizedText:
        table = self._table
        flat = self._fold(text)
        norm_starts = [0]
        orig_starts = [0]
        expanded = [False]
        if len(flat) != len(text) or self._irregular_re.search(text):
            delta = 0  # flat offset minus original offset, up to the current point
            for m in self._irregular_re.finditer(text):
                pos = m.start()
                image = table[ord(text[pos])] if ord(text[pos]) < 0x10000 else text[pos]
                if image:
                    norm_starts.append(pos + delta)
                    orig_starts.append(pos)
                    expanded.append(True)
                delta += len(image) - 1
                norm_starts.append(pos + 1 + delta)
                orig_starts.append(pos + 1)
                expanded.append(False)
        return NormalizedText(text, flat, tuple(norm_starts), tuple(orig_starts), tuple(expanded))

    def text(self, text: str) -> str:
        """Just the folded string (used for rule terms)."""
        return self._fold(text)


# The characters of nearly all Arabic news text: ASCII (bar the rarest controls), the core Arabic block
# (letters, marks, digits, punctuation) and the usual typographic and invisible extras.
_COMMON_ALPHABET = (
    "\x00"  # first: C's encoding map is only built when byte 0 decodes to U+0000
    + "".join(chr(c) for c in range(0x20, 0x7F))
    + "\t\n\r"
    + "".join(chr(c) for c in range(0x060C, 0x0671))
    + "ٱکیہھ۔"
    + "".join(chr(c) for c in range(0x06F0, 0x06FA))
    + "\u00a0«»·°•–—‘’“”…\u00ad\ufeff\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    + "\u2066\u2067\u2068\u2069"
)


class _ByteFolder:
    """The translation table run through C codecs instead of ``str.translate``.

    ``str.translate`` looks every non-ASCII character up through a Python ``int`` (~20 ns each).
    For text made only of the (≤ 256) characters of ``_COMMON_ALPHABET``, the same mapping is done as:
    encode each character to its byte (``charmap_encode``), fold and delete bytes (``bytes.translate``)
    and decode back (``charmap_decode``) — all in C, several times faster. Text with any other
    character returns ``None`` and the caller uses the table. A test checks both paths agree.
    """

    def __init__(self, table: list[str]) -> None:
        alphabet = [c for c in dict.fromkeys(_COMMON_ALPHABET) if len(table[ord(c)]) <= 1]
        alphabet = [c for c in alphabet if table[ord(c)] == "" or table[ord(c)] in alphabet]
        if len(alphabet) > 256:
            raise ValueError(f"byte alphabet has {len(alphabet)} characters (at most 256)")
        byte = {c: i for i, c in enumerate(alphabet)}
        self._decoding = "".join(alphabet) + "\ufffe" * (256 - len(alphabet))  # U+FFFE: unmapped
        self._bytes_table = bytes(byte.get(table[ord(c)], 0) for c in alphabet) + bytes(256 - len(alphabet))
        self._delete = bytes(byte[c] for c in alphabet if table[ord(c)] == "")
        self._encoding = codecs.charmap_build(self._decoding)
        if isinstance(self._encoding, dict):  # a dict would work, but slower than str.translate
            raise ValueError("byte alphabet does not make a C encoding map")

    def __call__(self, text: str) -> str | None:
        try:
            raw = codecs.charmap_encode(text, "strict", self._encoding)[0]
        except UnicodeEncodeError:
            return None
        return codecs.charmap_decode(
            raw.translate(self._bytes_table, self._delete), "strict", self._decoding
        )[0]

    def __getstate__(self) -> dict:  # the C encoding map does not pickle; it is rebuilt
        return {k: v for k, v in self.__dict__.items() if k != "_encoding"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._encoding = codecs.charmap_build(self._decoding)


def _class_ranges(chars: list[str]) -> str:
    """A regex character class body for ``chars`` (sorted), runs written as ranges: thousands of
    single escapes take the ``re`` parser a third of a second."""
    parts: list[str] = []
    i = 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1:
            j += 1
        parts.append(_class_escape(chars[i]) if j == i else f"{_class_escape(chars[i])}-{_class_escape(chars[j])}")
        i = j + 1
    return "".join(parts)


def _class_escape(ch: str) -> str:
    if ch in "\\]^-[":
        return "\\" + ch
    cp = ord(ch)
    return f"\\u{cp:04x}"
