"""Analysts' reviews of articles: stored, superseded, exported as labelled data and measured.

Reviews are only ever added. A newer review of an article by the same reviewer supersedes that
reviewer's older one (by time; the older stays as history); when reviewers disagree, the latest
review of the article is its verdict. Reclassification never touches this table, so the labelled set
survives every rule change. Functions take a Session and never commit (DESIGN convention 7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, Classification, Review, utcnow

VERDICTS = ("relevant", "false_alarm", "missed")
REASONS = ("page_chrome", "false_friend", "off_topic", "other")
REVIEW_LABELS = ("related", "core")
LABEL_NUMBER = {"none": 0, "related": 1, "core": 2}
MAX_NOTE = 4000


class ReviewError(ValueError):
    """A review that cannot be stored as given: one line for the user."""


def add_review(
    session: Session,
    article_id: int,
    verdict: str,
    reviewer: str,
    *,
    reason: str = "",
    label: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Review:
    """Store one review. *relevant* records the article's current label (``label`` may name another
    flagged label the reviewer prefers); *false_alarm* needs a reason; *missed* needs the label the
    article deserved (related or core)."""
    if verdict not in VERDICTS:
        raise ReviewError(f"invalid verdict {verdict!r}: choose {', '.join(VERDICTS)}")
    if reason and reason not in REASONS:
        raise ReviewError(f"invalid reason {reason!r}: choose {', '.join(REASONS)}")
    if label and label not in REVIEW_LABELS:
        raise ReviewError(f"invalid label {label!r}: choose {', '.join(REVIEW_LABELS)}")
    if not reviewer:
        raise ReviewError("a review needs its reviewer")
    if len(note) > MAX_NOTE:
        raise ReviewError(f"note too long: at most {MAX_NOTE} characters")
    if session.get(Article, article_id) is None:
        raise ReviewError(f"no article {article_id}")
    current = session.scalar(select(Classification.label).where(Classification.article_id == article_id))
    if verdict == "relevant":
        label = label or (current if current in REVIEW_LABELS else "")
        if not label:
            raise ReviewError(f"article {article_id} is not flagged: mark it missed, with its label")
        reason = ""
    elif verdict == "false_alarm":
        if not reason:
            raise ReviewError("a false alarm needs a reason: " + ", ".join(REASONS))
        label = ""
    else:  # missed
        if not label:
            raise ReviewError("a missed article needs the label it deserved: related or core")
        reason = ""
    review = Review(
        article_id=article_id,
        verdict=verdict,
        reason=reason,
        label=label,
        note=note.strip(),
        reviewer=reviewer,
        created_at=now or utcnow(),
    )
    session.add(review)
    session.flush()
    return review


def history(session: Session, article_id: int) -> list[Review]:
    """Every review of an article, newest first (superseded ones included)."""
    stmt = (
        select(Review)
        .where(Review.article_id == article_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
    )
    return list(session.scalars(stmt))


def current_by_reviewer(session: Session, article_id: int) -> list[Review]:
    """Each reviewer's latest review of an article, newest first."""
    seen: dict[str, Review] = {}
    for review in history(session, article_id):
        seen.setdefault(review.reviewer, review)
    return list(seen.values())


def _latest_ids() -> Any:
    """Subquery: the id of each reviewed article's latest review."""
    ranked = select(
        Review.id,
        func.row_number()
        .over(partition_by=Review.article_id, order_by=(Review.created_at.desc(), Review.id.desc()))
        .label("rank"),
    ).subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1)


def verdicts(session: Session, article_ids: Iterable[int] | None = None) -> dict[int, Review]:
    """article id → its latest review (the verdict that counts)."""
    stmt = select(Review).where(Review.id.in_(_latest_ids()))
    if article_ids is not None:
        ids = sorted(set(article_ids))
        if not ids:
            return {}
        stmt = stmt.where(Review.article_id.in_(ids))
    return {review.article_id: review for review in session.scalars(stmt)}


def latest_review_ids() -> Any:
    """For queries elsewhere (the inbox's review-state filter): ids of the reviews that count."""
    return _latest_ids()


def gold_label(review: Review) -> int:
    """The number ``raqib eval`` reads: relevant → the label it vouched for, false alarm → 0,
    missed → the label the reviewer gave."""
    if review.verdict == "false_alarm":
        return 0
    return LABEL_NUMBER.get(review.label, 1)


def category(review: Review) -> str:
    return (
        f"false_alarm:{review.reason}"
        if review.verdict == "false_alarm" and review.reason
        else review.verdict
    )


@dataclass(frozen=True)
class ReviewedItem:
    article_id: int
    title: str
    text: str
    language: str
    gold: int
    category: str
    predicted: str  # the article's current stored label ("none" when unclassified)
    rules_version: str


