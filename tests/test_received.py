"""Endorsements across sites (issue 15, part 4): `credsite endorsement add FILE` checks a signed
EndorsementCredential against its endorser's did:web DID document (fetched once with consent, or
given), pins the document's SHA-256 in the lockfile and stores both; builds stay offline and refuse
a changed or failing one; `credsite endorse` signs one for another site. Never the network here:
fetching goes through a map of URLs."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SITE_URL, build_site, fixed_clock, output_of, run_cli, run_fresh, tree

from credsite.commands import endorse as endorsing
from credsite.errors import CredsiteError
from credsite.state.lockfile import Lockfile
from credsite.vc import did as vc_did
from credsite.vc import proof as vc_proof
from credsite.vc.keys import SigningKey

OUTSIDE_DID = "did:web:council.example.org"
OUTSIDE_DOC_URL = "https://council.example.org/.well-known/did.json"
KEY = SigningKey.from_seed(hashlib.sha256(b"test outside endorser").digest())
OTHER_KEY = SigningKey.from_seed(hashlib.sha256(b"someone else").digest())
ACHIEVEMENT_ID = f"{SITE_URL}achievements/teamwork.json"
RECEIVED = "content/endorsements/received"


def did_document(key: SigningKey = KEY, did: str = OUTSIDE_DID) -> bytes:
    doc = vc_did.did_document(did, [key.public_key_multibase])
    return json.dumps(doc, indent=2).encode("utf-8")


def endorsement(
    *,
    target: str = ACHIEVEMENT_ID,
    key: SigningKey = KEY,
    did: str = OUTSIDE_DID,
    valid_until: str | None = None,
    valid_from: str = "2026-10-01T00:00:00Z",
    comment: str = "The Council recognises this badge.",
    identifier: str | None = "https://council.example.org/endorsements/1.json",
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        **({"id": identifier} if identifier is not None else {}),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Endorsement by the Council",
        "issuer": {"id": did, "type": ["Profile"], "name": "The Council"},
        "validFrom": valid_from,
        "credentialSubject": {
            "id": target,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }
    if valid_until:
        doc["validUntil"] = valid_until
    vm = vc_did.verification_method_id(did, key.public_key_multibase)
    return vc_proof.add_proofs(doc, key, vm, "2026-10-01T00:00:00Z", cryptosuites=(vc_proof.RDFC,))


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def site(make_site) -> Path:
    root = make_site()
    build_site(root)
    return root


def snapshot(root: Path) -> tuple[dict[str, bytes], bytes, dict[str, bytes]]:
    """The site's content, lockfile and output, byte for byte."""
    return tree(root / "content"), (root / "credsite.lock").read_bytes(), tree(root / "_site")


def test_add_with_a_given_did_document_pins_it_and_the_build_embeds_it(
    site: Path, tmp_path: Path
) -> None:
    file = write_json(tmp_path / "endorsement.json", endorsement())
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_document())
    result = run_cli(
        "endorsement", "add", str(file), "--did-document", str(did_file), "-C", str(site)
    )
    assert result.exit_code == 0, output_of(result)
    assert "Added: The Council endorses Teamwork" in output_of(result)
    [stored] = [p for p in (site / RECEIVED).glob("*.json") if not p.name.endswith(".did.json")]
    assert stored.read_bytes() == file.read_bytes()  # exactly as received
    stored_did = stored.with_name(stored.name[: -len(".json")] + ".did.json")
    assert stored_did.read_bytes() == did_document()
    lock = Lockfile.load(site / "credsite.lock")
    pin = lock.pinned(OUTSIDE_DID)
    assert pin is not None and pin.sha256 == hashlib.sha256(did_document()).hexdigest()
    assert (
        '{"type":"pin","did":"did:web:council.example.org"' in (site / "credsite.lock").read_text()
    )
    # the build (offline, --locked) embeds it, signed, in the achievement and its credentials
    build_site(site, locked=True)
    out = site / "_site"
    achievement = json.loads((out / "achievements/teamwork.json").read_text())
    assert achievement["endorsement"] == [json.loads(file.read_text())]
    embedded = 0
    for path in (out / "credentials").glob("*.json"):
        doc = json.loads(path.read_text())
        if doc["credentialSubject"]["achievement"]["id"] == ACHIEVEMENT_ID:
            assert (
                doc["credentialSubject"]["achievement"]["endorsement"] == achievement["endorsement"]
            )
            page = path.with_suffix(".html").read_text()
            assert 'data-vc="credentialSubject.achievement.endorsement.0.issuer.name"' in page
            assert "From outside this site" in page
            embedded += 1
    assert embedded == 2
    assert "data-endorsement-received" in (out / "achievements/teamwork.html").read_text()


