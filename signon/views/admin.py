"""The organizer workspace: letters, moderation, co-hosts and accounts. Every route needs login."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask import (
    Response as FlaskResponse,
)
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from signon.exports import lists
from signon.exports.model import ListOptions
from signon.extensions import login
from signon.forms.admin import (
    DecisionForm,
    DeliveryForm,
    EmailRuleForm,
    EmailSettingsForm,
    FreezeForm,
    HostForm,
    InviteForm,
    LetterForm,
    NotifyForm,
    PressReleaseForm,
    SignatoryForm,
    SignerUpdateForm,
    StatusForm,
    UpdateSignersForm,
)
from signon.forms.auth import CodeForm, EmptyForm
from signon.links import external_url
from signon.models import Letter, LetterStatus, ListSnapshot, NotifyMode, Organizer
from signon.sanitize import markdown_to_html
from signon.security import row_id, row_ids
from signon.services import (
    access,
    accounts,
    dashboard,
    deliverables,
    flags,
    letter_emails,
    letters,
    listing,
    moderation,
    press,
    questions,
    retention,
    screening,
    signatures,
    twofactor,
)
from signon.services.letters import LetterError

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_login() -> Response | None:
    if not current_user.is_authenticated:
        return login.unauthorized()
    return None


@bp.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _me() -> Organizer:
    organizer: Organizer = current_user._get_current_object()
    return organizer


def _letter(letter_id: int) -> Letter:
    letter = access.managed_letter(_me(), letter_id)
    if letter is None:
        abort(404)
    return letter


@bp.get("/")
def index() -> str:
    return render_template(
        "admin/index.html", letters=access.letters_for(_me()), counts=moderation.status_counts
    )


@bp.route("/letters/new", methods=["GET", "POST"])
def new_letter() -> Any:
    form = LetterForm()
    if form.validate_on_submit():
        if "preview" in request.form:
            return _render_editor(form, None, preview=True)
        try:
            letter = letters.create_letter(form.draft(), author_id=_me().id)
        except LetterError as error:
            form.slug.errors.append(str(error).capitalize() + ".")
        else:
            flash("Draft saved. Preview it, then publish it when it is ready.", "success")
            return redirect(url_for("admin.letter", letter_id=letter.id))
    return _render_editor(form, None)


@bp.route("/letters/<int:letter_id>/edit", methods=["GET", "POST"])
def edit_letter(letter_id: int) -> Any:
    letter = _letter(letter_id)
    form = LetterForm()
    if request.method == "GET":
        form.fill_from(letters.draft_of(letter))
    elif form.validate_on_submit():
        if "preview" in request.form:
            return _render_editor(form, letter, preview=True)
        try:
            letters.update_letter(
                letter, form.draft(), form.change_note.data or "", author_id=_me().id
            )
        except LetterError as error:
            form.form_errors.append(str(error).capitalize() + ".")
        else:
            flash("Changes saved.", "success")
            return redirect(url_for("admin.letter", letter_id=letter.id))
    return _render_editor(form, letter)


def _render_editor(
    form: LetterForm, letter: Letter | None, preview: bool = False
) -> tuple[str, int]:
    preview_html = markdown_to_html(form.body.data or "") if preview else None
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "admin/letter_form.html", form=form, letter=letter, preview_html=preview_html
    ), status


@bp.get("/letters/<int:letter_id>")
def letter(letter_id: int) -> str:
    letter = _letter(letter_id)
    host = access.host_of(letter, _me())
    stats = dashboard.letter_stats(letter)
    return render_template(
        "admin/letter.html",
        letter=letter,
        stats=stats,
        chart=dashboard.chart_svg(stats.per_day),
        counts=moderation.status_counts(letter),
        hosts=access.hosts(letter),
        host_form=HostForm(),
        notify_form=NotifyForm(notify=host.notify if host else NotifyMode.NONE),
        action_form=EmptyForm(),
        status_form=StatusForm(),
        earlier=len(letters.signatures_on_earlier_versions(letter)),
        deadline=letters.local_deadline(letter),
        version=letters.current_version(letter),
        purge_on=retention.purge_date(letter),
    )


@bp.post("/letters/<int:letter_id>/status")
def change_status(letter_id: int) -> Response:
    letter = _letter(letter_id)
    form = StatusForm()
    if form.validate_on_submit() and form.status.data in set(LetterStatus):
        try:
            letters.change_status(letter, LetterStatus(form.status.data), author_id=_me().id)
            flash(_STATUS_MESSAGES[LetterStatus(form.status.data)], "success")
        except LetterError as error:
            flash(str(error).capitalize() + ".", "error")
    return redirect(url_for("admin.letter", letter_id=letter.id))


_STATUS_MESSAGES = {
    LetterStatus.OPEN: "The letter is open for signatures.",
    LetterStatus.CLOSED: "Sign-on is closed. The list is ready to export.",
    LetterStatus.DRAFT: "The letter is a draft again.",
}


@bp.post("/letters/<int:letter_id>/duplicate")
def duplicate(letter_id: int) -> Response:
    letter = _letter(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    copy = letters.duplicate_letter(letter, author_id=_me().id)
    flash(f"This is a new draft copied from “{letter.title}”.", "success")
    return redirect(url_for("admin.edit_letter", letter_id=copy.id))


@bp.post("/letters/<int:letter_id>/preview-link")
def preview_link(letter_id: int) -> str:
    letter = _letter(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    raw = letters.create_preview_link(letter, author_id=_me().id)
    return render_template(
        "admin/preview_link.html",
        letter=letter,
        link=external_url("public.preview", token=raw),
    )


@bp.get("/letters/<int:letter_id>/signatures")
def signatures_queue(letter_id: int) -> str:
    letter = _letter(letter_id)
    queue = moderation.review_queue(
        letter,
        status=request.args.get("status", "awaiting_review"),
        search=request.args.get("q", ""),
        page=request.args.get("page", 1, type=int),
    )
    decisions = moderation.decisions_for(queue.status)
    return render_template(
        "admin/signatures.html",
        letter=letter,
        queue=queue,
        form=DecisionForm(),
        filters=moderation.STATUS_FILTERS,
        signals=flags.row_signals,
        current_number=letters.current_version(letter).number,
        decisions=decisions,
        answers=questions.answers_shown,
        select_all=request.args.get("select") == "all",
        approvable=(
            moderation.plan_bulk(
                letter, moderation.Decision.APPROVE, status=queue.status, search=queue.search
            ).count
            if moderation.Decision.APPROVE in decisions
            else 0
        ),
    )


@bp.route("/letters/<int:letter_id>/signatures/bulk", methods=["GET", "POST"])
def bulk_decide(letter_id: int) -> Any:
    """Approve everything a filter matches, across pages: count first, then change on a POST."""
    letter = _letter(letter_id)
    form = DecisionForm()
    plan = moderation.plan_bulk(
        letter,
        moderation.Decision.APPROVE,
        status=request.values.get("status", ""),
        search=request.values.get("q", ""),
        up_to=row_id(request.form.get("up_to")) if request.method == "POST" else None,
    )
    if request.method == "POST" and form.validate_on_submit():
        report = moderation.decide_planned(plan, letter, by=_me())
        flash(_decision_message("approve", report), "success" if report.changed else "error")
        return redirect(url_for("admin.signatures_queue", letter_id=letter.id, status=plan.status))
    return render_template(
        "admin/bulk_decide.html",
        letter=letter,
        plan=plan,
        form=form,
        filter_label=moderation.STATUS_FILTERS[plan.status],
    )


@bp.post("/letters/<int:letter_id>/signatures/decide")
def decide(letter_id: int) -> Response:
    letter = _letter(letter_id)
    form = DecisionForm()
    ids = row_ids(request.form.getlist("ids"))
    back = url_for(
        "admin.signatures_queue",
        letter_id=letter.id,
        status=request.form.get("status", ""),
        q=request.form.get("q", ""),
        page=request.form.get("page", 1),
    )
    if not form.validate_on_submit() or form.decision.data not in set(moderation.Decision):
        flash("Choose approve or reject.", "error")
    elif not ids:
        flash("Select at least one signature first.", "error")
    else:
        report = moderation.decide(
            letter,
            ids,
            moderation.Decision(form.decision.data),
            by=_me(),
            reason=form.reason.data or "",
        )
        flash(
            _decision_message(form.decision.data, report), "success" if report.changed else "error"
        )
    return redirect(back)


def _decision_message(decision: str, report: moderation.DecisionReport) -> str:
    verb = {"approve": "Approved", "reject": "Rejected", "release": "Released"}[decision]
    message = f"{verb} {len(report.changed)} signature{'s' if len(report.changed) != 1 else ''}."
    if report.skipped:
        reasons = "; ".join(f"{count} because {why}" for why, count in report.why_skipped.items())
        message += f" {len(report.skipped)} could not be {verb.lower()}: {reasons}."
    return message


@bp.route("/letters/<int:letter_id>/signatories/<int:signatory_id>", methods=["GET", "POST"])
def signatory(letter_id: int, signatory_id: int) -> Any:
    letter = _letter(letter_id)
    signatory = moderation.signatory_of(letter, signatory_id)
    if signatory is None:
        abort(404)
    form = SignatoryForm(obj=signatory)
    form.category.choices = [SelectChoice("", "No category")] + [
        SelectChoice(c) for c in letter.categories or []
    ]
    if form.validate_on_submit():
        try:
            moderation.edit_signatory(
                signatory, {k: form[k].data for k in form.data if k != "csrf_token"}, by=_me()
            )
            flash("The listing is updated.", "success")
            return redirect(
                url_for("admin.signatory", letter_id=letter.id, signatory_id=signatory.id)
            )
        except moderation.ModerationError as error:
            form.display_name.errors.append(str(error))
    return render_template(
        "admin/signatory.html",
        letter=letter,
        signatory=signatory,
        form=form,
        signatures=moderation.signatures_behind(signatory),
    )


@bp.get("/letters/<int:letter_id>/duplicates")
def duplicates(letter_id: int) -> str:
    letter = _letter(letter_id)
    return render_template(
        "admin/duplicates.html",
        letter=letter,
        groups=flags.groups(letter),
        form=EmptyForm(),
        select=request.args.get("select", "all"),
    )


@bp.post("/letters/<int:letter_id>/merge")
def merge(letter_id: int) -> Response:
    letter = _letter(letter_id)
    ids = row_ids(request.form.getlist("ids"))
    into = row_id(request.form.get("into"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        target = moderation.merge(letter, ids, into or 0, by=_me())
        flash(f"Merged into “{target.display_name}”.", "success")
    except moderation.ModerationError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.duplicates", letter_id=letter.id))


@bp.get("/letters/<int:letter_id>/audit")
def audit_log(letter_id: int) -> str:
    letter = _letter(letter_id)
    return render_template("admin/audit.html", letter=letter, events=moderation.audit_log(letter))


@bp.post("/letters/<int:letter_id>/hosts")
def add_host(letter_id: int) -> Response:
    letter = _letter(letter_id)
    form = HostForm()
    if form.validate_on_submit():
        try:
            outcome = access.add_host(letter, form.email.data or "", by=_me())
            flash(_HOST_MESSAGES[outcome].format(email=form.email.data), "success")
        except accounts.AccountError as error:
            flash(str(error), "error")
    else:
        flash("Enter the co-host's email address.", "error")
    return redirect(url_for("admin.letter", letter_id=letter.id) + "#hosts")


_HOST_MESSAGES = {
    access.HostAdded.INVITED: "{email} had no account: we created one and emailed them an invitation to co-host this letter.",
    access.HostAdded.ADDED: "{email} now co-hosts this letter; we emailed them a link to it.",
    access.HostAdded.ALREADY: "{email} already co-hosts this letter. Nothing changed.",
}


@bp.post("/letters/<int:letter_id>/hosts/<int:organizer_id>/remove")
def remove_host(letter_id: int, organizer_id: int) -> Response:
    letter = _letter(letter_id)
    if EmptyForm().validate_on_submit():
        try:
            access.remove_host(letter, organizer_id, by=_me())
            flash("Co-host removed.", "success")
        except accounts.AccountError as error:
            flash(str(error), "error")
    return redirect(url_for("admin.letter", letter_id=letter.id) + "#hosts")


@bp.post("/letters/<int:letter_id>/notifications")
def notifications(letter_id: int) -> Response:
    letter = _letter(letter_id)
    form = NotifyForm()
    if form.validate_on_submit():
        access.set_notify(letter, _me(), NotifyMode(form.notify.data))
        flash("Notification choice saved.", "success")
    return redirect(url_for("admin.letter", letter_id=letter.id) + "#notifications")


@bp.route("/letters/<int:letter_id>/emails", methods=["GET", "POST"])
def email_settings(letter_id: int) -> Any:
    """Sender name, Reply-To and the signers' email texts; Preview shows them before saving."""
    letter = _letter(letter_id)
    form = EmailSettingsForm()
    previews = None
    if request.method == "GET":
        form.fill_from(letter)
    elif form.validate_on_submit():
        settings = form.settings()
        if "preview" in request.form:
            previews = letter_emails.previews(letter, settings)
        else:
            try:
                letter_emails.save_settings(letter, settings, by=_me())
                flash("Email settings saved.", "success")
                return redirect(url_for("admin.email_settings", letter_id=letter.id))
            except letter_emails.SettingsError as error:
                form[error.field].errors.append(str(error))
    return render_template(
        "admin/emails.html",
        letter=letter,
        form=form,
        previews=previews,
        placeholders=letter_emails.PLACEHOLDERS,
    ), 422 if form.errors else 200


