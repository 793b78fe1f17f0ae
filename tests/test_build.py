"""The one build: all-or-nothing writes, determinism, --locked, revocation, keys, schema."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from conftest import (
    AWARDS,
    ISSUER,
    NOW,
    SITE_URL,
    SITE_YAML,
    VECTORS,
    build_site,
    diff_trees,
    fixed_clock,
    output_of,
    run_cli,
    tree,
    write_files,
)

from credsite.commands import verify as verifysite
from credsite.content import config
from credsite.errors import CredsiteError
from credsite.state import keyfiles as signing
from credsite.state import lockfile
from credsite.state.lockfile import LockedError
from credsite.vc import did as vc_did
from credsite.vc.status import Bitstring

AWARDS_FILE = "content/awards/awards.yaml"
NO_DEMO_SITE_YAML = SITE_YAML.replace("demo_key: true\n", "")


def credential_files(folder: Path) -> dict[str, dict]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((folder / "credentials").glob("*.json"))
    }


def credential_of(folder: Path, name: str) -> tuple[str, dict]:
    """(token, credential) of the award whose recipient is `name`."""
    for file, doc in credential_files(folder).items():
        if doc["credentialSubject"]["name"] == name:
            return file.removesuffix(".json"), doc
    raise AssertionError(f"no credential for {name}")


def test_build_writes_the_whole_site(make_site: Callable[..., Path]) -> None:
    root = make_site()
    result = build_site(root)
    out = tree(root / "_site")
    assert result.credentials == 3 and result.states == {"active": 3}
    assert result.files == len(out) and result.bytes == sum(map(len, out.values()))
    assert result.demo_key is True and result.lockfile_written is True
    for fixed in (
        ".nojekyll",
        "index.html",
        "404.html",
        "did.json",
        "status/1.json",
        "issuers/acme.json",
        "issuers/acme.html",
        "achievements/teamwork.json",
        "achievements/teamwork.html",
        "static/credsite.css",
    ):
        assert fixed in out, fixed
    tokens = {
        name.split("/")[1].split(".", 1)[0] for name in out if name.startswith("credentials/")
    }
    assert len(tokens) == 3
    for token in tokens:
        for suffix in ("json", "html", "png", "svg"):
            assert f"credentials/{token}.{suffix}" in out
    assert out[".nojekyll"] == b""
    assert not (root / "_site.staging").exists() and not (root / "_site.previous").exists()


def test_every_built_credential_verifies(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    results = [
        r
        for r in verifysite.verify_site(root / "_site", now=NOW)
        if r.path.startswith("credentials/")
    ]
    assert len(results) == 9  # JSON, PNG and SVG of three credentials
    assert {r.report.status for r in results} == {"verified"}, [
        (r.path, [c for c in r.report.checks if not c.ok]) for r in results
    ]


# -- nothing lost on bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "breakage",
    [
        {AWARDS_FILE: AWARDS.replace("achievement: mentor", "achievement: mentr")},
        {"content/achievements/mentor.yaml": "name: [broken\n"},
        {"site.yaml": SITE_YAML + "colour: blue\n"},
        {"themes/default/templates/index.html": "{% if %}\n"},  # a site theme override
    ],
    ids=["unknown-achievement", "yaml-syntax", "site-yaml", "template-syntax"],
)
def test_failed_build_changes_nothing(make_site: Callable[..., Path], breakage) -> None:
    root = make_site()
    build_site(root)
    site_before = tree(root / "_site")
    lock_before = (root / "credsite.lock").read_bytes()
    write_files(root, breakage)
    with pytest.raises(CredsiteError):
        build_site(root, seed=7, now=NOW + dt.timedelta(days=3))
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 1
    assert "Traceback" not in output_of(result)
    assert tree(root / "_site") == site_before
    assert (root / "credsite.lock").read_bytes() == lock_before
    assert not (root / "_site.staging").exists()
    assert not (root / "_site.previous").exists()
    assert sorted(p.name for p in root.iterdir()) == [
        ".credsite-cache",
        ".credsite-running",  # the site's lock (credsite/sitelock.py), git-ignored
        "_site",
        "content",
        "credsite.lock",
        "site.yaml",
        *(["themes"] if "themes/default/templates/index.html" in breakage else []),
    ]


def test_new_award_with_bad_content_mints_nothing(make_site: Callable[..., Path]) -> None:
    # A new (valid) award next to a broken one: the new award must not reach the lockfile.
    root = make_site()
    build_site(root)
    lock_before = (root / "credsite.lock").read_bytes()
    write_files(
        root,
        {
            AWARDS_FILE: AWARDS + "- achievement: teamwork\n  name: New\n"
            "  email: new@example.org\n",
            "content/awards/broken.yaml": "- achievement: nope\n  name: X\n"
            "  email: x@example.org\n",
        },
    )
    with pytest.raises(CredsiteError, match="unknown achievement 'nope'"):
        build_site(root)
    assert (root / "credsite.lock").read_bytes() == lock_before


# -- determinism -----------------------------------------------------------------------------------


def test_rebuild_is_byte_identical(make_site: Callable[..., Path]) -> None:
    root = make_site()
    first = build_site(root)
    out1 = tree(root / "_site")
    lock1 = (root / "credsite.lock").read_bytes()
    # a later build, with another random seed and clock: nothing new to record, nothing changes
    second = build_site(root, seed=42, clock=fixed_clock(NOW + dt.timedelta(hours=5)))
    assert diff_trees(out1, tree(root / "_site")) == []
    assert (root / "credsite.lock").read_bytes() == lock1
    assert first.signed == 3 and second.signed == 0  # the second build used the proof cache
    assert second.minted == [] and second.lockfile_written is False


def test_two_fresh_clones_build_identical_sites(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    clone = root.parent / "clone"
    clone.mkdir()
    shutil.copytree(root / "content", clone / "content")
    for name in ("site.yaml", "credsite.lock"):
        shutil.copy2(root / name, clone / name)
    result = build_site(clone, seed=1234, clock=fixed_clock(NOW + dt.timedelta(days=30)))
    assert result.signed == 3  # no cache in the clone: everything was signed again
    assert diff_trees(tree(root / "_site"), tree(clone / "_site")) == []
    assert (clone / "credsite.lock").read_bytes() == (root / "credsite.lock").read_bytes()


def test_uncached_build_matches_cached_build(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    cached = build_site(root)
    assert cached.signed == 0
    out_cached = tree(root / "_site")
    uncached = build_site(root, use_cache=False)
    assert uncached.signed == 3
    assert diff_trees(out_cached, tree(root / "_site")) == []


def test_stale_proof_cache_is_not_reused(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    write_files(root, {AWARDS_FILE: AWARDS.replace("Alan Turing", "Alan M. Turing")})
    result = build_site(root)
    assert result.signed == 1
    assert {r.report.status for r in verifysite.verify_site(root / "_site", now=NOW)} == {
        "verified"
    }


# -- --locked --------------------------------------------------------------------------------------


def test_locked_refuses_an_unrecorded_award(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    site_before = tree(root / "_site")
    lock_before = (root / "credsite.lock").read_bytes()
    write_files(
        root,
        {
            AWARDS_FILE: AWARDS + "- achievement: teamwork\n  name: Late Comer\n"
            "  email: late@example.org\n"
        },
    )
    with pytest.raises(LockedError) as info:
        build_site(root, locked=True)
    assert "--locked: the lockfile has no record of new award teamwork/late@example.org" in str(
        info.value
    )
    result = run_cli("build", "--locked", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1
    assert "error: --locked: the lockfile has no record of new award" in text
    assert "commit credsite.lock" in text
    assert "Traceback" not in text
    assert tree(root / "_site") == site_before
    assert (root / "credsite.lock").read_bytes() == lock_before


def test_locked_without_any_lockfile_fails(make_site: Callable[..., Path]) -> None:
    root = make_site()
    result = run_cli("build", "--locked", "-C", str(root))
    assert result.exit_code == 1
    assert "--locked: the lockfile has no record of" in output_of(result)
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_locked_succeeds_after_a_normal_build(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    before = tree(root / "_site")
    lock_before = (root / "credsite.lock").read_bytes()
    result = build_site(root, locked=True, seed=5, clock=fixed_clock(NOW + dt.timedelta(days=1)))
    assert result.minted == []
    assert diff_trees(before, tree(root / "_site")) == []
    assert (root / "credsite.lock").read_bytes() == lock_before
    cli = run_cli("build", "--locked", "-q", "-C", str(root))
    assert cli.exit_code == 0, output_of(cli)


# -- revocation ------------------------------------------------------------------------------------


def test_revoking_changes_only_the_status_list_and_that_page(make_site, tmp_path: Path) -> None:
    root = make_site()
    build_site(root)
    before = tree(root / "_site")
    token, doc = credential_of(root / "_site", "Alan Turing")
    list_before = json.loads(before["status/1.json"])
    revoked_yaml = AWARDS.replace(
        "  issued: 2026-03-02\n",
        "  issued: 2026-03-02\n  status: revoked\n  status_reason: Issued in error\n",
    )
    assert revoked_yaml != AWARDS
    write_files(root, {AWARDS_FILE: revoked_yaml})
    later = NOW + dt.timedelta(days=2)
    result = build_site(root, clock=fixed_clock(later), now=later)
    assert result.states == {"active": 2, "revoked": 1}
    after = tree(root / "_site")
    changed = diff_trees(before, after)
    ob3 = [name for name in changed if not name.startswith("ob2/")]
    # the list and its detached proof (what the page checks) change; no credential does
    assert ob3 == sorted(
        ["status/1.json", "status/1.jcs-proof.jsonld", f"credentials/{token}.html"]
    )
    # OB 2.0 has no status list: a hosted assertion says itself that it is revoked
    ob2 = [name for name in changed if name.startswith("ob2/")]
    assert set(ob2) <= {f"ob2/assertions/{token}.{s}" for s in ("json", "png", "svg")} | {
        "ob2/issuers/acme-revocations.json"
    }, ob2
    assert json.loads(after[f"ob2/assertions/{token}.json"])["revoked"] is True
    assert "Revoked" in after[f"credentials/{token}.html"].decode()
    assert "Issued in error" in after[f"credentials/{token}.html"].decode()

    status_list = json.loads(after["status/1.json"])
    assert status_list["validFrom"] == "2026-11-24T12:00:00Z" != list_before["validFrom"]
    bits = Bitstring.decode(status_list["credentialSubject"]["encodedList"])
    index = int(doc["credentialStatus"]["statusListIndex"])
    assert bits.get(index) is True
    assert sum(bits.get(i) for i in range(bits.size)) == 1
    reports = {r.path: r.report.status for r in verifysite.verify_site(root / "_site", now=later)}
    assert reports[f"credentials/{token}.json"] == "revoked"
    assert [p for p, s in reports.items() if s == "verified" and p.startswith("credentials/")] == [
        p for p in reports if p.startswith("credentials/") and token not in p
    ]

    # Rebuilding without changes, later still, keeps the list's dates: its bits did not change.
    even_later = later + dt.timedelta(days=10)
    build_site(root, clock=fixed_clock(even_later), now=even_later)
    assert diff_trees(after, tree(root / "_site")) == []

    # Revocation is permanent: flipping the YAML back is a located error, and nothing is written.
    write_files(root, {AWARDS_FILE: AWARDS})
    with pytest.raises(CredsiteError, match="revocation is permanent"):
        build_site(root, clock=fixed_clock(even_later), now=even_later)
    assert diff_trees(after, tree(root / "_site")) == []

    # Deleting the revoked award keeps it revoked for the copy its recipient holds.
    held = tmp_path / "held.json"
    held.write_bytes(after[f"credentials/{token}.json"])
    alan = revoked_yaml.index("- achievement: teamwork\n  name: Alan")
    write_files(
        root,
        {
            AWARDS_FILE: revoked_yaml[:alan]
            + revoked_yaml[revoked_yaml.index("- achievement: mentor") :]
        },
    )
    build_site(root, clock=fixed_clock(even_later), now=even_later)
    assert f"credentials/{token}.json" not in tree(root / "_site")
    assert verifysite.verify_path(held, now=even_later, site=root / "_site").report.status == (
        "revoked"
    )


def test_a_list_whose_awards_were_all_deleted_is_still_published(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """Recipients' copies point at the list: it must outlive the awards in the content."""
    root = make_site()
    build_site(root)
    out = root / "_site"
    held = tmp_path / "held"
    shutil.copytree(out / "credentials", held)
    write_files(root, {AWARDS_FILE: ""})
    result = build_site(root)
    assert result.credentials == 0
    assert (out / "status" / "1.json").is_file()
    for path in sorted(held.glob("*.json")):
        assert verifysite.verify_path(path, now=NOW, site=out).report.status == "verified"


