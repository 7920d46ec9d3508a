"""Request ids and the request log: an id on every response and error page, one line per request,
no tokens or signers' personal data in the log, JSON lines on request."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from signon import create_app, logs, transaction
from signon.config import ConfigError
from signon.extensions import db
from tests.conftest import Mailbox, build_app, csrf_token, form_defaults, free_port, link_in
from tests.factories import create_letter, form_data
from tests.test_mail import _Refuser, queue_test_email

HEX_ID = re.compile(r"[0-9a-f]{32}")


def capture_log(app: Flask) -> io.StringIO:
    """What signon writes to its log from now on, as an operator would read it."""
    [handler] = [h for h in app.logger.handlers if isinstance(h, logs.Handler)]
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


def add_failing_route(app: Flask) -> None:
    """/boom/<token>: a database error whose statement carries a signer's name."""

    def boom(token: str) -> str:
        db.session.execute(
            sa.text("SELECT * FROM no_such_table WHERE name = :name"), {"name": "Dana Reyes"}
        )
        return "unreachable"

    app.add_url_rule("/boom/<token>", view_func=boom)


@pytest.fixture
def error_app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    """The app as in production when a view fails: the 500 page, not the exception."""
    for app in build_app(app_config | {"PROPAGATE_EXCEPTIONS": False}):
        add_failing_route(app)
        yield app


def test_every_response_carries_its_own_request_id(error_app: Flask):
    client = error_app.test_client()
    with error_app.app_context():
        create_letter()
    responses = [
        client.get("/letters/test-letter"),
        client.get("/no-such-page"),
        client.get("/letters/test-letter?q=%00"),
        client.get("/boom/x"),
    ]
    assert [r.status_code for r in responses] == [200, 404, 400, 500]
    ids = [r.headers["X-Request-ID"] for r in responses]
    assert all(HEX_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == 4


def test_error_pages_show_the_reference_of_the_request(error_app: Flask):
    client = error_app.test_client()
    for path, status in [("/no-such-page", 404), ("/boom/x", 500)]:
        response = client.get(path)
        assert response.status_code == status
        assert f"Reference: <code>{response.headers['X-Request-ID']}</code>" in response.text


def test_a_client_cannot_choose_its_request_id(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "chosen-by-the-client"})
    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])


def test_behind_a_trusted_proxy_its_plain_request_id_is_kept(
    app_config: dict[str, Any], mailbox: Mailbox
):
    for app in build_app(app_config | {"TRUSTED_PROXIES": 1}):
        client = app.test_client()
        kept = client.get("/no-such-page", headers={"X-Request-ID": "edge-4f2a9c.01_Z"})
        assert kept.headers["X-Request-ID"] == "edge-4f2a9c.01_Z"
        assert "Reference: <code>edge-4f2a9c.01_Z</code>" in kept.text
        for weird in [
            "short",
            "x" * 65,
            "abc def ghi",
            "abcdefgh\tX-Evil",
            "<script>1234",
            "abcdefgh%0A",
        ]:
            replaced = client.get("/no-such-page", headers={"X-Request-ID": weird})
            assert HEX_ID.fullmatch(replaced.headers["X-Request-ID"]), weird


def test_one_line_per_request_with_its_id_and_no_token_or_personal_data(
    app: Flask, mailbox: Mailbox
):
    client = app.test_client()
    with app.app_context():
        create_letter()
    log = capture_log(app)
    page = client.get("/letters/test-letter")
    signed = client.post("/letters/test-letter", data=form_defaults(page.text) | form_data())
    confirm_path = urlsplit(link_in(mailbox.wait_for(1)[0], "/confirm/")).path
    token = confirm_path.rsplit("/", 1)[1]
    confirm_page = client.get(confirm_path)
    confirmed = client.post(confirm_path, data={"csrf_token": csrf_token(confirm_page.text)})
    search = client.get("/letters/test-letter?email=dana@openrecords.example&name=Dana+Reyes")
    responses = [page, signed, confirm_page, confirmed, search]
    assert [r.status_code for r in responses] == [200, 303, 200, 200, 200]

    lines = log.getvalue().splitlines()
    request_lines = [line for line in lines if " signon.request " in line]
    assert len(request_lines) == len(responses)
    for line, response in zip(request_lines, responses, strict=True):
        assert f"[{response.headers['X-Request-ID']}]" in line
        assert f" {response.status_code} " in line
        assert re.search(r" \d+\.\dms$", line)
    assert request_lines[2].split("] ", 1)[1].startswith("GET /confirm/[redacted] 200 ")
    assert request_lines[3].split("] ", 1)[1].startswith("POST /confirm/[redacted] 200 ")
    assert request_lines[4].split("] ", 1)[1].startswith("GET /letters/test-letter 200 ")
    whole = log.getvalue()
    for secret in [token, "dana@openrecords.example", "Dana Reyes", "Dana+Reyes", "openrecords"]:
        assert secret not in whole


