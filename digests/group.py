"""One digest item per story: syndicated and near-duplicate copies from several outlets are merged.

Wire copy (the same agency text under different outlets, with a changed headline, an added
dateline or a trimmed last paragraph) is found with word shingles over normalised Arabic, MinHash
signatures and LSH banding for candidate pairs, then confirmed with the exact Jaccard similarity of
the shingle sets. Costs stay near-linear in the number of articles: only pairs that share a band
are compared (a few dozen articles are simply compared pair by pair). The workspace (web/copies.py)
groups with the same function, so the digest and the inbox agree on what a copy is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from classifiers.normalize import Normalizer
from digests.select import DueArticle

SHINGLE = 4  # words per shingle: long enough to be specific, short enough to survive small edits
NUM_PERM = 64
BANDS = 16  # 16 bands × 4 rows: pairs with Jaccard ≳ 0.4 become candidates with high probability
MAX_WORDS = 400
THRESHOLD = 0.5  # exact Jaccard needed to merge two candidates
EXACT_BELOW = 48  # fewer articles than this: all pairs compared exactly, no MinHash (see _pairs)
_MERSENNE = (1 << 61) - 1
_MAX_HASH = (1 << 32) - 1


@dataclass(frozen=True)
class Story:
    """One digest item: the best article of the group first, every outlet's copy listed."""

    label: str
    score: float
    title: str
    articles: tuple[DueArticle, ...]
    outlets: tuple[str, ...]
    urls: tuple[str, ...]
    published_at: tuple[datetime | None, ...]
    matches: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def lead(self) -> DueArticle:
        return self.articles[0]

    @property
    def article_ids(self) -> tuple[int, ...]:
        return tuple(a.article_id for a in self.articles)


# Text is normalised with the project's one normaliser (classifiers.normalize), as the rules are:
# its compiled table (Normalizer, about twenty times faster than the step-by-step reference, which a
# test keeps equal to it). Words are runs of letters and digits, as the Normalizer sees them.
_TOKEN = re.compile(r"[^\W_]+")


@cache
def _folder() -> Callable[[str], str]:
    return Normalizer().text


# --- shingles and MinHash ---------------------------------------------------------------------------


def shingles(text: str, normalise: Callable[[str], str] | None = None, size: int = SHINGLE) -> set[int]:
    """Hashed word n-grams of the normalised text (whole text when shorter than ``size`` words)."""
    normalise = normalise or _folder()
    # The lead paragraphs identify wire copy; capping the length bounds the MinHash cost per article.
    tokens = _TOKEN.findall(normalise(text))[:MAX_WORDS]
    if not tokens:
        return set()
    grams = [" ".join(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1))]
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "big") for g in grams}


def _permutations(n: int) -> list[tuple[int, int]]:
    # Deterministic (seeded from a constant) so the same input groups the same way on every run.
    out = []
    for i in range(n):
        digest = hashlib.blake2b(f"raqib-minhash-{i}".encode(), digest_size=16).digest()
        a = int.from_bytes(digest[:8], "big") % (_MERSENNE - 1) + 1
        b = int.from_bytes(digest[8:], "big") % _MERSENNE
        out.append((a, b))
    return out


_PERMS = _permutations(NUM_PERM)


def minhash(shingle_set: set[int]) -> tuple[int, ...]:
    if not shingle_set:
        return ()
    return tuple(min(((a * s + b) % _MERSENNE) & _MAX_HASH for s in shingle_set) for a, b in _PERMS)


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _candidate_pairs(signatures: list[tuple[int, ...]]) -> set[tuple[int, int]]:
    rows = NUM_PERM // BANDS
    pairs: set[tuple[int, int]] = set()
    for band in range(BANDS):
        buckets: dict[tuple[int, ...], list[int]] = {}
        for idx, sig in enumerate(signatures):
            if sig:
                buckets.setdefault(sig[band * rows : (band + 1) * rows], []).append(idx)
        for members in buckets.values():
            for i, first in enumerate(members):
                for second in members[i + 1 :]:
                    pairs.add((first, second))
    return pairs


def _pairs(sets: list[set[int]]) -> set[tuple[int, int]]:
    """The pairs whose exact Jaccard is worth computing. Below EXACT_BELOW articles every pair is:
    cheaper than the MinHash signatures (about 10 ms an article) and never misses a pair, which
    matters to the workspace, which groups a page of stories and their few candidate copies."""
    n = len(sets)
    if n < EXACT_BELOW:
        return {(i, j) for i in range(n) for j in range(i + 1, n) if sets[i] and sets[j]}
    return _candidate_pairs([minhash(s) for s in sets])


# --- grouping ---------------------------------------------------------------------------------------


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def group_stories(
    articles: Sequence[DueArticle],
    *,
    normalise: Callable[[str], str] | None = None,
    threshold: float = THRESHOLD,
) -> list[Story]:
    """Merge copies of one story; order: core first, then score, then number of outlets, then newest."""
    normalise = normalise or _folder()
    parent = list(range(len(articles)))
    titles = [" ".join(_TOKEN.findall(normalise(a.title))) for a in articles]
    sets = [shingles(f"{a.title}\n{a.text}", normalise) for a in articles]
    sizes = [len(s) for s in sets]
    for i, j in _pairs(sets):
        # |a ∩ b| ≤ min and |a ∪ b| ≥ max, so Jaccard ≤ min/max: pairs of very unequal length cannot
        # reach the threshold and skip the set operations (the same decisions, fewer of them).
        small, large = sorted((sizes[i], sizes[j]))
        if small >= threshold * large and jaccard(sets[i], sets[j]) >= threshold:
            parent[_find(parent, i)] = _find(parent, j)
    # Identical headlines from different outlets are one story even when one copy's body failed to
    # extract fully (a teaser page against the full wire text).
    by_title: dict[str, int] = {}
    for i, title in enumerate(titles):
        if len(title.split()) >= 4:
            if title in by_title:
                parent[_find(parent, i)] = _find(parent, by_title[title])
            else:
                by_title[title] = i

    groups: dict[int, list[DueArticle]] = {}
    for i, article in enumerate(articles):
        groups.setdefault(_find(parent, i), []).append(article)
    stories = [_story(members) for members in groups.values()]
    stories.sort(key=_story_order)
    return stories


def _article_rank(article: DueArticle) -> tuple[int, float, float]:
    newest = -(article.published_at or article.fetched_at).timestamp()
    return (0 if article.label == "core" else 1, -article.score, newest)


def _story(members: list[DueArticle]) -> Story:
    members = sorted(members, key=_article_rank)
    lead = members[0]
    seen_terms: set[tuple[str, str]] = set()
    matches: list[dict[str, Any]] = []
    for article in members:
        for match in article.matches:
            key = (str(match.get("concept", "")), str(match.get("text") or match.get("term", "")))
            if key not in seen_terms:
                seen_terms.add(key)
                matches.append(match)
    return Story(
        label=lead.label,
        score=max(a.score for a in members),
        title=lead.title,
        articles=tuple(members),
        outlets=tuple(dict.fromkeys(a.outlet or a.source for a in members)),
        urls=tuple(a.url for a in members),
        published_at=tuple(a.published_at for a in members),
        matches=tuple(matches),
    )


def _story_order(story: Story) -> tuple[int, float, int, float]:
    lead = story.lead
    newest = -(lead.published_at or lead.fetched_at).timestamp()
    return (0 if story.label == "core" else 1, -story.score, -len(story.outlets), newest)
