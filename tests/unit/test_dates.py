"""Arabic publication dates: one table row per form a news page writes, each with why it matters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.dates import find_visible_date, hijri_to_gregorian, parse_arabic_date, parse_iso_or_rfc

# (text, expected UTC datetime or None, calendar, explanation)
CASES = [
    (
        "15 مارس 2024",
        datetime(2024, 3, 15),
        "gregorian",
        "Egyptian/Gulf month name; htmldate says 1 January here",
    ),
    ("الجمعة 2 فبراير 2024", datetime(2024, 2, 2), "gregorian", "weekday prefix is ignored"),
    ("3 أبريل 2023", datetime(2023, 4, 3), "gregorian", "أبريل with hamza"),
    ("3 ابريل 2023", datetime(2023, 4, 3), "gregorian", "ابريل without hamza"),
    ("20 يونيه 2022", datetime(2022, 6, 20), "gregorian", "Egyptian يونيه"),
    ("9 يوليه 2022", datetime(2022, 7, 9), "gregorian", "Egyptian يوليه"),
    ("1 اغسطس 2021", datetime(2021, 8, 1), "gregorian", "أغسطس spelled without hamza"),
    ("1 كانون الثاني 2024", datetime(2024, 1, 1), "gregorian", "Levantine January, two words"),
    ("12 شباط 2024", datetime(2024, 2, 12), "gregorian", "Levantine February"),
    ("١٤ آذار ٢٠٢٤", datetime(2024, 3, 14), "gregorian", "Levantine March with Arabic-Indic digits"),
    ("5 نيسان 2020", datetime(2020, 4, 5), "gregorian", "Levantine April"),
    ("5 أيار 2020", datetime(2020, 5, 5), "gregorian", "Levantine May"),
    ("5 حزيران 2020", datetime(2020, 6, 5), "gregorian", "Levantine June"),
    ("5 تموز 2020", datetime(2020, 7, 5), "gregorian", "Levantine July"),
    (
        "7 آب 2024",
        datetime(2024, 8, 7),
        "gregorian",
        "Levantine August (two letters, only with day and year)",
    ),
    ("7 أيلول 2024", datetime(2024, 9, 7), "gregorian", "Levantine September"),
    ("3 تشرين الأول 2023", datetime(2023, 10, 3), "gregorian", "Levantine October"),
    ("3 تشرين الثاني 2023", datetime(2023, 11, 3), "gregorian", "Levantine November"),
    ("31 كانون الأول 2023", datetime(2023, 12, 31), "gregorian", "Levantine December"),
    ("15 آذار (مارس) 2024", datetime(2024, 3, 15), "gregorian", "both names, the second in brackets"),
    ("13 أغسطس/آب 2020", datetime(2020, 8, 13), "gregorian", "both names with a slash"),
    ("15 ماي 2019", datetime(2019, 5, 15), "gregorian", "Maghreb May, a prefix of مايو"),
    ("4 يوليوز 2019", datetime(2019, 7, 4), "gregorian", "Moroccan July"),
    ("4 غشت 2019", datetime(2019, 8, 4), "gregorian", "Moroccan August"),
    ("5 شتنبر 2022", datetime(2022, 9, 5), "gregorian", "Moroccan September"),
    ("5 نونبر 2022", datetime(2022, 11, 5), "gregorian", "Moroccan November"),
    ("12 دجنبر 2023", datetime(2023, 12, 12), "gregorian", "Moroccan December"),
    ("10 جانفي 2021", datetime(2021, 1, 10), "gregorian", "Algerian/Tunisian January"),
    ("10 فيفري 2021", datetime(2021, 2, 10), "gregorian", "Algerian/Tunisian February"),
    ("10 أفريل 2021", datetime(2021, 4, 10), "gregorian", "Algerian/Tunisian April"),
    ("10 جوان 2021", datetime(2021, 6, 10), "gregorian", "Algerian/Tunisian June"),
    ("10 جويلية 2021", datetime(2021, 7, 10), "gregorian", "Algerian/Tunisian July (ta marbuta)"),
    ("1 أوت 2020", datetime(2020, 8, 1), "gregorian", "Algerian/Tunisian August"),
    ("مارس 15، 2024", datetime(2024, 3, 15), "gregorian", "month first, Arabic comma"),
    ("25 مارس 2024م", datetime(2024, 3, 25), "gregorian", "Gregorian era mark م glued to the year"),
    (
        "الخميس ١٤ آذار ٢٠٢٤ - ١٠:٣٠ م",
        datetime(2024, 3, 14, 22, 30),
        "gregorian",
        "time after the date, م = PM",
    ),
    ("14 مارس 2024 10:30 ص", datetime(2024, 3, 14, 10, 30), "gregorian", "ص = AM"),
    ("14 مارس 2024 12:15 ص", datetime(2024, 3, 14, 0, 15), "gregorian", "12 ص is just after midnight"),
    (
        "3 تشرين الأول 2023 الساعة 08:15 مساءً",
        datetime(2023, 10, 3, 20, 15),
        "gregorian",
        "الساعة and مساءً with tanwin",
    ),
    ("10:30 م الأربعاء 13 مارس 2024", datetime(2024, 3, 13, 22, 30), "gregorian", "time before the date"),
    ("5 شتنبر 2022 - 23:10", datetime(2022, 9, 5, 23, 10), "gregorian", "24-hour time"),
    ("15/03/2024", datetime(2024, 3, 15), "gregorian", "numeric, day first as Arabic sites write it"),
    ("٢٠٢٤/٠٣/١٥", datetime(2024, 3, 15), "gregorian", "numeric year first, Arabic-Indic digits"),
    ("15 رمضان 1445 هـ", datetime(2024, 3, 25), "hijri", "Hijri, Umm al-Qura conversion"),
    ("١ شوال ١٤٤٤ ه", datetime(2023, 4, 21), "hijri", "Hijri Eid al-Fitr with Arabic-Indic digits"),
    ("10 ذو الحجة 1444", datetime(2023, 6, 28), "hijri", "Hijri month of two words, no era mark"),
    ("1 جمادى الأولى 1445", datetime(2023, 11, 15), "hijri", "alef maqsura in جمادى"),
    (
        "الجمعة 15 رمضان 1445 هـ الموافق 25 مارس 2024 م",
        datetime(2024, 3, 25),
        "gregorian",
        "Hijri and Gregorian side by side: the Gregorian one is exact, it wins",
    ),
    ("2024-03-15T10:30:00+03:00", datetime(2024, 3, 15, 7, 30), "gregorian", "ISO 8601 with offset"),
    (
        "Fri, 15 Mar 2024 10:30:00 +0300",
        datetime(2024, 3, 15, 7, 30),
        "gregorian",
        "RFC 822 as feeds write it",
    ),
    ("garbage", None, None, "no date at all"),
    ("", None, None, "empty string"),
    ("31 فبراير 2024", None, None, "impossible day"),
    ("مارس 2024", None, None, "month and year only: not a publication date"),
    ("15 مارس", None, None, "no year"),
    ("اتصل على 15/99/2024", None, None, "numbers that are no date"),
]


@pytest.mark.parametrize(("text", "expected", "calendar", "why"), CASES, ids=[c[3] for c in CASES])
def test_parse_arabic_date(text, expected, calendar, why):
    parsed = parse_arabic_date(text)
    if expected is None:
        assert parsed is None, why
        return
    assert parsed is not None, why
    assert parsed.value == expected.replace(tzinfo=UTC), why
    assert parsed.value.tzinfo is not None and parsed.value.utcoffset().total_seconds() == 0
    assert parsed.calendar == calendar, why
    assert parsed.raw and parsed.raw in text, "raw is a substring of the input"


def test_raw_keeps_the_original_marks():
    parsed = parse_arabic_date("نُشر في 3 تشرين الأول 2023 الساعة 08:15 مساءً")
    assert parsed is not None and parsed.raw == "3 تشرين الأول 2023 الساعة 08:15 مساءً"


def test_default_timezone_applies_to_local_times():
    parsed = parse_arabic_date("15 مارس 2024 10:30 ص", default_tz="Asia/Riyadh")
    assert parsed is not None and parsed.value == datetime(2024, 3, 15, 7, 30, tzinfo=UTC)
    unknown = parse_arabic_date("15 مارس 2024 10:30 ص", default_tz="Not/AZone")
    assert unknown is not None and unknown.value == datetime(2024, 3, 15, 10, 30, tzinfo=UTC)


def test_explicit_gmt_offset_beats_default_timezone():
    parsed = parse_arabic_date("28 آب 2013، 14:00 GMT+4", default_tz="Europe/London")
    assert parsed is not None and parsed.value == datetime(2013, 8, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-15T10:30:00Z", datetime(2024, 3, 15, 10, 30)),
        ("2024-03-15T10:30:00.123+0300", datetime(2024, 3, 15, 7, 30, 0, 123000)),
        ("2024-03-15T10:30:00+03", datetime(2024, 3, 15, 7, 30)),
        ("2024-03-15 10:30", datetime(2024, 3, 15, 10, 30)),  # naive: taken as UTC
        ("2024-03-15", datetime(2024, 3, 15)),
        ("Fri, 15 Mar 2024 10:30:00 GMT", datetime(2024, 3, 15, 10, 30)),
        ("15 Mar 2024 10:30:00 -0500", datetime(2024, 3, 15, 15, 30)),
        ("not a date", None),
        ("", None),
        ("15 مارس 2024", None),  # Arabic text is parse_arabic_date's job
    ],
)
def test_parse_iso_or_rfc(value, expected):
    parsed = parse_iso_or_rfc(value)
    if expected is None:
        assert parsed is None
    else:
        assert parsed == expected.replace(tzinfo=UTC)


def test_find_visible_date_skips_implausible_years_and_takes_the_first():
    text = "تأسست الصحيفة في 12 مارس 1890. نشر في 15 آذار 2024 وحدث في 20 آذار 2024"
    parsed = find_visible_date(text)
    assert parsed is not None and parsed.value == datetime(2024, 3, 15, tzinfo=UTC)
    assert find_visible_date("لا تاريخ هنا") is None
    assert find_visible_date("") is None


def test_hijri_conversion_outside_the_umm_al_qura_table_uses_the_tabular_calendar():
    # 1 Muharram 1300 AH: 12 or 13 November 1882 depending on the method; the tabular one is within a day.
    converted = hijri_to_gregorian(1300, 1, 1)
    assert converted is not None and abs((converted - datetime(1882, 11, 12).date()).days) <= 1
    assert hijri_to_gregorian(1445, 13, 1) is None
    # Day 30 of a 29-day month in the table (sites count by sighting): still a date, not a crash.
    assert hijri_to_gregorian(1445, 9, 30) is not None


def test_garbage_never_raises():
    for text in ["٣٣:٩٩ م", "99 مارس 9999", "\x00\ufffd", "1" * 10_000, "مارس " * 1000]:
        parse_arabic_date(text)
        find_visible_date(text)
