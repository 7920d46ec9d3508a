"""What every list export renders: the entries in their groups, the count line, and any dated
addendum. The services build these; the exports depend on nothing but this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_date

INDIVIDUALS_HEADING = "Individuals"
ORGANIZATION, INDIVIDUAL = "organization", "individual"  # the values of models.SignatoryKind


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    place: str
    category: str
    kind: str
    # Counted, but its signers asked not to be named: only the recipient's copy may show it.
    hidden: bool = False


@dataclass
class Group:
    category: str
    entries: list[Entry] = field(default_factory=list)
    kind: str = ORGANIZATION


@dataclass(frozen=True)
class ListOptions:
    grouped: bool = True
    with_place: bool = True
    # The organizer's choice for the recipient's copy: also list those who asked not to be named.
    with_unnamed: bool = False
    # The language of the fixed words, the dates and the order of the names.
    language: str = "en"


@dataclass(frozen=True)
class ListWords:
    """The fixed words of a list export, already in its language (the services translate them)."""

    language: str = "en"
    signatories: str = "Signatories"
    other_organizations: str = "Other organizations"
    individuals: str = INDIVIDUALS_HEADING
    signed_after: str = "Signed after the list was delivered on %(date)s"
    continued: str = "%(heading)s (continued)"
    csv_header: tuple[str, ...] = ("section", "category", "name", "place", "kind")
    csv_list: str = "list"
    # The letter's category names in this language, by their original names (translated by the
    # organizers); a category missing here keeps its own.
    category_names: dict[str, str] = field(default_factory=dict)


@dataclass
class ListDocument:
    """A signatory list ready to render: as delivered (frozen) or as it stands now."""

    title: str
    count_line: str
    groups: list[Group]
    options: ListOptions = field(default_factory=ListOptions)
    addendum: list[Group] = field(default_factory=list)
    addendum_since: datetime | None = None
    addendum_count_line: str = ""
    # Organizations counted in the count lines but not shown (they asked not to be named).
    unnamed_organizations: int = 0
    words: ListWords = field(default_factory=ListWords)

    def line(self, entry: Entry) -> str:
        """'Name, City, ST' or just the name, as the options say."""
        if self.options.with_place and entry.place:
            return f"{entry.name}, {entry.place}"
        return entry.name

    def heading(self, group: Group) -> str:
        if is_individuals(group):
            return self.words.individuals
        if group.category:
            return self.words.category_names.get(group.category, group.category)
        return self.words.other_organizations if len(self.groups) > 1 else ""

    def day(self, value: date) -> str:
        """'December 18, 2026', '18 de diciembre de 2026'."""
        return format_date(value, "long", locale=self.words.language)

    @property
    def addendum_heading(self) -> str:
        if not self.addendum_since:
            return ""
        return self.words.signed_after % {"date": self.day(self.addendum_since)}


def is_individuals(group: Group) -> bool:
    return group.category == INDIVIDUALS_HEADING and group.kind == INDIVIDUAL
