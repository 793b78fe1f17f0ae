"""Open Badges 2.0 hosted assertions (issue 7): shapes, JSON-LD, ids, privacy, revocation, baking,
verification, and that the OB 3.0 output does not change by a byte.

OB 2.0: https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html (required
fields per class), baking: https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/baking/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    NOW,
    SITE_URL,
    build_site,
    copy_example,
    diff_trees,
    output_of,
    run_cli,
    tree,
)
from pyld import jsonld as pyld_jsonld

from credsite.commands import verify as verifysite
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import ContentError
from credsite.issuing import ob2
from credsite.openbadges import ob2 as ob2_format
from credsite.openbadges import png as png_format
from credsite.openbadges import svg as svg_format
from credsite.vc.jsonld import JsonLdError, check_terms_defined

GOLDEN = Path(__file__).parent / "golden" / "ob2"
EXAMPLE_URL = "https://northbridge-alliance.github.io/credentials/"
# sha256 of 1EdTech/openbadges-specification ob_v2p0/v2/context.json, copied verbatim.
CONTEXT_SHA256 = "393a890d7d95eb3a86f5f12309648a64c2d0676e5270e2967b5341a2dcea13d2"
OBI = "https://w3id.org/openbadges#"

REVOKED_AWARD = """\
- achievement: teamwork
  name: Rex Revoked
  email: Rex.Revoked@Example.org
  issued: 2026-03-03
  status: revoked
  status_reason: Awarded by mistake
