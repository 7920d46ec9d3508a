"""Languages: the Spanish catalog is complete and current, the signer's pages and emails speak the
visitor's language, and the language is chosen as the README says."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from babel import Locale
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import Environment
from jinja2.ext import i18n as i18n_extension

from signon import ROOT, i18n
from signon.extensions import db
from signon.models import Letter, Signature, utcnow
from signon.services import letters, listing
from tests.conftest import Mailbox, csrf_token, form_defaults, html_body, link_in, text_body
from tests.factories import create_letter, form_data

SPANISH = ROOT / "signon" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}

# Every template: each word a reader could see goes through _().
ALL_TEMPLATES = sorted(
    str(path.relative_to(ROOT / "templates"))
    for path in (ROOT / "templates").rglob("*")
    if path.suffix in {".html", ".txt"}
)


# The catalog


def spanish() -> list:
    with SPANISH.open("rb") as source:
        return [message for message in read_po(source) if message.id]


def test_every_spanish_message_is_translated_and_reviewed():
    messages = spanish()
    assert len(messages) > 300
    untranslated = [
        m.id
        for m in messages
        if m.fuzzy
        or not m.string
        or not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == []


def test_spanish_messages_keep_their_placeholders():
    placeholder = re.compile(r"%\(\w+\)s|\{\w+\}|<[a-z][^>]*>")
    for message in spanish():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1])) - {"%(num)s"}
        for string in strings:
            assert wanted <= set(placeholder.findall(string)), (message.id, string)


def test_the_catalog_holds_every_message_of_the_code_and_templates(tmp_path: Path):
    """A new English message without its Spanish fails here: run `make translations`."""
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--ignore-dirs=.*",
            "-F",
            "babel.cfg",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as source:
        wanted = {m.id for m in read_po(source) if m.id}
    have = {m.id for m in spanish()}
    assert sorted(map(str, wanted - have)) == []
    assert sorted(map(str, have - wanted)) == []  # left over: `make translations` drops them


# Templates: no visible English outside _()


_ALLOWED = re.compile(r"^[\s\W\d]*$")  # punctuation, numbers, symbols
_CLASS_BLOCK = re.compile(r"{%-?\s*block main_class\s*-?%}.*?{%-?\s*endblock\s*-?%}", re.S)


def visible_text(source: str) -> list[str]:
    """The literal text of a template a reader could see: outside tags, comments and `{{ }}`."""
    source = _CLASS_BLOCK.sub("", source)  # a class name for the page's <main>, not words
    env = Environment(extensions=[i18n_extension], autoescape=True)
    parts = []
    for _, kind, value in env.lex(source):
        # What Jinja writes stands in as one mark, so the tags it sits in are still whole.
        parts.append(value if kind == "data" else "\x00" if kind.endswith("_begin") else "")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", "".join(parts), flags=re.S)
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    return [piece for piece in text.replace("\x00", " ").split() if not _ALLOWED.match(piece)]


def test_visible_text_is_found_and_translated_text_is_not():
    assert visible_text("<p>Sign the letter</p>") == ["Sign", "the", "letter"]
    assert visible_text('<p title="x">{{ _("Sign") }} · 2 &amp;</p>') == []
    assert visible_text('<a href="{{ url }}" class="b">{{ t }}</a>') == []
    assert visible_text("{% block main_class %} wrap--wide{% endblock %}") == []


@pytest.mark.parametrize("name", ALL_TEMPLATES)
def test_templates_have_no_english_outside_gettext(name: str):
    source = (ROOT / "templates" / name).read_text(encoding="utf-8")
    assert visible_text(source) == [], name


def test_aria_labels_and_titles_are_translated_too():
    assert len(ALL_TEMPLATES) > 140  # the templates were found
    for name in ALL_TEMPLATES:
        source = (ROOT / "templates" / name).read_text(encoding="utf-8")
        for attribute in re.findall(r'(?:aria-label|alt|title|placeholder)="([^"{]+)"', source):
            assert _ALLOWED.match(attribute), (name, attribute)


# Choosing the language


def sign(client: FlaskClient, headers: dict[str, str] | None = None, **overrides: str):
    page = client.get("/letters/test-letter", headers=headers)
    data = form_defaults(page.text) | form_data(**overrides)
    return client.post("/letters/test-letter", data=data, headers=headers)


def test_english_stays_the_default(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter")
    assert '<html lang="en" dir="ltr">' in page.text
    assert "Sign the letter" in page.text
    assert "Accept-Language" in page.headers["Vary"]


def test_accept_language_es_gives_the_letter_page_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter", headers=ES)
    assert '<html lang="es" dir="ltr">' in page.text
    assert "Firmar la carta" in page.text
    assert "Nombre de la organización" in page.text
    assert "Firme esta carta en nombre de su organización" in page.text
    assert "Sign the letter" not in page.text
    # The header offers each language in its own words, the current one marked.
    assert re.search(r'<a [^>]*lang="en" hreflang="en"[^>]*>English</a>', page.text)
    assert re.search(r'hreflang="es" aria-current="true">Español</a>', page.text)


def test_sign_form_errors_are_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    response = sign(client, ES, organization="", name="", email="not an address", authorized="")
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Corrija estos 4 problemas" in text
    assert "Escriba el nombre de su organización." in text
    assert "Escriba su nombre completo." in text
    assert "Escriba un correo electrónico como nombre@example.org." in text
    assert "Confirme que puede firmar en nombre de esta organización." in text
    assert 'Nombre de la organización <span class="required">(obligatorio)</span>' in text
    assert "Enter your full name." not in text


def test_too_long_names_are_refused_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    response = sign(client, ES, name="x" * 121)
    text = html.unescape(response.text)
    assert "Su nombre completo puede tener como máximo 120 caracteres; usted escribió 121." in text


def test_signing_in_spanish_end_to_end(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        create_letter(title="Publiquen los datos")
    response = sign(client, ES)
    assert response.status_code == 303
    checking = client.get(response.headers["Location"], headers=ES).text
    assert "Revise su correo" in checking
    assert "El enlace funciona durante 7 días." in checking
    with app.app_context():
        [signature] = db.session.execute(sa.select(Signature)).scalars()
        assert signature.language == "es"

    [email] = mailbox.wait_for(1)
    assert email["Subject"] == "Confirme su firma: Publiquen los datos"
    body = text_body(email)
    assert "Confirme, por favor, que firma «Publiquen los datos»" in body
    assert "en nombre de “Open Records Alliance”" in body
    assert "El enlace funciona durante 7 días." in body
    assert "Cómo pidió figurar: «Incluyan a nuestra organización»." in body
    assert '<html lang="es" dir="ltr">' in html_body(email)
    assert "Confirmar mi firma" in html_body(email)

    confirm_path = urlsplit(link_in(email, "/confirm/")).path
    page = client.get(confirm_path)  # no header: the signature's language
    assert "Confirme su firma" in page.text
    assert "Está firmando" in page.text
    done = client.post(confirm_path, data={"csrf_token": csrf_token(page.text)})
    assert "Gracias: su firma está confirmada" in done.text

    confirmed = next(m for m in mailbox.wait_for(2) if m is not email)
    assert confirmed["Subject"] == "Su firma está confirmada: Publiquen los datos"
    assert "Hola, Dana Reyes:" in text_body(confirmed)
    assert "ya figura en la carta" in text_body(confirmed)
    assert "Gestionar su firma" in html_body(confirmed)

    listed = client.get("/letters/test-letter", headers=ES).text
    assert "1 organización" in listed
    assert "Ha firmado" in listed


def test_the_mail_worker_writes_in_the_signers_language(app: Flask):
    """Emails queued outside any request (the worker, a command) speak the signature's language."""
    from signon.services import signer_emails

    with app.app_context():
        create_letter()
        page_letter = db.session.execute(sa.select(Letter)).scalar_one()
        signature = Signature(
            letter=page_letter,
            version_id=letters.current_version(page_letter).id,
            organization="Alianza",
            name="Ana",
            email="ana@example.org",
            email_normalized="ana@example.org",
            organization_key="alianza",
            language="es",
            attested_at=utcnow(),
        )
        db.session.add(signature)
        db.session.flush()
        signer_emails.send_manage_link(signature)
        message = db.session.info["signon.outbox.queued"][-1]
        assert message.subject.startswith("Gestionar su firma: ")
        assert "Hola, Ana:" in message.body_text
        db.session.rollback()


