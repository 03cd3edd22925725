"""Chrome removal that does not depend on class names: five rules over the parsed page.

They run on the lxml tree *before* trafilatura, for two reasons: trafilatura's cost grows with the tree
it walks (a chrome-heavy page is mostly chrome), and once it has flattened the page into text the
structure that tells a comment from a paragraph is gone.

1. Marker-led blocks: a short label («الأكثر قراءة», «آراء القراء», «Lire aussi») and what follows it
   in its container, up to the next paragraph of prose.
2. Marker lines: «اقرأ أيضاً: <a>…</a>» between paragraphs, unless the rest of the line is prose.
3. Link lines: a short block that is mostly one link to another page of the same site.
4. Comment-shaped runs: three or more similar siblings, each with a short time or date of its own and
   a short text (a name is optional), whatever their tags and classes.
5. Nameless, timeless comments: after the story, outside the container that holds its prose, three or
   more similar wrappers of one short line each, without links.

Every rule counts what it removed, by reason, for the crawl's stats.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from lxml import etree

from .dom import BLOCK_TAGS, HEADINGS, SKIP_TAGS, link_text_share, remove, tag, text_of
from .markers import MarkerSet
from .textnorm import count, words

LABEL_MAX_CHARS = 120  # a label longer than this is a sentence
PROSE_WORDS = 20  # a paragraph this long, mostly not links, is the story: a box stops before it
LINK_LINE_MAX_WORDS = 30
LINK_LINE_SHARE = 0.6
LINE_REST_WORDS = 12
COMMENT_RUN = 3
COMMENT_MAX_WORDS = 150
TIME_MAX_WORDS = 8

_MONTHS = (
    "يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر "
    "ماي يوليوز غشت شتنبر نونبر دجنبر جانفي فيفري افريل جوان جويليه جويلية اوت "
    "كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين "
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
# On normalised words (digits folded to 0-9, alef and ta marbuta folded, case folded).
_TIME = re.compile(
    r"(?:^|\s)(?:"
    r"منذ\s|قبل\s\S*\s?(?:دقيقه|دقائق|ساعه|ساعات|ساعتين|يوم|ايام|يومين|اسبوع|شهر)"
    r"|il y a\s|ago(?:\s|$)|hours?\s|minutes?\s"
    r"|\d{1,2}\s\d{2}(?:\s|$)"
    r"|\d{1,4}\s\d{1,2}\s\d{2,4}(?:\s|$)"
    r"|\d{1,2}\s(?:" + "|".join(_MONTHS) + r")(?:\s\d{2,4})?"
    r"|(?:امس|اليوم|today|yesterday|hier|aujourd)"
    r")"
)


@dataclass
class PruneReport:
    removed: Counter = field(default_factory=Counter)  # reason -> elements removed

    def add(self, reason: str, n: int = 1) -> None:
        self.removed[reason] += n


# XPath runs in C: Python sees only the few nodes worth a look (every element or text node that
# reaches Python costs a proxy object, which was most of this module's time).
_SHORT_TEXTS = etree.XPath(f".//text()[normalize-space()][string-length() <= {LABEL_MAX_CHARS}]")
_LEAF = (
    "not(descendant::p or descendant::div or descendant::li or descendant::ul or descendant::ol"
    " or descendant::table or descendant::section or descendant::article or descendant::h2"
    " or descendant::h3 or descendant::h4 or descendant::blockquote)"
)
_LINE_CANDIDATES = etree.XPath(
    ".//*[self::p or self::li or self::div or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    f" or self::dd][not(ancestor::p)][{_LEAF}][normalize-space()][string-length(normalize-space()) < 600]"
)
_FOLLOWING_RUNS = etree.XPath("following::*[count(*) >= 3]")


def prune_chrome(tree, markers: MarkerSet, page_url: str, protected: frozenset[str] = frozenset()) -> PruneReport:
    """Remove chrome from ``tree`` in place. ``protected``: normalised texts never removed (the title)."""
    report = PruneReport()
    body = tree.find(".//body")
    root = tree if body is None else body
    texts = [t for t in _SHORT_TEXTS(root) if not t.is_tail]
    _marker_blocks(root, texts, markers, report, protected)
    _comment_runs(root, texts, report)
    _lines(root, markers, page_url, report, protected)
    _trailing_short_runs(root, report)
    return report


def _is_prose(el) -> bool:
    """A paragraph-like leaf block of enough words, mostly not links."""
    if tag(el) not in ("p", "div", "td", "li", "blockquote", "section") or _has_block_child(el):
        return False
    text = text_of(el)
    if count(text) < PROSE_WORDS:
        return False
    share, _ = link_text_share(el, "")
    return share < 0.3


def _holds_prose(el) -> bool:
    """The element is, or contains, the story's prose or headline: a box never reaches past it."""
    if tag(el) == "h1" or el.find(".//h1") is not None:
        return True
    return any(_is_prose(d) for d in el.iter() if isinstance(d.tag, str))


