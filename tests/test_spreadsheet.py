"""Awards from CSV files: columns, spreadsheet quirks (BOM, CRLF, quoted newlines, semicolons),
and every bad cell reported at once as file.csv:ROW:COLUMN."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import build_site, output_of, run_cli

from credsite.commands.verify import verify_site
from credsite.content import config, model
from credsite.errors import ContentError

CSV = "content/awards/cohort.csv"


def load(root: Path) -> model.Site:
    return model.load(config.load(root))


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load(root)
    return [str(p) for p in info.value.problems]


def csv_site(make_site, data: str | bytes, **more: str | bytes | None) -> Path:
    """The default site with its YAML awards replaced by one CSV file."""
    return make_site({"content/awards/awards.yaml": None, CSV: data, **more})


@pytest.mark.slow
def test_two_hundred_rows_build_and_verify(make_site) -> None:
    rows = ["name,email,achievement,issued,cohort"]
    rows += [
        f"Person {i:03},person{i:03}@example.org,{'teamwork' if i % 2 else 'mentor'},"
        f"2026-03-01,Spring {2026 - i % 3}"
        for i in range(200)
    ]
    root = csv_site(make_site, "\n".join(rows) + "\n")
    result = build_site(root)
    assert result.credentials == 200
    assert result.states == {"active": 200}
    results = verify_site(root / "_site")
    credentials = [r for r in results if re.fullmatch(r"credentials/\w+\.json", r.path)]
    assert len(credentials) == 200
    assert {r.report.status for r in results} == {"verified"}  # images and OB 2.0 too


def test_bom_crlf_and_quoted_newlines(make_site) -> None:
    data = (
        "\ufeffName , EMAIL,Achievement,Issued,Narrative,Evidence,Partner Institution,Hours\r\n"
        'Ada Lovelace,ada@example.org,teamwork,2026-03-01,"Wrote the **first** program.\r\n'
        'And explained it.","https://example.org/notes\r\nhttps://example.org/more",'
        '"Analytical Engine Society, London",40\r\n'
        "Alan Turing,alan@example.org,mentor,,,,,\r\n"
    ).encode("utf-8")
    root = csv_site(make_site, data)
    site = load(root)
    ada, alan = sorted(site.awards, key=lambda a: a.name)
    assert ada.name == "Ada Lovelace" and ada.email == "ada@example.org"
    assert ada.achievement == "teamwork"
    assert ada.issued == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert ada.narrative == "Wrote the **first** program.\nAnd explained it."  # as in YAML
    assert [e.url for e in ada.evidence] == [
        "https://example.org/notes",
        "https://example.org/more",
    ]
    assert ada.fields == (
        ("partner_institution", "Analytical Engine Society, London"),
        ("hours", "40"),
    )
    assert ada.location == model.Location(CSV, 2, 3)  # the row's achievement cell
    # Empty cells are left out: no date, no evidence, no fields.
    assert alan.issued is None and alan.evidence == () and alan.fields == ()
    assert alan.location == model.Location(CSV, 3, 3)  # Ada's row spans 3 lines: still row 2


def test_csv_award_equals_the_same_award_in_yaml(make_site) -> None:
    yaml_root = make_site(
        {
            "content/awards/awards.yaml": """\
                - achievement: teamwork
                  name: Ada Lovelace
                  email: Ada@Example.org
                  issued: 2026-03-01
                  expires: 2028-03-01
                  role: Lead
                  narrative: Did it.
                  evidence: [https://example.org/a, https://example.org/b]
                  status: revoked
                  status_reason: Withdrawn
                  status_date: 2026-05-01
                  id: special/ada
                  fields: {cohort: Spring, hours: "12"}
            """
        },
        name="yaml",
    )
    csv_root = make_site(
        {
            "content/awards/awards.yaml": None,
            CSV: (
                "achievement,name,email,issued,expires,role,narrative,evidence,status,"
                "status reason,Status-Date,id,cohort,hours\n"
                "teamwork,Ada Lovelace,Ada@Example.org,2026-03-01,2028-03-01,Lead,Did it.,"
                "https://example.org/a https://example.org/b,revoked,Withdrawn,2026-05-01,"
                "special/ada,Spring,12\n"
            ),
        },
        name="csv",
    )
    (from_yaml,) = load(yaml_root).awards
    (from_csv,) = load(csv_root).awards
    assert from_csv.key == "special/ada"
    unlocated = {"location": None, "achievement_location": None, "status_location": None}
    assert from_csv.__dict__ | unlocated == from_yaml.__dict__ | unlocated


def test_semicolons_tabs_and_empty_rows(make_site) -> None:
    root = make_site(
        {
            "content/awards/awards.yaml": None,
            "content/awards/a.csv": "name;email;achievement\n\nAda;ada@example.org;teamwork\n;;\n",
            "content/awards/b.csv": "name\temail\tachievement\nAlan\talan@example.org\tmentor\n",
            "content/awards/empty.csv": "",
        }
    )
    site = load(root)
    assert sorted((a.name, a.location) for a in site.awards) == [
        ("Ada", model.Location("content/awards/a.csv", 3, 3)),  # row 2 is empty, still counted
        ("Alan", model.Location("content/awards/b.csv", 2, 3)),
    ]


def test_every_bad_row_is_reported_at_its_cell(make_site) -> None:
    data = (
        "name,email,achievement,issued,evidence,notes\n"
        "Ada Lovelace,ada@example.org,teamwork,2026-03-01,,fine\n"
        "Alan Turing,alan@example.org,teamwrok,2026-03-02,,\n"  # unknown achievement
        "Grace Hopper,grace@example.org,mentor,03/01/2026,,\n"  # not an ISO date
        ",nobody@example.org,mentor,2026-03-01,not-a-url,\n"  # no name, bad evidence
        "Katherine Johnson,katherine@example,mentor,2026-03-01,,,stray\n"  # bad email, stray cell
    )
    root = csv_site(make_site, data)
    assert problems_of(root) == [
        f"{CSV}:3:3: unknown achievement 'teamwrok' (did you mean 'teamwork'?)",
        f"{CSV}:4:4: 'issued' must be a date like 2026-03-01 or a date-time with a time zone "
        "like 2026-03-01T09:00:00Z, got '03/01/2026'",
        f"{CSV}:5:1: empty 'name' cell: every award needs a name",
        f"{CSV}:5:5: evidence must be an http(s) URL, got 'not-a-url'",
        f"{CSV}:6:2: 'email' is not valid: 'katherine@example'",
        f"{CSV}:6:7: this cell has no column name: add one in the first row, or empty the cell",
    ]


def test_missing_and_duplicate_columns_are_reported_on_the_header_row(make_site) -> None:
    root = csv_site(make_site, "Name,e-mail,achievement,Name\nAda,ada@example.org,teamwork,A\n")
    assert problems_of(root) == [
        f"{CSV}:1:1: missing column 'email': the first row must name the columns, and 'name', "
        "'email' and 'achievement' are required (is 'e_mail' meant to be 'email'?)",
        f"{CSV}:1:4: column 'Name' appears twice (also column 1)",
    ]


def test_duplicate_awards_across_csv_and_yaml(make_site) -> None:
    root = make_site({CSV: "name,email,achievement\nAda Again,ADA.LOVELACE@example.org,teamwork\n"})
    (problem,) = problems_of(root)
    assert problem.startswith(f"{CSV}:2:3: duplicate award: same id as the award at ")


def test_not_utf8(make_site) -> None:
    root = csv_site(
        make_site, "name,email,achievement\nJosé,jose@example.org,teamwork\n".encode("cp1252")
    )
    (problem,) = problems_of(root)
    assert problem.startswith(f"{CSV}:2: file is not UTF-8 text")


def test_utf16_export(make_site) -> None:
    text = "name\temail\tachievement\nZoë\tzoe@example.org\tteamwork\n"
    root = csv_site(make_site, text.encode("utf-16"))
    (award,) = load(root).awards
    assert award.name == "Zoë"


def test_cli_reports_all_bad_rows_and_exits_1(make_site) -> None:
    data = (
        "name,email,achievement,issued\n"
        "Ada Lovelace,ada@example.org,nope,2026-03-01\n"
        "Alan Turing,alan@example.org,teamwork,yesterday\n"
        "Grace Hopper,,mentor,2026-03-01\n"
    )
    root = csv_site(make_site, data)
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 1
    text = output_of(result)
    assert f"{CSV}:2:3: unknown achievement 'nope'" in text
    assert f"{CSV}:3:4: 'issued' must be a date" in text
    assert f"{CSV}:4:2: empty 'email' cell" in text
    assert "3 problems; nothing was written." in text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_award_columns_are_the_models_award_fields() -> None:
    """spreadsheet lists the award fields itself (it sits below model): keep the two in step."""
    from credsite.content import model, spreadsheet

    expected = set(model.AWARD_FIELDS) - {"fields", "evidence"}
    assert set(spreadsheet.AWARD_COLUMNS) == expected
