"""Pathways (content/pathways/): rules read with located errors, awards worked out at build,
minted once, and what happens when a component credential is withdrawn (issue 16, part 1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    NOW,
    SITE_URL,
    SITE_YAML,
    build_site,
    output_of,
    run_cli,
    tree,
    write_files,
)

from credsite.commands import verify as verifysite
from credsite.errors import CredsiteError
from credsite.issuing.pathways import Held, completion
from credsite.state.lockfile import Lockfile

THREE = {
    f"content/achievements/{slug}.yaml": f"name: {name}\ndescription: d\ncriteria: c\n"
    for slug, name in (("coding", "Coding"), ("testing", "Testing"), ("review", "Review"))
}
PATHWAY = """\
name: Craft
description: Coding, testing and review.
criteria: Hold the three.
requires:
  - coding
  - at_least: 1
    of: [testing, review]
    name: Quality
"""
AWARDS = """\
- {achievement: coding, name: Ada Lovelace, email: ada@example.org, issued: 2026-01-05}
- {achievement: testing, name: Ada Lovelace, email: ADA@example.org , issued: 2026-02-10}
- {achievement: review, name: Ada Lovelace, email: ada@example.org, issued: 2026-03-15}
- {achievement: coding, name: Bob Byte, email: bob@example.org, issued: 2026-01-05}
"""
AWARDS_FILE = "content/awards/awards.yaml"


@pytest.fixture
def pathway_site(make_site: Callable[..., Path]) -> Callable[..., Path]:
    def make(files: dict[str, str | None] | None = None) -> Path:
        return make_site(
            {
                **THREE,
                "content/pathways/craft.yaml": PATHWAY,
                AWARDS_FILE: AWARDS,
                **(files or {}),
            }
        )

    return make


def credentials(root: Path) -> dict[str, dict]:
    out = root / "_site" / "credentials"
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}


def of_achievement(root: Path, name: str) -> dict[str, dict]:
    return {
        token: doc
        for token, doc in credentials(root).items()
        if doc["credentialSubject"]["achievement"]["name"] == name
    }


def pathway_warnings(result) -> list[str]:
    """The build's warnings but those every small test site gets (OB 2.0 has no email...)."""
    return [str(w) for w in result.warnings if "pathway" in w.message]


def problems_of(root: Path, **options) -> list[str]:
    with pytest.raises(CredsiteError) as caught:
        build_site(root, **options)
    return [str(p) for p in caught.value.problems]


# -- reading the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        (
            "requires:\n  - coding\n  - nope\n",
            "content/pathways/craft.yaml:6:5: unknown achievement 'nope'",
        ),
        (
            "requires:\n  at_least: 3\n  of: [coding, testing]\n",
            "content/pathways/craft.yaml:5:13: 'at_least: 3' asks for more than the group holds (2 items)",
        ),
        (
            "requires:\n  at_least: 0\n  of: [coding]\n",
            "craft.yaml:5:13: 'at_least' must be 1 or more",
        ),
        (
            "requires:\n  at_least: two\n  of: [coding]\n",
            "craft.yaml:5:13: 'at_least' must be a whole number",
        ),
        ("requires:\n  of: [coding]\n", "craft.yaml:5:7: 'of: [...]' needs 'at_least: N'"),
        (
            "requires:\n  all: [coding]\n  any: [testing]\n",
            "craft.yaml:5:3: a group has exactly one of",
        ),
        ("requires: []\n", "craft.yaml:4:11: the list is empty"),
        ("requires: coding\n", "craft.yaml:4:11: 'requires' must be a list of achievement ids"),
        ("requires:\n  - coding\n  - coding\n", "craft.yaml:6:5: 'coding' is already named at"),
        (
            "requires:\n  any: [coding]\n  within: 1 year\n",
            "craft.yaml:6:3: unknown field 'within' in group",
        ),
        ("requires: [coding]\nwithin: soon\n", "craft.yaml:5:9: 'within' must be like '2 years'"),
        (  # Arabic-Indic and full-width digits were read as 2 years
            "requires: [coding]\nwithin: \u0662 years\n",
            "craft.yaml:5:9: 'within' must be like '2 years'",
        ),
        ("requires: [coding]\nwithin: \uff12 years\n", "craft.yaml:5:9: 'within' must be like '2 years'"),
        ("requires: [Coding Craft]\n", "unknown achievement 'Coding Craft'"),
        ("", "content/pathways/craft.yaml:1:1: pathway needs 'requires'"),
    ],
)
def test_rules_are_checked_with_locations(
    pathway_site: Callable[..., Path], requires: str, expected: str
) -> None:
    head = "name: Craft\ndescription: d\ncriteria: c\n"
    root = pathway_site({"content/pathways/craft.yaml": head + requires})
    found = problems_of(root)
    assert any(expected in p for p in found), found
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_a_cycle_between_pathways_is_located(pathway_site: Callable[..., Path]) -> None:
    head = "description: d\ncriteria: c\n"
    root = pathway_site(
        {
            "content/pathways/craft.yaml": "name: Craft\n" + head + "requires: [coding, mastery]\n",
            "content/pathways/mastery.yaml": "name: Mastery\n" + head + "requires: [craft]\n",
        }
    )
    found = problems_of(root)
    assert found == [
        "content/pathways/mastery.yaml:4:12: pathways require each other in a cycle "
        "(craft -> mastery -> craft): no one could ever complete them; remove one of these "
        "requirements"
    ]


