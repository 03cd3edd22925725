"""A generated archive for the web benchmark: N Arabic articles, bulk-inserted (SQLAlchemy core), in a
database migrated to head, with the search index built by storage/search.py.

Texts are sentences drawn from a small vocabulary written for this file (no crawled text). About one
article in eight carries sentences on crypto and terrorism financing or on crypto regulation, and the
real classifier labels every article, so the flagged share, the matches and their offsets are what a
crawl would store. Outlets in several countries, crawl runs, publication dates over a year (some
missing, as on real sites), reviews on a quarter of the flagged stories (some reviewed twice), and one
admin user. The same seed gives the same archive on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text

BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password-2026"
CHUNK = 5_000

OUTLETS = [
    # (source name, outlet, country)
    ("nile-wire", "وكالة أنباء النيل", "EG"),
    ("gulf-daily", "صحيفة الخليج اليومية", "AE"),
    ("riyadh-post", "بريد الرياض", "SA"),
    ("atlas-news", "أخبار الأطلس", "MA"),
    ("sahara-times", "أيام الصحراء", "DZ"),
    ("tigris-herald", "منادي دجلة", "IQ"),
    ("petra-today", "البتراء اليوم", "JO"),
    ("cedar-voice", "صوت الأرز", "LB"),
]

# Everyday news: most articles are only this. «الحكومة» is common on purpose (the common-word search).
NEUTRAL = [
    "أعلنت الحكومة عن خطة جديدة لتطوير شبكة الطرق في المحافظات الجنوبية خلال العام المقبل.",
    "تتوقع الأرصاد الجوية أمطارا غزيرة ورياحا نشطة على المناطق الساحلية مع انخفاض في درجات الحرارة.",
    "فاز الفريق المحلي على ضيفه بهدفين دون رد في مباراة حضرها آلاف المشجعين.",
    "ارتفعت أسعار الخضر والفواكه في الأسواق الشعبية بسبب قلة المعروض وارتفاع كلفة النقل.",
    "افتتح وزير التربية مدرسة جديدة تتسع لألف تلميذ في حي سكني حديث.",
    "قالت الحكومة إن نسبة البطالة تراجعت قليلا في الربع الأخير من السنة.",
    "يشهد معرض الكتاب هذا العام مشاركة واسعة لدور النشر العربية والأجنبية.",
    "أكد مسؤولون في وزارة الصحة أن حملة التلقيح ستشمل القرى البعيدة هذا الشهر.",
    "ناقش البرلمان مشروع قانون الموازنة وسط خلافات بين الكتل حول الإنفاق العام.",
    "سجلت حركة الملاحة في الميناء ارتفاعا ملحوظا مقارنة بالفترة نفسها من العام الماضي.",
    "أطلقت البلدية مشروعا لزراعة الأشجار على ضفاف النهر وتنظيف الحدائق العامة.",
    "وقعت الحكومة اتفاقية مع شركة أجنبية لبناء محطة لتحلية مياه البحر.",
    "انطلق مهرجان الموسيقى التقليدية بمشاركة فرق من عدة بلدان عربية.",
    "حذر أطباء من موجة حر قد تؤثر على كبار السن والأطفال في الأيام المقبلة.",
    "استقبل الرئيس وفدا اقتصاديا لبحث فرص الاستثمار في قطاع الطاقة المتجددة.",
    "أعلن البنك المركزي إبقاء سعر الفائدة دون تغيير بعد اجتماع لجنته النقدية.",
    "تراجعت صادرات الحبوب بسبب الجفاف الذي ضرب المناطق الزراعية في الشمال.",
    "قررت الحكومة رفع الحد الأدنى للأجور ابتداء من مطلع السنة المقبلة.",
    "تواصل فرق الإنقاذ البحث عن مفقودين بعد انهيار مبنى قديم في وسط المدينة.",
    "نظمت الجامعة ندوة علمية حول الذكاء الاصطناعي وتطبيقاته في الطب.",
    "ارتفع عدد السياح الوافدين إلى المدن التاريخية بعد ترميم المواقع الأثرية.",
    "دعت نقابة المعلمين إلى إضراب احتجاجا على تأخر صرف العلاوات.",
    "أعلنت شركة الطيران الوطنية عن خطوط جديدة تربط العاصمة بعواصم إفريقية.",
    "بدأت أعمال توسعة المستشفى الجامعي لاستيعاب عدد أكبر من المرضى.",
]
# Sentences that make a story about crypto used to finance terrorism (the classifier's core).
CORE = [
    "أعلنت السلطات ضبط محافظ بيتكوين استخدمت في تمويل الإرهاب لصالح تنظيم داعش.",
    "كشف المحققون أن جماعة مسلحة جمعت تبرعات بالعملات المشفرة عبر قنوات على تلغرام.",
    "قالت النيابة إن المتهمين حولوا أموالا بعملة تيثر إلى عناصر تنظيم إرهابي في الخارج.",
    "جمد القضاء حسابات على منصات تداول الأصول الافتراضية يشتبه في تمويلها للإرهاب.",
]
# Crypto regulation and money laundering: related, not core.
RELATED = [
    "أوقفت الشرطة عصابة تغسل الأموال بالعملات المشفرة عبر منصات تداول غير مرخصة.",
    "طالبت مجموعة العمل المالي بتشديد الرقابة على منصات العملات الرقمية لمكافحة غسل الأموال.",
    "حذرت هيئة الرقابة المالية من عمليات احتيال بالبيتكوين تستهدف صغار المستثمرين.",
    "فككت السلطات شبكة احتيال جمعت ملايين الدولارات بعملة تيثر من ضحايا في عدة بلدان.",
]
# A word in a handful of articles only: the rare-word search.
RARE_WORD = "الزعفرانية"
RARE_SENTENCE = f"وزار الوفد بلدة {RARE_WORD} الجبلية حيث تشتهر الحقول بزراعة الزعفران."
TITLES = [
    "{place}: الحكومة تعلن إجراءات جديدة",
    "أمطار ورياح قوية في {place}",
    "{place} تستضيف مهرجانا ثقافيا",
    "ارتفاع الأسعار يقلق سكان {place}",
    "مشروع جديد للطرق في {place}",
]
CORE_TITLES = [
    "ضبط شبكة لتمويل الإرهاب بالعملات المشفرة في {place}",
    "{place}: تجميد محافظ بيتكوين مرتبطة بتنظيم مسلح",
]
RELATED_TITLES = [
    "تحذير من استغلال العملات الرقمية في {place}",
    "{place}: الرقابة المالية تلاحق منصات غير مرخصة",
]
PLACES = ["القاهرة", "دبي", "الرياض", "الرباط", "الجزائر", "بغداد", "عمان", "بيروت", "تونس", "الخرطوم"]
NOTES = ["", "", "تحقق من المصدر", "قصة مهمة للتقرير الأسبوعي"]
REASONS = ["page_chrome", "false_friend", "off_topic", "other"]


@dataclass(frozen=True)
class ArchiveFacts:
    """What was generated, and the ids and words the benchmark asks for."""

    url: str
    articles: int
    flagged: dict[str, int]
    reviews: int
    story_ids: tuple[int, ...]  # flagged stories, reviewed and not
    outlet: str  # a source name for the filtered inbox
    rare_articles: int  # how many articles carry the rare word


@dataclass(frozen=True)
class _Rows:
    sources: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    classifications: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    rare: int


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _body(rng: random.Random, kind: str, rare: bool) -> str:
    sentences = rng.sample(NEUTRAL, rng.randint(5, 9))
    if kind == "core":
        sentences[rng.randrange(2)] = rng.choice(CORE)
        sentences.insert(rng.randrange(2, len(sentences)), rng.choice(CORE + RELATED))
    elif kind == "related":
        sentences[rng.randrange(len(sentences))] = rng.choice(RELATED)
    if rare:
        sentences.append(RARE_SENTENCE)
    # Paragraphs of two or three sentences, as extracted text has them.
    out, i = [], 0
    while i < len(sentences):
        step = rng.randint(2, 3)
        out.append(" ".join(sentences[i : i + step]))
        i += step
    return "\n".join(out)


def build_rows(n: int, now: datetime, seed: int = 7) -> _Rows:
    """Every row of the archive, classified by the real classifier (one pass, reused per backend)."""
    from classifiers import load_classifier
    from storage.repository import ClassificationRecord

    rng = random.Random(seed)
    classifier = load_classifier()
    sources = [
        {
            "id": i,
            "name": name,
            "outlet": outlet,
            "country": country,
            "language": "ar",
            "kind": "feed",
            "created_at": now - timedelta(days=400),
        }
        for i, (name, outlet, country) in enumerate(OUTLETS, 1)
    ]
    days = 365
    runs = [
        {
            "id": d + 1,
            "sources": ",".join(s["name"] for s in sources),
            "status": "finished",
            "started_at": now - timedelta(days=days - d),
            "finished_at": now - timedelta(days=days - d, minutes=-9),
            "pages_fetched": n // days + 1,
            "articles_stored": n // days + 1,
            "stats": {},
            "errors": [],
        }
        for d in range(days)
    ]
    rare_every = max(1, n // 40)  # ~40 articles carry the rare word, whatever N
    articles, classifications, reviews = [], [], []
    rare = 0
    for i in range(1, n + 1):
        roll = rng.random()
        kind = "core" if roll < 0.03 else "related" if roll < 0.09 else "none"
        is_rare = i % rare_every == 0
        rare += is_rare
        body = _body(rng, kind, is_rare)
        place = rng.choice(PLACES)
        titles = {"core": CORE_TITLES, "related": RELATED_TITLES}.get(kind, TITLES)
        title = rng.choice(titles).format(place=place)
        source = sources[rng.randrange(len(sources))]
        age = timedelta(seconds=rng.randrange(days * 86400))
        fetched = now - age + timedelta(minutes=rng.randint(5, 180))
        url = f"https://{source['name']}.example/news/{i}"
        run = min(days, max(1, days - age.days))
        articles.append(
            {
                "id": i,
                "url_hash": hashlib.sha256(url.encode()).hexdigest(),
                "canonical_url": url,
                "requested_url": url + "?utm_source=feed",
                "final_url": url,
                "source_id": source["id"],
                "crawl_run_id": run,
                "http_status": 200,
                "title": title,
                "text": body,
                "summary": "",
                "author": "",
                "sitename": source["outlet"],
                "published_at": None if rng.random() < 0.02 else now - age,
                "published_at_raw": "",
                "date_confidence": "high",
                "fetched_at": fetched,
                "encoding": "utf-8",
                "language": "ar",
                "language_probability": 0.99,
                "content_hash": hashlib.sha256(body.encode()).hexdigest(),
                "extraction_status": "ok",
                "extraction_error": "",
                "duplicate_of_id": None,
            }
        )
        record = ClassificationRecord.from_decision(
            classifier.classify(body, title=title, language="ar"), classifier.rules_version
        )
        classifications.append({"id": i, "article_id": i, "classified_at": fetched, **record.as_row()})
        if record.label in ("core", "related") and rng.random() < 0.25:
            for _ in range(2 if rng.random() < 0.1 else 1):
                false_alarm = rng.random() < 0.2
                reviews.append(
                    {
                        "article_id": i,
                        "verdict": "false_alarm" if false_alarm else "relevant",
                        "reason": rng.choice(REASONS) if false_alarm else "",
                        "label": "" if false_alarm else record.label,
                        "note": rng.choice(NOTES),
                        "reviewer": rng.choice(["amina", "omar", "layla"]),
                        "created_at": fetched + timedelta(hours=rng.randint(1, 72)),
                    }
                )
        elif record.label == "none" and rng.random() < 0.002:
            reviews.append(
                {
                    "article_id": i,
                    "verdict": "missed",
                    "reason": "",
                    "label": "related",
                    "note": "",
                    "reviewer": "amina",
                    "created_at": fetched + timedelta(hours=5),
                }
            )
    return _Rows(sources, runs, articles, classifications, reviews, rare)


def load(engine: Engine, rows: _Rows) -> None:
    """Bulk-insert the rows, build the search index and add the benchmark's admin user."""
    from storage.db import session_factory, unit_of_work
    from storage.models import Article, Classification, CrawlRun, Review, Source
    from storage.search import index_articles
    from storage.users import add_user

    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        session.execute(insert(Source), rows.sources)
        session.execute(insert(CrawlRun), rows.runs)
    for table, data in (
        (Article, rows.articles),
        (Classification, rows.classifications),
        (Review, rows.reviews),
    ):
        for chunk in _chunks(data):
            with unit_of_work(factory) as session:
                session.execute(insert(table), list(chunk))
    for chunk in _chunks(rows.articles):
        with unit_of_work(factory) as session:
            index_articles(session, [(r["id"], r["title"], r["text"]) for r in chunk])
    with unit_of_work(factory) as session:
        if engine.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; later inserts (a review, a crawl) need them caught up.
            for table in ("sources", "crawl_runs", "articles", "classifications"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
        add_user(session, BENCH_USER, "admin", BENCH_PASSWORD)
    if engine.dialect.name == "postgresql":
        # Autovacuum would analyze a table this size within a minute; do it now rather than measure
        # plans made on empty statistics. SQLite never analyzes by itself, so neither do we there.
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def facts(url: str, rows: _Rows) -> ArchiveFacts:
    labels = {"core": 0, "related": 0, "none": 0}
    for c in rows.classifications:
        labels[c["label"]] += 1
    reviewed = {r["article_id"] for r in rows.reviews}
    flagged = [c["article_id"] for c in rows.classifications if c["label"] in ("core", "related")]
    # Ten flagged stories spread over the archive, reviewed and not, newest and oldest.
    step = max(1, len(flagged) // 10)
    story_ids = tuple(flagged[::step][:10]) or tuple(c["article_id"] for c in rows.classifications[:1])
    assert any(i in reviewed for i in flagged) or not rows.reviews
    return ArchiveFacts(
        url=url,
        articles=len(rows.articles),
        flagged={"core": labels["core"], "related": labels["related"]},
        reviews=len(rows.reviews),
        story_ids=story_ids,
        outlet=OUTLETS[0][0],
        rare_articles=rows.rare,
    )
