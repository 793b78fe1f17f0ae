"""content/ -> Site: the award shapes, cross-checks, and located errors (Hugo-style table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AWARDS, ISSUER, SITE_URL, TEAMWORK, output_of, run_cli

from credsite.content import config, model
from credsite.errors import ContentError

AWARDS_FILE = "content/awards/awards.yaml"
ONE_AWARD = "- achievement: teamwork\n  name: Ada\n  email: ada@example.org\n"

# (id, files to write over the default site, expected "path:line:col: message" substrings)
ERROR_CASES: list[tuple[str, dict[str, str | bytes | None], list[str]]] = [
    (
        "yaml-syntax",
        {AWARDS_FILE: "- achievement: teamwork\n  name: Ada\n   email: ada@example.org\n"},
        # the wording after "YAML syntax error:" is PyYAML's own (libyaml's when available)
        [f"{AWARDS_FILE}:3:9: YAML syntax error: mapping values are not allowed"],
    ),
    (
        "yaml-syntax-unclosed",
        {AWARDS_FILE: "- achievement: teamwork\n  name: [Ada\n"},
        [f"{AWARDS_FILE}:3:1: YAML syntax error: "],
    ),
    (
        "missing-email",
        {AWARDS_FILE: "- achievement: teamwork\n  name: Ada\n"},
        [f"{AWARDS_FILE}:1:3: award needs 'email'"],
    ),
    (
        "missing-email-in-cohort",
        {
            AWARDS_FILE: "achievement: teamwork\nawards:\n  - name: Ada\n"
            "  - name: Alan\n    email: alan@example.org\n"
        },
        [f"{AWARDS_FILE}:3:5: award needs 'email'"],
    ),
    (
        "unknown-field",
        {AWARDS_FILE: ONE_AWARD + "  narative: Did things.\n"},
        [f"{AWARDS_FILE}:4:3: unknown field 'narative' in award (did you mean 'narrative'?)"],
    ),
    (
        "unknown-field-in-achievement",
        {"content/achievements/teamwork.yaml": TEAMWORK + "critera: x\n"},
        [
            "content/achievements/teamwork.yaml:4:1: unknown field 'critera' in achievement "
            "(did you mean 'criteria'?)"
        ],
    ),
    (
        "unknown-achievement",
        {AWARDS_FILE: "- achievement: temwork\n  name: Ada\n  email: ada@example.org\n"},
        [f"{AWARDS_FILE}:1:16: unknown achievement 'temwork' (did you mean 'teamwork'?)"],
    ),
    (
        "unknown-issuer",
        {"content/achievements/teamwork.yaml": "issuer: acmee\n" + TEAMWORK},
        ["content/achievements/teamwork.yaml:1:9: unknown issuer 'acmee' (did you mean 'acme'?)"],
    ),
    (
        "duplicate-award",
        # The same achievement and email (emails compare case-insensitively).
        {
            AWARDS_FILE: AWARDS + "- achievement: teamwork\n  name: Ada L.\n"
            "  email: Ada.Lovelace@Example.ORG\n"
        },
        [
            f"{AWARDS_FILE}:13:3: duplicate award: same id as the award at {AWARDS_FILE}:1:3 "
            "(give one of them a distinct 'id')"
        ],
    ),
    (
        "duplicate-award-across-files",
        {
            "content/awards/more.yaml": "achievement: teamwork\nname: Ada\n"
            "email: ada.lovelace@example.org\n"
        },
        # files are read in sorted order: the later file holds the duplicate
        [
            "content/awards/more.yaml:1:1: duplicate award: same id as the award at "
            f"{AWARDS_FILE}:1:3"
        ],
    ),
    (
        "bad-date-text",
        {AWARDS_FILE: ONE_AWARD + "  issued: 1st of March\n"},
        [
            f"{AWARDS_FILE}:4:11: 'issued' must be a date like 2026-03-01 or a date-time with a "
            "time zone like 2026-03-01T09:00:00Z, got '1st of March'"
        ],
    ),
    (
        "bad-date-month-13",  # looks like a YAML date but is not one
        {AWARDS_FILE: ONE_AWARD + "  issued: 2026-13-01\n"},
        [
            f"{AWARDS_FILE}:4:11: 'issued' must be a date like 2026-03-01 or a date-time with a "
            "time zone like 2026-03-01T09:00:00Z, got '2026-13-01'"
        ],
    ),
    (
        "explicit-timestamp-tag-on-text",  # PyYAML's own constructor raised AttributeError
        {AWARDS_FILE: ONE_AWARD + "  issued: !!timestamp soon\n"},
        [
            f"{AWARDS_FILE}:4:11: 'issued' must be a date like 2026-03-01 or a date-time with a "
            "time zone like 2026-03-01T09:00:00Z, got 'soon'"
        ],
    ),
    (
        "explicit-timestamp-tag-on-wide-digits",  # not the resolver's digits: not a date
        {AWARDS_FILE: ONE_AWARD + "  issued: !!timestamp \uff12\uff10\uff12\uff16-03-01\n"},
        [f"{AWARDS_FILE}:4:11: 'issued' must be a date like 2026-03-01"],
    ),
    (
        "bad-date-no-zone",
        {AWARDS_FILE: ONE_AWARD + "  issued: 2026-03-01 09:00:00\n"},
        [f"{AWARDS_FILE}:4:11: 'issued' must be a date like 2026-03-01"],
    ),
    (
        "expires-before-issued",
        {AWARDS_FILE: ONE_AWARD + "  issued: 2026-03-01\n  expires: 2026-02-01\n"},
        [f"{AWARDS_FILE}:5:12: 'expires' must be after 'issued'"],
    ),
    (
        "unreadable-image",
        {
            "content/achievements/teamwork.yaml": TEAMWORK + "image: images/teamwork.png\n",
            "content/images/teamwork.png": b"\x89PNG\r\n\x1a\n this is not a picture \x00\xff",
        },
        ["content/achievements/teamwork.yaml:4:8: content/images/teamwork.png:"],
    ),
    (
        "missing-image",
        {"content/achievements/teamwork.yaml": TEAMWORK + "image: images/nope.png\n"},
        ["content/achievements/teamwork.yaml:4:8: image file not found: content/images/nope.png\n"],
    ),
    (
        "misspelt-image",  # the closest image file in the content folder is named
        {
            "content/achievements/teamwork.yaml": TEAMWORK + "image: images/Team-Work.PNG\n",
            "content/images/teamwork.png": b"\x89PNG\r\n\x1a\n",  # only its name matters here
        },
        [
            "content/achievements/teamwork.yaml:4:8: image file not found: "
            "content/images/Team-Work.PNG (did you mean 'images/teamwork.png'?)"
        ],
    ),
    (
        "image-in-another-folder",  # its name found in another folder
        {
            "content/achievements/teamwork.yaml": TEAMWORK + "image: logos/team-badge.png\n",
            "content/art/badges/team-badge.png": b"\x89PNG\r\n\x1a\n",  # only its name matters here
        },
        [
            "content/achievements/teamwork.yaml:4:8: image file not found: "
            "content/logos/team-badge.png (did you mean 'art/badges/team-badge.png'?)"
        ],
    ),
    (
        "bad-status",
        {AWARDS_FILE: ONE_AWARD + "  status: cancelled\n"},
        [
            f"{AWARDS_FILE}:4:11: 'status' must be one of active, revoked, suspended, "
            "got 'cancelled'"
        ],
    ),
    (
        "suspended-while-suspension-off",
        {AWARDS_FILE: ONE_AWARD + "  status: suspended\n"},
        [
            f"{AWARDS_FILE}:4:11: suspension is off for this site: set 'status: {{suspension: true}}' "
            "in site.yaml"
        ],
    ),
    (
        "status-reason-without-status",
        {AWARDS_FILE: ONE_AWARD + "  status_reason: oops\n"},
        [
            f"{AWARDS_FILE}:4:18: 'status_reason' and 'status_date' need 'status: revoked' or "
            "'suspended'"
        ],
    ),
    (
        "bad-colour-and-slug",
        {
            "content/issuers/acme.yaml": ISSUER + "colors: {primary: teal}\n",
            "content/achievements/Team_Work.yaml": TEAMWORK,
        },
        [
            "content/issuers/acme.yaml:3:19: 'primary' is not valid: 'teal'",
            "content/achievements/Team_Work.yaml: file name 'Team_Work.yaml' must be lower-case",
        ],
    ),
    (
        "too-many-fields",  # a thousand took 20 s to sign (pyld compares a property's values)
        {AWARDS_FILE: ONE_AWARD + "  fields: {" + ", ".join(f"f{i}: {i}" for i in range(251)) + "}\n"},
        [f"{AWARDS_FILE}:4:11: an award has at most 250 fields, this one 251: put a long list"],
    ),
    (
        "too-many-fields-with-its-cohort",
        {
            AWARDS_FILE: "achievement: teamwork\nfields: {"
            + ", ".join(f"c{i}: {i}" for i in range(130))
            + "}\nawards:\n  - name: Ada\n    email: ada@example.org\n    fields: {"
            + ", ".join(f"f{i}: {i}" for i in range(130))
            + "}\n"
        },
        [f"{AWARDS_FILE}:6:13: an award has at most 250 fields, this one 260 with its cohort's"],
    ),
    (
        "bad-evidence",
        {AWARDS_FILE: ONE_AWARD + "  evidence:\n    - not a url\n"},
        [f"{AWARDS_FILE}:5:7: evidence must be an http(s) URL, got 'not a url'"],
    ),
    (
        "evidence-port-out-of-range",  # was published as it was, a link no browser opens
        {AWARDS_FILE: ONE_AWARD + "  evidence:\n    - https://example.org:99999/work\n"},
        [f"{AWARDS_FILE}:5:7: evidence must be an http(s) URL, got 'https://example.org:99999/work'"],
    ),
    (
        "unknown-achievement-type",
        {"content/achievements/teamwork.yaml": TEAMWORK + "type: Trophy\n"},
        ["content/achievements/teamwork.yaml:4:7: unknown achievement type 'Trophy'"],
    ),
    (
        "no-issuer",
        {"content/issuers/acme.yaml": None},
        ["content/issuers: no issuer: add an issuer YAML file"],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_located_errors(make_site: Callable[..., Path], files, expected: list[str]) -> None:
    root = make_site(files)
    result = run_cli("build", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1, text
    for message in expected:
        assert f"error: {message}" in text, text
    assert "nothing was written" in text
    assert "Traceback" not in text
    assert not (root / "_site").exists()
    assert not (root / "credsite.lock").exists()


def test_three_mistakes_in_three_files_reported_at_once(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "content/issuers/acme.yaml": ISSUER + "emial: badges@acme.example.org\n",
            "content/achievements/teamwork.yaml": TEAMWORK + "valid_for: forever\n",
            AWARDS_FILE: AWARDS.replace("achievement: mentor", "achievement: mentr"),
        }
    )
    result = run_cli("build", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1
    expected = [
        "content/achievements/teamwork.yaml:4:12: 'valid_for' must be like '2 years', "
        "'18 months' or '90 days', got 'forever'",
        f"{AWARDS_FILE}:9:16: unknown achievement 'mentr' (did you mean 'mentor'?)",
        "content/issuers/acme.yaml:3:1: unknown field 'emial' in issuer (did you mean 'email'?)",
    ]
    lines = [
        line.removeprefix("error: ") for line in text.splitlines() if line.startswith("error:")
    ]
    assert lines == expected  # sorted by file, line, column
    assert "3 problems; nothing was written." in text
    assert "Traceback" not in text


def test_site_yaml_and_content_mistakes_reported_together(make_site: Callable[..., Path]) -> None:
    """A bad site.yaml does not hide the content's problems: one run shows them all."""
    root = make_site({AWARDS_FILE: AWARDS.replace("achievement: mentor", "achievement: mentr")})
    site_yaml = root / "site.yaml"
    site_yaml.write_text(
        site_yaml.read_text().replace(SITE_URL, "https://10.0.0.1/creds/"), encoding="utf-8"
    )
    result = run_cli("build", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1
    assert "unknown achievement 'mentr'" in text
    assert "'url' must use a domain name" in text
    assert "2 problems; nothing was written." in text


def test_one_mistake_shared_by_a_cohort_is_reported_once(make_site: Callable[..., Path]) -> None:
    cohort = (
        "achievement: mentr\nissued: 2026-03-01\nawards:\n"
        "  - {name: Ada, email: ada@example.org}\n"
        "  - {name: Alan, email: alan@example.org}\n"
        "  - {name: Grace, email: grace@example.org}\n"
    )
    root = make_site({"content/awards/cohort.yaml": cohort})
    text = output_of(run_cli("build", "-C", str(root)))
    assert text.count("unknown achievement 'mentr'") == 1
    assert "content/awards/cohort.yaml:1:14: unknown achievement 'mentr'" in text


# -- the model itself ------------------------------------------------------------------------------


def load(root: Path) -> model.Site:
    return model.load(config.load(root))


def test_award_shapes_and_cohort_defaults(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "content/awards/single.yaml": """\
            achievement: mentor
            name: Solo Person
            email: "  Solo@Example.org "
            issued: 2026-05-01T10:30:00+02:00
            """,
            "content/awards/cohort/spring.yaml": """\
            achievement: teamwork
            issued: 2026-06-30
            role: Participant
            fields: {cohort: Spring, year: 2026}
            awards:
              - name: Cohort One
                email: one@example.org
                fields: {year: 2027, extra: true}
              - name: Cohort Two
                email: two@example.org
                achievement: mentor
                role: Lead
                issued: 2026-07-01
            """,
            "content/awards/_draft.yaml": "this: is ignored: entirely",
        }
    )
    site = load(root)
    by_name = {a.name: a for a in site.awards}
    assert set(by_name) == {
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Solo Person",
        "Cohort One",
        "Cohort Two",
    }
    solo = by_name["Solo Person"]
    assert solo.email == "solo@example.org"
    assert solo.key == "mentor/solo@example.org"
    assert solo.issued == dt.datetime(2026, 5, 1, 8, 30, tzinfo=dt.UTC)
    one, two = by_name["Cohort One"], by_name["Cohort Two"]
    assert (one.achievement, one.role) == ("teamwork", "Participant")
    assert one.issued == dt.datetime(2026, 6, 30, tzinfo=dt.UTC)
    assert dict(one.fields) == {"cohort": "Spring", "year": "2027", "extra": "true"}  # as written
    assert (two.achievement, two.role) == ("mentor", "Lead")
    assert two.issued == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert [a.key for a in site.awards] == sorted(a.key for a in site.awards)