def test_a_pathway_and_an_achievement_cannot_share_an_id(pathway_site: Callable[..., Path]) -> None:
    root = pathway_site(
        {"content/pathways/coding.yaml": PATHWAY.replace("- coding\n", "- review\n")}
    )
    found = problems_of(root)
    assert any("achievement 'coding' is also defined by" in p for p in found), found


def test_a_yaml_file_elsewhere_names_pathways_in_its_warning(
    pathway_site: Callable[..., Path],
) -> None:
    root = pathway_site({"content/notes.yaml": "a: 1\n"})
    result = build_site(root)
    assert any("pathways/" in w.message for w in result.warnings)


# -- who completes it ------------------------------------------------------------------------------


def test_recipients_who_complete_get_the_pathway_credential(
    pathway_site: Callable[..., Path],
) -> None:
    # Ada's three awards use two spellings of her email, in YAML and a spreadsheet: one person
    root = pathway_site(
        {
            AWARDS_FILE: AWARDS.replace(
                "- {achievement: review, name: Ada Lovelace, email: ada@example.org, "
                "issued: 2026-03-15}\n",
                "",
            ),
            "content/awards/more.csv": "name,email,achievement,issued\n"
            "Ada Lovelace,Ada@Example.org,review,2026-03-15\n",
        }
    )
    result = build_site(root)
    craft = of_achievement(root, "Craft")
    assert len(craft) == 1  # Ada, not Bob (coding only)
    token, doc = next(iter(craft.items()))
    # issued when the last credential it needed was issued: testing (review came later)
    assert doc["validFrom"] == "2026-02-10T00:00:00Z"
    assert doc["credentialSubject"]["name"] == "Ada Lovelace"
    components = {
        d["credentialSubject"]["achievement"]["name"]: t
        for t, d in credentials(root).items()
        if d["credentialSubject"]["name"] == "Ada Lovelace"
    }
    evidence = doc["evidence"]
    assert [e["name"] for e in evidence] == ["Coding", "Testing"]
    assert [e["id"] for e in evidence] == [
        f"{SITE_URL}credentials/{components['Coding']}.html",
        f"{SITE_URL}credentials/{components['Testing']}.html",
    ]
    assert evidence[0]["description"] == "Credential issued 2026-01-05"
    assert result.pathway_awards == ["Ada Lovelace: Craft (issued 2026-02-10)"]
    assert result.states == {"active": 5}
    # the page links the component credentials
    page = (root / "_site" / "credentials" / f"{token}.html").read_text(encoding="utf-8")
    assert "Credentials it is made of" in page
    assert f'href="{SITE_URL}credentials/{components["Coding"]}.html"' in page
    # minted in the lockfile under pathway/email, like an award written in the content
    from credsite.content.model import _digest

    lock = Lockfile.load(root / "credsite.lock")
    assert lock.awards[_digest("craft/ada@example.org")].credential == token
    reports = verifysite.verify_site(root / "_site")
    assert all(r.report.status == "verified" for r in reports), [
        (r.path, r.report.checks) for r in reports if r.report.status != "verified"
    ]


