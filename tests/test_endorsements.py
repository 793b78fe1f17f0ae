"""Endorsements from a partner on the same site (issue 15, part 3): signed by the endorser's own
key and did:web, minted once in the lockfile, hosted with a detached proof, embedded in what they
endorse, withdrawn through the endorser's status list; bad input is a located error."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import MENTOR, NOW, SITE_URL, TEAMWORK, VECTORS, build_site, fixed_clock, tree

from credsite.commands.verify import SiteFiles, verify_site
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError
from credsite.state.keyfiles import demo_key
from credsite.state.lockfile import Lockfile
from credsite.vc.status import Bitstring
from credsite.vc.verify import verify_credential

EXAMPLE = "https://northbridge-alliance.github.io/credentials/"
PARTNER = """\
name: Partner College
url: https://partner.example.edu
"""
SITE = f"""\
title: Test Credentials
url: {SITE_URL}
demo_key: true
primary_issuer: acme
"""
OF_ACHIEVEMENT = """\
endorser: partner
target:
  achievement: teamwork
comment: We **recognise** this badge.
issued: 2026-05-01
"""
OF_ISSUER = """\
endorser: partner
target:
  issuer: acme
comment: Acme is in good standing.
issued: 2026-05-02
"""
OF_AWARD = """\
endorser: partner
target:
  award: teamwork/Ada.Lovelace@example.org
