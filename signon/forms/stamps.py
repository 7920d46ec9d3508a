"""What every reading of a sign POST gives the signing code: the bot traps, the start stamp, the
text version and the signature itself. SignForm reads the POST with WTForms; the fast path in
forms/entry.py reads the common valid one without it; both are SignStamps."""

from __future__ import annotations

from signon import images
from signon.security import seconds_since_stamp
from signon.services.signatures import SignatureData


class SignStamps:
    """The bot traps and the start stamp of a sign submission, however it was read."""

    def trap_field(self) -> str:
        raise NotImplementedError

    def started_stamp(self) -> str | None:
        raise NotImplementedError

    def version_text(self) -> str | None:
        raise NotImplementedError

    def invitation_token(self) -> str:
        """The token of the partner's personal link the form was opened from, if any."""
        raise NotImplementedError

    def origin_text(self) -> str:
        """Where the signer came from, as the letter page put it in the form (attribution)."""
        raise NotImplementedError

    def signature_data(self) -> SignatureData:
        raise NotImplementedError

    def logo_image(self) -> images.PreparedLogo | None:
        """The organization's logo, checked and re-encoded, when one came with the form."""
        return None

    def seconds_shown(self) -> float | None:
        """Seconds since the form was shown, from its signed start stamp (read once per request);
        None if the stamp is missing, forged or from another session."""
        if not hasattr(self, "_seconds_shown"):
            self._seconds_shown = seconds_since_stamp(self.started_stamp())
        return self._seconds_shown

    def shown_for(self, seconds: float) -> None:
        """The form's age as checked another way (the framed form's own token, not a session)."""
        self._seconds_shown = seconds

    def trap_reason(self, min_seconds: float) -> str:
        """Why this submission looks like a bot's, or '' if it looks like a person's."""
        if self.trap_field().strip():
            return "filled the hidden field"
        elapsed = self.seconds_shown()
        if elapsed is None:
            return "no valid form start time"
        if elapsed < min_seconds:
            return f"submitted {elapsed:.1f} s after the form was shown"
        return ""

    def stamp_expired(self, max_seconds: float) -> bool:
        """The page was shown in this session, but longer ago than a stamp stays good for."""
        elapsed = self.seconds_shown()
        return elapsed is not None and elapsed > max_seconds

    def version_id(self) -> int | None:
        try:
            return int(self.version_text() or "")
        except ValueError:
            return None
