"""The chrome rules on small pages written for these tests: what goes, what must stay.

Each case has the story's paragraphs, the chrome put around or inside them, and what it probes.
"""

from __future__ import annotations

import pytest

from crawler.extraction import extract_article

URL = "https://akhbar.example/news/2026/12/05/story.html"
TITLE = "افتتاح معرض للكتاب في المدينة القديمة بمشاركة دور نشر عربية"
STORY = [
    "افتتح وزير الثقافة صباح اليوم معرضا للكتاب في ساحة المدينة القديمة، بمشاركة أكثر من مئة دار نشر "
    "من بلدان عربية مختلفة، ويستمر المعرض عشرة أيام.",
    "وقال مدير المعرض إن الدورة الحالية تخصص جناحا لكتب الأطفال وآخر للترجمة، إلى جانب ندوات يومية "
    "يشارك فيها كتاب وباحثون من المنطقة.",
    "وأضاف أن الإقبال في الساعات الأولى فاق التوقعات، مشيرا إلى أن التذاكر ستكون مجانية لطلاب المدارس "
    "والجامعات طوال أيام المعرض.",
]
# Chrome a security outlet would carry: every line would flag the story if it stayed.
HEADLINES = [
    "تفكيك شبكة تجمع التبرعات بالبيتكوين لصالح تنظيم داعش",
    "عقوبات على محافظ عملات مشفرة تمول جماعة مسلحة في الساحل",
    "مصادرة أصول افتراضية استخدمت في تمويل الإرهاب عبر منصة تداول",
]