def reviewed_items(session: Session) -> list[ReviewedItem]:
    """Every reviewed article with its verdict and its current classification, by article id."""
    stmt = (
        select(
            Review,
            Article.title,
            Article.text,
            Article.language,
            Classification.label,
            Classification.rules_version,
        )
        .join(Article, Article.id == Review.article_id)
        .outerjoin(Classification, Classification.article_id == Review.article_id)
        .where(Review.id.in_(_latest_ids()))
        .order_by(Review.article_id)
    )
    return [
        ReviewedItem(
            review.article_id,
            title or "",
            text or "",
            language or "",
            gold_label(review),
            category(review),
            label or "none",
            version or "",
        )
        for review, title, text, language, label, version in session.execute(stmt).all()
    ]


def export_rows(session: Session) -> list[dict[str, Any]]:
    """The reviewed articles in ``raqib eval``'s dataset format."""
    return [
        {"id": f"article-{item.article_id}", "title": item.title, "text": item.text, "label": item.gold}
        for item in reviewed_items(session)
    ]


def report(session: Session) -> dict[str, Any]:
    """Precision and recall of the current classifications on the reviewed articles, in
    ``raqib eval --json``'s shape."""
    from classifiers.evaluate import Item, measure

    # Verdicts and stored labels only: reading every reviewed article's text and review objects
    # (reviewed_items, which the export needs) cost the inbox 0.3 s a request with 3,000 reviews.
    stmt = (
        select(
            Review.article_id,
            Review.verdict,
            Review.reason,
            Review.label,
            Classification.label.label("predicted"),
            Classification.rules_version,
        )
        .join(Article, Article.id == Review.article_id)
        .outerjoin(Classification, Classification.article_id == Review.article_id)
        .where(Review.id.in_(_latest_ids()))
        .order_by(Review.article_id)
    )
    rows = session.execute(stmt).all()
    versions = sorted({r.rules_version for r in rows if r.rules_version})
    result = measure(
        [Item(f"article-{r.article_id}", "", "", gold_label(r), category(r)) for r in rows],
        {f"article-{r.article_id}": r.predicted or "none" for r in rows},
        ",".join(versions),
    )
    result.pop("predictions", None)
    return result


@dataclass(frozen=True)
class ReviewFigures:
    """What the inbox shows of :func:`report`: the number of reviewed articles and the precision,
    recall and F1 (with tp, fp, fn) of the flagged and core labels, equal to report's."""

    n: int
    flagged: dict[str, Any]
    core: dict[str, Any]


def figures(session: Session) -> ReviewFigures:
    """:func:`report`'s n, flagged and core figures from one GROUP BY over the latest verdicts and
    the current labels: a handful of rows (one per verdict × label × predicted label) instead of one
    per reviewed article, which the inbox paid on every request."""
    from classifiers.evaluate import _prf

    stmt = (
        select(
            Review.verdict,
            Review.label,
            Classification.label.label("predicted"),
            func.count().label("n"),
        )
        .join(Article, Article.id == Review.article_id)
        .outerjoin(Classification, Classification.article_id == Review.article_id)
        .where(Review.id.in_(_latest_ids()))
        .group_by(Review.verdict, Review.label, Classification.label)
    )
    counts = {"flagged": [0, 0, 0], "core": [0, 0, 0]}  # tp, fp, fn, as classifiers.evaluate.measure
    total = 0
    for row in session.execute(stmt):
        gold, predicted = gold_label(row), LABEL_NUMBER.get(row.predicted or "none", 0)
        total += row.n
        for name, threshold in (("flagged", 1), ("core", 2)):
            g, p = gold >= threshold, predicted >= threshold
            if g or p:
                counts[name][0 if g and p else 1 if p else 2] += row.n
    return ReviewFigures(total, _prf(*counts["flagged"]), _prf(*counts["core"]))


def awaiting_review(session: Session) -> int:
    """Flagged articles (core, related) nobody has reviewed yet: the flagged ones (their label index)
    less the flagged among the reviewed, so the reviews are read, not one review lookup per flagged
    article (each classification has one article, so the difference counts articles)."""
    flagged = (
        select(func.count())
        .select_from(Classification)
        .where(Classification.label.in_(REVIEW_LABELS))
        .scalar_subquery()
    )
    # The distinct reviewed articles first, then their labels: SQLite otherwise walks every flagged
    # classification and looks each up in the reviews (34 against 9 ms on 100,000 articles).
    ids = select(Review.article_id).distinct().subquery()
    reviewed = (
        select(func.count())
        .select_from(ids)
        .join(Classification, Classification.article_id == ids.c.article_id)
        .where(Classification.label.in_(REVIEW_LABELS))
        .scalar_subquery()
    )
    return int(session.execute(select(flagged - reviewed)).scalar_one())
