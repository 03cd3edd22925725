"""The rolling Atom feed: one file at a stable path, ``OUT/feed.atom``, with the latest stories of
every digest run.

Each run's own ``.atom`` file sits in a dated folder, which no feed reader can subscribe to. This one
keeps its path and its feed id; each run puts its entries in front, an entry already there is
replaced by its newer version (same id), and the oldest fall off past ``keep``.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from digests.health import count_ar
from digests.render import write_atomic

ATOM = "http://www.w3.org/2005/Atom"
FEED_FILENAME = "feed.atom"
DEFAULT_KEEP = 200
log = logging.getLogger(__name__)


def _local(root: ET.Element) -> ET.Element:
    """The Atom elements under their local names: ElementTree can only write a default namespace
    itself when no attribute is unqualified, and Atom's are (``rel``, ``href``), so ``xmlns`` is set
    back as a plain attribute on the way out."""
    prefix = f"{{{ATOM}}}"
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith(prefix):
            element.tag = element.tag[len(prefix):]
    return root


def _updated(entry: ET.Element) -> datetime:
    try:
        value = datetime.fromisoformat(entry.findtext("updated") or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def merge_feed(current: str, previous: str | None, keep: int = DEFAULT_KEEP) -> str:
    """``current`` (one run's Atom document) with the entries of ``previous`` it does not replace,
    newest first, at most ``keep``. A ``previous`` that does not parse is dropped, with a warning."""
    root = _local(ET.fromstring(current))
    entries = root.findall("entry")
    ids = {entry.findtext("id") for entry in entries}
    older: list[ET.Element] = []
    if previous:
        try:
            older = [e for e in _local(ET.fromstring(previous)).findall("entry") if e.findtext("id") not in ids]
        except ET.ParseError as exc:
            log.warning("digest: the rolling feed was unreadable (%s); it starts again from this run", exc)
    for entry in entries:
        root.remove(entry)
    kept = sorted(entries + older, key=_updated, reverse=True)[: max(1, keep)]
    root.extend(kept)
    subtitle = root.find("subtitle")
    if subtitle is not None:  # the run's own subtitle counts the run's stories, not the feed's
        subtitle.text = f"آخر {count_ar(len(kept), 'قصة واحدة', 'قصتين', 'قصص', 'قصة')} رصدها رقيب"
    root.set("xmlns", ATOM)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def update_rolling_feed(out_dir: Path, run_atom: Path, keep: int = DEFAULT_KEEP) -> Path:
    """Merge the run's Atom file into ``out_dir/feed.atom`` (written atomically); returns its path."""
    path = Path(out_dir) / FEED_FILENAME
    try:
        previous = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        previous = None
    write_atomic(path, merge_feed(run_atom.read_text(encoding="utf-8"), previous, keep))
    return path