def test_add_fetches_only_with_consent_and_once(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []
    urls = {OUTSIDE_DOC_URL: did_document()}

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return urls[url]

    monkeypatch.setattr(endorsing, "fetch_url", fetch)
    file = write_json(tmp_path / "endorsement.json", endorsement())
    before = snapshot(site)
    # no --fetch, and the question answered "no" (or not at all): nothing fetched, nothing written
    for answer in ("n\n", ""):
        runner_result = run_cli_input(site, ["endorsement", "add", str(file)], answer)
        assert runner_result.exit_code == 1
        assert "run again with --fetch" in output_of(runner_result)
        assert fetched == [] and snapshot(site) == before
    # asked and answered "yes"
    result = run_cli_input(site, ["endorsement", "add", str(file)], "y\n")
    assert result.exit_code == 0, output_of(result)
    assert fetched == [OUTSIDE_DOC_URL]
    # --fetch: no question; the same document again changes no pin
    lock = (site / "credsite.lock").read_bytes()
    result = run_cli("endorsement", "add", str(file), "--fetch", "-C", str(site))
    assert result.exit_code == 0, output_of(result)
    assert fetched == [OUTSIDE_DOC_URL] * 2
    assert (site / "credsite.lock").read_bytes() == lock
    build_site(site)  # and the build fetches nothing
    assert fetched == [OUTSIDE_DOC_URL] * 2


def run_cli_input(site: Path, args: list[str], answer: str) -> Any:
    from click.testing import CliRunner

    from credsite.cli import cli

    return CliRunner().invoke(cli, [*args, "-C", str(site)], input=answer)


@pytest.mark.parametrize(
    ("doc", "did_doc", "message"),
    [
        (
            {**endorsement(), "name": "Changed after signing"},
            did_document(),
            "this endorsement does not check, nothing was added: proof[0] eddsa-rdfc-2022",
        ),
        (
            endorsement(valid_until="2026-11-01T00:00:00Z"),
            did_document(),
            "validUntil: expired at 2026-11-01T00:00:00Z",
        ),
        (
            endorsement(valid_from="2027-01-01T00:00:00Z"),
            did_document(),
            "validFrom: not valid before 2027-01-01T00:00:00Z",
        ),
        (
            endorsement(),
            did_document(OTHER_KEY),
            "is not listed in the DID document's verificationMethod",
        ),
        (
            endorsement(),
            did_document(did="did:web:elsewhere.example.org"),
            "the DID document is for 'did:web:elsewhere.example.org', not for its issuer",
        ),
        (
            endorsement(target=f"{SITE_URL}achievements/nonesuch.json"),
            did_document(),
            f"it endorses {SITE_URL}achievements/nonesuch.json, which is no achievement, issuer "
            "or credential of this site",
        ),
        (
            endorsement(did="did:key:z6MkexampleNotWeb"),
            did_document(),
            "its issuer is not a did:web DID",
        ),
        # did:web DIDs that name no site: a DID URL, a host that is no host name, a '..' path
        *[
            (
                endorsement(did=did),
                did_document(),
                f"its issuer is not a did:web DID of a site ('{did}'): credsite checks",
            )
            for did in (
                "did:web:../../etc",
                "did:web:..:..:etc",
                "did:web:council.example.org:..:x",
                "did:web:council.example.org#key",
            )
        ],
    ],
)
def test_add_refuses_a_forged_expired_or_foreign_endorsement_and_writes_nothing(
    site: Path, tmp_path: Path, doc: dict[str, Any], did_doc: bytes, message: str
) -> None:
    file = write_json(tmp_path / "endorsement.json", doc)
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_doc)
    before = snapshot(site)
    result = run_cli(
        "endorsement", "add", str(file), "--did-document", str(did_file), "-C", str(site)
    )
    text = output_of(result)
    assert result.exit_code == 1, text
    assert f"error: {file}: " in text and message in text, text
    assert "Traceback" not in text
    assert snapshot(site) == before


