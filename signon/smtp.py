"""Flask-Mail with what its SMTP connection lacks: a timeout, verified TLS and a quiet close."""

from __future__ import annotations

import smtplib
import ssl
from email import charset

import flask_mail
from flask import current_app

# Flask-Mail registers UTF-8 bodies as unencoded 8-bit, so a long paragraph becomes a line past
# SMTP's 998-character limit and servers refuse the message; quoted-printable wraps it safely.
charset.add_charset("utf-8", charset.SHORTEST, charset.QP, "utf-8")


def tls_context() -> ssl.SSLContext:
    """A context that verifies the server's certificate and name (optionally against a private CA)."""
    context = ssl.create_default_context()
    ca_file = current_app.config.get("MAIL_CA_FILE")
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class Connection(flask_mail.Connection):
    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        state = self.mail
        timeout = float(current_app.config["MAIL_TIMEOUT"])
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if state.use_ssl:
            host = smtplib.SMTP_SSL(
                state.server, state.port, timeout=timeout, context=tls_context()
            )
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        host.set_debuglevel(int(state.debug))
        try:
            if state.use_tls:
                host.starttls(context=tls_context())
            if state.username and state.password:
                host.login(state.username, state.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, *exc_info: object) -> None:
        # A server that already hung up must not turn the error being handled into another one.
        if self.host is None:
            return
        try:
            self.host.quit()
        except (OSError, smtplib.SMTPException):
            self.host.close()


class Mail(flask_mail.Mail):
    def connect(self) -> Connection:
        return Connection(current_app.extensions["mail"])
