"""Salted recipient identity hashes (Open Badges 3.0 IdentityObject, OB 2.0 recipient).

https://www.imsglobal.org/spec/ob/v3p0/#identityobject — ``identityHash`` is ``"sha256$"`` + hex
SHA-256 of the UTF-8 identifier with the salt appended, so a page can show a credential without
publishing the recipient's address while the recipient can still prove it is theirs. OB 2.0
uses the same rule (https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html#IdentityHash).
Emails are trimmed and lower-cased first (a recommendation, not spec) so that ``A@Example.com``
and ``a@example.com`` match; hex is lower case.
"""

from __future__ import annotations

import hashlib
from typing import Any


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased email address."""
    return email.strip().lower()


def identity_hash(value: str, salt: str) -> str:
    """``"sha256$" + hex(sha256(value + salt))``; ``value`` is hashed exactly as given."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def identity_object(email: str, salt: str) -> dict[str, Any]:
    """A hashed OB 3.0 ``IdentityObject`` for an email address (``salt`` is published with it)."""
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(normalise_email(email), salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }
