"""Signing in and out, accepting invitations, and resetting passwords."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from signon.extensions import db, limiter
from signon.forms.auth import (
    AcceptInviteForm,
    ChoosePasswordForm,
    CodeForm,
    EmptyForm,
    FirstAccountForm,
    LoginForm,
    RequestResetForm,
)
from signon.links import safe_next
from signon.models import Organizer, TokenPurpose
from signon.privacy import client_hash
from signon.security import configured_limit
from signon.services import accounts, sessions, setup, throttle, twofactor
from signon.tokens import find_usable
from signon.views.public import no_store

bp = Blueprint("auth", __name__)


LOCKED_MESSAGE = lazy_gettext("Too many attempts to sign in. Wait a few minutes, then try again.")
PENDING_SECONDS = 300
WRONG_CODE_MESSAGE = lazy_gettext("That code is not right. Codes change every 30 seconds.")
KEY_LOST_MESSAGE = lazy_gettext(
    "Codes from your authenticator app cannot be checked here any more: the site's key for "
    "two-step sign-in has changed. Enter one of your recovery codes, or ask an admin to reset "
    "two-step sign-in for your account."
)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN"), methods=["POST"])
@no_store
def login() -> Any:
    target = safe_next(request.args.get("next")) or url_for("admin.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        keys = throttle.keys_for(form.email.data or "", client_hash(request.remote_addr))
        if throttle.begin_attempt(keys):
            form.password.errors.append(str(LOCKED_MESSAGE))
        else:
            organizer = accounts.authenticate(form.email.data or "", form.password.data or "")
            if organizer is None:
                form.password.errors.append(
                    gettext("That email and password do not match an account.")
                )
            else:
                throttle.clear(keys)
                return (
                    _second_step(organizer, target)
                    if organizer.totp_enabled
                    else _sign_in(organizer, target)
                )
    return render_template(
        "auth/login.html", form=form, first_run=setup.needs_setup()
    ), 422 if form.errors else 200


def _sign_in(organizer: Organizer, target: str) -> Response:
    session.clear()  # a fresh session at sign-in: nothing from before survives it
    session["sid"] = sessions.start(organizer)
    login_user(organizer)
    accounts.record_login(organizer)
    return redirect(target)


def _second_step(organizer: Organizer, target: str) -> Response:
    session.clear()
    session["pending"] = {"id": organizer.id, "at": int(time.time()), "next": target}
    return redirect(url_for("auth.login_code"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN"), methods=["POST"])
@no_store
def login_code() -> Any:
    pending = session.get("pending") or {}
    organizer = db.session.get(Organizer, pending.get("id", 0)) if pending else None
    if organizer is None or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop("pending", None)
        flash(
            gettext("Sign in again: the code has to follow the password within five minutes."),
            "info",
        )
        return redirect(url_for("auth.login"))
    form = CodeForm()
    key_lost = twofactor.key_lost(organizer)
    if form.validate_on_submit():
        keys = throttle.keys_for(organizer.email, client_hash(request.remote_addr))
        if throttle.begin_attempt(keys):
            form.code.errors.append(str(LOCKED_MESSAGE))
        elif twofactor.verify(organizer, form.code.data or ""):
            throttle.clear(keys)
            return _sign_in(organizer, safe_next(pending.get("next")) or url_for("admin.index"))
        else:
            form.code.errors.append(str(KEY_LOST_MESSAGE if key_lost else WRONG_CODE_MESSAGE))
    return render_template(
        "auth/login_code.html", form=form, key_lost=key_lost
    ), 422 if form.errors else 200


@bp.post("/logout")
def logout() -> Any:
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        sessions.end(session.get("sid"))
        logout_user()
        session.clear()
        flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN"), methods=["POST"])
@no_store
def first_account(token: str) -> Any:
    if find_usable(token, TokenPurpose.SETUP) is None or not setup.needs_setup():
        return render_template("auth/link_invalid.html"), 404
    form = FirstAccountForm()
    if form.validate_on_submit():
        try:
            organizer = setup.create_first_admin(
                token,
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
            )
        except setup.SetupError as error:
            flash(str(error), "info")
            return redirect(url_for("auth.login"))
        except accounts.AccountError as error:  # the form already checked the password rules
            form.email.errors.append(str(error))
        else:
            response = _sign_in(organizer, url_for("admin.index"))
            flash(
                gettext("Your admin account is ready. Invite other organizers from Organizers."),
                "success",
            )
            return response
    return render_template("auth/setup.html", form=form), 422 if form.errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
@no_store
def accept_invite(token: str) -> Any:
    invite = find_usable(token, TokenPurpose.INVITE)
    if invite is None:
        return render_template("auth/link_invalid.html"), 404
    form = AcceptInviteForm()
    if form.validate_on_submit():
        letter_id = invite.letter_id  # an invitation to co-host leads to that letter
        accounts.set_password_from_token(
            token, TokenPurpose.INVITE, form.password.data or "", form.name.data
        )
        flash(gettext("Your password is set. Sign in to start."), "success")
        after = url_for("admin.letter", letter_id=letter_id) if letter_id else None
        return redirect(url_for("auth.login", next=after))
    return render_template(
        "auth/choose_password.html", form=form, heading=gettext("Welcome: choose your password")
    )


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(configured_limit("RESET"), methods=["POST"])
@no_store
def request_reset() -> Any:
    form = RequestResetForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data or "")
        return render_template("auth/reset_sent.html")
    return render_template("auth/request_reset.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@no_store
def reset_password(token: str) -> Any:
    if find_usable(token, TokenPurpose.RESET) is None:
        return render_template("auth/link_invalid.html"), 404
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        accounts.set_password_from_token(token, TokenPurpose.RESET, form.password.data or "")
        flash(gettext("Your password is changed. Sign in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/choose_password.html", form=form, heading=gettext("Choose a new password")
    )
