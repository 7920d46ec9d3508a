"""Organizations' logos: hostile files refused with a clear message, good ones re-encoded and stored
outside the web root, served only to the right people, removed and erased, and the press kit's
logo pack (a ZIP named by organization, and the logo wall in list order)."""

from __future__ import annotations

import http.client
import io
import itertools
import re
import struct
import threading
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.serving import make_server
from werkzeug.test import encode_multipart

from signon import ROOT, images, tokens
from signon.exports import logo_pack
from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    Logo,
    Organizer,
    Signature,
    SignatureStatus,
    TokenPurpose,
)
from signon.services import letters, listing, logos, moderation, retention, signatures, signer_links
from tests.conftest import form_defaults, free_port, login_as
from tests.factories import create_letter, create_organizer, form_data, signature_data

STORED_NAME = re.compile(r"\A[A-Za-z0-9_-]{32}\.png\Z")
CHOOSE_AGAIN = "please choose the logo file again"


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return app_config | {"UPLOAD_DIR": str(tmp_path / "uploads")}


def uploads(app: Flask) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


# --- Files, good and hostile --------------------------------------------------------------------


def picture(fmt: str = "PNG", size: tuple[int, int] = (300, 120), **save: Any) -> bytes:
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    image = Image.new(mode, size, (200, 30, 30, 255))
    image.paste((20, 90, 200, 128 if mode == "RGBA" else 255), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb(side: int = 30_000) -> bytes:
    """A grey PNG that claims side x side pixels (900 million), under 1 MB on disk."""
    squeeze = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    data = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (64, 64), color) for color in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)})
    return picture("JPEG", (400, 300), exif=exif.tobytes())


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret-author-note")
    return picture("PNG", pnginfo=info)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (decompression_bomb(), "too large when opened"),
        (SVG, "SVG images are not accepted"),
        (picture("PNG") + b"<script>alert(document.cookie)</script>", "other data hidden after"),
        (picture("JPEG") + b"PK\x03\x04" + b"zip" * 100, "other data hidden after"),
        (animated("PNG"), "Animated images are not accepted"),
        (animated("WEBP"), "Animated images are not accepted"),
        (animated("GIF"), "GIF files are not accepted"),
        (b"%PDF-1.7\n" + b"x" * 100, "PDF files are not accepted"),
        (b"<html><body>hi</body></html>", "web page or text"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
        (picture("PNG")[:-30], "damaged"),
        (b"x" * (images.MAX_BYTES + 1), "larger than 2 MB"),
    ],
    ids=[
        "bomb",
        "svg",
        "png-script",
        "jpeg-zip",
        "apng",
        "animated-webp",
        "gif",
        "pdf",
        "html",
        "empty",
        "truncated-header",
        "truncated",
        "too-big",
    ],
)
def test_hostile_files_are_refused_with_a_clear_message(data: bytes, said: str):
    with pytest.raises(images.LogoRefused, match=said):
        images.prepare(data)


def test_a_png_claiming_many_pixels_below_pillows_own_limit_is_refused():
    """Pillow warns only above 89 million pixels; signon stops at 8 million, before decoding."""
    with pytest.raises(images.LogoRefused, match=r"3000 by 3000 pixels"):
        images.prepare(decompression_bomb(3000))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_good_images_are_reencoded_as_png_without_metadata(fmt: str):
    sent = picture(fmt, (1600, 640))
    kept = images.prepare(sent)
    assert kept.png != sent
    assert kept.png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(kept.png)) as image:
        assert image.format == "PNG"
        assert image.size == (kept.width, kept.height) == (1000, 400)  # the long side at most 1000
        assert image.mode == ("RGB" if fmt == "JPEG" else "RGBA")  # transparency kept
        assert not image.getexif()
        assert set(image.info) <= {"dpi"}, image.info


