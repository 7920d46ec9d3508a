"""The numbers on a letter's organizer dashboard, and its chart of confirmations per day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_skeleton
from flask_babel import gettext, lazy_gettext, ngettext
from markupsafe import Markup

from signon import i18n
from signon.extensions import db
from signon.models import Letter, Signatory, Signature, SignatureStatus
from signon.services import status_names
from signon.services.attribution import SourceCounts, source_counts
from signon.services.history import superseded
from signon.services.listing import ListCounts, cached_counts, sort_key

UNCATEGORIZED = lazy_gettext("Uncategorized")
UNKNOWN_PLACE = lazy_gettext("Unknown")
OTHER_PLACES = lazy_gettext("Other places")
MAX_PLACES = 15

CHART_TITLE = lazy_gettext("Confirmed signatures per day")
BAR_COLOUR = "#0b5c45"  # 7.6:1 on white
TEXT_COLOUR = "#4a4a46"  # 8.9:1 on white
FONT_SIZE = 14
# site.css (letter dashboard rules) raises the labels to 22 units on narrow screens; the margins leave room for that.
ROOM_FONT_SIZE = 22
CHAR_WIDTH = ROOM_FONT_SIZE * 0.62
MAX_X_LABELS = 5
MAX_BAR_WIDTH = 48


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int

    @property
    def label(self) -> str:
        """'Tuesday, March 3, 2026', for tables and bar tooltips, in the page's language."""
        return format_date(self.day, "full", locale=i18n.current())


@dataclass
class LetterStats:
    listed: ListCounts
    by_status: list[Count]
    by_category: list[Count]
    by_place: list[Count]
    per_day: list[DayCount]
    total_confirmed: int
    by_source: SourceCounts


def letter_stats(letter: Letter) -> LetterStats:
    """Everything the dashboard shows, from a few aggregate queries."""
    per_day = confirmations_per_day(letter)
    return LetterStats(
        # The public page's own counts, so the dashboard says the number the public page and
        # the exports say: listed organizations (colleagues count once) and individuals apart.
        listed=cached_counts(letter),
        by_status=status_counts(letter),
        by_category=category_counts(letter),
        by_place=place_counts(letter),
        per_day=per_day,
        total_confirmed=sum(d.count for d in per_day),
        by_source=source_counts(letter),
    )


def status_counts(letter: Letter) -> list[Count]:
    """Every status, zeros included, so the organizer sees at once that nothing is waiting. A
    signer who withdrew and signed again counts once, as their latest signature stands."""
    rows = db.session.execute(
        db.select(Signature.status, sa.func.count())
        .where(Signature.letter_id == letter.id, ~superseded())
        .group_by(Signature.status)
    ).all()
    counts = {status: count for status, count in rows}
    return [
        Count(str(label), counts.get(status, 0))
        for status, label in status_names.SIGNATURE_GROUPS.items()
    ]


def category_counts(letter: Letter) -> list[Count]:
    """Approved signatures by the category of the line they stand behind (the signer's own choice
    when there is no line), in the letter's order; categories it no longer lists are uncategorized."""
    category = sa.func.coalesce(Signatory.category, Signature.category).label("category")
    rows = db.session.execute(
        db.select(category, sa.func.count())
        .select_from(Signature)
        .outerjoin(Signatory, Signature.signatory_id == Signatory.id)
        .where(Signature.letter_id == letter.id, Signature.status == SignatureStatus.APPROVED)
        .group_by(category)
    ).all()
    counts = {name: count for name, count in rows}
    listed = list(dict.fromkeys(letter.categories or []))
    result = [Count(name, counts.pop(name, 0)) for name in listed]
    uncategorized = sum(counts.values())
    if uncategorized:
        result.append(Count(str(UNCATEGORIZED), uncategorized))
    return result


def place_counts(letter: Letter) -> list[Count]:
    """Listed signatories (as on the public page) by state or region, else country, else
    'Unknown'; the long tail folds into 'Other places' so the table stays short."""
    approved = sa.exists().where(
        Signature.signatory_id == Signatory.id, Signature.status == SignatureStatus.APPROVED
    )
    place = sa.case(
        (Signatory.region != "", Signatory.region),
        (Signatory.country != "", Signatory.country),
        else_=str(UNKNOWN_PLACE),
    ).label("place")
    places = db.select(place).where(Signatory.letter_id == letter.id, approved).subquery()
    rows = db.session.execute(
        db.select(places.c.place, sa.func.count()).group_by(places.c.place)
    ).all()
    ranked = sorted(
        (Count(name, count) for name, count in rows), key=lambda c: (-c.count, sort_key(c.label))
    )
    if len(ranked) <= MAX_PLACES:
        return ranked
    rest = sum(c.count for c in ranked[MAX_PLACES:])
    return [*ranked[:MAX_PLACES], Count(str(OTHER_PLACES), rest)]


def confirmations_per_day(letter: Letter) -> list[DayCount]:
    """Confirmations per calendar day where the organizers are, every day from the first to the
    last; the bucketing happens here because SQLite has no time zones. A signer who signed again
    after withdrawing counts on the day of their latest confirmation only."""
    zone = ZoneInfo(letter.timezone)
    stamps = db.session.execute(
        db.select(Signature.confirmed_at).where(
            Signature.letter_id == letter.id, Signature.confirmed_at.is_not(None), ~superseded()
        )
    ).scalars()
    days = Counter(stamp.astimezone(zone).date() for stamp in stamps if stamp is not None)
    if not days:
        return []
    first, last = min(days), max(days)
    return [
        DayCount(first + timedelta(days=offset), days.get(first + timedelta(days=offset), 0))
        for offset in range((last - first).days + 1)
    ]


