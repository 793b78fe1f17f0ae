"""`credsite report`: the numbers of its tables (on the example site and on a generated 1,000-award
site whose counts are known by construction), the public report's privacy, where it may be
written, that it never writes the lockfile or builds, its self-contained HTML, and the vendored
chart renderer.

The browser side (charts drawn, axe-core, 360px, print) is tests/browser/report.mjs.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import importlib.util
import json
import os
import random
import re
import stat
from pathlib import Path

import pytest
from conftest import (
    NOT_FILES,
    NOW,
    REPO,
    copy_example,
    output_of,
    refuses_to_replace,
    run_cli,
    run_to_full_stdout,
)

from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError
from credsite.report import charts, emails, facts, page
from credsite.report.sections import sections
from credsite.report.tables import Column, Hidden, Table, suppress

VENDOR = REPO / "credsite" / "report" / "vendor"
GENERATED_NOW = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)


def load_bench():
    spec = importlib.util.spec_from_file_location(
        "report_bench", REPO / "bench" / "report_bench.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(folder: Path, table: str) -> list[list[str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def body(folder: Path, table: str) -> dict[str, list[str]]:
    """A CSV's rows after the header, keyed by their first cell."""
    return {row[0]: row[1:] for row in rows(folder, table)[1:]}


def report(root: Path, tmp: Path, now: dt.datetime = NOW, **options) -> tuple[Path, Path]:
    name = "public" if options.get("public") else "private"
    html, folder = tmp / f"{name}.html", tmp / f"{name}-csv"
    page.write(root, facts.Options(**options), html, folder, now)
    return html, folder


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("report") / "example")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report") / "generated"
    root.mkdir()
    load_bench().make_site(root, 1000)
    return root