def test_the_header_link_chooses_spanish_and_the_cookie_remembers_it(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter")
    link = re.search(r'href="([^"]*)" lang="es"', page.text)
    assert link is not None
    chosen = client.get(html.unescape(link.group(1)))
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == "/letters/test-letter"
    cookie = chosen.headers["Set-Cookie"]
    assert "signon_language=es" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=" in cookie
    assert "Firmar la carta" in client.get("/letters/test-letter").text
    # The choice beats the browser's language, and can be taken back.
    assert "Cartas abiertas" in client.get("/", headers={"Accept-Language": "en"}).text
    client.get("/language/en?next=/")
    assert "Open letters" in client.get("/", headers=ES).text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%0d%0aSet-Cookie:x=y",
        "",
    ],
)
def test_the_language_link_never_leaves_the_site(app: Flask, client: FlaskClient, target: str):
    response = client.get("/language/es", query_string={"next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert urlsplit(location).netloc == ""
    if not target.startswith("/%0d"):
        assert location == "/"


def test_an_unknown_language_is_not_found(client: FlaskClient):
    assert client.get("/language/xx?next=/").status_code == 404


def test_a_spanish_letter_speaks_spanish_without_any_header(app: Flask, client: FlaskClient):
    with app.app_context():
        letter = create_letter()
        letter.language = "es"
        db.session.commit()
    page = client.get("/letters/test-letter")
    assert '<html lang="es"' in page.text
    assert "Firmar la carta" in page.text
    # A visitor's own choice still wins over the letter's language.
    client.get("/language/en?next=/")
    assert "Sign the letter" in client.get("/letters/test-letter").text


def test_counts_take_the_plural_of_each_language(app: Flask):
    with app.test_request_context(headers=ES):
        assert listing.count_line(1) == "1 organización"
        assert listing.count_line(53) == "53 organizaciones"
        assert (
            listing.count_line(12345, 2) == "12.345 organizaciones y 2 personas a título individual"
        )
        assert listing.count_line(4, 0, 4) == "4 organizaciones, ninguna con nombre"
    with app.test_request_context():
        assert listing.count_line(1) == "1 organization"
        assert listing.count_line(12345, 1) == "12,345 organizations and 1 individual"
        with i18n.english():
            assert listing.count_line(53) == "53 organizations"


def test_documents_stay_in_english_on_a_spanish_page(app: Flask):
    with app.test_request_context(headers=ES), i18n.english():
        assert listing.count_line(2) == "2 organizations"


def test_dates_follow_the_language(app: Flask):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 12, 18, 17, 0, tzinfo=ZoneInfo("America/New_York"))
    with app.test_request_context(headers=ES):
        assert i18n.longdate(moment) == "viernes, 18 de diciembre de 2026 a las 17:00 EST"
        assert i18n.daydate(moment) == "18 de diciembre de 2026"
    with app.test_request_context():
        assert i18n.longdate(moment) == "Friday, December 18, 2026 at 5:00 PM EST"
        assert i18n.daydate(moment) == "December 18, 2026"


def test_a_right_to_left_language_sets_dir_rtl(app: Flask, monkeypatch: pytest.MonkeyPatch):
    """A language written right to left (its catalog and one setting) turns the page around."""
    assert i18n.direction("ar") == "rtl"
    assert i18n.direction("he") == "rtl"
    assert Locale.parse("es").character_order == "left-to-right"
    monkeypatch.setitem(app.config, "LANGUAGES", "en,es,ar")
    client = app.test_client()
    page = client.get("/privacy", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.text
    assert 'hreflang="ar"' in page.text


def test_a_language_without_a_catalog_is_refused_at_start():
    assert i18n.missing_catalogs("en,es") == []
    assert i18n.missing_catalogs("en,es,fr") == ["fr"]


def test_an_error_page_never_writes_the_address_back(client: FlaskClient):
    page = client.get("/letters/no-such-letter/secret-part")
    assert page.status_code == 404
    assert "secret-part" not in page.text
    assert "/language/es?next=/" in page.text


# Logos and the emails about a changed text or an added signature


def test_a_spanish_signer_is_told_in_spanish_why_a_logo_is_refused(app: Flask, client: FlaskClient):
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    with app.app_context():
        create_letter()
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    page = client.get("/letters/test-letter", headers=ES)
    data: dict[str, object] = form_defaults(page.text) | form_data()
    data["logo"] = FileStorage(io.BytesIO(svg), "logo.png")
    boundary, body = encode_multipart(data)
    response = client.post(
        "/letters/test-letter",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=ES,
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "No se aceptan imágenes SVG, tenga el nombre que tenga el archivo." in text
    assert "Guárdela como PNG, JPEG o WebP" in text
    assert "vuelva a elegir el archivo del logotipo" in text
    assert "SVG images are not accepted" not in text
    assert "Save it as PNG" not in text


def test_a_refused_logo_is_explained_in_the_pages_language(app: Flask):
    from signon import images

    with app.test_request_context(headers=ES):
        with pytest.raises(images.LogoRefused) as spanish_refusal:
            images.prepare(b"GIF89a" + b"\x00" * 40)
        assert str(spanish_refusal.value).startswith("No se aceptan archivos GIF. Guárdela")
        with pytest.raises(images.LogoRefused) as too_large:
            images.prepare(b"\x89PNG\r\n\x1a\n" + b"\x00" * (images.MAX_BYTES + 100_000))
        assert "(2,1 MB)" in str(too_large.value)
    with app.test_request_context():
        with pytest.raises(images.LogoRefused) as english_refusal:
            images.prepare(b"GIF89a" + b"\x00" * 40)
        assert str(english_refusal.value).startswith("GIF files are not accepted. Save it")


def test_the_changed_text_email_speaks_the_language_the_signer_signed_in(
    app: Flask, mailbox: Mailbox
):
    from signon.services import signer_links
    from tests.factories import confirmed_signature, create_organizer

    with app.app_context():
        owner = create_organizer()
        letter = create_letter(title="Publiquen los datos", owner=owner)
        signed = confirmed_signature(letter)
        signed.language = "es"
        confirmed_signature(letter, organization="Other Org", email="en@other.example")
        db.session.commit()
        letters.revise_text(letter, "Un texto nuevo.", "Más breve", author_id=owner.id)
        assert signer_links.ask_to_reconfirm(letter, "Léanlo de nuevo.", by=owner) == 2
    emails = mailbox.wait_for(4)
    [spanish_email] = [m for m in emails if "cambiado" in str(m["Subject"])]
    assert spanish_email["To"] == "dana@openrecords.example"
    assert spanish_email["Subject"] == "El texto que usted firmó ha cambiado: Publiquen los datos"
    body = text_body(spanish_email)
    assert "Hola, Dana Reyes:" in body
    assert "Usted firmó «Publiquen los datos» en nombre de Open Records Alliance." in body
    assert "los organizadores cambiaron el texto (versión 2: Más breve)" in body
    assert "Para mantener su firma en el texto nuevo:" in body
    assert "Para retirar su firma:" in body
    page = html_body(spanish_email)
    assert '<html lang="es" dir="ltr">' in page
    assert "Mantener mi firma en el texto nuevo" in page
    assert "Retirar mi firma" in page
    assert "Keep" not in body + page
    [english_email] = [m for m in emails if "has changed" in str(m["Subject"])]
    assert english_email["To"] == "en@other.example"
    assert english_email["Subject"] == "The text you signed has changed: Publiquen los datos"
    assert "Keep your signature on the new text:" in text_body(english_email)


def test_a_signature_added_for_a_spanish_signer_is_announced_in_spanish(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    """A signer who filled the form in Spanish but never confirmed it, added by an organizer."""
    from signon.services import intake
    from tests.factories import create_organizer, signature_data

    with app.app_context():
        owner = create_organizer(name="Ana Ruiz")
        create_letter(title="Publiquen los datos", owner=owner)
    assert sign(client, ES).status_code == 303
    with app.app_context():
        letter = db.session.execute(sa.select(Letter)).scalar_one()
        owner = letter.hosts[0].organizer
        added = intake.add_signature(
            letter,
            signature_data(),
            by=owner,
            source="Por teléfono",
            approve=True,
            tell_signer=True,
        )
        assert added.language == "es"
    [email] = [m for m in mailbox.wait_for(2) if "firmantes" in str(m["Subject"])]
    assert email["Subject"] == "Usted figura entre los firmantes: Publiquen los datos"
    body = text_body(email)
    assert "Hola, Dana Reyes:" in body
    assert "Ana Ruiz, que organiza «Publiquen los datos», añadió su firma" in body
    assert "en nombre de Open Records Alliance, como usted se lo pidió." in body
    assert "Open Records Alliance ya figura en la carta:" in body
    assert "retire la firma con este enlace; se quita de inmediato:" in body
    page = html_body(email)
    assert "uno de los organizadores de esta carta añadió su firma" in page
    assert "ya figura en <a href=" in page
    assert "added your signature" not in body + page


def test_the_language_link_keeps_where_a_visitor_came_from_but_never_a_share_code(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter?via=SecretShareCode1&ref=newsletter&utm_source=x")
    link = re.search(r'href="([^"]*)" lang="es"', page.text)
    assert link is not None
    assert "SecretShareCode1" not in page.text
    chosen = client.get(html.unescape(link.group(1)))
    assert chosen.headers["Location"] == "/letters/test-letter?ref=newsletter&utm_source=x"


def test_language_names_are_lower_case_within_a_spanish_sentence(app: Flask):
    with app.test_request_context("/"), i18n.speaking("es"):
        assert i18n.language_name("es") == "español"
        assert i18n.language_name("en") == "inglés"
        assert i18n.language_name("es", capitalized=True) == "Español"
        assert [name for _, name in i18n.own_names()] == ["English", "Español"]
    with app.test_request_context("/"), i18n.speaking("en"):
        assert i18n.language_name("es") == "Spanish"
        assert i18n.language_name("es", "es") == "español"
