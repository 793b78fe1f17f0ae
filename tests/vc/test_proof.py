"""eddsa-rdfc-2022 and eddsa-jcs-2022, step by step against the W3C and OB 3.0 vectors."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from credsite.vc.encoding import base58btc_encode, multibase_base58btc
from credsite.vc.keys import SigningKey
from credsite.vc.proof import (
    JCS,
    RDFC,
    ProofError,
    add_proofs,
    canonical_proof_config,
    create_proof,
    hash_data,
    jcs,
    proof_options,
    transform,
    verify_proof,
)

from .conftest import full_ob_credential, load_json

W3C_VM = (
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
)
W3C_CREATED = "2023-02-24T23:36:38Z"
TEST_KEY = SigningKey.from_seed(hashlib.sha256(b"credsite test key").digest())


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def w3c_key(vectors: Path) -> SigningKey:
    return SigningKey.from_secret_multibase(
        load_json(vectors / "keyPair.json")["privateKeyMultibase"]
    )


@pytest.fixture(scope="module")
def ob_key(vectors: Path) -> SigningKey:
    pair = load_json(vectors / "ob3-eddsa-rdfc-2022" / "keypair.json")
    return SigningKey.from_seed(bytes.fromhex(pair["privateKeyHex_seed32_plus_pub32"])[:32])


# --- W3C eddsa-rdfc-2022 ----------------------------------------------------------------------


def test_rdfc_vector_step_by_step(
    vectors: Path, w3c_key: SigningKey, examples_ctx: dict[str, dict]
) -> None:
    d = vectors / "eddsa-rdfc-2022"
    doc = load_json(vectors / "unsigned.json")
    options = load_json(d / "proofConfigDataInt.json")

    assert options == {**proof_options(RDFC, W3C_VM, W3C_CREATED), "@context": doc["@context"]}

    transformed = transform(doc, RDFC, examples_ctx)
    assert transformed.decode() == text(d / "canonDocDataInt.txt")
    assert hashlib.sha256(transformed).hexdigest() == text(d / "docHashDataInt.txt").strip()

    config = canonical_proof_config(options, doc, RDFC, examples_ctx)
    assert config.decode() == text(d / "proofCanonDataInt.txt")
    assert hashlib.sha256(config).hexdigest() == text(d / "proofHashDataInt.txt").strip()
    # the proof options without "@context" give the same config: it is always the document's
    no_ctx = {k: v for k, v in options.items() if k != "@context"}
    assert canonical_proof_config(no_ctx, doc, RDFC, examples_ctx) == config

    combined = hash_data(config, transformed)
    assert combined.hex() == text(d / "combinedHashDataInt.txt").strip()

    signature = w3c_key.sign(combined)
    assert signature.hex() == text(d / "sigHexDataInt.txt").strip()
    assert multibase_base58btc(signature) == text(d / "sigBTC58DataInt.txt").strip()

    proof = create_proof(doc, w3c_key, W3C_VM, W3C_CREATED, RDFC, examples_ctx)
    assert {**doc, "proof": proof} == load_json(d / "signedDataInt.json")


def test_rdfc_vector_signed_document_verifies(
    vectors: Path, w3c_key: SigningKey, examples_ctx: dict[str, dict]
) -> None:
    signed = load_json(vectors / "eddsa-rdfc-2022" / "signedDataInt.json")
    ok, reason = verify_proof(signed, signed["proof"], w3c_key.public_key, examples_ctx)
    assert ok, reason
    # without the examples context the loader refuses instead of fetching
    ok, reason = verify_proof(signed, signed["proof"], w3c_key.public_key)
    assert not ok
    assert "not bundled" in reason


def test_rdfc_employ_vector_hashing_and_signing(vectors: Path, w3c_key: SigningKey) -> None:
    # The citizenship context is not available, so only the half after canonicalisation is tested.
    d = vectors / "eddsa-rdfc-2022-employ"
    doc_canon = (d / "canonDocDataInt.txt").read_bytes()
    proof_canon = (d / "proofCanonDataInt.txt").read_bytes()
    assert hashlib.sha256(doc_canon).hexdigest() == text(d / "docHashDataInt.txt").strip()
    assert hashlib.sha256(proof_canon).hexdigest() == text(d / "proofHashDataInt.txt").strip()
    combined = hash_data(proof_canon, doc_canon)
    assert combined.hex() == text(d / "combinedHashDataInt.txt").strip()
    signature = w3c_key.sign(combined)
    assert signature.hex() == text(d / "sigHexDataInt.txt").strip()
    signed = load_json(d / "signedDataInt.json")
    assert multibase_base58btc(signature) == text(d / "sigBTC58DataInt.txt").strip()
    assert signed["proof"]["proofValue"] == multibase_base58btc(signature)
    # verifying needs the unbundled context: a clean refusal, not an exception or a fetch
    ok, reason = verify_proof(signed, signed["proof"], w3c_key.public_key)
    assert not ok
    assert "citizenship" in reason


# --- W3C eddsa-jcs-2022 -----------------------------------------------------------------------


def test_jcs_vector_step_by_step(vectors: Path, w3c_key: SigningKey) -> None:
    d = vectors / "eddsa-jcs-2022"
    doc = load_json(vectors / "unsigned.json")
    options = load_json(d / "proofConfigJCS.json")

    transformed = transform(doc, JCS)
    assert transformed.decode() == text(d / "canonDocJCS.txt").strip()
    assert hashlib.sha256(transformed).hexdigest() == text(d / "docHashJCS.txt").strip()

    config = canonical_proof_config(options, doc, JCS)
    assert config.decode() == text(d / "proofCanonJCS.txt").strip()
    assert hashlib.sha256(config).hexdigest() == text(d / "proofHashJCS.txt").strip()

    combined = hash_data(config, transformed)
    assert combined.hex() == text(d / "combinedHashJCS.txt").strip()
    signature = w3c_key.sign(combined)
    assert signature.hex() == text(d / "sigHexJCS.txt").strip()
    assert "z" + base58btc_encode(signature) == text(d / "sigBTC58JCS.txt").strip()

    proof = create_proof(doc, w3c_key, W3C_VM, W3C_CREATED, JCS)
    assert proof["@context"] == doc["@context"]
    signed = load_json(d / "signedJCS.json")
    assert {**doc, "proof": proof} == signed
    assert list(proof) == list(signed["proof"])  # same key order as the vector
    ok, reason = verify_proof(signed, signed["proof"], w3c_key.public_key)
    assert ok, reason


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # lone surrogates and characters past U+FFFF included
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400)
@given(_json_values)
def test_jcs_writes_what_rfc8785_writes_or_refuses_the_same(value: object) -> None:
    """`jcs` takes a faster writer where the bytes are the same: any JSON value gives rfc8785's
    bytes, or the same error (unsafe integers, lone surrogates)."""
    try:
        expected: bytes | type[Exception] = rfc8785.dumps(value)
    except Exception as exc:  # whichever rfc8785 raises, jcs must raise too
        expected = type(exc)
    if isinstance(expected, bytes):
        assert jcs(value) == expected
    else:
        with pytest.raises(expected):
            jcs(value)


def test_jcs_sorts_keys_by_utf16_code_units() -> None:
    """RFC 8785 §3.2.3: U+E000 sorts after U+1F600 (a surrogate pair, 0xD83D...) in UTF-16."""
    value = {"\ue000": 1, "\U0001f600": 2, "a": [{"z": None, "b": True}], "n": 2**53 - 1}
    assert jcs(value) == rfc8785.dumps(value)
    assert jcs(value).startswith(b'{"a":[{"b":true,"z":null}],"n":9007199254740991,"\xf0')


def test_jcs_proof_context_must_prefix_document_context(vectors: Path, w3c_key: SigningKey) -> None:
    signed = load_json(vectors / "eddsa-jcs-2022" / "signedJCS.json")
    other = copy.deepcopy(signed)
    other["@context"] = list(reversed(other["@context"]))
    ok, reason = verify_proof(other, other["proof"], w3c_key.public_key)
    assert not ok
    assert "@context" in reason


# --- Open Badges 3.0 vector -------------------------------------------------------------------


def test_ob_vector_step_by_step(vectors: Path, ob_key: SigningKey) -> None:
    d = vectors / "ob3-eddsa-rdfc-2022"
    doc = load_json(d / "unsigned.json")
    options = load_json(d / "proof-options.json")
    expected = load_json(d / "expected.json")

    transformed = transform(doc, RDFC)
    assert transformed.decode() == text(d / "document-canon.nq")
    assert hashlib.sha256(transformed).hexdigest() == expected["documentHashHex"]
    config = canonical_proof_config(options, doc, RDFC)
    assert config.decode() == text(d / "proof-canon.nq")
    assert hashlib.sha256(config).hexdigest() == expected["proofHashHex"]
    combined = hash_data(config, transformed)
    assert combined.hex() == expected["dataToSignHex"]
    assert ob_key.sign(combined).hex() == expected["signatureHex"]

    proof = create_proof(doc, ob_key, options["verificationMethod"], options["created"])
    assert proof["proofValue"] == expected["proofValue"]
    assert {**doc, "proof": proof} == load_json(d / "signed.json")


def test_ob_vector_signed_document_verifies(vectors: Path, ob_key: SigningKey) -> None:
    signed = load_json(vectors / "ob3-eddsa-rdfc-2022" / "signed.json")
    ok, reason = verify_proof(signed, signed["proof"], ob_key.public_key)
    assert ok, reason
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    assert verify_proof(unsigned, signed["proof"], ob_key.public_key)[0]


def test_1edtech_status_list_proof_verifies(vectors: Path, ob_key: SigningKey) -> None:
    doc = load_json(vectors / "bitstring-status-list" / "1edtech-validator-testlist.json")
    proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
    for proof in proofs:
        assert proof["verificationMethod"].endswith(ob_key.public_key_multibase)
        ok, reason = verify_proof(doc, proof, ob_key.public_key)
        assert ok, reason


# --- proof sets -------------------------------------------------------------------------------


CREATED = "2025-03-01T12:00:00Z"
VM = "did:web:example.github.io:creds#" + TEST_KEY.public_key_multibase


@pytest.fixture(scope="module")
def signed() -> dict:
    return add_proofs(full_ob_credential(), TEST_KEY, VM, CREATED)


def test_add_proofs_makes_an_independent_proof_set(signed: dict) -> None:
    unsigned = full_ob_credential()
    assert [p["cryptosuite"] for p in signed["proof"]] == [RDFC, JCS]
    for proof in signed["proof"]:
        assert proof["type"] == "DataIntegrityProof"
        assert proof["proofPurpose"] == "assertionMethod"
        assert proof["verificationMethod"] == VM
        assert proof["created"] == CREATED
        # each proof signs the document without any proof, so it equals a lone proof
        assert proof == create_proof(unsigned, TEST_KEY, VM, CREATED, proof["cryptosuite"])
        ok, reason = verify_proof(signed, proof, TEST_KEY.public_key)
        assert ok, reason
    assert "@context" not in signed["proof"][0]
    assert signed["proof"][1]["@context"] == unsigned["@context"]


def test_add_proofs_does_not_mutate_and_keeps_existing_proofs(signed: dict) -> None:
    unsigned = full_ob_credential()
    before = copy.deepcopy(unsigned)
    add_proofs(unsigned, TEST_KEY, VM, CREATED)
    assert unsigned == before
    other = SigningKey.from_seed(bytes(32))
    other_vm = "did:web:example.org#" + other.public_key_multibase
    twice = add_proofs(signed, other, other_vm, CREATED, cryptosuites=(RDFC,))
    assert len(twice["proof"]) == 3
    assert twice["proof"][:2] == signed["proof"]
    assert verify_proof(twice, twice["proof"][0], TEST_KEY.public_key)[0]
    assert verify_proof(twice, twice["proof"][2], other.public_key)[0]


def test_deterministic(signed: dict) -> None:
    assert add_proofs(full_ob_credential(), TEST_KEY, VM, CREATED) == signed


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.__setitem__("name", "Teamwork Badge (forged)"),
        lambda d: d["credentialSubject"]["achievement"].__setitem__("name", "Leadership"),
        lambda d: d["credentialSubject"]["identifier"][0].__setitem__("salt", "x"),
        lambda d: d["issuer"].__setitem__("id", "did:web:evil.example"),
        lambda d: d.__setitem__("validFrom", "2025-03-01T00:00:01Z"),
        lambda d: d["credentialStatus"].__setitem__("statusListIndex", "4712"),
        lambda d: d.__setitem__("validUntil", "2099-01-01T00:00:00Z"),
        lambda d: d.pop("evidence"),
    ],
)
def test_any_change_to_the_document_breaks_both_proofs(signed: dict, tamper: object) -> None:
    doc = copy.deepcopy(signed)
    tamper(doc)  # type: ignore[operator]
    for proof in doc["proof"]:
        ok, reason = verify_proof(doc, proof, TEST_KEY.public_key)
        assert not ok, proof["cryptosuite"]
        assert reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created", "2025-03-01T12:00:01Z"),
        ("verificationMethod", "did:web:evil.example#key"),
        ("proofValue", "z" + base58btc_encode(bytes(64))),
        ("proofValue", "zabc"),
        ("proofValue", "u" + "A" * 86),
        ("proofValue", None),
        ("proofPurpose", "authentication"),
        ("type", "Ed25519Signature2020"),
        ("cryptosuite", "eddsa-2022"),
        ("created", "yesterday"),
    ],
)
def test_any_change_to_the_proof_fails(signed: dict, field: str, value: object) -> None:
    for proof in signed["proof"]:
        changed = {**proof, field: value}
        ok, reason = verify_proof(signed, changed, TEST_KEY.public_key)
        assert not ok, (proof["cryptosuite"], field)
        assert reason


def test_swapping_cryptosuite_names_fails(signed: dict) -> None:
    rdfc, jcs = signed["proof"]
    assert not verify_proof(signed, {**rdfc, "cryptosuite": JCS}, TEST_KEY.public_key)[0]
    assert not verify_proof(signed, {**jcs, "cryptosuite": RDFC}, TEST_KEY.public_key)[0]


def test_wrong_key_fails(signed: dict) -> None:
    other = SigningKey.from_seed(bytes(32))
    for proof in signed["proof"]:
        assert not verify_proof(signed, proof, other.public_key)[0]
        assert not verify_proof(signed, proof, b"short")[0]


def test_rdfc_ignores_json_form_but_jcs_does_not(signed: dict) -> None:
    # Same RDF dataset, different JSON: reorder a set-valued array.
    doc = copy.deepcopy(signed)
    doc["type"] = list(reversed(doc["type"]))
    rdfc, jcs = doc["proof"]
    assert verify_proof(doc, rdfc, TEST_KEY.public_key)[0]
    assert not verify_proof(doc, jcs, TEST_KEY.public_key)[0]
    # JSON key order never matters for either
    reordered = dict(reversed(list(signed.items())))
    for proof in signed["proof"]:
        assert verify_proof(reordered, proof, TEST_KEY.public_key)[0]


def test_undefined_term_added_after_signing_is_caught(signed: dict) -> None:
    doc = copy.deepcopy(signed)
    doc["credentialSubject"]["grade"] = "A+"  # RDFC alone would silently drop it
    rdfc, jcs = doc["proof"]
    ok, reason = verify_proof(doc, rdfc, TEST_KEY.public_key)
    assert not ok
    assert "$.credentialSubject.grade" in reason
    assert not verify_proof(doc, jcs, TEST_KEY.public_key)[0]


def test_signing_refuses_undefined_terms() -> None:
    doc = full_ob_credential()
    doc["credentialSubject"]["grade"] = "A+"
    with pytest.raises(ValueError, match="grade"):
        add_proofs(doc, TEST_KEY, VM, CREATED)


@pytest.mark.parametrize("bad", [None, [], "proof", 5])
def test_verify_proof_never_raises_on_junk(signed: dict, bad: object) -> None:
    assert verify_proof(signed, bad, TEST_KEY.public_key)[0] is False  # type: ignore[arg-type]
    assert verify_proof(bad, signed["proof"][0], TEST_KEY.public_key)[0] is False  # type: ignore[arg-type]
    junk_doc = {"@context": bad, "proof": signed["proof"]}
    assert verify_proof(junk_doc, signed["proof"][0], TEST_KEY.public_key)[0] is False
    assert verify_proof(junk_doc, signed["proof"][1], TEST_KEY.public_key)[0] is False


# --- options ------------------------------------------------------------------------------------


def test_proof_options_shape() -> None:
    assert proof_options(RDFC, VM, CREATED) == {
        "type": "DataIntegrityProof",
        "cryptosuite": RDFC,
        "created": CREATED,
        "verificationMethod": VM,
        "proofPurpose": "assertionMethod",
    }


def test_created_accepts_aware_datetimes_only() -> None:
    plus_two = timezone(timedelta(hours=2))
    when = datetime(2025, 3, 1, 14, 0, 0, 123456, tzinfo=plus_two)
    assert proof_options(RDFC, VM, when)["created"] == "2025-03-01T12:00:00Z"
    assert proof_options(JCS, VM, datetime(2025, 3, 1, tzinfo=UTC))["created"] == (
        "2025-03-01T00:00:00Z"
    )
    with pytest.raises(ProofError):
        proof_options(RDFC, VM, datetime(2025, 3, 1))
    for bad in ("2025-03-01", "2025-03-01T12:00:00", "2025-13-01T00:00:00Z", ""):
        with pytest.raises(ProofError):
            proof_options(RDFC, VM, bad)


def test_unknown_cryptosuite_is_refused() -> None:
    with pytest.raises(ProofError):
        proof_options("ecdsa-rdfc-2019", VM, CREATED)
    with pytest.raises(ProofError):
        transform(full_ob_credential(), "ecdsa-rdfc-2019")
    with pytest.raises(ProofError):
        canonical_proof_config(proof_options(RDFC, VM, CREATED), full_ob_credential(), JCS)
