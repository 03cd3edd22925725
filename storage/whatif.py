"""Rule what-if: what a candidate rules folder would change on the stored stories, before anything does.

Classifies the stored articles of the last N days with the candidate rules (the articles and
languages ``raqib reclassify`` would classify), compares with their stored labels, and measures the
analysts' reviewed items under the stored labels (``raqib eval --reviews``) and under the candidate.
Reads only: the session is never flushed or committed here. Applying is ``storage.rules_install``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, Classification, Source, utcnow

MAX_DAYS = 90
DEFAULT_DAYS = 7
MAX_ARTICLES = 20_000  # newest first; past this the preview says it was cut short
BATCH = 500
UNCLASSIFIED = "unclassified"
FLAGGED = ("core", "related")
KINDS = ("gained", "lost", "changed")


class WhatIfError(ValueError):
    """A what-if that cannot run as asked (bad days, an invalid rules folder): one line for the user."""


@dataclass(frozen=True)
class Evidence:
    """One decision as the classifier reports it: matches carry concept, term, offsets, field and place."""

    label: str
    score: float = 0.0
    rules: tuple[str, ...] = ()
    matches: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": self.score,
            "rules": list(self.rules),
            "matches": [dict(m) for m in self.matches],
        }


@dataclass(frozen=True)
class StoryChange:
    article_id: int
    kind: str  # gained | lost | changed
    title: str
    text: str
    language: str
    outlet: str
    published_at: datetime | None
    old: Evidence  # the stored classification (label "unclassified" when there is none)
    new: Evidence  # the candidate rules' decision

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "kind": self.kind,
            "title": self.title,
            "outlet": self.outlet,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
        }


@dataclass(frozen=True)
class Figures:
    """Precision and recall on the reviewed items, in ``raqib eval --json``'s terms."""

    n: int
    flagged: dict[str, Any]
    core: dict[str, Any]
    rules_version: str

    @classmethod
    def from_report(cls, report: dict[str, Any]) -> Figures:
        return cls(
            int(report["n"]), dict(report["flagged"]), dict(report["core"]), str(report["rules_version"])
        )

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "flagged": self.flagged, "core": self.core, "rules_version": self.rules_version}


