"""Reads and writes the crawler, the classifier stage, the digests and the demo share.

Every function takes a :class:`~sqlalchemy.orm.Session` and never commits: the caller's unit of work
(:func:`storage.db.unit_of_work`) decides. Writes are batched and idempotent — insert-or-ignore on the
unique URL hashes — so re-running a crawl, or two crawls writing at once, store nothing twice. The
same statements run on SQLite and PostgreSQL (both have ``INSERT … ON CONFLICT``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, Table, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleUrl, Classification, CrawlRun, Source, utcnow
from storage.search import index_articles

# Keeps every IN (...) and multi-row VALUES well under SQLite's bound-parameter limit.
CHUNK = 500
INSERT_CHUNK = 200  # rows per multi-row INSERT (articles have ~22 columns)


# ---------------------------------------------------------------------------------------------------
# Records that flow in and out


@dataclass(frozen=True)
class SourceRecord:
    name: str
    outlet: str
    country: str = ""
    language: str = "ar"
    kind: str = ""


@dataclass
class ClassificationRecord:
    """A classifier decision as stored. ``matches`` are JSON-ready dicts (``Match.to_dict()``):
    ``from_decision`` makes them so, and ``as_row`` passes them on as they are, since walking every
    match of every page again was a twentieth of a crawl's CPU in the crawl process."""

    label: str
    score: float
    rules: list[str] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)
    rules_version: str = ""

    @classmethod
    def from_decision(cls, decision: Any, rules_version: str = "") -> ClassificationRecord:
        """From a classifier decision (anything with ``to_dict()`` in the `raqib classify --json` shape)."""
        data = decision.to_dict() if hasattr(decision, "to_dict") else dict(decision)
        return cls(
            label=str(data["label"]),
            score=float(data.get("score", 0.0)),
            rules=[str(rule) for rule in data.get("rules", [])],
            matches=[_json_safe(match) for match in data.get("matches", [])],
            snippets=[str(snippet) for snippet in data.get("snippets", [])],
            rules_version=str(data.get("rules_version") or rules_version),
        )

    def as_row(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": float(self.score),
            "rules": list(self.rules),
            "matches": list(self.matches),
            "snippets": list(self.snippets),
            "rules_version": self.rules_version,
        }


@dataclass(kw_only=True)
class ArticleRecord:
    """One page to store: every ``Article`` column but the ids, plus where it came from.

    ``url_hash`` defaults to :func:`url_hash` of ``canonical_url``; ``requested_url`` and
    ``final_url`` default to ``canonical_url``. ``aliases`` are other (canonical) URLs that lead to
    the same article — redirects, AMP pages, the page's declared canonical — so later crawls skip them.
    """

    canonical_url: str
    source_name: str = ""
    url_hash: str = ""
    requested_url: str = ""
    final_url: str = ""
    http_status: int = 200
    title: str = ""
    text: str = ""
    summary: str = ""
    author: str = ""
    sitename: str = ""
    published_at: datetime | None = None
    published_at_raw: str = ""
    date_confidence: str = "none"
    fetched_at: datetime = field(default_factory=utcnow)
    encoding: str = ""
    language: str = ""
    language_probability: float = 0.0
    content_hash: str = ""
    extraction_status: str = "ok"
    extraction_error: str = ""
    aliases: list[str] = field(default_factory=list)
    classification: ClassificationRecord | None = None

    def __post_init__(self) -> None:
        if not self.url_hash:
            self.url_hash = url_hash(self.canonical_url)
        if not self.requested_url:
            self.requested_url = self.canonical_url
        if not self.final_url:
            self.final_url = self.canonical_url


@dataclass
class StoreResult:
    inserted: int
    skipped: int
    # url_hash of every record given (inserted or already there) → its article id
    ids: dict[str, int] = field(default_factory=dict)


class PendingArticle(NamedTuple):
    id: int
    title: str
    text: str
    language: str


@dataclass(frozen=True)
class StorageSummary:
    articles: int
    by_language: dict[str, int]
    by_label: dict[str, int]
    by_extraction_status: dict[str, int]


# ---------------------------------------------------------------------------------------------------
# Helpers


