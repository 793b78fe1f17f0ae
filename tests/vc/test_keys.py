"""Ed25519 signing keys: loading from the vectors, signing, verifying, never leaking the seed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from credsite.vc.keys import SigningKey, verify_signature

from .conftest import load_json

TEST_SEED = hashlib.sha256(b"credsite test key").digest()


def test_from_secret_multibase_matches_w3c_public_key(vectors: Path) -> None:
    pair = load_json(vectors / "keyPair.json")
    key = SigningKey.from_secret_multibase(pair["privateKeyMultibase"])
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    assert len(key.public_key) == 32
    assert key.secret_multibase() == pair["privateKeyMultibase"]


def test_from_seed_matches_ob_vector(vectors: Path) -> None:
    pair = load_json(vectors / "ob3-eddsa-rdfc-2022" / "keypair.json")
    key = SigningKey.from_seed(bytes.fromhex(pair["privateKeyHex_seed32_plus_pub32"])[:32])
    assert key.public_key.hex() == pair["publicKeyHex"]
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    legacy = SigningKey.from_secret_multibase(pair["secretKeyMultibase_legacy_64byte"])
    assert legacy == key


def test_repr_never_shows_the_secret() -> None:
    key = SigningKey.from_seed(TEST_SEED)
    secret = key.secret_multibase()
    for text in (repr(key), str(key), f"{key}"):
        assert secret not in text
        assert TEST_SEED.hex() not in text
        assert key.public_key_multibase in text


def test_sign_and_verify() -> None:
    key = SigningKey.from_seed(TEST_SEED)
    signature = key.sign(b"message")
    assert len(signature) == 64
    assert key.sign(b"message") == signature  # Ed25519 is deterministic
    assert verify_signature(key.public_key, b"message", signature)
    assert not verify_signature(key.public_key, b"messagf", signature)
    assert not verify_signature(key.public_key, b"message", bytes(64))
    assert not verify_signature(key.public_key, b"message", signature[:63])
    assert not verify_signature(key.public_key[:31], b"message", signature)
    other = SigningKey.generate()
    assert not verify_signature(other.public_key, b"message", signature)


def test_generate_gives_distinct_round_trippable_keys() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    assert a != b
    assert SigningKey.from_secret_multibase(a.secret_multibase()) == a
    assert len({a, b, SigningKey.from_secret_multibase(a.secret_multibase())}) == 2


def test_from_seed_requires_32_bytes() -> None:
    with pytest.raises(ValueError):
        SigningKey.from_seed(b"short")