def test_a_full_status_list_starts_the_next(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lockfile, "LIST_SIZE", 2)
    root = make_site()
    build_site(root)
    out = root / "_site"
    lists = sorted(p.name for p in (out / "status").iterdir())
    assert lists == ["1.jcs-proof.jsonld", "1.json", "2.jcs-proof.jsonld", "2.json"]
    used = sorted(
        doc["credentialStatus"]["statusListCredential"].removeprefix(SITE_URL)
        for doc in credential_files(out).values()
    )
    assert used == ["status/1.json", "status/1.json", "status/2.json"]
    reports = verifysite.verify_site(out, now=NOW)
    assert {r.report.status for r in reports} == {"verified"}


def test_suspension_adds_a_second_list(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "site.yaml": SITE_YAML + "status: {suspension: true}\n",
            AWARDS_FILE: AWARDS.replace(
                "  issued: 2026-03-02\n", "  issued: 2026-03-02\n  status: suspended\n"
            ),
        }
    )
    result = build_site(root)
    assert result.states == {"active": 2, "suspended": 1}
    out = root / "_site"
    assert (out / "status/1-suspension.json").is_file()
    _, doc = credential_of(out, "Alan Turing")
    purposes = [e["statusPurpose"] for e in doc["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    reports = {r.path: r.report.status for r in verifysite.verify_site(out, now=NOW)}
    assert sorted(reports.values()).count("suspended") == 3  # JSON, PNG and SVG


# -- keys ------------------------------------------------------------------------------------------


@pytest.fixture
def keyed_site(make_site: Callable[..., Path]) -> Path:
    """A site without the demo key that has generated its own key and built once."""
    root = make_site({"site.yaml": NO_DEMO_SITE_YAML})
    result = run_cli("keys", "generate", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    build_site(root)
    return root


def test_site_without_key_says_to_generate_one(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": NO_DEMO_SITE_YAML})
    result = run_cli("build", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1
    assert (
        "error: issuer 'acme' has no signing key: run 'credsite keys generate' (it writes "
        "keys/acme.key), or set $CREDSITE_KEY_ACME"
    ) in text
    assert "Traceback" not in text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_generated_key_file_is_private_and_builds(keyed_site: Path) -> None:
    path = keyed_site / "keys" / "acme.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = signing.find_key(config.load(keyed_site), "acme", True)
    assert key is not None and key.source == "keys/acme.key" and not key.demo
    did_doc = json.loads((keyed_site / "_site/did.json").read_text(encoding="utf-8"))
    assert [vm["publicKeyMultibase"] for vm in did_doc["verificationMethod"]] == [
        key.key.public_key_multibase
    ]
    assert key.key.public_key_multibase in (keyed_site / "credsite.lock").read_text()
    assert {r.report.status for r in verifysite.verify_site(keyed_site / "_site", now=NOW)} == {
        "verified"
    }
    # Generating again without --rotate keeps the key.
    again = run_cli("keys", "generate", "-C", str(keyed_site))
    assert again.exit_code == 0 and "already has a key" in output_of(again)
    assert signing.find_key(config.load(keyed_site), "acme", True) == key


def test_missing_key_after_a_build_is_an_error_not_a_new_key(keyed_site: Path) -> None:
    recorded = json.loads(
        next(
            ln
            for ln in (keyed_site / "credsite.lock").read_text().splitlines()
            if '"type":"key"' in ln
        )
    )["publicKeyMultibase"]
    (keyed_site / "keys" / "acme.key").unlink()
    before = tree(keyed_site / "_site")
    lock_before = (keyed_site / "credsite.lock").read_bytes()
    result = run_cli("build", "-C", str(keyed_site))
    text = output_of(result)
    assert result.exit_code == 1
    assert f"the lockfile records that its credentials were signed with {recorded}" in text
    assert "do not generate a new one" in text
    assert list((keyed_site / "keys").iterdir()) == []
    assert tree(keyed_site / "_site") == before
    assert (keyed_site / "credsite.lock").read_bytes() == lock_before
    # and `keys generate` refuses too, unless rotating on purpose
    gen = run_cli("keys", "generate", "-C", str(keyed_site))
    assert gen.exit_code == 1
    assert f"already signed credentials with {recorded}" in output_of(gen)
    assert list((keyed_site / "keys").iterdir()) == []


def test_demo_key_on_a_site_with_a_real_key_is_refused(keyed_site: Path) -> None:
    (keyed_site / "keys" / "acme.key").unlink()
    write_files(keyed_site, {"site.yaml": SITE_YAML})  # demo_key: true
    with pytest.raises(
        CredsiteError,
        match=r"signs with a real key \(z6Mk\w+\): refusing credsite's public demo key",
    ):
        build_site(keyed_site)


def test_moving_off_the_demo_key_drops_it_from_the_did_document(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """The demo key is public: once a real key signs, the DID must no longer list it, or anyone
    could forge credentials that verify as this issuer."""
    root = make_site()
    build_site(root)
    out = root / "_site"
    demo_signed = tmp_path / "demo-signed"
    shutil.copytree(out / "credentials", demo_signed)
    demo_public = signing.demo_key("acme").public_key_multibase
    write_files(root, {"site.yaml": SITE_YAML.replace("demo_key: true\n", "")})
    with pytest.raises(CredsiteError, match="signed so far with credsite's public demo key"):
        build_site(root)
    result = run_cli("keys", "generate", "-C", str(root))  # no --rotate needed
    assert result.exit_code == 0, output_of(result)
    build_site(root)
    did_doc = json.loads((out / "did.json").read_text())
    keys = [vm["publicKeyMultibase"] for vm in did_doc["verificationMethod"]]
    assert len(keys) == 1 and keys[0] != demo_public
    assert demo_public not in (out / "did.json").read_text()
    assert {r.report.status for r in verifysite.verify_site(out, now=NOW)} == {"verified"}
    for path in sorted(demo_signed.glob("*.json")):
        assert verifysite.verify_path(path, now=NOW, site=out).report.status == "failed"


def test_key_from_environment(keyed_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = keyed_site / "keys" / "acme.key"
    secret = path.read_text().strip().splitlines()[-1]
    path.unlink()
    before = tree(keyed_site / "_site")
    monkeypatch.setenv("CREDSITE_KEY_ACME", secret)
    build_site(keyed_site, use_cache=False)
    assert diff_trees(before, tree(keyed_site / "_site")) == []
    monkeypatch.setenv("CREDSITE_KEY_ACME", "z3u2notakey")
    with pytest.raises(CredsiteError, match=r"\$CREDSITE_KEY_ACME: not an Ed25519 secret key"):
        build_site(keyed_site)


def test_rotation_keeps_old_credentials_verifying(keyed_site: Path, tmp_path: Path) -> None:
    out = keyed_site / "_site"
    old_key = json.loads((out / "did.json").read_text())["verificationMethod"][0]
    old_credentials = tmp_path / "held-by-recipients"
    shutil.copytree(out / "credentials", old_credentials)
    result = run_cli("keys", "generate", "--rotate", "acme", "-C", str(keyed_site))
    assert result.exit_code == 0, output_of(result)
    assert "earlier keys stay in the DID document" in output_of(result)
    build_site(keyed_site)
    did_doc = json.loads((out / "did.json").read_text())
    keys = [vm["publicKeyMultibase"] for vm in did_doc["verificationMethod"]]
    assert len(keys) == 2 and keys[0] == old_key["publicKeyMultibase"]
    assert did_doc["assertionMethod"] == [vm["id"] for vm in did_doc["verificationMethod"]]
    # the site's credentials are re-signed with the new key ...
    for doc in credential_files(out).values():
        assert {p["verificationMethod"].split("#")[1] for p in doc["proof"]} == {keys[1]}
    assert {r.report.status for r in verifysite.verify_site(out, now=NOW)} == {"verified"}
    # ... and the copies recipients already hold, signed with the old key, still verify.
    for path in sorted(old_credentials.glob("*.json")):
        doc = json.loads(path.read_text())
        assert {p["verificationMethod"].split("#")[1] for p in doc["proof"]} == {keys[0]}
        assert verifysite.verify_path(path, now=NOW, site=out).report.status == "verified"


def test_keys_generate_finds_the_issuers_the_build_reads(make_site: Callable[..., Path]) -> None:
    # issuers may sit in subfolders; files named _x are drafts the build ignores
    root = make_site(
        {
            "site.yaml": NO_DEMO_SITE_YAML,
            "content/issuers/acme.yaml": None,
            "content/issuers/orgs/acme.yaml": ISSUER,
            "content/issuers/_draft.yaml": ISSUER,
        }
    )
    result = run_cli("keys", "generate", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert sorted(p.name for p in (root / "keys").iterdir()) == ["acme.key"]
    build_site(root)


def test_unknown_issuer_for_keys_generate(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": NO_DEMO_SITE_YAML})
    result = run_cli("keys", "generate", "acne", "-C", str(root))
    assert result.exit_code == 1
    assert "unknown issuer 'acne': the issuers are acme" in output_of(result)
    assert not (root / "keys").exists()


# -- schema and document shapes --------------------------------------------------------------------


@pytest.fixture(scope="module")
def ob_schema_validator():
    path = VECTORS / "ob-v3p0-achievementcredential-schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())


def test_example_credentials_match_the_ob3_schema(
    example_output: Path, ob_schema_validator
) -> None:
    documents = credential_files(example_output)
    assert len(documents) == 24  # 22 awards in the content, 2 pathway awards
    for name, doc in documents.items():
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in ob_schema_validator.iter_errors(doc)
        ]
        assert errors == [], name


def test_schema_validator_rejects_a_broken_credential(
    example_output: Path, ob_schema_validator
) -> None:
    # the validator is not vacuous: a credential without its subject fails
    doc = next(iter(credential_files(example_output).values()))
    del doc["credentialSubject"]
    assert not ob_schema_validator.is_valid(doc)


def test_example_document_shapes(example_output: Path) -> None:
    did = vc_did.did_web_from_url("https://northbridge-alliance.github.io/credentials/")
    assert did == "did:web:northbridge-alliance.github.io:credentials"
    did_doc = json.loads((example_output / "did.json").read_text(encoding="utf-8"))
    assert did_doc["id"] == did
    for path in sorted((example_output / "achievements").glob("*.json")):
        achievement = json.loads(path.read_text(encoding="utf-8"))
        assert achievement["@context"][0] == "https://www.w3.org/ns/credentials/v2"
        assert "Achievement" in achievement["type"]
        assert achievement["id"].endswith(f"achievements/{path.name}")
    issuer = json.loads((example_output / "issuers/northbridge.json").read_text(encoding="utf-8"))
    assert "@context" in issuer and issuer["id"] == did
    for doc in credential_files(example_output).values():
        assert doc["issuer"]["id"] == did
        # a proof set of one (an array, as the OB 3.0 schema wants); wallets parse it
        assert [p["cryptosuite"] for p in doc["proof"]] == ["eddsa-rdfc-2022"]
        for proof in doc["proof"]:
            assert proof["verificationMethod"] in did_doc["assertionMethod"]
            assert proof["verificationMethod"].startswith(did + "#z6Mk")
        status = doc["credentialStatus"]
        assert (
            status["statusListCredential"]
            == "https://northbridge-alliance.github.io/credentials/status/1.json"
        )


def test_bare_domain_site_publishes_well_known_did(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML.replace(SITE_URL, "https://badges.example.org/")})
    build_site(root)
    out = root / "_site"
    assert not (out / "did.json").exists()
    did_doc = json.loads((out / ".well-known/did.json").read_text(encoding="utf-8"))
    assert did_doc["id"] == "did:web:badges.example.org"
    assert {r.report.status for r in verifysite.verify_site(out, now=NOW)} == {"verified"}


def test_credentials_of_one_achievement_share_its_parts_and_signing_changes_none(
    make_site: Callable[..., Path],
) -> None:
    """The embedded Achievement and issuer Profile are made once per achievement and language
    and the very same objects go into each of its credentials (`ob3.SharedParts`): signing,
    in process as a small site does, must change nothing of them, or every credential of the
    achievement would be changed with it."""
    import copy

    from credsite.build import _load_content
    from credsite.issuing import ob3, sign
    from credsite.issuing.urls import Urls
    from credsite.state.keyfiles import load_keys

    root = make_site()
    build_site(root)
    site_config, site = _load_content(root, None)
    lock = lockfile.Lockfile.load(site_config.lockfile_path)
    urls = Urls(site_config.url, site.primary_issuer, site_config.languages)
    entries = lock.award_entries(site.awards, mint=False)
    teamwork = [a for a in site.awards if a.achievement == "teamwork"]
    assert len(teamwork) == 2
    shared: dict[tuple[str, str], ob3.SharedParts] = {}
    unsigned = {
        a.key: ob3.unsigned_credential(a, entries[a.key], site, urls, shared=shared)
        for a in teamwork
    }
    first, second = (d["credentialSubject"]["achievement"] for d in unsigned.values())
    assert first is second and len(shared) == 1
    before = copy.deepcopy(unsigned)
    keys = load_keys(site_config, sorted(site.issuers), site.primary_issuer, lock)
    signed: dict[str, sign.Signed] = {}
    count = sign.sign_credentials(
        site, ((a, unsigned[a.key]) for a in teamwork), entries, keys, urls,
        sign.ProofCache(None), lambda key, made, _proof_key: signed.setdefault(key, made),
    )  # fmt: skip
    assert count == 2 and unsigned == before
    published = {
        p.stem: json.loads(p.read_text()) for p in (root / "_site" / "credentials").glob("*.json")
    }
    for award in teamwork:
        assert signed[award.key][0] == published[entries[award.key].credential]


def test_the_build_makes_no_full_cycle_collections(make_site: Callable[..., Path]) -> None:
    """A build holds its site's objects for its whole length: Python's full cycle collections,
    which walk every object, are off while it runs (the young ones go on), and the collector is
    as it was after."""
    import gc

    root = make_site()
    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    before = gc.get_threshold()
    gc.collect()  # counts left by earlier tests would make the first collection a full one
    gc.set_threshold(10, 1, 1)  # a full collection every few hundred objects, were it on
    gc.callbacks.append(seen)
    try:
        build_site(root)
        during = list(collections)
        assert gc.get_threshold() == (10, 1, 1)
    finally:
        gc.callbacks.remove(seen)
        gc.set_threshold(*before)
    assert during and 2 not in during  # young collections only
