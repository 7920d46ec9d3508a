"""Likely duplicate signatories and per-signature signals: the hints moderators act on."""

from __future__ import annotations

import gc
import time

import pytest

from signon.services.domains import (
    FREE_MAIL_DOMAINS,
    email_domain,
    is_free_mail,
    same_site,
    website_domain,
)
from signon.services.duplicates import (
    DuplicateGroup,
    Signal,
    SignatoryFacts,
    SignatureFacts,
    likely_duplicates,
    signals,
)


def org(
    id: int,
    name: str,
    *,
    typed: tuple[str, ...] = (),
    website: str = "",
    emails: tuple[str, ...] = (),
) -> SignatoryFacts:
    return SignatoryFacts(
        id=id, display_name=name, typed_names=typed, website=website, email_domains=emails
    )


def signature(
    *,
    email: str = "jane@aclu.org",
    website: str = "https://www.aclu.org",
    version: int = 2,
    current: int = 2,
    organizations: int = 1,
) -> SignatureFacts:
    return SignatureFacts(
        email=email,
        organization="ACLU",
        website=website,
        version_number=version,
        current_version_number=current,
        organizations_for_same_email=organizations,
    )


# --- names ------------------------------------------------------------------------------------


def test_punctuation_case_and_leading_the_do_not_hide_the_same_name() -> None:
    groups = likely_duplicates([org(3, "The ACLU"), org(1, "A.C.L.U."), org(2, "aclu")])

    assert groups == [
        DuplicateGroup(
            ids=(1, 2, 3),
            reasons=(
                "Same name once case, punctuation and a leading “The” are ignored: "
                "“The ACLU”, “A.C.L.U.”, “aclu”",
            ),
        )
    ]


def test_a_name_a_signer_typed_links_to_another_signatorys_display_name() -> None:
    groups = likely_duplicates(
        [org(1, "Sierra Club", typed=("Sierra Club Foundation",)), org(2, "Sierra Club Foundation")]
    )

    assert groups == [DuplicateGroup(ids=(1, 2), reasons=("Same name: “Sierra Club Foundation”",))]


def test_names_of_one_signatory_alone_are_not_a_duplicate() -> None:
    assert likely_duplicates([org(1, "ACLU", typed=("A.C.L.U.", "The ACLU"))]) == []


# --- acronyms ---------------------------------------------------------------------------------


def test_a_name_with_a_cyrillic_letter_is_grouped_with_the_real_organization() -> None:
    groups = likely_duplicates(
        [
            org(1, "Amnesty International"),
            org(2, "\N{CYRILLIC CAPITAL LETTER A}mnesty International"),
        ]
    )

    assert groups == [
        DuplicateGroup(
            ids=(1, 2),
            reasons=(
                "Same name once look-alike letters are read as the letters they imitate: "
                "“Amnesty International”, “\N{CYRILLIC CAPITAL LETTER A}mnesty International” "
                "(“\N{CYRILLIC CAPITAL LETTER A}” is Cyrillic Capital Letter A)",
            ),
        )
    ]


@pytest.mark.parametrize(
    "disguised",
    [
        "Amnesty Internati\N{GREEK SMALL LETTER OMICRON}nal",  # Greek small omicron
        "Amnesty Internationa1",  # digit one for l
        "\N{FULLWIDTH LATIN CAPITAL LETTER A}mnesty International",
        "Amnesty \N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}nternational",
        "The Amnesty Internati\N{CYRILLIC SMALL LETTER O}nal",  # and a leading "The"
    ],
)
def test_look_alike_spellings_join_the_real_name(disguised: str) -> None:
    groups = likely_duplicates([org(1, "Amnesty International"), org(2, disguised)])

    assert [group.ids for group in groups] == [(1, 2)]


