"""A small archive for the rule what-if (storage/whatif.py): Arabic stories classified by the packaged
rules, analysts' reviews, and candidate rules folders made from a copy of the packaged packs."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import db
from storage import repository as repo
from storage.reviews import add_review
from storage.users import add_user

PASSWORD = "kalimat-sirr-2026"
NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
NEW_TERM = "زيكاش"  # a coin the packaged lexicon does not know

STORIES = [
    # (key, hours before NOW, title, text)
    (
        "zcash",
        3,
        f"جماعة مسلحة تجمع تبرعات بعملة {NEW_TERM}",
        f"كشف محققون أن جماعة مسلحة جمعت تبرعات بعملة {NEW_TERM} لتمويل الإرهاب عبر حسابات مجهولة.\n"
        "وقالت الشرطة إن الأموال نقلت إلى قادة التنظيم في الخارج.",
    ),
    (
        "fatf",
        5,
        "مجموعة العمل المالي تبحث الأصول الافتراضية",
        "ناقشت مجموعة العمل المالي في اجتماعها السنوي قواعد جديدة للأصول الافتراضية ومنصات تداولها.\n"
        "وقال المشاركون إن الرقابة على المنصات ستشدد العام المقبل.",
    ),
    (
        "seizure",
        7,
        "ضبط محافظ بيتكوين لتمويل تنظيم داعش",
        "أعلنت النيابة ضبط محافظ بيتكوين استعملت في تمويل الإرهاب لصالح تنظيم داعش.\n"
        "وأضافت أن التحويلات مرت عبر منصات تداول خارجية.",
    ),
    (
        "weather",
        9,
        "أمطار غزيرة على السواحل",
        "تتوقع الأرصاد أمطارا غزيرة على السواحل الشمالية خلال الأيام المقبلة.",
    ),
    (
        "old_zcash",
        24 * 40,
        f"تبرعات بعملة {NEW_TERM} لجماعة مسلحة",
        f"قالت السلطات إن جماعة مسلحة تلقت تبرعات بعملة {NEW_TERM} لتمويل الإرهاب قبل أشهر.",
    ),
]


def seed(url: str, *, with_users: bool = True, now: datetime = NOW) -> dict[str, int]:
    """Store the stories (classified by the packaged rules, dated before ``now``) and three reviews;
    returns ids by key."""
    from classifiers import load_classifier

    db.upgrade(url)
    engine = db.make_engine(url)
    classifier = load_classifier()
    records = []
    for key, hours, title, text in STORIES:
        decision = classifier.classify(text, title=title, language="ar")
        records.append(
            repo.ArticleRecord(
                canonical_url=f"https://akhbar.example/{key}",
                requested_url=f"https://akhbar.example/{key}",
                source_name="wire-one",
                title=title,
                text=text,
                sitename="وكالة الأخبار",
                language="ar",
                published_at=now - timedelta(hours=hours),
                date_confidence="high",
                classification=repo.ClassificationRecord.from_decision(decision, classifier.rules_version),
            )
        )
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            repo.upsert_sources(session, [repo.SourceRecord("wire-one", "وكالة الأخبار", "MA", "ar", "feed")])
            stored = repo.store_articles(session, records).ids
            ids = {key: stored[repo.url_hash(f"https://akhbar.example/{key}")] for key, *_ in STORIES}
            add_review(session, ids["zcash"], "missed", "rev", label="core", now=now)
            add_review(session, ids["fatf"], "false_alarm", "rev", reason="off_topic", now=now)
            add_review(session, ids["seizure"], "relevant", "rev", now=now)
            if with_users:
                for name, role in (("rev", "reviewer"), ("view", "viewer"), ("boss", "admin")):
                    add_user(session, name, role, PASSWORD)
    finally:
        engine.dispose()
    return ids


def copy_packs(target: Path) -> Path:
    """A copy of the packaged rule packs (what an analyst edits)."""
    from classifiers.loader import DEFAULT_RULES_DIR

    shutil.copytree(DEFAULT_RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def add_term(rules_dir: Path) -> Path:
    """Teach the crypto concept the new coin: the zcash stories gain a label."""
    lexicon = rules_dir / "ar" / "lexicon.yaml"
    text = lexicon.read_text(encoding="utf-8")
    assert "      - بيتكوين\n" in text
    lexicon.write_text(
        text.replace("      - بيتكوين\n", f"      - بيتكوين\n      - {NEW_TERM}\n", 1), encoding="utf-8"
    )
    return rules_dir


def remove_aml_rule(rules_dir: Path) -> Path:
    """Drop the rule that flags crypto beside AML bodies (and its description): the FATF story loses its label."""
    rules = rules_dir / "ar" / "rules.yaml"
    lines = rules.read_text(encoding="utf-8").split("\n")
    start = lines.index("  - name: crypto_aml_body")
    end = start + 1
    while end < len(lines) and not lines[end].startswith("  - name:"):
        end += 1
    rules.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")
    descriptions = rules_dir / "ar" / "descriptions.yaml"
    kept = [
        line for line in descriptions.read_text(encoding="utf-8").split("\n") if "crypto_aml_body" not in line
    ]
    descriptions.write_text("\n".join(kept), encoding="utf-8")
    return rules_dir


def break_pack(rules_dir: Path) -> Path:
    """A rule that names a concept the lexicon does not have: the loader refuses the pack."""
    rules = rules_dir / "ar" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(
        text.replace("all: [[crypto], [crime]]", "all: [[crypto], [no_such_concept]]", 1), encoding="utf-8"
    )
    return rules_dir