@pytest.fixture(scope="module")
def generated_pathways(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same 1,000 awards, plus the bench's pathway cohort: 3 pathways, 100 learners."""
    root = tmp_path_factory.mktemp("report") / "generated-pathways"
    root.mkdir()
    load_bench().make_site(root, 1000, pathways=True)
    return root


# -- the example site --------------------------------------------------------------------------------


def test_example_site_numbers(example: Path, tmp_path: Path) -> None:
    html, folder = report(example, tmp_path)
    assert body(folder, "overview") == {
        "Credentials issued": ["26"],  # 24 awards in content/awards/, 2 pathway awards
        "Recipients (different email addresses)": ["19"],
        "Achievements awarded": ["5"],
        "Issuers": ["1"],
        "Award files": ["4"],  # the pathway's automatic awards have no award file
    }
    assert body(folder, "per-achievement") == {
        "Exchange Participant": ["Northbridge Open Learning Alliance", "7"],
        "Faculty Coordinator": ["Northbridge Open Learning Alliance", "6"],
        "Open Curriculum Contributor": ["Northbridge Open Learning Alliance", "6"],
        "Peer Mentor": ["Northbridge Open Learning Alliance", "5"],
        "Northbridge Global Educator": ["Northbridge Open Learning Alliance", "2"],
    }
    assert body(folder, "per-issuer") == {"Northbridge Open Learning Alliance": ["5", "26"]}
    assert body(folder, "per-award-file") == {
        "contributors-and-mentors.yaml": ["11"],
        "exchange-spring-2026.yaml": ["7"],
        "faculty-coordinators-2025-26.yaml": ["5"],
        "amara-nwosu.yaml": ["1"],
        "Automatic pathway awards (content/pathways/)": ["2"],  # counted, not as a file
    }
    assert body(folder, "status") == {
        "Active": ["24"],
        "Expired": ["1"],
        "Revoked": ["1"],
    }  # suspension is off in the example: no "Suspended" row
    months = body(folder, "issued-by-month")
    assert next(iter(months)) == "2024-06" and list(months)[-1] == "2026-10"
    assert len(months) == 29
    assert {m: c for m, (c,) in months.items() if c != "0"} == {
        "2024-06": "1",
        "2025-12": "1",
        "2026-02": "1",
        "2026-04": "1",
        "2026-05": "3",
        "2026-06": "5",
        "2026-07": "9",
        "2026-08": "1",
        "2026-09": "3",
        "2026-10": "1",
    }
    assert body(folder, "frameworks") == {
        "ESCO": ["3 of 5", "6", "19"],
        "O*NET-SOC": ["1 of 5", "1", "6"],
    }
    skills = body(folder, "skills")
    assert skills["demonstrate intercultural competence"] == [
        "ESCO",
        "Exchange Participant; Faculty Coordinator",
        "13",
    ]
    assert body(folder, "alignment-coverage")["Peer Mentor"] == ["none", "none"]  # ESCO, O*NET-SOC
    # content/endorsements/: Harbour Polytechnic endorses Faculty Coordinator, one of its
    # credentials and the issuer, and withdrew its endorsement of Peer Mentor; the Coastal Skills
    # Council's endorsement of Exchange Participant was received from its own site
    assert body(folder, "endorsed-achievements") == {
        "Exchange Participant": ["Coastal Skills Council", "1", "0"],
        "Faculty Coordinator": ["Harbour Polytechnic", "1", "1"],
        "Northbridge Global Educator": ["none", "0", "0"],
        "Open Curriculum Contributor": ["none", "0", "0"],
        "Peer Mentor": ["none", "0", "0"],
    }
    assert body(folder, "endorsers") == {
        "Coastal Skills Council": ["received", "1", "0", "0", "0", "0"],
        "Harbour Polytechnic": ["this site", "1", "1", "1", "0", "1"],
    }
    assert body(folder, "quality") == {
        "Awards without a narrative": ["0"],  # not the automatic pathway awards (noted)
        "Awards without evidence": ["14"],
        "Achievements without an image or criteria": ["4"],
        "Pairs of near-duplicate email addresses": ["0"],
        "Awards not issued yet": ["0"],
    }
    assert sorted(body(folder, "no-evidence")) == [
        "Aigerim Bekova",
        "Arjun Mehta",
        "Fatima Zahra El Amrani",
        "Joost van Dam",
        "Joost van den Berg",
        "Keiko Nakamura",
        "Kwame Asante",
        "Mei Tanaka",
        "Nguyễn Thị Lan",
        "Sofía Ramírez",
        "Tomás Herrera",
    ]
    assert "2 automatic pathway award(s)" in text_of(html, "quality")
    assert body(folder, "no-narrative") == {}
    assert body(folder, "expiring") == {
        "Within 30 days (by 2026-12-22)": ["0"],
        "In 31 to 90 days (by 2027-02-20)": ["0"],
    }
    # content/pathways/global-educator.yaml: Faculty Coordinator, Open Curriculum Contributor and
    # one of Peer Mentor or Exchange Participant, within 2 years. Completed: Arjun Mehta (first
    # credential 2026-05-14, completed 2026-07-15: 62 days) and Keiko Nakamura (2026-06-30 to
    # 2026-09-18: 80 days). One away: Joost van den Berg (no mentor or exchange credential).
    # Two away: the 14 others holding one credential that counts. Not counted: Sofía Ramírez
    # (her Peer Mentor expired) and t.herrera@ (revoked): nothing of theirs counts.
    assert body(folder, "pathway-global-educator") == {
        "Three or more components away": ["0"],
        "Two components away": ["14"],
        "One component away": ["1"],
        "Completed": ["2"],
    }
    assert body(folder, "pathways") == {
        "Northbridge Global Educator": [
            "all of: Faculty Coordinator, Open Curriculum Contributor, Supporting an exchange "
            "(any of: Peer Mentor, Exchange Participant); within 2 years",
            "71",  # the median of 62 and 80 days
        ]
    }
    text = html.read_text(encoding="utf-8")
    assert "Faculty Coordinator" in text and "Joost van den Berg" in text


def test_statuses_are_computed_as_the_build_computes_them(example: Path) -> None:
    """The report's states are the build's `BuildResult.states` for the same `now`."""
    from conftest import build_site

    result = build_site(example, output_dir=str(example.parent / "built"), record=False)
    found = facts.load(example, facts.Options(), NOW)
    states: dict[str, int] = {}
    for credential in found.credentials:
        states[credential.state] = states.get(credential.state, 0) + 1
    assert states == result.states


# -- a generated site with known counts ---------------------------------------------------------------


def test_generated_site_numbers(generated: Path, tmp_path: Path) -> None:
    """bench/report_bench.py's rules (see its docstring) give these numbers for n = 1000."""
    _, folder = report(generated, tmp_path, GENERATED_NOW)
    assert body(folder, "overview") == {
        "Credentials issued": ["995"],  # i % 200 == 199 (5 awards) are not in credsite.lock
        "Recipients (different email addresses)": ["995"],
        "Achievements awarded": ["4"],
        "Issuers": ["2"],
        "Award files": ["11"],
        "Awards not issued yet (not in credsite.lock)": ["5"],
    }
    assert body(folder, "per-achievement") == {
        "Data Steward": ["Alpha Institute", "250"],
        "Field Researcher": ["Alpha Institute", "250"],
        "Team Lead": ["Beta College", "250"],
        "Open Educator": ["Beta College", "245"],  # 199, 399, ... are all i % 4 == 3
        "Unused Badge": ["Alpha Institute", "0"],
    }
    assert body(folder, "per-issuer") == {
        "Alpha Institute": ["3", "500"],
        "Beta College": ["2", "495"],
    }
    files = body(folder, "per-award-file")
    assert files == {
        **{f"cohort-{k:02d}.yaml": ["100"] for k in (0, 2, 4, 6, 8)},
        **{f"cohort-{k:02d}.yaml": ["99"] for k in (1, 3, 5, 7)},
        "cohort-09.yaml": ["97"],
        "individual-awards.yaml": ["2"],
    }
    months = body(folder, "issued-by-month")
    expected = {f"2025-{m:02d}": "72" if m <= 6 else "71" for m in range(1, 13)}
    expected |= {"2026-01": "71", "2026-02": "71"}
    # the awards not in credsite.lock: 199, 399, 599, 799, 999 in months 3, 7, 11, 1, 5 (i % 14)
    for month in ("2025-04", "2025-08", "2025-12", "2025-02", "2025-06"):
        expected[month] = str(int(expected[month]) - 1)
    assert {m: c for m, (c,) in months.items()} == expected
    assert sum(int(c) for c in expected.values()) == 995
    assert body(folder, "status") == {
        "Active": ["938"],
        "Expired": ["34"],  # Data Steward (1 year) issued by 2025-03-15
        "Suspended": ["12"],  # i % 89 == 1
        "Revoked": ["11"],  # i % 97 == 0
    }
    assert body(folder, "expiring") == {
        "Within 30 days (by 2026-04-14)": ["35"],
        "In 31 to 90 days (by 2026-06-13)": ["36"],
    }
    assert len(rows(folder, "expiring-awards")) == 1 + 71
    assert body(folder, "frameworks") == {
        "ESCO": ["2 of 5", "2", "500"],
        "O*NET": ["1 of 5", "1", "250"],
        "skills.example.org": ["1 of 5", "1", "245"],  # no 'framework': the URL's host
    }
    assert {k: v[-1] for k, v in body(folder, "skills").items()} == {
        "manage research data": "500",
        "apply data protection": "250",
        "Field research": "250",
        "open licensing": "245",
    }
    assert body(folder, "quality") == {
        "Awards without a narrative": ["100"],  # i % 10 == 3, issued or not
        "Awards without evidence": ["666"],  # i % 3 != 0
        "Achievements without an image or criteria": ["5"],
        "Pairs of near-duplicate email addresses": ["8"],
        "Awards not issued yet": ["5"],
    }
    pairs = rows(folder, "near-duplicate-emails")[1:]
    assert sorted(p[4] for p in pairs) == [emails.ONE_EDIT] * 4 + [emails.SAME_LOCAL] * 4
    assert all(p[5] == "yes" and p[1] == p[3] for p in pairs)  # the same person's name
    assert len(rows(folder, "not-issued")) == 1 + 5
    assert len(rows(folder, "no-evidence")) == 1 + 666  # the CSV has every row ...


FUNNEL = ("Three or more components away", "Two components away", "One component away", "Completed")


def funnel_of(folder: Path, pathway: str) -> list[int]:
    table = body(folder, f"pathway-{pathway}")
    assert list(table) == list(FUNNEL)
    return [int(table[stage][0]) for stage in FUNNEL]


def test_generated_site_pathways(generated_pathways: Path, generated: Path, tmp_path: Path) -> None:
    """The bench's pathway cohort (its docstring: which learner holds what) gives these."""
    _, folder = report(generated_pathways, tmp_path, GENERATED_NOW)
    # [three or more away, two away, one away, completed]
    assert funnel_of(folder, "certificate") == [0, 10, 40, 40]
    assert funnel_of(folder, "diploma") == [0, 0, 30, 20]
    assert funnel_of(folder, "honours") == [20, 30, 30, 20]
    assert body(folder, "pathways") == {
        "Programme Certificate": ["all of: Module A, Module B, Module C; within 1 year", "50"],
        "Programme Diploma": ["all of: Programme Certificate, Module D", "30"],
        "Programme Honours": ["all of: Module A, Module B, Module C, Module D", "60"],
    }
    # the build's own pathway awards (award_pathways, as a --locked build) agree with the funnel
    achievements = body(folder, "per-achievement")
    assert achievements["Programme Certificate"][-1] == "40"
    assert achievements["Programme Diploma"][-1] == "20"
    assert achievements["Programme Honours"][-1] == "20"
    files = body(folder, "per-award-file")
    assert files["pathway-cohort.yaml"] == ["270"]
    assert files["Automatic pathway awards (content/pathways/)"] == ["80"]
    assert body(folder, "overview")["Award files"] == ["12"]  # 11 + pathway-cohort.yaml
    # the learners all have a narrative, the automatic awards none: still the 100 of before
    assert body(folder, "quality")["Awards without a narrative"] == ["100"]
    assert len(rows(folder, "no-narrative")) == 1 + 100

    # the same report in public: no count below 5, so nothing hidden
    _, public = report(generated_pathways, tmp_path, GENERATED_NOW, public=True)
    for pathway in ("certificate", "diploma", "honours"):
        assert body(public, f"pathway-{pathway}") == body(folder, f"pathway-{pathway}")
    assert body(public, "pathways") == body(folder, "pathways")

    # a site without pathways has no pathway section, and no automatic-award row
    _, plain = report(generated, tmp_path / "plain", GENERATED_NOW)
    assert not (plain / "pathways.csv").exists()
    assert "Automatic pathway awards (content/pathways/)" not in body(plain, "per-award-file")


def test_pathway_funnel_filters(generated_pathways: Path, tmp_path: Path) -> None:
    # completions from 2025-07-21 to 2025-08-31: the certificate's of r 2 (day 60) and r 3
    # (day 80), median 70; r 0 and r 1 (days 20 and 40) are not counted at all. Diploma and
    # honours are completed on day 60 (2025-07-31). How close the others are does not change.
    since, until = dt.date(2025, 7, 21), dt.date(2025, 8, 31)
    _, folder = report(generated_pathways, tmp_path, GENERATED_NOW, since=since, until=until)
    assert funnel_of(folder, "certificate") == [0, 10, 40, 20]
    assert funnel_of(folder, "diploma") == [0, 0, 30, 20]
    assert funnel_of(folder, "honours") == [20, 30, 30, 20]
    assert {k: v[-1] for k, v in body(folder, "pathways").items()} == {
        "Programme Certificate": "70",
        "Programme Diploma": "30",
        "Programme Honours": "60",
    }
    _, folder = report(generated_pathways, tmp_path / "d", GENERATED_NOW, since=dt.date(2026, 1, 1))
    assert [funnel_of(folder, p)[-1] for p in ("certificate", "diploma", "honours")] == [0, 0, 0]
    assert {v[-1] for v in body(folder, "pathways").values()} == {""}  # no median of no one

    # --achievement: that pathway, or the pathways it is a component of
    _, folder = report(generated_pathways, tmp_path / "m", GENERATED_NOW, achievement="module-d")
    assert sorted(body(folder, "pathways")) == ["Programme Diploma", "Programme Honours"]
    assert not (folder / "pathway-certificate.csv").exists()
    assert funnel_of(folder, "honours") == [20, 30, 30, 20]  # every component still counts
    _, folder = report(
        generated_pathways, tmp_path / "c", GENERATED_NOW, achievement="certificate"
    )
    assert sorted(body(folder, "pathways")) == ["Programme Certificate", "Programme Diploma"]
    _, folder = report(generated_pathways, tmp_path / "t", GENERATED_NOW, achievement="team-lead")
    assert not (folder / "pathways.csv").exists()
    assert not any(p.name.startswith("pathway-") for p in folder.iterdir())


def test_funnel_chart(generated_pathways: Path, example: Path, tmp_path: Path) -> None:
    """Drawn by the bundled Vega-Lite from its table's cells: centred bars, no value axis."""
    html, _ = report(generated_pathways, tmp_path, GENERATED_NOW)
    spec = chart_specs(html.read_text(encoding="utf-8"))["chart-pathway-honours"]
    assert [(row["c"], row["v"]) for row in spec["data"]["values"]] == list(
        zip(FUNNEL, [20, 30, 30, 20], strict=True)
    )
    bars = spec["layer"][0]["encoding"]
    assert bars["x"]["field"] == "left" and bars["x2"]["field"] == "right"
    assert bars["x"]["axis"] is None
    low, high = bars["x"]["scale"]["domain"]
    assert low == -high and high > 30 / 2
    html, _ = report(example, tmp_path, public=True)
    spec = chart_specs(html.read_text(encoding="utf-8"))["chart-pathway-global-educator"]
    assert [(row["v"], row["t"]) for row in spec["data"]["values"]] == [
        (0, "0"),
        (14, "14"),
        (None, "<5"),  # hidden: no bar
        (None, "<5"),
    ]


def test_long_lists_are_cut_in_the_html_only(generated: Path, tmp_path: Path) -> None:
    html, _ = report(generated, tmp_path, GENERATED_NOW)
    text = html.read_text(encoding="utf-8")
    section = text.split('id="table-no-evidence"', 1)[1].split("</table>", 1)[0]
    assert section.count("<tr>") == 1 + 200  # ... the HTML its first 200
    assert "Showing the first 200 of 666 rows" in text


def test_months_asked_for_within_the_sites_are_all_shown(example: Path, tmp_path: Path) -> None:
    """A year's report shows its twelve months, those before the year's first credential too."""
    _, folder = report(example, tmp_path, since=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))
    months = body(folder, "issued-by-month")
    assert list(months) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert months["2025-01"] == ["0"]


