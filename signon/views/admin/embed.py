"""A letter's sign form on other sites: the sites allowed to frame it, and the code to paste."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from signon.forms.letters import EmbedForm
from signon.links import external_url
from signon.models import Letter
from signon.services import embedding
from signon.views.admin.base import bp, letter_or_404, me


@bp.route("/letters/<int:letter_id>/embed", methods=["GET", "POST"])
def embed_settings(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = EmbedForm()
    if request.method == "GET":
        form.sites.data = "\n".join(embedding.sites_of(letter))
    elif form.validate_on_submit():
        embedding.save_sites(letter, form.chosen, by=me())
        flash(
            _("Sites saved.") if form.chosen else _("No site may embed the sign form now."),
            "success",
        )
        return redirect(url_for("admin.embed_settings", letter_id=letter.id))
    return render_template(
        "admin/embed.html",
        letter=letter,
        form=form,
        sites=embedding.sites_of(letter),
        embed_code=_embed_code(letter),
    ), 422 if form.errors else 200


def _embed_code(letter: Letter) -> Markup:
    """The code partners paste, written for the textarea that shows it: escaped once, and the
    frame's title once more, as the attribute it is in the pasted code."""
    title = str(escape(_("Sign the letter: %(title)s", title=letter.title)))
    return Markup(
        '&lt;iframe src="{}" title="{}" width="100%" height="900" style="border:0"&gt;'
        '&lt;/iframe&gt;\n&lt;script src="{}" async&gt;&lt;/script&gt;'
    ).format(
        external_url("embed.form", slug=letter.slug),
        title,
        external_url("static", filename="embed.js"),
    )
