"""Throwaway email domains and disguised organization names: what moderators are warned about."""

from __future__ import annotations

import re
import unicodedata

import pytest

from signon.services import suspicion
from signon.services.disposable import DISPOSABLE_DOMAINS, is_disposable
from signon.services.domains import FREE_MAIL_DOMAINS
from signon.services.suspicion import NameFlag, name_flags

CYRILLIC_E = "\N{CYRILLIC SMALL LETTER IE}"
CYRILLIC_ES = "\N{CYRILLIC CAPITAL LETTER ES}"


def codes(name: str) -> list[str]:
    return [flag.code for flag in name_flags(name)]


def message(name: str, code: str) -> str:
    return next(flag.message for flag in name_flags(name) if flag.code == code)


# --- disposable domains -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "mailinator.com",
        "guerrillamail.com",
        "guerrillamail.de",
        "sharklasers.com",
        "10minutemail.com",
        "temp-mail.org",
        "yopmail.com",
        "trashmail.com",
        "trashmail.de",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
    ],
)
def test_well_known_throwaway_domains_are_disposable(domain: str) -> None:
    assert is_disposable(domain)


def test_disposable_ignores_case_surrounding_space_and_a_trailing_dot() -> None:
    assert is_disposable("MailInator.COM")
    assert is_disposable("  yopmail.com. ")


def test_subdomains_of_a_disposable_domain_are_disposable() -> None:
    assert is_disposable("inbox.mailinator.com")
    assert is_disposable("a.b.Sharklasers.com")


def test_a_whole_address_is_judged_by_its_domain() -> None:
    assert is_disposable("jane@mailinator.com")
    assert not is_disposable("mailinator.com@aclu.org")


@pytest.mark.parametrize(
    "domain",
    [
        "aclu.org",
        "gmail.com",
        "mailinator.com.au",
        "notreallymailinator.com",
        "mailinator",
        "com",
        "",
        "   ",
    ],
)
def test_ordinary_and_lookalike_domains_are_not_disposable(domain: str) -> None:
    assert not is_disposable(domain)


def test_the_disposable_list_is_large_and_well_formed() -> None:
    assert len(DISPOSABLE_DOMAINS) >= 150
    host = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
    assert all(host.match(domain) for domain in DISPOSABLE_DOMAINS)


def test_free_mail_providers_are_not_called_disposable() -> None:
    assert not DISPOSABLE_DOMAINS & FREE_MAIL_DOMAINS


# --- ordinary names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Amnesty International",
        "American Civil Liberties Union",
        "Friends of the Earth & Co. (UK), Ltd.",
        "SEIU Local 1199",
        "O'Brien-Smith Foundation / Fundación #2",
        "Médecins Sans Frontières",
        "Bündnis für Gerechtigkeit",
        "Fundación Niñez",
        "Fundacja Łódź",
        "Grønn Fremtid",
        "İnsan Haklar\N{LATIN SMALL LETTER DOTLESS I} Derneği I\N{LATIN SMALL LETTER S WITH CEDILLA}\N{LATIN SMALL LETTER DOTLESS I}k",
        "Hui Mālama i nā Kūpuna",
        "Sindicato 1\N{MASCULINE ORDINAL INDICATOR} de Mayo",
        "Brand\N{TRADE MARK SIGN} c/o Partners",
        "Climate \N{EARTH GLOBE EUROPE-AFRICA} Action",
        "",
    ],
)
def test_ordinary_latin_names_are_not_flagged(name: str) -> None:
    assert name_flags(name) == []


def test_names_of_printable_ascii_alone_are_read_by_the_full_check_as_ordinary() -> None:
    """name_flags() answers such names at once; the full check agrees on every character and on
    names of them, and knows no ASCII character as an imitation."""
    printable = [chr(point) for point in range(0x20, 0x7F)]
    names = [*printable, "".join(printable), "".join(reversed(printable)), "a.b'c d-e/f 1"]
    assert all(suspicion._flags(name) == [] for name in names)
    assert not [ch for ch in suspicion._HOMOGLYPHS if ch.isascii()]
    assert name_flags("Tab\there") == suspicion._flags("Tab\there")  # not printable: checked
    assert name_flags("Zero\x00Byte") != []