def test_months_stop_at_the_credentials_and_today_however_wide_the_range(
    generated: Path, tmp_path: Path
) -> None:
    """`--since 0001-01-01 --until 9999-12-31` (everything) drew 119,988 empty months, a 10 MB
    report: the month table spans only the months that can hold a credential; within them, the
    months asked for."""
    since, until = dt.date(1, 1, 1), dt.date(9999, 12, 31)
    _, folder = report(generated, tmp_path, GENERATED_NOW, since=since, until=until)
    months = list(body(folder, "issued-by-month"))
    assert months[0] == "2025-01" and months[-1] == f"{GENERATED_NOW:%Y-%m}"
    assert body(folder, "overview")["Credentials issued"] == ["995"]
    # a range before the site's first credential starts at it
    _, folder = report(generated, tmp_path / "a", GENERATED_NOW, since=dt.date(2024, 11, 1),
                       until=dt.date(2025, 3, 31), achievement="team-lead")  # fmt: skip
    months = body(folder, "issued-by-month")
    assert next(iter(months)) == "2025-01" and list(months)[-1] == "2025-03"
    # nothing matches: no months at all
    _, folder = report(generated, tmp_path / "b", GENERATED_NOW, since=dt.date(1, 1, 1),
                       until=dt.date(2024, 1, 1))  # fmt: skip
    assert body(folder, "issued-by-month") == {}