"""


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def ob2_documents(folder: Path, kind: str) -> dict[str, dict]:
    """kind: assertions | badges | issuers -> {file name: document}."""
    return {p.name: load_json(p) for p in sorted((folder / "ob2" / kind).glob("*.json"))}


def assertions(folder: Path) -> dict[str, dict]:
    """token -> hosted assertion."""
    return {
        name.removesuffix(".json"): doc for name, doc in ob2_documents(folder, "assertions").items()
    }


def site_file(folder: Path, base: str, url: str) -> Path:
    assert url.startswith(base), url
    return folder / url[len(base) :]


def example_awards(root: Path) -> list[model.Award]:
    return model.load(site_config.load(root)).awards


# -- the context -------------------------------------------------------------------------------------


def test_bundled_context_is_the_verbatim_ob2_context() -> None:
    assert hashlib.sha256(ob2_format.CONTEXT_FILE.read_bytes()).hexdigest() == CONTEXT_SHA256
    assert ob2_format.contexts() == {"https://w3id.org/openbadges/v2": ob2_format.context_document()}


def test_undefined_term_is_refused_by_the_context_check() -> None:
    doc = {"@context": ob2_format.CONTEXT_URL, "type": "Assertion", "id": SITE_URL + "a", "colour": "red"}
    with pytest.raises(JsonLdError) as caught:
        check_terms_defined(doc, ob2_format.contexts())
    assert caught.value.problems == ["$.colour"]


# -- the built example -------------------------------------------------------------------------------


def test_every_ob2_document_expands_cleanly(example_output: Path) -> None:
    """Safe-mode check (no dropped term, no relative IRI) and plain pyld over the bundled context."""

    def loader(url: str, options: Any = None) -> dict:
        assert url == ob2_format.CONTEXT_URL, url
        return {"contextUrl": None, "documentUrl": url, "document": ob2_format.context_document()}

    files = sorted((example_output / "ob2").rglob("*.json"))
    assert len(files) > 20
    expected_type = {
        "assertions": OBI + "Assertion",
        "badges": OBI + "BadgeClass",
        "issuers": OBI + "Profile",
    }
    for path in files:
        doc = load_json(path)
        check_terms_defined(doc, ob2_format.contexts())
        expanded = pyld_jsonld.expand(doc, {"documentLoader": loader})
        assert len(expanded) == 1
        kind = path.parent.name
        wanted = expected_type[kind]
        if path.name.endswith("-revocations.json"):
            wanted = OBI + "RevocationList"
        assert expanded[0]["@type"] == [wanted], path
        assert expanded[0]["@id"] == doc["id"]


def test_assertions_have_the_required_fields(example_output: Path) -> None:
    tokens = {p.stem for p in (example_output / "credentials").glob("*.json")}
    docs = assertions(example_output)
    assert set(docs) == tokens  # one assertion per credential, named by the same token
    full = [d for d in docs.values() if not d.get("revoked")]
    assert len(full) == len(docs) - 1
    for doc in full:
        assert {"@context", "id", "type", "recipient", "badge", "verification", "issuedOn"} <= set(
            doc
        )
        assert doc["@context"] == "https://w3id.org/openbadges/v2"
        assert doc["type"] == "Assertion"
        assert doc["verification"] == {"type": "hosted"}
        assert doc["issuedOn"].endswith("Z")
        recipient = doc["recipient"]
        assert set(recipient) == {"type", "hashed", "salt", "identity"}
        assert recipient["type"] == "email" and recipient["hashed"] is True
        assert recipient["identity"].startswith("sha256$") and len(recipient["identity"]) == 71


def test_badge_classes_and_issuers_have_the_required_fields(example_output: Path) -> None:
    badges = ob2_documents(example_output, "badges")
    assert sorted(badges) == sorted(
        p.name.replace(".yaml", ".json")
        for folder in ("achievements", "pathways")
        for p in (example_output.parent / "content" / folder).glob("*.yaml")
    )
    for doc in badges.values():
        assert {"id", "type", "name", "description", "image", "criteria", "issuer"} <= set(doc)
        assert doc["type"] == "BadgeClass"
        assert set(doc["criteria"]) == {"id", "narrative"}
        for alignment in doc.get("alignment", []):
            assert {"targetName", "targetUrl"} <= set(alignment)
    issuers = {k: v for k, v in ob2_documents(example_output, "issuers").items() if "-rev" not in k}
    assert list(issuers) == ["northbridge.json"]
    profile = issuers["northbridge.json"]
    assert {"id", "type", "name", "url"} <= set(profile)
    assert profile["type"] == "Profile"
    assert "email" not in profile  # publish_email is off in the example
    assert profile["verification"] == {"type": "VerificationObject", "startsWith": EXAMPLE_URL}


def test_ids_resolve_to_files_in_the_output(example_output: Path) -> None:
    base = EXAMPLE_URL
    for kind in ("assertions", "badges", "issuers"):
        for name, doc in ob2_documents(example_output, kind).items():
            assert doc["id"] == f"{base}ob2/{kind}/{name}"
            links = [doc.get(k) for k in ("badge", "issuer", "image", "revocationList")]
            if isinstance(doc.get("criteria"), dict):
                links.append(doc["criteria"]["id"])
            for link in filter(None, links):
                assert site_file(example_output, base, link).is_file(), (name, link)
            for entry in doc.get("revokedAssertions", []):
                assert site_file(example_output, base, entry["id"]).is_file()
    for token, doc in assertions(example_output).items():
        if not doc.get("revoked"):
            assert doc["image"] == f"{base}ob2/assertions/{token}.png"


def test_recipient_is_a_salted_hash_never_the_email(
    example_site: Path, example_output: Path
) -> None:
    awards = example_awards(example_site)
    emails = {a.email for a in awards}
    ob3 = {p.stem: load_json(p) for p in (example_output / "credentials").glob("*.json")}
    for token, doc in assertions(example_output).items():
        if doc.get("revoked"):
            continue
        recipient = doc["recipient"]
        lock_salt = ob3[token]["credentialSubject"]["identifier"][0]["salt"]
        assert recipient["salt"] == ob2.recipient_salt(lock_salt) != lock_salt
        matches = [
            e
            for e in emails
            if "sha256$" + hashlib.sha256((e + recipient["salt"]).encode()).hexdigest()
            == recipient["identity"]
        ]
        assert len(matches) == 1, token
        ob3_hash = ob3[token]["credentialSubject"]["identifier"][0]["identityHash"]
        assert ob3_hash != recipient["identity"]
    issuer_email = "badges@example.org"
    for path in (example_output / "ob2").rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            for email in [*emails, issuer_email]:
                assert email.encode() not in data, (path, email)


def test_hash_uses_the_lower_cased_email() -> None:
    a = ob2.recipient("Ada@Example.ORG ", "00ff")
    b = ob2.recipient("ada@example.org", "00ff")
    assert a == b
    assert (
        a["identity"]
        == "sha256$" + hashlib.sha256(("ada@example.org" + a["salt"]).encode()).hexdigest()
    )


def test_revoked_example_award_shows_revoked(example_output: Path) -> None:
    revoked = {t: d for t, d in assertions(example_output).items() if d.get("revoked")}
    assert len(revoked) == 1
    token, doc = next(iter(revoked.items()))
    reason = "Issued in error: duplicate of another credential"
    assert doc == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": f"{EXAMPLE_URL}ob2/assertions/{token}.json",
        "revoked": True,
        "revocationReason": reason,
    }
    listing = load_json(example_output / "ob2" / "issuers" / "northbridge-revocations.json")
    assert listing["type"] == "RevocationList"
    assert listing["issuer"] == f"{EXAMPLE_URL}ob2/issuers/northbridge.json"
    assert listing["revokedAssertions"] == [{"id": doc["id"], "revocationReason": reason}]
    report = verifysite.verify_path(example_output / "ob2" / "assertions" / f"{token}.json", NOW)
    assert report.report.status == "revoked"


def test_expiry_narrative_and_evidence_carry_over(example_output: Path) -> None:
    ob3 = {p.stem: load_json(p) for p in (example_output / "credentials").glob("*.json")}
    for token, doc in assertions(example_output).items():
        if doc.get("revoked"):
            continue
        credential = ob3[token]
        assert doc["issuedOn"] == credential["validFrom"]
        assert doc.get("expires") == credential.get("validUntil")
        assert doc.get("narrative") == credential["credentialSubject"].get("narrative")
        evidence = [
            {k: v for k, v in e.items() if k != "type"} for e in credential.get("evidence", [])
        ]
        assert doc.get("evidence", []) == evidence
    assert any("expires" in d for d in assertions(example_output).values())


def test_golden_ob2_files(example_output: Path, request: pytest.FixtureRequest) -> None:
    """The example's OB 2.0 JSON files, byte for byte (`--update-golden` rewrites them)."""
    folder = example_output / "ob2"
    built = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in built.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in GOLDEN.rglob("*.json")}
    assert diff_trees(golden, built) == []