def test_pathway_awards_are_minted_once_and_rebuilds_are_identical(
    pathway_site: Callable[..., Path],
) -> None:
    root = pathway_site()
    first = build_site(root)
    assert len(first.pathway_awards) == 1
    site, lock = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    again = build_site(root, seed=99)
    assert again.pathway_awards == [] and again.minted == []
    assert tree(root / "_site") == site
    assert (root / "credsite.lock").read_bytes() == lock


def test_the_build_summary_lists_new_pathway_awards(pathway_site: Callable[..., Path]) -> None:
    root = pathway_site()
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert "New pathway awards: 1\n  Ada Lovelace: Craft (issued 2026-02-10)" in result.stdout
    result = run_cli("build", "-C", str(root))
    assert "New pathway awards" not in result.stdout


def test_a_time_window_bounds_the_credentials_that_count(
    pathway_site: Callable[..., Path],
) -> None:
    awards = (
        "- {achievement: coding, name: Old Timer, email: old@example.org, issued: 2020-01-01}\n"
        "- {achievement: review, name: Old Timer, email: old@example.org, issued: 2026-01-01}\n"
        "- {achievement: coding, name: New Comer, email: new@example.org, issued: 2024-06-01}\n"
        "- {achievement: testing, name: New Comer, email: new@example.org, issued: 2026-05-31}\n"
    )
    root = pathway_site(
        {"content/pathways/craft.yaml": PATHWAY + "within: 2 years\n", AWARDS_FILE: awards}
    )
    build_site(root)
    craft = of_achievement(root, "Craft")
    assert [d["credentialSubject"]["name"] for d in craft.values()] == ["New Comer"]


def test_an_expired_credential_does_not_count_later(pathway_site: Callable[..., Path]) -> None:
    awards = (
        "- {achievement: coding, name: Eve, email: eve@example.org, issued: 2025-01-01, "
        "expires: 2025-06-01}\n"
        "- {achievement: testing, name: Eve, email: eve@example.org, issued: 2026-01-01}\n"
    )
    root = pathway_site({AWARDS_FILE: awards})
    build_site(root)
    assert of_achievement(root, "Craft") == {}


def test_a_pathway_can_require_another_pathway(pathway_site: Callable[..., Path]) -> None:
    root = pathway_site(
        {
            "content/pathways/mastery.yaml": "name: Mastery\ndescription: d\ncriteria: c\n"
            "requires:\n  all: [craft, review]\n",
        }
    )
    result = build_site(root)
    mastery = of_achievement(root, "Mastery")
    assert len(mastery) == 1
    doc = next(iter(mastery.values()))
    # craft completed on 2026-02-10, review issued 2026-03-15
    assert doc["validFrom"] == "2026-03-15T00:00:00Z"
    assert [e["name"] for e in doc["evidence"]] == ["Craft", "Review"]
    assert sorted(result.pathway_awards) == [
        "Ada Lovelace: Craft (issued 2026-02-10)",
        "Ada Lovelace: Mastery (issued 2026-03-15)",
    ]
    page = (root / "_site" / "achievements" / "craft.html").read_text(encoding="utf-8")
    assert '<a href="../achievements/mastery.html">Mastery</a>' in page  # counts towards