def url_hash(url: str) -> str:
    """sha256 hex of a URL that the caller has already canonicalised."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(session: Session, table: Table) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - db.make_engine refuses other schemes
        raise NotImplementedError(f"insert-or-ignore is not implemented for {dialect}")
    return insert(table)


def _json_safe(value: Any) -> Any:
    """Scrapy stats hold datetimes and other objects a JSON column cannot take."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(item) for item in value]
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------------
# Sources and crawl runs


def upsert_sources(session: Session, records: Iterable[SourceRecord]) -> dict[str, int]:
    """Insert or update sources by name; returns name → id."""
    by_name = {record.name: record for record in records}
    if not by_name:
        return {}
    table = Source.__table__
    # Sorted so that concurrent writers take row locks in the same order (no deadlock on PostgreSQL).
    rows = [
        {
            "name": r.name,
            "outlet": r.outlet,
            "country": r.country,
            "language": r.language,
            "kind": r.kind,
            "created_at": utcnow(),
        }
        for r in sorted(by_name.values(), key=lambda r: r.name)
    ]
    for chunk in _chunks(rows, INSERT_CHUNK):
        stmt = _insert(session, table).values(list(chunk))
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={column: stmt.excluded[column] for column in ("outlet", "country", "language", "kind")},
        )
        session.execute(stmt)
    return _source_ids(session, list(by_name))


def _source_ids(session: Session, names: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(set(names))):
        ids.update(session.execute(select(Source.name, Source.id).where(Source.name.in_(chunk))).all())
    return ids


