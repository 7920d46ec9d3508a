"""A letter's own questions on the sign form: kept with each signature, shown to organizers only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from signon import audit, transaction
from signon.extensions import db
from signon.models import Letter, Organizer, Signature

KINDS: dict[str, LazyString] = {
    "text": lazy_gettext("Short text"),
    "choice": lazy_gettext("A choice among options"),
    "checkbox": lazy_gettext("A checkbox (yes or no)"),
}
MAX_QUESTIONS = 10
MAX_ANSWER = 500


class QuestionError(ValueError):
    """The question cannot be added as asked; the message says why."""


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()

    @property
    def field_name(self) -> str:
        return f"question_{self.id}"

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))


def questions_of(letter: Letter) -> list[Question]:
    return [
        Question(
            id=str(q["id"]),
            label=str(q["label"]),
            kind=str(q["kind"]),
            required=bool(q.get("required")),
            choices=tuple(q.get("choices") or ()),
        )
        for q in letter.questions or []
    ]


def add_question(
    letter: Letter, label: str, kind: str, *, required: bool, choices: list[str], by: Organizer
) -> Question:
    label = " ".join(label.split())
    options = list(dict.fromkeys(" ".join(c.split()) for c in choices if c.strip()))
    if not label:
        raise QuestionError(_("Write the question."))
    if kind not in KINDS:
        raise QuestionError(_("Choose what kind of answer the question takes."))
    if kind == "choice" and len(options) < 2:
        raise QuestionError(_("A choice needs at least two options, one per line."))
    _lock(letter)
    if len(letter.questions or []) >= MAX_QUESTIONS:
        raise QuestionError(
            _("A letter can ask at most %(maximum)s questions.", maximum=MAX_QUESTIONS)
        )
    question = Question(
        secrets.token_hex(4),
        label[:300],
        kind,
        required,
        tuple(options if kind == "choice" else ()),
    )
    letter.questions = [*(letter.questions or []), _stored(question)]
    audit.record(
        "letter.question_added",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
        after=_stored(question),
    )
    transaction.commit()
    return question


def remove_question(letter: Letter, question_id: str, *, by: Organizer) -> None:
    """Signers are no longer asked; answers already given stay with their signatures."""
    _lock(letter)
    kept = [q for q in letter.questions or [] if q.get("id") != question_id]
    if len(kept) == len(letter.questions or []):
        return
    removed = next(q for q in letter.questions if q.get("id") == question_id)
    letter.questions = kept
    audit.record(
        "letter.question_removed",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
        before=dict(removed),
    )
    transaction.commit()


def _lock(letter: Letter) -> None:
    """Hold the letter's row (a write every database waits on), then read the questions afresh,
    so two hosts editing at once both count."""
    db.session.execute(
        sa.update(Letter)
        .where(Letter.id == letter.id)
        .values(questions=Letter.questions)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(letter)


def _stored(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "label": question.label,
        "kind": question.kind,
        "required": question.required,
        "choices": list(question.choices),
    }


def answer_record(question: Question, value: object) -> dict[str, str]:
    """An answer as kept on the signature: the question's words at the time, and the answer."""
    if question.kind == "checkbox":
        text = "yes" if value else "no"
    else:
        text = " ".join(str(value or "").split())[:MAX_ANSWER]
    return {"question": question.label, "answer": text}


def answers_shown(letter: Letter, signature: Signature) -> list[tuple[str, str]]:
    """(question, answer) pairs for organizers: the letter's questions in order, then answers to
    questions since removed."""
    stored: dict[str, Any] = dict(signature.answers or {})
    shown = []
    for question in questions_of(letter):
        record = stored.pop(question.id, None)
        if record:
            shown.append((question.label, str(record.get("answer", ""))))
    shown += [(str(r.get("question", "")), str(r.get("answer", ""))) for r in stored.values()]
    return [(q, a) for q, a in shown if a]


def answer_columns(letter: Letter, answers: dict[str, Any] | None) -> list[str]:
    """One cell per current question, for the contacts export."""
    answers = answers or {}
    return [str((answers.get(q.id) or {}).get("answer", "")) for q in questions_of(letter)]
