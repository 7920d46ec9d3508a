"""The organizer workspace under /admin, one module per area; every route needs a signed-in organizer."""

from signon.views.admin import (  # noqa: F401 - each module adds its routes to the blueprint
    accounts,
    corrections,
    deliver,
    documents,
    embargo,
    embed,
    hosts,
    intake,
    invitations,
    letters,
    logos,
    moderation,
    outreach,
    press,
    questions,
    translations,
)
from signon.views.admin.base import bp

__all__ = ["bp"]