@pytest.fixture
def added(site: Path, tmp_path: Path) -> Path:
    file = write_json(tmp_path / "endorsement.json", endorsement())
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_document())
    endorsing.add(site, file, did_document=did_file, slug="council", now=NOW)
    build_site(site)
    return site


def add_cli(site: Path, file: Path, did_file: Path, *args: str) -> Any:
    return run_cli(
        "endorsement", "add", str(file), "--did-document", str(did_file), *args, "-C", str(site)
    )


def refused(result: Any, message: str) -> None:
    text = output_of(result)
    assert result.exit_code == 1, text
    assert message in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("with_id", [True, False])
def test_add_refuses_an_endorsement_the_site_holds_already(
    site: Path, tmp_path: Path, with_id: bool
) -> None:
    doc = endorsement() if with_id else endorsement(identifier=None)
    file = write_json(tmp_path / "endorsement.json", doc)
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_document())
    endorsing.add(site, file, did_document=did_file, slug="council", now=NOW)
    build_site(site)
    before = snapshot(site)
    shown = " (id 'https://council.example.org/endorsements/1.json')" if with_id else ""
    # a copy of it (under the name it would get, or another) is no new endorsement
    copy = tmp_path / "copy.json"
    copy.write_bytes(file.read_bytes())
    for args in ((), ("--as", "con")):
        refused(
            add_cli(site, copy, did_file, *args),
            f"error: {copy}: this endorsement{shown} is in the site already: "
            f"{RECEIVED}/council.json holds it. Nothing was added",
        )
        assert snapshot(site) == before
    # the very file again under its own name is no copy: it is checked again, nothing changes
    result = add_cli(site, file, did_file, "--as", "council")
    assert result.exit_code == 0, output_of(result)
    assert snapshot(site) == before


def test_the_build_refuses_an_endorsement_stored_twice(added: Path) -> None:
    received = added / RECEIVED
    for suffix in (".json", ".did.json"):
        (received / f"twice{suffix}").write_bytes((received / f"council{suffix}").read_bytes())
    before = snapshot(added)
    result = run_fresh("build", "-q", cwd=added)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert (
        f"error: {RECEIVED}/twice.json: the same endorsement as {RECEIVED}/council.json (id "
        "'https://council.example.org/endorsements/1.json'): it would be embedded twice" in text
    ), text
    assert "Traceback" not in text
    assert snapshot(added) == before


def test_add_refuses_a_name_too_long_for_a_file(site: Path, tmp_path: Path) -> None:
    file = write_json(tmp_path / "endorsement.json", endorsement())
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_document())
    before = snapshot(site)
    refused(
        add_cli(site, file, did_file, "--as", "a" * 300),
        "error: --as 'aaaaaaaaaaaaaaaaaaaa'... is 300 characters long: at most 100 are allowed "
        "(it becomes the file name content/endorsements/received/NAME.json)",
    )
    assert snapshot(site) == before
    result = add_cli(site, file, did_file, "--as", "a" * 100)  # the longest name allowed
    assert result.exit_code == 0, output_of(result)


def test_add_that_cannot_write_the_lockfile_puts_everything_back(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = write_json(tmp_path / "endorsement.json", endorsement())
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_document())
    before = snapshot(site)
    write = endorsing.write_atomic

    def full_disk(path: Path, data: bytes, mode: int | None = None) -> None:
        if path.name == "credsite.lock":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(path, data, mode)

    monkeypatch.setattr(endorsing, "write_atomic", full_disk)
    refused(
        add_cli(site, file, did_file),
        "error: cannot write credsite.lock: No space left on device. Nothing was added",
    )
    assert snapshot(site) == before
    assert not (site / RECEIVED).exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda root: write_json(
                root / RECEIVED / "council.json",
                {**endorsement(), "name": "Forged later"},
            ),
            f"error: {RECEIVED}/council.json: this endorsement does not check: proof[0]",
        ),
        (
            lambda root: (root / RECEIVED / "council.did.json").write_bytes(
                did_document(OTHER_KEY)
            ),
            f"error: {RECEIVED}/council.did.json: this is not the DID document of "
            f"{OUTSIDE_DID} that credsite.lock pinned",
        ),
        (
            lambda root: (root / "credsite.lock").write_text(
                "".join(
                    line
                    for line in (root / "credsite.lock").read_text().splitlines(keepends=True)
                    if '"type":"pin"' not in line
                )
            ),
            f"error: {RECEIVED}/council.json: the DID document of its endorser {OUTSIDE_DID} "
            "is not pinned in credsite.lock",
        ),
        (
            lambda root: (root / RECEIVED / "council.did.json").unlink(),
            f"error: {RECEIVED}/council.did.json: missing",
        ),
    ],
)
def test_the_build_refuses_a_changed_received_endorsement_offline(
    added: Path, edit: Any, message: str
) -> None:
    edit(added)
    before = tree(added / "_site")
    lock = (added / "credsite.lock").read_bytes()
    result = run_fresh("build", "-q", cwd=added)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert message in text, text
    assert "Traceback" not in text
    assert tree(added / "_site") == before and (added / "credsite.lock").read_bytes() == lock


