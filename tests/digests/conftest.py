"""Fixtures for the digest tests: a migrated SQLite file (or PostgreSQL), stored articles, a real SMTP server.

Articles are written through the storage repository, as the crawler writes them; their texts are
written for these tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from digests.config import DigestSettings, EmailSettings
from storage import db, repository
from storage.models import CrawlRun
from storage.repository import ArticleRecord, ClassificationRecord, SourceRecord

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)

# Texts written for these tests (not from any outlet). One wire story, told twice with small edits.
WIRE = (
    "أعلنت وحدة التحريات المالية اليوم ضبط محافظ عملات مشفرة استخدمتها خلية إرهابية لتمويل عملياتها "
    "عبر منصات تداول غير مرخصة، وقالت الوحدة في بيان إن التحقيقات كشفت تحويلات بعملة تيثر إلى حسابات "
    "مرتبطة بتنظيم داعش خلال الأشهر الستة الماضية، وإن السلطات جمدت الأصول الافتراضية المضبوطة بالتنسيق "
    "مع شركاء دوليين ومجموعة العمل المالي لمنطقة الشرق الأوسط وشمال أفريقيا."
)
WIRE_COPY = "(وكالات) " + WIRE.replace("اليوم", "الثلاثاء").replace("الستة", "الست")
LAUNDERING = (
    "قضت محكمة الجنايات بسجن أفراد شبكة لغسل الأموال استخدمت عملة بيتكوين لإخفاء عائدات تجارة "
    "المخدرات، وأوضحت النيابة أن الشبكة حولت ملايين الدولارات عبر محافظ رقمية مجهولة الهوية."
)
OTHER = (
    "ناقش مؤتمر إقليمي مخاطر استخدام الأصول الافتراضية في تمويل الإرهاب، ودعا المشاركون إلى تشديد "
    "الرقابة على مزودي خدمات الأصول الافتراضية وتطبيق قاعدة السفر على التحويلات العابرة للحدود."
)


def match(text_: str, term: str, concept: str) -> dict:
    start = text_.index(term)
    return {"concept": concept, "term": term, "start": start, "end": start + len(term), "text": term}


@dataclass
class ArticleSpec:
    url: str
    title: str
    text: str
    source: str = "wire-one"
    label: str = "core"
    score: float = 5.0
    terms: tuple[tuple[str, str], ...] = (("عملات مشفرة", "crypto"), ("إرهابية", "terrorism"))
    fetched_at: datetime = field(default_factory=lambda: NOW - timedelta(hours=3))
    published_at: datetime | None = field(default_factory=lambda: NOW - timedelta(hours=4))
    extraction_status: str = "ok"

    def record(self) -> ArticleRecord:
        matches = [match(self.text, t, c) for t, c in self.terms if t in self.text]
        return ArticleRecord(
            canonical_url=self.url,
            source_name=self.source,
            title=self.title,
            text=self.text,
            published_at=self.published_at,
            fetched_at=self.fetched_at,
            language="ar",
            content_hash=uuid.uuid4().hex,
            extraction_status=self.extraction_status,
            classification=ClassificationRecord(
                label=self.label, score=self.score, matches=matches, snippets=[], rules_version="test"
            ),
        )


SOURCES = (
    SourceRecord("wire-one", "جريدة الأولى", "MA", "ar", "feed"),
    SourceRecord("wire-two", "صحيفة الثانية", "SA", "ar", "sitemap"),
    SourceRecord("quiet-three", "موقع الثالث", "EG", "ar", "listing"),
)


class Store:
    """Writes sources, crawl runs and articles the way the crawler does."""

    def __init__(self, factory: sessionmaker[Session]):
        self.factory = factory
        with db.unit_of_work(factory) as session:
            repository.upsert_sources(session, SOURCES)

    def add(self, *specs: ArticleSpec) -> dict[str, int]:
        with db.unit_of_work(self.factory) as session:
            run_id = repository.start_crawl_run(session, sorted({s.source for s in specs}))
            result = repository.store_articles(session, [s.record() for s in specs], run_id)
            repository.finish_crawl_run(session, run_id, status="finished", articles_stored=result.inserted)
            started = min(s.fetched_at for s in specs) - timedelta(minutes=1)
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(started_at=started))
        return {spec.url: result.ids[repository.url_hash(spec.url)] for spec in specs}

    def crawl_run(
        self, sources: list[str], status: str, started_at: datetime, errors: list | None = None
    ) -> int:
        with db.unit_of_work(self.factory) as session:
            run_id = repository.start_crawl_run(session, sources)
            repository.finish_crawl_run(session, run_id, status=status, errors=errors or [])
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(started_at=started_at))
        return run_id

    def deliveries(self, channel: str) -> dict[int, str]:
        with self.factory() as session:
            rows = session.execute(
                text("SELECT article_id, status FROM deliveries WHERE channel = :c"), {"c": channel}
            ).all()
        return {int(a): s for a, s in rows}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    db.upgrade(url)
    return url


@pytest.fixture
def engine(db_url: str):
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine) -> sessionmaker[Session]:
    return db.session_factory(engine)


@pytest.fixture
def store(factory) -> Store:
    return Store(factory)


@pytest.fixture
def settings(tmp_path: Path, smtp) -> DigestSettings:
    _, port = smtp
    return DigestSettings(
        out_dir=tmp_path / "out",
        timezone="Africa/Casablanca",
        email=EmailSettings(
            enabled=True,
            recipients=("analyst@example.org", "desk@example.org"),
            sender_name="رقيب — المراقب",
            sender_address="raqib@example.org",
            subject_prefix="[رقيب]",
            smtp_host="127.0.0.1",
            smtp_port=port,
            timeout_seconds=5,
        ),
    )


def with_port(settings: DigestSettings, port: int) -> DigestSettings:
    return replace(settings, email=replace(settings.email, smtp_port=port))
