"""Signs that an organization name is disguised: invisible characters, letters of another script
that look like Latin ones, and other look-alikes."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

# Characters that render as nothing but are not format or control characters.
_FILLERS = frozenset(
    "\N{COMBINING GRAPHEME JOINER}"
    "\N{HANGUL CHOSEONG FILLER}"
    "\N{HANGUL JUNGSEONG FILLER}"
    "\N{KHMER VOWEL INHERENT AQ}"
    "\N{KHMER VOWEL INHERENT AA}"
    "\N{BRAILLE PATTERN BLANK}"
    "\N{HANGUL FILLER}"
    "\N{HALFWIDTH HANGUL FILLER}"
)
_ORDINARY_WHITESPACE = frozenset("\t\n\r")
_ZWNJ = "\N{ZERO WIDTH NON-JOINER}"
_ZWJ = "\N{ZERO WIDTH JOINER}"
# Scripts whose spelling uses the zero width (non-)joiner: Persian, Urdu, Hindi, Sinhala ...
_JOINING_SCRIPTS = frozenset(
    {
        "ARABIC",
        "SYRIAC",
        "NKO",
        "MANDAIC",
        "MONGOLIAN",
        "DEVANAGARI",
        "BENGALI",
        "GURMUKHI",
        "GUJARATI",
        "ORIYA",
        "TAMIL",
        "TELUGU",
        "KANNADA",
        "MALAYALAM",
        "SINHALA",
        "MYANMAR",
        "KHMER",
    }
)
# The tags after a black flag that make it England's, Scotland's or Wales's flag.
_SUBDIVISION_FLAG = re.compile(
    "\N{WAVING BLACK FLAG}([\U000e0030-\U000e0039\U000e0061-\U000e007a]{3,7}\N{CANCEL TAG})"
)

# Scripts that share a word in ordinary writing (Unicode TR 39, "highly restrictive").
_SCRIPT_COMBINATIONS = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
# Letters whose names do not start with their script's.
_SCRIPT_ALIASES = {"KATAKANA-HIRAGANA": "KATAKANA", "IDEOGRAPHIC": "CJK"}
_WORD_INTERNAL = frozenset(".'\N{RIGHT SINGLE QUOTATION MARK}\N{MIDDLE DOT}")

# Letters of other scripts that pass for Latin ones, with the Latin letter each imitates.
_HOMOGLYPHS = {
    "\N{CYRILLIC SMALL LETTER A}": "a",
    "\N{CYRILLIC SMALL LETTER A WITH DIAERESIS}": "\N{LATIN SMALL LETTER A WITH DIAERESIS}",
    "\N{CYRILLIC SMALL LETTER IE}": "e",
    "\N{CYRILLIC SMALL LETTER IO}": "\N{LATIN SMALL LETTER E WITH DIAERESIS}",
    "\N{CYRILLIC SMALL LETTER O}": "o",
    "\N{CYRILLIC SMALL LETTER O WITH DIAERESIS}": "\N{LATIN SMALL LETTER O WITH DIAERESIS}",
    "\N{CYRILLIC SMALL LETTER ER}": "p",
    "\N{CYRILLIC SMALL LETTER ES}": "c",
    "\N{CYRILLIC SMALL LETTER U}": "y",
    "\N{CYRILLIC SMALL LETTER STRAIGHT U}": "y",
    "\N{CYRILLIC SMALL LETTER HA}": "x",
    "\N{CYRILLIC SMALL LETTER DZE}": "s",
    "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}": "i",
    "\N{CYRILLIC SMALL LETTER YI}": "\N{LATIN SMALL LETTER I WITH DIAERESIS}",
    "\N{CYRILLIC SMALL LETTER JE}": "j",
    "\N{CYRILLIC SMALL LETTER KOMI DE}": "d",
    "\N{CYRILLIC SMALL LETTER QA}": "q",
    "\N{CYRILLIC SMALL LETTER WE}": "w",
    "\N{CYRILLIC SMALL LETTER SHHA}": "h",
    "\N{CYRILLIC SMALL LETTER PALOCHKA}": "l",
    "\N{CYRILLIC CAPITAL LETTER A}": "A",
    "\N{CYRILLIC CAPITAL LETTER VE}": "B",
    "\N{CYRILLIC CAPITAL LETTER IE}": "E",
    "\N{CYRILLIC CAPITAL LETTER IO}": "\N{LATIN CAPITAL LETTER E WITH DIAERESIS}",
    "\N{CYRILLIC CAPITAL LETTER KA}": "K",
    "\N{CYRILLIC CAPITAL LETTER EM}": "M",
    "\N{CYRILLIC CAPITAL LETTER EN}": "H",
    "\N{CYRILLIC CAPITAL LETTER O}": "O",
    "\N{CYRILLIC CAPITAL LETTER ER}": "P",
    "\N{CYRILLIC CAPITAL LETTER ES}": "C",
    "\N{CYRILLIC CAPITAL LETTER TE}": "T",
    "\N{CYRILLIC CAPITAL LETTER HA}": "X",
    "\N{CYRILLIC CAPITAL LETTER DZE}": "S",
    "\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}": "I",
    "\N{CYRILLIC CAPITAL LETTER YI}": "\N{LATIN CAPITAL LETTER I WITH DIAERESIS}",
    "\N{CYRILLIC CAPITAL LETTER JE}": "J",
    "\N{CYRILLIC CAPITAL LETTER QA}": "Q",
    "\N{CYRILLIC CAPITAL LETTER WE}": "W",
    "\N{CYRILLIC CAPITAL LETTER SHHA}": "h",
    "\N{CYRILLIC CAPITAL LETTER STRAIGHT U}": "Y",
    "\N{CYRILLIC LETTER PALOCHKA}": "I",
    "\N{GREEK SMALL LETTER ALPHA}": "a",
    "\N{GREEK SMALL LETTER ALPHA WITH TONOS}": "\N{LATIN SMALL LETTER A WITH ACUTE}",
    "\N{GREEK SMALL LETTER GAMMA}": "y",
    "\N{GREEK SMALL LETTER ETA}": "n",
    "\N{GREEK SMALL LETTER IOTA}": "i",
    "\N{GREEK SMALL LETTER KAPPA}": "k",
    "\N{GREEK SMALL LETTER NU}": "v",
    "\N{GREEK SMALL LETTER OMICRON}": "o",
    "\N{GREEK SMALL LETTER OMICRON WITH TONOS}": "\N{LATIN SMALL LETTER O WITH ACUTE}",
    "\N{GREEK SMALL LETTER RHO}": "p",
    "\N{GREEK SMALL LETTER TAU}": "t",
    "\N{GREEK SMALL LETTER UPSILON}": "u",
    "\N{GREEK SMALL LETTER CHI}": "x",
    "\N{GREEK LUNATE SIGMA SYMBOL}": "c",
    "\N{GREEK LETTER YOT}": "j",
    "\N{GREEK CAPITAL LETTER ALPHA}": "A",
    "\N{GREEK CAPITAL LETTER BETA}": "B",
    "\N{GREEK CAPITAL LETTER EPSILON}": "E",
    "\N{GREEK CAPITAL LETTER ZETA}": "Z",
    "\N{GREEK CAPITAL LETTER ETA}": "H",
    "\N{GREEK CAPITAL LETTER IOTA}": "I",
    "\N{GREEK CAPITAL LETTER KAPPA}": "K",
    "\N{GREEK CAPITAL LETTER MU}": "M",
    "\N{GREEK CAPITAL LETTER NU}": "N",
    "\N{GREEK CAPITAL LETTER OMICRON}": "O",
    "\N{GREEK CAPITAL LETTER RHO}": "P",
    "\N{GREEK CAPITAL LETTER TAU}": "T",
    "\N{GREEK CAPITAL LETTER UPSILON}": "Y",
    "\N{GREEK CAPITAL LETTER CHI}": "X",
    "\N{GREEK CAPITAL LUNATE SIGMA SYMBOL}": "C",
    "\N{GREEK CAPITAL LETTER YOT}": "J",
    "\N{ARMENIAN SMALL LETTER OH}": "o",
    "\N{ARMENIAN SMALL LETTER SEH}": "u",
    "\N{ARMENIAN SMALL LETTER HO}": "h",
    "\N{ARMENIAN SMALL LETTER VO}": "n",
    "\N{ARMENIAN SMALL LETTER ZA}": "q",
    "\N{ARMENIAN SMALL LETTER CO}": "g",
    "\N{ARMENIAN CAPITAL LETTER OH}": "O",
    "\N{ARMENIAN CAPITAL LETTER SEH}": "U",
    "\N{CHEROKEE LETTER GO}": "A",
    "\N{CHEROKEE LETTER YV}": "B",
    "\N{CHEROKEE LETTER TLI}": "C",
    "\N{CHEROKEE LETTER A}": "D",
    "\N{CHEROKEE LETTER GV}": "E",
    "\N{CHEROKEE LETTER NAH}": "G",
    "\N{CHEROKEE LETTER MI}": "H",
    "\N{CHEROKEE LETTER TSO}": "K",
    "\N{CHEROKEE LETTER TLE}": "L",
    "\N{CHEROKEE LETTER LU}": "M",
    "\N{CHEROKEE LETTER TLV}": "P",
    "\N{CHEROKEE LETTER E}": "R",
    "\N{CHEROKEE LETTER DU}": "S",
    "\N{CHEROKEE LETTER I}": "T",
    "\N{CHEROKEE LETTER DO}": "V",
    "\N{CHEROKEE LETTER LA}": "W",
    "\N{CHEROKEE LETTER NO}": "Z",
    "\N{LATIN SMALL LETTER SCRIPT G}": "g",
    "\N{LATIN SMALL LETTER ALPHA}": "a",
}
_FULLWIDTH_LATIN = range(0xFF21, 0xFF5B)
_MATH_ALPHANUMERICS = range(0x1D400, 0x1D800)
_LETTERLIKE_SYMBOLS = range(0x2100, 0x2150)
# Letterlike symbols that are emoji or do not read as a letter in a name.
_NOT_LOOKALIKES = frozenset("\N{INFORMATION SOURCE}")


@dataclass(frozen=True)
class NameFlag:
    code: str
    message: str


# --- organization names -----------------------------------------------------------------------


def _character_name(ch: str) -> str:
    """Control characters have no Unicode name, so they are named by code point."""
    return unicodedata.name(ch, "") or f"CONTROL CHARACTER U+{ord(ch):04X}"


def _is_invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category in ("Cf", "Zl", "Zp"):
        return True
    if category == "Cc":
        return ch not in _ORDINARY_WHITESPACE
    return ch in _FILLERS


def _name_script(ch: str) -> str:
    """'CYRILLIC SMALL LETTER IE' is written in 'CYRILLIC'."""
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(first, first)


def _script(ch: str) -> str | None:
    """The script of a letter, with fullwidth and mathematical forms counted as the letter they
    are a form of; None for what belongs to no script: digits, punctuation, symbols, accents,
    modifier letters such as the Hawaiian okina."""
    if not unicodedata.category(ch).startswith("L") or _is_invisible(ch):
        return None
    base = next((c for c in unicodedata.normalize("NFKC", ch) if c.isalpha()), ch)
    script = _name_script(base)
    return None if script in ("", "MODIFIER") else script


def _is_emoji_part(ch: str) -> bool:
    return (
        unicodedata.category(ch) == "So"
        or ch == "\N{VARIATION SELECTOR-16}"
        or unicodedata.name(ch, "").startswith("EMOJI MODIFIER")
    )


def _joins(before: str, joiner: str, after: str) -> bool:
    """A joiner between emoji (the rainbow flag is a white flag, a joiner and a rainbow) or
    inside a Persian or Hindi word is part of the spelling."""
    if joiner == _ZWJ and _is_emoji_part(before) and unicodedata.category(after) == "So":
        return True
    if {unicodedata.category(before)[0], unicodedata.category(after)[0]} - {"L", "M"}:
        return False
    script = _name_script(before)
    return script in _JOINING_SCRIPTS and _name_script(after) == script


def _spelling_positions(name: str) -> set[int]:
    """Positions of invisible characters that belong to ordinary writing: joiners in emoji and in
    scripts that need them, and the tags of a subdivision flag such as Wales's."""
    found = {pos for match in _SUBDIVISION_FLAG.finditer(name) for pos in range(*match.span(1))}
    for pos in range(1, len(name) - 1):
        if name[pos] in (_ZWNJ, _ZWJ) and _joins(name[pos - 1], name[pos], name[pos + 1]):
            found.add(pos)
    return found