@pytest.mark.parametrize(
    "name",
    [
        "\N{CYRILLIC CAPITAL LETTER EM}\N{CYRILLIC SMALL LETTER IE}\N{CYRILLIC SMALL LETTER EM}"
        "\N{CYRILLIC SMALL LETTER O}\N{CYRILLIC SMALL LETTER ER}\N{CYRILLIC SMALL LETTER I}"
        "\N{CYRILLIC SMALL LETTER A}\N{CYRILLIC SMALL LETTER EL}",
        "\N{GREEK CAPITAL LETTER EPSILON}\N{GREEK SMALL LETTER LAMDA}\N{GREEK SMALL LETTER LAMDA}"
        "\N{GREEK SMALL LETTER ETA}\N{GREEK SMALL LETTER NU}\N{GREEK SMALL LETTER IOTA}"
        "\N{GREEK SMALL LETTER KAPPA}\N{GREEK SMALL LETTER ETA WITH TONOS} "
        "\N{GREEK CAPITAL LETTER EPSILON WITH TONOS}\N{GREEK SMALL LETTER NU}"
        "\N{GREEK SMALL LETTER OMEGA}\N{GREEK SMALL LETTER SIGMA}\N{GREEK SMALL LETTER ETA}",
        "منظمة العفو الدولية",
        "אמנסטי אינטרנשיונל",
        "アムネスティ・インターナショナル日本",
        "国际特赦组织",
        "국제앰네스티 한국지부",
        "मानवाधिकार संगठन",
    ],
)
def test_names_written_wholly_in_another_script_are_not_flagged(name: str) -> None:
    assert name_flags(name) == []


def test_a_russian_name_made_only_of_latin_lookalikes_is_not_flagged() -> None:
    ussr = "\N{CYRILLIC CAPITAL LETTER ES}" * 3 + "\N{CYRILLIC CAPITAL LETTER ER}"
    assert name_flags(ussr) == []


def test_bilingual_names_with_each_word_in_one_script_are_not_flagged() -> None:
    amnistiya = (
        "\N{CYRILLIC CAPITAL LETTER A}\N{CYRILLIC SMALL LETTER EM}\N{CYRILLIC SMALL LETTER EN}"
        "\N{CYRILLIC SMALL LETTER I}\N{CYRILLIC SMALL LETTER ES}\N{CYRILLIC SMALL LETTER TE}"
        "\N{CYRILLIC SMALL LETTER I}\N{CYRILLIC SMALL LETTER YA}"
    )
    assert name_flags(f"Amnesty {amnistiya}") == []
    assert name_flags(f"Amnesty International ({amnistiya})") == []
    assert name_flags(f"Amnesty-{amnistiya}") == []
    assert name_flags("Amnesty International منظمة العفو الدولية") == []


def test_japanese_and_korean_words_may_mix_their_scripts_with_latin() -> None:
    assert (
        name_flags("T\N{KATAKANA LETTER SI}\N{KATAKANA LETTER SMALL YA}\N{KATAKANA LETTER TU}協会")
        == []
    )
    assert name_flags("NPO法人アムネスティ") == []
    assert name_flags("Amnesty한국") == []


def test_fullwidth_latin_in_a_japanese_name_is_not_flagged() -> None:
    npo = "\N{FULLWIDTH LATIN CAPITAL LETTER N}\N{FULLWIDTH LATIN CAPITAL LETTER P}\N{FULLWIDTH LATIN CAPITAL LETTER O}"
    assert name_flags(f"{npo}法人アムネスティ") == []


def test_joiners_that_are_part_of_the_spelling_are_not_flagged() -> None:
    persian = "حقوق\N{ZERO WIDTH NON-JOINER}بشر"
    hindi = "\N{DEVANAGARI LETTER KA}\N{DEVANAGARI SIGN VIRAMA}\N{ZERO WIDTH JOINER}\N{DEVANAGARI LETTER SSA}"
    assert name_flags(persian) == []
    assert name_flags(hindi) == []