def test_example_warnings(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "example")
    warnings = [str(w) for w in build_site(root).warnings]
    email = [w for w in warnings if "has no email" in w]
    assert email == [
        "content/issuers/northbridge.yaml: the OB 2.0 issuer profile ob2/issuers/northbridge.json "
        "has no email (OB 2.0 requires one; 1EdTech's OB 2.0 validator fails without it). Emails "
        "are not published unless asked: add 'publish_email: true' to "
        "content/issuers/northbridge.yaml to publish its 'email'"
    ]
    left_out = [w for w in warnings if w.startswith("site.yaml: OB 2.0 has no place for")]
    assert len(left_out) == 1
    for what in ("recipient's name", "'role'", "'fields'", "achievement type"):
        assert what in left_out[0]
    # ob2: false publishes nothing of OB 2.0 and warns about none of it
    site_yaml = root / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("ob2: true", "ob2: false"))
    assert not [w for w in build_site(root).warnings if "OB 2.0" in w.message]
    assert not (root / "_site" / "ob2").exists()


# -- OB 3.0 unchanged --------------------------------------------------------------------------------


def test_ob2_off_builds_no_ob2_and_the_same_ob3(example_output: Path, tmp_path: Path) -> None:
    root = copy_example(tmp_path / "no-ob2")
    site_yaml = root / "site.yaml"
    text = site_yaml.read_text()
    assert "ob2: true" in text
    site_yaml.write_text(text.replace("ob2: true", "ob2: false"))
    build_site(root)
    without = tree(root / "_site")
    with_ob2 = tree(example_output)
    assert not any(p.startswith("ob2/") for p in without)
    assert any(p.startswith("ob2/") for p in with_ob2)

    # Pages may link the OB 2.0 files when they exist; every other file must be identical.
    def keep(files: dict[str, bytes]) -> dict[str, bytes]:
        return {
            p: d for p, d in files.items() if not p.startswith("ob2/") and not p.endswith(".html")
        }

    assert diff_trees(keep(without), keep(with_ob2)) == []
    assert any(p.startswith("credentials/") for p in keep(without))


