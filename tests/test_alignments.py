"""Alignments to skill frameworks (issue 15, part 1): the helper forms (ESCO, O*NET, CASE, Credential
Engine) and the plain form become valid OB 3.0 Alignments; malformed URIs and codes are located
errors; pages group skills by framework and the index filters achievements by skill."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from conftest import VECTORS, build_site, run_fresh, tree

from credsite.content import frameworks, yamlsource
from credsite.content.fields import Languages
from credsite.errors import Location, Problems
from credsite.issuing.ob3 import alignment_doc


def alignment_schema() -> jsonschema.Draft201909Validator:
    schema = json.loads((VECTORS / "ob-v3p0-achievementcredential-schema.json").read_text("utf-8"))
    return jsonschema.Draft201909Validator(
        {**schema["$defs"]["Alignment"], "$defs": schema["$defs"]}
    )


def read(text: str, tmp_path: Path) -> tuple[frameworks.Alignment | None, list[str]]:
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    item = yamlsource.load(path, "a.yaml")
    problems = Problems()
    languages = Languages(("en",), Problems())
    found = frameworks.read_alignment(item, Location("a.yaml", 1, 1), problems, languages)
    return found, [str(p) for p in problems.items]


@pytest.mark.parametrize(
    ("text", "url", "code", "framework", "target_type"),
    [
        (
            "name: lead a team\nesco: http://data.europa.eu/esco/skill/1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb\n",
            "http://data.europa.eu/esco/skill/1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb",
            "1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb",
            "ESCO",
            "ext:ESCOSkill",
        ),
        (  # a bare UUID, and https normalised to ESCO's http concept URI
            "name: lead a team\nesco: 1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb\n",
            "http://data.europa.eu/esco/skill/1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb",
            "1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb",
            "ESCO",
            "ext:ESCOSkill",
        ),
        (
            "name: x\nesco: https://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1\n",
            "http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1",
            "f2b15a0e-e65a-438a-affb-29b9d50b77d1",
            "ESCO",
            "ext:ESCOOccupation",
        ),
        (
            "name: communication\nesco: S1.1\n",
            "http://data.europa.eu/esco/skill/S1.1",
            "S1.1",
            "ESCO",
            "ext:ESCOSkill",
        ),
        (
            "name: Software Developers\nonet: 15-1252.00\n",
            "https://www.onetonline.org/link/summary/15-1252.00",
            "15-1252.00",
            "O*NET-SOC",
            "ext:ONETOccupation",
        ),
        (
            "name: Fractions\nframework: Georgia Standards\ncase:\n  url: https://case.example.org/ims/case/v1p0/CFItems/6b9bf846-d7cc-11e8-824f-0242ac160002\n  code: MGSE4.NF.1\n",
            "https://case.example.org/ims/case/v1p0/CFItems/6b9bf846-d7cc-11e8-824f-0242ac160002",
            "MGSE4.NF.1",
            "Georgia Standards",
            "CFItem",
        ),
        (
            "name: Fractions\ncase: https://case.example.org/CFItems/1\n",
            "https://case.example.org/CFItems/1",
            None,
            None,
            "CFItem",
        ),
        (
            "name: Data Analyst Certificate\nctdl: ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n",
            "https://credentialengineregistry.org/resources/ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "Credential Engine Registry",
            "CTDL",
        ),
        (
            "name: Data Analyst Certificate\nctdl: https://credentialfinder.org/resources/ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n",
            "https://credentialengineregistry.org/resources/ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "Credential Engine Registry",
            "CTDL",
        ),
        (
            "name: Our own skill\nurl: https://skills.example.org/42\nframework: House skills\ncode: '042'\ntype: ext:HouseSkill\n",
            "https://skills.example.org/42",
            "042",
            "House skills",
            "ext:HouseSkill",
        ),
        (
            "name: A competency\nurl: https://skills.example.org/c\ntype: ceasn:Competency\n",
            "https://skills.example.org/c",
            None,
            None,
            "ceasn:Competency",
        ),
    ],
)
def test_each_form_becomes_a_valid_ob3_alignment(
    tmp_path: Path,
    text: str,
    url: str,
    code: str | None,
    framework: str | None,
    target_type: str,
) -> None:
    found, problems = read(text, tmp_path)
    assert problems == []
    assert found is not None
    assert (found.url, found.code, found.framework, found.target_type) == (
        url,
        code,
        framework,
        target_type,
    )
    doc = alignment_doc(found)
    errors = [e.message for e in alignment_schema().iter_errors(doc)]
    assert errors == []
    assert doc["targetType"] == target_type


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nesco: lead a team\n",
            "a.yaml:2:7: 'esco' must be an ESCO skill or occupation URI",
        ),
        (
            "name: x\nesco: http://data.europa.eu/esco/skill/NOT-A-UUID\n",
            "a.yaml:2:7: 'esco' must be an ESCO",
        ),
        ("name: x\nonet: 15-1252\n", "a.yaml:2:7: 'onet' must be an O*NET-SOC occupation code"),
        ("name: x\nonet: 151252.00\n", "a.yaml:2:7: 'onet' must be an O*NET-SOC occupation code"),
        ("name: x\nctdl: ce-1234\n", "a.yaml:2:7: 'ctdl' must be a Credential Engine CTID"),
        (
            "name: x\nctdl: CE-0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D\n",
            "a.yaml:2:7: 'ctdl' must be a Credential Engine CTID",
        ),
        ("name: x\ncase:\n  url: not a uri\n", "a.yaml:3:8: 'url' must be an http(s) URL"),
        ("name: x\nurl: not a uri\n", "a.yaml:2:6: 'url' must be an http(s) URL, got 'not a uri'"),
        (
            "name: x\nurl: https://a.example\ntype: ESCO:Skill\n",
            "unknown alignment type 'ESCO:Skill'",
        ),
        ("name: x\nurl: https://a.example\ntype: Skill\n", "unknown alignment type 'Skill'"),
        ("name: x\nonet: 15-1252.00\nurl: https://a.example\n", "names its target once"),
        ("name: x\nonet: 15-1252.00\nesco: S1\n", "names its target once"),
        ("onet: 15-1252.00\n", "a.yaml:1:1: alignment needs 'name'"),
        ("name: x\nonet: 15-1252.00\ncode: '1'\n", "a.yaml:3:1: unknown field 'code' in alignment"),
    ],
)
def test_malformed_uris_and_codes_are_located_errors(
    tmp_path: Path, text: str, message: str
) -> None:
    _, problems = read(text, tmp_path)
    assert any(message in p for p in problems), problems


def test_every_target_type_the_helpers_write_is_in_the_schema() -> None:
    schema = json.loads((VECTORS / "ob-v3p0-achievementcredential-schema.json").read_text("utf-8"))
    target = schema["$defs"]["Alignment"]["properties"]["targetType"]["oneOf"]
    assert list(frameworks.TARGET_TYPES) == target[0]["enum"]
    pattern = target[1]["pattern"]
    for value in ("ext:ESCOSkill", "ext:ESCOOccupation", "ext:ONETOccupation"):
        assert re.search(pattern, value)
    assert not re.search(pattern, "ESCO:Skill")  # what the schema rejects, credsite never writes


# -- the example and its pages -----------------------------------------------------------------------


def test_example_aligns_to_two_frameworks(example_output: Path) -> None:
    doc = json.loads((example_output / "achievements" / "faculty-coordinator.json").read_text())
    frameworks_used = {a.get("targetFramework") for a in doc["alignment"]}
    assert {"ESCO", "O*NET-SOC"} <= frameworks_used
    validator = alignment_schema()
    for path in (example_output / "achievements").glob("*.json"):
        for alignment in json.loads(path.read_text()).get("alignment", []):
            assert list(validator.iter_errors(alignment)) == [], path.name


def test_pages_group_skills_by_framework_and_the_index_filters_by_skill(
    example_output: Path,
) -> None:
    page = (example_output / "achievements" / "faculty-coordinator.html").read_text()
    headings = re.findall(r'<h3 class="skill-framework">([^<]*)</h3>', page)
    assert headings == ["ESCO", "O*NET-SOC"]
    assert 'href="https://www.onetonline.org/link/summary/11-9033.00"' in page
    # a skill shared with another achievement names it, and every skill links to the index
    assert "Also evidenced by" in page and "exchange-participant.html" in page
    assert 'href="../index.html#skill-demonstrate-intercultural-competence"' in page
    index = (example_output / "index.html").read_text()
    assert 'id="skill-demonstrate-intercultural-competence"' in index
    assert '<select id="skill-filter">' in index and "data-skill-filter hidden" in index
    card = re.search(r'data-skills="([^"]*)">\s*<img[^>]*faculty-coordinator', index)
    assert card and "skill-lead-a-team" in card[1].split()


def test_credential_pages_mark_every_shown_alignment_value_as_signed(example_output: Path) -> None:
    checked = 0
    for path in (example_output / "credentials").glob("*.json"):
        doc = json.loads(path.read_text())
        alignments = doc["credentialSubject"]["achievement"].get("alignment", [])
        page = path.with_suffix(".html").read_text()
        for i, alignment in enumerate(alignments):
            at = f"credentialSubject.achievement.alignment.{i}."
            assert f'data-vc="{at}targetName"' in page
            assert f'data-vc-href="{at}targetUrl"' in page
            if "targetCode" in alignment:
                assert f'data-vc="{at}targetCode">{alignment["targetCode"]}<' in page
            checked += 1
    assert checked


# -- bad input: a located error, exit 1, nothing written ---------------------------------------------



def test_an_alignment_that_is_not_a_uri_fails_the_build_and_writes_nothing(make_site) -> None:
    root = make_site()
    build_site(root)
    before = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    (root / "content/achievements/teamwork.yaml").write_text(
        "name: Teamwork\ndescription: Works well.\ncriteria: Be kind.\nalignments:\n"
        "  - name: teamwork\n    url: teamwork\n"
        "  - name: Software Developers\n    onet: 15-1252\n",
        encoding="utf-8",
    )
    result = run_fresh("build", "-q", cwd=root)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "error: content/achievements/teamwork.yaml:6:10: 'url' must be an http(s) URL" in text
    assert "error: content/achievements/teamwork.yaml:8:11: 'onet' must be an O*NET-SOC" in text
    assert "Traceback" not in text
    assert (tree(root / "_site"), (root / "credsite.lock").read_bytes()) == before
