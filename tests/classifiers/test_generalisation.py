"""Phrasings written for this test, unlike any item of the tuning sets: do the rules generalise?

Each case is ours (never taken from the data); the last column says what it probes.
"""

import pytest

from classifiers import load_classifier

CASES = [
    (
        "core",
        "",
        "أعلنت وزارة الخزانة الأمريكية فرض عقوبات على شبكة تستخدم محافظ العملات الرقمية لجمع التبرعات لصالح تنظيم داعش في سوريا، وقالت إن الشبكة نقلت مبالغ بعملة تيثر عبر منصات تداول غير مرخصة.",
        "sanctions on wallets raising donations for ISIS",
    ),
    (
        "core",
        "",
        "ضبطت السلطات المغربية خلية إرهابية كانت تعتمد على البيتكوين في تمويل أنشطتها، وأفاد بيان للمكتب المركزي للأبحاث القضائية أن المشتبه بهم تلقوا تحويلات مشفرة من الخارج.",
        "terror cell financed with bitcoin",
    ),
    (
        "core",
        "",
        "ناقش مؤتمر إقليمي في عمان مخاطر استغلال الأصول الافتراضية في تمويل الإرهاب، بمشاركة مجموعة العمل المالي لمنطقة الشرق الأوسط وشمال أفريقيا ووحدات التحريات المالية.",
        "regional conference on virtual assets and CFT",
    ),
    (
        "related",
        "",
        "فككت الشرطة شبكة لغسل الأموال استخدمت العملات المشفرة لإخفاء عائدات تجارة المخدرات، وحجزت محافظ رقمية تحتوي على ما يعادل مليوني دولار.",
        "crypto laundering of drug money",
    ),
    (
        "related",
        "",
        "حذر خبراء من لجوء الجماعات المتطرفة إلى التمويل الجماعي عبر الإنترنت ومنصات التواصل الاجتماعي لجمع التبرعات، في ظل صعوبة تعقب هذه الأموال.",
        "extremist groups crowdfunding online (no crypto)",
    ),
    (
        "none",
        "",
        "ارتفع سعر البيتكوين إلى مستوى قياسي جديد متجاوزا مئة ألف دولار وسط تفاؤل المستثمرين بقرارات الفيدرالي الأمريكي بشأن أسعار الفائدة.",
        "bitcoin price news",
    ),
    (
        "none",
        "",
        "أكد المدرب أن القاعدة الأساسية للفوز هي الانضباط، وأشاد بحماس الشباب في الفريق بعد الفوز في مباراة الأمس.",
        "false friends: rule, enthusiasm, youth",
    ),
    (
        "none",
        "",
        "أعلن البنك المركزي عن إطلاق عملة رقمية رسمية للمصرف المركزي في إطار تحديث أنظمة الدفع، مؤكدا أن المشروع يهدف إلى تعزيز الشمول المالي.",
        "CBDC launch",
    ),
    (
        "none",
        "",
        "قضت المحكمة بسجن متهمين بتمويل الإرهاب بعد إدانتهم بنقل أموال نقدية عبر شبكة حوالة إلى عناصر تنظيم القاعدة في الساحل.",
        "terror financing by cash and hawala",
    ),
    (
        "none",
        "",
        "أطلقت الشركة تطبيقا جديدا للمراسلة يعتمد على التشفير الكامل بين الطرفين لحماية خصوصية المستخدمين، وتتوفر القنوات المشفرة مجانا.",
        "encrypted messaging app",
    ),
    (
        "core",
        "",
        "أعلنت السلطات الإسرائيلية مصادرة عشرات المحافظ الرقمية قالت إنها تابعة لكتائب القسام، الجناح العسكري لحركة حماس، وتحتوي على عملات مشفرة بقيمة ملايين الدولارات.",
        "seizure of Qassam wallets",
    ),
    (
        "core",
        "",
        "كشفت عملية دولية نسقها الإنتربول عن شبكة تمول تنظيم داعش عبر العملات الافتراضية، وأسفرت عن توقيف عشرة أشخاص في عدة دول.",
        "Interpol operation on ISIS crypto financing",
    ),
    (
        "core",
        "تجميد محافظ USDT مرتبطة بتمويل جماعات إرهابية",
        "قالت شركة تيثر إنها جمدت عددا من العناوين بناء على طلب من السلطات، في إطار جهود مكافحة تمويل الإرهاب، دون أن تكشف عن الجهات المعنية.",
        "crypto only in the title",
    ),
    (
        "core",
        "",
        "أصدرت وحدة المعلومات المالية تعميما للبنوك بشأن مخاطر استخدام الأصول الرقمية من قبل التنظيمات الإرهابية، ودعتها إلى تعزيز الرقابة على التحويلات إلى منصات تداول العملات المشفرة.",
        "FIU circular on digital assets and terrorist groups",
    ),
    (
        "core",
        "",
        "أدانت محكمة الجنايات شابا بتهمة إرسال مبالغ بالبيتكوين إلى عناصر في تنظيم الدولة في سوريا، وقضت بسجنه خمس سنوات.",
        "court case: bitcoin sent to ISIS",
    ),
    (
        "related",
        "",
        "أوقفت الشرطة عصابة استخدمت عملات رقمية لتلقي فدية بعد هجوم ببرنامج الفدية على مستشفى، وفق ما أعلنت النيابة العامة.",
        "ransomware paid in digital currency",
    ),
    (
        "related",
        "",
        "كشفت وحدة مكافحة الجرائم الإلكترونية عن سوق على الإنترنت المظلم يبيع المخدرات مقابل البيتكوين.",
        "dark-web market paid in bitcoin",
    ),
    (
        "related",
        "",
        "فرضت وزارة الخزانة عقوبات على منصة لتداول العملات المشفرة بتهمة مساعدة جهات روسية على التهرب من العقوبات.",
        "sanctions evasion through an exchange",
    ),
    (
        "none",
        "",
        "حذر البنك المركزي المواطنين من مخاطر الاستثمار في العملات المشفرة غير المرخصة وتقلب أسعارها، داعيا إلى التعامل مع الجهات المرخصة فقط.",
        "investor warning",
    ),
    (
        "none",
        "",
        "افتتحت الشركة مزرعة جديدة لتعدين البيتكوين تعمل بالطاقة الشمسية في الصحراء.",
        "bitcoin mining farm",
    ),
    (
        "none",
        "",
        "ناقش البرلمان مشروع قانون لتنظيم سوق الأصول الافتراضية ومنح التراخيص لمنصات التداول وحماية المستثمرين.",
        "virtual asset licensing law",
    ),
    (
        "none",
        "",
        "قالت جمعية خيرية إنها تعرضت لحملة تشويه بعد اتهامها بتمويل الإرهاب، ونفت أي صلة لها بجماعات مسلحة، مؤكدة أن حساباتها تخضع للتدقيق.",
        "charity accused of terror financing, no crypto",
    ),
    (
        "none",
        "",
        "شارك آلاف الشباب في ماراثون العاصمة بحماس كبير، فيما أشاد المنظمون بالتنظيم المحكم للقاعدة اللوجستية.",
        "enthusiasm, youth, logistics base",
    ),
    (
        "none",
        "",
        "أطلقت الحكومة منصة رقمية جديدة لتسهيل الدفع الإلكتروني للضرائب عبر الهاتف المحمول.",
        "e-payment platform for taxes",
    ),
    (
        "none",
        "",
        "فككت الأجهزة الأمنية خلية إرهابية كانت تخطط لهجمات، وضبطت بحوزتها أسلحة ومبالغ نقدية، وقالت إن الخلية كانت تتواصل عبر تطبيقات التراسل المشفرة.",
        "terror cell using encrypted messaging, no crypto",
    ),
    (
        "core",
        "",
        "نظمت الهيئة الوطنية للمعلومات المالية ورشة حول مكافحة غسل الأموال وتمويل الإرهاب لفائدة موظفي الأبناك. وتناول المشاركون في اليوم الثاني مخاطر العملات الافتراضية ومنصات تبادلها وسبل رصد المعاملات المشبوهة.",
        "CFT workshop, crypto only in a later paragraph (Maghreb spelling)",
    ),
    (
        "core",
        "",
        "قالت الوكالة إن الجماعات المسلحة في منطقة الساحل باتت تلجأ إلى العملات الرقمية لتمويل عملياتها وشراء الأسلحة.",
        "armed groups in the Sahel financed with digital currencies",
    ),
    (
        "core",
        "",
        "Le parquet antiterroriste a mis en examen trois personnes soupçonnées d'avoir financé l'État islamique au moyen de cryptomonnaies.",
        "French: terror financing with cryptomonnaies",
    ),
    (
        "core",
        "",
        "The Treasury sanctioned a network that used cryptocurrency exchanges to move funds to Hamas's military wing, the Qassam Brigades.",
        "English: sanctions on crypto network funding the Qassam Brigades",
    ),
    (
        "related",
        "",
        "اتهمت الولايات المتحدة قراصنة مرتبطين بكوريا الشمالية بسرقة عملات مشفرة بقيمة مئات الملايين من منصات التداول لتمويل برامج التسلح والتهرب من العقوبات.",
        "state hackers stealing crypto to evade sanctions",
    ),
    (
        "related",
        "",
        "Europol dismantled a criminal network laundering drug proceeds through bitcoin mixers on the dark web.",
        "English: dark-web laundering with bitcoin mixers",
    ),
    (
        "none",
        "",
        "Bitcoin rose 5% on Monday as investors welcomed the approval of new exchange-traded funds.",
        "English: bitcoin price",
    ),
    (
        "none",
        "",
        "La Banque centrale a lancé une consultation sur l'euro numérique et la protection des données des utilisateurs.",
        "French: digital euro consultation",
    ),
    (
        "none",
        "",
        "ارتفعت قيمة عملة الإيثريوم بعد تحديث الشبكة، فيما تراجع الدولار أمام العملات الرئيسية، وحافظ الذهب على مكاسبه.",
        "Ether price beside dollar and gold",
    ),
    (
        "none",
        "",
        "قالت الشرطة إن هجوما إرهابيا استهدف نقطة تفتيش في شمال البلاد، وتبنى تنظيم داعش الهجوم في بيان نشره على تطبيق تلغرام.",
        "terror attack claimed on Telegram, no money",
    ),
    (
        "none",
        "",
        "أعلنت شركة الاتصالات عن خدمة تشفير جديدة للمكالمات، وقالت إن القنوات الرياضية المشفرة ستتوفر عبر التطبيق.",
        "encrypted calls and scrambled sports channels",
    ),
]


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


@pytest.mark.parametrize(("label", "title", "text", "why"), CASES, ids=[c[3] for c in CASES])
def test_unseen_phrasings(classifier, label: str, title: str, text: str, why: str) -> None:  # type: ignore[no-untyped-def]
    decision = classifier.classify(text, title=title)
    assert decision.label == label, f"{why}: {decision.label} {decision.rules}"