def _marker_blocks(root, texts: list, markers: MarkerSet, report: PruneReport, protected: frozenset[str]) -> None:
    labels = []
    for node in texts:
        if not markers.may_start(words(node)):
            continue
        el = node.getparent()
        if el is None or tag(el) in SKIP_TAGS:
            continue
        labels.append(el)
    # Elements themselves, not id()s: lxml makes a new proxy (and a reusable id) for a node nobody holds.
    seen: set = set()
    for el in labels:
        if el in seen or el.getparent() is None:
            continue
        label = _label_element(el, markers)
        if label is None:
            continue
        box, marker = label
        if " ".join(words(text_of(box))) in protected:
            continue
        removed = _remove_box(box, comments=marker.group == "comments" and tag(box) not in ("a", "span"))
        for gone in removed:
            seen.update(gone.iter())
        report.add(f"marker_{marker.group}", 1)


def _label_element(el, markers: MarkerSet):
    """The element that carries a marker label, climbed to the widest element that is all label."""
    text = " ".join(text_of(el).split())
    if not text or len(text) > LABEL_MAX_CHARS:
        return None
    marker = markers.label(words(text))
    if marker is None:
        return None
    box = el
    while True:
        parent = box.getparent()
        if parent is None or tag(parent) in ("body", "html", "article", "main"):
            break
        if " ".join(text_of(parent).split()) != text:
            break
        box = parent
    # A label inside running text (a bold «عاجل:» opening a paragraph) is not a box of its own.
    if box.tail and count(box.tail) >= 3:
        return None
    parent = box.getparent()
    if parent is not None and tag(parent) == "p":
        return None
    return box, marker


def _remove_box(label, *, comments: bool = False) -> list:
    """Remove the label and the siblings after it, up to the first that holds prose or a heading.

    Comments are prose too: after a comments heading, prose is removed, the headline never.
    """
    removed = [label]
    sibling = label.getnext()
    while sibling is not None:
        following = sibling.getnext()
        if not isinstance(sibling.tag, str):
            sibling = following
            continue
        if comments:
            if tag(sibling) == "h1" or sibling.find(".//h1") is not None:
                break
        elif _holds_prose(sibling):
            break
        if tag(sibling) in HEADINGS and tag(label) in HEADINGS:
            break
        removed.append(sibling)
        if sibling.tail and count(sibling.tail) >= 3:  # running text resumes after it
            break
        sibling = following
    parent = label.getparent()
    for el in removed:
        remove(el)
    # A container left with nothing but whitespace was the box itself.
    while parent is not None and tag(parent) not in ("body", "html", "article", "main"):
        if " ".join(text_of(parent).split()):
            break
        grand = parent.getparent()
        remove(parent)
        removed.append(parent)
        parent = grand
    return removed


def _lines(root, markers: MarkerSet, page_url: str, report: PruneReport, protected: frozenset[str]) -> None:
    for el in _LINE_CANDIDATES(root):
        if el.getparent() is None:
            continue
        raw = text_of(el).split()
        if not raw or len(raw) > 60:
            continue
        # The opening marker is in the first words: normalise those (cached), not the whole line.
        opening = markers.opening(words(" ".join(raw[:8])))
        if opening is not None:
            marker, n = opening
            rest = len(words(" ".join(raw))) - n
            share, _ = link_text_share(el, page_url)
            has_link = el.find(".//a") is not None
            if rest <= 3 or share >= 0.5 or (has_link and rest <= LINE_REST_WORDS):
                remove(el)
                report.add(f"line_{marker.group}")
                continue
        if len(raw) > LINK_LINE_MAX_WORDS or el.find(".//a") is None:
            continue
        if protected and " ".join(words(" ".join(raw))) in protected:
            continue
        share, same_site = link_text_share(el, page_url)
        if share >= LINK_LINE_SHARE and same_site:
            remove(el)
            report.add("link_line")


def _has_block_child(el) -> bool:
    return any(tag(child) in BLOCK_TAGS for child in el)