def _invisible_characters(name: str) -> list[str]:
    spelling = _spelling_positions(name)
    found = (ch for pos, ch in enumerate(name) if pos not in spelling and _is_invisible(ch))
    return list(dict.fromkeys(found))


def _words(name: str) -> Iterator[list[str]]:
    """Runs of letters, marks and digits, kept together across apostrophes, dots and invisible
    characters; spaces, hyphens, slashes and other punctuation end a word."""
    word: list[str] = []
    for ch in name:
        if unicodedata.category(ch)[0] in "LMN" or ch in _WORD_INTERNAL or _is_invisible(ch):
            word.append(ch)
        elif word:
            yield word
            word = []
    if word:
        yield word


def _compatible(a: str, b: str) -> bool:
    return a == b or any({a, b} <= allowed for allowed in _SCRIPT_COMBINATIONS)


def _mixed_script_letters(name: str) -> list[tuple[str, str]]:
    """Each letter that is foreign to the script of the word it sits in, with that script."""
    found: dict[tuple[str, str], None] = {}
    for word in _words(name):
        letters = [(ch, script) for ch in word if (script := _script(ch))]
        counts = Counter(script for _, script in letters)
        if len(counts) < 2:
            continue
        base = counts.most_common(1)[0][0]
        for ch, script in letters:
            if not _compatible(script, base):
                found[ch, base] = None
    return list(found)