def test_filters(generated: Path, tmp_path: Path) -> None:
    _, folder = report(generated, tmp_path, GENERATED_NOW, achievement="team-lead")
    assert body(folder, "overview")["Credentials issued"] == ["250"]
    assert body(folder, "per-achievement") == {"Team Lead": ["Beta College", "250"]}
    assert body(folder, "per-issuer") == {"Beta College": ["1", "250"]}
    assert body(folder, "frameworks") == {}

    since, until = dt.date(2025, 6, 1), dt.date(2025, 6, 30)
    _, folder = report(generated, tmp_path / "june", GENERATED_NOW, since=since, until=until)
    assert body(folder, "issued-by-month") == {"2025-06": ["71"]}
    assert body(folder, "overview")["Credentials issued"] == ["71"]
    assert body(folder, "overview")["Awards not issued yet (not in credsite.lock)"] == ["1"]

    _, folder = report(
        generated,
        tmp_path / "day",
        GENERATED_NOW,
        since=dt.date(2025, 6, 5),
        until=dt.date(2025, 6, 5),
    )
    # issued on day 1 + i % 28 of month i % 14: i % 28 == 4 and i % 14 == 5 never both hold
    assert body(folder, "overview")["Credentials issued"] == ["0"]


def test_unknown_achievement_is_a_clear_error(example: Path, tmp_path: Path) -> None:
    with pytest.raises(
        CredsiteError, match="no achievement 'peer-mentr' \\(did you mean 'peer-mentor'"
    ):
        report(example, tmp_path, achievement="peer-mentr")
    assert not (tmp_path / "private.html").exists()


# -- the public report ------------------------------------------------------------------------------


def personal_data(root: Path) -> list[str]:
    """Every recipient's name and email address, their name as a file name, their local part."""
    site = model.load(site_config.load(root))
    found: set[str] = set()
    for award in site.awards:
        slug = re.sub(r"[^a-z0-9]+", "-", award.name.lower()).strip("-")
        found |= {award.name, award.email, award.email.split("@")[0], slug}
    return sorted(found)


@pytest.mark.parametrize("site", ["example", "generated", "generated_pathways"])
def test_public_report_holds_no_personal_data(
    site: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    root: Path = request.getfixturevalue(site)
    needles = personal_data(root)
    assert len(needles) > 40
    private_html, private_csv = report(root, tmp_path)
    html, folder = report(root, tmp_path, public=True)
    private = private_html.read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8-sig") for p in private_csv.glob("*.csv")
    )
    for script in page.vendored_scripts():
        private = private.replace(script, "")
    private = private.lower()
    # the vendored renderer is the same 840 KB in every report: left out of the search (speed)
    markup = html.read_text(encoding="utf-8")
    for script in page.vendored_scripts():
        assert script in markup
        markup = markup.replace(script, "")
    texts = {html.name: markup.lower()}
    texts |= {p.name: p.read_text(encoding="utf-8-sig").lower() for p in folder.iterdir()}
    assert len(texts) > 10
    leaks = [(name, n) for name, t in texts.items() for n in needles if n.lower() in t]
    assert leaks == []
    # the grep would have found them: the private report's lists name recipients
    assert sum(n.lower() in private for n in needles) >= 20
    if site == "example":  # a file named after its one recipient is not named in public
        assert "amara-nwosu" in private and "amara-nwosu" not in markup
    assert not (folder / "no-evidence.csv").exists()
    assert not (folder / "near-duplicate-emails.csv").exists()
    assert stat.S_IMODE(html.stat().st_mode) == 0o644
    assert stat.S_IMODE(private_html.stat().st_mode) == 0o600