# Cheap test on the raw text before normalising: a time or date has a digit or one of these words.
_TIME_HINT = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]|منذ|قبل|أمس|امس|اليوم|ago|hier|il y a|aujourd|today|yesterday", re.I)


def _is_time(text: str) -> bool:
    if not _TIME_HINT.search(text):
        return False
    tokens = words(text)
    if not tokens or len(tokens) > TIME_MAX_WORDS:
        return False
    return bool(_TIME.search(" " + " ".join(tokens) + " "))


def _attached(el, root) -> bool:
    return root in el.iterancestors() or el is root


def _comment_runs(root, texts: list, report: PruneReport) -> None:
    """Three or more similar siblings that each hold a time of their own and a short text."""
    times = []
    for node in texts:
        if len(node) <= 60 and _is_time(node):
            el = node.getparent()
            if el is not None and tag(el) not in SKIP_TAGS and _attached(el, root):
                times.append(el)
    if len(times) < COMMENT_RUN:
        return
    # For each ancestor level, which children of a parent hold a time element.
    holders: dict[int, dict] = defaultdict(dict)  # id(parent) -> {id(child): child}
    parents = {}
    for el in times:
        child = el
        for _ in range(6):
            parent = child.getparent()
            if parent is None or tag(parent) in ("html",):
                break
            holders[id(parent)][id(child)] = child
            parents[id(parent)] = parent
            child = parent
    runs = []
    for pid, children in holders.items():
        if len(children) < COMMENT_RUN:
            continue
        # Items of one run come from one template: same tag, same class (whatever it says).
        by_kind = Counter(_signature(c) for c in children.values())
        common, count = by_kind.most_common(1)[0]
        if count < COMMENT_RUN:
            continue
        items = [c for c in children.values() if _signature(c) == common]
        if all(_comment_shaped(c) for c in items):
            runs.append((parents[pid], items))
    # The deepest qualifying level wins: an item must not swallow its neighbours' container first.
    done: set = set()
    for parent, items in sorted(runs, key=lambda r: -_depth(r[0])):
        if parent in done or any(a in done for a in parent.iterancestors()):
            continue
        for item in items:
            if item.getparent() is not None:
                remove(item)
        report.add("comments_shape", len(items))
        done.update(parent.iter())


def _signature(el) -> tuple[str, str]:
    return tag(el), " ".join(sorted((el.get("class") or "").split()))


def _comment_shaped(el) -> bool:
    if el.find(".//h1") is not None:
        return False
    n_words = count(text_of(el))
    if n_words > COMMENT_MAX_WORDS or n_words < 3:
        return False
    # More text than the time (and a name): the comment itself, or a headline.
    return any(count(n) >= 2 and not _is_time(n) for n in el.xpath(".//text()[normalize-space()]"))


def _depth(el) -> int:
    return sum(1 for _ in el.iterancestors())


SHORT_ITEM_WORDS = 25


def _story_container(root):
    """The element whose own paragraphs hold the most prose: where the story is."""
    best, best_words = None, 0
    totals: dict[int, int] = defaultdict(int)
    parents = {}
    for el in root.iter("p", "div", "td", "li", "blockquote"):
        if _has_block_child(el):
            continue
        n = count(text_of(el))
        if n < 8:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        totals[id(parent)] += n
        parents[id(parent)] = parent
        if totals[id(parent)] > best_words:
            best, best_words = parent, totals[id(parent)]
    return best


def _trailing_short_runs(root, report: PruneReport) -> None:
    """Reader comments with neither names nor times: after the story, outside its container, three or
    more similar wrappers of one short line each, without links."""
    story = _story_container(root)
    if story is None:
        return
    for el in _FOLLOWING_RUNS(story):
        if el.getparent() is None or tag(el) in SKIP_TAGS:
            continue
        children = [c for c in el if isinstance(c.tag, str)]
        if len(children) < COMMENT_RUN:
            continue
        kinds = Counter(_signature(c) for c in children)
        signature, count = kinds.most_common(1)[0]
        if count < COMMENT_RUN or count < len(children) - 1:
            continue
        items = [c for c in children if _signature(c) == signature]
        if all(_short_wrapped_line(c) for c in items):
            for item in items:
                if item.getparent() is not None:
                    remove(item)
            report.add("comments_short_run", len(items))


def _short_wrapped_line(el) -> bool:
    if len(el) == 0 or el.find(".//a") is not None or el.find(".//h1") is not None:
        return False
    n = count(text_of(el))
    return 2 <= n <= SHORT_ITEM_WORDS
