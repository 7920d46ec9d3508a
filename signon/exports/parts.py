"""A long signatory list cut into parts of a few hundred names, each laid out on its own, in the
order of every other export; a group cut in two carries its heading on as "(continued)"."""

from __future__ import annotations

from dataclasses import dataclass, field

from signon.exports.model import Group, ListDocument

# A part may end up to this share early, at the end of a group, rather than cut one in two.
EARLY_END = 0.25


@dataclass
class PartGroup:
    heading: str
    lines: list[str] = field(default_factory=list)


@dataclass
class PartSection:
    """The list itself or its addendum: its heading and count only in the part where it begins."""

    heading: str
    count_line: str
    groups: list[PartGroup] = field(default_factory=list)


@dataclass
class Part:
    first: bool
    sections: list[PartSection] = field(default_factory=list)

    @property
    def names(self) -> int:
        return sum(len(group.lines) for section in self.sections for group in section.groups)


@dataclass(frozen=True)
class _Row:
    section: int
    group: int
    line: str
    opens_section: bool
    opens_group: bool


def names_in(doc: ListDocument) -> int:
    return sum(len(group.entries) for group in doc.groups + doc.addendum)


def split(doc: ListDocument, size: int) -> list[Part]:
    """The parts, the first with the letter; every name exactly once, in order."""
    sections = [(doc.words.signatories, doc.count_line, doc.groups)]
    if doc.addendum:
        sections.append((doc.addendum_heading, doc.addendum_count_line, doc.addendum))
    rows = [
        _Row(s, g, doc.line(entry), g == 0 and e == 0, e == 0)
        for s, (_, _, groups) in enumerate(sections)
        for g, group in enumerate(groups)
        for e, entry in enumerate(group.entries)
    ]
    headings = [[doc.heading(group) for group in groups] for _, _, groups in sections]
    parts = [Part(first=True, sections=[PartSection(doc.words.signatories, doc.count_line)])]
    start = 0
    while start < len(rows):
        end = _end(rows, start, max(size, 1))
        if start:
            parts.append(Part(first=False))
        _fill(parts[-1], rows[start:end], sections, headings, doc.words.continued)
        start = end
    return parts


def _end(rows: list[_Row], start: int, size: int) -> int:
    """Where a part beginning at `start` stops: after `size` names, or a little sooner where a
    group (or the list) ends."""
    end = min(start + size, len(rows))
    if end == len(rows):
        return end
    earliest = start + max(1, int(size * (1 - EARLY_END)))
    for cut in range(end, earliest - 1, -1):
        if rows[cut].opens_group:
            return cut
    return end


def _fill(
    part: Part,
    rows: list[_Row],
    sections: list[tuple[str, str, list[Group]]],
    headings: list[list[str]],
    continued: str,
) -> None:
    previous: _Row | None = None
    for row in rows:
        new_section = previous is None or previous.section != row.section
        if new_section and not (part.first and row.section == 0):  # that one opens the first part
            heading, count_line, _ = sections[row.section]
            shown = row.opens_section
            part.sections.append(PartSection(heading if shown else "", count_line if shown else ""))
        if previous is None or (previous.section, previous.group) != (row.section, row.group):
            heading = headings[row.section][row.group]
            if heading and not row.opens_group:
                heading = continued % {"heading": heading}
            part.sections[-1].groups.append(PartGroup(heading))
        part.sections[-1].groups[-1].lines.append(row.line)
        previous = row
