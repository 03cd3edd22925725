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
    # --- issue 11 part 7: terror financing through channels that are new technology without being crypto
    # (phone money and e-wallets, donation appeals on social media and messaging apps, internet transfers),
    # and crypto flowing to sanctioned parties or prohibited networks; each with its ordinary look-alike.
    (
        "related",
        "",
        "أفادت مصادر أمنية بأن خلية موالية لتنظيم داعش كانت تتلقى أموالها في شكل تحويلات صغيرة عبر الهاتف النقال، توزع على محافظ مالية باسم أقارب أعضائها.",
        "ISIS cell paid by small transfers over mobile phones (Maghreb «الهاتف النقال»)",
    ),
    (
        "related",
        "",
        "قال مسؤول صومالي إن حركة الشباب تجبي الإتاوات من أصحاب المتاجر عبر محافظ الموبايل، ثم تنقلها إلى حسابات يديرها قادتها.",
        "al-Shabaab levies collected through mobile wallets",
    ),
    (
        "related",
        "",
        "حذر خبير أمني من أن الجماعات المتطرفة في المنطقة تلجأ إلى المحافظ الذكية وتطبيقات الدفع لتفادي رقابة البنوك.",
        "extremist groups and smart wallets / payment apps, no financing word",
    ),
    (
        "related",
        "",
        "وجهت النيابة إلى الموقوف تهمة نشر دعوات للتبرع على فيسبوك وواتساب لصالح مقاتلي تنظيم الدولة المحتجزين، مع أرقام حسابات لتلقي المبالغ.",
        "donation appeals on Facebook and WhatsApp for ISIS fighters",
    ),
    (
        "related",
        "",
        "رصدت التحقيقات حسابات على الانستقرام والتيك توك يديرها متطرفون تنشر نداءات لجمع التبرعات بدعوى مساعدة الأرامل، فيما تذهب الأموال إلى شراء السلاح.",
        "extremists' appeals for donations on Instagram and TikTok (colloquial spellings)",
    ),
    (
        "related",
        "",
        "أدانت المحكمة شابا كان يرسل أموالا عبر الانترنيت إلى عناصر في جماعة بوكو حرام، وقضت بسجنه ست سنوات.",
        "money sent over the internet to Boko Haram (Maghreb «الانترنيت», verb form)",
    ),
    (
        "related",
        "",
        "قالت منصة لتداول العملات المشفرة إنها أوقفت حسابات بعد رصد تدفقات مشبوهة نحو شبكات تمويل محظورة وجهات خاضعة لعقوبات دولية.",
        "exchange's suspicious flows to prohibited financing networks and sanctioned parties",
    ),
    (
        "related",
        "",
        "أظهر تحليل لسلسلة الكتل أن محافظ تيثر جمدتها الشركة كانت تستقبل مبالغ من أطراف معاقبة، بينها منصة أدرجتها الخزانة الأمريكية على قائمة العقوبات.",
        "tether wallets receiving from sanctioned parties and a listed exchange",
    ),
    (
        "none",
        "",
        "أطلقت شركة اتصالات خدمة محفظة الهاتف التي تتيح للعمال المغتربين تحويل رواتبهم إلى ذويهم عبر الجوال بتكلفة زهيدة.",
        "ordinary mobile-money remittance service",
    ),
    (
        "none",
        "",
        "حصلت شركة ناشئة في التكنولوجيا المالية على تمويل بقيمة عشرة ملايين دولار لتوسيع خدمات الدفع عبر الموبايل والمحافظ الرقمية في الأرياف.",
        "fintech funding round for mobile payments",
    ),
    (
        "none",
        "",
        "دعت جمعية خيرية متابعيها على واتساب وفيسبوك إلى التبرع عبر روابط الدفع لمساعدة العائلات المتضررة من السيول.",
        "ordinary charity appeal on messaging apps with payment links",
    ),
    (
        "none",
        "",
        "تداول مستخدمون على تيك توك وإنستغرام مقاطع للهجوم الذي تبنته جماعة إرهابية، وطالبت السلطات بحذفها.",
        "terrorist attack videos on social media, no money",
    ),
    (
        "none",
        "",
        "أطلق مصرف محلي خدمة التحويل عبر الإنترنت لعملائه في الخارج، مع رسوم مخفضة على الحوالات الإلكترونية طوال شهر رمضان.",
        "ordinary bank launching internet transfers",
    ),
    (
        "none",
        "",
        "حذرت الشرطة من عصابة تنتحل صفة جمعيات خيرية على واتساب لجمع تبرعات وهمية وتطلب تحويلها إلى محافظ إلكترونية.",
        "fake-charity scam over WhatsApp and e-wallets, no terrorism, no crypto",
    ),
    (
        "none",
        "",
        "تراجع سعر البيتكوين بعد أن أعلنت واشنطن فرض عقوبات جديدة على قطاع الطاقة الروسي، وسط تقلبات في أسواق الأسهم.",
        "bitcoin price after new sanctions (sanctions as news, no sanctioned party)",
    ),
    (
        "none",
        "",
        "أكد البرلمان أن تداول العملات الرقمية محظور على المنصات غير المرخصة، ونص القانون الجديد على عقوبات بالسجن والغرامة للمخالفين.",
        "crypto banned with legal penalties (محظور and عقوبات in their ordinary sense)",
    ),
    (
        "none",
        "",
        "تلزم اللائحة الجديدة منصات الأصول الافتراضية بمطابقة أسماء العملاء مع قوائم العقوبات قبل فتح الحسابات.",
        "compliance: screening customers against sanctions lists",
    ),
    (
        "related",
        "",
        "Investigators said the network moved money to al-Shabaab commanders through mobile wallets registered to relatives.",
        "English: al-Shabaab funded through mobile wallets",
    ),
    (
        "related",
        "",
        "The exchange reported flows in bitcoin to sanctioned entities and prohibited financing networks.",
        "English: exchange flows to sanctioned entities",
    ),
    (
        "related",
        "",
        "La police a démantelé un réseau qui collectait des dons en ligne sur WhatsApp au profit de combattants de l'État islamique.",
        "French: online donations on WhatsApp for ISIS fighters",
    ),
    (
        "none",
        "",
        "A telecom operator launched a mobile money service that lets migrant workers send money home cheaply.",
        "English: ordinary mobile-money service",
    ),
    (
        "none",
        "",
        "Bitcoin fell after the regulator sanctioned a crypto exchange for misleading investors.",
        "English: a regulator 'sanctioned' (penalised) an exchange",
    ),
]


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


@pytest.mark.parametrize(("label", "title", "text", "why"), CASES, ids=[c[3] for c in CASES])
def test_unseen_phrasings(classifier, label: str, title: str, text: str, why: str) -> None:  # type: ignore[no-untyped-def]
    decision = classifier.classify(text, title=title)
    assert decision.label == label, f"{why}: {decision.label} {decision.rules}"