def test_public_report_suppresses_small_counts(
    example: Path, generated: Path, tmp_path: Path
) -> None:
    _, folder = report(example, tmp_path / "example", public=True)
    assert body(folder, "per-achievement") == {
        "Exchange Participant": ["Northbridge Open Learning Alliance", "7"],
        "Faculty Coordinator": ["Northbridge Open Learning Alliance", "6"],
        "Open Curriculum Contributor": ["Northbridge Open Learning Alliance", "6"],
        "Northbridge Global Educator": ["Northbridge Open Learning Alliance", "<5"],
        "Peer Mentor": ["Northbridge Open Learning Alliance", "≥5"],  # 26 - 7 - 6 - 6 = 7 = 2 + 5
    }
    # 1 + 1: two hidden counts that add up to 2 would each be 1, so a third is hidden
    assert body(folder, "status") == {"Active": ["≥5"], "Expired": ["<5"], "Revoked": ["<5"]}
    # a total over some hidden achievements but not all would give them away
    assert body(folder, "frameworks") == {
        "ESCO": ["3 of 5", "6", "19"],
        "O*NET-SOC": ["1 of 5", "1", "6"],
    }
    assert body(folder, "per-issuer") == {"Northbridge Open Learning Alliance": ["5", "26"]}
    # one recipient's credential was endorsed: in public, how many is hidden like any count
    assert body(folder, "endorsers")["Harbour Polytechnic"] == ["this site", "1", "1", "<5", "0", "1"]
    # files awarding fewer than 5 people are not named. Two small counts are hidden, the
    # automatic pathway awards (2) and the other file (1): 26 - 23 = 3 = 1 + 2 or 2 + 1, so
    # neither can be worked out and no other count needs hiding. Hidden counts go last, by
    # name: the order tells nothing about them either.
    assert list(body(folder, "per-award-file").items()) == [
        ("contributors-and-mentors.yaml", ["11"]),
        ("exchange-spring-2026.yaml", ["7"]),
        ("faculty-coordinators-2025-26.yaml", ["5"]),
        ("Automatic pathway awards (content/pathways/)", ["<5"]),
        ("Other award files (1)", ["<5"]),
    ]
    # the funnel: 1 + 2 = 3 = 2 + 1, neither follows; the median of two people is hidden
    assert body(folder, "pathway-global-educator") == {
        "Three or more components away": ["0"],
        "Two components away": ["14"],
        "One component away": ["<5"],
        "Completed": ["<5"],
    }
    assert body(folder, "pathways")["Northbridge Global Educator"][-1] == "hidden"
    assert body(folder, "overview")["Credentials issued"] == ["26"]

    _, folder = report(generated, tmp_path / "gen", GENERATED_NOW, public=True)
    assert body(folder, "status") == {
        "Active": ["938"],
        "Expired": ["34"],
        "Suspended": ["12"],
        "Revoked": ["11"],
    }
    files = body(folder, "per-award-file")
    assert files["Other award files (1)"] == ["<5"] and files["cohort-09.yaml"] == ["≥5"]
    assert "individual-awards.yaml" not in files

    _, folder = report(generated, tmp_path / "gen15", GENERATED_NOW, public=True, min_count=15)
    assert body(folder, "status") == {
        "Active": ["938"],
        "Expired": ["34"],
        "Suspended": ["<15"],
        "Revoked": ["<15"],  # two hidden: none more to hide
    }


def test_public_charts_show_no_hidden_count(example: Path, tmp_path: Path) -> None:
    html, _ = report(example, tmp_path, public=True)
    specs = chart_specs(html.read_text(encoding="utf-8"))
    assert "chart-status" not in specs  # every count hidden: no chart
    assert specs["chart-per-achievement"]["data"]["values"] == [
        {"c": "Exchange Participant", "v": 7, "t": "7"},
        {"c": "Faculty Coordinator", "v": 6, "t": "6"},
        {"c": "Open Curriculum Contributor", "v": 6, "t": "6"},
        {"c": "Northbridge Global Educator", "v": None, "t": "<5"},
        {"c": "Peer Mentor", "v": None, "t": "≥5"},
    ]
    domain = specs["chart-per-achievement"]["encoding"]["y"]["scale"]["domain"]
    assert domain == [
        "Exchange Participant",
        "Faculty Coordinator",
        "Open Curriculum Contributor",
        "Northbridge Global Educator",
        "Peer Mentor",
    ]


def text_of(html: Path, table: str) -> str:
    """The HTML of one table, from its element to the end of its box (its note included)."""
    markup = html.read_text(encoding="utf-8")
    return markup.split(f'id="table-{table}"', 1)[1].split('<div class="figure', 1)[0]


def chart_specs(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="chart-specs">(.*?)</script>', html, re.S
    )
    assert found
    return json.loads(found[1])


# -- suppression and near-duplicates, alone ----------------------------------------------------------------


