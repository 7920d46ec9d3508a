"""Forms for signing in and choosing passwords."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from signon.services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=256)]
    )


class RequestResetForm(FlaskForm):
    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )


def _new_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password.",
    )


def _repeat_password() -> PasswordField:
    return PasswordField(
        "Repeat the password",
        validators=[
            DataRequired("Repeat the password."),
            EqualTo("password", "The two passwords differ."),
        ],
    )


class ChoosePasswordForm(FlaskForm):
    password = _new_password("New password")
    confirm = _repeat_password()


class FirstAccountForm(FlaskForm):
    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )
    name = StringField("Your name", validators=[Length(max=120)])
    password = _new_password("Password")
    confirm = _repeat_password()


class AcceptInviteForm(ChoosePasswordForm):
    name = StringField("Your name", validators=[Length(max=120)])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that POST."""


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code."), Length(max=32)],
        description="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )
