"""Text of page elements as the chrome rules compare it: the classifier's one normaliser, then words.

Markers, template fingerprints and the stored lines they are checked against all go through
:func:`words`, so «اقرأ أيضاً», «إقرأ أيضا» and «اقرا ايضا» compare equal, as «À lire aussi» and
«a lire aussi» do.
"""

from __future__ import annotations

import functools
import hashlib
import re

from classifiers.normalize import Normalizer

_NON_WORD = re.compile(r"[^\w]+|_+")


@functools.lru_cache(maxsize=1)
def normalizer() -> Normalizer:
    # Building the translation table costs a few milliseconds: once per process.
    return Normalizer()


def words(text: str) -> list[str]:
    """The normalised words of ``text`` (letters and digits; punctuation and spaces split)."""
    if not text:
        return []
    if len(text) <= _CACHED_CHARS:
        # str(): an lxml text result is a str subclass that keeps its whole document alive, and a
        # cache key lives long.
        return list(_short_words(str(text)))
    return _NON_WORD.sub(" ", normalizer().text(text)).split()


def count(text: str) -> int:
    """Roughly how many words: whitespace-separated runs, without normalising (cheap pre-checks)."""
    return len(text.split())


_CACHED_CHARS = 200


@functools.lru_cache(maxsize=8192)
def _short_words(text: str) -> tuple[str, ...]:
    # Menus, labels, box headlines and footers repeat on every page of an outlet: normalise them once.
    return tuple(_NON_WORD.sub(" ", normalizer().text(text)).split())


def fingerprint(tokens: list[str] | tuple[str, ...]) -> int:
    """A signed 64-bit fingerprint of normalised words: fits a BIGINT column on every database."""
    digest = hashlib.blake2b(" ".join(tokens).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