def test_the_build_refuses_one_that_has_expired_since(site: Path, tmp_path: Path) -> None:
    file = write_json(tmp_path / "e.json", endorsement(valid_until="2027-06-01T00:00:00Z"))
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_document())
    endorsing.add(site, file, did_document=did_file, slug="council", now=NOW)
    build_site(site)
    later = dt.datetime(2027, 7, 1, tzinfo=dt.UTC)
    with pytest.raises(Exception) as caught:
        build_site(site, now=later)
    assert "validUntil: expired at 2027-06-01T00:00:00Z" in str(caught.value.problems)  # type: ignore[attr-defined]


def test_endorse_signs_for_another_site_which_adds_it(make_site, tmp_path: Path) -> None:
    council_url = "https://council.example.org/"
    council = make_site(
        {
            "site.yaml": f"title: Council\nurl: {council_url}\ndemo_key: true\n",
            "content/issuers/council.yaml": "name: The Council\nurl: https://council.example.org\n",
            "content/issuers/acme.yaml": None,
            "content/achievements/teamwork.yaml": None,
            "content/achievements/mentor.yaml": None,
            "content/awards/awards.yaml": None,
        },
        name="council",
    )
    receiving = make_site(name="receiving")
    build_site(receiving)
    out = tmp_path / "sent.json"
    # refused: something on the council's own site, an empty comment
    for target, comment, why in (
        (f"{council_url}achievements/x.json", "Good.", "is on this site"),
        (ACHIEVEMENT_ID, " ", "--comment is empty"),
        ("not a url", "Good.", "give the id of what you endorse"),
    ):
        result = run_cli("endorse", target, "--comment", comment, "-C", str(council))
        assert result.exit_code == 1 and why in output_of(result), output_of(result)
    assert not (council / "content/endorsements").exists() or not list(
        (council / "content/endorsements").glob("*.yaml")
    )
    result = run_cli(
        "endorse",
        ACHIEVEMENT_ID,
        "--comment",
        "We **recognise** Teamwork.",
        "--issued",
        "2026-10-01",
        "-o",
        str(out),
        "-C",
        str(council),
    )
    assert result.exit_code == 0, output_of(result)
    sent = json.loads(out.read_text())
    assert sent["issuer"]["id"] == OUTSIDE_DID
    assert sent["credentialSubject"]["id"] == ACHIEVEMENT_ID
    assert sent["id"].startswith(f"{council_url}endorsements/")
    hosted = council / "_site" / "endorsements" / sent["id"].rsplit("/", 1)[1]
    assert json.loads(hosted.read_text()) == sent  # minted, hosted, withdrawable at the council
    assert Lockfile.load(council / "credsite.lock").endorsements
    # the receiving site adds it with the council's published DID document, and embeds it
    did_file = council / "_site" / ".well-known" / "did.json"
    result = run_cli(
        "endorsement", "add", str(out), "--did-document", str(did_file), "-C", str(receiving)
    )
    assert result.exit_code == 0, output_of(result)
    build_site(receiving)
    achievement = json.loads((receiving / "_site/achievements/teamwork.json").read_text())
    assert achievement["endorsement"] == [sent]