def _ensure_sources(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Ids of the named sources, creating bare rows for names not upserted from a sources file
    (e.g. `raqib extract` or a test storing a page by hand)."""
    wanted = sorted({name for name in names if name})
    if not wanted:
        return {}
    ids = _source_ids(session, wanted)
    missing = [name for name in wanted if name not in ids]
    if missing:
        rows = [
            {"name": name, "outlet": name, "country": "", "language": "", "kind": "", "created_at": utcnow()}
            for name in missing
        ]
        session.execute(_insert(session, Source.__table__).values(rows).on_conflict_do_nothing())
        ids.update(_source_ids(session, missing))
    return ids


def start_crawl_run(session: Session, sources: Sequence[str]) -> int:
    run = CrawlRun(sources=",".join(sources), status="running", started_at=utcnow(), stats={}, errors=[])
    session.add(run)
    session.flush()
    return run.id


def _get_run(session: Session, run_id: int) -> CrawlRun:
    run = session.execute(
        select(CrawlRun).where(CrawlRun.id == run_id).with_for_update()
    ).scalar_one_or_none()
    if run is None:
        raise LookupError(f"no crawl run with id {run_id}")
    return run


def _append_errors(run: CrawlRun, errors: Iterable[Mapping[str, Any]]) -> None:
    current = list(run.errors or [])
    seen = {json.dumps(error, sort_keys=True, ensure_ascii=False) for error in current}
    for error in errors:
        safe = _json_safe(dict(error))
        key = json.dumps(safe, sort_keys=True, ensure_ascii=False)
        if key not in seen:  # the same failure reported twice (progressively and at the end) counts once
            seen.add(key)
            current.append(safe)
    run.errors = current  # a new list: in-place changes to a JSON column are not tracked


def record_crawl_errors(session: Session, run_id: int, errors: Iterable[Mapping[str, Any]]) -> None:
    """Append failures (``{"url", "source", "reason", "detail"}``) to a run; exact repeats are ignored."""
    _append_errors(_get_run(session, run_id), errors)
    session.flush()


def add_crawl_results(
    session: Session,
    run_id: int,
    *,
    stats: Mapping[str, Any],
    errors: Iterable[Mapping[str, Any]] = (),
    pages_fetched: int = 0,
    articles_stored: int = 0,
) -> None:
    """Add one spider's results to a run that several spiders report into (one ``raqib crawl``):
    numeric stats and the page/article counts add up, other stats are replaced, errors appended."""
    run = _get_run(session, run_id)
    merged = dict(run.stats or {})
    for key, value in _json_safe(dict(stats)).items():
        old = merged.get(key)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and isinstance(old, int | float) and not isinstance(old, bool):
            merged[key] = old + value
        else:
            merged[key] = value
    run.stats = merged  # a new dict: in-place changes to a JSON column are not tracked
    _append_errors(run, errors)
    run.pages_fetched = (run.pages_fetched or 0) + pages_fetched
    run.articles_stored = (run.articles_stored or 0) + articles_stored
    session.flush()


def finish_crawl_run(
    session: Session,
    run_id: int,
    *,
    status: str = "finished",
    stats: Mapping[str, Any] | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
    pages_fetched: int | None = None,
    articles_stored: int | None = None,
) -> None:
    """Close a run. ``stats`` replaces the stored stats; ``errors`` are appended like
    :func:`record_crawl_errors` (so errors already recorded may be passed again)."""
    run = _get_run(session, run_id)
    run.status = status
    run.finished_at = utcnow()
    if stats is not None:
        run.stats = _json_safe(dict(stats))
    _append_errors(run, errors)
    if pages_fetched is not None:
        run.pages_fetched = pages_fetched
    if articles_stored is not None:
        run.articles_stored = articles_stored
    session.flush()


def failure_reasons(session: Session, run_id: int) -> dict[str, int]:
    """How many failures of each reason a crawl run recorded."""
    counts: dict[str, int] = {}
    for error in _get_run(session, run_id).errors or []:
        reason = str(error.get("reason") or "unknown")
        counts[reason] = counts.get(reason, 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------------
# Articles


def known_url_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    """The given hashes that some stored article was reached by (its own URL or an alias)."""
    return set(_alias_targets(session, hashes))


def _alias_targets(session: Session, hashes: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(hashes))):
        found.update(
            session.execute(
                select(ArticleUrl.url_hash, ArticleUrl.article_id).where(ArticleUrl.url_hash.in_(chunk))
            ).all()
        )
    return found


def find_content_duplicates(session: Session, content_hashes: Iterable[str]) -> dict[str, int]:
    """content hash → id of the earliest stored article with that text (successful extractions only)."""
    found: dict[str, int] = {}
    wanted = sorted({h for h in content_hashes if h})
    for chunk in _chunks(wanted):
        found.update(
            session.execute(
                select(Article.content_hash, func.min(Article.id))
                .where(Article.content_hash.in_(chunk), Article.extraction_status == "ok")
                .group_by(Article.content_hash)
            ).all()
        )
    return found


def _article_ids(session: Session, hashes: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(hashes))):
        found.update(
            session.execute(select(Article.url_hash, Article.id).where(Article.url_hash.in_(chunk))).all()
        )
    return found


_ARTICLE_FIELDS = (
    "url_hash",
    "canonical_url",
    "requested_url",
    "final_url",
    "http_status",
    "title",
    "text",
    "summary",
    "author",
    "sitename",
    "published_at",
    "published_at_raw",
    "date_confidence",
    "fetched_at",
    "encoding",
    "language",
    "language_probability",
    "content_hash",
    "extraction_status",
    "extraction_error",
)


def store_articles(
    session: Session, records: Sequence[ArticleRecord], crawl_run_id: int | None = None
) -> StoreResult:
    """Store new articles, their URL aliases and classifications; ignore those already stored.

    A record is skipped when its URL hash is already known (as an article or as another article's
    alias); its aliases are still attached to the stored article. An article whose text equals a
    stored one (same ``content_hash``, both extracted "ok") is kept with status "duplicate" and
    ``duplicate_of_id`` pointing at the original, the first one stored. Two writers storing the same
    content under different URLs at the very same moment may both keep theirs as originals.
    """
    # The first record of a URL wins within a batch, as the first stored wins across batches.
    unique: dict[str, ArticleRecord] = {}
    for record in records:
        unique.setdefault(record.url_hash, record)

    ids: dict[str, int] = _alias_targets(session, unique)
    fresh = [record for h, record in unique.items() if h not in ids]

    source_ids = _ensure_sources(session, (r.source_name for r in fresh))
    stored_originals = find_content_duplicates(
        session, (r.content_hash for r in fresh if r.extraction_status == "ok")
    )
    first_in_batch: dict[str, str] = {}  # content hash → url hash of its first fresh record
    rows: list[dict[str, Any]] = []
    batch_duplicates: dict[str, str] = {}  # url hash → url hash of the original in this batch
    for record in fresh:
        row = {name: getattr(record, name) for name in _ARTICLE_FIELDS}
        row["source_id"] = source_ids.get(record.source_name)
        row["crawl_run_id"] = crawl_run_id
        row["duplicate_of_id"] = None
        content = record.content_hash if record.extraction_status == "ok" else ""
        if content and content in stored_originals:
            row["extraction_status"] = "duplicate"
            row["duplicate_of_id"] = stored_originals[content]
        elif content and content in first_in_batch:
            row["extraction_status"] = "duplicate"
            batch_duplicates[record.url_hash] = first_in_batch[content]
        elif content:
            first_in_batch[content] = record.url_hash
        rows.append(row)

    inserted: set[str] = set()
    table = Article.__table__
    # One lock order for every writer: sorted by the unique key.
    rows.sort(key=lambda row: row["url_hash"])
    # Rows go as parameters of one statement (SQLAlchemy's "insertmanyvalues" batching): compiled
    # once and cached, where a ``.values(rows)`` statement is compiled anew for every batch, which
    # cost the crawl process more than the database's own work.
    insert_articles = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["url_hash"])
        .returning(table.c.url_hash, table.c.id)
    )
    for chunk in _chunks(rows, INSERT_CHUNK):
        for hash_, id_ in session.execute(insert_articles, list(chunk)).all():
            ids[hash_] = id_
            inserted.add(hash_)
    lost_races = [record.url_hash for record in fresh if record.url_hash not in ids]
    ids.update(_article_ids(session, lost_races))

    for duplicate, original in batch_duplicates.items():
        if duplicate in inserted and original in ids:
            session.execute(
                update(Article).where(Article.id == ids[duplicate]).values(duplicate_of_id=ids[original])
            )

    _store_aliases(session, unique.values(), ids)
    # The search index (storage/search.py): one normalisation per new article.
    index_articles(session, ((ids[h], unique[h].title, unique[h].text) for h in sorted(inserted)))
    classification_rows = [
        {"article_id": ids[h], "classified_at": utcnow(), **unique[h].classification.as_row()}
        for h in sorted(inserted)
        if unique[h].classification is not None
    ]
    insert_classifications = _insert(session, Classification.__table__).on_conflict_do_nothing(
        index_elements=["article_id"]
    )
    for chunk in _chunks(classification_rows, INSERT_CHUNK):
        session.execute(insert_classifications, list(chunk))
    return StoreResult(inserted=len(inserted), skipped=len(records) - len(inserted), ids=ids)


def _store_aliases(session: Session, records: Iterable[ArticleRecord], ids: Mapping[str, int]) -> None:
    alias_rows: dict[str, dict[str, Any]] = {}
    for record in records:
        article_id = ids.get(record.url_hash)
        if article_id is None:
            continue
        alias_rows.setdefault(
            record.url_hash,
            {"url_hash": record.url_hash, "url": record.canonical_url, "article_id": article_id},
        )
        for alias in record.aliases:
            if alias:
                alias_rows.setdefault(
                    url_hash(alias), {"url_hash": url_hash(alias), "url": alias, "article_id": article_id}
                )
    rows = [alias_rows[h] for h in sorted(alias_rows)]
    insert_aliases = _insert(session, ArticleUrl.__table__).on_conflict_do_nothing(index_elements=["url_hash"])
    for chunk in _chunks(rows, INSERT_CHUNK):
        session.execute(insert_aliases, list(chunk))


# ---------------------------------------------------------------------------------------------------
# Classifications


def save_classification(session: Session, article_id: int, record: ClassificationRecord) -> None:
    """Insert or replace an article's classification."""
    values = {**record.as_row(), "classified_at": utcnow()}
    stmt = _insert(session, Classification.__table__).values(article_id=article_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["article_id"], set_=values)
    session.execute(stmt)


def articles_needing_classification(
    session: Session,
    rules_version: str,
    *,
    languages: Iterable[str] | None = None,
    after_id: int = 0,
    limit: int = 500,
) -> list[PendingArticle]:
    """The next ``limit`` articles after ``after_id`` (by id) whose classification is missing or was
    made by other rules. Only successful extractions, in ``languages`` when given."""
    stmt = _needing_classification(rules_version, languages).where(Article.id > after_id)
    stmt = stmt.order_by(Article.id).limit(limit)
    return [PendingArticle(*row) for row in session.execute(stmt).all()]


def count_needing_classification(
    session: Session, rules_version: str, *, languages: Iterable[str] | None = None
) -> int:
    subquery = _needing_classification(rules_version, languages).subquery()
    return int(session.execute(select(func.count()).select_from(subquery)).scalar_one())


def _needing_classification(rules_version: str, languages: Iterable[str] | None) -> Select[Any]:
    stmt = (
        select(Article.id, Article.title, Article.text, Article.language)
        .outerjoin(Classification, Classification.article_id == Article.id)
        .where(
            Article.extraction_status == "ok",
            or_(Classification.id.is_(None), Classification.rules_version != rules_version),
        )
    )
    if languages is not None:
        stmt = stmt.where(Article.language.in_(sorted(set(languages))))
    return stmt


def current_labels(session: Session, article_ids: Iterable[int]) -> dict[int, str]:
    """article id → its stored label (articles never classified are absent)."""
    labels: dict[int, str] = {}
    for chunk in _chunks(sorted(set(article_ids))):
        labels.update(
            session.execute(
                select(Classification.article_id, Classification.label).where(
                    Classification.article_id.in_(chunk)
                )
            ).all()
        )
    return labels


# ---------------------------------------------------------------------------------------------------
# Counts for summaries


def _filtered(
    stmt: Select[Any],
    *,
    language: str | None = None,
    label: str | None = None,
    extraction_status: str | None = None,
    crawl_run_id: int | None = None,
    since: datetime | None = None,
) -> Select[Any]:
    if language is not None:
        stmt = stmt.where(Article.language == language)
    if extraction_status is not None:
        stmt = stmt.where(Article.extraction_status == extraction_status)
    if crawl_run_id is not None:
        stmt = stmt.where(Article.crawl_run_id == crawl_run_id)
    if since is not None:
        stmt = stmt.where(Article.fetched_at >= since)
    if label is not None:
        stmt = stmt.join(Classification, Classification.article_id == Article.id).where(
            Classification.label == label
        )
    return stmt


def count_articles(
    session: Session,
    *,
    language: str | None = None,
    label: str | None = None,
    extraction_status: str | None = None,
    crawl_run_id: int | None = None,
    since: datetime | None = None,
) -> int:
    """Stored articles matching every filter given (``since`` compares ``fetched_at``)."""
    stmt = _filtered(
        select(func.count(Article.id)),
        language=language,
        label=label,
        extraction_status=extraction_status,
        crawl_run_id=crawl_run_id,
        since=since,
    )
    return int(session.execute(stmt).scalar_one())


def _count_by(
    session: Session, column: Any, *, crawl_run_id: int | None, join_label: bool = False
) -> dict[str, int]:
    stmt = select(column, func.count(Article.id))
    if join_label:
        stmt = stmt.select_from(Article).join(Classification, Classification.article_id == Article.id)
    stmt = _filtered(stmt, crawl_run_id=crawl_run_id).group_by(column).order_by(column)
    return {str(key or ""): int(count) for key, count in session.execute(stmt).all()}


def counts_by_language(session: Session, *, crawl_run_id: int | None = None) -> dict[str, int]:
    """Successfully extracted articles per language ("" when undetected)."""
    stmt = _filtered(
        select(Article.language, func.count(Article.id)),
        crawl_run_id=crawl_run_id,
        extraction_status="ok",
    ).group_by(Article.language)
    return {str(key or ""): int(count) for key, count in session.execute(stmt).all()}


def counts_by_label(session: Session, *, crawl_run_id: int | None = None) -> dict[str, int]:
    """Classified articles per label."""
    return _count_by(session, Classification.label, crawl_run_id=crawl_run_id, join_label=True)


def counts_by_extraction_status(session: Session, *, crawl_run_id: int | None = None) -> dict[str, int]:
    """Stored articles per extraction status (ok, duplicate, empty, not_html, …)."""
    return _count_by(session, Article.extraction_status, crawl_run_id=crawl_run_id)


def summarize(session: Session, *, crawl_run_id: int | None = None) -> StorageSummary:
    return StorageSummary(
        articles=count_articles(session, crawl_run_id=crawl_run_id),
        by_language=counts_by_language(session, crawl_run_id=crawl_run_id),
        by_label=counts_by_label(session, crawl_run_id=crawl_run_id),
        by_extraction_status=counts_by_extraction_status(session, crawl_run_id=crawl_run_id),
    )
