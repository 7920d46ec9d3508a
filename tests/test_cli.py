"""The `signon` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.security import check_password_hash

from signon import ROOT, i18n
from signon.cli import cli
from signon.demo import DEMO_SLUG
from signon.extensions import db
from signon.models import Letter, LetterStatus, Organizer, Signatory
from signon.services import access, flags, letters, listing
from tests.conftest import drop_pg_schema, free_port, make_pg_schema


def test_help_lists_every_command_without_any_setup(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNON_", "FLASK_"))}
    signon = Path(sys.executable).with_name("signon")
    result = subprocess.run(
        [str(signon), "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for command in ("run", "db", "create-organizer", "create-letter", "demo", "send-mail"):
        assert command in result.stdout
    assert "Traceback" not in result.stderr


def test_create_organizer_reads_password_from_stdin(app: Flask):
    result = app.test_cli_runner().invoke(
        cli,
        ["create-organizer", "Ana@Coalition.example", "--name", "Ana", "--password-stdin"],
        input="correct horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        organizer = db.session.execute(sa.select(Organizer)).scalar_one()
        assert organizer.email == "ana@coalition.example"
        assert check_password_hash(organizer.password_hash, "correct horse battery staple")
        assert "correct horse" not in organizer.password_hash


def test_create_organizer_refuses_duplicates_and_short_passwords(app: Flask):
    runner = app.test_cli_runner()
    args = ["create-organizer", "ana@coalition.example", "--password-stdin"]
    assert runner.invoke(cli, args, input="too short\n").exit_code == 1
    assert runner.invoke(cli, args, input="a long enough password\n").exit_code == 0
    again = runner.invoke(
        cli, [*args[:1], "ANA@coalition.example", args[2]], input="another long password\n"
    )
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_create_organizer_prompts_for_the_password(app: Flask):
    result = app.test_cli_runner().invoke(
        cli,
        ["create-organizer", "bo@coalition.example", "--admin"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin bo@coalition.example" in result.output


def test_demo_creates_an_open_letter_once(app: Flask):
    runner = app.test_cli_runner()
    assert "Created the demo letter" in runner.invoke(cli, ["demo"]).output
    assert "already exists" in runner.invoke(cli, ["demo"]).output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Letter.id))).scalar() == 1
        letter = letters.get_by_slug(DEMO_SLUG)
        assert letter is not None
        assert letter.status == LetterStatus.OPEN
        assert not letter.requires_approval
        assert letters.accepts_signatures(letter)
        count = db.session.execute(sa.select(sa.func.count(Signatory.id))).scalar()
        assert listing.public_list(letter).organizations == count == 6
        assert flags.groups(letter) == []  # distinct organizations look distinct
    page = app.test_client().get(f"/letters/{DEMO_SLUG}")
    assert page.status_code == 200
    assert "Sign the letter" in page.text


def test_create_letter_from_markdown_file(app: Flask, tmp_path: Path):
    source = tmp_path / "letter.md"
    source.write_text("# Stop the data grab\n\nDear Secretary,\n\n<script>x()</script> We ask.\n")
    result = app.test_cli_runner().invoke(
        cli,
        [
            "create-letter",
            str(source),
            "--slug",
            "stop-the-grab",
            "--category",
            "National",
            "--category",
            "Local",
            "--deadline",
            "2030-01-15 17:00",
            "--timezone",
            "America/Chicago",
            "--no-approval",
            "--open",
        ],
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        letter = letters.get_by_slug("stop-the-grab")
        assert letter is not None
        assert letter.title == "Stop the data grab"
        assert letter.categories == ["National", "Local"]
        assert letter.status == LetterStatus.OPEN
        assert letter.deadline_at is not None
        assert letter.deadline_at.isoformat() == "2030-01-15T23:00:00+00:00"
        html = letters.current_version(letter).body_html
        assert "<script>" not in html
    page = app.test_client().get("/letters/stop-the-grab").text
    assert "Sign-on closes Tuesday, January 15, 2030 at 5:00 PM CST" in page


def test_create_letter_explains_bad_input(app: Flask, tmp_path: Path):
    source = tmp_path / "letter.md"
    source.write_text("No heading here.\n")
    result = app.test_cli_runner().invoke(
        cli, ["create-letter", str(source), "--slug", "Bad Slug!", "--title", "T"]
    )
    assert result.exit_code == 1
    assert "lowercase letters" in result.output


def test_a_letter_made_from_the_command_line_has_the_owner_named(app: Flask, tmp_path: Path):
    source = tmp_path / "letter.md"
    source.write_text("# A letter\n\nText.\n")
    runner = app.test_cli_runner()
    made = runner.invoke(
        cli,
        ["create-organizer", "kim@coalition.example", "--password-stdin"],
        input="a long enough password\n",
    )
    assert made.exit_code == 0, made.output
    nobody = runner.invoke(
        cli, ["create-letter", str(source), "--slug", "a-letter", "--owner", "x@nowhere.example"]
    )
    assert nobody.exit_code == 1
    assert "no organizer account for x@nowhere.example" in nobody.output
    owned = runner.invoke(
        cli,
        ["create-letter", str(source), "--slug", "a-letter", "--owner", "KIM@coalition.example"],
    )
    assert owned.exit_code == 0, owned.output
    with app.app_context():
        letter = letters.get_by_slug("a-letter")
        kim = db.session.execute(
            sa.select(Organizer).where(Organizer.email == "kim@coalition.example")
        ).scalar_one()
        assert letter is not None
        assert letter.owner_id == kim.id
        assert access.letters_for(kim) == [letter]  # an organizer, not an admin, sees it


def test_open_and_close_letter(app: Flask, tmp_path: Path):
    source = tmp_path / "letter.md"
    source.write_text("# A letter\n\nText.\n")
    runner = app.test_cli_runner()
    runner.invoke(cli, ["create-letter", str(source), "--slug", "a-letter"])
    assert runner.invoke(cli, ["open-letter", "a-letter"]).exit_code == 0
    assert app.test_client().get("/letters/a-letter").status_code == 200
    assert runner.invoke(cli, ["close-letter", "a-letter"]).exit_code == 0
    assert "has closed" in app.test_client().get("/letters/a-letter").text
    assert runner.invoke(cli, ["open-letter", "missing"]).exit_code == 1


# --- Settings and database problems: one line with the fix, never a traceback -----------------


def run_signon(
    args: list[str], tmp_path: Path, input: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """The console script as a person runs it, with this checkout's code and only `env` set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNON_", "FLASK_"))}
    return subprocess.run(
        [str(Path(sys.executable).with_name("signon")), *args],
        capture_output=True,
        text=True,
        input=input,
        env=clean | {"PYTHONPATH": str(ROOT)} | env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )


