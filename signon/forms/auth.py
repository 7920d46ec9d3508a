"""Forms for signing in and choosing passwords."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from signon import i18n
from signon.services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Email address"),
        validators=[DataRequired(lazy_gettext("Enter your email address.")), Length(max=254)],
    )
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[DataRequired(lazy_gettext("Enter your password.")), Length(max=256)],
    )


class RequestResetForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Email address"),
        validators=[DataRequired(lazy_gettext("Enter your email address.")), Length(max=254)],
    )


def _new_password(label: LazyString) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(lazy_gettext("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=lazy_gettext(
                    "Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH
                ),
            ),
        ],
        description=lazy_gettext(
            "At least %(count)s characters. A few unrelated words make a strong password.",
            count=MIN_PASSWORD_LENGTH,
        ),
    )


def _repeat_password() -> PasswordField:
    return PasswordField(
        lazy_gettext("Repeat the password"),
        validators=[
            DataRequired(lazy_gettext("Repeat the password.")),
            EqualTo("password", lazy_gettext("The two passwords differ.")),
        ],
    )


class ChoosePasswordForm(FlaskForm):
    password = _new_password(lazy_gettext("New password"))
    confirm = _repeat_password()


class FirstAccountForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Email address"),
        validators=[DataRequired(lazy_gettext("Enter your email address.")), Length(max=254)],
    )
    name = StringField(lazy_gettext("Your name"), validators=[Length(max=120)])
    password = _new_password(lazy_gettext("Password"))
    confirm = _repeat_password()


class AcceptInviteForm(ChoosePasswordForm):
    name = StringField(lazy_gettext("Your name"), validators=[Length(max=120)])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that POST."""


class CodeForm(FlaskForm):
    code = StringField(
        lazy_gettext("Code"),
        validators=[DataRequired(lazy_gettext("Enter the code.")), Length(max=32)],
        description=lazy_gettext(
            "The 6 digits your authenticator app shows, or one of your recovery codes."
        ),
    )


class LanguageForm(FlaskForm):
    """The organizer's own language: their workspace's and their emails'. Each choice is named
    in its own language, so it can be found whatever language the page speaks."""

    language = RadioField(
        lazy_gettext("Language"),
        description=lazy_gettext("The language of your workspace and of the emails we send you."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = i18n.own_names()
