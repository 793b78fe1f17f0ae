"""did:web identifiers and the DID document that publishes the issuer's keys.

https://w3c-ccg.github.io/did-method-web/ — a did:web DID is a host name plus optional path, and
resolves to ``https://<host>/<path>/did.json`` (``/.well-known/did.json`` for a bare host), which a
static site can serve. Verifiers (1EdTech validator, DCC) find the proof's verificationMethod in
that document, so it lists every key ever used as Multikey methods whose fragment is the key
itself, authorised for ``assertionMethod`` (https://www.w3.org/TR/vc-di-eddsa/#multikey).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .encoding import decode_multikey_public

DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"
_PREFIX = "did:web:"


def did_web_from_url(url: str) -> str:
    """``https://org.github.io/creds/`` -> ``did:web:org.github.io:creds``.

    The host is lower-cased, a port becomes ``%3A<port>``, empty path segments (trailing slash)
    vanish and a colon inside a segment is percent-encoded so it cannot split the DID.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"did:web needs an https URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"a did:web site URL has no query or fragment: {url!r}")
    if parts.username or parts.password:
        raise ValueError(f"a did:web site URL has no user info: {url!r}")
    host = (parts.hostname or "").lower()
    if not host or ":" in host:
        raise ValueError(f"did:web needs a domain name, got {url!r}")
    if parts.port is not None:
        host += f"%3A{parts.port}"
    segments = [s.replace(":", "%3A") for s in parts.path.split("/") if s]
    return ":".join([_PREFIX + host, *segments])


def did_document_url(did: str) -> str:
    """Where ``did`` resolves: ``did:web:host:a:b`` -> ``https://host/a/b/did.json``;
    ``did:web:host`` -> ``https://host/.well-known/did.json``."""
    if not isinstance(did, str) or not did.startswith(_PREFIX):
        raise ValueError(f"not a did:web DID: {did!r}")
    if any(c in did for c in "#?/"):
        raise ValueError(f"expected a DID, not a DID URL: {did!r}")
    host, *segments = did[len(_PREFIX) :].split(":")
    if not host or any(not s for s in segments):
        raise ValueError(f"malformed did:web DID: {did!r}")
    host = host.replace("%3A", ":").replace("%3a", ":")
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{host}/{path}/did.json"


def verification_method_id(did: str, public_key_multibase: str) -> str:
    """``<did>#<publicKeyMultibase>``, the id the proofs use."""
    return f"{did}#{public_key_multibase}"


def did_document(did: str, public_keys_multibase: list[str]) -> dict[str, Any]:
    """The DID document for ``did`` listing every key (oldest first, newest last).

    Old keys stay so that credentials signed with them keep verifying; remove one only if it
    is compromised.
    """
    did_document_url(did)  # validates the DID
    keys: list[str] = []
    for key in public_keys_multibase:
        decode_multikey_public(key)  # raises ValueError on anything but an Ed25519 Multikey
        if key not in keys:
            keys.append(key)
    if not keys:
        raise ValueError("a DID document needs at least one key")
    ids = [verification_method_id(did, key) for key in keys]
    return {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": did, "publicKeyMultibase": key}
            for vm, key in zip(ids, keys, strict=True)
        ],
        "assertionMethod": list(ids),
        "authentication": list(ids),
    }
