"""Bundled contexts, the offline loader, RDFC-1.0 output and the "nothing dropped" check."""

from __future__ import annotations

import copy
import hashlib
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credsite.vc import jsonld
from credsite.vc.jsonld import (
    CONTEXT_FILES,
    JsonLdError,
    canonicalize,
    check_terms_defined,
    document_loader,
    make_document_loader,
)

from .conftest import EXAMPLES_V2, full_ob_credential, load_json

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CTX = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@pytest.fixture
def ob_unsigned(vectors: Path) -> dict:
    return load_json(vectors / "ob3-eddsa-rdfc-2022" / "unsigned.json")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- contexts and loader ---------------------------------------------------------------------


def test_bundled_contexts_match_spec_copies(spec: Path) -> None:
    files = {
        VC_V2: "credentials-v2.jsonld",
        OB_CTX: "ob-v3p0-context-3.0.3.json",
        "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
        "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr/clr-v2p0-context-2.0.1.json",
    }
    assert set(CONTEXT_FILES) == set(files)
    for url, name in files.items():
        bundled = Path(jsonld.__file__).parent / "contexts" / CONTEXT_FILES[url]
        assert bundled.read_bytes() == (spec / name).read_bytes(), url


def test_vc_v2_context_digest_matches_the_recommendation() -> None:
    data = (Path(jsonld.__file__).parent / "contexts" / CONTEXT_FILES[VC_V2]).read_bytes()
    expected = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    assert hashlib.sha256(data).hexdigest() == expected


def test_loader_serves_bundled_copies() -> None:
    for url in CONTEXT_FILES:
        remote = document_loader(url)
        assert remote["documentUrl"] == url
        assert "@context" in remote["document"]
    # callers may mutate what they get without corrupting the cache
    document_loader(VC_V2)["document"]["@context"]["id"] = "broken"
    assert document_loader(VC_V2)["document"]["@context"]["id"] == "@id"


@pytest.mark.usefixtures("no_network")
def test_loader_never_touches_the_network() -> None:
    with pytest.raises(JsonLdError, match="not bundled"):
        document_loader("https://www.w3.org/ns/credentials/examples/v2")
    with pytest.raises(JsonLdError, match="not bundled"):
        document_loader("https://w3id.org/citizenship/v4rc1")
    doc = {"@context": [VC_V2, "https://example.com/unknown-context.jsonld"], "name": "x"}
    with pytest.raises(JsonLdError, match="not bundled"):
        canonicalize(doc)


@pytest.mark.usefixtures("no_network")
def test_canonicalize_works_offline(ob_unsigned: dict) -> None:
    assert canonicalize(ob_unsigned).endswith(" .\n")


def test_extra_contexts_do_not_leak_into_the_default_loader(
    vectors: Path, examples_ctx: dict[str, dict]
) -> None:
    doc = load_json(vectors / "unsigned.json")
    canonicalize(doc, examples_ctx)
    loader = make_document_loader(examples_ctx)
    assert loader(EXAMPLES_V2)["documentUrl"] == EXAMPLES_V2
    with pytest.raises(JsonLdError, match="not bundled"):
        canonicalize(doc)
    with pytest.raises(JsonLdError):
        document_loader(EXAMPLES_V2)


# --- canonicalisation ------------------------------------------------------------------------


def test_w3c_vector_canonical_document(vectors: Path, examples_ctx: dict[str, dict]) -> None:
    doc = load_json(vectors / "unsigned.json")
    expected = (vectors / "eddsa-rdfc-2022" / "canonDocDataInt.txt").read_text(encoding="utf-8")
    assert canonicalize(doc, examples_ctx) == expected


def test_ob_vector_canonical_document(vectors: Path, ob_unsigned: dict) -> None:
    expected = (vectors / "ob3-eddsa-rdfc-2022" / "document-canon.nq").read_text(encoding="utf-8")
    assert canonicalize(ob_unsigned) == expected


def test_canonicalize_does_not_mutate_input(ob_unsigned: dict) -> None:
    before = copy.deepcopy(ob_unsigned)
    canonicalize(ob_unsigned)
    assert ob_unsigned == before