@bp.route("/letters/<int:letter_id>/earlier-versions", methods=["GET", "POST"])
def earlier_versions(letter_id: int) -> Any:
    letter = _letter(letter_id)
    form = UpdateSignersForm()
    if form.validate_on_submit():
        count = signatures.ask_to_reconfirm(letter, form.message.data or "", by=_me())
        flash(f"Emailed {count} signer{'s' if count != 1 else ''}.", "success")
        return redirect(url_for("admin.letter", letter_id=letter.id))
    return render_template(
        "admin/earlier_versions.html",
        letter=letter,
        form=form,
        signatures=letters.signatures_on_earlier_versions(letter),
        version=letters.current_version(letter),
    )


@bp.route("/organizers", methods=["GET", "POST"])
def organizers() -> Any:
    if not _me().is_admin:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            accounts.invite_organizer(
                form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "",
                invited_by=_me(),
            )
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect(url_for("admin.organizers"))
        except accounts.AccountError as error:
            form.email.errors.append(str(error))
    return render_template("admin/organizers.html", organizers=accounts.organizers(), form=form)


@bp.get("/letters/<int:letter_id>/deliver")
def deliver(letter_id: int) -> str:
    letter = _letter(letter_id)
    frozen = deliverables.snapshots(letter)
    delivery_form = DeliveryForm()
    _delivery_choices(delivery_form, frozen)
    return render_template(
        "admin/deliver.html",
        letter=letter,
        snapshots=frozen,
        freeze_form=FreezeForm(),
        delivery_form=delivery_form,
        update_form=SignerUpdateForm(),
        action_form=EmptyForm(),
        deliveries=deliverables.deliveries(letter),
        updates=deliverables.updates(letter),
        informed=len(deliverables.informed_signers(letter)),
        formats=deliverables.LIST_FORMATS,
        listed=listing.public_list(letter),
    )


