"""Hints for moderators: signatories that are likely the same organization, and signatures worth a second look."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext

from signon.services.domains import (
    ascii_domain,
    email_domain,
    is_free_mail,
    is_shared_host,
    parents,
    same_site,
    website_domain,
)
from signon.services.normalize import clean_text, confusable_skeleton, organization_key

_MINOR_WORDS = frozenset({"of", "the", "for", "and", "in", "on", "to", "a", "an"})


@dataclass(frozen=True)
class SignatoryFacts:
    id: int
    display_name: str
    typed_names: tuple[str, ...]
    website: str
    email_domains: tuple[str, ...]


@dataclass(frozen=True)
class DuplicateGroup:
    ids: tuple[int, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SignatureFacts:
    email: str
    organization: str
    website: str
    version_number: int
    current_version_number: int
    organizations_for_same_email: int


@dataclass(frozen=True)
class Signal:
    code: str
    message: str


# --- likely duplicates ------------------------------------------------------------------------


class _Linker:
    """Union-find over item positions that remembers why each link was made."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))
        self._reasons: list[tuple[int, str]] = []

    def _find(self, pos: int) -> int:
        parent = self._parent
        while parent[pos] != pos:
            parent[pos] = parent[parent[pos]]
            pos = parent[pos]
        return pos

    def link(self, positions: Iterable[int], reason: str) -> None:
        """Join all positions into one group; a single distinct position links nothing."""
        distinct = list(dict.fromkeys(positions))
        if len(distinct) < 2:
            return
        first = self._find(distinct[0])
        for pos in distinct[1:]:
            self._parent[self._find(pos)] = first
        self._reasons.append((distinct[0], reason))

    def groups(self) -> list[tuple[list[int], list[str]]]:
        """Every group of two or more positions with its reasons, each once, in the order found."""
        members: dict[int, list[int]] = defaultdict(list)
        for pos in range(len(self._parent)):
            members[self._find(pos)].append(pos)
        reasons: dict[int, dict[str, None]] = defaultdict(dict)
        for pos, reason in self._reasons:
            reasons[self._find(pos)][reason] = None
        return [(m, list(reasons[root])) for root, m in members.items() if len(m) > 1]


@dataclass(frozen=True)
class _Name:
    spelling: str
    key: str


def _names(item: SignatoryFacts) -> list[_Name]:
    """Every distinct way the organization was written, with its comparable key."""
    spellings = dict.fromkeys(clean_text(n) for n in (item.display_name, *item.typed_names))
    names = [_Name(s, organization_key(s)) for s in spellings if s]
    return [name for name in names if name.key]


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


@dataclass
class _NameIndex:
    """Who wrote each comparable key, and how they spelled it."""

    positions: dict[str, list[int]]
    spellings: dict[str, dict[str, None]]


def _index_names(names: list[list[_Name]]) -> _NameIndex:
    positions: dict[str, list[int]] = defaultdict(list)
    spellings: dict[str, dict[str, None]] = defaultdict(dict)
    for pos, item_names in enumerate(names):
        for name in item_names:
            positions[name.key].append(pos)
            spellings[name.key][name.spelling] = None
    return _NameIndex(positions, spellings)


def _link_same_names(index: _NameIndex, linker: _Linker) -> None:
    for key, linked in index.positions.items():
        written = list(index.spellings[key])
        if len(written) == 1:
            reason = gettext("Same name: %(names)s", names=_quoted(written))
        else:
            reason = gettext(
                "Same name once case, punctuation and a leading “The” are ignored: %(names)s",
                names=_quoted(written),
            )
        linker.link(linked, reason)


def _link_look_alike_names(index: _NameIndex, linker: _Linker) -> None:
    """'Amnesty International' spelled with a Cyrillic capital A is listed apart from the real
    one unless a moderator merges them; compare keys once each letter is read as the one it imitates."""
    keys_by_skeleton: dict[str, list[str]] = defaultdict(list)
    for key in index.positions:
        keys_by_skeleton[confusable_skeleton(key)].append(key)
    for keys in keys_by_skeleton.values():
        if len(keys) < 2:  # one key alone is a plain same name, linked already
            continue
        written = list(dict.fromkeys(s for key in keys for s in index.spellings[key]))
        reason = gettext(
            "Same name once look-alike letters are read as the letters they imitate: %(names)s",
            names=_quoted(written),
        ) + _look_alike_letters(written)
        linker.link((pos for key in keys for pos in index.positions[key]), reason)


def _look_alike_letters(spellings: list[str]) -> str:
    """The letters a moderator cannot tell apart by eye, each with its Unicode name."""
    found = dict.fromkeys(
        ch
        for spelling in spellings
        for ch in spelling
        if not ch.isascii() and confusable_skeleton(ch) != unicodedata.normalize("NFD", ch)
    )
    named = [
        gettext(
            "“%(letter)s” is %(name)s",
            letter=ch,
            name=(unicodedata.name(ch, "") or gettext("an unnamed character")).title(),
        )
        for ch in found
    ]
    return f" ({'; '.join(named[:3])}{'; …' if len(named) > 3 else ''})" if named else ""


