"""Signing in and out, accepting invitations, and resetting passwords."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from signon.forms.auth import (
    AcceptInviteForm,
    ChoosePasswordForm,
    EmptyForm,
    LoginForm,
    RequestResetForm,
)
from signon.links import safe_next
from signon.models import TokenPurpose
from signon.services import accounts
from signon.tokens import find_usable
from signon.views.public import no_store

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@no_store
def login() -> Any:
    target = safe_next(request.args.get("next")) or url_for("admin.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        organizer = accounts.authenticate(form.email.data or "", form.password.data or "")
        if organizer is not None:
            session.clear()  # a fresh session at login: nothing from before survives it
            login_user(organizer)
            accounts.record_login(organizer)
            return redirect(target)
        form.password.errors.append("That email and password do not match an account.")
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout() -> Any:
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@no_store
def accept_invite(token: str) -> Any:
    if find_usable(token, TokenPurpose.INVITE) is None:
        return render_template("auth/link_invalid.html"), 404
    form = AcceptInviteForm()
    if form.validate_on_submit():
        accounts.set_password_from_token(
            token, TokenPurpose.INVITE, form.password.data or "", form.name.data
        )
        flash("Your password is set. Sign in to start.", "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/choose_password.html", form=form, heading="Welcome: choose your password"
    )


@bp.route("/reset", methods=["GET", "POST"])
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
        flash("Your password is changed. Sign in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/choose_password.html", form=form, heading="Choose a new password")
