"""Publication dates as Arabic news sites write them.

trafilatura's date finder (htmldate) knows no Arabic month names: on «15 مارس 2024» it keeps the year and
returns 1 January. This module parses what Arabic pages actually show: Egyptian/Gulf month names
(«مارس»), Levantine/Iraqi ones («آذار», «تشرين الأول»), Moroccan («شتنبر», «دجنبر») and Algerian/
Tunisian ones («جانفي», «أوت»), Arabic-Indic digits, weekday prefixes, «10:30 م» times and Hijri dates
(«15 رمضان 1445 هـ», converted with the Umm al-Qura table of ``hijridate``; outside its range,
1343–1500 AH, with the arithmetic tabular calendar, which can be a day off).

Every result is an aware datetime in UTC; a date without a time is midnight in ``default_tz``.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["ParsedDate", "find_visible_date", "parse_arabic_date", "parse_iso_or_rfc"]


@dataclass(frozen=True)
class ParsedDate:
    value: datetime  # aware, UTC
    raw: str  # the substring of the input the date was read from
    calendar: str  # "gregorian" | "hijri"


# Written here already normalised the way _normalise() folds text (alef forms -> ا, ى -> ي, ة -> ه).
_GREGORIAN_MONTHS = {
    1: ("يناير", "كانون الثاني", "كانون ثاني", "جانفي", "جانفييه", "ينايرر"),
    2: ("فبراير", "شباط", "فيفري", "فبرير"),
    3: ("مارس", "اذار"),
    4: ("ابريل", "نيسان", "افريل", "ابريل"),
    5: ("مايو", "ايار", "ماي"),
    6: ("يونيو", "يونيه", "حزيران", "جوان"),
    7: ("يوليو", "يوليه", "تموز", "يوليوز", "جويليه", "جويلييه"),
    8: ("اغسطس", "اب", "غشت", "اوت"),
    9: ("سبتمبر", "ايلول", "شتنبر"),
    10: ("اكتوبر", "تشرين الاول", "تشرين اول"),
    11: ("نوفمبر", "تشرين الثاني", "تشرين ثاني", "نونبر"),
    12: ("ديسمبر", "كانون الاول", "كانون اول", "دجنبر"),
}
_HIJRI_MONTHS = {
    1: ("محرم", "المحرم"),
    2: ("صفر",),
    3: ("ربيع الاول", "ربيع اول"),
    4: ("ربيع الثاني", "ربيع الاخر", "ربيع ثاني", "ربيع اخر"),
    5: ("جمادي الاولي", "جمادي الاول", "جمادي اولي"),
    6: ("جمادي الثانيه", "جمادي الاخره", "جمادي الثاني", "جمادي الاخر", "جمادي ثاني"),
    7: ("رجب",),
    8: ("شعبان",),
    9: ("رمضان",),
    10: ("شوال",),
    11: ("ذو القعده", "ذي القعده"),
    12: ("ذو الحجه", "ذي الحجه"),
}

_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ی": "ي",  # Persian yeh
        "ک": "ك",  # Persian kaf
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Eastern Arabic-Indic (Persian/Urdu) digits
        "\u00a0": " ",
        "٫": ".",
    }
)
# Dropped before matching: diacritics, tatweel, bidi and zero-width marks. Positions are kept in a map
# so the raw substring can be cut from the original text.
_DROP = re.compile("[\u064b-\u0652\u0670\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]")


def _alternation(table: dict[int, tuple[str, ...]]) -> tuple[str, dict[str, int]]:
    lookup = {}
    for month, names in table.items():
        for name in names:
            lookup[name] = month
    names = sorted(lookup, key=len, reverse=True)  # longest first: «مايو» before «ماي»
    return "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names), lookup


_G_ALT, _G_LOOKUP = _alternation(_GREGORIAN_MONTHS)
_H_ALT, _H_LOOKUP = _alternation(_HIJRI_MONTHS)

_B = r"(?<![\w])"  # start of a token (Arabic letters are \w too)
_E = r"(?![\w])"
_MILADI = r"(?:\s*م(?!\w)|\s*ميلادي[ه]?)?"
_HIJRI_MARK = r"\s*(?:هـ|ه(?!\w)|هجري[ه]?|للهجره)"

_PATTERNS = (
    # 15 رمضان 1445 هـ
    (
        "hijri",
        re.compile(
            rf"{_B}(?P<day>\d{{1,2}})\s+(?P<month>{_H_ALT}){_E}\s*[,،]?\s*(?P<year>1[34]\d\d)(?!\d)(?:{_HIJRI_MARK})?"
        ),
    ),
    # 15 مارس 2024 · 15 آذار (مارس) 2024 · 15 مارس/آذار 2024م
    (
        "dmy",
        re.compile(
            rf"{_B}(?P<day>\d{{1,2}})\s*[-/]?\s*(?P<month>{_G_ALT}){_E}"
            rf"(?:\s*[(/\-]\s*(?:{_G_ALT}){_E}\s*\)?)?\s*[,،]?\s*(?P<year>(?:19|20)\d\d)(?!\d){_MILADI}"
        ),
    ),
    # مارس 15، 2024
    (
        "mdy",
        re.compile(
            rf"{_B}(?P<month>{_G_ALT})\s+(?P<day>\d{{1,2}})\s*[,،]\s*(?P<year>(?:19|20)\d\d)(?!\d){_MILADI}"
        ),
    ),
    # 2024-03-15 · 2024/3/15
    ("ymd", re.compile(r"(?<![\d.])(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?![\d])")),
    # 15/03/2024 (day first, as Arabic sites write it) · 1445/09/15 is caught above as ymd
    ("dmy_num", re.compile(r"(?<![\d.])(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})(?![\d])")),
)

_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<ampm>صباحا|صباح|ص|مساء|مساءا|م|ظهرا|ليلا|am|pm|a\.m\.|p\.m\.)(?!\w))?"
    r"(?:\s*(?:بتوقيت\s+)?(?:gmt|utc|غرينتش|جرينتش)\s*(?P<offset>[+-]\s*\d{1,2}(?::?\d{2})?)?)?"
)
_TIME_AFTER = re.compile(r"[\s\-–—|،,:/]*(?:في\s+)?(?:ال)?(?:ساعه\s*)?" + _TIME, re.I)
_TIME_BEFORE = re.compile(_TIME + r"\s*[\-–—|،,]?\s*(?:\w+\s*[,،]?\s*)?$", re.I)
_PM = {"م", "مساء", "مساءا", "ليلا", "pm", "p.m."}
_AM = {"ص", "صباح", "صباحا", "am", "a.m."}

_ISO_LIKE = re.compile(
    r"^\d{4}-?\d{2}-?\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$",
    re.I,
)


def _normalise(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each of its characters, the index it came from in ``text``."""
    chars: list[str] = []
    positions: list[int] = []
    drop = _DROP
    for index, char in enumerate(text):
        if drop.match(char):
            continue
        chars.append(char)
        positions.append(index)
    positions.append(len(text))
    return "".join(chars).translate(_FOLD).lower(), positions