def test_a_name_typed_with_a_look_alike_links_through_the_typed_names() -> None:
    groups = likely_duplicates(
        [
            org(1, "Amnesty International"),
            org(2, "AI Local", typed=("\N{CYRILLIC CAPITAL LETTER A}mnesty International",)),
            org(3, "Bayview Tenants Union"),
        ]
    )

    assert [group.ids for group in groups] == [(1, 2)]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Bayview Tenants Union", "Bayview Tenant Union"),
        ("Friends of the River", "Friends of the Rivers"),
        ("Local 10 Union", "Local 12 Union"),
        ("Ärzte für Recht", "Anwälte für Recht"),
    ],
)
def test_names_that_differ_in_real_letters_stay_apart(first: str, second: str) -> None:
    assert likely_duplicates([org(1, first), org(2, second)]) == []


def test_initials_match_the_full_name_when_both_signed() -> None:
    groups = likely_duplicates([org(1, "American Civil Liberties Union"), org(2, "ACLU")])

    assert groups == [
        DuplicateGroup(
            ids=(1, 2),
            reasons=("“ACLU” looks like the initials of “American Civil Liberties Union”",),
        )
    ]


def test_initials_skip_small_words_like_for_and_of() -> None:
    groups = likely_duplicates([org(1, "N.O.W."), org(2, "National Organization for Women")])

    assert [g.ids for g in groups] == [(1, 2)]
    assert groups[0].reasons == (
        "“N.O.W.” looks like the initials of “National Organization for Women”",
    )


def test_initials_of_every_word_match_too() -> None:
    groups = likely_duplicates([org(1, "Doctors of the World"), org(2, "DOTW")])

    assert [g.ids for g in groups] == [(1, 2)]


def test_an_acronym_typed_by_a_signer_of_another_signatory_counts() -> None:
    groups = likely_duplicates(
        [
            org(1, "Electronic Frontier Foundation"),
            org(2, "Privacy Coalition", typed=("EFF",)),
        ]
    )

    assert groups == [
        DuplicateGroup(
            ids=(1, 2),
            reasons=("“EFF” looks like the initials of “Electronic Frontier Foundation”",),
        )
    ]


def test_a_signatorys_own_acronym_does_not_link_it_to_anything() -> None:
    items = [org(1, "ACLU", typed=("American Civil Liberties Union",)), org(2, "Sierra Club")]

    assert likely_duplicates(items) == []


def test_a_single_letter_is_never_taken_for_initials() -> None:
    assert likely_duplicates([org(1, "M"), org(2, "On the Move")]) == []


def test_similar_names_with_different_last_words_are_not_linked() -> None:
    items = [org(1, "Center for Democracy"), org(2, "Center for Justice")]

    assert likely_duplicates(items) == []


def test_shared_initials_without_anyone_signing_the_acronym_are_not_linked() -> None:
    items = [org(1, "Center for Democracy"), org(2, "Coalition for Dignity")]

    assert likely_duplicates(items) == []


# --- websites ---------------------------------------------------------------------------------


def test_same_website_domain_links_signatories() -> None:
    groups = likely_duplicates(
        [
            org(1, "American Civil Liberties Union", website="https://www.aclu.org/about"),
            org(2, "Civil Liberties Union", website="http://ACLU.org"),
        ]
    )

    assert groups == [DuplicateGroup(ids=(1, 2), reasons=("Same website domain: aclu.org",))]


def test_a_website_on_a_subdomain_links_to_its_parent_site() -> None:
    groups = likely_duplicates(
        [
            org(1, "NYCLU", website="https://ny.aclu.org"),
            org(2, "Civil Liberties Union", website="https://www.aclu.org"),
        ]
    )

    assert groups == [
        DuplicateGroup(ids=(1, 2), reasons=("Website ny.aclu.org is part of aclu.org",))
    ]


def test_sibling_subdomains_are_not_linked_to_each_other() -> None:
    items = [
        org(1, "Friends of Parks North", website="https://north.parks.org"),
        org(2, "Friends of Parks South", website="https://south.parks.org"),
    ]

    assert likely_duplicates(items) == []