def test_suppress() -> None:
    table = Table(
        "t",
        "T",
        [Column("name", "Name"), Column("n", "N", "count"), Column("k", "K", "number")],
        [["a", 0, 1], ["b", 3, 2], ["c", 7, 3], ["d", 40, 4]],
        partition=True,
    )
    shown = suppress(table, 5)
    assert shown.rows == [
        ["a", 0, 1],  # zero is shown
        ["b", Hidden("<5"), 2],
        ["c", Hidden("≥5"), 3],  # the smallest other non-zero count, so b cannot be worked out
        ["d", 40, 4],  # "number" columns are never hidden
    ]
    assert shown.hidden and table.rows[1][1] == 3  # the original is left alone
    table.partition = False
    assert suppress(table, 5).rows[2] == ["c", 7, 3]
    assert suppress(table, 1).rows == table.rows


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ([3, 2, 6, 6], ["<5", "<5", 6, 6]),  # 5 = 1+4, 2+3, ...: neither follows
        ([1, 1, 15, 40], ["<5", "<5", "≥5", 40]),  # 2 = 1+1 would tell both
        ([4, 4, 6, 40], ["<5", "<5", "≥5", 40]),  # 8 = 4+4 would tell both
        ([1, 5, 5, 6], ["<5", "≥5", "≥5", "≥5"]),  # 1+5+5 = 11 would tell the 1
        ([2], ["<5"]),  # nothing else to hide
    ],
)
def test_complementary_suppression(counts: list[int], shown: list[object]) -> None:
    table = Table(
        "t",
        "T",
        [Column("k", "K"), Column("n", "N", "count")],
        [[str(i), n] for i, n in enumerate(counts)],
        partition=True,
    )
    assert [c.text if isinstance(c, Hidden) else c for _, c in suppress(table, 5).rows] == shown


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        ("jane.doe@example.org", "janedoe@exmaple.org", emails.SAME_LOCAL),
        ("jane.doe+work@example.org", "jane.doe@example.org", emails.SAME_LOCAL),
        ("jane@gmail.com", "jane@gmial.com", emails.SAME_LOCAL),
        ("jane@example.org", "jame@example.org", emails.ONE_EDIT),
        ("jnae@example.org", "jane@example.org", emails.ONE_EDIT),  # a swap is one edit
        ("jane@example.org", "jane@example.org.uk", None),
        ("ana@example.org", "anna.smith@example.org", None),
        ("jane@example.org", "jane@university.edu", None),
        ("jane1@example.org", "jane2@example.org", None),  # a digit, and other names
    ],
)
def test_near_duplicate_rules(a: str, b: str, rule: str | None) -> None:
    pairs = emails.near_duplicates([a, b, a], {a: ["Jane Doe"], b: ["Jane Roe"]})
    assert [p.rule for p in pairs] == ([rule] if rule else [])


def test_numbered_addresses_are_not_typos_unless_the_names_agree() -> None:
    numbered = [f"student{i:05d}@school.example" for i in range(10_000)]
    names = {email: {f"Student {i}"} for i, email in enumerate(numbered)}
    assert emails.near_duplicates(numbered, names) == []  # and fast: no pair is compared
    names["student00012@school.example"] = {"Student 21"}  # 00021 typed as 00012?
    assert emails.near_duplicates(numbered, names) == [
        emails.Pair("student00012@school.example", "student00021@school.example", emails.ONE_EDIT)
    ]


def test_one_edit_pairs_are_exactly_those_one_edit_apart() -> None:
    """The direct search finds what comparing every pair finds (the digit exception aside)."""
    rng = random.Random(3)
    for _ in range(200):
        found = set()
        for _ in range(rng.randint(2, 25)):
            local = "".join(rng.choice("ab1.") for _ in range(rng.randint(1, 4)))
            domain = "".join(rng.choice("xy") for _ in range(rng.randint(1, 3)))
            found.add(f"{local}@{domain}.org")
        addresses = sorted(found)
        got = {
            (p.first, p.second)
            for p in emails.near_duplicates(addresses, dict.fromkeys(addresses, ("Same",)))
        }
        want = set()
        for i, a in enumerate(addresses):
            for b in addresses[i + 1 :]:
                (la, _, da), (lb, _, db) = a.rpartition("@"), b.rpartition("@")
                same_local = emails.normalised_local(la) == emails.normalised_local(lb)
                if (same_local and emails.distance(da, db, 2) <= 2) or emails.distance(
                    a, b, 1
                ) <= 1:
                    want.add((a, b))
        assert got == want, addresses


def test_distance() -> None:
    assert emails.distance("kitten", "sitting", 5) == 3
    assert emails.distance("abcd", "abdc", 2) == 1
    assert emails.distance("a" * 10, "b" * 10, 2) == 3  # stops past the limit


# -- where it writes, and what it never touches ---------------------------------------------------------


def test_refuses_the_output_folder_and_the_sites_files(example: Path) -> None:
    for target, message in [
        (example / "_site" / "report.html", "inside the output folder '_site'"),
        (example / "_site", "inside the output folder"),
        (example / "content" / "report.html", "inside the site's content folder"),
        (example / "credsite.lock", "would overwrite credsite.lock"),
    ]:
        with pytest.raises(CredsiteError, match=re.escape(message)) as caught:
            page.write(example, facts.Options(), target, None, NOW)
        assert caught.value.problems[0].location is not None
        assert str(caught.value.problems[0].location) == str(target)
    with pytest.raises(CredsiteError, match="CSV folder would be inside the output folder"):
        page.write(example, facts.Options(), example / "ok.html", example / "_site" / "csv", NOW)
    assert not (example / "_site").exists() and not (example / "ok.html").exists()


def test_refuses_any_built_site(example: Path, tmp_path: Path) -> None:
    built = tmp_path / "public"
    (built / "credentials").mkdir(parents=True)
    (built / ".nojekyll").write_bytes(b"")
    with pytest.raises(CredsiteError, match="a built credsite site"):
        page.write(example, facts.Options(), built / "stats" / "report.html", None, NOW)


def test_never_writes_the_lockfile_nor_builds(make_site, tmp_path: Path) -> None:
    root = make_site()  # never built: credsite.lock does not exist
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    page.write(root, facts.Options(), tmp_path / "r.html", tmp_path / "csv", NOW)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert body(tmp_path / "csv", "overview") == {
        "Credentials issued": ["0"],
        "Recipients (different email addresses)": ["0"],
        "Achievements awarded": ["0"],
        "Issuers": ["0"],
        "Award files": ["0"],
        "Awards not issued yet (not in credsite.lock)": ["3"],
    }
    assert sorted(body(tmp_path / "csv", "not-issued")) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]