# -- baking ------------------------------------------------------------------------------------------


def test_bake_extract_round_trip(example_output: Path) -> None:
    folder = example_output / "ob2" / "assertions"
    tokens = sorted(p.stem for p in folder.glob("*.json"))
    assert tokens
    for token in tokens:
        hosted = (folder / f"{token}.json").read_bytes()
        png = (folder / f"{token}.png").read_bytes()
        svg = (folder / f"{token}.svg").read_bytes()
        assert png_format.extract_png(png, "openbadges").encode("utf-8") == hosted
        assert png_format.extract_png(png, "openbadgecredential") is None
        assert svg_format.extract_svg(svg, 2).encode("utf-8") == hosted
        assert svg_format.extract_svg(svg, 3) is None
        assert f'verify="{EXAMPLE_URL}ob2/assertions/{token}.json"'.encode() in svg
        assert b'xmlns:openbadges="http://openbadges.org"' in svg
        assert ob2_format.extract(png) == ob2_format.extract(svg) == hosted.decode("utf-8")


def test_extract_command_prints_the_ob2_assertion(example_output: Path) -> None:
    path = next((example_output / "ob2" / "assertions").glob("*.svg"))
    result = run_cli("extract", str(path))
    assert result.exit_code == 0
    assert result.stdout == path.with_suffix(".json").read_text(encoding="utf-8") + "\n"


# -- verification ------------------------------------------------------------------------------------


def test_verify_site_checks_the_ob2_files(example_output: Path) -> None:
    # the example's lockfile dates its status list at 18:13 on NOW's day
    results = verifysite.verify_site(example_output, NOW + dt.timedelta(days=1))
    ob2_results = {r.path: r.report.status for r in results if r.path.startswith("ob2/")}
    assert len(ob2_results) == 3 * len(assertions(example_output))
    assert not [r for r in results if r.report.status == "failed"], [
        (r.path, [c for c in r.report.checks if not c.ok])
        for r in results
        if r.report.status == "failed"
    ]
    statuses = sorted(set(ob2_results.values()))
    assert statuses == ["expired", "revoked", "verified"]


@pytest.fixture
def example_copy(example_output: Path, tmp_path: Path) -> Path:
    """A writable copy of the built example site."""
    target = tmp_path / "_site"
    shutil.copytree(example_output, target)
    return target


def active_token(folder: Path) -> str:
    return next(
        t for t, d in assertions(folder).items() if not d.get("revoked") and "expires" not in d
    )


@pytest.mark.parametrize("suffix", ["json", "png", "svg"])
def test_verify_one_ob2_file(example_output: Path, suffix: str) -> None:
    path = example_output / "ob2" / "assertions" / f"{active_token(example_output)}.{suffix}"
    report = verifysite.verify_path(path, NOW).report
    assert report.status == "verified", [c for c in report.checks if not c.ok]
    names = {c.name for c in report.checks}
    assert {"terms", "hosted assertion", "recipient", "badge class", "issuer profile"} <= names
    assert {"hosted scope", "revocation list"} <= names
    result = run_cli("verify", str(path))
    assert result.exit_code == 0, output_of(result)