def test_missing_secret_key_is_one_line_that_says_how_to_make_one(tmp_path: Path):
    result = run_signon(
        ["create-organizer", "ana@coalition.example", "--password-stdin"],
        tmp_path,
        input="a long enough password\n",
        SIGNON_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip() == (
        "Error: SIGNON_SECRET_KEY is not set. Generate one with: export SIGNON_SECRET_KEY="
        "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    )


def test_database_without_tables_says_to_run_db_upgrade(
    tmp_path: Path, database_uri: str, request: pytest.FixtureRequest
):
    if database_uri.startswith("sqlite"):
        empty = f"sqlite:///{tmp_path}/empty.db"
    else:
        schema, empty = make_pg_schema()
        request.addfinalizer(lambda: drop_pg_schema(schema))
    for args in (["demo"], ["setup-link"], ["purge"]):
        result = run_signon(args, tmp_path, FLASK_DEBUG="1", SIGNON_SQLALCHEMY_DATABASE_URI=empty)
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stdout + result.stderr
        assert result.stderr.strip() == (
            "Error: the database has no tables yet: run .venv/bin/signon db upgrade"
        )


def test_unreachable_database_is_one_line(tmp_path: Path):
    result = run_signon(
        ["demo"],
        tmp_path,
        FLASK_DEBUG="1",
        SIGNON_SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: cannot use the database (")
    assert "SIGNON_SQLALCHEMY_DATABASE_URI or DATABASE_URL" in line


def test_gunicorn_with_a_bad_setting_prints_one_line_and_stops(tmp_path: Path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNON_", "FLASK_"))}
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--chdir",
            str(ROOT),
            "-b",
            f"127.0.0.1:{free_port()}",
            "wsgi:app",
        ],
        capture_output=True,
        text=True,
        env=clean | {"PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "Error: SIGNON_SECRET_KEY is not set. Generate one with: export" in result.stderr
    assert "App failed to load" in result.stderr


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({"LC_ALL": "es_MX.UTF-8"}, "es"),
        ({"LC_ALL": "", "LANG": "es_ES.UTF-8"}, "es"),
        ({"LC_ALL": "", "LANG": "en_US.UTF-8", "LC_MESSAGES": "es_AR"}, "es"),
        ({"LC_ALL": "", "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr:es"}, "es"),
        ({"LC_ALL": "C", "LANGUAGE": "es"}, "en"),  # the C locale ignores LANGUAGE, as gettext does
        ({"LC_ALL": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "C.UTF-8"}, "en"),
    ],
)
def test_commands_speak_the_terminals_language(
    app: Flask, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], language: str
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with app.app_context():
        assert i18n.terminal_language() == language


def test_an_organizers_commands_answer_in_spanish_on_a_spanish_terminal(app: Flask):
    runner = app.test_cli_runner()
    spanish = {"LC_ALL": "es_MX.UTF-8"}
    assert "Se creó la carta de demostración" in runner.invoke(cli, ["demo"], env=spanish).output
    assert "La carta de demostración ya existe" in runner.invoke(cli, ["demo"], env=spanish).output
    closed = runner.invoke(cli, ["close-letter", DEMO_SLUG], env=spanish)
    assert closed.output == f"Se cerró /letters/{DEMO_SLUG}.\n"
    missing = runner.invoke(cli, ["open-letter", "nowhere"], env=spanish)
    assert missing.exit_code == 1
    assert "no hay ninguna carta en /letters/nowhere" in missing.output
    made = runner.invoke(
        cli,
        ["create-organizer", "eva@coalition.example", "--admin", "--password-stdin"],
        input="una contraseña bien larga\n",
        env=spanish,
    )
    assert made.output == "Se creó la cuenta de administrador eva@coalition.example.\n"
    # The same commands in English on an English terminal.
    assert (
        runner.invoke(cli, ["open-letter", DEMO_SLUG]).output == f"Opened /letters/{DEMO_SLUG}.\n"
    )