def test_empty_and_invalid_websites_do_not_link() -> None:
    items = [
        org(1, "Riverkeepers", website=""),
        org(2, "Tenants United", website=""),
        org(3, "Open Books", website="n/a"),
        org(4, "Food First", website="n/a"),
    ]

    assert likely_duplicates(items) == []


def test_pages_on_social_media_do_not_link_different_organizations() -> None:
    items = [
        org(1, "Riverkeepers", website="https://www.facebook.com/riverkeepers"),
        org(2, "Tenants United", website="https://m.facebook.com/tenantsunited"),
    ]

    assert likely_duplicates(items) == []


# --- email domains ----------------------------------------------------------------------------


def test_same_organizational_email_domain_links_signatories() -> None:
    groups = likely_duplicates(
        [
            org(1, "Riverkeepers", emails=("riverkeepers.org",)),
            org(2, "River Keepers Alliance", emails=("gmail.com", "RiverKeepers.org")),
        ]
    )

    assert groups == [DuplicateGroup(ids=(1, 2), reasons=("Same email domain: riverkeepers.org",))]


def test_different_organizations_on_free_mail_are_not_linked() -> None:
    items = [
        org(1, "Riverkeepers", emails=("gmail.com",)),
        org(2, "Tenants United", emails=("gmail.com", "yahoo.co.uk")),
        org(3, "Open Books", emails=("yahoo.co.uk",)),
    ]

    assert likely_duplicates(items) == []


# --- grouping ---------------------------------------------------------------------------------


def test_links_are_transitive_and_each_reason_is_listed_once() -> None:
    items = [
        org(10, "Riverkeepers", website="https://riverkeepers.org"),
        org(20, "River Keepers", website="https://www.riverkeepers.org", emails=("rk.org",)),
        org(30, "RK Alliance", emails=("rk.org",)),
        org(40, "Tenants United"),
        org(50, "RK Alliance", typed=("RK Alliance",)),
    ]

    assert likely_duplicates(items) == [
        DuplicateGroup(
            ids=(10, 20, 30, 50),
            reasons=(
                "Same name: “RK Alliance”",
                "Same website domain: riverkeepers.org",
                "Same email domain: rk.org",
            ),
        )
    ]


def test_groups_come_sorted_by_their_ids() -> None:
    items = [
        org(9, "Tenants United"),
        org(7, "Sierra Club"),
        org(2, "Tenants United"),
        org(5, "Sierra Club"),
    ]

    assert [g.ids for g in likely_duplicates(items)] == [(2, 9), (5, 7)]


def _distinct(count: int) -> list[SignatoryFacts]:
    words = ["Alliance", "Network", "Coalition", "Project", "Fund", "Council", "League", "Center"]
    return [
        org(
            i,
            f"{words[i % 8]} for {words[(i // 8) % 8]} Number {i}",
            typed=(f"The {words[i % 8]} {i}",),
            website=f"https://www.org{i}.example.org/about",
            emails=(f"org{i}.example.net", "gmail.com"),
        )
        for i in range(count)
    ]


def _seconds(items: list[SignatoryFacts]) -> float:
    """CPU time of one grouping, without the garbage collector's pauses, which grow with
    everything else the test process holds and would swamp the comparison."""
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        assert likely_duplicates(items) == []
        return time.process_time() - started
    finally:
        gc.enable()


def test_grouping_grows_linearly_with_the_number_of_signatories() -> None:
    """Ten times the signatories take about ten times as long, never the hundred times of
    comparing every pair. A ratio within one run, since shared machines vary in speed."""
    small = min(_seconds(_distinct(1_000)) for _ in range(3))
    large = min(_seconds(_distinct(10_000)) for _ in range(2))
    assert large < 40 * small, f"10,000 took {large:.2f} s, 1,000 took {small:.3f} s"