def test_completion_rules_nested_groups() -> None:
    import datetime as dt

    from credsite.content.model import Award
    from credsite.content.pathways import Component, Group, Pathway
    from credsite.errors import Location

    here = Location("p.yaml")

    def award(slug: str, day: int, status: str = "active") -> Held:
        a = Award(f"{slug}/x@example.org", slug, "X", "x@example.org", None, None, None, (),
                  None, (), status, None, None, here)  # fmt: skip
        return Held(a, dt.datetime(2026, 1, day, tzinfo=dt.UTC), None, slug)

    rules = Group(
        2,
        (
            Component("a", here),
            Group(2, (Component("b", here), Component("c", here)), here),
            Group(1, (Component("d", here), Component("e", here)), here),
        ),
        here,
    )
    pathway = Pathway("p", rules, None, here)
    assert completion(pathway, [award("a", 1)]) is None
    done = completion(pathway, [award("a", 1), award("b", 2), award("c", 9), award("e", 5)])
    assert done is not None and done.when.day == 5  # a + (d or e)
    assert [h.achievement for h in done.counted] == ["a", "b", "e"]
    # a revoked credential does not count, but does when asking when it was completed before
    held = [award("a", 1, "revoked"), award("e", 5)]
    assert completion(pathway, held) is None
    assert completion(pathway, held, withdrawn=True) is not None


def test_short_by_is_the_fewest_components_that_meet_the_rules() -> None:
    """`Group.short_by` (the report's "components away") against trying every set of missing
    components with `Group.met`, on random nested groups naming each component once."""
    import itertools
    import random

    from credsite.content.pathways import Component, Group
    from credsite.errors import Location

    here = Location("p.yaml")
    rng = random.Random(16)
    names = iter(f"c{i}" for i in itertools.count())

    def group(depth: int) -> Group:
        items: list[Component | Group] = [
            group(depth + 1) if depth < 2 and rng.random() < 0.3 else Component(next(names), here)
            for _ in range(rng.randint(1, 4))
        ]
        return Group(rng.randint(1, len(items)), tuple(items), here)

    for _ in range(300):
        rules = group(0)
        slugs = [c.slug for c in rules.components()]
        held = {s for s in slugs if rng.random() < 0.4}
        missing = [s for s in slugs if s not in held]
        fewest = next(
            k
            for k in range(len(missing) + 1)
            if any(rules.met((held | set(more)).__contains__) for more in
                   itertools.combinations(missing, k))
        )  # fmt: skip
        assert rules.short_by(held.__contains__) == fewest
        assert (fewest == 0) == rules.met(held.__contains__)


# -- --locked ----------------------------------------------------------------------------------------


def test_locked_builds_mint_no_pathway_award_but_build_minted_ones(
    pathway_site: Callable[..., Path],
) -> None:
    root = pathway_site({"content/pathways/craft.yaml": None})
    build_site(root)  # the awards are minted; there is no pathway yet
    lock = (root / "credsite.lock").read_bytes()
    write_files(root, {"content/pathways/craft.yaml": PATHWAY})
    result = build_site(root, locked=True)
    assert of_achievement(root, "Craft") == {} and result.pathway_awards == []
    assert pathway_warnings(result) == [
        "content/pathways/craft.yaml:5:3: 1 recipient(s) complete pathway 'craft' but "
        "credsite.lock records no award of it for them: a --locked build never mints one. "
        "Build without --locked and commit credsite.lock"
    ]
    assert (root / "credsite.lock").read_bytes() == lock
    assert build_site(root).pathway_awards == ["Ada Lovelace: Craft (issued 2026-02-10)"]
    site = tree(root / "_site")
    result = build_site(root, locked=True)  # minted: built as usual
    assert pathway_warnings(result) == [] and tree(root / "_site") == site


# -- a component withdrawn later ---------------------------------------------------------------------

REVOKE_CODING = (
    "- {achievement: coding, name: Ada Lovelace, email: ada@example.org, issued: 2026-01-05, "
    "status: revoked, status_reason: Plagiarised, status_date: 2026-06-01}\n"
)


def revoked_awards() -> str:
    lines = AWARDS.splitlines(keepends=True)
    return REVOKE_CODING + "".join(lines[1:])


