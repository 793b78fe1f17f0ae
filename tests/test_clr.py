"""Learner records: a signed CLR 2.0 ClrCredential per recipient with `clr: true` (issue 16,
part 2): shape, nesting exactly as published, re-signed only when changed, baked images, the
transcript page, and `credsite verify` of the record and every credential in it."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    ISSUER,
    NOW,
    SITE_URL,
    SITE_YAML,
    VECTORS,
    build_site,
    output_of,
    qr_code_in,
    qr_code_of,
    run_cli,
    tree,
    write_files,
)
from test_pathways import AWARDS, AWARDS_FILE, PATHWAY, THREE

from credsite.commands import verify as verifysite
from credsite.errors import CredsiteError
from credsite.issuing import clr
from credsite.openbadges import png, svg
from credsite.spill import Spill
from credsite.state.lockfile import LockedError, Lockfile

CLR_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
HROPEN = VECTORS / "clr" / "clr-v2p0-clrcredential-schema.hropen-draft4.json"


@pytest.fixture
def clr_site(make_site: Callable[..., Path]) -> Callable[..., Path]:
    def make(files: dict[str, str | None] | None = None) -> Path:
        return make_site(
            {
                "site.yaml": SITE_YAML + "clr: true\n",
                **THREE,
                "content/pathways/craft.yaml": PATHWAY,
                AWARDS_FILE: AWARDS,
                **(files or {}),
            }
        )

    return make


def records(root: Path) -> dict[str, dict]:
    """Learner records by recipient name."""
    folder = root / "_site" / "records"
    found = {}
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        found[doc["name"].removeprefix("Learner record of ")] = doc
    return found


def hosted(root: Path, credential_id: str) -> dict:
    name = credential_id.removeprefix(SITE_URL)
    return json.loads((root / "_site" / name).read_text(encoding="utf-8"))


def record_token(doc: dict) -> str:
    return doc["id"].rsplit("/", 1)[1].removesuffix(".json")


def test_no_records_unless_the_site_opts_in(make_site: Callable[..., Path]) -> None:
    root = make_site()
    result = build_site(root)
    assert result.records == 0
    assert not (root / "_site" / "records").exists()
    assert "clr" not in (root / "credsite.lock").read_text()


def test_one_record_per_recipient_nesting_their_credentials_as_published(
    clr_site: Callable[..., Path],
) -> None:
    root = clr_site()
    result = build_site(root)
    found = records(root)
    assert sorted(found) == ["Ada Lovelace", "Bob Byte"] and result.records == 2
    ada = found["Ada Lovelace"]
    assert ada["@context"] == CLR_CONTEXTS
    assert ada["type"] == ["VerifiableCredential", "ClrCredential"]
    assert ada["issuer"]["id"] == "did:web:example.github.io:creds"
    assert ada["id"] == f"{SITE_URL}records/{record_token(ada)}.json"
    assert "partial" not in json.dumps(ada)
    subject = ada["credentialSubject"]
    assert subject["type"] == ["ClrSubject"]
    nested = subject["verifiableCredential"]
    # coding, testing, craft (the pathway, completed on the day of testing), review
    names = [c["credentialSubject"]["achievement"]["name"] for c in nested]
    assert names == ["Coding", "Testing", "Craft", "Review"]
    for credential in nested:
        assert credential == hosted(root, credential["id"])  # exactly as published, with proofs
        assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert [a["name"] for a in subject["achievement"]] == names
    assert [a["id"] for a in subject["achievement"]] == [
        c["credentialSubject"]["achievement"]["id"] for c in nested
    ]
    # the recipient, as a salted hash (the record's own salt, from credsite.lock)
    lock = Lockfile.load(root / "credsite.lock")
    entry = lock.clrs[clr.recipient_key("ada@example.org")]
    assert entry.credential == record_token(ada)
    digest = hashlib.sha256(("ada@example.org" + entry.salt).encode()).hexdigest()
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": f"sha256${digest}",
            "identityType": "emailAddress",
            "hashed": True,
            "salt": entry.salt,
        }
    ]
    # which achievements are part of which pathway
    base = f"{SITE_URL}achievements/"
    assert subject["association"] == [
        {
            "type": "Association",
            "associationType": "isPartOf",
            "sourceId": f"{base}{slug}.json",
            "targetId": f"{base}craft.json",
        }
        for slug in ("coding", "review", "testing")
    ]
    assert "association" not in found["Bob Byte"]["credentialSubject"]  # no pathway of his
    reports = verifysite.verify_site(root / "_site")
    assert {r.path: r.report.status for r in reports if r.path.startswith("records/")} == {
        f"records/{record_token(d)}.{suffix}": "verified"
        for d in found.values()
        for suffix in ("json", "png", "svg")
    }


def test_records_have_the_fields_the_clr_schema_requires(clr_site: Callable[..., Path]) -> None:
    """The HR Open derivative of the ClrCredential schema is VC 1.1-era (issuanceDate): only its
    required fields and its AssociationType enum are used (tests/vectors/README.md)."""
    schema = json.loads(HROPEN.read_text(encoding="utf-8"))
    defs = schema["$defs"]
    root = clr_site()
    build_site(root)
    ada = records(root)["Ada Lovelace"]
    required = [k for k in schema["required"] if k != "issuanceDate"] + ["validFrom"]
    assert set(required) <= set(ada)
    subject = ada["credentialSubject"]
    assert set(defs["ClrSubject"]["required"]) <= set(subject)
    for achievement in subject["achievement"]:
        assert set(defs["Achievement"]["required"]) <= set(achievement)
    for identity in subject["identifier"]:
        assert set(defs["IdentityObject"]["required"]) <= set(identity)
    kinds = defs["Association"]["properties"]["associationType"]["enum"]
    assert clr.PART_OF in kinds
    for association in subject["association"]:
        assert set(association) == set(defs["Association"]["required"])
        assert association["associationType"] in kinds


def test_rebuilds_are_identical_and_an_unrelated_award_changes_no_other_record(
    clr_site: Callable[..., Path],
) -> None:
    root = clr_site()
    build_site(root)
    first, lock = tree(root / "_site" / "records"), (root / "credsite.lock").read_text()
    assert build_site(root, seed=5).minted == []
    assert tree(root / "_site" / "records") == first
    assert (root / "credsite.lock").read_text() == lock
    before = records(root)
    # a new recipient: a new record, and every other record byte for byte the same
    write_files(
        root,
        {
            "content/awards/more.yaml": "- {achievement: review, name: Cy Newcomer, "
            "email: cy@example.org, issued: 2026-05-01}\n"
        },
    )
    later = NOW.replace(day=23)
    result = build_site(root, now=later, clock=lambda: later)
    after = records(root)
    assert sorted(after) == ["Ada Lovelace", "Bob Byte", "Cy Newcomer"]
    changed = tree(root / "_site" / "records")
    for name in ("Ada Lovelace", "Bob Byte"):
        token = record_token(before[name])
        for suffix in ("json", "jcs-proof.jsonld", "png", "svg", "html"):
            key = f"{token}.{suffix}"
            assert changed[key] == first[key], key
    assert [m for m in result.minted if "learner record" in m] == [
        "learner record of Cy Newcomer",
        "learner record of Cy Newcomer changed",
    ]
    # one more award to Bob: his record changes at the same address, re-signed; Ada's does not
    write_files(
        root,
        {
            "content/awards/more.yaml": "- {achievement: review, name: Cy Newcomer, "
            "email: cy@example.org, issued: 2026-05-01}\n"
            "- {achievement: testing, name: Bob Byte, email: bob@example.org, "
            "issued: 2026-06-01}\n"
        },
    )
    even_later = NOW.replace(day=24)
    build_site(root, now=even_later, clock=lambda: even_later)
    bob_before, bob = before["Bob Byte"], records(root)["Bob Byte"]
    assert bob["id"] == bob_before["id"]
    # coding, testing, and now the pathway they complete
    assert len(bob["credentialSubject"]["verifiableCredential"]) == 3
    assert bob_before["validFrom"] == "2026-11-22T12:00:00Z"
    assert bob["validFrom"] == "2026-11-24T12:00:00Z"
    assert bob["proof"][0]["created"] == bob["validFrom"]
    assert records(root)["Ada Lovelace"] == before["Ada Lovelace"]


def test_an_unchanged_record_is_not_written_out_again(
    clr_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild finds each record unchanged by what it is made from (`Record.inputs`) and keeps
    its files without writing the record out; a change the awards do not show (the issuer's
    name, signed into every record) makes and signs every record again; a baked image deleted
    from the site is made again from the record, byte for byte."""
    root = clr_site()
    build_site(root)
    first = tree(root / "_site" / "records")
    made: list[str] = []
    unsigned_record = clr.unsigned_record

    def counted(name: str, *args: object, **options: object) -> dict:
        made.append(name)
        return unsigned_record(name, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(clr, "unsigned_record", counted)
    result = build_site(root)
    assert made == [] and result.written == 0 and result.signed == 0
    assert tree(root / "_site" / "records") == first

    baked = sorted((root / "_site" / "records").glob("*.png"))
    assert len(baked) == 2
    baked[0].unlink()
    result = build_site(root)
    assert len(made) == 1 and result.signed == 0  # written out for its image, not signed
    assert tree(root / "_site" / "records") == first

    made.clear()
    write_files(root, {"content/issuers/acme.yaml": ISSUER.replace("Acme", "Acme Academy")})
    result = build_site(root)
    assert sorted(made) == ["Ada Lovelace", "Bob Byte"] and result.signed >= 2
    for doc in records(root).values():
        assert doc["issuer"]["name"] == "Acme Academy Learning"

    # What only the records are made from: their name, as the theme's catalogs translate it.
    from credsite.website import pages

    made.clear()
    monkeypatch.setattr(pages, "record_names", lambda config, theme: {
        language: "Transcript of %(recipient)s" for language in config.languages
    })  # fmt: skip
    result = build_site(root)
    assert sorted(made) == ["Ada Lovelace", "Bob Byte"] and result.signed == 2
    assert sorted(doc["name"] for doc in records(root).values()) == [
        "Transcript of Ada Lovelace",
        "Transcript of Bob Byte",
    ]


def test_a_kept_record_after_a_union_merge_writes_one_line_again(
    clr_site: Callable[..., Path],
) -> None:
    """Two branches each recorded a change of a record, and git's union merge kept both lines:
    a rebuild that keeps the record writes the lockfile with the current line only."""
    root = clr_site()
    build_site(root)
    lock_path = root / "credsite.lock"
    before = lock_path.read_text(encoding="utf-8")
    line = next(text for text in before.splitlines() if '"clr-update"' in text)
    other = json.loads(line) | {"digest": "0" * 64, "updated": "2026-11-23T00:00:00Z"}
    lock_path.write_text(before + json.dumps(other) + "\n", encoding="utf-8")
    result = build_site(root)
    assert result.signed == 0 and result.lockfile_written
    assert lock_path.read_text(encoding="utf-8") == before


def test_a_new_key_signs_every_record_and_bakes_it_again(make_site: Callable[..., Path]) -> None:
    """The records' issuer (the primary) rotates its key, the credentials' issuer does not:
    every record is signed again, its content unchanged, and its JSON and baked images hold the
    new proof (none kept with the old one)."""
    by_beta = {path: "issuer: beta\n" + text for path, text in THREE.items()}
    root = make_site({
        "site.yaml": SITE_YAML.replace("demo_key: true\n", "")
        + "clr: true\nprimary_issuer: acme\n",
        "content/issuers/beta.yaml": "name: Beta Guild\nurl: https://beta.example.org\n",
        **by_beta, "content/pathways/craft.yaml": "issuer: beta\n" + PATHWAY,
        AWARDS_FILE: AWARDS,
        "content/achievements/mentor.yaml": None, "content/achievements/teamwork.yaml": None,
    })  # fmt: skip
    assert run_cli("keys", "generate", "-C", str(root)).exit_code == 0
    build_site(root)
    credentials = tree(root / "_site" / "credentials")
    old = {doc["proof"][0]["verificationMethod"] for doc in records(root).values()}
    assert run_cli("keys", "generate", "--rotate", "acme", "-C", str(root)).exit_code == 0
    later = NOW.replace(day=23)
    result = build_site(root, now=later, clock=lambda: later)
    assert result.signed == 2  # the two records; the credentials are Beta's
    assert tree(root / "_site" / "credentials") == credentials
    new = {doc["proof"][0]["verificationMethod"] for doc in records(root).values()}
    assert len(old) == len(new) == 1 and old != new
    (method,) = new
    for image in sorted((root / "_site" / "records").glob("*.svg")):
        assert method in image.read_text(encoding="utf-8"), image.name
    for image in sorted((root / "_site" / "records").glob("*.png")):
        assert method in (png.extract_png(image.read_bytes(), "clrcredential") or ""), image.name


def test_a_record_whose_inputs_missed_a_change_stops_the_build(
    clr_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a record to change while what `build_records` judges it by did not (an input left
    out: a bug), the record's files are not made from a digest that no longer holds: making the
    record again fails loudly instead."""
    root = clr_site()
    build_site(root)
    unsigned_record = clr.unsigned_record

    def changed(*args: object, **options: object) -> dict:
        doc = unsigned_record(*args, **options)  # type: ignore[arg-type]
        return {**doc, "name": doc["name"] + " (changed)"}

    monkeypatch.setattr(clr, "unsigned_record", changed)
    next((root / "_site" / "records").glob("*.svg")).unlink()
    with pytest.raises(RuntimeError, match="credsite bug: a learner record changed"):
        build_site(root)


def test_a_record_sent_to_a_worker_process_is_made_first() -> None:
    """Pages are rendered by worker processes: a record is pickled with its JSON made, never with
    the function that makes it (which holds the whole site)."""
    import pickle

    calls: list[int] = []

    def make() -> bytes:
        calls.append(1)
        return b"{}"

    with Spill() as spill:
        record = clr.Record("Ada", None, [], "inputs", b"{}\n", make=make, spill=spill)  # type: ignore[arg-type]
        copy = pickle.loads(pickle.dumps(record))
        assert record.json_bytes == b"{}" and calls == [1]  # made once, held in the spill
    # the copy holds its JSON itself: the build's temporary file is closed now
    assert copy.json_bytes == b"{}" and copy.make is None and copy.spill is None


def test_a_revoked_credential_leaves_the_record(clr_site: Callable[..., Path]) -> None:
    root = clr_site()
    build_site(root)
    old = records(root)["Ada Lovelace"]
    revoked = AWARDS.replace("issued: 2026-03-15}", "issued: 2026-03-15, status: revoked}")
    write_files(root, {AWARDS_FILE: revoked})
    build_site(root)
    new = records(root)["Ada Lovelace"]
    assert new["id"] == old["id"]
    names = [
        c["credentialSubject"]["achievement"]["name"]
        for c in new["credentialSubject"]["verifiableCredential"]
    ]
    assert names == ["Coding", "Testing", "Craft"]
    # a copy of the record downloaded before still verifies, and says one credential is revoked
    copy = root / "_site" / "old-record.json"
    copy.write_text(json.dumps(old), encoding="utf-8")
    report = verifysite.verify_path(copy, site=root / "_site").report
    assert report.status == "revoked", report.checks
    nested = {c.name: c for c in report.checks if c.name.startswith("credential 4")}
    assert "revoked" in nested["credential 4 (Review)"].message
    assert nested["credential 4 (Review) published"].ok  # the site still publishes it


def test_a_locked_build_refuses_to_record_a_changed_record(
    clr_site: Callable[..., Path],
) -> None:
    root = clr_site()
    build_site(root)
    assert build_site(root, locked=True).minted == []
    write_files(root, {AWARDS_FILE: AWARDS.replace("Bob Byte", "Bob B. Byte")})
    with pytest.raises(LockedError, match=r"learner record of Bob B\. Byte"):
        build_site(root, locked=True)


def test_verify_checks_the_record_then_every_credential_in_it(
    clr_site: Callable[..., Path],
) -> None:
    root = clr_site()
    build_site(root)
    out = root / "_site"
    ada = records(root)["Ada Lovelace"]
    token = record_token(ada)
    report = verifysite.verify_path(out / "records" / f"{token}.json").report
    assert report.status == "verified"
    names = [c.name for c in report.checks]
    assert "detached eddsa-jcs-2022 proof" in names
    assert [n for n in names if n.startswith("credential ")] == [
        f"credential {i} ({name}){suffix}"
        for i, name in enumerate(["Coding", "Testing", "Craft", "Review"], 1)
        for suffix in ("", " published")
    ]
    # a nested credential changed: the record's proof and the nested one fail
    tampered = json.loads(json.dumps(ada))
    tampered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["name"] = "Eve"
    path = out / "records" / "tampered.json"
    path.write_text(json.dumps(tampered), encoding="utf-8")
    report = verifysite.verify_path(path).report
    assert report.status == "failed"
    failed = {c.name for c in report.checks if not c.ok}
    assert {
        "proof[0] eddsa-rdfc-2022",
        "credential 1 (Coding)",
        "credential 1 (Coding) published",
    } <= failed
    path.unlink()
    result = run_cli("verify", str(out / "records" / f"{token}.svg"))
    assert result.exit_code == 0, output_of(result)
    extracted = run_cli("extract", str(out / "records" / f"{token}.png"))
    assert json.loads(extracted.stdout) == ada


def test_baked_images_carry_the_record(clr_site: Callable[..., Path]) -> None:
    root = clr_site()
    build_site(root)
    ada = records(root)["Ada Lovelace"]
    folder = root / "_site" / "records"
    token = record_token(ada)
    text = png.extract_png((folder / f"{token}.png").read_bytes(), "clrcredential")
    assert text is not None and json.loads(text) == ada
    image = (folder / f"{token}.svg").read_text(encoding="utf-8")
    assert 'xmlns:clr="https://purl.imsglobal.org/clr/v2p0"' in image
    assert image.count("<clr:credential>") == 1
    baked = svg.extract_svg(image, "clr")
    assert baked is not None and json.loads(baked) == ada
    assert svg.extract_svg(image, 3) is None  # not an Open Badges credential


def test_the_transcript_page(clr_site: Callable[..., Path]) -> None:
    root = clr_site()
    build_site(root)
    ada = records(root)["Ada Lovelace"]
    token = record_token(ada)
    page = (root / "_site" / "records" / f"{token}.html").read_text(encoding="utf-8")
    assert 'data-credential="records/' + token + '.json"' in page
    assert 'data-check-page="record"' in page
    assert '<h1 id="record-heading" data-vc="name">Learner record of Ada Lovelace</h1>' in page
    for i, name in enumerate(["Coding", "Testing", "Craft", "Review"]):
        at = f"credentialSubject.verifiableCredential.{i}."
        assert f'data-vc="{at}credentialSubject.achievement.name">{name}</a>' in page
        assert f'data-vc="{at}validFrom"' in page
    assert 'data-vc="credentialSubject.association.0.targetId.name">Craft</strong>' in page
    code = re.search(r'<figure class="record-qr">\s*(<img [^>]*>)', page)
    assert code is not None
    modules, alt = qr_code_in(code.group(1))
    assert modules == qr_code_of(f"{SITE_URL}records/{token}.html") and f"records/{token}.html" in alt
    for suffix in ("json", "png", "svg"):
        assert f'href="../records/{token}.{suffix}"' in page
    assert '<meta name="robots" content="noindex' in page


def test_records_are_reachable_only_by_their_address(clr_site: Callable[..., Path]) -> None:
    root = clr_site()
    build_site(root)
    tokens = {record_token(d) for d in records(root).values()}
    site = tree(root / "_site")
    for name, data in site.items():
        if name.startswith("records/"):
            continue
        for token in tokens:
            assert token.encode() not in data, f"{name} links a learner record"
    lock = (root / "credsite.lock").read_text()
    assert "ada@example.org" not in lock and "bob@example.org" not in lock
    for name, data in site.items():
        assert b"ada@example.org" not in data.lower(), name


def test_a_bad_clr_setting_is_located(clr_site: Callable[..., Path]) -> None:
    root = clr_site({"site.yaml": SITE_YAML + "clr: yes please\n"})
    with pytest.raises(CredsiteError) as caught:
        build_site(root)
    assert [str(p) for p in caught.value.problems] == ["site.yaml:4:6: 'clr' must be true or false"]


def test_example_records(example_site: Path) -> None:
    found = records(example_site)
    assert len(found) >= 10
    keiko = found["Keiko Nakamura"]
    nested = keiko["credentialSubject"]["verifiableCredential"]
    assert len(nested) == 4
    assert {a["associationType"] for a in keiko["credentialSubject"]["association"]} == {"isPartOf"}
    reports = verifysite.verify_site(example_site / "_site")
    statuses = {r.path: r.report.status for r in reports if r.path.startswith("records/")}
    assert len(statuses) == 3 * len(found)
    assert set(statuses.values()) == {"verified"}


def test_the_roster_gives_each_recipient_their_record(
    clr_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = clr_site()
    build_site(root)
    target = tmp_path / "roster.csv"
    result = run_cli("roster", "--export", str(target), "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    rows = list(csv.DictReader(target.read_bytes().decode("utf-8-sig").splitlines()))
    assert list(rows[0])[-1] == "record_url"
    found = records(root)
    for row in rows:
        token = record_token(found[row["recipient"]])
        assert row["record_url"] == f"{SITE_URL}records/{token}.html", row


def test_a_preview_with_records_writes_no_lockfile(
    clr_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = clr_site()
    result = build_site(root, record=False, output_dir=str(tmp_path / "preview"))
    assert result.records == 2
    assert not (root / "credsite.lock").exists()


def test_lockfile_record_lines_round_trip_and_merge(tmp_path: Path) -> None:
    from credsite.errors import ContentError
    from credsite.state.lockfile import ClrEntry, ClrUpdate

    lock = Lockfile(clock=lambda: NOW)
    entry = lock.clr("r1", "Ada")
    assert lock.clr("r1", "Ada") is entry  # minted once
    first = lock.clr_updated("r1", "d1", "Ada")
    assert lock.clr_updated("r1", "d1", "Ada") == first == "2026-11-22T12:00:00Z"
    path = tmp_path / "credsite.lock"
    path.write_text(lock.text(), encoding="utf-8")
    again = Lockfile.load(path)
    assert again.clrs == {"r1": entry} and again.clr_updates == {
        "r1": [ClrUpdate("r1", "d1", first)]
    }
    # a union merge of two branches that each changed the record: the line of the current
    # digest is kept, the other dropped at the next write
    other = ClrUpdate("r1", "d2", "2026-11-23T00:00:00Z")
    path.write_text(lock.text() + json.dumps({"type": "clr-update", **other.__dict__}) + "\n")
    merged = Lockfile.load(path)
    assert len(merged.clr_updates["r1"]) == 2
    assert merged.clr_updated("r1", "d2", "Ada") == other.updated
    assert merged.clr_updates["r1"] == [other]
    # one recipient given two records on two branches: a located error
    twin = ClrEntry("r1", "othertoken", entry.minted, entry.salt)
    path.write_text(lock.text() + json.dumps({"type": "clr", **twin.__dict__}) + "\n")
    with pytest.raises(ContentError, match="learner record r1 was recorded twice"):
        Lockfile.load(path)
    with pytest.raises(LockedError):
        Lockfile(locked=True).clr("r2", "Bob")


def test_signing_in_worker_processes_makes_the_same_site(
    clr_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials and learner records signed in the process pool (a large site's way) are the
    very bytes signed in the build's own process (a small site's, and the golden output's):
    workers send back only the proofs, which the build puts into the documents."""
    import shutil

    from credsite.issuing import sign

    root = clr_site()
    build_site(root)
    in_process = tree(root / "_site")
    shutil.rmtree(root / "_site")
    shutil.rmtree(root / ".credsite-cache")  # no proof cached: every document signed again
    monkeypatch.setattr(sign, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(clr, "PARALLEL_THRESHOLD", 1)
    result = build_site(root)
    assert result.signed >= result.credentials + result.records > 0
    assert tree(root / "_site") == in_process
