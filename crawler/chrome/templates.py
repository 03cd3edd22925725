"""Site templates learned from the site itself: text blocks that recur on several stories of one host.

A ticker item, a most-read headline, a footer line or a recurring promo appears on many pages of an
outlet; a story's own paragraph appears on one story (or on its AMP, print and tracking copies, and
its updates, which share its title). So a block is chrome once it has been seen on ``threshold``
*distinct stories* of the host, a story being known by its normalised title.

Units are the page's leaf blocks (a paragraph, a list item, a cell: a block element with no block
inside it) and its headline links (an ``<a>`` of four words or more), fingerprinted on their
normalised words. ``TemplateMemory`` is plain data: the crawl process keeps one per host, hands the
known fingerprints to the workers with each page (workers never query the database) and learns from
the fingerprints they send back; storage keeps it between crawls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dom import BLOCK_TAGS, SKIP_TAGS, remove, tag, text_of
from .textnorm import fingerprint, normalizer, words

_SPACES = re.compile(r"[ \t]{2,}")

MIN_UNIT_WORDS = 4  # shorter texts («مشاركة», a date) say nothing about a template
DEFAULT_THRESHOLD = 3  # distinct stories a block must appear on to be chrome
MAX_KEYS = DEFAULT_THRESHOLD  # story keys kept per candidate: counting stops at the threshold
# A paragraph this long beside another one as long, in one container, is the story's prose: follow-ups
# of one case repeat a background paragraph on many stories, and it must not be learned as chrome.
STORY_PROSE_WORDS = 25


def page_units(root) -> list[tuple[object, int, str]]:
    """(element, fingerprint, normalised text) of every leaf block and headline link under ``root``."""
    has_block_child: set = set()  # elements, not id()s: lxml proxies of unheld nodes reuse ids
    blocks = []
    for el in root.iter():
        t = tag(el)
        if t in SKIP_TAGS:
            continue
        if t in BLOCK_TAGS:
            blocks.append(el)
            for ancestor in el.iterancestors():
                if tag(ancestor) in BLOCK_TAGS:
                    has_block_child.add(ancestor)
                    break
        elif t == "a":
            blocks.append(el)
    units = []
    long_by_parent: dict = {}
    for el in blocks:
        if tag(el) != "a" and el in has_block_child:
            continue
        tokens = words(text_of(el))
        if len(tokens) < MIN_UNIT_WORDS or len(tokens) > 400:
            continue
        long = tag(el) != "a" and len(tokens) >= STORY_PROSE_WORDS
        if long:
            parent = el.getparent()
            long_by_parent[parent] = long_by_parent.get(parent, 0) + 1
        units.append((el, fingerprint(tokens), " ".join(tokens), long))
    return [
        (el, fp, text)
        for el, fp, text, long in units
        if not (long and long_by_parent.get(el.getparent(), 0) >= 2)
    ]


def remove_known(units, known: frozenset[int] | set[int], protected: frozenset[str]) -> int:
    """Remove the units whose fingerprint is known chrome; never the page's own title. Returns a count."""
    removed = 0
    for el, fp, text in units:
        if fp in known and text not in protected and el.getparent() is not None:
            if any(text in p for p in protected):
                continue
            remove(el)
            removed += 1
    return removed


def story_key(title: str, fallback: str) -> int:
    """One key per story: copies and updates of a story share their title; pages without one, their URL."""
    tokens = words(title)
    return fingerprint(tokens if len(tokens) >= 2 else ["url", fallback])


@dataclass
class Candidate:
    keys: set[int] = field(default_factory=set)
    sample: str = ""
    changed: bool = False


@dataclass
class TemplateMemory:
    """What one host's pages have shown so far: candidate blocks and the blocks known to be chrome."""

    host: str
    threshold: int = DEFAULT_THRESHOLD
    candidates: dict[int, Candidate] = field(default_factory=dict)
    known: set[int] = field(default_factory=set)
    learned_now: dict[int, str] = field(default_factory=dict)  # chrome learned in this crawl: fp -> text

    def snapshot(self) -> frozenset[int]:
        return frozenset(self.known)

    def observe(self, key: int, units: list[tuple[int, str]]) -> list[int]:
        """Count one page's units under its story key; returns the fingerprints that just became chrome."""
        became = []
        for fp, text in units:
            if fp in self.known:
                continue
            cand = self.candidates.get(fp)
            if cand is None:
                cand = self.candidates[fp] = Candidate(sample=text[:300])
            if key in cand.keys:
                continue
            cand.keys.add(key)
            cand.changed = True
            if len(cand.keys) >= self.threshold:
                self.known.add(fp)
                self.learned_now[fp] = cand.sample
                became.append(fp)
        return became


def strip_lines(text: str, chrome: dict[int, str]) -> tuple[str, int]:
    """Remove learned chrome from a stored body: whole lines, and chrome texts inside a line (a table
    layout flattens a whole page into one line). Returns the text and how many pieces were removed."""
    if not chrome or not text:
        return text, 0
    patterns = [_pattern(t) for t in chrome.values() if t]
    kept, dropped = [], 0
    for line in text.split("\n"):
        tokens = words(line)
        if len(tokens) >= MIN_UNIT_WORDS:
            if fingerprint(tokens) in chrome:
                dropped += 1
                continue
            line, n = _cut(line, patterns)
            if n:
                dropped += n
                if len(words(line)) < MIN_UNIT_WORDS:
                    continue
        kept.append(line)
    return "\n".join(kept), dropped


def _pattern(sample: str) -> re.Pattern[str]:
    # Over the normaliser's flat text, where every non-word character is a space or a sentence end.
    return re.compile(r"(?<!\w)" + r"[\s.]+".join(map(re.escape, sample.split())) + r"(?!\w)")


def _cut(line: str, patterns: list[re.Pattern[str]]) -> tuple[str, int]:
    """Cut every occurrence of the chrome texts out of ``line``, mapped back to its original characters."""
    norm = normalizer()(line)
    spans = []
    for pattern in patterns:
        spans += [norm.to_original(m.start(), m.end()) for m in pattern.finditer(norm.flat)]
    if not spans:
        return line, 0
    out, pos = [], 0
    for start, end in sorted(spans):
        if start >= pos:
            out.append(line[pos:start])
            pos = end
        else:
            pos = max(pos, end)
    out.append(line[pos:])
    return _SPACES.sub(" ", "".join(out)).strip(), len(spans)