def test_emoji_sequences_are_not_flagged() -> None:
    rainbow = "\N{WAVING WHITE FLAG}\N{VARIATION SELECTOR-16}\N{ZERO WIDTH JOINER}\N{RAINBOW}"
    coder = (
        "\N{WOMAN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4}\N{ZERO WIDTH JOINER}\N{PERSONAL COMPUTER}"
    )
    wales = (
        "\N{WAVING BLACK FLAG}" + "".join(chr(0xE0000 + ord(c)) for c in "gbwls") + "\N{CANCEL TAG}"
    )
    assert name_flags(f"Pride {rainbow} Alliance") == []
    assert name_flags(f"{coder} Coders for Justice") == []
    assert name_flags(f"Wales {wales} Trust") == []
    assert name_flags("Info \N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16} Centre") == []


def test_ordinary_whitespace_is_not_invisible() -> None:
    assert name_flags("Amnesty\tInternational\r\nUK") == []
    assert name_flags("Amnesty\N{NO-BREAK SPACE}International") == []


# --- invisible characters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "hidden",
    [
        "\N{ZERO WIDTH SPACE}",
        "\N{ZERO WIDTH NON-JOINER}",
        "\N{ZERO WIDTH JOINER}",
        "\N{LEFT-TO-RIGHT MARK}",
        "\N{RIGHT-TO-LEFT MARK}",
        "\N{SOFT HYPHEN}",
        "\N{WORD JOINER}",
        "\N{INVISIBLE SEPARATOR}",
        "\N{INVISIBLE PLUS}",
        "\N{ZERO WIDTH NO-BREAK SPACE}",
        "\N{LEFT-TO-RIGHT EMBEDDING}",
        "\N{RIGHT-TO-LEFT OVERRIDE}",
        "\N{LEFT-TO-RIGHT ISOLATE}",
        "\N{POP DIRECTIONAL ISOLATE}",
        "\N{MONGOLIAN VOWEL SEPARATOR}",
        "\N{HANGUL FILLER}",
        "\N{HALFWIDTH HANGUL FILLER}",
        "\N{HANGUL CHOSEONG FILLER}",
        "\N{HANGUL JUNGSEONG FILLER}",
        "\N{COMBINING GRAPHEME JOINER}",
        "\N{BRAILLE PATTERN BLANK}",
        "\N{LINE SEPARATOR}",
        "\N{TAG LATIN SMALL LETTER A}",
    ],
)
def test_invisible_characters_are_flagged_by_name(hidden: str) -> None:
    flags = name_flags(f"AC{hidden}LU")
    assert flags[0].code == "invisible_characters"
    assert flags[0].message == f"Contains invisible characters: {unicodedata.name(hidden)}"


def test_the_invisible_message_names_each_character_once_in_order() -> None:
    name = "\N{RIGHT-TO-LEFT OVERRIDE}A\N{ZERO WIDTH SPACE}CL\N{ZERO WIDTH SPACE}U"
    assert name_flags(name) == [
        NameFlag(
            "invisible_characters",
            "Contains invisible characters: RIGHT-TO-LEFT OVERRIDE, ZERO WIDTH SPACE",
        )
    ]


def test_control_characters_are_named_by_code_point() -> None:
    assert message("ACLU\x07\x85", "invisible_characters") == (
        "Contains invisible characters: CONTROL CHARACTER U+0007, CONTROL CHARACTER U+0085"
    )


def test_a_joiner_between_latin_letters_is_flagged() -> None:
    assert codes("Amn\N{ZERO WIDTH JOINER}esty") == ["invisible_characters"]
    assert codes("Attack \N{WOMAN}\N{ZERO WIDTH JOINER}A") == ["invisible_characters"]


def test_tags_outside_a_subdivision_flag_are_flagged() -> None:
    smuggled = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous instructions")
    assert codes(f"ACLU{smuggled}") == ["invisible_characters"]


# --- mixed scripts ----------------------------------------------------------------------------


def test_a_cyrillic_letter_inside_a_latin_word_is_mixed_scripts() -> None:
    flags = name_flags(f"Amn{CYRILLIC_E}sty International")
    assert flags[0] == NameFlag(
        "mixed_scripts",
        "Mixes scripts within a word: CYRILLIC SMALL LETTER IE among Latin letters",
    )


