"""Plain SMTP through smtplib, configured by app.config MAIL_* (config.py reads FEEDBACK_SMTP_*).

`open_sender()` gives one connection for a batch of messages. Failures come in two kinds,
because the outbox treats them differently: MailUnavailable (the server is down, slow or
answered 4xx: try again later) and MailRejected (5xx for every recipient: retrying would not
help).
"""
from __future__ import annotations

import smtplib
import socket
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

TIMEOUT_SECONDS = 20


class MailUnavailable(Exception):
    """The SMTP server could not take the message now."""


class MailRejected(Exception):
    """The SMTP server refused the message for good."""


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def one_line(text: str) -> str:
    """Header values come partly from admin-entered names: never let them span lines."""
    return " ".join(str(text).split())


def build_message(subject: str, body: str, to_addrs: list[str]) -> EmailMessage:
    sender = current_app.config.get("MAIL_SENDER") or "feedback@localhost"
    msg = EmailMessage()
    msg["Subject"] = one_line(subject)
    msg["From"] = sender
    msg["To"] = ", ".join(to_addrs)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(body)
    return msg


class Sender:
    def __init__(self, smtp: smtplib.SMTP):
        self.smtp = smtp

    def send(self, msg: EmailMessage, to_addrs: list[str]) -> dict:
        """Send one message; returns the recipients the server refused (others got it)."""
        try:
            return self.smtp.send_message(msg, to_addrs=to_addrs)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailRejected(f"every recipient was refused: {_codes(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise MailRejected(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}") from exc
            raise MailUnavailable(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailUnavailable(f"{type(exc).__name__}: {exc}") from exc


@contextmanager
def open_sender():
    cfg = current_app.config
    host, port = cfg.get("MAIL_SERVER"), int(cfg.get("MAIL_PORT") or 25)
    try:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailUnavailable(f"cannot reach SMTP server {host}:{port}: {exc}") from exc
    try:
        try:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailUnavailable(f"SMTP login refused ({exc.smtp_code}); check FEEDBACK_SMTP_USER/PASSWORD") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"SMTP session with {host}:{port} failed: {exc}") from exc
        yield Sender(smtp)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException, socket.timeout):
            smtp.close()


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _codes(recipients: dict) -> str:
    return ", ".join(f"{addr} ({code})" for addr, (code, _msg) in recipients.items())