def tamper(doc: dict) -> dict:
    return {**doc, "narrative": "I did much more than that."}


def test_tampered_assertion_json_fails(example_copy: Path) -> None:
    token = active_token(example_copy)
    path = example_copy / "ob2" / "assertions" / f"{token}.json"
    copy = example_copy.parent / "tampered.json"
    copy.write_text(json.dumps(tamper(load_json(path))))
    report = verifysite.verify_path(copy, NOW, site=example_copy).report
    assert report.status == "failed"
    assert [c.name for c in report.checks if not c.ok] == ["hosted assertion"]
    result = run_cli("verify", "--site", str(example_copy), str(copy))
    assert result.exit_code == 1


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_tampered_baked_image_fails(example_copy: Path, suffix: str) -> None:
    token = active_token(example_copy)
    folder = example_copy / "ob2" / "assertions"
    text = json.dumps(tamper(load_json(folder / f"{token}.json")), indent=2)
    image = folder / f"{token}.{suffix}"
    if suffix == "png":
        image.write_bytes(png_format.bake_png(image.read_bytes(), "openbadges", text))
    else:
        svg = image.read_text(encoding="utf-8")
        url = f"{EXAMPLE_URL}ob2/assertions/{token}.json"
        image.write_text(svg_format.bake_svg(svg, text, version=2, verify=url), encoding="utf-8")
    assert ob2_format.extract(image.read_bytes()) == text
    report = verifysite.verify_path(image, NOW).report
    assert report.status == "failed"
    assert run_cli("verify", str(image)).exit_code == 1


def test_hosted_revocation_wins_over_an_older_baked_copy(example_copy: Path) -> None:
    """A recipient's downloaded image still holds the full assertion after a revocation."""
    token = active_token(example_copy)
    folder = example_copy / "ob2" / "assertions"
    hosted = load_json(folder / f"{token}.json")
    reduced = {k: hosted[k] for k in ("@context", "type", "id")} | {"revoked": True}
    (folder / f"{token}.json").write_text(json.dumps(reduced))
    report = verifysite.verify_path(folder / f"{token}.png", NOW).report
    assert report.status == "revoked"


def test_broken_links_fail(example_copy: Path) -> None:
    token = active_token(example_copy)
    folder = example_copy / "ob2"
    badge_url = load_json(folder / "assertions" / f"{token}.json")["badge"]
    site_file(example_copy, EXAMPLE_URL, badge_url).unlink()
    report = verifysite.verify_path(folder / "assertions" / f"{token}.json", NOW).report
    assert report.status == "failed"
    assert [c.name for c in report.checks if not c.ok] == ["badge class"]


def test_assertion_outside_the_issuer_scope_fails(example_copy: Path) -> None:
    issuer_path = example_copy / "ob2" / "issuers" / "northbridge.json"
    issuer = load_json(issuer_path)
    issuer["verification"]["startsWith"] = EXAMPLE_URL + "elsewhere/"
    issuer_path.write_text(json.dumps(issuer))
    path = example_copy / "ob2" / "assertions" / f"{active_token(example_copy)}.json"
    report = verifysite.verify_path(path, NOW).report
    assert [c.name for c in report.checks if not c.ok] == ["hosted scope"]


def fetch_from(documents: dict[str, dict]) -> Callable[[str], dict]:
    def fetch(url: str) -> dict:
        return documents[url]

    return fetch