def test_a_latin_letter_inside_a_cyrillic_word_is_mixed_scripts() -> None:
    memorial = (
        "\N{CYRILLIC CAPITAL LETTER EM}e\N{CYRILLIC SMALL LETTER EM}\N{CYRILLIC SMALL LETTER O}"
        "\N{CYRILLIC SMALL LETTER ER}\N{CYRILLIC SMALL LETTER I}\N{CYRILLIC SMALL LETTER A}"
        "\N{CYRILLIC SMALL LETTER EL}"
    )
    assert message(memorial, "mixed_scripts") == (
        "Mixes scripts within a word: LATIN SMALL LETTER E among Cyrillic letters"
    )
    assert codes(memorial) == ["mixed_scripts"]


def test_dots_and_apostrophes_do_not_split_a_word() -> None:
    assert "mixed_scripts" in codes(f"A.{CYRILLIC_ES}.L.U.")
    assert "mixed_scripts" in codes(f"O'Br{CYRILLIC_E}n Trust")


def test_digits_and_accents_are_script_neutral() -> None:
    assert name_flags("Local1199 Café") == []
    assert name_flags("Cafe\N{COMBINING ACUTE ACCENT} Mu\N{COMBINING DIAERESIS}ller") == []


def test_greek_and_armenian_letters_inside_latin_words_are_mixed() -> None:
    assert "mixed_scripts" in codes("Gr\N{GREEK SMALL LETTER OMICRON}enpeace")
    assert "mixed_scripts" in codes("Gr\N{ARMENIAN SMALL LETTER OH}enpeace")


def test_each_mixed_letter_is_named_once() -> None:
    name = f"Gr{CYRILLIC_E}{CYRILLIC_E}np{CYRILLIC_E}ace Fri{CYRILLIC_E}nds"
    assert message(name, "mixed_scripts") == (
        "Mixes scripts within a word: CYRILLIC SMALL LETTER IE among Latin letters"
    )


# --- lookalike characters ---------------------------------------------------------------------


def test_cyrillic_lookalikes_in_a_latin_name_are_named_with_the_letter_they_imitate() -> None:
    name = f"{CYRILLIC_ES}LU"
    assert name_flags(name) == [
        NameFlag(
            "mixed_scripts",
            "Mixes scripts within a word: CYRILLIC CAPITAL LETTER ES among Latin letters",
        ),
        NameFlag(
            "lookalike_characters", "Imitates Latin letters: CYRILLIC CAPITAL LETTER ES (like “C”)"
        ),
    ]


def test_a_whole_word_of_lookalikes_in_a_latin_name_is_still_flagged() -> None:
    abc = (
        "\N{CYRILLIC CAPITAL LETTER A}\N{CYRILLIC CAPITAL LETTER VE}\N{CYRILLIC CAPITAL LETTER ES}"
    )
    assert name_flags(f"{abc} Foundation") == [
        NameFlag(
            "lookalike_characters",
            "Imitates Latin letters: CYRILLIC CAPITAL LETTER A (like “A”), "
            "CYRILLIC CAPITAL LETTER VE (like “B”), CYRILLIC CAPITAL LETTER ES (like “C”)",
        )
    ]


