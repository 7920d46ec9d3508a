"""An organizer's own language: chosen on the account page or with the header's links, it is the
language of their workspace and of every email the site sends them."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import tokens
from signon.extensions import db
from signon.models import NotifyMode, Organizer, Signature, TokenPurpose, utcnow
from signon.services import access, notifications, signer_links
from tests.conftest import Mailbox, csrf_token, html_body, login_as, text_body
from tests.factories import confirmed_signature, create_letter, create_organizer

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def speaks(app: Flask, email: str, language: str) -> None:
    with app.app_context():
        organizer = db.session.execute(
            sa.select(Organizer).where(Organizer.email == email)
        ).scalar_one()
        organizer.language = language
        db.session.commit()


def stored_language(app: Flask, email: str = "ana@coalition.example") -> str:
    with app.app_context():
        return db.session.execute(
            sa.select(Organizer.language).where(Organizer.email == email)
        ).scalar_one()


def plain(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", page))


# Emails


def test_a_spanish_organizer_hears_of_each_new_signature_in_spanish(app: Flask, mailbox: Mailbox):
    with app.app_context():
        owner = create_organizer()
        owner.language = "es"
        letter = create_letter(owner=owner, title="Publiquen los datos")
        access.set_notify(letter, owner, NotifyMode.EACH)
        confirmed_signature(letter)
    [email] = [m for m in mailbox.wait_for(3) if m["To"] == "ana@coalition.example"]
    assert email["Subject"] == "Firma nueva: Open Records Alliance en Publiquen los datos"
    text = text_body(email)
    assert "Open Records Alliance confirmó una firma en «Publiquen los datos»." in text
    assert "Firmante: Dana Reyes, Director" in text
    assert "Estado: aprobada" in text
    assert "Cómo figura: Incluyan a nuestra organización" in text
    assert "Revisar las firmas: https://signon.example/admin/letters/" in text
    assert "Recibe este correo por cada firma nueva." in text
    page = html_body(email)
    assert '<html lang="es" dir="ltr">' in page
    assert "<strong>Open Records Alliance</strong> confirmó una firma en" in page
    assert ">Revisar las firmas</a>" in page
    assert "Puede cambiarlo en el panel de la carta." in page
    for english in ("confirmed a signature", "Signer:", "Review the signatures", "You get"):
        assert english not in text + page


def test_a_spanish_organizers_digest_is_in_spanish(app: Flask, mailbox: Mailbox):
    with app.app_context():
        owner = create_organizer()
        owner.language = "es"
        letter = create_letter(owner=owner, title="Publiquen los datos", requires_approval=True)
        access.set_notify(letter, owner, NotifyMode.DIGEST)
        confirmed_signature(letter)
        confirmed_signature(letter, organization="Otra Org", email="otra@otra.example")
        mailbox.wait_for(2)
        mailbox.clear()
        assert notifications.send_digests(now=utcnow() + timedelta(minutes=1)) == 1
    [digest] = mailbox.wait_for(1)
    assert digest["Subject"] == "2 firmas nuevas: Publiquen los datos"
    text = text_body(digest)
    assert "2 firmas nuevas confirmadas en «Publiquen los datos»:" in text
    assert "- Open Records Alliance (Dana Reyes)" in text
    assert "2 firmas esperan revisión." in text
    assert "Recibe este resumen una vez al día." in text
    page = html_body(digest)
    assert "2 firmas nuevas confirmadas en <strong>Publiquen los datos</strong>:" in page
    assert "<strong>2</strong> firmas esperan revisión." in page
    assert "awaiting review" not in text + page


def test_each_host_hears_of_a_withdrawal_in_their_own_language(ctx: Flask, mailbox: Mailbox):
    owner = create_organizer()
    colleague = create_organizer("bea@partner.example", name="Bea")
    colleague.language = "es"
    letter = create_letter(owner=owner, timezone="America/Chicago")
    access.add_host(letter, colleague.email, by=owner)
    signature = confirmed_signature(letter, email="dana@ora.example")
    mailbox.clear()
    raw = tokens.issue(TokenPurpose.WITHDRAW, timedelta(days=1), signature=signature)
    db.session.commit()
    when = datetime(2026, 3, 4, 18, 30, tzinfo=UTC)
    assert signer_links.withdraw_signature(raw, when).outcome == signer_links.Outcome.WITHDRAWN
    mailbox.wait_for(2)
    [spanish] = mailbox.to("bea@partner.example")
    assert spanish["Subject"] == "Firma retirada: Open Records Alliance en Publish the data"
    text = text_body(spanish)
    assert "Open Records Alliance ya no figura en «Publish the data»" in text
    assert "Dana Reyes retiró su firma en nombre de Open Records Alliance" in text
    assert "miércoles, 4 de marzo de 2026 a las 12:30 CST" in text
    [english] = mailbox.to("ana@coalition.example")
    assert english["Subject"] == "Signature withdrawn: Open Records Alliance on Publish the data"
    assert "Open Records Alliance is no longer on" in text_body(english)
    assert db.session.get(Signature, signature.id) is not None


def test_a_cohost_is_told_in_their_language_and_an_invitation_in_the_inviters(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer(name="Ana Ruiz")
        owner.language = "es"
        colleague = create_organizer("bo@partner.example", name="Bo")
        colleague.language = "en"
        letter = create_letter(owner=owner, title="Publiquen los datos")
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    mailbox.clear()
    for address in ("bo@partner.example", "nuevo@partner.example"):
        client.post(
            f"/admin/letters/{letter_id}/hosts", data={"csrf_token": token, "email": address}
        )
    mailbox.wait_for(2)
    [note] = mailbox.to("bo@partner.example")
    assert note["Subject"] == "You now co-host “Publiquen los datos”"
    assert "Hello Bo," in text_body(note)
    [invitation] = mailbox.to("nuevo@partner.example")
    assert (
        invitation["Subject"] == "Ana Ruiz le invita a coorganizar «Publiquen los datos» en signon"
    )
    text = text_body(invitation)
    assert text.startswith("Hola:")
    assert "le invitó a organizar con otras personas la carta «Publiquen los datos»" in text
    assert "Elija su contraseña con este enlace (funciona una sola vez, durante 7 días):" in text
    assert "Después inicie sesión y se abrirá la carta." in text
    assert '<a href="https://signon.example/invite/' in html_body(invitation)


def test_a_password_reset_speaks_the_accounts_language_not_the_pages(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_organizer()
        create_organizer("bo@partner.example", name="Bo")
    speaks(app, "ana@coalition.example", "es")
    page = client.get("/reset", headers=ES)
    assert "Restablecer su contraseña" in page.text
    for address in ("ana@coalition.example", "bo@partner.example"):
        sent = client.post(
            "/reset",
            data={"csrf_token": csrf_token(page.text), "email": address},
            headers=ES,
        )
        assert "Revise su correo" in sent.text
        sent.close()
    mailbox.wait_for(2)
    [spanish] = mailbox.to("ana@coalition.example")
    assert spanish["Subject"] == "Restablecer su contraseña de signon"
    text = text_body(spanish)
    assert text.startswith("Hola, Ana:")
    assert "durante 2 horas" in text
    assert "Si no fue usted, no haga caso de este correo" in text
    assert "Recibe este correo porque tiene una cuenta de organizador" in html_body(spanish)
    [english] = mailbox.to("bo@partner.example")  # no language of its own: the site's default
    assert english["Subject"] == "Reset your signon password"
    assert text_body(english).startswith("Hello Bo,")


# Pages


def test_the_sign_in_page_speaks_the_browsers_language(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    page = client.get("/login", headers=ES)
    assert '<html lang="es"' in page.text
    text = plain(page.text)
    assert "<h1>Iniciar sesión</h1>" in text
    assert "Para quienes organizan cartas." in text
    assert "Correo electrónico" in text
    assert "Contraseña" in text
    assert "¿Olvidó su contraseña?" in text
    wrong = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "ana@coalition.example",
            "password": "not the password",
        },
        headers=ES,
    )
    assert wrong.status_code == 422
    assert "Ese correo electrónico y esa contraseña no corresponden a ninguna cuenta." in plain(
        wrong.text
    )
    assert "Sign in" not in wrong.text
    assert "<h1>Sign in</h1>" in client.get("/login").text


def test_the_account_language_is_kept_and_speaks_the_workspace(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_organizer()
    token = login_as(client, "ana@coalition.example")
    account = client.get("/admin/account")
    assert "<h1>Your account</h1>" in account.text
    assert '<label for="language-1" lang="es">Español</label>' in account.text
    assert re.search(r'<input checked id="language-0"[^>]*value="en"', account.text)
    chosen = client.post("/admin/account/language", data={"csrf_token": token, "language": "es"})
    assert chosen.status_code == 302
    assert "signon_language=es" in chosen.headers["Set-Cookie"]
    assert stored_language(app) == "es"
    page = client.get("/admin/account")
    assert "<h1>Su cuenta</h1>" in page.text
    assert "Su idioma quedó guardado: Español." in plain(page.text)
    assert re.search(r'<input checked id="language-1"[^>]*value="es"', page.text)
    # Another browser, without the cookie: the account's language, whatever the browser's.
    elsewhere = app.test_client()
    login_as(elsewhere, "ana@coalition.example")
    workspace = elsewhere.get("/admin/account", headers={"Accept-Language": "en"})
    assert '<html lang="es"' in workspace.text
    assert "<h1>Su cuenta</h1>" in workspace.text
    # A language the site does not speak is refused and changes nothing.
    client.post("/admin/account/language", data={"csrf_token": token, "language": "xx"})
    assert stored_language(app) == "es"


def test_the_header_link_keeps_a_signed_in_organizers_choice_on_the_account(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_organizer()
    login_as(client, "ana@coalition.example")
    assert client.get("/language/es?next=/admin/account").status_code == 303
    assert stored_language(app) == "es"
    elsewhere = app.test_client()
    login_as(elsewhere, "ana@coalition.example")
    assert "<h1>Su cuenta</h1>" in elsewhere.get("/admin/account").text
    # The cookie of this browser still comes first.
    elsewhere.get("/language/en?next=/")
    assert stored_language(app) == "en"
    client.set_cookie("signon_language", "es")
    assert "<h1>Su cuenta</h1>" in client.get("/admin/account").text


def test_a_language_link_from_another_site_leaves_the_account_alone(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_organizer()
    login_as(client, "ana@coalition.example")
    followed = client.get("/language/es?next=/admin/", headers={"Sec-Fetch-Site": "cross-site"})
    assert followed.status_code == 303
    assert "signon_language=es" in followed.headers["Set-Cookie"]  # this browser still switches
    assert stored_language(app) == ""
    client.get("/language/es?next=/admin/", headers={"Sec-Fetch-Site": "same-origin"})
    assert stored_language(app) == "es"


def test_visitors_not_signed_in_choose_as_before(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
        create_letter()
    speaks(app, "ana@coalition.example", "es")
    assert client.get("/language/en?next=/").status_code == 303
    assert stored_language(app) == "es"  # no account is touched by a visitor's choice
    visitor = app.test_client()
    assert "Sign the letter" in visitor.get("/letters/test-letter").text
    assert "Firmar la carta" in visitor.get("/letters/test-letter", headers=ES).text