def page(inside: str = "", after: str = "", paragraphs: list[str] | None = None) -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in (STORY if paragraphs is None else paragraphs))
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{TITLE}</title><meta property="og:title" content="{TITLE}">
<meta property="article:published_time" content="2026-12-05T09:00:00Z"></head><body>
<div class="k1"><h1>{TITLE}</h1><div class="k2">{body}{inside}</div></div>{after}
</body></html>""".encode()


def text_of(html: bytes) -> str:
    result = extract_article(html, URL, "text/html")
    assert result.status == "ok", result.error
    return result.text


def links(items: list[str], prefix: str = "/news/2026/12/") -> str:
    return "".join(f'<li><a href="{prefix}{i}.html">{h}</a></li>' for i, h in enumerate(items))


READ_ALSO = [
    ("<p><strong>اقرأ أيضاً:</strong> <a href='/news/1.html'>{h}</a></p>", "WordPress «اقرأ أيضاً» line"),
    ("<p>إقرأ أيضا: <a href='/news/1.html'>{h}</a></p>", "hamza below, no tanween"),
    ("<p><b>اقرا ايضا</b> <a href='/news/1.html'>{h}</a></p>", "no hamza at all"),
    ("<p>طالع أيضاً | <a href='/news/1.html'>{h}</a></p>", "«طالع أيضاً»"),
    ("<p>شاهد أيضا: <a href='/video/1.html'>{h}</a></p>", "«شاهد أيضا» to a video page"),
    ("<p>للمزيد: <a href='/news/1.html'>{h}</a></p>", "«للمزيد:» with a link"),
    ("<p><a href='/news/1.html'>{h}</a></p>", "a bare link line to the same site"),
    ("<div class='zz'><a href='/news/1.html'><img src='x.jpg'><h3>{h}</h3></a></div>", "a related-story card"),
    ("<p>Lire aussi : <a href='/fr/1.html'>{h}</a></p>", "French «Lire aussi»"),
    ("<p>Read also: <a href='/en/1.html'>{h}</a></p>", "English «Read also»"),
]


@pytest.mark.parametrize(("line", "why"), READ_ALSO, ids=[w for _, w in READ_ALSO])
def test_read_also_lines_between_paragraphs_go(line: str, why: str) -> None:
    paragraphs = [STORY[0], line.format(h=HEADLINES[0]), STORY[1], STORY[2]]
    text = text_of(page(paragraphs=paragraphs))
    assert HEADLINES[0] not in text, why
    assert all(p in text for p in STORY)


KEEP = [
    "وأوضح الكاتب أن القارئ يمكنه أن يقرأ أيضاً في الكتاب فصولا عن تاريخ المدينة القديمة ومعالمها الأثرية.",
    "للمزيد من التفاصيل حول برنامج الندوات، قال المنظمون إن الجدول الكامل سينشر على لوحات المعرض غدا.",
    "عاجل: أعلنت إدارة المعرض تمديد ساعات الزيارة حتى منتصف الليل خلال عطلة نهاية الأسبوع المقبلة.",
]


@pytest.mark.parametrize("sentence", KEEP, ids=["marker inside a sentence", "«للمزيد» opening prose", "«عاجل:» opening prose"])
def test_a_marker_inside_the_storys_own_sentence_stays(sentence: str) -> None:
    text = text_of(page(paragraphs=[STORY[0], sentence, STORY[1], STORY[2]]))
    assert sentence in text


def test_a_link_inside_prose_stays() -> None:
    linked = STORY[1].replace("مدير المعرض", "<a href='/people/1.html'>مدير المعرض</a>")
    assert STORY[1] in text_of(page(paragraphs=[STORY[0], linked, STORY[2]]))


BOXES = [
    (f"<div class='q3'><span>الأكثر قراءة</span><ul>{links(HEADLINES)}</ul></div>", "most read, span label"),
    (f"<section><h3>أخبار ذات صلة</h3><ul>{links(HEADLINES)}</ul></section>", "related, heading"),
    (f"<div class='urgent'><b>عاجل</b><ul>{links(HEADLINES)}</ul></div>", "ticker"),
    (f"<div><div class='t'>آخر الأخبار</div><div>{''.join(f'<div><a href=/n/{i}>{h}</a></div>' for i, h in enumerate(HEADLINES))}</div></div>", "latest, nested label"),
    (f"<aside><h4>Les plus lus</h4><ol>{links(HEADLINES)}</ol></aside>", "French most read"),
    (f"<div class='x'><p>الوسوم:</p><a href='/tag/1'>{HEADLINES[0]}</a> <a href='/tag/2'>{HEADLINES[1]}</a></div>", "tags"),
]


@pytest.mark.parametrize(("box", "why"), BOXES, ids=[w for _, w in BOXES])
def test_marker_led_boxes_inside_the_article_go(box: str, why: str) -> None:
    text = text_of(page(inside=box))
    assert not any(h in text for h in HEADLINES), why
    assert all(p in text for p in STORY)


COMMENTS = [
    "هذا ما كنا ننتظره منذ سنوات، شكرا للمنظمين على الجهد.",
    "أين الرقابة على محافظ البيتكوين التي تمول الإرهابيين؟",
    "أتمنى أن يكون المعرض القادم أكبر وأن تشارك فيه دور نشر من المغرب العربي.",
    "نرجو متابعة قضية تمويل داعش بالعملات المشفرة في تقرير خاص.",
]


def comment_run(*, names: bool, heading: str) -> str:
    items = "".join(
        f"<div class='c9'>{f'<span>قارئ رقم {i}</span>' if names else ''}<span>منذ {i + 2} ساعات</span><div>{c}</div></div>"
        for i, c in enumerate(COMMENTS)
    )
    return f"<div class='r5'>{heading}{items}</div>"


@pytest.mark.parametrize(
    ("names", "heading"),
    [(True, "<div class='h'>آراء القراء</div>"), (True, ""), (False, ""), (False, "<h3>أضف تعليقك</h3>")],
    ids=["named, «آراء القراء»", "named, no heading", "no names, no heading", "no names, «أضف تعليقك»"],
)
def test_comment_shaped_runs_inside_the_article_go_whatever_their_classes(names: bool, heading: str) -> None:
    text = text_of(page(inside=comment_run(names=names, heading=heading)))
    assert not any(c in text for c in COMMENTS)
    assert all(p in text for p in STORY)


def test_wordpress_comment_list_goes() -> None:
    items = "".join(
        f"<li class='comment'><article><footer><b class='fn'>زائر {i}</b> <time>5 ديسمبر 2026 في 10:{i}5 م</time></footer>"
        f"<div class='comment-content'><p>{c}</p></div><a class='reply'>رد</a></article></li>"
        for i, c in enumerate(COMMENTS)
    )
    after = f"<div id='comments'><h2>4 تعليقات على “{TITLE}”</h2><ol class='comment-list'>{items}</ol><h3>اترك تعليقاً</h3></div>"
    text = text_of(page(after=after))
    assert not any(c in text for c in COMMENTS)
    assert "تعليقات على" not in text


def test_a_page_of_chrome_only_has_no_story() -> None:
    html = f"""<html><head><title>الرئيسية</title></head><body>
<div class='urgent'><b>عاجل</b><ul>{links(HEADLINES)}</ul></div>
<div><h3>الأكثر قراءة</h3><ul>{links(HEADLINES, '/x/')}</ul></div></body></html>""".encode()
    result = extract_article(html, URL, "text/html")
    assert result.status != "ok"
    assert not any(h in result.text for h in HEADLINES)


def test_a_page_whose_whole_body_is_one_link_line_has_no_story() -> None:
    result = extract_article(page(paragraphs=[f"<a href='/news/9.html'>{HEADLINES[1]}</a>"]), URL, "text/html")
    assert result.status in ("empty", "too_short")
    assert HEADLINES[1] not in result.text


def test_removed_chrome_is_counted_by_reason() -> None:
    html = page(inside=BOXES[0][0] + comment_run(names=True, heading=""), paragraphs=[STORY[0], READ_ALSO[0][0].format(h=HEADLINES[2]), *STORY[1:]])
    removed = extract_article(html, URL, "text/html").chrome_removed
    assert removed["marker_most_read"] == 1
    assert removed["comments_shape"] == len(COMMENTS)
    assert removed["line_read_also"] == 1