def test_canonical_form_ignores_json_key_order(ob_unsigned: dict) -> None:
    reordered = dict(reversed(list(ob_unsigned.items())))
    reordered["credentialSubject"] = dict(reversed(list(ob_unsigned["credentialSubject"].items())))
    assert canonicalize(reordered) == canonicalize(ob_unsigned)


def test_canonical_form_changes_with_content(ob_unsigned: dict) -> None:
    changed = copy.deepcopy(ob_unsigned)
    changed["name"] = "Teamwork Badge!"
    assert canonicalize(changed) != canonicalize(ob_unsigned)


def _plain_pyld(document: dict, extra: dict[str, dict] | None = None) -> str:
    """pyld's own URDNA2015, no checks, no caches of ours: the oracle for our fast path."""
    from pyld import jsonld as pyld_jsonld  # test-only oracle
    from pyld.context_resolver import ContextResolver

    loader = make_document_loader(extra) if extra else document_loader
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        "contextResolver": ContextResolver({}, loader),
    }
    return pyld_jsonld.normalize(copy.deepcopy(document), options)


def test_matches_plain_pyld_on_varied_documents(
    vectors: Path, examples_ctx: dict[str, dict]
) -> None:
    status_list = load_json(vectors / "bitstring-status-list" / "1edtech-validator-testlist.json")
    proof_config = {
        **load_json(vectors / "ob3-eddsa-rdfc-2022" / "proof-options.json"),
        "@context": full_ob_credential()["@context"],
    }
    docs = [
        full_ob_credential(),
        load_json(vectors / "ob3-eddsa-rdfc-2022" / "unsigned.json"),
        load_json(vectors / "ob3-eddsa-rdfc-2022" / "signed.json"),  # proof as a named graph
        status_list,
        proof_config,
    ]
    # interleave documents twice so the scoped-context memo is exercised warm and cold
    for doc in docs + list(reversed(docs)):
        assert canonicalize(doc) == _plain_pyld(doc)
    w3c = load_json(vectors / "eddsa-rdfc-2022" / "signedDataInt.json")
    assert canonicalize(w3c, examples_ctx) == _plain_pyld(w3c, examples_ctx)


def test_full_credential_canonicalises() -> None:
    nquads = canonicalize(full_ob_credential())
    assert "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentityObject" in nquads
    assert "https://www.w3.org/ns/credentials/status#statusListIndex" in nquads
    assert "http://example.org/base/" not in nquads


# --- the "nothing dropped" check ---------------------------------------------------------------


def test_valid_credentials_pass(ob_unsigned: dict) -> None:
    check_terms_defined(ob_unsigned)
    check_terms_defined(full_ob_credential())


def _problems(document: dict) -> list[str]:
    with pytest.raises(JsonLdError) as info:
        check_terms_defined(document)
    return info.value.problems


def test_undefined_top_level_term(ob_unsigned: dict) -> None:
    ob_unsigned["favouriteColour"] = "blue"
    assert _problems(ob_unsigned) == ["$.favouriteColour"]


def test_undefined_term_inside_credential_subject(ob_unsigned: dict) -> None:
    ob_unsigned["credentialSubject"]["email"] = "a@example.com"
    assert _problems(ob_unsigned) == ["$.credentialSubject.email"]


def test_undefined_term_with_object_value(ob_unsigned: dict) -> None:
    ob_unsigned["credentialSubject"]["achievement"]["extra"] = {"nested": {"deep": 1}}
    assert _problems(ob_unsigned) == ["$.credentialSubject.achievement.extra"]


def test_undefined_term_inside_array_element() -> None:
    doc = full_ob_credential()
    doc["credentialSubject"]["achievement"]["alignment"][0]["weight"] = 3
    doc["evidence"].append({"type": ["Evidence"], "name": "x", "score": 10})
    assert _problems(doc) == [
        "$.credentialSubject.achievement.alignment[0].weight",
        "$.evidence[1].score",
    ]


def test_undefined_term_inside_issuer_and_status() -> None:
    doc = full_ob_credential()
    doc["issuer"]["twitter"] = "@example"
    doc["credentialStatus"]["note"] = "x"
    assert sorted(_problems(doc)) == ["$.credentialStatus.note", "$.issuer.twitter"]


