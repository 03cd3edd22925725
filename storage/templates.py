"""Template blocks per host: loaded when a crawl starts, merged back when it ends.

Plain records in and out; the learning itself is crawler/chrome/templates.py. Writes merge story keys
with what another crawl of the same host may have stored meanwhile (read, union, write), so two
crawls lose at most a count, never a learned block.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from storage.models import Article, Classification, TemplateBlock, utcnow
from storage.repository import ClassificationRecord, save_classification

CHUNK = 500
CANDIDATE_TTL = timedelta(days=30)  # a block not seen again in this long was a story's, not a template's
MAX_CANDIDATES_LOADED = 50_000  # per host: enough for weeks of an outlet's pages


@dataclass
class BlockRecord:
    fingerprint: int
    story_keys: list[int]
    sample: str = ""


@dataclass
class HostTemplate:
    host: str
    known: dict[int, str] = field(default_factory=dict)  # chrome: fingerprint -> sample
    candidates: dict[int, BlockRecord] = field(default_factory=dict)


def load_template(session: Session, host: str, threshold: int, now: datetime | None = None) -> HostTemplate:
    """The host's learned chrome and its recent candidates."""
    now = now or utcnow()
    out = HostTemplate(host)
    rows = session.execute(
        select(TemplateBlock.fingerprint, TemplateBlock.stories, TemplateBlock.story_keys, TemplateBlock.sample)
        .where(TemplateBlock.host == host)
        .where((TemplateBlock.stories >= threshold) | (TemplateBlock.last_seen >= now - CANDIDATE_TTL))
        .order_by(TemplateBlock.stories.desc(), TemplateBlock.last_seen.desc())
        .limit(MAX_CANDIDATES_LOADED)
    )
    for fp, stories, keys, sample in rows:
        if stories >= threshold:
            out.known[fp] = sample
        else:
            out.candidates[fp] = BlockRecord(fp, list(keys or []), sample)
    return out


def save_template(
    session: Session, host: str, blocks: Sequence[BlockRecord], threshold: int, now: datetime | None = None
) -> None:
    """Merge observed blocks into the host's rows (story keys united, capped at the threshold)."""
    now = now or utcnow()
    for chunk in (blocks[i : i + CHUNK] for i in range(0, len(blocks), CHUNK)):
        wanted = {b.fingerprint: b for b in chunk}
        existing = {
            row.fingerprint: row
            for row in session.scalars(
                select(TemplateBlock).where(
                    and_(TemplateBlock.host == host, TemplateBlock.fingerprint.in_(list(wanted)))
                )
            )
        }
        for fp, block in wanted.items():
            row = existing.get(fp)
            if row is None:
                keys = sorted(set(block.story_keys))[:threshold]
                session.add(
                    TemplateBlock(
                        host=host, fingerprint=fp, stories=len(keys), story_keys=keys,
                        sample=block.sample[:300], first_seen=now, last_seen=now,
                    )
                )
            else:
                keys = sorted(set(row.story_keys or []) | set(block.story_keys))[:threshold]
                row.story_keys, row.stories, row.last_seen = keys, max(row.stories, len(keys)), now
        session.flush()


def forget_stale(session: Session, host: str, threshold: int, now: datetime | None = None) -> int:
    """Drop candidates not seen for a while (learned chrome is kept); returns how many."""
    now = now or utcnow()
    result = session.execute(
        delete(TemplateBlock).where(
            TemplateBlock.host == host,
            TemplateBlock.stories < threshold,
            TemplateBlock.last_seen < now - CANDIDATE_TTL,
        )
    )
    return result.rowcount or 0


def learned_blocks(session: Session, hosts: Iterable[str] | None = None, threshold: int = 3) -> list[TemplateBlock]:
    """Learned chrome, for people (``raqib sources templates``) and tests."""
    query = select(TemplateBlock).where(TemplateBlock.stories >= threshold)
    if hosts is not None:
        query = query.where(TemplateBlock.host.in_(list(hosts)))
    return list(session.scalars(query.order_by(TemplateBlock.host, TemplateBlock.first_seen)))


@dataclass
class StoredBody:
    id: int
    title: str
    text: str
    language: str
    classified: bool


def article_for_recleaning(session: Session, url_hash: str) -> StoredBody | None:
    row = session.execute(
        select(Article.id, Article.title, Article.text, Article.language, Classification.id)
        .outerjoin(Classification, Classification.article_id == Article.id)
        .where(Article.url_hash == url_hash)
    ).first()
    if row is None:
        return None
    return StoredBody(row[0], row[1] or "", row[2] or "", row[3] or "", row[4] is not None)


def replace_body(session: Session, article_id: int, text: str, decision: dict | None) -> None:
    """A body re-cleaned after its outlet's template was learned, and its new classification."""
    article = session.get(Article, article_id)
    if article is None:
        return
    article.text = text
    if decision is not None:
        save_classification(session, article_id, ClassificationRecord.from_decision(decision))