def test_lock_key_is_a_digest_not_the_email(make_site: Callable[..., Path]) -> None:
    site = load(make_site())
    for award in site.awards:
        assert len(award.lock_key) == 24
        assert award.email not in award.lock_key
        int(award.lock_key, 16)
    assert len({a.lock_key for a in site.awards}) == len(site.awards)


def test_explicit_id_allows_the_same_person_twice(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            AWARDS_FILE: AWARDS + "- id: teamwork/ada-2027\n  achievement: teamwork\n"
            "  name: Ada\n  email: ada.lovelace@example.org\n"
        }
    )
    site = load(root)
    keys = sorted(a.key for a in site.awards if a.email == "ada.lovelace@example.org")
    assert keys == ["teamwork/ada-2027", "teamwork/ada.lovelace@example.org"]


def test_single_issuer_is_filled_in_and_several_need_primary(make_site) -> None:
    root = make_site()
    site = load(root)
    assert site.primary_issuer == "acme"
    assert {a.issuer for a in site.achievements.values()} == {"acme"}
    (root / "content/issuers/other.yaml").write_text(ISSUER, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load(root)
    messages = {str(p) for p in info.value.problems}
    assert (
        "site.yaml: several issuers: set 'primary_issuer' in site.yaml to the one whose DID "
        "is the site's own did:web" in messages
    )
    assert any("achievement 'teamwork' needs 'issuer'" in m for m in messages)


def test_evidence_alignment_and_valid_for(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "content/achievements/teamwork.yaml": TEAMWORK
            + (
                "tags: [a, b]\n"
                "alignments:\n"
                "  - name: Collaboration\n"
                "    url: https://example.org/skills/collab\n"
                "    framework: ESCO\n"
            ),
            AWARDS_FILE: ONE_AWARD
            + (
                "  evidence:\n"
                "    - https://example.org/work/1\n"
                "    - {narrative: Reviewed by a peer.}\n"
            ),
        }
    )
    site = load(root)
    teamwork = site.achievements["teamwork"]
    assert teamwork.tags == ("a", "b")
    assert teamwork.alignments[0] == model.Alignment(
        "Collaboration", "https://example.org/skills/collab", "ESCO"
    )
    assert site.achievements["mentor"].valid_for == (1, "year")
    (award,) = site.awards
    assert award.evidence == (
        model.Evidence("https://example.org/work/1"),
        model.Evidence(None, narrative="Reviewed by a peer."),
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Mentor", "unknown achievement 'Mentor': did you mean 'mentor' (named 'Mentor')?"),
        (
            "Team Work",
            "unknown achievement 'Team Work': did you mean 'teamwork' (named 'Teamwork')?",
        ),
        ("'mentr'", "unknown achievement 'mentr' (did you mean 'mentor'?)"),
        (
            "Underwater Basketry",
            "unknown achievement 'Underwater Basketry': an award names its achievement by the "
            "achievement's file name, such as 'data-champion'",
        ),
    ],
)
def test_achievement_given_by_its_display_name(make_site, given: str, expected: str) -> None:
    root = make_site(
        {
            "content/achievements/data-champion.yaml": (
                "name: Data Champion\ndescription: Cleans data.\ncriteria: Clean data.\n"
            ),
            AWARDS_FILE: f"- achievement: {given}\n  name: Ada\n  email: ada@example.org\n",
        }
    )
    with pytest.raises(ContentError) as caught:
        model.load(config.load(root))
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{AWARDS_FILE}:1:16: {expected}")


def test_data_champion_by_name_in_a_cohort(make_site) -> None:
    root = make_site(
        {
            "content/achievements/data-champion.yaml": (
                "name: Data Champion\ndescription: Cleans data.\ncriteria: Clean data.\n"
            ),
            AWARDS_FILE: "achievement: Data Champion\nawards:\n  - name: Ada\n"
            "    email: ada@example.org\n  - name: Alan\n    email: alan@example.org\n",
        }
    )
    with pytest.raises(ContentError) as caught:
        model.load(config.load(root))
    assert [str(p) for p in caught.value.problems] == [
        f"{AWARDS_FILE}:1:14: unknown achievement 'Data Champion': did you mean 'data-champion' "
        "(named 'Data Champion')? An award names its achievement by the achievement's file name"
    ]
