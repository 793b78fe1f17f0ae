"""Results and rubrics (issue 15, part 2): an achievement declares what it assesses (grade scales,
rubric levels with points, ranges, statuses), each award gives its result from YAML or a
spreadsheet's ``result:<name>`` columns, checked with located errors; published only with
``publish_results: true``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import VECTORS, build_site, tree

from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError

ASSESSED = """\
name: Research Methods
description: A joint research methods module.
criteria: Pass the module.
publish_results: true
results:
  - name: Final grade
    type: LetterGrade
    allowed: [E, D, C, B, A]
    required: E
  - name: Team project
    levels:
      - name: Developing
        points: 1
      - name: Proficient
        points: 2
        description: Meets every criterion.
      - Exemplary
    required_level: Proficient
  - name: Score
    type: Percent
    min: 0
    max: 100
  - name: Completion
    type: Status
"""

AWARDS = """\
- achievement: research
  name: Ada Lovelace
  email: ada@example.org
  issued: 2026-03-01
  results:
    Final grade: B
    team_project: Proficient
    score: 87.5
    completion: Completed
- achievement: research
  name: Alan Turing
  email: alan@example.org
  issued: 2026-03-01
  results:
    final grade: {value: A, status: Completed}
"""


def site_files(achievement: str = ASSESSED, awards: str = AWARDS) -> dict[str, str | None]:
    return {
        "content/achievements/research.yaml": achievement,
        "content/awards/awards.yaml": awards,
    }


def errors_of(root: Path) -> list[str]:
    with pytest.raises(CredsiteError) as caught:
        model.load(site_config.load(root))
    return [str(p) for p in caught.value.problems]


def credential_of(root: Path, name: str) -> dict:
    for path in (root / "_site" / "credentials").glob("*.json"):
        doc = json.loads(path.read_text())
        if doc["credentialSubject"]["name"] == name:
            return doc
    raise AssertionError(name)


def ob_validator() -> jsonschema.Draft201909Validator:
    schema = json.loads((VECTORS / "ob-v3p0-achievementcredential-schema.json").read_text())
    return jsonschema.Draft201909Validator(schema)


def test_declared_results_and_each_awards_result_are_signed(make_site) -> None:
    root = make_site(site_files())
    build_site(root)
    doc = credential_of(root, "Ada Lovelace")
    assert list(ob_validator().iter_errors(doc)) == []
    achievement = doc["credentialSubject"]["achievement"]
    aid = achievement["id"]
    described = {d["id"]: d for d in achievement["resultDescription"]}
    grade = described[aid + "#result-final-grade"]
    assert grade["resultType"] == "LetterGrade"
    assert grade["allowedValue"] == ["E", "D", "C", "B", "A"] and grade["requiredValue"] == "E"
    rubric = described[aid + "#result-team-project"]
    assert rubric["resultType"] == "RubricCriterionLevel"
    assert [(lv["name"], lv.get("points")) for lv in rubric["rubricCriterionLevel"]] == [
        ("Developing", "1"),
        ("Proficient", "2"),
        ("Exemplary", None),
    ]
    assert rubric["requiredLevel"] == aid + "#result-team-project-level-proficient"
    score = described[aid + "#result-score"]
    assert (score["valueMin"], score["valueMax"]) == ("0", "100")
    results = doc["credentialSubject"]["result"]
    assert results == [
        {"type": ["Result"], "resultDescription": aid + "#result-final-grade", "value": "B"},
        {
            "type": ["Result"],
            "resultDescription": aid + "#result-team-project",
            "achievedLevel": aid + "#result-team-project-level-proficient",
        },
        {"type": ["Result"], "resultDescription": aid + "#result-score", "value": "87.5"},
        {
            "type": ["Result"],
            "resultDescription": aid + "#result-completion",
            "status": "Completed",
        },
    ]
    turing = credential_of(root, "Alan Turing")["credentialSubject"]["result"]
    assert turing == [
        {
            "type": ["Result"],
            "resultDescription": aid + "#result-final-grade",
            "value": "A",
            "status": "Completed",
        }
    ]
    # the published achievement declares the same, and its page shows the rubric
    published = json.loads((root / "_site/achievements/research.json").read_text())
    assert published["resultDescription"] == achievement["resultDescription"]
    page = (root / "_site/achievements/research.html").read_text()
    assert "How it is assessed" in page and "needed to earn it" in page
    # the credential page and its certificate mark every shown part of a result as signed
    html = (root / "_site/credentials" / (doc["id"].rsplit("/", 1)[1][:-5] + ".html")).read_text()
    for at in (
        'data-vc="credentialSubject.result.1.achievedLevel.name">Proficient<',
        'data-vc="credentialSubject.result.1.achievedLevel.points">2<',
        'data-vc="credentialSubject.result.1.resultDescription.requiredLevel.name">Proficient<',
        'data-vc="credentialSubject.result.2.resultDescription.valueMax">100<',
        'data-vc="credentialSubject.result.3.status" data-vc-format="type">Completed<',
    ):
        assert at in html, at
    assert html.count('data-vc="credentialSubject.result.0.value">B<') == 2  # page and certificate


def test_fields_come_first_so_field_i_is_result_i(make_site) -> None:
    awards = AWARDS.replace(
        "  results:\n    final grade:", "  fields:\n    cohort: 2026\n  results:\n    final grade:"
    )
    root = make_site(site_files(awards=awards))
    build_site(root)
    results = credential_of(root, "Alan Turing")["credentialSubject"]["result"]
    assert [r["resultDescription"].split("#")[1] for r in results] == [
        "field-cohort",
        "result-final-grade",
    ]
    html = next(
        p.read_text()
        for p in (root / "_site/credentials").glob("*.html")
        if "Alan Turing" in p.read_text()
    )
    assert 'data-vc="credentialSubject.result.0.value">2026<' in html
    assert 'data-vc="credentialSubject.result.1.value">A<' in html


def test_results_are_left_out_unless_the_achievement_publishes_them(make_site) -> None:
    root = make_site(site_files(achievement=ASSESSED.replace("publish_results: true\n", "")))
    result = build_site(root)
    for name in ("Ada Lovelace", "Alan Turing"):
        doc = credential_of(root, name)
        assert "result" not in doc["credentialSubject"]
        assert "resultDescription" not in doc["credentialSubject"]["achievement"]
    text = "\n".join(str(w) for w in result.warnings)
    assert "content/achievements/research.yaml" in text
    assert "2 award(s) of achievement 'research' give results, which are checked but not" in text
    assert "How it is assessed" not in (root / "_site/achievements/research.html").read_text()


@pytest.mark.parametrize(
    ("awards", "message"),
    [
        (
            AWARDS.replace("Final grade: B", "Final grade: F"),
            "content/awards/awards.yaml:6:18: result 'Final grade' must be one of 'E', 'D', "
            "'C', 'B', 'A', got 'F'",
        ),
        (
            AWARDS.replace("team_project: Proficient", "team_project: Expert"),
            "content/awards/awards.yaml:7:19: unknown level 'Expert': the levels of 'Team "
            "project' are 'Developing', 'Proficient', 'Exemplary'",
        ),
        (
            AWARDS.replace("score: 87.5", "score: 101"),
            "content/awards/awards.yaml:8:12: result 'Score' must be at most 100, got 101",
        ),
        (
            AWARDS.replace("score: 87.5", "score: lots"),
            "content/awards/awards.yaml:8:12: result 'Score' must be a number, got 'lots'",
        ),
        (
            AWARDS.replace("completion: Completed", "completion: Done"),
            "content/awards/awards.yaml:9:17: result status must be one of Completed",
        ),
        (
            AWARDS.replace("Final grade: B", "Grade: B"),
            "content/awards/awards.yaml:6:5: unknown result 'Grade' of achievement 'research' "
            "(did you mean 'Final grade'?)",
        ),
        (
            AWARDS.replace("{value: A, status: Completed}", "{value: A, status: Finished}"),
            "content/awards/awards.yaml:15:37: result status must be one of",
        ),
        (
            AWARDS.replace("{value: A, status: Completed}", "{grade: A}"),
            "content/awards/awards.yaml:15:19: unknown field 'grade' in result 'final grade'",
        ),
    ],
)
def test_a_result_outside_the_declaration_is_a_located_error(
    make_site, awards: str, message: str
) -> None:
    root = make_site(site_files(awards=awards))
    errors = errors_of(root)
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("required: E", "required: F"), "research.yaml:9:15: 'required' must be one of"),
        (
            ("required_level: Proficient", "required_level: Expert"),
            "research.yaml:18:21: 'required_level' must be one of the levels",
        ),
        (("type: LetterGrade", "type: Letter"), "research.yaml:7:11: unknown result type 'Letter'"),
        (("max: 100", "max: -1"), "research.yaml:22:10: 'max' (-1) is below 'min' (0)"),
        (("points: 1", "points: one"), "research.yaml:13:17: 'points' must be a number"),
        (("type: Percent", "type: RubricCriterionLevel"), "needs 'levels'"),
        (("  - name: Score", "  - name: final_grade"), "result 'final_grade' is declared twice"),
    ],
)
def test_a_malformed_declaration_is_a_located_error(
    make_site, replace: tuple[str, str], message: str
) -> None:
    root = make_site(site_files(achievement=ASSESSED.replace(*replace)))
    errors = errors_of(root)
    assert any(message in e for e in errors), errors


def test_results_for_an_achievement_that_declares_none_and_a_field_named_like_a_result(
    make_site,
) -> None:
    awards = (
        AWARDS
        + "- achievement: teamwork\n  name: Grace\n  email: g@example.org\n"
        + "  results:\n    grade: A\n"
        + "- achievement: research\n  name: Edsger\n  email: e@example.org\n"
        + "  fields:\n    Final Grade: A\n"
    )
    errors = errors_of(make_site(site_files(awards=awards)))
    assert any(
        "awards.yaml:20:5: achievement 'teamwork' declares no results" in e for e in errors
    ), errors
    assert any(
        "awards.yaml:21:3: field 'Final Grade' has the name of a result" in e for e in errors
    ), errors


def test_cohort_results_apply_to_every_award_and_an_awards_own_wins(make_site) -> None:
    cohort = """\
