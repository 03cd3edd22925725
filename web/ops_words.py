"""Words of the Sources and Digests pages, Arabic first; anything else falls back to web/i18n.py."""

from __future__ import annotations

from collections.abc import Callable

from web.i18n import translator as shared_translator

WORDS: dict[str, dict[str, str]] = {
    "sources": {"ar": "المصادر", "en": "Sources"},
    "digests": {"ar": "النشرات", "en": "Digests"},
    "health": {"ar": "الحالة", "en": "Health"},
    "health_window": {
        "ar": "الحالة كما تحسبها النشرة، عن آخر {hours} ساعة حتى {until}",
        "en": "Health as the digest computes it, over the last {hours} h up to {until}",
    },
    "h_ok": {"ar": "سليم", "en": "ok"},
    "h_failed": {"ar": "فشل", "en": "failing"},
    "h_not_crawled": {"ar": "لم يُزحف", "en": "not crawled"},
    "h_empty": {"ar": "لا جديد", "en": "silent"},
    "h_stale": {"ar": "متوقف", "en": "stale"},
    "last_success": {"ar": "آخر زحف ناجح", "en": "Last success"},
    "never": {"ar": "أبدا", "en": "never"},
    "per_day": {"ar": "المقالات يوميا (آخر {weeks} أسابيع)", "en": "Articles per day (last {weeks} weeks)"},
    "weeks": {"ar": "الأسابيع", "en": "Weeks"},
    "show": {"ar": "عرض", "en": "Show"},
    "total": {"ar": "المجموع", "en": "total"},
    "runs": {"ar": "دورات الزحف الأخيرة", "en": "Recent crawl runs"},
    "runs_of": {"ar": "دورات الزحف التي شملت {name}", "en": "Crawl runs that covered {name}"},
    "all_runs": {"ar": "كل الدورات", "en": "all runs"},
    "id": {"ar": "الرقم", "en": "id"},
    "started": {"ar": "البداية", "en": "Started"},
    "status": {"ar": "الحالة", "en": "Status"},
    "pages": {"ar": "الصفحات", "en": "Pages"},
    "stored": {"ar": "المخزن", "en": "Stored"},
    "covered": {"ar": "المصادر المشمولة", "en": "Sources"},
    "every_source": {"ar": "كل المصادر", "en": "every source"},
    "failures": {"ar": "الإخفاقات حسب السبب", "en": "Failures by reason"},
    "counted": {"ar": "العدادات", "en": "counted"},
    "no_failures": {"ar": "لا إخفاقات", "en": "none"},
    "no_runs": {"ar": "لا دورات زحف", "en": "No crawl runs"},
    "no_sources": {"ar": "لا مصادر بعد", "en": "No sources yet"},
    "r_finished": {"ar": "انتهى", "en": "finished"},
    "r_running": {"ar": "جار", "en": "running"},
    "r_failed": {"ar": "فشل", "en": "failed"},
    "r_timeout": {"ar": "تجاوز المهلة", "en": "timeout"},
    "r_killed": {"ar": "أوقف قسرا", "en": "killed"},
    "channel": {"ar": "القناة", "en": "Channel"},
    "c_files": {"ar": "ملفات", "en": "files"},
    "c_email": {"ar": "بريد", "en": "e-mail"},
    "d_sent": {"ar": "أرسلت", "en": "sent"},
    "d_failed": {"ar": "فشلت", "en": "failed"},
    "d_claimed": {"ar": "قيد التسليم", "en": "claimed"},
    "created": {"ar": "أنشئت", "en": "Created"},
    "sent_at": {"ar": "سُلّمت", "en": "Sent"},
    "articles": {"ar": "المقالات", "en": "Articles"},
    "stories": {"ar": "القصص", "en": "Stories"},
    "files": {"ar": "الملفات", "en": "Files"},
    "no_files": {
        "ar": "لا ملفات في مجلد النشرات لهذه الدورة",
        "en": "No file of this run in the digest folder",
    },
    "no_digests": {"ar": "لا نشرات بعد", "en": "No digests yet"},
    "digest_n": {"ar": "النشرة رقم {id}", "en": "Digest {id}"},
    "attempt": {"ar": "المحاولة", "en": "Attempt"},
    "detail": {"ar": "التفاصيل", "en": "Detail"},
    "message_id": {"ar": "معرف الرسالة", "en": "Message-ID"},
    "download": {"ar": "تنزيل", "en": "download"},
    "view": {"ar": "عرض", "en": "view"},
    "html_note": {
        "ar": "ملف HTML يُنزَّل كما كُتب (بتنسيقه المضمن للبريد) ولا يُعرض داخل مساحة العمل",
        "en": "HTML files download as written (with the inline styles made for mail clients); they are never rendered inside the workspace",
    },
    "folder": {"ar": "المجلد", "en": "Folder"},
}


def translator(language: str) -> Callable[..., str]:
    return shared_translator(WORDS, language)
