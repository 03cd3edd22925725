"""The digest as an e-mail: multipart/alternative (text + HTML), sent over SMTP.

Headers are built with ``email.headerregistry`` under ``policy.SMTP``: the Arabic subject and
sender name become RFC 2047 encoded words, and every crawled string that reaches a header goes
through ``one_line`` first, so a title carrying CR/LF cannot start a header of its own.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from digests.config import EmailSettings
from digests.text import one_line

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the digest; the message was not delivered."""


@dataclass(frozen=True)
class OutgoingMail:
    subject: str
    text: str
    html: str
    message_id: str
    date: datetime


def build_message(settings: EmailSettings, mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = one_line(mail.subject, 200)
    message["From"] = Address(
        display_name=one_line(settings.sender_name, 100), addr_spec=settings.sender_address
    )
    message["To"] = tuple(Address(addr_spec=r) for r in settings.recipients)
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = mail.message_id
    # Tells auto-responders and vacation bots not to answer the daily digest.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    return message


def _connect(settings: EmailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
    client.ehlo()
    if settings.security == "starttls":
        client.starttls(context=context)
        client.ehlo()
    if settings.username:
        client.login(settings.username, settings.password)
    return client


def send(
    settings: EmailSettings, message: EmailMessage, on_accepted: Callable[[], None] | None = None
) -> list[str]:
    """Send ``message`` to the configured recipients; returns those the server accepted.

    ``on_accepted`` runs the moment the server has accepted the message (its reply to DATA), before
    QUIT: a slow or failing QUIT must not turn a delivered digest into a "failed" one that would be
    sent again.
    """
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    if not settings.recipients:
        raise MailError("no recipients configured ([email] recipients)")
    try:
        client = _connect(settings)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"{where}: login refused ({exc.smtp_code})") from None
    except UnicodeEncodeError:
        # smtplib's AUTH encodes the user name and password as ASCII.
        raise MailError(f"{where}: the SMTP user name and password must be ASCII") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{where}: {_reason(exc)}") from None
    try:
        refused = client.send_message(
            message, from_addr=settings.sender_address, to_addrs=list(settings.recipients)
        )
    except (smtplib.SMTPException, OSError) as exc:
        client.close()
        raise MailError(f"{where}: {_reason(exc)}") from None
    accepted = [r for r in settings.recipients if r not in refused]
    if refused:
        log.warning("digest: %s refused %s", where, ", ".join(sorted(refused)))
    try:
        if on_accepted is not None:
            on_accepted()
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    return accepted


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {one_line(text, 200)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return one_line(str(exc), 200) or type(exc).__name__
