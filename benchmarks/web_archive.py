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
    "أعلنت الحكومة عن خطة جديدة لتطوير شبكة الطرق في {place} بكلفة {n} مليون خلال العام المقبل.",
    "تتوقع الأرصاد الجوية أمطارا غزيرة ورياحا نشطة على {place} مع انخفاض في درجات الحرارة.",
    "فاز فريق {place} على ضيفه بهدفين دون رد في مباراة حضرها {n} مشجع.",
    "ارتفعت أسعار الخضر والفواكه في أسواق {place} بسبب قلة المعروض وارتفاع كلفة النقل.",
    "افتتح الوزير {name} مدرسة جديدة تتسع لـ{n} تلميذ في حي سكني حديث بمدينة {place}.",
    "قالت الحكومة إن نسبة البطالة في {place} تراجعت إلى {n} بالألف في الربع الأخير من السنة.",
    "يشهد معرض الكتاب في {place} هذا العام مشاركة {n} دار نشر عربية وأجنبية.",
    "أكد {name}، المسؤول في وزارة الصحة، أن حملة التلقيح ستشمل قرى {place} البعيدة هذا الشهر.",
    "ناقش البرلمان مشروع قانون الموازنة وسط خلافات بين الكتل حول الإنفاق العام.",
    "سجلت حركة الملاحة في ميناء {place} ارتفاعا ملحوظا بلغ {n} سفينة مقارنة بالعام الماضي.",
    "أطلقت بلدية {place} مشروعا لزراعة {n} شجرة على ضفاف النهر وتنظيف الحدائق العامة.",
    "وقعت الحكومة اتفاقية مع شركة أجنبية لبناء محطة لتحلية مياه البحر قرب {place}.",
    "انطلق في {place} مهرجان الموسيقى التقليدية بمشاركة فرق من عدة بلدان عربية.",
    "حذر الطبيب {name} من موجة حر قد تؤثر على كبار السن والأطفال في الأيام المقبلة.",
    "استقبل الرئيس وفدا اقتصاديا برئاسة {name} لبحث فرص الاستثمار في الطاقة المتجددة.",
    "أعلن البنك المركزي إبقاء سعر الفائدة دون تغيير بعد اجتماع لجنته النقدية.",
    "تراجعت صادرات الحبوب من {place} بسبب الجفاف الذي ضرب المناطق الزراعية في الشمال.",
    "قررت الحكومة رفع الحد الأدنى للأجور إلى {n} ابتداء من مطلع السنة المقبلة.",
    "تواصل فرق الإنقاذ البحث عن مفقودين بعد انهيار مبنى قديم في وسط {place}.",
    "نظمت جامعة {place} ندوة علمية حول الذكاء الاصطناعي وتطبيقاته في الطب.",
    "ارتفع عدد السياح الوافدين إلى {place} إلى {n} زائر بعد ترميم المواقع الأثرية.",
    "دعت نقابة المعلمين في {place} إلى إضراب احتجاجا على تأخر صرف العلاوات.",
    "أعلنت شركة الطيران الوطنية عن خط جديد يربط العاصمة بمدينة {place}.",
    "بدأت أعمال توسعة المستشفى الجامعي في {place} لاستيعاب {n} مريض إضافي.",
    "صرح {name} للصحفيين بأن المفاوضات مع النقابات ستستأنف الأسبوع المقبل.",
    "شهدت {place} ازدحاما مروريا خانقا بعد إغلاق الجسر الرئيسي للصيانة.",
    "أعلن الاتحاد المحلي لكرة السلة عن تعيين {name} مدربا جديدا للمنتخب.",
    "انخفضت أسعار الذهب في أسواق {place} بعد ارتفاع الدولار أمام العملات الأخرى.",
    "كرمت وزارة الثقافة الكاتب {name} عن مجمل أعماله الروائية والقصصية.",
    "أوقفت الشرطة في {place} سائقا تجاوز السرعة المسموح بها بـ{n} كيلومتر في الساعة.",
    "يعاني سكان أحياء في {place} من انقطاع الماء منذ {n} ساعة بسبب عطل في الشبكة.",
    "دشن المحافظ {name} مصنعا لتعليب الأسماك يوفر {n} فرصة عمل.",
]
# Who and where: slot fillers, so that two unrelated stories share their sentences' frames but
# not their names, places and figures, as real stories do.
NAMES = [
    "أحمد الشريف",
    "فاطمة الزهراء بنعلي",
    "يوسف القاسمي",
    "مريم العبيدي",
    "خالد الحمادي",
    "سارة المنصوري",
    "عمر بن سالم",
    "ليلى حداد",
    "محمود الدباغ",
    "نور الهدى الطاهر",
    "سعيد الكعبي",
    "هدى الأنصاري",
    "طارق العمري",
    "رانية فرحات",
    "جمال بوزيد",
    "سلمى الخطيب",
    "بلال الجبوري",
    "دعاء السويدي",
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
PLACES = [
    "القاهرة",
    "الإسكندرية",
    "دبي",
    "أبوظبي",
    "الرياض",
    "جدة",
    "الرباط",
    "الدار البيضاء",
    "الجزائر",
    "وهران",
    "بغداد",
    "البصرة",
    "عمان",
    "إربد",
    "بيروت",
    "طرابلس",
    "تونس",
    "صفاقس",
    "الخرطوم",
    "مسقط",
    "الدوحة",
    "المنامة",
    "الكويت",
    "نواكشوط",
]
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


def _fill(rng: random.Random, sentence: str) -> str:
    return sentence.format(place=rng.choice(PLACES), name=rng.choice(NAMES), n=rng.randint(12, 98_000))


def _body(rng: random.Random, kind: str, rare: bool) -> str:
    sentences = [_fill(rng, s) for s in rng.sample(NEUTRAL, rng.randint(5, 9))]
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


@dataclass(frozen=True)
class _Draft:
    """An article before it has an id (ids follow fetch time, as a crawl assigns them)."""

    kind: str
    title: str
    body: str
    source: int
    published: datetime | None
    fetched: datetime


def _drafts(rng: random.Random, n: int, now: datetime, days: int) -> tuple[list[_Draft], int]:
    """The articles, about one flagged story in six also run by another outlet within a day (wire
    copy, its last paragraph cut), as outlets do; and how many carry the rare word."""
    rare_every = max(1, n // 40)  # ~40 articles carry the rare word, whatever N
    drafts: list[_Draft] = []
    rare = 0
    while len(drafts) < n:
        roll = rng.random()
        kind = "core" if roll < 0.03 else "related" if roll < 0.09 else "none"
        is_rare = (len(drafts) + 1) % rare_every == 0
        rare += is_rare
        body = _body(rng, kind, is_rare)
        titles = {"core": CORE_TITLES, "related": RELATED_TITLES}.get(kind, TITLES)
        title = rng.choice(titles).format(place=rng.choice(PLACES))
        published = now - timedelta(seconds=rng.randrange(days * 86400))
        source = rng.randrange(len(OUTLETS))
        fetched = published + timedelta(minutes=rng.randint(5, 180))
        drafts.append(_Draft(kind, title, body, source, None if rng.random() < 0.02 else published, fetched))
        if kind != "none" and not is_rare and rng.random() < 0.17 and len(drafts) < n:
            later = published + timedelta(minutes=rng.randint(30, 1200))
            copy = body.rsplit("\n", 1)[0] if "\n" in body else body
            other = (source + rng.randrange(1, len(OUTLETS))) % len(OUTLETS)
            fetched = min(now, later + timedelta(minutes=rng.randint(5, 180)))
            drafts.append(_Draft(kind, title, copy, other, min(now, later), fetched))
    drafts.sort(key=lambda d: d.fetched)
    return drafts, rare


def _reviews(rng: random.Random, article_id: int, label: str, fetched: datetime) -> list[dict[str, Any]]:
    """A quarter of the flagged stories reviewed (a tenth of those twice), a few misses marked."""
    out: list[dict[str, Any]] = []
    if label in ("core", "related") and rng.random() < 0.25:
        for _ in range(2 if rng.random() < 0.1 else 1):
            false_alarm = rng.random() < 0.2
            out.append(
                {
                    "article_id": article_id,
                    "verdict": "false_alarm" if false_alarm else "relevant",
                    "reason": rng.choice(REASONS) if false_alarm else "",
                    "label": "" if false_alarm else label,
                    "note": rng.choice(NOTES),
                    "reviewer": rng.choice(["amina", "omar", "layla"]),
                    "created_at": fetched + timedelta(hours=rng.randint(1, 72)),
                }
            )
    elif label == "none" and rng.random() < 0.002:
        out.append(
            {
                "article_id": article_id,
                "verdict": "missed",
                "reason": "",
                "label": "related",
                "note": "",
                "reviewer": "amina",
                "created_at": fetched + timedelta(hours=5),
            }
        )
    return out


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
    drafts, rare = _drafts(rng, n, now, days)
    articles, classifications, reviews = [], [], []
    for i, d in enumerate(drafts, 1):
        source = sources[d.source]
        url = f"https://{source['name']}.example/news/{i}"
        articles.append(
            {
                "id": i,
                "url_hash": hashlib.sha256(url.encode()).hexdigest(),
                "canonical_url": url,
                "requested_url": url + "?utm_source=feed",
                "final_url": url,
                "source_id": source["id"],
                "crawl_run_id": min(days, max(1, days - (now - d.fetched).days)),
                "http_status": 200,
                "title": d.title,
                "text": d.body,
                "summary": "",
                "author": "",
                "sitename": source["outlet"],
                "published_at": d.published,
                "published_at_raw": "",
                "date_confidence": "high" if d.published else "none",
                "fetched_at": d.fetched,
                "encoding": "utf-8",
                "language": "ar",
                "language_probability": 0.99,
                "content_hash": hashlib.sha256(d.body.encode()).hexdigest(),
                "extraction_status": "ok",
                "extraction_error": "",
                "duplicate_of_id": None,
            }
        )
        record = ClassificationRecord.from_decision(
            classifier.classify(d.body, title=d.title, language="ar"), classifier.rules_version
        )
        classifications.append({"id": i, "article_id": i, "classified_at": d.fetched, **record.as_row()})
        reviews.extend(_reviews(rng, i, record.label, d.fetched))
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