def small_world(**assertion_changes: Any) -> tuple[dict, dict[str, dict]]:
    base = "https://org.example/site/"
    issuer = {
        "@context": ob2_format.CONTEXT_URL,
        "type": "Issuer",
        "id": base + "issuer.json",
        "name": "Org",
        "url": "https://org.example/",
        "email": "badges@org.example",
    }
    badge = {
        "@context": ob2_format.CONTEXT_URL,
        "type": "BadgeClass",
        "id": base + "badge.json",
        "name": "B",
        "description": "d",
        "image": base + "b.png",
        "criteria": {"narrative": "do it"},
        "issuer": issuer["id"],
    }
    assertion = {
        "@context": ob2_format.CONTEXT_URL,
        "type": "Assertion",
        "id": base + "a.json",
        "recipient": ob2.recipient("a@org.example", "s"),
        "badge": badge["id"],
        "verification": {"type": "hosted"},
        "issuedOn": "2026-01-01T00:00:00Z",
        **assertion_changes,
    }
    return assertion, {d["id"]: d for d in (issuer, badge, assertion)}


def test_verify_assertion_on_its_own() -> None:
    doc, world = small_world()
    report = ob2_format.verify_assertion(doc, fetch_from(world), NOW)
    assert report.status == "verified", [c for c in report.checks if not c.ok]
    # without a verification policy the issuer's host is the allowed origin
    doc, world = small_world(id="https://elsewhere.example/a.json")
    report = ob2_format.verify_assertion(doc, fetch_from(world | {doc["id"]: doc}), NOW)
    assert [c.name for c in report.checks if not c.ok] == ["hosted scope"]


@pytest.mark.parametrize(
    ("changes", "status", "failed"),
    [
        ({"expires": "2026-06-01T00:00:00Z"}, "expired", ["expires"]),
        ({"issuedOn": "2027-01-01T00:00:00Z"}, "not-yet-valid", ["issuedOn"]),
        ({"issuedOn": "2026-01-01"}, "failed", ["issuedOn"]),
        ({"verification": {"type": "signed"}}, "failed", ["verification"]),
        (
            {"recipient": {"type": "email", "hashed": True, "identity": "sha256$xyz"}},
            "failed",
            ["recipient"],
        ),
        ({"colour": "red"}, "failed", ["terms"]),
        ({"@context": "https://w3id.org/openbadges/v1"}, "failed", ["context", "terms"]),
    ],
)
def test_verify_assertion_problems(changes: dict, status: str, failed: list[str]) -> None:
    doc, world = small_world(**changes)
    report = ob2_format.verify_assertion(doc, fetch_from(world), NOW)
    assert report.status == status
    assert [c.name for c in report.checks if not c.ok] == failed


def test_verify_assertion_never_raises_on_junk() -> None:
    for junk in (
        None,
        [],
        "x",
        {"id": 5},
        {"@context": ob2_format.CONTEXT_URL, "id": "https://a.example/x"},
    ):
        assert ob2_format.verify_assertion(junk, fetch_from({}), NOW).status == "failed"
    with pytest.raises(TypeError):
        ob2_format.verify_assertion({}, fetch_from({}), dt.datetime(2026, 1, 1))


# -- site settings -----------------------------------------------------------------------------------


def test_publish_email_publishes_the_issuer_email(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "content/issuers/acme.yaml": "name: Acme\nurl: https://acme.example.org\n"
            "email: badges@acme.example.org\npublish_email: true\n"
        }
    )
    result = build_site(root)
    profile = load_json(root / "_site" / "ob2" / "issuers" / "acme.json")
    assert profile["email"] == "badges@acme.example.org"
    assert not [w for w in result.warnings if "has no email" in w.message]
    doc = next(iter(assertions(root / "_site").values()))
    assert ob2_format.verify_assertion(doc, verifysite.SiteFiles(root / "_site", SITE_URL), NOW).ok


def test_publish_email_without_email_is_a_located_error(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "content/issuers/acme.yaml": "name: Acme\nurl: https://acme.example.org\n"
            "publish_email: true\n"
        }
    )
    with pytest.raises(ContentError) as caught:
        build_site(root)
    assert [str(p) for p in caught.value.problems] == [
        "content/issuers/acme.yaml:3:16: 'publish_email: true' needs the issuer's 'email'"
    ]


