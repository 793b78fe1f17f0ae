"""Ed25519 signing keys (RFC 8032 pure EdDSA), the only module that touches PyNaCl.

Data Integrity EdDSA signs the 64-byte hash data with a detached Ed25519 signature
(https://www.w3.org/TR/vc-di-eddsa/#proof-serialization-eddsa-rdfc-2022). Keys travel as Multikey
strings (see :mod:`credsite.vc.encoding`). The seed is kept out of ``repr`` so it never ends up in
logs or tracebacks.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.signing

from .encoding import decode_multikey_secret, encode_multikey_public, encode_multikey_secret


class SigningKey:
    """An Ed25519 key pair. ``repr`` shows only the public key."""

    __slots__ = ("_key", "public_key", "public_key_multibase")

    def __init__(self, key: nacl.signing.SigningKey) -> None:
        self._key = key
        self.public_key: bytes = bytes(key.verify_key)
        self.public_key_multibase: str = encode_multikey_public(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh random key (from the OS CSPRNG)."""
        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key whose RFC 8032 private key (seed) is these 32 bytes."""
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        return cls(nacl.signing.SigningKey(bytes(seed)))

    @classmethod
    def from_secret_multibase(cls, text: str) -> SigningKey:
        """Load a ``secretKeyMultibase`` (``z3u2...`` or the legacy 64-byte form)."""
        return cls.from_seed(decode_multikey_secret(text))

    def secret_multibase(self) -> str:
        """The ``secretKeyMultibase`` form of the seed; for writing key files only."""
        return encode_multikey_secret(bytes(self._key))

    def sign(self, message: bytes) -> bytes:
        """64-byte detached Ed25519 signature of ``message``."""
        return self._key.sign(message).signature

    def __repr__(self) -> str:
        return f"SigningKey(public_key_multibase={self.public_key_multibase!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SigningKey):
            return NotImplemented
        return self.public_key == other.public_key

    def __hash__(self) -> int:
        return hash(self.public_key)


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        nacl.signing.VerifyKey(bytes(public_key)).verify(bytes(message), bytes(signature))
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        return False
    return True
