"""Realistic Arabic news pages written for these tests (the texts are the project's own).

The article is deliberately off-topic (a date harvest) while the page around it, the "most read"
sidebar, related stories and reader comments, talks about crypto and terrorism financing: extraction
must keep the article and drop the rest, or the classifier would flag an unrelated story.
"""

from __future__ import annotations

import json

TITLE = "موسم جني التمور ينطلق في واحات الجنوب وسط توقعات بمحصول وفير"

PARAGRAPHS = [
    "انطلق صباح اليوم موسم جني التمور في واحات الجنوب، حيث توافد مئات العمال على بساتين النخيل منذ "
    "ساعات الفجر الأولى لقطف العراجين قبل اشتداد الحرارة، في أجواء احتفالية تقليدية تتوارثها الأسر جيلا بعد جيل.",
    "وقال رئيس جمعية منتجي التمور إن كميات الأمطار التي هطلت خلال فصل الشتاء الماضي ساعدت على تحسين "
    "جودة الثمار وزيادة حجمها، متوقعا أن يرتفع الإنتاج بنحو عشرين في المئة مقارنة بالموسم السابق.",
    "وأضاف أن الجمعية نظمت دورات تدريبية للمزارعين الشباب حول طرق التلقيح الحديثة وتخزين المحصول في "
    "غرف مبردة، مما يقلل الخسائر ويسمح بتسويق التمور على مدار السنة في الأسواق المحلية والخارجية.",
    "من جهتهم، أعرب عدد من التجار عن تفاؤلهم بانتعاش الصادرات هذا العام، مشيرين إلى أن الطلب على "
    "أصناف التمور الفاخرة يزداد في أسواق أوروبا وآسيا، خاصة قبل حلول شهر رمضان.",
    "وتعمل السلطات المحلية على تحسين الطرق الريفية المؤدية إلى الواحات وتوفير شاحنات مبردة لنقل "
    "المحصول، فيما دعت المزارعين إلى الالتزام بمعايير السلامة الغذائية للحفاظ على سمعة المنتج.",
]

SIDEBAR_HEADLINES = [
    "تفكيك شبكة لتمويل الإرهاب عبر العملات المشفرة في عملية أمنية مشتركة",
    "مصادرة محافظ بيتكوين مرتبطة بتنظيم داعش بعد تحقيق دولي",
    "مجموعة العمل المالي تحذر من استخدام العملات الرقمية في غسل الأموال",
    "القبض على متهمين بجمع تبرعات بعملة تيثر لصالح جماعة مسلحة",
]
RELATED_HEADLINES = [
    "البنك المركزي يحذر من منصات تداول الأصول الافتراضية غير المرخصة",
    "خبراء: تتبع المعاملات على سلاسل الكتل يكشف مصادر تمويل الجماعات المتطرفة",
]
COMMENTS = [
    "تعليق من قارئ: أين الرقابة على محافظ العملات المشفرة التي تمول الإرهابيين؟",
    "قارئ آخر يكتب: نرجو من الصحيفة متابعة قضية غسل الأموال عبر البيتكوين.",
]


def article_page(
    *,
    title: str | None = TITLE,
    paragraphs: list[str] | None = None,
    visible_date: str = "الخميس 14 آذار 2024 - 10:30 م",
    meta_date: str = "",
    jsonld_date: str = "",
    canonical: str = "/news/2024/date-harvest",
    charset: str = "utf-8",
    extra_head: str = "",
    sidebar_size: int = 1,
) -> str:
    """A complete news page: menus, breadcrumbs, byline, article, sidebars, comments, footer, scripts."""
    paragraphs = PARAGRAPHS if paragraphs is None else paragraphs
    head = [f'<meta charset="{charset}">'] if charset else []
    if title is not None:
        head.append(f"<title>{title} | صحيفة الواحة</title>")
        head.append(f'<meta property="og:title" content="{title}">')
    head.append('<meta property="og:site_name" content="صحيفة الواحة">')
    head.append('<meta name="description" content="انطلاق موسم جني التمور في واحات الجنوب">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    if meta_date:
        head.append(f'<meta property="article:published_time" content="{meta_date}">')
    if jsonld_date:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": jsonld_date,
        }
        head.append(f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>')
    head.append(extra_head)
    head.append("<style>.ad{display:block}</style><script>var tracker = {id: 'x'}; window.ads = [];</script>")

    sidebar = "\n".join(
        f'<li><a href="/news/{i}-{n}">{h}</a> <span class="time">13 آذار 2024</span></li>'
        for n in range(sidebar_size)
        for i, h in enumerate(SIDEBAR_HEADLINES)
    )
    related = "\n".join(
        f'<li><a href="/news/related-{i}">{h}</a></li>' for i, h in enumerate(RELATED_HEADLINES)
    )
    comments = "\n".join(
        f'<div class="comment"><span class="comment-author">قارئ {i}</span><p>{c}</p></div>'
        for i, c in enumerate(COMMENTS)
    )
    body_title = f"<h1>{title}</h1>" if title is not None else ""
    article_body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
{chr(10).join(head)}
</head>
<body>
<header class="site-header">
  <div class="logo"><a href="/">صحيفة الواحة</a></div>
  <nav class="main-menu"><ul>
    <li><a href="/">الرئيسية</a></li><li><a href="/politics">سياسة</a></li><li><a href="/economy">اقتصاد</a></li>
    <li><a href="/security">أمن</a></li><li><a href="/sport">رياضة</a></li>
  </ul></nav>
</header>
<div class="ad-banner ad"><a href="/ads/1">أعلن هنا</a></div>
<main>
  <nav class="breadcrumbs"><a href="/">الرئيسية</a> &gt; <a href="/economy">اقتصاد</a> &gt; <span>زراعة</span></nav>
  <article class="post">
    {body_title}
    <div class="byline"><span class="author">بقلم: سعاد المرزوقي</span> <span class="date">{visible_date}</span></div>
    <div class="share"><a href="#">فيسبوك</a> <a href="#">تويتر</a> <a href="#">واتساب</a></div>
    <div class="article-body">
{article_body}
    </div>
    <div class="tags"><a href="/tag/dates">تمور</a> <a href="/tag/agriculture">زراعة</a></div>
  </article>
  <section class="related"><h3>أخبار ذات صلة</h3><ul>{related}</ul></section>
  <section id="comments" class="comments"><h3>التعليقات</h3>{comments}
    <form class="comment-form"><textarea>أضف تعليقك</textarea><button>إرسال</button></form></section>
</main>
<aside class="sidebar most-read"><h3>الأكثر قراءة</h3><ul>{sidebar}</ul></aside>
<footer class="site-footer"><p>جميع الحقوق محفوظة © صحيفة الواحة 2024</p>
  <ul><li><a href="/about">من نحن</a></li><li><a href="/contact">اتصل بنا</a></li></ul></footer>
<script>document.querySelectorAll('.ad').forEach(function (e) {{ e.remove(); }});</script>
</body>
</html>
"""