# --- domains ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.ACLU.org/about", "aclu.org"),
        ("aclu.org", "aclu.org"),
        ("http://aclu.org:8080/join", "aclu.org"),
        ("  HTTPS://WWW.Example.ORG./  ", "example.org"),
        ("https://ny.aclu.org", "ny.aclu.org"),
        ("https://www.org", "www.org"),
        ("https://bücher.de", "xn--bcher-kva.de"),
        ("https://Bücher\N{FULLWIDTH FULL STOP}de", "xn--bcher-kva.de"),
        ("", ""),
        ("n/a", ""),
        ("not a website", ""),
        ("http://192.168.0.1/", ""),
        ("http://[::1]/", ""),
        ("http://[broken", ""),
        ("https://exa_mple.org", ""),
    ],
)
def test_website_domain(url: str, expected: str) -> None:
    assert website_domain(url) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Jane@ACLU.org", "aclu.org"),
        ("jane@ny.aclu.org.", "ny.aclu.org"),
        ("jane@bücher.de", "xn--bcher-kva.de"),
        ("no-at-sign", ""),
        ("jane@", ""),
        ("", ""),
    ],
)
def test_email_domain(address: str, expected: str) -> None:
    assert email_domain(address) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("aclu.org", "aclu.org", True),
        ("ny.aclu.org", "aclu.org", True),
        ("aclu.org", "ny.aclu.org", True),
        ("ACLU.org", "aclu.org.", True),
        ("notaclu.org", "aclu.org", False),
        ("ny.aclu.org", "ca.aclu.org", False),
        ("", "", False),
        ("aclu.org", "", False),
    ],
)
def test_same_site(a: str, b: str, expected: bool) -> None:
    assert same_site(a, b) is expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", True),
        ("GMail.com", True),
        ("proton.me", True),
        ("gmx.fr", True),
        ("yahoo.co.uk", True),
        ("yandex.com.tr", True),
        ("aclu.org", False),
        ("gmx.riverkeepers.org", False),
        ("", False),
    ],
)
def test_is_free_mail(domain: str, expected: bool) -> None:
    assert is_free_mail(domain) is expected


def test_free_mail_list_covers_the_common_providers() -> None:
    assert {"gmail.com", "outlook.com", "icloud.com", "comcast.net"} <= FREE_MAIL_DOMAINS
    assert len(FREE_MAIL_DOMAINS) >= 40


# --- signals ----------------------------------------------------------------------------------


def test_an_ordinary_signature_raises_no_signal() -> None:
    assert signals(signature()) == []


def test_free_mail_for_an_organization_with_a_website_is_flagged() -> None:
    assert signals(signature(email="jane.doe@gmail.com")) == [
        Signal(
            "free_mail_with_website",
            "Free email address (gmail.com) for an organization with a website (aclu.org)",
        )
    ]


def test_free_mail_without_a_website_is_not_flagged() -> None:
    assert signals(signature(email="jane.doe@gmail.com", website="")) == []


def test_free_mail_with_a_social_media_page_is_not_flagged() -> None:
    assert signals(signature(email="jane@gmail.com", website="facebook.com/riverkeepers")) == []


def test_email_on_another_domain_than_the_website_is_flagged() -> None:
    assert signals(signature(email="jane@example.com")) == [
        Signal("domain_mismatch", "Email domain example.com does not match the website aclu.org")
    ]


def test_email_on_a_subdomain_of_the_website_matches() -> None:
    assert signals(signature(email="jane@ny.aclu.org")) == []


def test_email_without_a_website_is_never_a_mismatch() -> None:
    assert signals(signature(email="jane@example.com", website="")) == []


def test_one_email_signing_for_several_organizations_is_flagged() -> None:
    assert signals(signature(organizations=3)) == [
        Signal("email_many_orgs", "This email signed for 3 organizations")
    ]


def test_a_signature_on_an_older_text_is_flagged() -> None:
    assert signals(signature(version=1, current=3)) == [
        Signal("older_version", "Signed version 1; the current text is version 3")
    ]


def test_signals_come_together_in_a_stable_order() -> None:
    facts = signature(email="jane@gmail.com", organizations=2, version=1)

    assert [s.code for s in signals(facts)] == [
        "free_mail_with_website",
        "email_many_orgs",
        "older_version",
    ]