comment: Ada was outstanding.
"""


def files(**endorsements: str | None) -> dict[str, str | None]:
    return {
        "site.yaml": SITE,
        "content/issuers/partner.yaml": PARTNER,
        # several issuers: each achievement names its own
        "content/achievements/teamwork.yaml": TEAMWORK + "issuer: acme\n",
        "content/achievements/mentor.yaml": MENTOR + "issuer: acme\n",
        **{f"content/endorsements/{name}.yaml": text for name, text in endorsements.items()},
    }


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def hosted_endorsements(out: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: load(p) for p in sorted((out / "endorsements").glob("*.json"))}


def credentials(out: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: load(p) for p in sorted((out / "credentials").glob("*.json"))}


def endorsement_schema() -> jsonschema.Draft201909Validator:
    schema = load(VECTORS / "ob-v3p0-endorsementcredential-schema.json")
    return jsonschema.Draft201909Validator(schema)


def credential_schema() -> jsonschema.Draft201909Validator:
    return jsonschema.Draft201909Validator(
        load(VECTORS / "ob-v3p0-achievementcredential-schema.json")
    )


@pytest.fixture
def endorsed_site(make_site) -> Path:
    root = make_site(files(achievement=OF_ACHIEVEMENT, issuer=OF_ISSUER, award=OF_AWARD))
    build_site(root)
    return root


def test_an_endorsement_is_signed_by_its_endorser_hosted_and_embedded(endorsed_site: Path) -> None:
    out = endorsed_site / "_site"
    partner_did = "did:web:example.github.io:creds:issuers:partner"
    acme_did = "did:web:example.github.io:creds"
    hosted = hosted_endorsements(out)
    assert len(hosted) == 3
    for token, doc in hosted.items():
        assert list(endorsement_schema().iter_errors(doc)) == []
        assert doc["type"] == ["VerifiableCredential", "EndorsementCredential"]
        assert doc["id"] == f"{SITE_URL}endorsements/{token}.json"
        assert doc["issuer"]["id"] == partner_did
        assert doc["credentialSubject"]["type"] == ["EndorsementSubject"]
        # signed with the endorser's own key (here its demo key), never the issuer's
        [proof] = doc["proof"]
        assert proof["cryptosuite"] == "eddsa-rdfc-2022"
        assert proof["verificationMethod"].startswith(partner_did + "#")
        assert proof["verificationMethod"].endswith(demo_key("partner").public_key_multibase)
        assert (out / "endorsements" / f"{token}.jcs-proof.jsonld").is_file()
        assert (out / "endorsements" / f"{token}.html").is_file()
        entry = doc["credentialStatus"]
        assert entry["statusListCredential"] == f"{SITE_URL}issuers/partner/status/1.json"
        report = verify_credential(doc, SiteFiles(out, SITE_URL), NOW + dt.timedelta(days=1))
        assert report.status == "verified", [c for c in report.checks if not c.ok]
    subjects = {doc["credentialSubject"]["id"]: doc for doc in hosted.values()}
    achievement_id = f"{SITE_URL}achievements/teamwork.json"
    assert set(subjects) >= {achievement_id, acme_did}
    # embedded, signed, in the achievement, the issuer's profile, and every credential of it
    assert load(out / "achievements/teamwork.json")["endorsement"] == [subjects[achievement_id]]
    assert load(out / "issuers/acme.json")["endorsement"] == [subjects[acme_did]]
    assert "endorsement" not in load(out / "issuers/partner.json")
    own = 0
    for doc in credentials(out).values():
        assert list(credential_schema().iter_errors(doc)) == []
        achievement = doc["credentialSubject"]["achievement"]
        if achievement["id"] == achievement_id:
            assert achievement["endorsement"] == [subjects[achievement_id]]
        else:
            assert "endorsement" not in achievement
        assert "endorsement" not in doc["issuer"]  # the issuer's own profile only
        if "endorsement" in doc:
            assert doc["endorsement"] == [subjects[doc["id"]]]
            assert doc["credentialSubject"]["name"] == "Ada Lovelace"
            own += 1
    assert own == 1
    # the partner has its own DID document and status list; credsite verify checks them all
    assert load(out / "issuers/partner/did.json")["id"] == partner_did
    results = verify_site(out, NOW + dt.timedelta(days=1))
    assert {r.report.status for r in results} == {"verified"}
    assert sum(r.path.startswith("endorsements/") for r in results) == 3


def test_pages_show_each_endorsement_and_mark_its_values(endorsed_site: Path) -> None:
    out = endorsed_site / "_site"
    page = (out / "achievements/teamwork.html").read_text()
    assert 'Endorsed by <a href="../issuers/partner.html" data-ve="issuer.name">' in page
    assert 'data-ve="credentialSubject.endorsementComment" data-ve-format="markdown"' in page
    assert 'data-endorsement-state="active"' in page and "static/verify.js" in page
    ada = next(t for t, d in credentials(out).items() if "endorsement" in d)
    html = (out / "credentials" / f"{ada}.html").read_text()
    assert 'data-vc="credentialSubject.achievement.endorsement.0.issuer.name"' in html
    assert 'data-vc="endorsement.0.credentialSubject.endorsementComment"' in html
    assert f'data-endorsement-in="credentials/{ada}.json"' in html
    for token in hosted_endorsements(out):
        own = (out / "endorsements" / f"{token}.html").read_text()
        assert 'data-kind="endorsement"' in own and 'data-check-page="all"' in own
        assert 'data-vc="credentialSubject.id"' in own


def test_minted_once_and_adding_one_later_keeps_ids_urls_and_indices(make_site) -> None:
    root = make_site(files())
    build_site(root)
    lock_before = Lockfile.load(root / "credsite.lock")
    before = credentials(root / "_site")
    old_copies = {t: d for t, d in before.items()}
    later = NOW + dt.timedelta(days=3)
    (root / "content/endorsements").mkdir(parents=True, exist_ok=True)
    (root / "content/endorsements/achievement.yaml").write_text(OF_ACHIEVEMENT)
    build_site(root, clock=fixed_clock(later), now=later)
    lock = Lockfile.load(root / "credsite.lock")
    assert lock.awards == lock_before.awards  # same tokens, salts, indices, mint times
    after = credentials(root / "_site")
    assert set(after) == set(before)
    teamwork = [
        t for t, d in after.items() if "teamwork" in d["credentialSubject"]["achievement"]["id"]
    ]
    for token in teamwork:
        assert after[token] != before[token]  # signed again, with the endorsement embedded
        assert after[token]["credentialStatus"] == before[token]["credentialStatus"]
        assert after[token]["validFrom"] == before[token]["validFrom"]
    # a copy a recipient downloaded before still verifies (same key, same DID document)
    fetch = SiteFiles(root / "_site", SITE_URL)
    for token in teamwork:
        report = verify_credential(old_copies[token], fetch, later)
        assert report.status == "verified", [c for c in report.checks if not c.ok]
    # minted once: a rebuild keeps its token and time; --locked refuses a new one
    [entry] = lock.endorsements.values()
    assert entry.minted == "2026-11-25T12:00:00Z"
    build_site(root, clock=fixed_clock(later + dt.timedelta(days=1)), now=later)
    assert Lockfile.load(root / "credsite.lock").endorsements == lock.endorsements
    (root / "content/endorsements/issuer.yaml").write_text(OF_ISSUER)
    with pytest.raises(
        CredsiteError, match="--locked: the lockfile has no record of new endorsement issuer"
    ):
        build_site(root, locked=True, now=later)


def test_withdrawing_sets_the_endorsers_bit_for_good(make_site) -> None:
    root = make_site(files(achievement=OF_ACHIEVEMENT))
    build_site(root)
    (root / "content/endorsements/achievement.yaml").write_text(
        OF_ACHIEVEMENT + "status: withdrawn\nstatus_date: 2026-11-20\n"
    )
    build_site(root)
    out = root / "_site"
    [(token, doc)] = hosted_endorsements(out).items()
    index = int(doc["credentialStatus"]["statusListIndex"])
    status_list = load(out / "issuers/partner/status/1.json")
    assert Bitstring.decode(status_list["credentialSubject"]["encodedList"]).get(index)
    report = verify_credential(doc, SiteFiles(out, SITE_URL), NOW)
    assert report.status == "revoked"
    # no longer embedded; its own page and the achievement page say it was withdrawn
    assert "endorsement" not in load(out / "achievements/teamwork.json")
    assert all(
        "endorsement" not in d["credentialSubject"]["achievement"]
        for d in credentials(out).values()
    )
    page = (out / "endorsements" / f"{token}.html").read_text()
    assert 'data-vc-status="revoked"' in page and "withdrew this endorsement" in page
    assert 'data-endorsement-state="withdrawn"' in (out / "achievements/teamwork.html").read_text()
    # withdrawal is permanent
    (root / "content/endorsements/achievement.yaml").write_text(OF_ACHIEVEMENT)
    with pytest.raises(CredsiteError) as caught:
        build_site(root)
    assert "this endorsement was withdrawn (credsite.lock records it)" in str(caught.value.problems)


def errors(root: Path) -> list[str]:
    with pytest.raises(CredsiteError) as caught:
        model.load(site_config.load(root))
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            OF_ACHIEVEMENT.replace("achievement: teamwork", "achievement: teamwrok"),
            "content/endorsements/e.yaml:3:16: unknown achievement 'teamwrok' (did you mean "
            "'teamwork'?)",
        ),
        (
            OF_ISSUER.replace("issuer: acme", "issuer: acne"),
            "content/endorsements/e.yaml:3:11: unknown issuer 'acne' (did you mean 'acme'?)",
        ),
        (
            OF_AWARD.replace("Ada.Lovelace", "Ada.Byron"),
            "content/endorsements/e.yaml:3:10: unknown award 'teamwork/Ada.Byron@example.org'",
        ),
        (
            OF_ACHIEVEMENT.replace("endorser: partner", "endorser: partnr"),
            "content/endorsements/e.yaml:1:11: unknown issuer 'partnr' (did you mean 'partner'?)",
        ),
        (
            OF_ACHIEVEMENT.replace("endorser: partner", "endorser: acme"),
            "content/endorsements/e.yaml:1:11: issuer 'acme' cannot endorse its own achievement",
        ),
        (
            OF_ISSUER.replace("issuer: acme", "issuer: partner"),
            "content/endorsements/e.yaml:1:11: issuer 'partner' cannot endorse its own issuer",
        ),
        (
            OF_ACHIEVEMENT.replace(
                "target:\n  achievement: teamwork",
                "target:\n  achievement: teamwork\n  issuer: acme",
            ),
            "content/endorsements/e.yaml:3:3: 'target' names exactly one of",
        ),
        (
            OF_ACHIEVEMENT.replace("comment: We **recognise** this badge.\n", ""),
            "content/endorsements/e.yaml:1:1: endorsement needs 'comment'",
        ),
        (
            OF_ACHIEVEMENT + "status: revoked\n",
            "content/endorsements/e.yaml:6:9: 'status' must be 'active' or 'withdrawn'",
        ),
    ],
)
def test_bad_endorsements_are_located_errors(make_site, text: str, message: str) -> None:
    found = errors(make_site(files(e=text)))
    assert any(message in e for e in found), found


def test_an_awards_file_that_cannot_be_read_is_the_one_error(make_site) -> None:
    """A mistake in an awards file is reported there; the endorsement of an award it held is not
    reported again as naming an unknown award."""
    root = make_site(files(e=OF_AWARD))
    awards = root / "content/awards/awards.yaml"
    awards.write_text(awards.read_text(encoding="utf-8") + "- issued:  [2026\n")
    found = errors(root)
    assert len(found) == 1 and "content/awards/awards.yaml:" in found[0], found
    assert "YAML syntax error" in found[0]
    # ... but an endorsement of an award that file never named is still reported, at once
    (root / "content/endorsements/e.yaml").write_text(OF_AWARD.replace("Ada.Lovelace", "Ada.Byron"))
    found = errors(root)
    assert len(found) == 2 and "YAML syntax error" in found[0], found
    assert "e.yaml:3:10: unknown award 'teamwork/Ada.Byron@example.org'" in found[1], found


def test_an_endorsement_file_named_in_another_encoding_is_an_error(make_site) -> None:
    """Its name is its id, published and recorded (a UnicodeEncodeError, a traceback)."""
    root = make_site()
    folder = os.fsencode(root / "content" / "endorsements")
    os.makedirs(folder, exist_ok=True)
    with open(folder + b"/caf\xe9.yaml", "w", encoding="utf-8") as file:
        file.write(OF_ACHIEVEMENT)
    assert errors(root) == [
        "content/endorsements/caf?.yaml: this file's name is not UTF-8 text (it was saved "
        "under another encoding): rename it, with letters, digits and '-'"
    ]


def test_an_endorsement_of_an_award_whose_achievement_is_gone_is_reported_at_the_award(
    make_site,
) -> None:
    """The award names an achievement that no longer exists (a KeyError, a traceback): that is
    the error, once, at the award."""
    root = make_site(files(e=OF_AWARD))
    (root / "content/achievements/teamwork.yaml").unlink()
    found = errors(root)
    assert found and all("Traceback" not in e for e in found), found
    assert any("unknown achievement 'teamwork'" in e and "awards.yaml" in e for e in found), found
    assert not any("e.yaml" in e for e in found), found


def test_an_endorsement_of_an_unknown_target_fails_the_build_and_writes_nothing(
    make_site,
) -> None:
    root = make_site(files(achievement=OF_ACHIEVEMENT))
    build_site(root)
    before = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    (root / "content/endorsements/achievement.yaml").write_text(
        OF_ACHIEVEMENT.replace("achievement: teamwork", "achievement: nonesuch")
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
        "error: content/endorsements/achievement.yaml:3:16: unknown achievement 'nonesuch'" in text
    )
    assert "Traceback" not in text
    assert (tree(root / "_site"), (root / "credsite.lock").read_bytes()) == before


# -- the example ---------------------------------------------------------------------------------


def test_the_examples_partner_endorses_with_its_own_demo_key(example_output: Path) -> None:
    partner = "harbour-polytechnic"
    did = load(example_output / f"issuers/{partner}/did.json")
    keys = [m["publicKeyMultibase"] for m in did["verificationMethod"]]
    assert keys == [demo_key(partner).public_key_multibase]
    assert keys != [demo_key("northbridge").public_key_multibase]
    hosted = hosted_endorsements(example_output)
    assert len(hosted) == 4
    subjects = [d["credentialSubject"]["id"] for d in hosted.values()]
    assert sum("/achievements/" in s for s in subjects) == 2  # one of them withdrawn
    assert sum(s.startswith("did:web:") for s in subjects) == 1
    assert sum(s.startswith(f"{EXAMPLE}credentials/") for s in subjects) == 1
    # (the committed lockfile recorded the partner's list after the golden build's NOW)
    results = {r.path: r.report.status for r in verify_site(example_output)}
    statuses = sorted(s for p, s in results.items() if p.startswith("endorsements/"))
    assert statuses == ["revoked", "verified", "verified", "verified"]
    for doc in hosted.values():
        assert list(endorsement_schema().iter_errors(doc)) == []