@lru_cache(maxsize=32)
def _zone(name: str) -> timezone | ZoneInfo:
    if name.upper() in {"UTC", "Z", "GMT"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _tabular_hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """Arithmetic (civil, epoch 16 July 622 Julian) Islamic calendar; within a day of the sighted one."""
    days = day + -(-59 * (month - 1) // 2) + (year - 1) * 354 + (3 + 11 * year) // 30 - 1
    return date(622, 7, 19) + timedelta(days=days)


def hijri_to_gregorian(year: int, month: int, day: int) -> date | None:
    """Umm al-Qura conversion where ``hijridate`` covers it, the tabular calendar elsewhere."""
    if not (1 <= month <= 12 and 1 <= day <= 30 and year >= 1):
        return None
    try:
        from hijridate import Hijri

        return date(*Hijri(year, month, day).to_gregorian().datetuple())
    except (ImportError, OverflowError, ValueError):
        # Out of the table's range, or day 30 of a 29-day month (sites count by sighting, not the table).
        try:
            return _tabular_hijri_to_gregorian(year, month, day)
        except (OverflowError, ValueError):
            return None


def _find_time(norm: str, start: int, end: int) -> re.Match[str] | None:
    after = _TIME_AFTER.match(norm, end, min(len(norm), end + 40))
    if after:
        return after
    window_start = max(0, start - 40)
    return _TIME_BEFORE.search(norm[window_start:start])


def _apply_time(day: date, match: re.Match[str] | None, tz: timezone | ZoneInfo) -> datetime | None:
    hour = minute = second = 0
    if match:
        hour, minute = int(match["hour"]), int(match["minute"])
        second = int(match["second"] or 0)
        ampm = (match["ampm"] or "").lower()
        if ampm in _PM and hour < 12:
            hour += 12
        elif ampm in _AM and hour == 12:
            hour = 0
        if match["offset"]:
            offset = match["offset"].replace(" ", "").replace(":", "")
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:]
            hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        elif re.search(r"gmt|utc|غرينتش|جرينتش", match.group(0)):
            tz = UTC
        if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
            hour = minute = second = 0
            match = None
    local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
    return local.astimezone(UTC)


def _candidate(kind: str, match: re.Match[str]) -> tuple[date, str] | None:
    """The calendar date a pattern match names, or None when it names none."""
    try:
        year, day = int(match["year"]), int(match["day"])
        if kind == "hijri":
            month = _H_LOOKUP[re.sub(r"\s+", " ", match["month"])]
            converted = hijri_to_gregorian(year, month, day)
            return (converted, "hijri") if converted else None
        if kind in {"dmy", "mdy"}:
            month = _G_LOOKUP[re.sub(r"\s+", " ", match["month"])]
        else:
            month = int(match["month"])
            if kind == "dmy_num" and month > 12 and day <= 12:  # 03/15/2024: an American order slipped in
                day, month = month, day
        if 1300 <= year <= 1500 and kind in {"ymd", "dmy_num"}:  # numeric Hijri, e.g. 1445/09/15
            converted = hijri_to_gregorian(year, month, day)
            return (converted, "hijri") if converted else None
        return date(year, month, day), "gregorian"
    except (KeyError, ValueError, OverflowError):
        return None


def _scan(text: str, default_tz: str, *, plausible_only: bool) -> ParsedDate | None:
    norm, positions = _normalise(text)
    tz = _zone(default_tz)
    latest_year = datetime.now(UTC).year + 1
    found: list[tuple[int, int, date, str]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(norm):
            candidate = _candidate(kind, match)
            if candidate is None:
                continue
            day, calendar = candidate
            if plausible_only and not (1990 <= day.year <= latest_year):
                continue
            found.append((match.start(), match.end(), day, calendar))
            break  # the first match of each pattern is enough: the earliest overall wins below
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    start, end, day, calendar = found[0]
    # «15 رمضان 1445 هـ - 25 مارس 2024 م»: the Gregorian twin beside a Hijri date is exact, prefer it.
    if calendar == "hijri":
        for other in found[1:]:
            if other[3] == "gregorian" and 0 <= other[0] - end <= 40:
                start, end, day, calendar = other
                break
    time_match = _find_time(norm, start, end)
    value = _apply_time(day, time_match, tz)
    if value is None:
        return None
    raw_start, raw_end = start, end
    if time_match is not None and time_match.re is _TIME_AFTER:
        raw_end = time_match.end()
    elif time_match is not None:
        raw_start = max(0, start - 40) + time_match.start()
    raw = text[positions[raw_start] : positions[raw_end]].strip(" -–|،,\n\t")
    return ParsedDate(value=value, raw=raw, calendar=calendar)


def parse_iso_or_rfc(value: str) -> datetime | None:
    """Parse a machine date (meta tag, JSON-LD, feed): ISO 8601 or RFC 822. Naive values are taken as UTC."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().translate(_FOLD)
    if not text or len(text) > 64:
        return None
    parsed: datetime | None = None
    if _ISO_LIKE.match(text):
        candidate = text.replace(",", ".")
        if candidate[-3:-2] in "+-" and candidate[-3:].lstrip("+-").isdigit() and "T" in candidate.upper():
            candidate += ":00"  # "+03" -> "+03:00"
        try:
            parsed = datetime.fromisoformat(candidate.upper().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_arabic_date(text: str, *, default_tz: str = "UTC") -> ParsedDate | None:
    """Parse one date string: ISO/RFC first, then Arabic forms (month names, Hijri, numeric, times)."""
    if not text or not isinstance(text, str):
        return None
    text = text[:500]
    machine = parse_iso_or_rfc(text)
    if machine is not None:
        return ParsedDate(value=machine, raw=text.strip(), calendar="gregorian")
    try:
        return _scan(text, default_tz, plausible_only=False)
    except Exception:  # noqa: BLE001 - a bad date string is "no date", never a crash
        return None


def find_visible_date(text: str) -> ParsedDate | None:
    """The first plausible date (year 1990..next year) in a page's visible text."""
    if not text:
        return None
    try:
        return _scan(text[:50_000], "UTC", plausible_only=True)
    except Exception:  # noqa: BLE001
        return None
