"""Multibase / Multikey encodings against the W3C and OB 3.0 key vectors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credsite.vc.encoding import (
    base58btc_decode,
    base58btc_encode,
    decode_multikey_public,
    decode_multikey_secret,
    encode_multikey_public,
    encode_multikey_secret,
    multibase_base58btc,
    multibase_base64url,
    multibase_decode,
)

from .conftest import load_json


@given(st.binary(max_size=200))
def test_base58btc_round_trip(data: bytes) -> None:
    assert base58btc_decode(base58btc_encode(data)) == data


@given(st.binary(max_size=200))
def test_multibase_round_trips(data: bytes) -> None:
    z = multibase_base58btc(data)
    u = multibase_base64url(data)
    assert z.startswith("z") and u.startswith("u")
    assert "=" not in u
    assert multibase_decode(z) == data
    assert multibase_decode(u) == data


def test_base58btc_known_value() -> None:
    # Leading zero bytes become leading "1"s in the Bitcoin alphabet.
    assert base58btc_encode(b"\x00\x00hello") == "11Cn8eVZg"
    assert base58btc_decode("11Cn8eVZg") == b"\x00\x00hello"


@pytest.mark.parametrize("bad", ["", "x123", "z0OIl", "uAA==", "uab+/", "Qabc"])
def test_multibase_decode_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        multibase_decode(bad)


def test_w3c_key_pair(vectors: Path) -> None:
    pair = load_json(vectors / "keyPair.json")
    public = decode_multikey_public(pair["publicKeyMultibase"])
    assert len(public) == 32
    assert encode_multikey_public(public) == pair["publicKeyMultibase"]
    seed = decode_multikey_secret(pair["privateKeyMultibase"])
    assert len(seed) == 32
    assert encode_multikey_secret(seed) == pair["privateKeyMultibase"]
    assert pair["privateKeyMultibase"].startswith("z3u2")


def test_ob_vector_key_pair_and_legacy_secret(vectors: Path) -> None:
    pair = load_json(vectors / "ob3-eddsa-rdfc-2022" / "keypair.json")
    public = bytes.fromhex(pair["publicKeyHex"])
    assert encode_multikey_public(public) == pair["publicKeyMultibase"]
    seed = bytes.fromhex(pair["privateKeyHex_seed32_plus_pub32"])[:32]
    assert decode_multikey_secret(pair["secretKeyMultibase_legacy_64byte"]) == seed


@given(st.binary(min_size=32, max_size=32))
def test_multikey_round_trips(raw: bytes) -> None:
    public = encode_multikey_public(raw)
    secret = encode_multikey_secret(raw)
    assert public.startswith("z6Mk")
    assert secret.startswith("z3u2")
    assert decode_multikey_public(public) == raw
    assert decode_multikey_secret(secret) == raw


def test_multikey_rejects_wrong_prefix_and_length() -> None:
    raw = bytes(range(32))
    with pytest.raises(ValueError, match="0xed01"):
        decode_multikey_public(encode_multikey_secret(raw))
    with pytest.raises(ValueError, match="0x8026"):
        decode_multikey_secret(encode_multikey_public(raw))
    with pytest.raises(ValueError):
        decode_multikey_public(multibase_base58btc(b"\xed\x01" + raw[:31]))
    with pytest.raises(ValueError):
        decode_multikey_public(multibase_base64url(b"\xe7\x01" + raw + b"\x00"))  # secp256k1
    with pytest.raises(ValueError):
        encode_multikey_public(raw[:31])
    with pytest.raises(ValueError):
        encode_multikey_secret(raw + b"\x00")
