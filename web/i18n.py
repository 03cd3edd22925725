"""The workspace's words, Arabic first, English on request (``?lang=en``, kept in the session)."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("ar", "en")

WORDS: dict[str, dict[str, str]] = {
    "app": {"ar": "رقيب — مساحة المحللين", "en": "Raqib — analysts' workspace"},
    "inbox": {"ar": "الوارد", "en": "Inbox"},
    "search": {"ar": "بحث", "en": "Search"},
    "sources": {"ar": "المصادر", "en": "Sources"},
    "digests": {"ar": "النشرات", "en": "Digests"},
    "whatif": {"ar": "ماذا لو", "en": "What-if"},  # nav link to the rule what-if (web/whatif.py)
    "login": {"ar": "تسجيل الدخول", "en": "Sign in"},
    "logout": {"ar": "خروج", "en": "Sign out"},
    "name": {"ar": "الاسم", "en": "Name"},
    "password": {"ar": "كلمة المرور", "en": "Password"},
    "bad_login": {"ar": "الاسم أو كلمة المرور غير صحيحة", "en": "Wrong name or password"},
    "locked": {
        "ar": "الحساب مقفل مؤقتا بعد محاولات فاشلة؛ حاول بعد ربع ساعة",
        "en": "Too many failed attempts: the account is locked for 15 minutes",
    },
    "db_busy": {
        "ar": "قاعدة البيانات مشغولة بعملية أخرى ولم تتحرر في الوقت: لم يحفظ شيء، أعد المحاولة بعد قليل",
        "en": "The database is busy with another process and was not freed in time: nothing was saved, try again in a moment",
    },
    "core": {"ar": "أساسي", "en": "core"},
    "related": {"ar": "ذو صلة", "en": "related"},
    "none": {"ar": "غير مصنف", "en": "none"},
    "all": {"ar": "الكل", "en": "all"},
    "label": {"ar": "التصنيف", "en": "Label"},
    "period": {"ar": "الفترة", "en": "Period"},
    "outlet": {"ar": "المصدر", "en": "Outlet"},
    "state": {"ar": "المراجعة", "en": "Review"},
    "awaiting": {"ar": "بانتظار المراجعة", "en": "awaiting review"},
    "reviewed": {"ar": "تمت مراجعته", "en": "reviewed"},
    "relevant": {"ar": "ذو صلة فعلا", "en": "relevant"},
    "false_alarm": {"ar": "إنذار كاذب", "en": "false alarm"},
    "missed": {"ar": "فائت", "en": "missed"},
    "day1": {"ar": "آخر يوم", "en": "last day"},
    "day7": {"ar": "آخر أسبوع", "en": "last week"},
    "day30": {"ar": "آخر شهر", "en": "last month"},
    "filter": {"ar": "تصفية", "en": "Filter"},
    "n_awaiting": {"ar": "{n} بانتظار المراجعة", "en": "{n} awaiting review"},
    "metrics": {
        "ar": "على {n} خبرا تمت مراجعتها: الدقة {p} والاستدعاء {r}",
        "en": "On {n} reviewed stories: precision {p}, recall {r}",
    },
    "no_reviews": {"ar": "لا مراجعات بعد", "en": "No reviews yet"},
    "no_stories": {"ar": "لا أخبار تطابق التصفية", "en": "No stories match"},
    "newer": {"ar": "الأحدث", "en": "newer"},
    "older": {"ar": "الأقدم", "en": "older"},
    "page": {"ar": "صفحة", "en": "page"},
    "original": {"ar": "الخبر الأصلي", "en": "original story"},
    "date": {"ar": "التاريخ", "en": "Date"},
    "confidence": {"ar": "ثقة التاريخ", "en": "date confidence"},
    "conf_high": {"ar": "عالية", "en": "high"},
    "conf_medium": {"ar": "متوسطة", "en": "medium"},
    "conf_low": {"ar": "منخفضة", "en": "low"},
    "conf_none": {"ar": "لا تاريخ", "en": "no date"},
    "evidence": {"ar": "الأدلة", "en": "Evidence"},
    "rules": {"ar": "القواعد التي انطبقت", "en": "Rules that fired"},
    "terms": {"ar": "المصطلحات ومواضعها", "en": "Terms and where"},
    "text": {"ar": "النص المخزن", "en": "Stored text"},
    "provenance": {"ar": "مصدر الزحف", "en": "Crawl provenance"},
    "source": {"ar": "المصدر المهيأ", "en": "Source"},
    "run": {"ar": "دورة الزحف", "en": "Crawl run"},
    "requested_url": {"ar": "الرابط المطلوب", "en": "Requested URL"},
    "final_url": {"ar": "الرابط النهائي", "en": "Final URL"},
    "canonical_url": {"ar": "الرابط القانوني", "en": "Canonical URL"},
    "review": {"ar": "المراجعة", "en": "Review"},
    "mark_relevant": {"ar": "ذو صلة", "en": "Relevant"},
    "mark_false_alarm": {"ar": "إنذار كاذب", "en": "False alarm"},
    "reason": {"ar": "السبب", "en": "Reason"},
    "page_chrome": {"ar": "حواشي الصفحة", "en": "page chrome"},
    "false_friend": {"ar": "كلمة ملتبسة", "en": "false friend"},
    "off_topic": {"ar": "خارج الموضوع", "en": "off-topic"},
    "other": {"ar": "أخرى", "en": "other"},
    "note": {"ar": "ملاحظة", "en": "Note"},
    "history": {"ar": "سجل المراجعات", "en": "Review history"},
    "no_history": {"ar": "لم يراجع بعد", "en": "Not reviewed yet"},
    "viewer_only": {"ar": "دورك للاطلاع فقط", "en": "Your role can only read"},
    "forbidden": {"ar": "غير مسموح", "en": "Forbidden"},
    "not_found": {"ar": "غير موجود", "en": "Not found"},
    "bad_request": {"ar": "طلب غير صالح", "en": "Bad request"},
    "csrf": {
        "ar": "انتهت صلاحية النموذج؛ أعد تحميل الصفحة وحاول مجددا",
        "en": "The form expired: reload the page and try again",
    },
    "other_lang": {"ar": "English", "en": "العربية"},
    "score": {"ar": "الدرجة", "en": "Score"},
    "where_title": {"ar": "العنوان", "en": "title"},
}


def translate(key: str, language: str, **values: object) -> str:
    entry = WORDS.get(key)
    if entry is None:
        return key
    text = entry.get(language) or entry["en"]
    return text.format(**values) if values else text


def translator(words: dict[str, dict[str, str]], language: str) -> Callable[..., str]:
    """A page's own words first, then the shared ones above (pages keep their vocabulary apart)."""

    def t(key: str, **values: object) -> str:
        entry = words.get(key)
        if entry is None:
            return translate(key, language, **values)
        text = entry.get(language) or entry["en"]
        return text.format(**values) if values else text

    return t