def _delivery_choices(form: DeliveryForm, frozen: list[ListSnapshot]) -> None:
    form.snapshot.choices = [
        SelectChoice(s.id, f"Frozen {s.created_at:%Y-%m-%d %H:%M} UTC: {s.count_line}")
        for s in frozen
    ]
    form.method.choices = [SelectChoice(k, v) for k, v in deliverables.DELIVERY_METHODS.items()]


@bp.route("/letters/<int:letter_id>/export", methods=["GET", "POST"])
def export(letter_id: int) -> FlaskResponse:
    """List formats download with GET; contact lists need a POST, because each download is audited."""
    letter = _letter(letter_id)
    fmt = request.values.get("format", "")
    if fmt in deliverables.CONTACT_FORMATS and (
        request.method != "POST" or not EmptyForm().validate_on_submit()
    ):
        abort(405 if request.method != "POST" else 400)
    options = ListOptions(
        grouped=request.values.get("grouped", "1") == "1",
        with_place=request.values.get("place", "1") == "1",
    )
    try:
        exported = deliverables.export(letter, fmt, options, actor=_me())
    except deliverables.ExportError:
        abort(404)
    return _download(exported)


def _download(exported: deliverables.ExportFile) -> FlaskResponse:
    body = exported.body if isinstance(exported.body, bytes) else stream_with_context(exported.body)
    # content_type, not mimetype: Werkzeug appends a second charset to a mimetype that has one.
    response = FlaskResponse(body, content_type=exported.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/letters/<int:letter_id>/freeze")
def freeze(letter_id: int) -> Response:
    letter = _letter(letter_id)
    form = FreezeForm()
    if form.validate_on_submit():
        snapshot = deliverables.freeze(letter, by=_me(), note=form.note.data or "")
        flash(
            f"List frozen: {snapshot.count_line}. Its files will download the same forever.",
            "success",
        )
    return redirect(url_for("admin.deliver", letter_id=letter.id))


@bp.get("/letters/<int:letter_id>/snapshots/<int:snapshot_id>/<fmt>")
def snapshot_file(letter_id: int, snapshot_id: int, fmt: str) -> FlaskResponse:
    letter = _letter(letter_id)
    snapshot = deliverables.snapshot_of(letter, snapshot_id)
    if snapshot is None:
        abort(404)
    try:
        return _download(deliverables.snapshot_export(snapshot, fmt))
    except deliverables.ExportError:
        abort(404)


@bp.post("/letters/<int:letter_id>/deliveries")
def record_delivery(letter_id: int) -> Any:
    letter = _letter(letter_id)
    form = DeliveryForm()
    frozen = deliverables.snapshots(letter)
    _delivery_choices(form, frozen)
    if form.validate_on_submit():
        snapshot = deliverables.snapshot_of(letter, form.snapshot.data or 0)
        if snapshot is not None and form.delivered_on.data is not None:
            deliverables.record_delivery(
                letter,
                snapshot,
                delivered_on=form.delivered_on.data,
                recipient=form.recipient.data or "",
                method=form.method.data or "",
                notes=form.notes.data or "",
                public=bool(form.public.data),
                by=_me(),
            )
            flash("Delivery recorded.", "success")
            return redirect(url_for("admin.deliver", letter_id=letter.id))
    flash(
        "The delivery could not be recorded: "
        + "; ".join(e for errors in form.errors.values() for e in errors),
        "error",
    )
    return redirect(url_for("admin.deliver", letter_id=letter.id) + "#delivery")


@bp.post("/letters/<int:letter_id>/updates")
def send_update(letter_id: int) -> Response:
    letter = _letter(letter_id)
    form = SignerUpdateForm()
    if form.validate_on_submit():
        update = deliverables.send_update(
            letter,
            form.subject.data or "",
            form.message.data or "",
            by=_me(),
            public=bool(form.public.data),
        )
        count = update.recipients
        posted = " and posted on the public page" if update.public else ""
        flash(f"Update sent to {count} signer{'s' if count != 1 else ''}{posted}.", "success")
    else:
        flash("Write a subject and a message.", "error")
    return redirect(url_for("admin.deliver", letter_id=letter.id) + "#updates")


@bp.get("/letters/<int:letter_id>/press-kit")
def press_kit(letter_id: int) -> tuple[str, int]:
    letter = _letter(letter_id)
    form = PressReleaseForm()
    form.fill_from(press.for_form(letter))
    return _render_press_kit(letter, form)


@bp.post("/letters/<int:letter_id>/press-kit")
def save_press_release(letter_id: int) -> Any:
    letter = _letter(letter_id)
    form = PressReleaseForm()
    if not form.validate_on_submit():
        return _render_press_kit(letter, form)
    press.save(letter, form.choices(), by=_me())
    flash("Press release saved. The preview and the downloads show it now.", "success")
    return redirect(url_for("admin.press_kit", letter_id=letter.id) + "#release-preview")


def _render_press_kit(letter: Letter, form: PressReleaseForm) -> tuple[str, int]:
    listed = listing.public_list(letter)
    release = press.release(letter)
    return render_template(
        "admin/press_kit.html",
        letter=letter,
        form=form,
        listed=listed,
        list_text=lists.as_text(release.signatories),
        headline=deliverables.headline_count(listed.organizations),
        release=release,
        preview_html=press.preview_html(release),
        contacts=deliverables.press_contacts(letter),
        deliveries=deliverables.deliveries(letter),
    ), 422 if form.errors else 200


@bp.get("/letters/<int:letter_id>/press-release.docx", defaults={"fmt": "docx"})
@bp.get("/letters/<int:letter_id>/press-release.md", defaults={"fmt": "markdown"})
def press_release_file(letter_id: int, fmt: str) -> FlaskResponse:
    return _download(press.export(_letter(letter_id), fmt))


@bp.route("/account", methods=["GET", "POST"])
def account() -> Any:
    """Two-step sign-in: start, confirm with a code from the app (recovery codes shown once), or turn off."""
    me = _me()
    form = CodeForm()
    codes = None
    action = request.form.get("action", "")
    if request.method == "POST" and action == "start" and EmptyForm().validate_on_submit():
        twofactor.begin_setup(me)
    elif request.method == "POST" and form.validate_on_submit():
        if action == "confirm":
            codes = twofactor.confirm_setup(me, form.code.data or "")
            if codes is None:
                form.code.errors.append("That code is not right. Codes change every 30 seconds.")
        elif action == "disable":
            if twofactor.disable(me, form.code.data or ""):
                flash("Two-step sign-in is off.", "success")
                return redirect(url_for("admin.account"))
            form.code.errors.append("That code is not right.")
    setting_up = bool(me.totp_secret) and not me.totp_enabled
    return render_template(
        "admin/account.html",
        me=me,
        form=form,
        codes=codes,
        setting_up=setting_up,
        action_form=EmptyForm(),
        qr=twofactor.qr_svg_data_uri(me) if setting_up else None,
        remaining=twofactor.remaining_recovery_codes(me) if me.totp_enabled else 0,
    )


@bp.route("/email-rules", methods=["GET", "POST"])
def email_rules() -> Any:
    if not _me().is_admin:
        abort(404)
    form = EmailRuleForm()
    if form.validate_on_submit():
        try:
            rule = screening.add_rule(
                form.pattern.data or "", form.action.data or "", note=form.note.data or "", by=_me()
            )
            flash(f"{rule.action.capitalize()}ed {rule.pattern}.", "success")
            return redirect(url_for("admin.email_rules"))
        except screening.RuleError as error:
            form.pattern.errors.append(str(error))
    return render_template(
        "admin/email_rules.html", form=form, rules=screening.rules(), action_form=EmptyForm()
    )


@bp.post("/email-rules/<int:rule_id>/remove")
def remove_email_rule(rule_id: int) -> Response:
    if not _me().is_admin:
        abort(404)
    if EmptyForm().validate_on_submit():
        screening.remove_rule(rule_id, by=_me())
        flash("Rule removed.", "success")
    return redirect(url_for("admin.email_rules"))
