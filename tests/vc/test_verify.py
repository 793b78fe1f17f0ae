"""verify_credential on small in-memory sites: every outcome and every failure path."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credsite.vc.did import did_document, did_document_url
from credsite.vc.encoding import encode_multikey_public
from credsite.vc.keys import SigningKey
from credsite.vc.proof import JCS, RDFC, add_proofs
from credsite.vc.status import Bitstring, status_entry, status_list_credential
from credsite.vc.verify import Check, Report, verify_credential

from .conftest import SITE, SITE_DID, full_ob_credential

KEY = SigningKey.from_seed(hashlib.sha256(b"credsite test key").digest())
OTHER_KEY = SigningKey.from_seed(hashlib.sha256(b"some other key").digest())
VM = f"{SITE_DID}#{KEY.public_key_multibase}"
CREATED = "2025-03-01T00:00:00Z"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
REVOCATION_LIST = SITE + "status/1.json"
SUSPENSION_LIST = SITE + "status/1-suspension.json"
INDEX = 4711


class Site:
    """A published site held in memory: URL -> JSON, with the fetch function verifiers use."""

    def __init__(self) -> None:
        self.files: dict[str, dict] = {}
        self.fetched: list[str] = []
        self.put_did([KEY.public_key_multibase])
        self.put_list(REVOCATION_LIST, "revocation")
        self.put_list(SUSPENSION_LIST, "suspension")

    def put_did(self, keys: list[str], did: str = SITE_DID) -> None:
        self.files[did_document_url(did)] = did_document(did, keys)

    def put_list(
        self,
        url: str,
        purpose: str,
        set_bits: tuple[int, ...] = (),
        size: int = 131_072,
        issuer: str = SITE_DID,
        key: SigningKey = KEY,
        vm: str = VM,
        **changes: Any,
    ) -> None:
        bits = Bitstring(size)
        for i in set_bits:
            bits.set(i)
        if size >= 131_072:
            doc = status_list_credential(url, issuer, purpose, bits, CREATED)
        else:  # status_list_credential refuses short lists; build one by hand
            doc = status_list_credential(url, issuer, purpose, Bitstring(), CREATED)
            doc["credentialSubject"]["encodedList"] = bits.encode()
        doc.update(changes)
        self.files[url] = add_proofs(doc, key, vm, CREATED)

    def fetch(self, url: str) -> dict:
        self.fetched.append(url)
        return copy.deepcopy(self.files[url])  # KeyError when absent, like a 404


def credential(
    *,
    statuses: tuple[str, ...] = ("revocation",),
    key: SigningKey = KEY,
    vm: str = VM,
    cryptosuites: tuple[str, ...] = (RDFC, JCS),
    **changes: Any,
) -> dict:
    doc = full_ob_credential()
    entries = []
    if "revocation" in statuses:
        entries.append(status_entry(REVOCATION_LIST, INDEX, "revocation"))
    if "suspension" in statuses:
        entries.append(status_entry(SUSPENSION_LIST, INDEX, "suspension"))
    if entries:
        doc["credentialStatus"] = entries if len(entries) > 1 else entries[0]
    else:
        del doc["credentialStatus"]
    doc.update(changes)
    return add_proofs(doc, key, vm, CREATED, cryptosuites)


def failed(report: Report) -> list[Check]:
    return [c for c in report.checks if not c.ok]


def assert_failed(report: Report, name_part: str, message_part: str = "") -> None:
    assert report.status == "failed", report
    bad = [c for c in failed(report) if name_part in c.name and message_part in c.message]
    assert bad, failed(report)


@pytest.fixture
def site() -> Site:
    return Site()


# --- outcomes ---------------------------------------------------------------------------------


def test_verified(site: Site) -> None:
    doc = credential(statuses=("revocation", "suspension"))
    report = verify_credential(doc, site.fetch, NOW)
    assert report.status == "verified", failed(report)
    assert report.id == doc["id"]
    assert not failed(report)
    names = [c.name for c in report.checks]
    for expected in (
        "context",
        "type",
        "issuer",
        "proof[0] eddsa-rdfc-2022",
        "proof[1] eddsa-jcs-2022",
        "validFrom",
        "credentialStatus[0] revocation",
        "credentialStatus[1] suspension",
    ):
        assert expected in names
    assert any(n.startswith(f"status list {REVOCATION_LIST}: proof[0]") for n in names)
    # the DID document is fetched once and each list once
    assert site.fetched.count(did_document_url(SITE_DID)) == 1
    assert site.fetched.count(REVOCATION_LIST) == 1


def test_verified_without_status_and_with_string_issuer(site: Site) -> None:
    doc = credential(statuses=())
    assert verify_credential(doc, site.fetch, NOW).status == "verified"
    plain = full_ob_credential()
    del plain["credentialStatus"]
    plain["issuer"] = SITE_DID
    signed = add_proofs(plain, KEY, VM, CREATED)
    assert verify_credential(signed, site.fetch, NOW).status == "verified"


def test_verified_with_a_rotated_key(site: Site) -> None:
    site.put_did([OTHER_KEY.public_key_multibase, KEY.public_key_multibase])
    other_vm = f"{SITE_DID}#{OTHER_KEY.public_key_multibase}"
    old = credential(statuses=(), key=OTHER_KEY, vm=other_vm)
    new = credential(statuses=())
    assert verify_credential(old, site.fetch, NOW).status == "verified"
    assert verify_credential(new, site.fetch, NOW).status == "verified"


def test_revoked(site: Site) -> None:
    site.put_list(REVOCATION_LIST, "revocation", set_bits=(INDEX,))
    report = verify_credential(credential(), site.fetch, NOW)
    assert report.status == "revoked"
    bad = failed(report)
    assert [c.name for c in bad] == ["credentialStatus[0] revocation"]
    assert "4711" in bad[0].message


def test_neighbouring_bits_do_not_revoke(site: Site) -> None:
    site.put_list(REVOCATION_LIST, "revocation", set_bits=(INDEX - 1, INDEX + 1))
    assert verify_credential(credential(), site.fetch, NOW).status == "verified"


def test_suspended(site: Site) -> None:
    site.put_list(SUSPENSION_LIST, "suspension", set_bits=(INDEX,))
    doc = credential(statuses=("revocation", "suspension"))
    assert verify_credential(doc, site.fetch, NOW).status == "suspended"


def test_expired(site: Site) -> None:
    doc = credential(validUntil="2025-12-31T23:59:59Z")
    report = verify_credential(doc, site.fetch, NOW)
    assert report.status == "expired"
    assert [c.name for c in failed(report)] == ["validUntil"]
    # valid until exactly now counts as expired; a second earlier it is fine
    assert (
        verify_credential(doc, site.fetch, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)).status
        == "expired"
    )
    assert (
        verify_credential(doc, site.fetch, datetime(2025, 12, 31, 23, 59, 58, tzinfo=UTC)).status
        == "verified"
    )


def test_not_yet_valid(site: Site) -> None:
    doc = credential(validFrom="2026-06-01T00:00:00+02:00")
    report = verify_credential(doc, site.fetch, NOW)
    assert report.status == "not-yet-valid"
    assert [c.name for c in failed(report)] == ["validFrom"]


@pytest.mark.parametrize(
    ("revoked", "suspended", "when", "status"),
    [
        (True, True, "expired", "revoked"),
        (True, False, "early", "revoked"),
        (False, True, "expired", "suspended"),
        (False, True, "early", "suspended"),
        (True, True, "current", "revoked"),
        (False, False, "expired", "expired"),
        (False, False, "early", "not-yet-valid"),
    ],
)
def test_precedence(site: Site, revoked: bool, suspended: bool, when: str, status: str) -> None:
    if revoked:
        site.put_list(REVOCATION_LIST, "revocation", set_bits=(INDEX,))
    if suspended:
        site.put_list(SUSPENSION_LIST, "suspension", set_bits=(INDEX,))
    changes = {
        "expired": {"validUntil": "2025-12-31T00:00:00Z"},
        "early": {"validFrom": "2026-06-01T00:00:00Z"},
        "current": {},
    }[when]
    doc = credential(statuses=("revocation", "suspension"), **changes)
    assert verify_credential(doc, site.fetch, NOW).status == status


def test_failed_beats_revoked(site: Site) -> None:
    site.put_list(REVOCATION_LIST, "revocation", set_bits=(INDEX,))
    doc = credential()
    doc["name"] = "Forged"
    assert verify_credential(doc, site.fetch, NOW).status == "failed"


# --- failures: the credential itself --------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.__setitem__("name", "Forged"),
        lambda d: d["credentialSubject"]["achievement"].__setitem__("name", "Leadership"),
        lambda d: d["credentialStatus"].__setitem__("statusListIndex", "4712"),
        lambda d: d.__setitem__("validUntil", "2099-01-01T00:00:00Z"),
    ],
)
def test_tampered_credential_fails_both_proofs(site: Site, tamper: Callable[[dict], Any]) -> None:
    doc = credential()
    tamper(doc)
    report = verify_credential(doc, site.fetch, NOW)
    assert report.status == "failed"
    names = {c.name for c in failed(report)}
    assert {"proof[0] eddsa-rdfc-2022", "proof[1] eddsa-jcs-2022"} <= names


def test_one_bad_proof_in_the_set_fails(site: Site) -> None:
    doc = credential()
    doc["proof"][1]["proofValue"] = doc["proof"][0]["proofValue"]
    report = verify_credential(doc, site.fetch, NOW)
    assert report.status == "failed"
    assert [c.name for c in failed(report)] == ["proof[1] eddsa-jcs-2022"]


def test_no_proof(site: Site) -> None:
    doc = credential()
    del doc["proof"]
    assert_failed(verify_credential(doc, site.fetch, NOW), "proof", "no proof")
    doc["proof"] = []
    assert_failed(verify_credential(doc, site.fetch, NOW), "proof", "no proof")


def test_single_proof_object_is_accepted(site: Site) -> None:
    doc = credential(cryptosuites=(RDFC,))
    doc["proof"] = doc["proof"][0]
    assert verify_credential(doc, site.fetch, NOW).status == "verified"


def test_context_order(site: Site) -> None:
    unsigned = full_ob_credential()
    unsigned["@context"] = list(reversed(unsigned["@context"]))
    doc = add_proofs(unsigned, KEY, VM, CREATED, (JCS,))
    report = verify_credential(doc, site.fetch, NOW)
    assert_failed(report, "context", "first @context")
    assert not [c for c in failed(report) if c.name.startswith("proof")]
    # JCS does not need the contexts to sign, but the verifier still finds the undefined terms
    vc_only = credential(
        cryptosuites=(JCS,), **{"@context": ["https://www.w3.org/ns/credentials/v2"]}
    )
    report = verify_credential(vc_only, site.fetch, NOW)
    assert_failed(report, "context", "Open Badges")
    assert_failed(report, "terms", "not defined")


def test_type_must_include_verifiable_credential(site: Site) -> None:
    doc = credential(type=["OpenBadgeCredential"], cryptosuites=(JCS,))
    assert_failed(verify_credential(doc, site.fetch, NOW), "type")


def test_undefined_terms_fail_even_with_only_a_jcs_proof(site: Site) -> None:
    doc = full_ob_credential()
    doc["credentialSubject"]["grade"] = "A+"
    signed = add_proofs(doc, KEY, VM, CREATED, (JCS,))
    report = verify_credential(signed, site.fetch, NOW)
    assert_failed(report, "terms", "$.credentialSubject.grade")
    assert not [c for c in failed(report) if c.name.startswith("proof")]


def test_validity_dates_must_parse(site: Site) -> None:
    assert_failed(
        verify_credential(credential(validFrom="2025-03-01"), site.fetch, NOW),
        "validFrom",
        "timezone",
    )
    assert_failed(verify_credential(credential(validUntil="soon"), site.fetch, NOW), "validUntil")
    backwards = credential(validFrom="2025-03-02T00:00:00Z", validUntil="2025-03-01T00:00:00Z")
    assert_failed(verify_credential(backwards, site.fetch, NOW), "validUntil", "before")
    missing = credential()
    del missing["validFrom"]
    assert_failed(verify_credential(missing, site.fetch, NOW), "validFrom", "required")


# --- failures: key resolution ---------------------------------------------------------------


def test_missing_did_document(site: Site) -> None:
    del site.files[did_document_url(SITE_DID)]
    assert_failed(verify_credential(credential(), site.fetch, NOW), "proof[0]", "cannot fetch")


def test_did_document_with_wrong_id(site: Site) -> None:
    site.files[did_document_url(SITE_DID)]["id"] = "did:web:evil.example"
    assert_failed(verify_credential(credential(), site.fetch, NOW), "proof[0]", "has id")


def test_key_not_in_did_document(site: Site) -> None:
    site.put_did([OTHER_KEY.public_key_multibase])
    assert_failed(verify_credential(credential(), site.fetch, NOW), "proof[0]", "not listed")


def test_key_not_authorised_for_assertion(site: Site) -> None:
    site.files[did_document_url(SITE_DID)]["assertionMethod"] = []
    assert_failed(verify_credential(credential(), site.fetch, NOW), "proof[0]", "assertionMethod")


def test_key_with_wrong_type(site: Site) -> None:
    site.files[did_document_url(SITE_DID)]["verificationMethod"][0]["type"] = "JsonWebKey"
    assert_failed(verify_credential(credential(), site.fetch, NOW), "proof[0]", "Multikey")


def test_key_controller_must_be_the_issuer(site: Site) -> None:
    site.files[did_document_url(SITE_DID)]["verificationMethod"][0]["controller"] = "did:web:x"
    assert_failed(verify_credential(credential(), site.fetch, NOW), "proof[0]", "controller")


def test_issuer_must_control_the_key(site: Site) -> None:
    doc = full_ob_credential()
    doc["issuer"]["id"] = "did:web:someone-else.example"
    signed = add_proofs(doc, KEY, VM, CREATED)
    assert_failed(verify_credential(signed, site.fetch, NOW), "proof[0]", "not the issuer")


def test_published_key_differs_from_signing_key(site: Site) -> None:
    # the DID document lists the VM id, but with another key's bytes
    entry = site.files[did_document_url(SITE_DID)]["verificationMethod"][0]
    entry["publicKeyMultibase"] = OTHER_KEY.public_key_multibase
    assert_failed(verify_credential(credential(), site.fetch, NOW), "proof[0]", "signature")


def test_bad_public_key_in_did_document(site: Site) -> None:
    entry = site.files[did_document_url(SITE_DID)]["verificationMethod"][0]
    entry["publicKeyMultibase"] = "z123"
    assert_failed(
        verify_credential(credential(), site.fetch, NOW), "proof[0]", "publicKeyMultibase"
    )


@pytest.mark.parametrize(
    ("vm", "message"),
    [
        ("https://example.edu/issuers/565049#key", "unsupported"),
        (SITE_DID, "fragment"),
        ("did:web:#x", "malformed"),
    ],
)
def test_unsupported_verification_methods(site: Site, vm: str, message: str) -> None:
    doc = credential(vm=vm)
    assert_failed(verify_credential(doc, site.fetch, NOW), "proof[0]", message)


def test_did_key_issuer(site: Site) -> None:
    did = "did:key:" + KEY.public_key_multibase
    doc = full_ob_credential()
    del doc["credentialStatus"]
    doc["issuer"]["id"] = did
    signed = add_proofs(doc, KEY, f"{did}#{KEY.public_key_multibase}", CREATED)
    assert verify_credential(signed, site.fetch, NOW).status == "verified"
    assert site.fetched == []
    forged = add_proofs(doc, OTHER_KEY, f"{did}#{KEY.public_key_multibase}", CREATED)
    assert_failed(verify_credential(forged, site.fetch, NOW), "proof[0]", "signature")


def test_fetch_errors_become_failed_checks() -> None:
    def broken(url: str) -> dict:
        raise OSError("connection refused")

    report = verify_credential(credential(), broken, NOW)
    assert_failed(report, "proof[0]", "connection refused")

    def not_json(url: str) -> Any:
        return ["not", "an", "object"]

    assert_failed(verify_credential(credential(), not_json, NOW), "proof[0]", "not a JSON object")


# --- failures: status lists ---------------------------------------------------------------------


def test_missing_status_list(site: Site) -> None:
    del site.files[REVOCATION_LIST]
    report = verify_credential(credential(), site.fetch, NOW)
    assert_failed(report, "credentialStatus[0]", "could not be verified")
    assert_failed(report, "status list", "cannot fetch")


def test_tampered_status_list(site: Site) -> None:
    site.files[REVOCATION_LIST]["credentialSubject"]["encodedList"] = Bitstring().encode()
    site.files[REVOCATION_LIST]["validFrom"] = "2025-03-02T00:00:00Z"
    assert_failed(verify_credential(credential(), site.fetch, NOW), "status list", "signature")


def test_status_list_from_another_issuer(site: Site) -> None:
    other_did = "did:web:other.example"
    site.put_did([OTHER_KEY.public_key_multibase], did=other_did)
    site.put_list(
        REVOCATION_LIST,
        "revocation",
        issuer=other_did,
        key=OTHER_KEY,
        vm=f"{other_did}#{OTHER_KEY.public_key_multibase}",
    )
    assert_failed(verify_credential(credential(), site.fetch, NOW), "status list", "is not")


def test_status_list_signed_with_unpublished_key(site: Site) -> None:
    site.put_list(
        REVOCATION_LIST,
        "revocation",
        key=OTHER_KEY,
        vm=f"{SITE_DID}#{OTHER_KEY.public_key_multibase}",
    )
    assert_failed(verify_credential(credential(), site.fetch, NOW), "status list", "not listed")


def test_status_list_too_short(site: Site) -> None:
    site.put_list(REVOCATION_LIST, "revocation", size=8 * 1024)
    assert_failed(verify_credential(credential(), site.fetch, NOW), "credentialStatus[0]", "131072")


def test_status_purpose_mismatch(site: Site) -> None:
    site.put_list(REVOCATION_LIST, "suspension")
    assert_failed(
        verify_credential(credential(), site.fetch, NOW), "credentialStatus[0]", "statusPurpose"
    )


def test_status_list_expired(site: Site) -> None:
    site.put_list(REVOCATION_LIST, "revocation", validUntil="2025-06-01T00:00:00Z")
    assert_failed(verify_credential(credential(), site.fetch, NOW), "status list", "expired")


def test_status_list_wrong_type(site: Site) -> None:
    site.put_list(REVOCATION_LIST, "revocation", type=["VerifiableCredential"])
    assert_failed(verify_credential(credential(), site.fetch, NOW), "status list", "type")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("statusListIndex", 4711, "base-10 string"),
        ("statusListIndex", "-1", "base-10 string"),
        ("statusListIndex", "999999999", "outside"),
        ("statusListCredential", None, "missing"),
        ("statusSize", 2, "statusSize"),
        ("type", "1EdTechRevocationList", "unsupported"),
    ],
)
def test_bad_status_entries(site: Site, field: str, value: Any, message: str) -> None:
    doc = full_ob_credential()
    doc["credentialStatus"][field] = value
    if value is None:
        del doc["credentialStatus"][field]
    # sign even though some entries are odd: the verifier must judge them, not the signer
    signed = add_proofs(doc, KEY, VM, CREATED, (JCS,))
    assert_failed(verify_credential(signed, site.fetch, NOW), "credentialStatus[0]", message)


def test_other_status_purposes_are_not_checked(site: Site) -> None:
    doc = full_ob_credential()
    doc["credentialStatus"]["statusPurpose"] = "refresh"
    signed = add_proofs(doc, KEY, VM, CREATED)
    report = verify_credential(signed, site.fetch, NOW)
    assert report.status == "verified"
    assert REVOCATION_LIST not in site.fetched


# --- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [
        None,
        [],
        "credential",
        42,
        {},
        {"proof": "x"},
        {"@context": 5, "proof": [1, None]},
        {"@context": [None], "type": 7, "issuer": [], "proof": [{"verificationMethod": 3}]},
        {"issuer": {"id": SITE_DID}, "proof": [{"verificationMethod": VM, "cryptosuite": RDFC}]},
        {"validFrom": 5, "validUntil": [], "credentialStatus": [None, 3, {"type": None}]},
    ],
)
def test_junk_documents_fail_without_raising(site: Site, junk: Any) -> None:
    report = verify_credential(junk, site.fetch, NOW)
    assert report.status == "failed"
    assert failed(report)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "@context",
                    "id",
                    "type",
                    "issuer",
                    "proof",
                    "validFrom",
                    "validUntil",
                    "credentialStatus",
                    "credentialSubject",
                    "cryptosuite",
                    "verificationMethod",
                    "proofValue",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=60, deadline=None)
@given(_json)
def test_random_documents_never_raise(junk: Any) -> None:
    report = verify_credential(junk, Site().fetch, NOW)
    assert report.status == "failed"


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["name", "description", "validFrom", "id"]), st.text(min_size=1, max_size=8))
def test_random_field_changes_fail(field: str, suffix: str) -> None:
    doc = copy.deepcopy(_SIGNED)
    doc[field] = doc[field] + suffix
    assert verify_credential(doc, Site().fetch, NOW).status == "failed"


_SIGNED = credential()


def test_naive_now_is_a_programming_error(site: Site) -> None:
    with pytest.raises(TypeError):
        verify_credential(credential(), site.fetch, datetime(2026, 1, 1))


def test_report_types() -> None:
    report = verify_credential({}, Site().fetch, NOW)
    assert isinstance(report, Report)
    assert report.id == ""
    assert all(isinstance(c, Check) for c in report.checks)
    assert not report.ok


def test_encode_multikey_used_in_fixtures_matches_key() -> None:
    assert encode_multikey_public(KEY.public_key) == KEY.public_key_multibase


def test_a_shared_cache_checks_each_list_once_and_only_for_its_issuer(site: Site) -> None:
    """`credsite verify` of a whole site shares one cache; it must not let a list checked for
    one issuer vouch for another issuer's credential."""
    cache: dict = {}
    assert verify_credential(credential(), site.fetch, NOW, cache).status == "verified"
    fetched = len(site.fetched)
    assert verify_credential(credential(), site.fetch, NOW, cache).status == "verified"
    assert len(site.fetched) == fetched  # the DID document and the list came from the cache

    other_did = "did:web:other.example"
    site.put_did([OTHER_KEY.public_key_multibase], other_did)
    issuer = {**full_ob_credential()["issuer"], "id": other_did}
    stranger = credential(
        key=OTHER_KEY, vm=f"{other_did}#{OTHER_KEY.public_key_multibase}", issuer=issuer
    )
    report = verify_credential(stranger, site.fetch, NOW, cache)
    assert report.status == "failed"  # the list at REVOCATION_LIST belongs to SITE_DID
