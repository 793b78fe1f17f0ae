"""Bitstring Status List: bit order, deterministic encoding, the spec and 1EdTech lists."""

from __future__ import annotations

import base64
import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credsite.vc.jsonld import check_terms_defined
from credsite.vc.keys import SigningKey
from credsite.vc.proof import add_proofs, verify_proof
from credsite.vc.status import (
    MIN_ENTRIES,
    Bitstring,
    StatusListError,
    decode_for_verification,
    status_entry,
    status_list_credential,
)

from .conftest import SITE, SITE_DID, load_json

SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
LIST_URL = SITE + "status/1.json"


def test_min_entries_is_16_kib() -> None:
    assert MIN_ENTRIES == 131_072 == 16 * 1024 * 8
    assert Bitstring().size == MIN_ENTRIES


def test_bits_are_msb_first() -> None:
    bits = Bitstring(16)
    bits.set(0)
    assert bits.to_bytes() == b"\x80\x00"
    bits.set(7)
    assert bits.to_bytes() == b"\x81\x00"
    bits.set(8)
    assert bits.to_bytes() == b"\x81\x80"
    bits.set(0, False)
    assert bits.to_bytes() == b"\x01\x80"
    assert [i for i in range(16) if bits.get(i)] == [7, 8]


def test_index_bounds() -> None:
    bits = Bitstring(16)
    for bad in (-1, 16, 10**9):
        with pytest.raises(IndexError):
            bits.get(bad)
        with pytest.raises(IndexError):
            bits.set(bad)
    with pytest.raises(TypeError):
        bits.get("3")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Bitstring(12)
    with pytest.raises(ValueError):
        Bitstring(16, b"\x00")


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_ENTRIES - 1), max_size=60))
def test_encode_decode_round_trip(indices: set[int]) -> None:
    bits = Bitstring()
    for i in indices:
        bits.set(i)
    decoded = Bitstring.decode(bits.encode())
    assert decoded == bits
    assert decoded.size == MIN_ENTRIES
    for i in list(indices)[:10]:
        assert decoded.get(i)
    assert sum(bin(b).count("1") for b in decoded.to_bytes()) == len(indices)


@given(st.binary(min_size=1, max_size=64))
def test_round_trip_any_bytes(data: bytes) -> None:
    bits = Bitstring(len(data) * 8, data)
    assert Bitstring.decode(bits.encode()).to_bytes() == data


def test_encoding_is_deterministic_gzip_base64url() -> None:
    bits = Bitstring()
    bits.set(42)
    encoded = bits.encode()
    assert encoded == bits.encode() == Bitstring(MIN_ENTRIES, bits.to_bytes()).encode()
    assert encoded.startswith("u") and "=" not in encoded
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert raw[:2] == b"\x1f\x8b"  # GZIP magic
    assert raw[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert gzip.decompress(raw) == bits.to_bytes()


def test_spec_example_is_all_zero() -> None:
    bits = Bitstring.decode(SPEC_EXAMPLE)
    assert bits.size == MIN_ENTRIES
    assert bits.to_bytes() == bytes(MIN_ENTRIES // 8)
    assert decode_for_verification(SPEC_EXAMPLE) == Bitstring()


def test_1edtech_list_has_exactly_index_23(vectors: Path) -> None:
    doc = load_json(vectors / "bitstring-status-list" / "1edtech-validator-testlist.json")
    bits = decode_for_verification(doc["credentialSubject"]["encodedList"])
    assert bits.size == MIN_ENTRIES
    assert bits.get(23)
    assert bits.to_bytes()[2] == 0x01  # index 23 = last bit of byte 2
    assert sum(bin(b).count("1") for b in bits.to_bytes()) == 1


def test_1edtech_list_proof_verifies(vectors: Path) -> None:
    doc = load_json(vectors / "bitstring-status-list" / "1edtech-validator-testlist.json")
    pair = load_json(vectors / "ob3-eddsa-rdfc-2022" / "keypair.json")
    public = bytes.fromhex(pair["publicKeyHex"])
    for proof in doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]:
        ok, reason = verify_proof(doc, proof, public)
        assert ok, reason


def test_short_lists_fail_verification_decode() -> None:
    short = Bitstring(MIN_ENTRIES - 8)
    assert Bitstring.decode(short.encode()).size == MIN_ENTRIES - 8
    with pytest.raises(StatusListError, match="131072"):
        decode_for_verification(short.encode())


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "z" + "1" * 20,  # base58btc, not base64url
        "u!!!!",
        "u" + base64.urlsafe_b64encode(b"not gzip at all").decode().rstrip("="),
        SPEC_EXAMPLE[:30],  # truncated stream
        "u" + base64.urlsafe_b64encode(gzip.compress(b"")).decode().rstrip("="),  # empty list
        "u" + base64.urlsafe_b64encode(gzip.compress(b"\x00") + b"junk").decode().rstrip("="),
    ],
)
def test_decode_rejects_garbage(bad: str) -> None:
    with pytest.raises(StatusListError):
        Bitstring.decode(bad)


def test_decode_refuses_gzip_bombs() -> None:
    bomb = gzip.compress(bytes(64 * 1024 * 1024), mtime=0)
    encoded = "u" + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(StatusListError, match="16 MiB"):
        Bitstring.decode(encoded)


def test_status_entry() -> None:
    assert status_entry(LIST_URL, 94567, "revocation") == {
        "id": LIST_URL + "#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    for bad_index in (-1, True, "5"):
        with pytest.raises(ValueError):
            status_entry(LIST_URL, bad_index, "revocation")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        status_entry(LIST_URL, 1, "revoked")


def test_status_list_credential_shape() -> None:
    bits = Bitstring()
    bits.set(7)
    doc = status_list_credential(
        LIST_URL, SITE_DID, "revocation", bits, datetime(2025, 3, 1, tzinfo=UTC)
    )
    assert doc == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": SITE_DID,
        "validFrom": "2025-03-01T00:00:00Z",
        "credentialSubject": {
            "id": LIST_URL + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": bits.encode(),
            "ttl": 600_000,
        },
    }
    check_terms_defined(doc)  # ttl and friends are defined by the VC 2.0 context
    key = SigningKey.from_seed(hashlib.sha256(b"credsite test key").digest())
    vm = SITE_DID + "#" + key.public_key_multibase
    signed = add_proofs(doc, key, vm, "2025-03-01T00:00:00Z")
    for proof in signed["proof"]:
        assert verify_proof(signed, proof, key.public_key)[0]


def test_status_list_credential_validation() -> None:
    with pytest.raises(ValueError):
        status_list_credential(
            LIST_URL, SITE_DID, "revocation", Bitstring(1024), "2025-03-01T00:00:00Z"
        )
    with pytest.raises(ValueError):
        status_list_credential(LIST_URL, SITE_DID, "nope", Bitstring(), "2025-03-01T00:00:00Z")
    with pytest.raises(ValueError):
        status_list_credential(LIST_URL, SITE_DID, "revocation", Bitstring(), datetime(2025, 3, 1))
    doc = status_list_credential(
        LIST_URL, SITE_DID, "suspension", Bitstring(), "2025-03-01T00:00:00Z", ttl_ms=0
    )
    assert doc["credentialSubject"]["statusPurpose"] == "suspension"
    assert doc["credentialSubject"]["ttl"] == 0