def _imitated_letter(ch: str) -> str:
    """The Latin letter ch passes for, or '' when it is no disguise."""
    if ch in _HOMOGLYPHS:
        return _HOMOGLYPHS[ch]
    if ch == "\N{ESTIMATED SYMBOL}":
        return "e"
    point = ord(ch)
    folded = unicodedata.normalize("NFKC", ch)
    if folded == ch or ch in _NOT_LOOKALIKES:
        return ""
    if point in _MATH_ALPHANUMERICS:
        return _HOMOGLYPHS.get(folded, folded)
    if point in _FULLWIDTH_LATIN or point in _LETTERLIKE_SYMBOLS:
        return folded if len(folded) == 1 and folded.isascii() and folded.isalpha() else ""
    return ""


def _lookalikes(name: str) -> dict[str, str]:
    """Disguised letters, each with the letter it imitates, in a name otherwise written in Latin
    letters; a name that also has ordinary letters of another script is left to mixed scripts."""
    found = {ch: like for ch in name if (like := _imitated_letter(ch))}
    if not found:
        return {}
    others = {_script(ch) for ch in name if ch not in found}
    if others - {"LATIN", None}:
        return {}
    return found if any(_script(ch) == "LATIN" for ch in name) else {}


def _label(script: str) -> str:
    return "Han" if script == "CJK" else script.title()


def name_flags(name: str) -> list[NameFlag]:
    """What in an organization name, as the signer typed it, suggests someone passing for another
    organization or dodging a duplicate check; [] for an ordinary name in any script."""
    if name.isascii() and name.isprintable():
        return []  # Latin letters, digits, spaces and punctuation: nothing to hide or imitate
    return _flags(name)


def _flags(name: str) -> list[NameFlag]:
    flags = []
    invisible = _invisible_characters(name)
    if invisible:
        message = f"Contains invisible characters: {', '.join(map(_character_name, invisible))}"
        flags.append(NameFlag("invisible_characters", message))
    mixed = _mixed_script_letters(name)
    if mixed:
        letters = ", ".join(
            f"{_character_name(ch)} among {_label(base)} letters" for ch, base in mixed
        )
        flags.append(NameFlag("mixed_scripts", f"Mixes scripts within a word: {letters}"))
    lookalikes = _lookalikes(name)
    if lookalikes:
        letters = ", ".join(
            f"{_character_name(ch)} (like “{like}”)" for ch, like in lookalikes.items()
        )
        flags.append(NameFlag("lookalike_characters", f"Imitates Latin letters: {letters}"))
    return flags
