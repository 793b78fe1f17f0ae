"""Private credentials: published encrypted, readable only with the key in the link's #fragment.

The one owner of `cryptography` (pyca). Imports nothing else of credsite, so `credsite verify`
can use it without the build's libraries.

A private award's credential JSON, its detached proof, its rendered page and its baked images are
each published as ``NAME.enc`` (``credentials/TOKEN.json.enc``, ...), encrypted with AES-256-GCM;
``credentials/TOKEN.html`` is a shell page that names nobody, decrypts them in the browser with the
key from the link's fragment (``TOKEN.html#KEY``; browsers never send the fragment to the host) and
shows and verifies the page as for any other credential.

Deterministic, so that a rebuild is byte-identical, with nothing recorded in the output:

- the per-site link secret (32 random bytes, ``keys/private-links.secret`` or
  ``$CREDSITE_PRIVATE_LINKS_SECRET``; never published or committed, like a signing key);
- the credential key ``K = HKDF-SHA256(secret, salt=KEY_SALT, info=token)``: one per credential,
  fixed for its life, so the link its recipient was sent keeps opening it after a re-signing;
- each file's nonce ``N = HKDF-SHA256(secret, salt=NONCE_SALT, info=token | name |
  SHA-256(plaintext))[:12]``: a new plaintext under the same key (a re-signed credential, a page
  rebuilt by a newer theme) gets a new nonce, so a (key, nonce) pair never encrypts two different
  plaintexts (GCM's one rule); the same plaintext gets the same nonce and so the same bytes, which
  tells an observer only "unchanged". The file's published name is the associated data, so a blob
  cannot be served in another's place.

A blob is ``MAGIC | nonce (12 bytes) | ciphertext and tag``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"credsite-private-v1\n"
KEY_SALT = b"credsite private credential key v1"
NONCE_SALT = b"credsite private credential nonce v1"
SUFFIX = ".enc"
SECRET_BYTES = 32


class PrivateError(ValueError):
    """A blob that does not open with the given key (wrong or incomplete key, or altered)."""


def _hkdf(secret: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def credential_key(secret: bytes, token: str) -> bytes:
    """The 256-bit AES key of one credential."""
    if len(secret) != SECRET_BYTES:
        raise ValueError("the private-links secret must be 32 bytes")
    return _hkdf(secret, KEY_SALT, token.encode("ascii"), 32)


def fragment(key: bytes) -> str:
    """The key as the link's fragment (base64url, no padding)."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def key_from_fragment(text: str) -> bytes:
    """The key in a link's fragment (or the fragment alone, with or without '#' or 'key=')."""
    text = text.split("#", 1)[-1].strip().removeprefix("key=")
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PrivateError("the key is not base64url text") from None
    if len(key) != 32:
        raise PrivateError(f"the key is {len(key)} bytes, not 32: was the link copied in full?")
    return key


def encrypt(secret: bytes, token: str, name: str, plaintext: bytes) -> bytes:
    """The published bytes of file `name` (its path in the site, without ``.enc``)."""
    key = credential_key(secret, token)
    digest = hashlib.sha256(plaintext).digest()
    info = b"|".join((token.encode("ascii"), name.encode("utf-8"), digest))
    nonce = _hkdf(secret, NONCE_SALT, info, 12)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, name.encode("utf-8"))


def decrypt(key: bytes, name: str, blob: bytes) -> bytes:
    """The plaintext of a published blob; `name` is its path in the site without ``.enc``."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 12 + 16:
        raise PrivateError(f"{name}{SUFFIX} is not a credsite private file")
    nonce = blob[len(MAGIC) : len(MAGIC) + 12]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(MAGIC) + 12 :], name.encode("utf-8"))
    except InvalidTag:
        raise PrivateError(
            f"{name}{SUFFIX} does not open with this key (a wrong or incomplete link)"
        ) from None