def test_revoked_component_without_suspension_stops_the_build_for_a_decision(
    pathway_site: Callable[..., Path],
) -> None:
    root = pathway_site()
    build_site(root)
    site, lock = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    write_files(root, {AWARDS_FILE: revoked_awards()})
    found = problems_of(root)
    assert found == [
        "content/awards/awards.yaml:1:97: Ada Lovelace (ada@example.org) no longer completes "
        "pathway 'Craft' (their credential 'coding' revoked), and credsite neither leaves their "
        "pathway credential valid nor revokes it on its own: add an award of 'craft' for "
        "ada@example.org in content/awards/ with 'status: revoked' (or 'status: active' to keep "
        "it valid), or set 'status: {suspension: true}' in site.yaml to suspend it automatically"
    ]
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 1 and "nothing was written" in output_of(result)
    assert tree(root / "_site") == site and (root / "credsite.lock").read_bytes() == lock


def test_the_issuer_decides_with_an_award_of_the_pathway(pathway_site: Callable[..., Path]) -> None:
    root = pathway_site()
    build_site(root)
    ((token, before),) = of_achievement(root, "Craft").items()
    decision = (
        "- {achievement: craft, name: Ada Lovelace, email: ada@example.org, status: revoked, "
        "status_reason: A component was revoked, status_date: 2026-06-02}\n"
    )
    write_files(root, {AWARDS_FILE: revoked_awards() + decision})
    result = build_site(root)
    assert pathway_warnings(result) == [] and result.pathway_awards == []
    after = of_achievement(root, "Craft")
    # the same credential, signed document unchanged: only its status changed
    assert after == {token: before}
    assert result.states == {"active": 3, "revoked": 2}
    reports = {r.path: r.report.status for r in verifysite.verify_site(root / "_site")}
    assert reports[f"credentials/{token}.json"] == "revoked"
    # keeping it valid is a decision too
    write_files(root, {AWARDS_FILE: revoked_awards() + decision.replace(
        "status: revoked, status_reason: A component was revoked, status_date: 2026-06-02",
        "status: active",
    )})  # fmt: skip
    with pytest.raises(CredsiteError, match="revocation is permanent"):
        build_site(root)  # ... but not once it was revoked


def test_revoked_component_with_suspension_suspends_and_warns(
    pathway_site: Callable[..., Path],
) -> None:
    root = pathway_site({"site.yaml": SITE_YAML + "status: {suspension: true}\n"})
    build_site(root)
    ((token, before),) = of_achievement(root, "Craft").items()
    write_files(root, {AWARDS_FILE: revoked_awards()})
    result = build_site(root)
    assert pathway_warnings(result) == [
        "content/awards/awards.yaml:1:97: Ada Lovelace (ada@example.org) no longer completes "
        "pathway 'Craft' (their credential 'coding' revoked): their pathway credential is "
        "suspended until they complete it again. To decide for good, add an award of 'craft' "
        "for ada@example.org in content/awards/ with 'status: revoked' (or 'status: active' to "
        "keep it valid)"
    ]
    assert of_achievement(root, "Craft") == {token: before}  # the same signed document
    reports = {r.path: r.report.status for r in verifysite.verify_site(root / "_site")}
    assert reports[f"credentials/{token}.json"] == "suspended"
    page = (root / "_site" / "credentials" / f"{token}.html").read_text(encoding="utf-8")
    assert "A credential it requires was withdrawn: Coding (revoked)" in page
    with pytest.raises(CredsiteError, match="no longer completes"):
        build_site(root, strict=True)


def test_a_suspended_pathway_award_is_reinstated_when_completed_again(
    pathway_site: Callable[..., Path],
) -> None:
    suspended = AWARDS.replace("issued: 2026-01-05}", "issued: 2026-01-05, status: suspended}", 1)
    root = pathway_site({"site.yaml": SITE_YAML + "status: {suspension: true}\n"})
    build_site(root)
    ((token, _),) = of_achievement(root, "Craft").items()
    write_files(root, {AWARDS_FILE: suspended})
    build_site(root)
    statuses = {r.path: r.report.status for r in verifysite.verify_site(root / "_site")}
    assert statuses[f"credentials/{token}.json"] == "suspended"
    write_files(root, {AWARDS_FILE: AWARDS})
    result = build_site(root)
    assert pathway_warnings(result) == []
    statuses = {r.path: r.report.status for r in verifysite.verify_site(root / "_site")}
    assert statuses[f"credentials/{token}.json"] == "verified"