achievement: research
issued: 2026-03-01
results:
  completion: Completed
  final grade: C
awards:
  - name: Ada
    email: ada@example.org
    results:
      final grade: A
  - name: Alan
    email: alan@example.org
"""
    root = make_site(site_files(awards=cohort))
    site = model.load(site_config.load(root))
    by_name = {a.name: a for a in site.awards if a.achievement == "research"}
    assert [(r.spec, r.value, r.status) for r in by_name["Ada"].results] == [
        ("final-grade", "A", None),
        ("completion", None, "Completed"),
    ]
    assert [(r.spec, r.value, r.status) for r in by_name["Alan"].results] == [
        ("final-grade", "C", None),
        ("completion", None, "Completed"),
    ]


def test_spreadsheet_result_columns(make_site) -> None:
    csv = (
        "name,email,achievement,issued,Result: Final grade,result:team project,result:Completion\n"
        "Ada,ada@example.org,research,2026-03-01,B,Exemplary,Completed\n"
        "Alan,alan@example.org,research,2026-03-01,A,,\n"
    )
    files = {**site_files(), "content/awards/awards.yaml": None, "content/awards/research.csv": csv}
    root = make_site(files)
    site = model.load(site_config.load(root))
    ada = next(a for a in site.awards if a.name == "Ada")
    assert [(r.spec, r.value, r.level, r.status) for r in ada.results] == [
        ("final-grade", "B", None, None),
        ("team-project", None, "exemplary", None),
        ("completion", None, None, "Completed"),
    ]
    assert ada.fields == ()
    bad = csv.replace("B,Exemplary", "G,Exemplary")
    root = make_site({**files, "content/awards/research.csv": bad}, name="bad")
    errors = errors_of(root)
    assert any(
        "content/awards/research.csv:2:5: result 'Final grade' must be one of" in e for e in errors
    ), errors


def test_a_result_outside_the_allowed_values_fails_the_build_and_writes_nothing(make_site) -> None:
    root = make_site(site_files())
    build_site(root)
    before = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    (root / "content/awards/awards.yaml").write_text(
        AWARDS.replace("Final grade: B", "Final grade: A+"), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDSITE_")}
    result = subprocess.run(
        [sys.executable, "-m", "credsite", "build", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert (
        "error: content/awards/awards.yaml:6:18: result 'Final grade' must be one of 'E', 'D', "
        "'C', 'B', 'A', got 'A+' (did you mean 'A'?)" in text
    ), text
    assert "Traceback" not in text
    assert (tree(root / "_site"), (root / "credsite.lock").read_bytes()) == before


def test_the_examples_assessed_achievement(example_output: Path) -> None:
    achievement = json.loads(
        (example_output / "achievements/curriculum-contributor.json").read_text()
    )
    types = [d["resultType"] for d in achievement["resultDescription"]]
    assert "RubricCriterionLevel" in types and "PerformanceLevel" in types
    assessed = 0
    for path in (example_output / "credentials").glob("*.json"):
        doc = json.loads(path.read_text())
        if doc["credentialSubject"]["achievement"]["id"] != achievement["id"]:
            continue
        levels = {
            level["id"]
            for d in doc["credentialSubject"]["achievement"]["resultDescription"]
            for level in d.get("rubricCriterionLevel", [])
        }
        achieved = [r for r in doc["credentialSubject"]["result"] if "achievedLevel" in r]
        assert all(r["achievedLevel"] in levels for r in achieved)
        assessed += bool(achieved)
    assert assessed == 3  # the three awards in content/ that give their results