def test_exif_gps_and_text_chunks_are_stripped():
    for sent, secret in (
        (jpeg_with_gps(), b"PhoneMaker"),
        (png_with_text(), b"secret-author-note"),
    ):
        assert secret in sent
        kept = images.prepare(sent).png
        assert secret not in kept
        assert b"eXIf" not in kept
        assert b"tEXt" not in kept
        assert b"iTXt" not in kept
        assert b"Exif" not in kept
        with Image.open(io.BytesIO(kept)) as image:
            assert not image.getexif().get_ifd(0x8825)


def test_a_file_named_png_is_judged_by_its_bytes():
    assert images.sniff(picture("JPEG")) == "JPEG"
    with pytest.raises(images.LogoRefused, match="SVG"):
        images.sniff(b"\xef\xbb\xbf  " + SVG)


# --- The sign form ------------------------------------------------------------------------------


def sign_with(client: FlaskClient, slug: str, upload: tuple[bytes, str] | None, **fields: str):
    page = client.get(f"/letters/{slug}")
    data: dict[str, Any] = form_defaults(page.text) | form_data(**fields)
    if upload is not None:
        data["logo"] = FileStorage(io.BytesIO(upload[0]), upload[1])
    # Encoded in memory: the test client spools a large body to a file it never closes.
    boundary, body = encode_multipart(data)
    return client.post(
        f"/letters/{slug}", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_the_sign_form_takes_a_logo_and_stores_it_outside_the_web_root(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_letter()
    sent = picture("PNG")
    response = sign_with(client, "test-letter", (sent, "logo.png"))
    assert response.status_code == 303, response.text
    with app.app_context():
        logo = db.session.execute(sa.select(Logo)).scalar_one()
        assert STORED_NAME.match(logo.stored_name)
        files = uploads(app)
        assert [f.name for f in files] == [logo.stored_name]
        stored = files[0].read_bytes()
        assert stored != sent
        assert stored.startswith(b"\x89PNG")
        assert (logo.width, logo.height, logo.size) == (300, 120, len(stored))
        assert ROOT / "static" not in files[0].parents
        assert files[0].stat().st_mode & 0o077 == 0  # readable by signon alone


def test_the_upload_folder_defaults_to_the_instance_folder_not_static():
    from signon import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    folder = Path(app.config["UPLOAD_DIR"])
    assert folder == Path(app.instance_path) / "uploads"
    assert ROOT / "static" not in [folder, *folder.parents]


def test_a_refused_logo_keeps_everything_typed_and_says_to_choose_the_file_again(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_letter()
    response = sign_with(
        client, "test-letter", (SVG, "logo.png"), organization="Río Verde Coalition"
    )
    assert response.status_code == 422
    assert "SVG images are not accepted" in response.text
    assert CHOOSE_AGAIN in response.text
    assert 'value="Río Verde Coalition"' in response.text
    assert 'aria-invalid="true"' in response.text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar() == 0
    assert uploads(app) == []


def test_a_good_logo_with_another_mistake_is_asked_for_again(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    response = sign_with(client, "test-letter", (picture("PNG"), "logo.png"), name="")
    assert response.status_code == 422
    assert "Enter your full name." in response.text
    assert "Your logo has not been saved yet" in response.text
    assert uploads(app) == []


def test_an_empty_file_input_takes_the_fast_path_and_a_chosen_file_the_form(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    """A browser sends the empty file input as a part without a file name."""
    from signon.forms import public as public_forms

    with app.app_context():
        create_letter()
    built: list[int] = []
    real = public_forms.sign_form

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("signon.views.public.sign_form", counting)
    page = client.get("/letters/test-letter")
    built.clear()
    data: dict[str, Any] = form_defaults(page.text) | form_data()
    data["logo"] = (io.BytesIO(b""), "")
    assert client.post("/letters/test-letter", data=data).status_code == 303
    assert built == []
    signed = sign_with(client, "test-letter", (picture("PNG"), "l.png"), email="b@b.example")
    assert signed.status_code == 303
    assert built == [1, 1]  # the page's form, then the POST's


def test_an_individual_signers_file_is_not_kept(app: Flask, client: FlaskClient):
    with app.app_context():
        letter = create_letter()
        letter.allows_individuals = True
        db.session.commit()
    response = sign_with(
        client, "test-letter", (picture("PNG"), "me.png"), signing_as="individual", category=""
    )
    assert response.status_code == 303
    assert uploads(app) == []


def test_a_repeat_signature_does_not_take_a_new_logo(app: Flask, client: FlaskClient):
    """Nobody can put a logo on someone else's signature by signing with their address."""
    with app.app_context():
        create_letter()
    assert sign_with(client, "test-letter", None).status_code == 303
    assert sign_with(client, "test-letter", (picture("PNG"), "l.png")).status_code == 303
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Logo.id))).scalar() == 0
    assert uploads(app) == []


def test_a_50_mb_upload_is_refused_with_a_clear_page(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter")
    fields: dict[str, Any] = form_defaults(page.text) | form_data()
    fields["logo"] = FileStorage(io.BytesIO(b"\x89PNG" + b"\x00" * (50 * 1024 * 1024)), "big.png")
    boundary, body = encode_multipart(fields)  # in memory: the app never reads it all
    response = client.post(
        "/letters/test-letter",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "Your logo file is too large: a logo may be up to 2 MB" in response.text
    assert uploads(app) == []


def test_a_file_just_over_2_mb_is_refused_next_to_the_field(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    response = sign_with(client, "test-letter", (b"\x00" * (images.MAX_BYTES + 10), "big.png"))
    assert response.status_code == 422
    assert "larger than 2 MB" in response.text
    assert CHOOSE_AGAIN in response.text


def test_a_real_server_answers_a_50_mb_upload_before_reading_it(app: Flask):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with app.app_context():
            create_letter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        boundary = "x" * 20
        connection.putrequest("POST", "/letters/test-letter")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(50 * 1024 * 1024))
        connection.endheaders()
        connection.send(f"--{boundary}\r\n".encode() + b"\x00" * 65536)  # then stop sending
        response = connection.getresponse()
        assert response.status == 413
        assert "a logo may be up to 2 MB" in response.read().decode()
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Storing, failing, erasing ------------------------------------------------------------------

_numbers = itertools.count(1)


def signed_with_logo(
    letter: Letter, organization: str, image: bytes | None = None, *, confirm: bool = True
) -> Signature:
    number = next(_numbers)
    data = signature_data(organization=organization, email=f"signer{number}@org{number}.example")
    version = letters.current_version(letter)
    signature = signatures.sign_letter(
        letter, data, version_id=version.id, logo=images.prepare(image or picture())
    )
    if not confirm:
        return signature
    raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=signature)
    db.session.commit()
    confirmed = signer_links.confirm_signature(raw).signature
    assert confirmed is not None
    return confirmed


def test_a_logo_that_cannot_be_written_costs_the_logo_not_the_signature(
    app: Flask, ctx: Flask, monkeypatch: pytest.MonkeyPatch
):
    letter = create_letter()

    def full_disk(path: Path, body: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(logos, "_write_new", full_disk)
    signature = signed_with_logo(letter, "Open Records Alliance", confirm=False)
    assert db.session.get(Signature, signature.id) is not None
    assert db.session.execute(sa.select(sa.func.count(Logo.id))).scalar() == 0
    assert uploads(app) == []


def test_a_signature_that_fails_leaves_no_file(app: Flask, ctx: Flask):
    letter = create_letter()
    with pytest.raises(signatures.TextChanged):
        signatures.sign_letter(
            letter, signature_data(), version_id=-1, logo=images.prepare(picture())
        )
    assert uploads(app) == []


def test_a_logo_row_that_cannot_be_saved_takes_its_file_away(
    app: Flask, ctx: Flask, monkeypatch: pytest.MonkeyPatch
):
    letter = create_letter()
    real_commit = logos.transaction.commit
    commits: list[int] = []

    def second_refused() -> None:
        """The signature's commit goes through; the logo's, after it, fails."""
        commits.append(1)
        if len(commits) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        real_commit()

    monkeypatch.setattr(logos.transaction, "commit", second_refused)
    signature = signed_with_logo(letter, "First", confirm=False)
    monkeypatch.undo()
    assert db.session.get(Signature, signature.id) is not None
    assert db.session.execute(sa.select(sa.func.count(Logo.id))).scalar() == 0
    assert uploads(app) == []


def test_a_stored_file_is_never_replaced(app: Flask, ctx: Flask, monkeypatch: pytest.MonkeyPatch):
    letter = create_letter()
    signature = signed_with_logo(letter, "First", confirm=False)
    (first,) = uploads(app)
    kept = first.read_bytes()
    monkeypatch.setattr(logos.secrets, "token_urlsafe", lambda n: first.stem)
    assert logos.store(signature, images.prepare(picture("PNG", (100, 100)))) is None
    assert uploads(app) == [first]
    assert first.read_bytes() == kept


def test_erasing_a_signature_deletes_its_logo_file(app: Flask, ctx: Flask):
    letter = create_letter()
    signature = signed_with_logo(letter, "Open Records Alliance")
    assert len(uploads(app)) == 1
    raw = tokens.issue(TokenPurpose.ERASE, timedelta(days=1), signature=signature)
    db.session.commit()
    assert retention.erase_on_request(raw) is not None
    assert uploads(app) == []
    assert db.session.execute(sa.select(sa.func.count(Logo.id))).scalar() == 0


def test_a_rolled_back_erasure_keeps_the_file(app: Flask, ctx: Flask):
    letter = create_letter()
    signature = signed_with_logo(letter, "Open Records Alliance")
    assert logos.forget([signature.id]) == 1
    db.session.rollback()
    assert len(uploads(app)) == 1
    db.session.commit()  # a later commit of something else removes nothing
    assert len(uploads(app)) == 1


# --- Who sees a logo ----------------------------------------------------------------------------


SAFE_HEADERS = {
    "Content-Type": "image/png",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}


def test_organizers_of_the_letter_see_any_of_its_logos_and_nobody_else(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        owner = create_organizer()
        create_organizer("stranger@coalition.example")
        letter = create_letter(owner=owner, requires_approval=True)
        signature = signed_with_logo(letter, "Awaiting Group")
        assert signature.status == SignatureStatus.AWAITING_REVIEW
        name = logos.logo_of(signature.id).stored_name  # type: ignore[union-attr]
        letter_id = letter.id
    path = f"/admin/letters/{letter_id}/logos/{name}"
    assert client.get(path).status_code in (302, 401)
    login_as(client, "stranger@coalition.example")
    assert client.get(path).status_code == 404
    client.post("/logout", data={"csrf_token": ""})
    other = app.test_client()
    login_as(other, "ana@coalition.example")
    response = other.get(path)
    assert response.status_code == 200
    for header, value in SAFE_HEADERS.items():
        assert response.headers[header] == value
    assert response.headers["Content-Disposition"] == 'inline; filename="logo.png"'
    assert response.data.startswith(b"\x89PNG")
    assert (
        other.get(f"/admin/letters/{letter_id}/logos/..%2F..%2Fsignon.sqlite3").status_code == 404
    )
    # The public address shows nothing that is not approved and on a shown wall.
    assert client.get(f"/logos/{name}").status_code == 404


def test_the_public_sees_approved_logos_only_when_the_wall_is_on(app: Flask, client: FlaskClient):
    with app.app_context():
        letter = create_letter()
        listed = signed_with_logo(letter, "Listed Group")
        waiting = signed_with_logo(letter, "Unconfirmed Group", confirm=False)
        shown = logos.logo_of(listed.id).stored_name  # type: ignore[union-attr]
        hidden = logos.logo_of(waiting.id).stored_name  # type: ignore[union-attr]
    assert client.get(f"/logos/{shown}").status_code == 404  # the wall is off by default
    page = client.get("/letters/test-letter")
    assert "logo-wall" not in page.text
    with app.app_context():
        db.session.get(Letter, listed.letter_id).show_logo_wall = True  # type: ignore[union-attr]
        db.session.commit()
    response = client.get(f"/logos/{shown}")
    assert response.status_code == 200
    for header, value in SAFE_HEADERS.items():
        assert response.headers[header] == value
    assert response.headers["Cache-Control"] == "public, max-age=300"  # removed ones leave soon
    assert client.get(f"/logos/{hidden}").status_code == 404
    page = client.get("/letters/test-letter")
    assert f'src="/logos/{shown}" alt="Listed Group"' in page.text
    assert hidden not in page.text


# --- Moderation ---------------------------------------------------------------------------------


def test_moderators_see_the_logo_approve_it_with_the_signature_and_may_remove_it(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=True)
        signature = signed_with_logo(letter, "Awaiting Group")
        name = logos.logo_of(signature.id).stored_name  # type: ignore[union-attr]
        letter_id, signature_id, owner_id = letter.id, signature.id, owner.id
    login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures")
    assert f"/admin/letters/{letter_id}/logos/{name}" in queue.text
    assert 'alt="Logo sent for Awaiting Group"' in queue.text
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        owner = db.session.get(Organizer, owner_id)
        moderation.decide(letter, [signature_id], moderation.Decision.APPROVE, by=owner)  # type: ignore[arg-type]
        assert [listed.organization for listed in logos.approved_logos(letter)] == [
            "Awaiting Group"
        ]  # type: ignore[arg-type]
    page = client.get(f"/admin/letters/{letter_id}/signatures?status=approved")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    removed = client.post(
        f"/admin/letters/{letter_id}/signatures/{signature_id}/remove-logo",
        data={
            "csrf_token": token,
            "back": f"/admin/letters/{letter_id}/signatures?status=approved",
        },
        follow_redirects=True,
    )
    assert "Logo removed. The signature itself is unchanged." in removed.text
    again = client.post(
        f"/admin/letters/{letter_id}/signatures/{signature_id}/remove-logo",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "no logo any more" in again.text
    with app.app_context():
        assert db.session.get(Signature, signature_id).status == SignatureStatus.APPROVED  # type: ignore[union-attr]
        assert logos.logo_of(signature_id) is None
        events = db.session.execute(
            sa.select(AuditEvent.action).where(AuditEvent.action == "logo.removed")
        ).all()
        assert len(events) == 1
    assert uploads(app) == []


# --- The logo pack ------------------------------------------------------------------------------


HOSTILE = [
    "../../etc/passwd",
    "A/B",
    "Voix des Femmes 🌍",
    "CON",
    ".hidden",
    "a\x07b\u202egpj.exe",
    "LOGO-WALL",
]


def test_file_names_are_safe_unique_and_keep_letters():
    names = logo_pack.file_names([*HOSTILE, "Same", "same", "Río Verde", "東京の会", "x" * 300])
    assert names[:7] == [
        "etc-passwd.png",
        "A-B.png",
        "Voix des Femmes 🌍.png",
        "_CON.png",
        "hidden.png",
        "a b gpj.exe.png",
        "LOGO-WALL (2).png",
    ]
    assert names[7:11] == ["Same.png", "same (2).png", "Río Verde.png", "東京の会.png"]
    assert len(names[11]) == 104
    for name in names:
        assert "/" not in name
        assert "\\" not in name
        assert not name.startswith(".")
        assert all(ord(c) >= 32 for c in name)
    assert len({n.casefold() for n in names}) == len(names)


def test_the_logo_pack_follows_the_public_list(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, categories=[])
        colors = {}
        for index, organization in enumerate(["Zeta Union", *HOSTILE[:3], "Alpha Group"]):
            color = (index * 40, 100, 200)
            colors[organization] = color
            signed_with_logo(letter, organization, Image_bytes(color))
        unlisted = signed_with_logo(letter, "Unconfirmed Org", confirm=False)
        order = [e.name for g in listing.public_list(letter).groups for e in g.entries]
        letter_id, slug = letter.id, letter.slug
        assert unlisted.status == SignatureStatus.UNCONFIRMED
    login_as(client, "ana@coalition.example")
    kit = client.get(f"/admin/letters/{letter_id}/press-kit")
    assert "Download the logo pack (ZIP)" in kit.text
    response = client.get(f"/admin/letters/{letter_id}/press-kit/logos.zip")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert f'filename="{slug}-logos.zip"' in response.headers["Content-Disposition"]
    pack = zipfile.ZipFile(io.BytesIO(response.data))
    names = pack.namelist()
    assert names == [*logo_pack.file_names(order), "logo-wall.png"]
    assert "Unconfirmed Org.png" not in names
    assert "A-B.png" in names
    assert "etc-passwd.png" in names
    assert "Voix des Femmes 🌍.png" in names
    for name, organization in zip(names, order, strict=False):
        with Image.open(io.BytesIO(pack.read(name))) as image:
            assert image.format == "PNG"
            assert image.convert("RGB").getpixel((5, 5)) == colors[organization]
    with Image.open(io.BytesIO(pack.read("logo-wall.png"))) as wall:
        assert wall.size == logo_pack.wall_size(5) == (5 * 240 + 40, 140 + 40)
        rgb = wall.convert("RGB")
        for index, organization in enumerate(order):
            centre = (20 + index * 240 + 120, 20 + 70)
            assert rgb.getpixel(centre) == colors[organization], organization
    alone = client.get(f"/admin/letters/{letter_id}/press-kit/logo-wall.png")
    assert alone.status_code == 200
    assert alone.headers["Content-Type"] == "image/png"
    assert alone.data == pack.read("logo-wall.png")


def Image_bytes(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 100), color).save(out, "PNG")
    return out.getvalue()


def test_a_letter_without_logos_says_so_instead_of_an_empty_pack(app: Flask, client: FlaskClient):
    with app.app_context():
        letter = create_letter(owner=create_organizer())
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    kit = client.get(f"/admin/letters/{letter_id}/press-kit")
    assert "No organization on the list has an approved logo yet" in kit.text
    response = client.get(f"/admin/letters/{letter_id}/press-kit/logos.zip", follow_redirects=True)
    assert "No organization on the list has an approved logo yet" in response.text


def test_the_wall_is_bounded_however_long_the_list():
    width, height = logo_pack.wall_size(5000)
    assert (width, height) == logo_pack.wall_size(logo_pack.WALL_MAX_LOGOS)
    assert width <= 2500
    assert height <= 4300


def test_removed_and_erased_logos_leave_the_public_wall(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        letter.show_logo_wall = True
        db.session.commit()
        first = signed_with_logo(letter, "First Group")
        name = logos.logo_of(first.id).stored_name  # type: ignore[union-attr]
        ids = (first.letter_id, first.id, owner.id)
    assert name in client.get("/letters/test-letter").text  # cached with the list
    with app.app_context():
        letter_id, signature_id, owner_id = ids
        by = db.session.get(Organizer, owner_id)
        assert logos.remove(db.session.get(Letter, letter_id), signature_id, by=by)  # type: ignore[arg-type]
    assert name not in client.get("/letters/test-letter").text
    assert client.get(f"/logos/{name}").status_code == 404


def test_pillow_is_not_loaded_at_start():
    """The image code is imported lazily: a worker that never sees a logo never loads Pillow."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from signon import create_app\n"
        "create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "import signon.images, signon.services.logos, signon.exports.logo_pack\n"
        "print('PIL' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


def test_two_moderators_removing_one_logo_at_once_remove_it_once(app: Flask):
    from tests.test_state_races import TRIALS, at_once

    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        ids = (letter.id, owner.id)
    for trial in range(TRIALS):
        with app.app_context():
            signature = signed_with_logo(db.session.get(Letter, ids[0]), f"Group {trial}")  # type: ignore[arg-type]
            signature_id = signature.id

        def removing(signature_id: int = signature_id) -> Any:
            letter = db.session.get(Letter, ids[0])
            by = db.session.get(Organizer, ids[1])
            logos.logo_of(signature_id)  # what the page read before the click
            return lambda: logos.remove(letter, signature_id, by=by)  # type: ignore[arg-type]

        results = at_once(removing, removing, app=app)
        assert sorted(results) == [False, True]
        with app.app_context():
            events = db.session.execute(
                sa.select(sa.func.count(AuditEvent.id)).where(
                    AuditEvent.action == "logo.removed", AuditEvent.subject_id == signature_id
                )
            ).scalar()
            assert events == 1
            assert logos.logo_of(signature_id) is None
    assert uploads(app) == []


def _saved(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _palette_with_transparency() -> Image.Image:
    image = Image.new("P", (120, 80), 1)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    image.info["transparency"] = 0
    image.paste(0, (0, 0, 60, 80))
    return image


@pytest.mark.parametrize(
    ("make", "mode"),
    [
        (lambda: _saved(Image.new("RGB", (300, 200), "navy"), "JPEG", progressive=True), "RGB"),
        (lambda: _saved(Image.new("RGB", (300, 200), "navy"), "JPEG", optimize=True), "RGB"),
        (lambda: _saved(Image.new("CMYK", (300, 200), (0, 80, 80, 0)), "JPEG"), "RGB"),
        (lambda: _saved(Image.new("L", (300, 200), 80), "JPEG"), "RGB"),
        (lambda: _saved(Image.new("I;16", (300, 200), 4000), "PNG"), "RGB"),
        (lambda: _saved(Image.new("LA", (300, 200), (80, 100)), "PNG"), "RGBA"),
        (lambda: _saved(_palette_with_transparency(), "PNG"), "RGBA"),
        (lambda: _saved(Image.new("RGB", (300, 200), "navy"), "WEBP", lossless=True), "RGB"),
        (lambda: _saved(Image.new("RGB", (301, 201), "navy"), "WEBP", quality=50), "RGB"),
        (lambda: _saved(Image.new("1", (300, 200), 1), "PNG"), "RGB"),
    ],
    ids=[
        "progressive-jpeg",
        "optimized-jpeg",
        "cmyk-jpeg",
        "grey-jpeg",
        "16-bit-png",
        "grey-alpha-png",
        "palette-transparency",
        "lossless-webp",
        "odd-webp",
        "bilevel-png",
    ],
)
def test_ordinary_variants_of_the_three_formats_are_accepted(make: Any, mode: str):
    kept = images.prepare(make())
    with Image.open(io.BytesIO(kept.png)) as image:
        assert image.mode == mode


def test_an_organization_counted_without_its_name_is_left_out_of_the_pack_and_wall(ctx: Flask):
    from tests.factories import confirmed_signature

    letter = create_letter(requires_approval=False)
    named = confirmed_signature(letter, organization="Named Group", email="n@x.example")
    hidden = confirmed_signature(
        letter, organization="Quiet Group", email="q@x.example", listing="count_only"
    )
    for signature in (named, hidden):
        assert logos.store(signature, images.prepare(picture())) is not None
    assert [logo.organization for logo in logos.approved_logos(letter)] == ["Named Group"]


def test_a_letter_out_of_logo_space_keeps_new_signatures_without_their_logo(app: Flask, ctx: Flask):
    letter = create_letter()
    signed_with_logo(letter, "First", confirm=False)
    (first,) = uploads(app)
    app.config["LOGO_SPACE_PER_LETTER_MB"] = (first.stat().st_size + 10) / (1024 * 1024)
    second = signed_with_logo(letter, "Second", confirm=False)
    assert db.session.get(Signature, second.id) is not None  # the signature is kept
    assert uploads(app) == [first]
    assert db.session.execute(sa.select(sa.func.count(Logo.id))).scalar() == 1


def test_a_bots_upload_is_not_kept(app: Flask, ctx: Flask):
    letter = create_letter()
    signature = signatures.sign_letter(
        letter,
        signature_data(organization="Trap Group", email="t@x.example"),
        version_id=letters.current_version(letter).id,
        trap="the hidden field was filled",
        logo=images.prepare(picture()),
    )
    assert signature.status == SignatureStatus.SUSPECTED
    assert uploads(app) == []