@pytest.mark.parametrize(
    ("disguised", "character"),
    [
        ("\N{FULLWIDTH LATIN CAPITAL LETTER A}CLU", "FULLWIDTH LATIN CAPITAL LETTER A (like “A”)"),
        ("Amnest\N{FULLWIDTH LATIN SMALL LETTER Y}", "FULLWIDTH LATIN SMALL LETTER Y (like “y”)"),
        ("\N{MATHEMATICAL BOLD CAPITAL A}CLU", "MATHEMATICAL BOLD CAPITAL A (like “A”)"),
        (
            "Loca\N{MATHEMATICAL SANS-SERIF SMALL L} 1199",
            "MATHEMATICAL SANS-SERIF SMALL L (like “l”)",
        ),
        ("Local \N{MATHEMATICAL BOLD DIGIT ONE}199", "MATHEMATICAL BOLD DIGIT ONE (like “1”)"),
        ("\N{SCRIPT SMALL L}ocal", "SCRIPT SMALL L (like “l”)"),
        ("\N{PLANCK CONSTANT}umane Society", "PLANCK CONSTANT (like “h”)"),
        ("\N{SCRIPT SMALL G}reenpeace", "SCRIPT SMALL G (like “g”)"),
        ("Gr\N{ESTIMATED SYMBOL}enpeace", "ESTIMATED SYMBOL (like “e”)"),
        ("\N{KELVIN SIGN}ids First", "KELVIN SIGN (like “K”)"),
        ("Gr\N{CYRILLIC SMALL LETTER IE}enpeace", "CYRILLIC SMALL LETTER IE (like “e”)"),
        (
            "Oxfam \N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}nternational",
            "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I (like “i”)",
        ),
        ("Sierra Club \N{CYRILLIC SMALL LETTER JE}ustice", "CYRILLIC SMALL LETTER JE (like “j”)"),
        ("Goo\N{CYRILLIC SMALL LETTER KOMI DE}will", "CYRILLIC SMALL LETTER KOMI DE (like “d”)"),
        ("\N{LATIN SMALL LETTER SCRIPT G}reenpeace", "LATIN SMALL LETTER SCRIPT G (like “g”)"),
        ("Cl\N{GREEK SMALL LETTER OMICRON}se the Camps", "GREEK SMALL LETTER OMICRON (like “o”)"),
        ("Ch\N{GREEK SMALL LETTER ALPHA}nge.org", "GREEK SMALL LETTER ALPHA (like “a”)"),
        ("Sa\N{GREEK SMALL LETTER NU}e the Children", "GREEK SMALL LETTER NU (like “v”)"),
        ("S\N{GREEK SMALL LETTER RHO}lc", "GREEK SMALL LETTER RHO (like “p”)"),
        ("Sta\N{GREEK SMALL LETTER TAU}e Alliance", "GREEK SMALL LETTER TAU (like “t”)"),
    ],
)
def test_lookalike_characters_are_named_with_the_letter_they_imitate(
    disguised: str, character: str
) -> None:
    assert message(disguised, "lookalike_characters") == f"Imitates Latin letters: {character}"


def test_a_name_entirely_in_fullwidth_or_mathematical_letters_is_flagged() -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "ACLU")
    assert codes(fullwidth) == ["lookalike_characters"]
    assert codes("\N{MATHEMATICAL BOLD CAPITAL A}\N{MATHEMATICAL BOLD CAPITAL C}") == [
        "lookalike_characters"
    ]


def test_lookalikes_are_not_flagged_when_the_name_also_has_ordinary_foreign_letters() -> None:
    # The Cyrillic "a" and "o" belong to the Russian word, which has letters no Latin one resembles.
    mir = "\N{CYRILLIC SMALL LETTER EM}\N{CYRILLIC SMALL LETTER I}\N{CYRILLIC SMALL LETTER ER}"
    assert name_flags(f"Peace {mir}") == []


def test_ordinary_symbols_from_the_letterlike_block_are_not_lookalikes() -> None:
    assert name_flags("Climate\N{TRADE MARK SIGN} Action c/o \N{NUMERO SIGN}1") == []
    assert name_flags("Freezing at 0\N{DEGREE CELSIUS}") == []


# --- all together -----------------------------------------------------------------------------


def test_flags_come_in_a_fixed_order_each_at_most_once() -> None:
    name = (
        f"\N{ZERO WIDTH SPACE}Amn{CYRILLIC_E}sty \N{RIGHT-TO-LEFT OVERRIDE}"
        f"Gr{CYRILLIC_E}enpeace \N{FULLWIDTH LATIN CAPITAL LETTER A}CLU"
    )
    assert codes(name) == ["invisible_characters", "mixed_scripts", "lookalike_characters"]
    assert message(name, "lookalike_characters") == (
        "Imitates Latin letters: CYRILLIC SMALL LETTER IE (like “e”), "
        "FULLWIDTH LATIN CAPITAL LETTER A (like “A”)"
    )


def test_flags_are_frozen() -> None:
    flag = NameFlag("mixed_scripts", "x")
    with pytest.raises(AttributeError):
        flag.code = "other"  # type: ignore[misc]
