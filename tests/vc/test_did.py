"""did:web <-> URL, and the DID document that publishes the keys."""

from __future__ import annotations

import pytest

from credsite.vc.did import did_document, did_document_url, did_web_from_url
from credsite.vc.encoding import encode_multikey_public, encode_multikey_secret
from credsite.vc.jsonld import JsonLdError, check_terms_defined

KEY_A = encode_multikey_public(bytes(range(32)))
KEY_B = encode_multikey_public(bytes(range(1, 33)))


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://org.github.io/creds/", "did:web:org.github.io:creds"),
        ("https://org.github.io/creds", "did:web:org.github.io:creds"),
        ("https://org.github.io/", "did:web:org.github.io"),
        ("https://org.github.io", "did:web:org.github.io"),
        ("https://Example.COM/a/b/", "did:web:example.com:a:b"),
        ("https://example.com:3000/user/alice/", "did:web:example.com%3A3000:user:alice"),
        ("https://example.com:3000/", "did:web:example.com%3A3000"),
        ("http://localhost:8000/site/", "did:web:localhost%3A8000:site"),
        ("https://example.com//double//slash/", "did:web:example.com:double:slash"),
        ("https://example.com/odd:segment/", "did:web:example.com:odd%3Asegment"),
    ],
)
def test_did_web_from_url(url: str, did: str) -> None:
    assert did_web_from_url(url) == did


@pytest.mark.parametrize(
    ("did", "url"),
    [
        # the examples of the did:web specification
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:org.github.io:creds", "https://org.github.io/creds/did.json"),
    ],
)
def test_did_document_url(did: str, url: str) -> None:
    assert did_document_url(did) == url


@pytest.mark.parametrize(
    "site",
    ["https://org.github.io/creds/", "https://example.com:8443/", "https://a.example/b/c/d"],
)
def test_round_trip(site: str) -> None:
    url = did_document_url(did_web_from_url(site))
    base = site if site.endswith("/") else site + "/"
    if base.count("/") == 3:
        assert url == base + ".well-known/did.json"
    else:
        assert url == base + "did.json"


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://example.com/",
        "example.com",
        "https://example.com/?q=1",
        "https://example.com/#x",
        "https://user:pw@example.com/",
        "https://[::1]/",
        "https:///path",
    ],
)
def test_did_web_from_url_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        did_web_from_url(bad)


@pytest.mark.parametrize(
    "bad",
    [
        "did:key:z6Mk",
        "did:web:",
        "did:web:example.com#key",
        "did:web:example.com::x",
        "did:web:example.com/path",
        "https://example.com",
        "",
    ],
)
def test_did_document_url_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        did_document_url(bad)


def test_did_document_shape() -> None:
    did = "did:web:org.github.io:creds"
    doc = did_document(did, [KEY_A, KEY_B, KEY_A])
    vm_a, vm_b = f"{did}#{KEY_A}", f"{did}#{KEY_B}"
    assert doc == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {"id": vm_a, "type": "Multikey", "controller": did, "publicKeyMultibase": KEY_A},
            {"id": vm_b, "type": "Multikey", "controller": did, "publicKeyMultibase": KEY_B},
        ],
        "assertionMethod": [vm_a, vm_b],
        "authentication": [vm_a, vm_b],
    }
    assert all(isinstance(m, str) for m in doc["assertionMethod"])


def test_did_document_is_not_processed_with_bundled_contexts() -> None:
    # The DID v1 context is not bundled: did.json is published, never canonicalised.
    with pytest.raises(JsonLdError, match="not bundled"):
        check_terms_defined(did_document("did:web:example.com", [KEY_A]))


def test_did_document_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        did_document("did:web:example.com", [])
    with pytest.raises(ValueError):
        did_document("did:web:example.com", [encode_multikey_secret(bytes(32))])
    with pytest.raises(ValueError):
        did_document("did:example:123", [KEY_A])