def _initials(words: list[str]) -> set[str]:
    """'national organization for women' gives 'now' (small words skipped) and 'nofw' (every word)."""
    significant = "".join(w[0] for w in words if w not in _MINOR_WORDS)
    every = "".join(w[0] for w in words)
    return {initials for initials in (significant, every) if len(initials) >= 2}


def _acronym_and_expansion_index(
    names: list[list[_Name]],
) -> tuple[dict[str, list[tuple[int, str]]], dict[str, list[tuple[int, str]]]]:
    """Single-word names that could be acronyms, and the initials of every longer name."""
    acronyms: dict[str, list[tuple[int, str]]] = defaultdict(list)
    expansions: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pos, item_names in enumerate(names):
        for name in item_names:
            words = name.key.split()
            if len(words) == 1 and len(words[0]) >= 2 and words[0].isalpha():
                acronyms[words[0]].append((pos, name.spelling))
            elif len(words) > 1:
                for initials in _initials(words):
                    expansions[initials].append((pos, name.spelling))
    return acronyms, expansions


def _link_acronyms(names: list[list[_Name]], linker: _Linker) -> None:
    """Link each full name to an acronym written by another signatory; an item's own acronym proves nothing."""
    acronyms, expansions = _acronym_and_expansion_index(names)
    for initials, shorts in acronyms.items():
        first = shorts[0]
        other = next((s for s in shorts if s[0] != first[0]), None)
        for pos, full in expansions.get(initials, ()):
            short = first if first[0] != pos else other
            if short is not None:
                reason = gettext(
                    "“%(short)s” looks like the initials of “%(full)s”", short=short[1], full=full
                )
                linker.link((short[0], pos), reason)


def _link_websites(items: Sequence[SignatoryFacts], linker: _Linker) -> None:
    positions: dict[str, list[int]] = defaultdict(list)
    for pos, item in enumerate(items):
        domain = website_domain(item.website)
        if domain and not is_shared_host(domain):
            positions[domain].append(pos)
    for domain, linked in positions.items():
        linker.link(linked, gettext("Same website domain: %(domain)s", domain=domain))
        for parent in parents(domain):
            if parent in positions:
                reason = gettext(
                    "Website %(domain)s is part of %(parent)s", domain=domain, parent=parent
                )
                linker.link((linked[0], positions[parent][0]), reason)


def _link_email_domains(items: Sequence[SignatoryFacts], linker: _Linker) -> None:
    positions: dict[str, list[int]] = defaultdict(list)
    for pos, item in enumerate(items):
        for raw in item.email_domains:
            domain = ascii_domain(raw)
            if domain and not is_free_mail(domain):
                positions[domain].append(pos)
    for domain, linked in positions.items():
        linker.link(linked, gettext("Same email domain: %(domain)s", domain=domain))


def likely_duplicates(items: Sequence[SignatoryFacts]) -> list[DuplicateGroup]:
    """Groups of signatories a moderator should consider merging, each with the evidence;
    linking is transitive, so A~B and B~C put A, B and C in one group."""
    linker = _Linker(len(items))
    names = [_names(item) for item in items]
    index = _index_names(names)
    _link_same_names(index, linker)
    _link_look_alike_names(index, linker)
    _link_acronyms(names, linker)
    _link_websites(items, linker)
    _link_email_domains(items, linker)
    groups = []
    for positions, reasons in linker.groups():
        ids = tuple(sorted({items[pos].id for pos in positions}))
        if len(ids) > 1:
            groups.append(DuplicateGroup(ids=ids, reasons=tuple(reasons)))
    return sorted(groups, key=lambda group: group.ids)


# --- per-signature signals --------------------------------------------------------------------


def _website_signals(email: str, website: str) -> list[Signal]:
    """An organization with its own website usually has mail on that domain too."""
    mail, site = email_domain(email), website_domain(website)
    if not mail or not site or is_shared_host(site):
        return []
    if is_free_mail(mail):
        message = gettext(
            "Free email address (%(mail)s) for an organization with a website (%(site)s)",
            mail=mail,
            site=site,
        )
        return [Signal("free_mail_with_website", message)]
    if not same_site(mail, site):
        message = gettext(
            "Email domain %(mail)s does not match the website %(site)s", mail=mail, site=site
        )
        return [Signal("domain_mismatch", message)]
    return []


def signals(facts: SignatureFacts) -> list[Signal]:
    """What a moderator should look at before approving this signature; [] when nothing stands out."""
    found = _website_signals(facts.email, facts.website)
    if facts.organizations_for_same_email > 1:
        message = gettext(
            "This email signed for %(count)s organizations",
            count=facts.organizations_for_same_email,
        )
        found.append(Signal("email_many_orgs", message))
    if facts.version_number < facts.current_version_number:
        message = gettext(
            "Signed version %(signed)s; the current text is version %(current)s",
            signed=facts.version_number,
            current=facts.current_version_number,
        )
        found.append(Signal("older_version", message))
    return found
