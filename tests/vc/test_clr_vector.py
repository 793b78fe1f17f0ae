"""The CLR 2.0 eddsa-rdfc-2022 test vector, reproduced stage by stage, and the 1EdTech validator's
CLR sample: outer and nested proofs (tests/vectors/README.md "CLR 2.0")."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from credsite.vc import jsonld
from credsite.vc.encoding import decode_multikey_public
from credsite.vc.jsonld import CONTEXT_FILES, canonicalize
from credsite.vc.keys import SigningKey
from credsite.vc.proof import (
    RDFC,
    canonical_proof_config,
    create_proof,
    hash_data,
    transform,
    verify_proof,
)

from .conftest import load_json

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"


@pytest.fixture(scope="module")
def clr(spec: Path) -> Path:
    return spec / "clr"


@pytest.fixture(scope="module")
def extensions(spec: Path) -> dict[str, dict]:
    """The vector's fourth context (1EdTechJsonSchemaValidator2019); credsite bundles it not,
    as it never writes a credentialSchema."""
    return {EXTENSIONS: load_json(spec / "ob-v3p0-extensions.json")}


@pytest.fixture(scope="module")
def clr_key(clr: Path) -> SigningKey:
    expected = load_json(clr / "clr20-vector-expected.json")
    return SigningKey.from_seed(bytes.fromhex(expected["privateKeyHex_seed32_plus_pub32"])[:32])


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_bundled_clr_context_is_the_validators_copy(clr: Path) -> None:
    bundled = Path(jsonld.__file__).parent / "contexts" / CONTEXT_FILES[CLR_CONTEXT]
    data = bundled.read_bytes()
    assert data == (clr / "clr-v2p0-context-2.0.1.json").read_bytes()
    expected = "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6"
    assert hashlib.sha256(data).hexdigest() == expected


def test_clr_vector_stage_by_stage(
    clr: Path, extensions: dict[str, dict], clr_key: SigningKey
) -> None:
    doc = load_json(clr / "clr20-vector-unsigned.json")
    expected = load_json(clr / "clr20-vector-expected.json")
    options = expected["proofOptions"]
    assert clr_key.public_key.hex() == expected["publicKeyHex"]
    assert clr_key.public_key_multibase == expected["publicKeyMultibase"]
    # 1. the document, canonicalised (RDFC-1.0): the nested credential and its proof included
    transformed = transform(doc, RDFC, extensions)
    assert transformed.decode() == text(clr / "clr20-vector-document-canon.nq")
    assert hashlib.sha256(transformed).hexdigest() == expected["documentHashHex"]
    # 2. the proof options, with the document's @context, canonicalised
    config = canonical_proof_config(options, doc, RDFC, extensions)
    assert config.decode() == text(clr / "clr20-vector-proof-canon.nq")
    assert hashlib.sha256(config).hexdigest() == expected["proofHashHex"]
    # 3. proof hash || document hash, signed
    combined = hash_data(config, transformed)
    assert combined.hex() == expected["proofHashHex"] + expected["documentHashHex"]
    assert clr_key.sign(combined).hex() == expected["signatureHex"]
    # 4. the proof, and the signed vector
    proof = create_proof(
        doc, clr_key, options["verificationMethod"], options["created"], RDFC, extensions
    )
    assert proof["proofValue"] == expected["proofValue"]
    signed = load_json(clr / "clr20-vector-signed.json")
    assert {**doc, "proof": [proof]} == signed
    ok, reason = verify_proof(signed, signed["proof"][0], clr_key.public_key, extensions)
    assert ok, reason


def test_clr_vector_nested_credential_verifies(
    clr: Path, extensions: dict[str, dict], clr_key: SigningKey
) -> None:
    signed = load_json(clr / "clr20-vector-signed.json")
    expected = load_json(clr / "clr20-vector-expected.json")
    (nested,) = signed["credentialSubject"]["verifiableCredential"]
    (proof,) = nested["proof"]
    assert proof["proofValue"] == expected["nestedAchievementCredentialProofValue"]
    ok, reason = verify_proof(nested, proof, clr_key.public_key, extensions)
    assert ok, reason
    # a nested credential changed inside the CLR breaks the outer proof and its own
    changed = load_json(clr / "clr20-vector-signed.json")
    changed["credentialSubject"]["verifiableCredential"][0]["name"] += "!"
    inner = changed["credentialSubject"]["verifiableCredential"][0]
    assert not verify_proof(inner, inner["proof"][0], clr_key.public_key, extensions)[0]
    assert not verify_proof(changed, changed["proof"][0], clr_key.public_key, extensions)[0]


def test_validator_sample_outer_and_nested_proofs_verify(
    clr: Path, extensions: dict[str, dict], clr_key: SigningKey
) -> None:
    sample = load_json(clr / "clr20-validator-simple.json")
    ok, reason = verify_proof(sample, sample["proof"][0], clr_key.public_key, extensions)
    assert ok, reason
    for nested in sample["credentialSubject"]["verifiableCredential"]:
        (proof,) = nested["proof"]
        key = decode_multikey_public(proof["verificationMethod"].split("#", 1)[1])
        ok, reason = verify_proof(nested, proof, key)
        assert ok, reason


def test_clr_needs_only_bundled_contexts_without_a_credential_schema(clr: Path) -> None:
    """What credsite signs: VC v2, CLR 2.0.1, OB 3.0.3 and no credentialSchema (nothing from
    extensions.json), so the bundled loader alone canonicalises it."""
    doc = load_json(clr / "clr20-validator-simple.json")
    doc["@context"] = doc["@context"][:3]
    del doc["credentialSchema"], doc["proof"]
    nquads = canonicalize(doc)
    assert (
        '<https://purl.imsglobal.org/spec/vc/clr/vocab.html#AssociationType> "isParentOf"' in nquads
    )
    assert "https://purl.imsglobal.org/spec/vc/clr/vocab.html#verifiableCredential" in nquads