def test_example_lockfile_is_left_as_it_was(example: Path, tmp_path: Path) -> None:
    lockfile = example / "credsite.lock"
    before = lockfile.read_bytes(), lockfile.stat().st_mtime_ns
    report(example, tmp_path)
    assert (lockfile.read_bytes(), lockfile.stat().st_mtime_ns) == before


def test_csv_folder_is_replaced_not_mixed(example: Path, tmp_path: Path) -> None:
    """A public report written where a private one was leaves none of the private CSVs."""
    folder = tmp_path / "stats"
    page.write(example, facts.Options(), tmp_path / "p.html", folder, NOW)
    assert (folder / "no-evidence.csv").exists()
    (folder / "my-notes.txt").write_text("mine", encoding="utf-8")
    page.write(example, facts.Options(public=True), tmp_path / "q.html", folder, NOW)
    assert not (folder / "no-evidence.csv").exists()
    assert (folder / "status.csv").exists() and (folder / "my-notes.txt").exists()
    assert "public" in (folder / page.CSV_MARKER).read_text(encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "data.csv").write_text("x", encoding="utf-8")
    with pytest.raises(CredsiteError, match="holds other files"):
        page.write(example, facts.Options(), tmp_path / "r.html", other, NOW)


def test_csv_cells_that_look_like_formulas_are_quoted(make_site, tmp_path: Path) -> None:
    root = make_site(
        {
            "content/awards/awards.yaml": """\
            - achievement: teamwork
              name: "=HYPERLINK(\\"http://evil.example\\")"
              email: eve@example.org
            """
        }
    )
    page.write(root, facts.Options(), tmp_path / "r.html", tmp_path / "csv", NOW)
    assert rows(tmp_path / "csv", "not-issued")[1][0] == '\'=HYPERLINK("http://evil.example")'


# -- the HTML ---------------------------------------------------------------------------------------


def test_html_is_self_contained(example: Path, tmp_path: Path) -> None:
    html, _ = report(example, tmp_path)
    text = html.read_text(encoding="utf-8")
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.S)
    assert "<link" not in markup and "@font-face" not in markup and "@import" not in markup
    assert "url(" not in markup and not re.search(r"\ssrc=", markup)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert (
        csp
        and "default-src 'none'" in csp[1]
        and "unsafe" not in csp[1].replace("style-src 'unsafe-inline'", "")
    )
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    assert len(scripts) == 4  # vega, vega-lite, vega-embed, the page's own
    for script in scripts:
        digest = hashlib.sha256(script.encode("utf-8")).digest()
        assert f"'sha256-{base64.b64encode(digest).decode()}'" in csp[1]
    assert "sourceMappingURL" not in text
    assert 'lang="en" class="no-js"' in text


def test_content_cannot_break_out_of_the_page(make_site, tmp_path: Path) -> None:
    evil = "Bad </script><script>alert(1)</script> & <b>bold</b>"
    root = make_site(
        {
            "content/achievements/teamwork.yaml": f"""\
            name: "{evil}"
            description: x
            criteria: y
            """
        }
    )
    from conftest import build_site

    build_site(root)
    html = tmp_path / "r.html"
    page.write(root, facts.Options(), html, None, NOW)
    text = html.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text and "<b>bold" not in text
    assert "Bad &lt;/script&gt;" in text
    specs = chart_specs(text)
    assert any(row["c"] == evil for row in specs["chart-per-achievement"]["data"]["values"])


def test_every_chart_spec_is_its_tables_numbers(example: Path) -> None:
    found = facts.load(example, facts.Options(), NOW)
    for section in sections(found):
        for figure in section.figures:
            if figure.chart is None:
                continue
            spec = charts.spec(figure.chart, figure.table)
            values = [row["v"] for row in spec["data"]["values"]]
            assert values == figure.table.values(figure.chart.value)
            assert spec["config"]["aria"] is False and spec["width"] == "container"


# -- the command ---------------------------------------------------------------------------------------


def test_cli(example: Path, tmp_path: Path) -> None:
    result = run_cli("report", "--help")
    assert result.exit_code == 0
    for option in ("--csv", "--since", "--until", "--achievement", "--public", "--min-count", "-o"):
        assert option in result.stdout
    out = tmp_path / "r.html"
    result = run_cli("report", "-o", str(out), "--csv", str(tmp_path / "csv"), cwd=example)
    assert result.exit_code == 0, output_of(result)
    assert out.exists() and f"Wrote {out}" in result.stdout
    assert "names recipients" in result.stderr
    result = run_cli("report", "--public", "--min-count", "3", cwd=example)
    assert result.exit_code == 0, output_of(result)
    assert (example / "credsite-report-public.html").exists()
    assert "&lt;3" in (example / "credsite-report-public.html").read_text(encoding="utf-8")
    (example / "credsite-report-public.html").unlink()
    result = run_cli("report", "--min-count", "3", cwd=example)
    assert result.exit_code == 2 and "--public" in output_of(result)
    result = run_cli("report", "--since", "2026-05-01", "--until", "2026-01-01", cwd=example)
    assert result.exit_code == 2 and "--since is after --until" in output_of(result)
    result = run_cli("report", "-o", "_site/r.html", cwd=example)
    assert result.exit_code == 1
    assert "error: _site/r.html: the report would be inside the output folder" in output_of(result)


def test_broken_content_is_reported_located(make_site, tmp_path: Path) -> None:
    root = make_site(
        {"content/awards/bad.yaml": "- achievement: nope\n  name: X\n  email: x@example.org\n"}
    )
    with pytest.raises(CredsiteError) as caught:
        page.write(root, facts.Options(), tmp_path / "r.html", None, NOW)
    assert "content/awards/bad.yaml:1:" in str(caught.value)
    assert not (tmp_path / "r.html").exists()


# -- the vendored renderer -------------------------------------------------------------------------------


