"""Organizations' logos, uploaded with a signature and stored as files outside the web root."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from signon.extensions import Model
from signon.models.base import UTCDateTime, utcnow


class Logo(Model):
    """The re-encoded logo a signature came with; the file is named by `stored_name` alone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(sa.ForeignKey("signature.id"), unique=True)
    # A random token plus ".png": the file's name under SIGNON_UPLOAD_DIR and in its address.
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]  # bytes of the stored file
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