@dataclass(frozen=True)
class WhatIf:
    candidate_dir: str
    candidate_version: str
    current_version: str
    days: int
    since: datetime
    examined: int
    truncated: bool  # more than MAX_ARTICLES stories in the period: the oldest were not examined
    changes: tuple[StoryChange, ...]
    transitions: dict[tuple[str, str], int]
    before: Figures  # the stored labels on the reviewed items
    after: Figures  # the candidate's labels on the same items
    reviewed_changed: tuple[int, ...] = field(default=())  # reviewed articles whose label would change

    def of_kind(self, kind: str) -> list[StoryChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(c.kind for c in self.changes)
        return {kind: found.get(kind, 0) for kind in KINDS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate_dir": self.candidate_dir,
            "candidate_version": self.candidate_version,
            "current_version": self.current_version,
            "days": self.days,
            "since": self.since.isoformat(),
            "examined": self.examined,
            "truncated": self.truncated,
            "counts": self.counts,
            "transitions": [
                {"from": old, "to": new, "n": n} for (old, new), n in sorted(self.transitions.items())
            ],
            "changes": [c.to_dict() for c in self.changes],
            "reviews": {"before": self.before.to_dict(), "after": self.after.to_dict()},
            "reviewed_changed": list(self.reviewed_changed),
        }


def check_days(days: int) -> int:
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise WhatIfError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    return days


def load_candidate(rules_dir: Path | str) -> Any:
    """The candidate folder's classifier; an invalid pack raises WhatIfError with the loader's words
    (file, line, rule or concept)."""
    from classifiers import RuleError, load_classifier

    try:
        return load_classifier(Path(rules_dir))
    except RuleError as error:
        raise WhatIfError(str(error)) from error


def kind_of(old: str, new: str) -> str:
    """gained (not flagged → flagged), lost (flagged → not), changed (core ↔ related), or ""."""
    was, now = old in FLAGGED, new in FLAGGED
    if now and not was:
        return "gained"
    if was and not now:
        return "lost"
    return "changed" if was and old != new else ""


def _when() -> Any:
    # The inbox's notion of a story's day: its publication date, else when it was fetched.
    return func.coalesce(Article.published_at, Article.fetched_at)


def _in_period(since: datetime, languages: Sequence[str]) -> Any:
    return select(Article.id).where(
        Article.extraction_status == "ok",
        Article.language.in_(sorted(set(languages))),
        _when() >= since,
    )


def what_if(
    session: Session,
    candidate: Any,
    *,
    days: int = DEFAULT_DAYS,
    current_version: str = "",
    now: datetime | None = None,
    limit: int = MAX_ARTICLES,
    progress: Callable[[int, int], None] | None = None,
) -> WhatIf:
    """Compare the stored labels of the last ``days`` days with ``candidate``'s (a loaded classifier).

    ``current_version`` is the active rules' version (shown beside the candidate's). ``progress(done,
    total)`` is called after each batch of articles.
    """
    check_days(days)
    since = (now or utcnow()) - timedelta(days=days)
    languages = list(getattr(candidate, "languages", None) or ("ar", "en", "fr"))
    ids_stmt = _in_period(since, languages).order_by(_when().desc(), Article.id.desc()).limit(limit + 1)
    ids = list(session.scalars(ids_stmt))
    truncated = len(ids) > limit
    ids = ids[:limit]
    changes: list[StoryChange] = []
    transitions: Counter[tuple[str, str]] = Counter()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = session.execute(
            select(Article, Source.outlet, Classification)
            .outerjoin(Source, Source.id == Article.source_id)
            .outerjoin(Classification, Classification.article_id == Article.id)
            .where(Article.id.in_(chunk))
        ).all()
        order = {article_id: n for n, article_id in enumerate(chunk)}
        for article, outlet, stored in sorted(rows, key=lambda row: order[row[0].id]):
            decision = candidate.classify(
                article.text or "", title=article.title or "", language=article.language
            )
            old = _stored(stored)
            transitions[(old.label, decision.label)] += 1
            kind = kind_of(old.label, decision.label)
            if kind:
                changes.append(
                    StoryChange(
                        article.id,
                        kind,
                        article.title or "",
                        article.text or "",
                        article.language or "",
                        outlet or article.sitename or "",
                        article.published_at,
                        old,
                        Evidence(
                            decision.label,
                            float(decision.score),
                            tuple(decision.rules),
                            tuple(m.to_dict() for m in decision.matches),
                        ),
                    )
                )
        if progress is not None:
            progress(min(start + BATCH, len(ids)), len(ids))
    before, after, reviewed_changed = _review_figures(session, candidate)
    return WhatIf(
        candidate_dir=str(getattr(getattr(candidate, "ruleset", None), "source", "") or ""),
        candidate_version=str(candidate.rules_version),
        current_version=current_version,
        days=days,
        since=since,
        examined=len(ids),
        truncated=truncated,
        changes=tuple(changes),
        transitions=dict(transitions),
        before=before,
        after=after,
        reviewed_changed=reviewed_changed,
    )


def _stored(row: Classification | None) -> Evidence:
    if row is None:
        return Evidence(UNCLASSIFIED)
    return Evidence(
        row.label,
        float(row.score or 0.0),
        tuple(str(r) for r in row.rules or ()),
        tuple(dict(m) for m in row.matches or () if isinstance(m, dict)),
    )


def _review_figures(session: Session, candidate: Any) -> tuple[Figures, Figures, tuple[int, ...]]:
    """The reviewed items' figures under the stored labels (exactly ``raqib eval --reviews``) and
    under the candidate's labels."""
    from classifiers.evaluate import Item, measure
    from storage.reviews import report, reviewed_items

    items = reviewed_items(session)
    predictions = {
        item.article_id: candidate.classify(item.text, title=item.title, language=item.language or None).label
        for item in items
    }
    after = measure(
        [Item(f"article-{i.article_id}", i.text, i.title, i.gold, i.category, i.language) for i in items],
        {f"article-{i.article_id}": predictions[i.article_id] for i in items},
        str(candidate.rules_version),
    )
    changed = tuple(i.article_id for i in items if predictions[i.article_id] != i.predicted)
    return Figures.from_report(report(session)), Figures.from_report(after), changed