def test_vendored_files_match_their_digests_and_readme() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    lines = (VENDOR / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6
    for line in lines:
        digest, name = line.split()
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        assert f"`{digest}`" in readme and f"`{name}`" in readme
    versions = {
        "vega.min.js": 'version="{}"',
        "vega-lite.min.js": 'var n="{}"',
        "vega-embed.min.js": '"{}"',
    }
    for (name, pattern), version in zip(versions.items(), page.VERSIONS.values(), strict=True):
        assert pattern.format(version) in (VENDOR / name).read_text(encoding="utf-8"), name
        assert f"| {version} |" in readme
    refresh = (VENDOR / "refresh.sh").read_text(encoding="utf-8")
    assert [
        f"{k}={v}"
        for k, v in zip(("VEGA", "VEGA_LITE", "VEGA_EMBED"), page.VERSIONS.values(), strict=True)
    ] == [line for line in refresh.splitlines() if re.fullmatch(r"VEGA\w*=[\d.]+", line)]


def test_delivery_counts_who_credsite_notify_told(tmp_path: Path) -> None:
    """Delivery: read from credsite.notified (salted hashes), told / marked / not yet."""
    from credsite.state.notified import FILE_NAME, Ledger

    root = copy_example(tmp_path / "site")
    _, folder = report(root, tmp_path / "before")
    assert body(folder, "delivery") == {
        "By email (credsite notify --send)": ["0"],
        "Marked as told another way (--mark-sent)": ["0"],
        "Refused by the recipient's mail server (bounced)": ["0"],
        "Not told yet": ["25"],  # 24 active + 1 expired; the revoked one is not counted
    }
    held = [
        c
        for c in facts.load(root, facts.Options(), NOW).credentials
        if c.state in ("active", "expired")
    ]
    ledger = Ledger.load(root / FILE_NAME)
    for c in held[:3]:
        ledger.record("awarded", c.token, c.award.email, when=NOW)
    ledger.record("awarded", held[3].token, held[3].award.email.upper(), when=NOW, marked=True)
    ledger.record("expiring:30d", held[4].token, held[4].award.email, when=NOW)  # not "awarded"
    ledger.record("refused:awarded", held[6].token, held[6].award.email, when=NOW)  # bounced
    ledger.record("refused:awarded", held[7].token, held[7].award.email, when=NOW)  # then told
    ledger.record("awarded", held[7].token, held[7].award.email, when=NOW)
    _, folder = report(root, tmp_path / "after")
    assert body(folder, "delivery") == {
        "By email (credsite notify --send)": ["4"],
        "Marked as told another way (--mark-sent)": ["1"],
        "Refused by the recipient's mail server (bounced)": ["1"],
        "Not told yet": ["19"],
    }
    waiting = {(row[1], row[2]) for row in rows(folder, "not-told")[1:]}
    assert (held[0].award.email, held[0].achievement.name) not in waiting
    assert (held[5].award.email, held[5].achievement.name) in waiting
    bounced = {(row[1], row[2]) for row in rows(folder, "bounced")[1:]}
    assert bounced == {(held[6].award.email, held[6].achievement.name)}


# -- destinations that are not files, and the last day there is -------------------------------------


@pytest.mark.parametrize("kind", NOT_FILES)
def test_report_never_replaces_a_device_or_fifo(example: Path, tmp_path: Path, kind: str) -> None:
    refuses_to_replace(tmp_path, kind, "report.html", ["report", "-o"], example, "the report")


def test_report_csv_folder_with_a_fifo_is_refused_before_anything_is_written(
    example: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "csv"
    page.write(example, facts.Options(), tmp_path / "first.html", folder, NOW)
    (folder / "overview.csv").unlink()
    os.mkfifo(folder / "overview.csv")
    result = run_cli("report", "-o", str(tmp_path / "r.html"), "--csv", str(folder), cwd=example)
    assert result.exit_code == 1, output_of(result)
    assert f"error: {folder / 'overview.csv'}: is a FIFO (named pipe), not a file" in result.stderr
    assert stat.S_ISFIFO(os.lstat(folder / "overview.csv").st_mode)
    assert not (tmp_path / "r.html").exists()


def test_report_to_standard_output(example: Path) -> None:
    result = run_cli("report", "-o", "-", "--public", cwd=example)
    assert result.exit_code == 0, output_of(result)
    assert result.stdout.startswith("<!doctype html>") and result.stdout.endswith("</html>\n")
    assert "Wrote" not in result.stdout
    assert not (example / "-").exists()


def test_report_to_a_full_standard_output(example: Path, tmp_path: Path) -> None:
    result = run_to_full_stdout("report", "-o", "-", cwd=example, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "error: cannot write to standard output: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option", ["-o", "--csv"])
def test_report_under_a_file_is_an_error(example: Path, tmp_path: Path, option: str) -> None:
    plain = tmp_path / "plain"
    plain.write_text("mine", encoding="utf-8")
    others = ["-o", str(tmp_path / "r.html")] if option == "--csv" else []
    result = run_cli("report", option, str(plain / "sub" / "x"), *others, cwd=example)
    assert result.exit_code == 1, output_of(result)
    assert f"{plain / 'sub' / 'x'}: {plain} is a file, not a folder" in result.stderr
    assert "Traceback" not in output_of(result)
    assert plain.read_text(encoding="utf-8") == "mine" and not (tmp_path / "r.html").exists()


def test_until_the_last_day_there_is(example: Path, tmp_path: Path) -> None:
    assert facts.period(facts.Options(until=dt.date.max)) == (None, None)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert facts.period(facts.Options(since=dt.date(2026, 1, 1), until=dt.date.max)) == (
        start,
        None,
    )
    out = tmp_path / "r.html"
    result = run_cli("report", "--until", "9999-12-31", "--public", "-o", str(out), cwd=example)
    assert result.exit_code == 0, output_of(result)
    assert "to 9999-12-31" in out.read_text(encoding="utf-8")
    _, everything = report(example, tmp_path / "all")
    _, until_end = report(example, tmp_path / "end", until=dt.date.max)
    assert body(until_end, "overview") == body(everything, "overview")
