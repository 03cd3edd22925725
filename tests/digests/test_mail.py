"""The e-mail as a real SMTP server receives it: headers, both parts, items, header injection, TLS + login."""

from __future__ import annotations

import datetime as dt
import ssl
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from digests.run import run_digest
from tests.digests.conftest import NOW, WIRE, ArticleSpec
from tests.smtp_server import Inbox, free_port

INJECTED = "عملات مشفرة لتمويل الإرهاب\r\nBcc: victim@attacker.example\r\nX-Injected: yes"


def test_headers_parts_and_items(store, factory, settings, smtp):
    inbox, _ = smtp
    store.add(
        ArticleSpec("https://one.example/a", INJECTED, WIRE),
        ArticleSpec(
            "https://two.example/b",
            "تقرير آخر عن الأصول الافتراضية",
            WIRE[::-1],
            source="wire-two",
            score=1.0,
        ),
    )
    result = run_digest(factory, settings, formats=(), email=True, now=NOW)
    assert result.ok, result.errors
    ((rcpt_tos, message),) = inbox.messages

    # Only the configured recipients received it; the injected Bcc reached neither envelope nor headers.
    assert sorted(rcpt_tos) == ["analyst@example.org", "desk@example.org"]
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "victim@attacker.example" not in str(message["To"])

    # Arabic subject and sender name: encoded words on the wire, Arabic once decoded.
    raw = message.as_bytes()
    raw_headers = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    assert raw_headers.isascii()
    assert b"=?utf-8?" in raw_headers.lower()
    subject = str(message["Subject"])
    assert subject.startswith("[رقيب] 2026-03-10: 2 قصة — عملات مشفرة لتمويل الإرهاب Bcc: victim")
    assert "\n" not in subject and "\r" not in subject
    assert message["From"].addresses[0].display_name == "رقيب — المراقب"
    assert message["From"].addresses[0].addr_spec == "raqib@example.org"
    assert message["Message-ID"].startswith("<raqib.email.") and message["Message-ID"].endswith(
        "@example.org>"
    )
    assert message["Date"].datetime == NOW

    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "تقرير آخر عن الأصول الافتراضية" in body
        assert "https://one.example/a" in body
        assert "جريدة الأولى" in body
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "<mark" in html and "«عملات مشفرة»" in text
    # Core first, then score: the core story with score 5 leads.
    assert html.index("عملات مشفرة لتمويل الإرهاب") < html.index("تقرير آخر")


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class Authenticator:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            self.seen.append((user, password))
            return AuthResult(success=user == "raqib" and password == "s3cret-pass", handled=False)
        return AuthResult(success=False, handled=False)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_login(tmp_path, store, factory, settings, security, caplog):
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, auth, port = Inbox(), Authenticator(), free_port()
    options = {"auth_required": True, "authenticator": auth}
    if security == "starttls":
        controller = Controller(
            inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True, **options
        )
    else:
        # aiosmtpd does not see that an implicit-TLS socket is encrypted, hence auth_require_tls=False.
        controller = Controller(
            inbox, hostname="127.0.0.1", port=port, ssl_context=context, auth_require_tls=False, **options
        )
    controller.start()
    try:
        store.add(ArticleSpec("https://one.example/a", "عملات مشفرة وتمويل الإرهاب", WIRE))
        email = replace(
            settings.email,
            smtp_port=port,
            security=security,
            username="raqib",
            password="s3cret-pass",
            ca_file=str(cert),
        )
        result = run_digest(factory, replace(settings, email=email), formats=(), email=True, now=NOW)
        assert result.ok, result.errors
        assert len(inbox.messages) == 1 and auth.seen == [("raqib", "s3cret-pass")]

        # A wrong password fails with a one-line reason that does not echo the password.
        store.add(ArticleSpec("https://one.example/z", "خبر آخر عن العملات المشفرة والإرهاب", WIRE[::-1]))
        bad = replace(email, password="wrong-password")
        failed = run_digest(factory, replace(settings, email=bad), formats=(), email=True, now=NOW)
        assert not failed.ok and "login refused" in failed.errors[0]
        assert "wrong-password" not in failed.errors[0] and "wrong-password" not in caplog.text
        assert "wrong-password" not in repr(bad)

        arabic = replace(email, password="كلمة-سر")
        refused = run_digest(factory, replace(settings, email=arabic), formats=(), email=True, now=NOW)
        assert "must be ASCII" in refused.errors[0] and "كلمة" not in refused.errors[0]
    finally:
        controller.stop()