def test_revocation_reason_follows_publish_reasons(make_site: Callable[..., Path]) -> None:
    from conftest import AWARDS, SITE_YAML

    root = make_site({"content/awards/awards.yaml": AWARDS + REVOKED_AWARD})
    build_site(root)
    revoked = [d for d in assertions(root / "_site").values() if d.get("revoked")]
    assert [d.get("revocationReason") for d in revoked] == ["Awarded by mistake"]
    (root / "site.yaml").write_text(SITE_YAML + "status:\n  publish_reasons: false\n")
    build_site(root)
    revoked = [d for d in assertions(root / "_site").values() if d.get("revoked")]
    assert len(revoked) == 1 and "revocationReason" not in revoked[0]
    listing = load_json(root / "_site" / "ob2" / "issuers" / "acme-revocations.json")
    assert listing["revokedAssertions"] == [revoked[0]["id"]]
    assert b"Awarded by mistake" not in b"".join(
        p.read_bytes() for p in (root / "_site" / "ob2").rglob("*") if p.is_file()
    )


def test_suspended_award_is_revoked_in_ob2_with_a_warning(make_site: Callable[..., Path]) -> None:
    from conftest import AWARDS, SITE_YAML

    suspended = REVOKED_AWARD.replace("status: revoked", "status: suspended")
    root = make_site(
        {
            "site.yaml": SITE_YAML + "status:\n  suspension: true\n",
            "content/awards/awards.yaml": AWARDS + suspended,
        }
    )
    result = build_site(root)
    revoked = [d for d in assertions(root / "_site").values() if d.get("revoked")]
    assert [d["revocationReason"] for d in revoked] == ["Suspended: Awarded by mistake"]
    assert [str(w) for w in result.warnings if "no suspension" in w.message] == [
        "site.yaml: OB 2.0 has no suspension: 1 suspended award is published in ob2/ as revoked (reason "
        "'Suspended'); reinstating restores the OB 2.0 assertion on the next build"
    ]
    # reinstating: the full assertion is back, with the same id and recipient salt
    (root / "content/awards/awards.yaml").write_text(
        AWARDS + suspended.replace("  status: suspended\n  status_reason: Awarded by mistake\n", "")
    )
    build_site(root)
    back = assertions(root / "_site")[revoked[0]["id"].rsplit("/", 1)[1].removesuffix(".json")]
    assert not back.get("revoked") and back["recipient"]["type"] == "email"


def test_issuer_slug_clashing_with_a_revocation_list_is_an_error(
    make_site: Callable[..., Path],
) -> None:
    from conftest import SITE_YAML

    root = make_site(
        {
            "site.yaml": SITE_YAML + "primary_issuer: acme\n",
            "content/issuers/acme-revocations.yaml": "name: Other\nurl: https://other.example.org\n",
            "content/achievements/teamwork.yaml": "issuer: acme\nname: T\ndescription: d\ncriteria: c\n",
            "content/achievements/mentor.yaml": "issuer: acme\nname: M\ndescription: d\ncriteria: c\n",
        }
    )
    with pytest.raises(ContentError) as caught:
        build_site(root)
    assert "clashes with the OB 2.0 revocation list of issuer 'acme'" in str(caught.value)
    (root / "site.yaml").write_text(SITE_YAML + "primary_issuer: acme\nob2: false\n")
    build_site(root)


def test_rebuild_is_byte_identical(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    first = {p: d for p, d in tree(root / "_site").items() if p.startswith("ob2/")}
    build_site(root, now=NOW + dt.timedelta(days=1))
    second = {p: d for p, d in tree(root / "_site").items() if p.startswith("ob2/")}
    assert len(first) == 2 + 2 + 3 * 3 and first == second
