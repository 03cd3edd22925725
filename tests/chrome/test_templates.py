"""Site templates learned from the site itself: what recurs across stories goes, a story's own text stays."""

from __future__ import annotations

from crawler.chrome import ChromeContext, TemplateMemory, story_key, strip_lines
from crawler.chrome.textnorm import words
from crawler.extraction import extract_article

TICKER = [
    "عاجل: تجميد محافظ بيتكوين تابعة لممولي تنظيم داعش",
    "عاجل: عقوبات على منصة عملات مشفرة نقلت أموالا لجماعة مسلحة",
]
PROMO = "تابعوا قناتنا على تيليغرام لتصلكم أخبار العملات المشفرة أولا بأول"
BACKGROUND = (
    "ويذكر أن المحكمة كانت قد نظرت في القضية أول مرة في الربيع الماضي، حين قدمت النيابة العامة "
    "ملفا من مئات الصفحات يتضمن شهادات خبراء في الري وتقارير عن حالة السدود الصغيرة في المنطقة."
)
DATELINE = "الرباط – «المغرب الرقمي»:"


def story(i: int) -> list[str]:
    return [
        f"{DATELINE} أعلنت وزارة الفلاحة في بيانها رقم {i} عن برنامج جديد لدعم صغار المزارعين في "
        f"الجهة رقم {i}، يشمل قروضا ميسرة وتكوينا في تقنيات الري بالتنقيط لتوفير المياه.",
        f"وأوضح البيان أن البرنامج رقم {i} سيستفيد منه أكثر من ألف فلاح خلال الموسم الحالي، على أن "
        f"توزع المعدات على التعاونيات الفلاحية قبل نهاية الشهر المقبل في كل الأقاليم المعنية.",
        BACKGROUND,
    ]


def page(i: int, title: str | None = None, extra: str = "") -> tuple[str, bytes]:
    title = title or f"برنامج رقم {i} لدعم صغار المزارعين في الجهة"
    ticker = "".join(f"<span class='t{j}'><a href='/n/{j}'>{t}</a></span>" for j, t in enumerate(TICKER))
    paragraphs = "".join(f"<p>{p}</p>" for p in story(i))
    html = f"""<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="bar">{ticker}</div><div class="a1"><h1>{title}</h1>{paragraphs}<p>{PROMO}</p>{extra}</div>
<div class="f">مؤسسة المغرب الرقمي للإعلام والنشر والتوزيع بالرباط</div></body></html>"""
    return f"https://maghreb-digital.example/news/{i}.html", html.encode()


def crawl(pages: list[tuple[str, bytes]]) -> tuple[TemplateMemory, list[str]]:
    memory = TemplateMemory("maghreb-digital.example")
    bodies = []
    units = []
    for url, html in pages:
        result = extract_article(html, url, "text/html", chrome=ChromeContext(known=frozenset(memory.known)))
        memory.observe(story_key(result.title, url), result.template_units)
        bodies.append(result.text)
        units.append({fp for fp, _ in result.template_units})
    cleaned = []
    for text, fps in zip(bodies, units, strict=True):
        chrome = {fp: memory.learned_now[fp] for fp in fps if fp in memory.learned_now}
        cleaned.append(strip_lines(text, chrome)[0])
    return memory, cleaned


def test_recurring_blocks_become_chrome_and_leave_every_body() -> None:
    memory, bodies = crawl([page(i) for i in range(5)])
    # The promo inside the article and the footer line; the ticker goes earlier, as a link line.
    assert sorted(memory.learned_now.values()) == sorted(
        [" ".join(words(t)) for t in (PROMO, "مؤسسة المغرب الرقمي للإعلام والنشر والتوزيع بالرباط")]
    )
    for i, body in enumerate(bodies):
        assert PROMO not in body and not any(t in body for t in TICKER)
        assert story(i)[1] in body


def test_a_storys_own_paragraphs_stay_the_dateline_formula_and_a_repeated_background_paragraph_too() -> None:
    _, bodies = crawl([page(i) for i in range(5)])
    for i, body in enumerate(bodies):
        assert story(i)[0] in body  # opens with the outlet's dateline formula on every page
        assert BACKGROUND in body  # the follow-ups' shared background paragraph is the story's prose


def test_copies_and_updates_of_one_story_are_one_story() -> None:
    """AMP, print and tracking URLs, and two updates the same day: same title, counted once."""
    title = "برنامج لدعم صغار المزارعين في الجهة"
    copies = [page(1, title=title)]
    copies.append((copies[0][0] + "?utm_source=x", copies[0][1]))
    copies.append(("https://maghreb-digital.example/amp/news/1.html", copies[0][1]))
    copies.append(page(1, title=title, extra="<p>تحديث: أضافت الوزارة أن التسجيل يبدأ الأسبوع المقبل في مكاتب الجماعات القروية.</p>"))
    memory, bodies = crawl(copies)
    assert memory.known == set()
    assert all(story(1)[1] in body for body in bodies)


def test_a_known_template_is_removed_from_the_first_page_of_the_next_crawl() -> None:
    memory, _ = crawl([page(i) for i in range(4)])
    url, html = page(99)
    result = extract_article(html, url, "text/html", chrome=ChromeContext(known=frozenset(memory.known)))
    assert result.chrome_removed["template"] >= 2
    assert PROMO not in result.text and story(99)[1] in result.text