def test_unmatched_paths_keep_tokens_and_addresses_out_of_the_log(client, app: Flask):
    log = capture_log(app)
    token_like = "Zk3_q9XbT0aR7vLmN2pQ8sW4eY6uI1oP5dF-hJ0gKcV"
    assert client.get(f"/confirm/{token_like}/nonsense").status_code == 404
    assert client.get("/people/dana@openrecords.example").status_code == 404
    assert client.get("/a%0Ab").status_code == 404
    lines = log.getvalue().splitlines()
    assert "GET /confirm/[redacted]/nonsense 404" in lines[0]
    assert "GET /people/[redacted] 404" in lines[1]
    assert "GET /a%0Ab 404" in lines[2]  # a line break in a path cannot start a forged line
    assert len(lines) == 3
    assert token_like not in log.getvalue()
    assert "dana@" not in log.getvalue()


def test_an_unhandled_error_is_logged_with_the_request_id_and_no_personal_data(
    error_app: Flask,
):
    log = capture_log(error_app)
    token = "Zk3_q9XbT0aR7vLmN2pQ8sW4eY6uI1oP5dF-hJ0gKcV"
    response = error_app.test_client().get(f"/boom/{token}")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    output = log.getvalue()
    error_line = next(line for line in output.splitlines() if " ERROR " in line)
    assert f"[{request_id}] Unhandled error on GET /boom/[redacted]" in error_line
    assert "no_such_table" in output  # the traceback is there
    assert "SQL parameters hidden" in output
    assert "Dana Reyes" not in output
    assert token not in output


def test_static_files_are_logged_at_info_only_when_they_fail(client, app: Flask):
    log = capture_log(app)
    with client.get("/static/css/site.css") as response:
        assert response.status_code == 200
    assert log.getvalue() == ""
    assert client.get("/static/css/no-such-file.css").status_code == 404
    assert "GET /static/css/no-such-file.css 404" in log.getvalue()


def test_json_log_lines_parse_and_carry_the_request_id(
    app_config: dict[str, Any], mailbox: Mailbox
):
    for app in build_app(app_config | {"LOG_FORMAT": "json"}):
        log = capture_log(app)
        client = app.test_client()
        responses = [client.get("/"), client.get("/no-such-page?email=dana@openrecords.example")]
        with app.app_context():
            app.logger.warning("Email %s to %s failed", 7, "dana@openrecords.example")
        records = [json.loads(line) for line in log.getvalue().splitlines()]
        assert len(records) == 3
        for record, response in zip(records, responses, strict=False):
            assert record["request_id"] == response.headers["X-Request-ID"]
            assert record["level"] == "INFO"
            assert record["logger"] == "signon.request"
            assert record["method"] == "GET"
            assert record["status"] == response.status_code
            assert isinstance(record["duration_ms"], float)
            assert "timestamp" in record
        assert records[1]["path"] == "/no-such-page"
        assert records[2]["message"] == "Email 7 to [email] failed"
        assert records[2]["request_id"] == "-"
        assert "dana@" not in log.getvalue()


def test_a_delivery_failure_is_logged_without_the_address(
    app_config: dict[str, Any], mailbox: Mailbox, caplog: pytest.LogCaptureFixture
):
    refuser = Controller(_Refuser(), hostname="127.0.0.1", port=free_port())
    refuser.start()
    try:
        for app in build_app(app_config | {"MAIL_PORT": refuser.port}):
            with app.app_context():
                message = queue_test_email("refused", to="nobody@example.org")
                transaction.commit()
                logged = [r.getMessage() for r in caplog.records if r.name == "signon"]
                assert logged == [f"Email {message.id} failed for good: SMTPRecipientsRefused 550"]
    finally:
        refuser.stop()


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match="SIGNON_LOG_FORMAT"):
        create_app(
            {
                "TESTING": True,
                "LOG_FORMAT": "xml",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            }
        )


def test_the_private_list_links_code_stays_out_of_the_log(client, app: Flask):
    log = capture_log(app)
    assert client.get("/letters/no-such-letter/preview-list/b2AcxkF8myyz").status_code == 404
    assert "GET /letters/no-such-letter/preview-list/[redacted] 404" in log.getvalue()
    assert "b2AcxkF8myyz" not in log.getvalue()