def test_undefined_type_value(ob_unsigned: dict) -> None:
    ob_unsigned["type"].append("1EdTechCredentialRefresh")
    assert _problems(ob_unsigned) == ["$.type[2]"]


def test_undefined_nested_type_value(ob_unsigned: dict) -> None:
    ob_unsigned["credentialSubject"]["achievement"]["type"] = "Foo"
    problems = _problems(ob_unsigned)
    assert "$.credentialSubject.achievement.type" in problems


def test_credential_schema_without_extensions_context_is_refused(ob_unsigned: dict) -> None:
    # the pitfall from the standards notes §0.4
    ob_unsigned["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    assert _problems(ob_unsigned) == ["$.credentialSchema[0].type"]


def test_relative_id(ob_unsigned: dict) -> None:
    ob_unsigned["credentialSubject"]["id"] = "alice"
    assert _problems(ob_unsigned) == ["$.credentialSubject.id"]


def test_relative_iri_valued_property() -> None:
    doc = full_ob_credential()
    doc["credentialStatus"]["statusListCredential"] = "status/1.json"
    assert _problems(doc) == ["$.credentialStatus.statusListCredential"]


def test_term_mapped_to_null_is_refused(ob_unsigned: dict) -> None:
    ob_unsigned["@context"] = [*ob_unsigned["@context"], {"secret": None}]
    ob_unsigned["secret"] = "dropped"
    assert _problems(ob_unsigned) == ["$.secret"]


def test_keyword_lookalike_is_refused(ob_unsigned: dict) -> None:
    ob_unsigned["@comment"] = "not a JSON-LD keyword"
    assert _problems(ob_unsigned) == ['$["@comment"]']


def test_direction_is_refused() -> None:
    doc = full_ob_credential()
    doc["name"] = {"@value": "شارة", "@language": "ar", "@direction": "rtl"}
    assert _problems(doc) == ['$.name["@direction"]']


def test_inline_context_terms_are_accepted(ob_unsigned: dict) -> None:
    ob_unsigned["@context"] = [
        *ob_unsigned["@context"],
        {"favouriteColour": "https://example.org/vocab#favouriteColour"},
    ]
    ob_unsigned["favouriteColour"] = "blue"
    check_terms_defined(ob_unsigned)


def test_missing_context_and_non_objects_are_refused() -> None:
    with pytest.raises(JsonLdError):
        check_terms_defined({"name": "x"})
    with pytest.raises(JsonLdError):
        check_terms_defined([])  # type: ignore[arg-type]
    with pytest.raises(JsonLdError):
        check_terms_defined({"@context": 5})


def test_canonicalize_runs_the_check(ob_unsigned: dict) -> None:
    ob_unsigned["credentialSubject"]["email"] = "a@example.com"
    with pytest.raises(JsonLdError) as info:
        canonicalize(ob_unsigned)
    assert info.value.problems == ["$.credentialSubject.email"]
    assert "email" in str(info.value)


_names = st.from_regex(r"\Azz[a-zA-Z0-9]{0,12}\Z", fullmatch=True)
_values = st.one_of(st.text(max_size=5), st.integers(), st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_names,
    value=_values,
    where=st.sampled_from(["top", "subject", "achievement", "criteria", "alignment", "identifier"]),
)
def test_any_added_undefined_term_is_found(name: str, value: object, where: str) -> None:
    doc = full_ob_credential()
    subject = doc["credentialSubject"]
    target, path = {
        "top": (doc, "$"),
        "subject": (subject, "$.credentialSubject"),
        "achievement": (subject["achievement"], "$.credentialSubject.achievement"),
        "criteria": (
            subject["achievement"]["criteria"],
            "$.credentialSubject.achievement.criteria",
        ),
        "alignment": (
            subject["achievement"]["alignment"][0],
            "$.credentialSubject.achievement.alignment[0]",
        ),
        "identifier": (subject["identifier"][0], "$.credentialSubject.identifier[0]"),
    }[where]
    target[name] = value
    assert _problems(doc) == [f"{path}.{name}"]
