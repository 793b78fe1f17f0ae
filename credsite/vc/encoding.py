"""Multibase and Multikey encodings of bytes and Ed25519 keys.

Data Integrity proofs and Multikey verification methods carry binary values as multibase strings
(base58-btc with prefix ``z``, base64url without padding with prefix ``u``), and keys as
multicodec-prefixed bytes: ``0xed01`` for an Ed25519 public key, ``0x8026`` for an Ed25519 secret
key (seed). See https://www.w3.org/TR/controller-document/#multibase-0 and
https://www.w3.org/TR/vc-di-eddsa/#multikey.
"""

from __future__ import annotations

import base64
import binascii

import base58

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"


def base58btc_encode(data: bytes) -> str:
    """Base58 with the Bitcoin alphabet, no multibase prefix."""
    return base58.b58encode(data).decode("ascii")


def base58btc_decode(text: str) -> bytes:
    """Inverse of :func:`base58btc_encode`; raises ValueError on characters outside the alphabet."""
    try:
        return base58.b58decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"invalid base58btc: {exc}") from exc


def multibase_base58btc(data: bytes) -> str:
    """``"z"`` + base58btc(data): the encoding of ``proofValue`` and ``publicKeyMultibase``."""
    return "z" + base58btc_encode(data)


def multibase_base64url(data: bytes) -> str:
    """``"u"`` + base64url(data) without padding: the encoding of ``encodedList``."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def multibase_decode(text: str) -> bytes:
    """Decode a ``z`` (base58btc) or ``u`` (base64url, no padding) multibase string."""
    if not isinstance(text, str) or not text:
        raise ValueError("empty or non-string multibase value")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        return base58btc_decode(body)
    if prefix == "u":
        if "=" in body or "+" in body or "/" in body:
            raise ValueError("base64url multibase must use the URL alphabet without padding")
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"invalid base64url: {exc}") from exc
    raise ValueError(f"unsupported multibase prefix {prefix!r}")


def encode_multikey_public(raw32: bytes) -> str:
    """Ed25519 public key -> ``z6Mk...`` (``0xed01`` + 32 bytes, base58btc)."""
    if len(raw32) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return multibase_base58btc(ED25519_PUB_PREFIX + raw32)


def decode_multikey_public(text: str) -> bytes:
    """``z6Mk...`` -> 32-byte Ed25519 public key; any other multicodec prefix is an error."""
    data = multibase_decode(text)
    if data[:2] != ED25519_PUB_PREFIX:
        raise ValueError("not an Ed25519 public Multikey (prefix 0xed01 expected)")
    if len(data) != 34:
        raise ValueError("an Ed25519 public Multikey holds exactly 32 key bytes")
    return data[2:]


def encode_multikey_secret(seed32: bytes) -> str:
    """Ed25519 seed -> ``z3u2...`` (``0x8026`` + 32-byte seed, base58btc)."""
    if len(seed32) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return multibase_base58btc(ED25519_PRIV_PREFIX + seed32)


def decode_multikey_secret(text: str) -> bytes:
    """``z3u2...`` -> 32-byte seed. Also accepts the legacy ``0x8026`` + seed + public key form."""
    data = multibase_decode(text)
    if data[:2] != ED25519_PRIV_PREFIX:
        raise ValueError("not an Ed25519 secret Multikey (prefix 0x8026 expected)")
    if len(data) not in (34, 66):
        raise ValueError("an Ed25519 secret Multikey holds a 32-byte seed (or seed + public key)")
    return data[2:34]