def test_a_forged_endorsement_is_refused_in_a_fresh_interpreter(site: Path, tmp_path: Path) -> None:
    forged = endorsement()
    forged["credentialSubject"]["endorsementComment"] = "Forged praise."
    file = write_json(tmp_path / "forged.json", forged)
    did_file = tmp_path / "did.json"
    did_file.write_bytes(did_document())
    before = snapshot(site)
    result = run_fresh("endorsement", "add", str(file), "--did-document", str(did_file), cwd=site)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert f"error: {file}: this endorsement does not check" in text
    assert snapshot(site) == before


def test_the_examples_received_endorsement(example_output: Path, example_site: Path) -> None:
    lock = Lockfile.load(example_site / "credsite.lock")
    stored = example_site / "content/endorsements/received/coastal-skills-council-exchange.json"
    doc = json.loads(stored.read_text())
    pin = lock.pinned(doc["issuer"]["id"])
    did_bytes = stored.with_name("coastal-skills-council-exchange.did.json").read_bytes()
    assert pin is not None and pin.sha256 == hashlib.sha256(did_bytes).hexdigest()
    achievement = json.loads(
        (example_output / "achievements/exchange-participant.json").read_text()
    )
    assert doc in achievement["endorsement"]


OTHER_SITE = "https://o3.example/achievements/a.json"


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("file/x.json", "file is a file, not a folder"),
        ("file/deeper/x.json", "file is a file, not a folder"),
        ("/dev/null", "-o /dev/null: is a character device, not a file: writing the endorsement"),
        ("SITE/credsite.lock", "credsite.lock is the site's credsite.lock: give another file"),
        ("SITE/_site/x.json", "_site/x.json is in the site's _site/, which credsite writes"),
        ("SITE/content/x.json", "content/x.json is in the site's content/, which credsite"),
        ("a" * 300 + ".json", ": cannot write the endorsement there: File name too long"),
    ],
)
def test_endorse_refuses_an_output_it_cannot_write_before_writing_anything(
    site: Path, tmp_path: Path, output: str, message: str
) -> None:
    (tmp_path / "file").write_text("a file, not a folder\n")
    given = output.startswith(("SITE", "/"))
    path = output.replace("SITE", str(site)) if given else str(tmp_path / output)
    before = snapshot(site)
    result = run_cli("endorse", OTHER_SITE, "--comment", "Good.", "-o", path, "-C", str(site))
    refused(result, f"error: -o {path}")
    refused(result, message)
    assert snapshot(site) == before
    assert (tmp_path / "file").read_text() == "a file, not a folder\n"
    # nothing was left behind: the same endorsement is made with an output that can be written
    good = tmp_path / "new" / "folder" / "sent.json"
    result = run_cli("endorse", OTHER_SITE, "--comment", "Good.", "-o", str(good), "-C", str(site))
    assert result.exit_code == 0, output_of(result)
    assert json.loads(good.read_text())["credentialSubject"]["id"] == OTHER_SITE


def test_endorse_refuses_an_id_too_long_for_a_file(site: Path) -> None:
    before = snapshot(site)
    result = run_cli(
        "endorse", OTHER_SITE, "--comment", "Good.", "--id", "a" * 300, "-C", str(site)
    )
    refused(
        result,
        "error: --id 'aaaaaaaaaaaaaaaaaaaa'... is 300 characters long: at most 100 are allowed "
        "(it becomes the file name content/endorsements/ID.yaml)",
    )
    assert snapshot(site) == before


def test_endorse_that_cannot_write_its_output_takes_the_endorsement_back(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(site)
    out = tmp_path / "out" / "sent.json"
    write = endorsing.write_atomic

    def full_disk(path: Path, data: bytes, mode: int | None = None) -> None:
        if path == out:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(path, data, mode)

    monkeypatch.setattr(endorsing, "write_atomic", full_disk)
    with pytest.raises(CredsiteError) as caught:
        endorsing.endorse(
            site,
            OTHER_SITE,
            "Good.",
            output=out,
            build_options={"clock": fixed_clock(), "now": NOW, "rng": random.Random(2)},
        )
    message = str(caught.value.problems[0])
    assert (
        f"-o {out}: cannot write it: No space left on device. The endorsement is not made "
        "(content/endorsements/endorses-o3-example-achievements-a-json.yaml removed, "
        "credsite.lock put back, the site built again without it)" in message
    ), message
    assert snapshot(site) == before
    assert not out.parent.exists()