# --- The chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Where the plot sits inside the viewBox."""

    left: float
    top: float
    width: float
    height: float
    slot: float

    @property
    def bottom(self) -> float:
        return self.top + self.height


def chart_svg(
    per_day: Sequence[DayCount],
    *,
    width: int = 640,
    height: int = 200,
    chart_id: str = "confirmations-chart",
) -> Markup:
    """A bar chart drawn on the server: no script, scales to any width, and says in words what it
    shows (its desc, and a title per bar) for people who cannot see it."""
    days = list(per_day)
    peak = max((d.count for d in days), default=0)
    if peak == 0:
        return Markup('<p class="chart-empty">{}</p>').format(
            gettext("No confirmed signatures yet.")
        )
    left = 12 + CHAR_WIDTH * len(i18n.number(peak))
    top, bottom, right = ROOM_FONT_SIZE * 0.6, ROOM_FONT_SIZE + 12, 8.0
    plot_width = max(width - left - right, 1.0)
    frame = _Frame(left, top, plot_width, max(height - top - bottom, 1.0), plot_width / len(days))
    # Markup(...).format escapes every argument, so nothing typed anywhere can become markup.
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" '
            'viewBox="0 0 {} {}" aria-labelledby="{}-title" aria-describedby="{}-desc" '
            'font-family="system-ui, sans-serif" font-size="{}" fill="{}">'
        ).format(width, height, chart_id, chart_id, FONT_SIZE, TEXT_COLOUR),
        Markup('<title id="{}-title">{}</title>').format(chart_id, CHART_TITLE),
        Markup('<desc id="{}-desc">{}</desc>').format(chart_id, chart_summary(days)),
        *_y_axis(frame, peak),
        *(_bar(frame, index, day, peak) for index, day in enumerate(days)),
        *_x_labels(frame, days),
        Markup("</svg>"),
    ]
    return Markup("").join(parts)


def chart_summary(per_day: Sequence[DayCount]) -> str:
    """'42 confirmed signatures from March 3 to March 9; most on March 5 (12)'."""
    total = sum(d.count for d in per_day)
    first, last = per_day[0].day, per_day[-1].day
    busiest = max(per_day, key=lambda d: d.count)
    with_year = first.year != last.year
    amount = _signatures(total)
    if first == last:
        return gettext("%(amount)s on %(day)s", amount=amount, day=_day_text(first, with_year))
    return gettext(
        "%(amount)s from %(first)s to %(last)s; most on %(busiest)s (%(count)s)",
        amount=amount,
        first=_day_text(first, with_year),
        last=_day_text(last, with_year),
        busiest=_day_text(busiest.day, with_year),
        count=i18n.number(busiest.count),
    )


_LINE = Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>')
_LABEL = Markup('<text class="chart-axis" x="{}" y="{}" dy="{}" text-anchor="{}">{}</text>')


def _line(x1: float, y1: float, x2: float, y2: float) -> Markup:
    return _LINE.format(_n(x1), _n(y1), _n(x2), _n(y2), TEXT_COLOUR)


def _y_axis(frame: _Frame, peak: int) -> list[Markup]:
    """The axis, the baseline, a tick at the top, and the two numbers that give the scale."""
    right = frame.left + frame.width
    label_x = _n(frame.left - 6)
    return [
        _line(frame.left, frame.top, frame.left, frame.bottom),
        _line(frame.left, frame.bottom, right, frame.bottom),
        _line(frame.left - 4, frame.top, frame.left, frame.top),
        _LABEL.format(label_x, _n(frame.top), "0.35em", "end", i18n.number(peak)),
        _LABEL.format(label_x, _n(frame.bottom), "0.35em", "end", "0"),
    ]


def _bar(frame: _Frame, index: int, day: DayCount, peak: int) -> Markup:
    bar_width = min(frame.slot * 0.8, MAX_BAR_WIDTH)
    x = frame.left + index * frame.slot + (frame.slot - bar_width) / 2
    bar_height = frame.height * day.count / peak
    return Markup(
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
        "<title>{}: {}</title></rect>"
    ).format(
        _n(x),
        _n(frame.bottom - bar_height),
        _n(bar_width),
        _n(bar_height),
        BAR_COLOUR,
        day.label,
        _signatures(day.count),
    )


def _x_labels(frame: _Frame, days: list[DayCount]) -> list[Markup]:
    """The first and last day, and a few evenly spaced between when there are many."""
    last = len(days) - 1
    if last < MAX_X_LABELS:
        indices = list(range(last + 1))
    else:
        steps = MAX_X_LABELS - 1
        indices = sorted({round(step * last / steps) for step in range(steps + 1)})
    y = _n(frame.bottom + 8)
    labels = []
    for index in indices:
        centre = frame.left + (index + 0.5) * frame.slot
        anchor, x = "middle", centre
        if last and index == 0:
            anchor, x = "start", frame.left
        elif last and index == last:
            anchor, x = "end", frame.left + frame.width
        labels.append(_line(centre, frame.bottom, centre, frame.bottom + 4))
        labels.append(_LABEL.format(_n(x), y, "0.8em", anchor, _short_day(days[index].day)))
    return labels


def _n(value: float) -> str:
    """Coordinates with at most two decimals: precise enough, and a short document."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _signatures(count: int) -> str:
    return ngettext(
        "%(count)s confirmed signature",
        "%(count)s confirmed signatures",
        count,
        count=i18n.number(count),
    )


def _day_text(day: date, with_year: bool) -> str:
    """'March 3, 2026' or 'March 3', in the page's language."""
    language = i18n.current()
    if with_year:
        return format_date(day, "long", locale=language)
    return format_skeleton("MMMMd", day, locale=language)


def _short_day(day: date) -> str:
    """'Mar 3', in the page's language."""
    return format_skeleton("MMMd", day, locale=i18n.current())