def test_still_complete_through_another_component_stays_valid(
    pathway_site: Callable[..., Path],
) -> None:
    root = pathway_site()
    build_site(root)
    ((token, _),) = of_achievement(root, "Craft").items()
    revoke_testing = AWARDS.replace("issued: 2026-02-10}", "issued: 2026-02-10, status: revoked}")
    write_files(root, {AWARDS_FILE: revoke_testing})
    result = build_site(root)
    assert pathway_warnings(result) == []
    ((same, doc),) = of_achievement(root, "Craft").items()
    assert same == token  # same credential, now completed by review (2026-03-15)
    assert doc["validFrom"] == "2026-03-15T00:00:00Z"
    assert [e["name"] for e in doc["evidence"]] == ["Coding", "Review"]


# -- pages ---------------------------------------------------------------------------------------------


def test_pages_show_the_structure_and_what_counts_towards_it(
    pathway_site: Callable[..., Path],
) -> None:
    root = pathway_site({"content/pathways/craft.yaml": PATHWAY + "within: 18 months\n"})
    build_site(root)
    out = root / "_site"
    page = (out / "achievements" / "craft.html").read_text(encoding="utf-8")
    assert "What completes it" in page and "issued within 18 months of each other" in page
    assert '<p class="pathway-rule">All 2 of these:</p>' in page
    assert '<p class="pathway-group-name">Quality</p>' in page
    assert '<p class="pathway-rule">At least 1 of these 2:</p>' in page
    for slug, name in (("coding", "Coding"), ("testing", "Testing"), ("review", "Review")):
        assert f'<a href="../achievements/{slug}.html">{name}</a>' in page
        other = (out / "achievements" / f"{slug}.html").read_text(encoding="utf-8")
        assert "Counts towards" in other
        assert '<a href="../achievements/craft.html">Craft</a>' in other
    plain = (root / "_site" / "index.html").read_text(encoding="utf-8")
    assert "achievements/craft.html" in plain
    # the pathway is an achievement: its own JSON, badge and share image
    assert (out / "achievements" / "craft.json").is_file()
    assert (out / "images" / "achievements" / "craft.png").is_file()
    achievement = json.loads((out / "achievements" / "craft.json").read_text(encoding="utf-8"))
    assert "related" not in achievement  # OB 3.0 `related` means another edition of the same


def test_example_pathway(example_output: Path, example_site: Path) -> None:
    craft = {
        t: d
        for t, d in credentials(example_site).items()
        if d["credentialSubject"]["achievement"]["name"] == "Northbridge Global Educator"
    }
    assert sorted(d["credentialSubject"]["name"] for d in craft.values()) == [
        "Arjun Mehta",
        "Keiko Nakamura",
    ]
    for doc in craft.values():
        assert len(doc["evidence"]) == 3
    # Joost holds two of the three parts (no mentoring or exchange credential): no pathway yet
    joost = sorted(
        d["credentialSubject"]["achievement"]["name"]
        for d in credentials(example_site).values()
        if d["credentialSubject"]["name"] == "Joost van den Berg"
    )
    assert joost == ["Faculty Coordinator", "Open Curriculum Contributor"]
    assert NOW.year == 2026


def test_revoking_an_automatic_pathway_award_says_how(pathway_site: Callable[..., Path]) -> None:
    root = pathway_site()
    build_site(root)
    ((token, _),) = of_achievement(root, "Craft").items()
    result = run_cli("revoke", token, "--reason", "x", "-C", str(root))
    assert result.exit_code == 1
    assert (
        f"error: credential {token} is the pathway award of 'craft' that the build made for "
        "ada@example.org: it has no line of its own to edit. To revoke or suspend it, write it in "
        "content/awards/ (achievement: craft, name, email: ada@example.org) with 'status', "
        "'status_reason' and 'status_date' (see content/README.md, pathways/)"
    ) in output_of(result)
