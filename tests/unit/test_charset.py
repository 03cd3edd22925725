"""decode_html on real bytes: the charsets Arabic sites serve, declared right, wrong or not at all."""

from __future__ import annotations

import codecs

import pytest

from crawler.charset import decode_html

ARABIC = (
    "أعلنت وزارة الزراعة اليوم افتتاح موسم جني التمور في الواحات الجنوبية، "
    "وقال المسؤولون إن المحصول هذا العام أفضل من العام الماضي بفضل الأمطار الغزيرة."
)
FRENCH = "L'Élysée a annoncé à Paris que les récoltes d'été sont très bonnes. Ça déçoit les sceptiques."


def page(text: str, meta: str = "") -> str:
    head = f'<meta charset="{meta}">' if meta else ""
    title = "Nouvelles" if text == FRENCH else "خبر"
    return f"<!DOCTYPE html><html><head>{head}<title>{title}</title></head><body><p>{text}</p></body></html>"


# (bytes, Content-Type header, expected encoding, explanation)
CASES = [
    (page(ARABIC, "utf-8").encode("utf-8"), "text/html; charset=utf-8", "utf-8", "UTF-8 declared everywhere"),
    (page(ARABIC).encode("utf-8"), None, "utf-8", "UTF-8, nothing declared"),
    (
        page(ARABIC, "windows-1256").encode("utf-8"),
        "text/html; charset=windows-1256",
        "utf-8",
        "UTF-8 with wrong header and meta",
    ),
    (
        page(ARABIC, "utf-8").encode("cp1256"),
        None,
        "windows-1256",
        "cp1256 behind a template's <meta charset=utf-8>",
    ),
    (
        page(ARABIC).encode("cp1256"),
        "text/html; charset=utf-8",
        "windows-1256",
        "cp1256 with a wrong UTF-8 header",
    ),
    (
        page(ARABIC).encode("cp1256"),
        "text/html; charset=iso-8859-1",
        "windows-1256",
        "cp1256 declared latin-1 by the server",
    ),
    (
        page(ARABIC).encode("cp1256"),
        "text/html; charset=windows-1252",
        "windows-1256",
        "cp1256 declared windows-1252",
    ),
    (page(ARABIC).encode("cp1256"), None, "windows-1256", "cp1256, nothing declared"),
    (
        page(ARABIC, "windows-1256").encode("cp1256"),
        None,
        "windows-1256",
        "cp1256 declared correctly in <meta>",
    ),
    (page(ARABIC, "iso-8859-6").encode("iso8859-6"), None, "iso-8859-6", "ISO-8859-6 declared in <meta>"),
    (page(ARABIC).encode("iso8859-6"), None, "iso-8859-6", "ISO-8859-6, nothing declared"),
    (
        page(ARABIC, "utf-8").encode("iso8859-6"),
        "text/html; charset=utf-8",
        "iso-8859-6",
        "ISO-8859-6 declared UTF-8",
    ),
    (
        page(ARABIC, "utf-8").encode("cp1256"),
        "text/html; charset=windows-1256",
        "windows-1256",
        "meta (utf-8) and header (windows-1256) conflict: the bytes side with the header",
    ),
    (
        page(ARABIC, "windows-1256").encode("utf-8"),
        "text/html; charset=utf-8",
        "utf-8",
        "meta (windows-1256) and header (utf-8) conflict: the bytes side with the header",
    ),
    (
        codecs.BOM_UTF8 + page(ARABIC, "windows-1256").encode("utf-8"),
        "text/html; charset=windows-1256",
        "utf-8",
        "a BOM beats both declarations",
    ),
    (codecs.BOM_UTF16_LE + page(ARABIC).encode("utf-16-le"), None, "utf-16-le", "UTF-16 with its BOM"),
    (page(FRENCH, "iso-8859-1").encode("latin-1"), None, "windows-1252", "a real Latin-1 page stays Latin-1"),
    (
        page(FRENCH).encode("cp1252"),
        None,
        "windows-1252",
        "French cp1252, nothing declared: not mistaken for cp1256",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "encoding", "why"), CASES, ids=[c[3] for c in CASES])
def test_decode_html(body, content_type, encoding, why):
    decoded = decode_html(body, content_type)
    assert decoded.encoding == encoding, why
    expected_text = FRENCH if "é" in decoded.text or encoding == "windows-1252" else ARABIC
    assert expected_text in decoded.text, why
    assert "\ufffd" not in decoded.text


def test_declared_is_reported_header_first():
    body = page(ARABIC, "utf-8").encode("cp1256")
    assert decode_html(body, "text/html; charset=ISO-8859-1").declared == "iso-8859-1"
    assert decode_html(body).declared == "utf-8"
    assert decode_html(page(ARABIC).encode("utf-8")).declared is None


def test_confidence():
    assert decode_html(page(ARABIC).encode("utf-8")).confident
    assert decode_html(codecs.BOM_UTF8 + page(ARABIC).encode("utf-8")).confident
    # Mostly UTF-8 but with a stray cp1256 byte: decoded as UTF-8 with one replacement, not confident.
    broken = page(ARABIC).encode("utf-8").replace("الماضي".encode(), "الماضي".encode() + b"\xe1")
    decoded = decode_html(broken)
    assert decoded.encoding == "utf-8" and not decoded.confident
    assert ARABIC[:40] in decoded.text


def test_body_cut_inside_a_character_is_still_utf8():
    body = page(ARABIC).encode("utf-8")
    cut = body[: body.index("الماضي".encode()) + 1]  # in the middle of a two-byte letter
    decoded = decode_html(cut)
    assert decoded.encoding == "utf-8" and decoded.confident


def test_large_cp1256_page_is_scored_on_a_sample_quickly():
    body = page(ARABIC * 20_000).encode("cp1256")  # ~3 MB
    decoded = decode_html(body, "text/html; charset=iso-8859-1")
    assert decoded.encoding == "windows-1256"
    assert ARABIC in decoded.text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", None),
        (b"<html></html>", "text/html; charset=no-such-charset"),
        (b"\x00\xff\xfe\x80" * 100, "text/html; charset=utf-16"),
        (bytes(range(256)) * 10, None),
        (b"plain ascii", "text/html; charset=utf-16"),
    ],
)
def test_never_raises(body, content_type):
    decoded = decode_html(body, content_type)
    assert isinstance(decoded.text, str)
    assert decoded.encoding
