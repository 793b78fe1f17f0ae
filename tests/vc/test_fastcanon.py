"""The RDFC-1.0 shape cache (credsite.vc.jsonld) and its canonical labelling (credsite.vc.fastcanon).

Every result must be byte for byte what plain pyld makes: the oracle here is pyld's own
``normalize`` (URDNA2015) with the bundled contexts and nothing of ours, and the errors must be
those of :func:`canonicalize_uncached`. A template compiled from one document is tried on others
of the same shape, with values that stress what the shape cache must get right: quotes,
backslashes, newlines, control characters and other Unicode in literals; IRIs that merge nodes,
blank-node ids, relative IRIs and terms in IRI places; equal values that tie blank nodes.
"""

from __future__ import annotations

import copy
import json
import random
import string
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld  # test-only oracle
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.nquads import escape as pyld_escape
from pyld.nquads import parse_nquads

from credsite.vc import fastcanon, jsonld
from credsite.vc import proof as vc_proof
from credsite.vc.encoding import decode_multikey_public
from credsite.vc.fastcanon import Quad, TooComplex, canonical_nquads, escape_literal, serialize
from credsite.vc.jsonld import (
    JsonLdError,
    canonicalize,
    canonicalize_uncached,
    clear_shape_cache,
    document_loader,
    make_document_loader,
    shape_cache_stats,
)

from .conftest import full_ob_credential, load_json

VC2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
XSD = "http://www.w3.org/2001/XMLSchema#"
GOLDEN = REPO / "tests" / "golden" / "example"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
# The OB 3.0 extensions context is not in tests/vectors; this stand-in defines the three types
# the 1EdTech examples use (with it the CLR vector's document canonicalises to its canon file).
EXTENSIONS_STAND_IN = {
    "@context": {
        "id": "@id",
        "type": "@type",
        "1EdTechJsonSchemaValidator2019": "https://purl.imsglobal.org/spec/vccs/v1p0/context.json#1EdTechJsonSchemaValidator2019",
        "1EdTechRevocationList": "https://purl.imsglobal.org/spec/vcrl/v1p0/context.json#1EdTechRevocationList",
        "1EdTechCredentialRefresh": "https://purl.imsglobal.org/spec/vccr/v1p0/context.json#1EdTechCredentialRefresh",
    }
}


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_shape_cache()


def oracle(document: dict[str, Any], extra: dict[str, dict[str, Any]] | None = None) -> str:
    """pyld's URDNA2015 with the bundled (and extra) contexts: no checks, no caches of ours."""
    loader = make_document_loader(extra) if extra else document_loader
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        "contextResolver": ContextResolver({}, loader),
    }
    result: str = pyld_jsonld.normalize(copy.deepcopy(document), options)
    return result


def assert_like_plain(
    document: dict[str, Any], extra: dict[str, dict[str, Any]] | None = None
) -> str:
    """canonicalize() gives what plain pyld gives, or raises the error the plain path raises."""
    try:
        expected = canonicalize_uncached(document, extra)
    except JsonLdError as error:
        with pytest.raises(JsonLdError) as info:
            canonicalize(document, extra)
        assert str(info.value) == str(error)
        assert info.value.problems == error.problems
        return "error"
    before = copy.deepcopy(document)
    assert canonicalize(document, extra) == expected
    assert document == before  # never mutated, warm or cold
    assert expected == oracle(document, extra)
    return expected


def assert_fast_and_equal(
    document: dict[str, Any], extra: dict[str, dict[str, Any]] | None = None
) -> str:
    """Cold and warm shape cache both give the oracle's bytes, and both took the fast path."""
    expected = oracle(document, extra)
    clear_shape_cache()
    assert canonicalize(document, extra) == expected
    assert canonicalize(document, extra) == expected
    assert canonicalize_uncached(document, extra) == expected
    stats = shape_cache_stats()
    assert (stats["fast"], stats["plain"]) == (2, 0)
    assert stats["compiled"] in (1, 2)  # 2: the placeholder template, then one with a pinned value
    return expected


def without_proof(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


# --- standards vectors -----------------------------------------------------------------------


def test_w3c_vector(vectors: Path, examples_ctx: dict[str, dict]) -> None:
    doc = load_json(vectors / "unsigned.json")
    canon = assert_fast_and_equal(doc, examples_ctx)
    assert canon == (vectors / "eddsa-rdfc-2022" / "canonDocDataInt.txt").read_text("utf-8")
    config = load_json(vectors / "eddsa-rdfc-2022" / "proofConfigDataInt.json")
    canon = assert_fast_and_equal(config, examples_ctx)
    assert canon == (vectors / "eddsa-rdfc-2022" / "proofCanonDataInt.txt").read_text("utf-8")
    assert_fast_and_equal(
        load_json(vectors / "eddsa-rdfc-2022" / "signedDataInt.json"), examples_ctx
    )


def test_w3c_employ_vector_proof_config(vectors: Path) -> None:
    # the employ document needs the citizenship context, which is not bundled: its proof
    # configuration does not
    config = load_json(vectors / "eddsa-rdfc-2022-employ" / "proofConfigDataInt.json")
    config["@context"] = [VC2]
    expected = (vectors / "eddsa-rdfc-2022-employ" / "proofCanonDataInt.txt").read_text("utf-8")
    assert assert_fast_and_equal(config) == expected


def test_ob_vector(vectors: Path) -> None:
    folder = vectors / "ob3-eddsa-rdfc-2022"
    unsigned = load_json(folder / "unsigned.json")
    assert assert_fast_and_equal(unsigned) == (folder / "document-canon.nq").read_text("utf-8")
    config = {**load_json(folder / "proof-options.json"), "@context": unsigned["@context"]}
    assert assert_fast_and_equal(config) == (folder / "proof-canon.nq").read_text("utf-8")
    assert_fast_and_equal(load_json(folder / "signed.json"))  # the proof as a named graph


def test_status_list_vector(vectors: Path) -> None:
    doc = load_json(vectors / "bitstring-status-list" / "1edtech-validator-testlist.json")
    assert_fast_and_equal(doc)
    assert_fast_and_equal(without_proof(doc))


def _clr_extra(spec: Path) -> dict[str, dict]:
    return {
        CLR_CONTEXT: load_json(spec / "clr" / "clr-v2p0-context-2.0.1.json"),
        OB_EXTENSIONS: EXTENSIONS_STAND_IN,
    }


def test_clr_vector_and_1edtech_examples(spec: Path) -> None:
    """Nested credentials with proofs (named graphs), the same achievement embedded twice
    (merged nodes), results, alignments, endorsements."""
    extra = _clr_extra(spec)
    unsigned = load_json(spec / "clr" / "clr20-vector-unsigned.json")
    canon = assert_fast_and_equal(unsigned, extra)
    assert canon == (spec / "clr" / "clr20-vector-document-canon.nq").read_text("utf-8")
    for name in (
        "clr/clr20-vector-signed.json",
        "clr/clr20-validator-simple.json",
        "examples/ob3-validator-complete-negative.json",
        "examples/ob3-endorsement-validator-valid.json",
    ):
        doc = load_json(spec / name)
        assert_fast_and_equal(doc, extra)
        assert_fast_and_equal(without_proof(doc), extra)


# --- the example site --------------------------------------------------------------------------


def _golden_documents() -> list[dict[str, Any]]:
    paths = sorted((GOLDEN / "credentials").glob("*.json")) + sorted(
        (GOLDEN / "status").glob("*.json")
    )
    assert len(paths) > 10
    return [load_json(p) for p in paths]


def test_example_site_credentials_and_status_lists() -> None:
    documents = _golden_documents()
    for doc in documents:
        assert canonicalize(without_proof(doc)) == oracle(without_proof(doc))
        for proof in doc["proof"]:
            if proof["cryptosuite"] == vc_proof.RDFC:
                options = {k: v for k, v in proof.items() if k != "proofValue"}
                assert vc_proof.canonical_proof_config(options, doc, vc_proof.RDFC) == oracle(
                    {**options, "@context": doc["@context"]}
                ).encode("utf-8")
    stats = shape_cache_stats()
    assert stats["plain"] == 0
    # one template per shape (optional fields present or not), and the proof configurations':
    # two @context lists, each compiled with placeholders, then with proofPurpose pinned
    shapes = {jsonld._shape(without_proof(doc))[0] for doc in documents}
    assert len(shapes) < len(documents)
    # A shape that embeds signed endorsements is compiled twice: its endorsements' own proofs
    # name did:web verification methods, IRIs expansion could change, so the second compile pins
    # them (the same endorser's key for every credential of the shape).
    endorsed = {
        jsonld._shape(without_proof(doc))[0]
        for doc in documents
        if "endorsement" in doc
        or "endorsement" in doc.get("credentialSubject", {}).get("achievement", {})
    }
    assert stats["compiled"] == len(shapes) + len(endorsed) + 2 * 2


def test_example_site_proofs_verify_and_sign_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    did = load_json(GOLDEN / "did.json")
    public_key = decode_multikey_public(did["verificationMethod"][0]["publicKeyMultibase"])
    documents = _golden_documents()
    for doc in documents:
        for proof in doc["proof"]:
            assert vc_proof.verify_proof(doc, proof, public_key) == (
                True,
                f"{proof['cryptosuite']} proof verified",
            )
    # the proof module's outputs are those of the plain algorithm
    fast = [vc_proof.transform(doc, vc_proof.RDFC) for doc in documents]
    monkeypatch.setattr(vc_proof, "canonicalize", canonicalize_uncached)
    assert [vc_proof.transform(doc, vc_proof.RDFC) for doc in documents] == fast


# --- what the shape cache must not get wrong ---------------------------------------------------


def test_one_template_serves_every_value(vectors: Path) -> None:
    doc = load_json(vectors / "ob3-eddsa-rdfc-2022" / "unsigned.json")
    assert_like_plain(doc)
    other = copy.deepcopy(doc)
    other["name"] = 'Quote " backslash \\ newline \n tab \t return \r nul \x00 é 名 😀 \u2028'
    other["credentialSubject"]["achievement"]["description"] = ""
    other["id"] = "urn:uuid:" + "ab" * 8
    assert assert_like_plain(other) != "error"
    assert shape_cache_stats()["compiled"] == 1
    assert shape_cache_stats()["fast"] == 2


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("alice", ["$.credentialSubject.id"]),  # relative
        ("Achievement", ["$.credentialSubject.id"]),  # a term, still relative as an @id
        ("https://ex ample.org/", ["$.credentialSubject.id"]),  # whitespace: not absolute
        ("_:b7", None),  # a blank node
        ("_:b0", None),
        ("ceasn:Competency", None),  # absolute, unknown scheme
        ("https://example.org/\n", None),  # pyld takes it as absolute (its `$` before \n)
        ("did:example:123", None),
    ],
)
def test_unusual_iris_in_a_warm_shape(
    vectors: Path, value: str, problems: list[str] | None
) -> None:
    doc = load_json(vectors / "ob3-eddsa-rdfc-2022" / "unsigned.json")
    canonicalize(doc)  # warm the shape
    doc["credentialSubject"]["id"] = value
    if problems is None:
        assert assert_like_plain(doc) != "error"
    else:
        with pytest.raises(JsonLdError) as info:
            canonicalize(doc)
        assert info.value.problems == problems


def test_relative_iri_valued_property_in_a_warm_shape() -> None:
    doc = full_ob_credential()
    canonicalize(doc)
    doc["credentialStatus"]["statusListCredential"] = "status/1.json"
    with pytest.raises(JsonLdError) as info:
        canonicalize(doc)
    assert info.value.problems == ["$.credentialStatus.statusListCredential"]


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ((), "$.favouriteColour"),
        (("credentialSubject",), "$.credentialSubject.favouriteColour"),
        (("credentialSubject", "achievement"), "$.credentialSubject.achievement.favouriteColour"),
        (("evidence", 0), "$.evidence[0].favouriteColour"),
    ],
)
def test_undefined_terms_are_still_refused(where: tuple[str | int, ...], path: str) -> None:
    doc = full_ob_credential()
    canonicalize(doc)  # the shape without the term is warm
    target: Any = doc
    for step in where:
        target = target[step]
    target["favouriteColour"] = "blue"
    for _ in range(2):  # a refused shape stays refused
        with pytest.raises(JsonLdError) as info:
            canonicalize(doc)
        assert info.value.problems == [path]


def test_undefined_type_is_still_refused() -> None:
    doc = full_ob_credential()
    canonicalize(doc)
    doc["credentialSubject"]["achievement"]["type"] = ["Achievement", "Undefined"]
    assert assert_like_plain(doc) == "error"


def test_merged_nodes_and_equal_values() -> None:
    doc = full_ob_credential()  # achievement.creator has the issuer's id: nodes merge
    assert_fast_and_equal(doc)
    doc["credentialSubject"]["achievement"]["tag"] = ["same", "same", "other"]
    doc["credentialSubject"]["achievement"]["alignment"] *= 3  # three tied blank nodes
    doc["evidence"].append(copy.deepcopy(doc["evidence"][0]))  # the same IRI node twice
    assert_fast_and_equal(doc)


def test_vocab_values_are_pinned(vectors: Path) -> None:
    options = load_json(vectors / "ob3-eddsa-rdfc-2022" / "proof-options.json")
    config = {**options, "@context": [VC2, OB]}
    for purpose in ("assertionMethod", "authentication", "https://example.org/purpose"):
        assert assert_like_plain({**config, "proofPurpose": purpose}) != "error"
    # one shape: the placeholder template, then one template per proofPurpose value
    assert shape_cache_stats() == {"fast": 3, "plain": 0, "compiled": 1 + 3}
    with pytest.raises(JsonLdError) as info:
        canonicalize({**config, "proofPurpose": "x"})  # not a term: relative
    assert info.value.problems == ["$.proofPurpose"]


INLINE = {
    "ex": "https://example.org/vocab#",
    "link": {"@id": "ex:link", "@type": "@id"},
    "kind": {"@id": "ex:kind", "@type": "@vocab"},
    "Gadget": "ex:Gadget",
    "note": {"@id": "ex:note", "@language": "en"},
    "data": {"@id": "ex:data", "@type": "@json"},
    "tags": {"@id": "ex:tags", "@container": "@list"},
    "plain": "ex:p",
    "typed": {"@id": "ex:p", "@type": XSD + "string"},
    "n": "ex:n",
    "flag": {"@id": "ex:flag", "@type": XSD + "boolean"},
    "byIndex": {"@id": "ex:byIndex", "@container": "@index"},
    "lang": "@language",
    "val": "@value",
}


def _inline(subject: dict[str, Any], issuer: Any = "https://example.org/issuer") -> dict[str, Any]:
    return {
        "@context": [VC2, INLINE],
        "id": "https://example.org/credential",
        "type": "VerifiableCredential",
        "issuer": issuer,
        "credentialSubject": subject,
    }


@pytest.mark.parametrize(
    "subject",
    [
        {"link": "ex:target"},  # a compact IRI over an inline prefix: expanded by pyld
        {"link": "https://example.org/target"},
        {"link": "ex://not-compact"},
        {"kind": "Gadget"},  # a term in a @vocab place
        {"kind": "ex:Gadget"},
        {"kind": "https://example.org/Other"},
        {"note": "bonjour"},
        {"note": {"val": "hola", "lang": "ES"}},
        {"data": {"a": "b", "n": [1, 2.5, True, None]}},
        {"tags": ["x", "y", "x"]},
        {"tags": []},
        {"plain": "v", "typed": "w"},
        {"plain": "v", "typed": "v"},  # pyld keeps both: they differ in @type
        {"plain": ["v", "v"]},  # pyld keeps one
        {"byIndex": {"a": "one", "b": "two"}},
        {"id": "https://example.org/issuer", "n": 1},
    ],
)
def test_inline_contexts(subject: dict[str, Any]) -> None:
    for variant in (subject, _vary(subject)):
        assert assert_like_plain(_inline(variant)) != "error"


def _vary(node: Any) -> Any:
    """The same shape with other string values (IRIs stay IRIs of the same kind)."""
    if isinstance(node, dict):
        return {k: _vary(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_vary(v) for v in node]
    if isinstance(node, str):
        if node in INLINE:
            return node  # a term stays a term
        if node.startswith("https://"):
            return node + "/other"
        return node + "-other" if ":" not in node else node
    return node


def test_merged_nodes_with_constants_the_node_map_compares_in_python() -> None:
    # pyld merges equal values of merged nodes with Python's == (1 == 1.0): plain path
    issuer = {"id": "https://example.org/x", "n": 1, "flag": "true"}
    subject = {"id": "https://example.org/x", "n": 1.0, "flag": True}
    for subject_id in ("https://example.org/y", "https://example.org/x"):
        assert assert_like_plain(_inline({**subject, "id": subject_id}, issuer)) != "error"


def test_placeholder_lookalikes() -> None:
    lookalike = "urn:Xcs" + jsonld._NONCE + "S3E"
    doc = full_ob_credential()
    doc["name"] = lookalike  # a value: replaced by a placeholder when compiling, then filled in
    doc["id"] = lookalike
    assert assert_fast_and_equal(doc)
    clear_shape_cache()
    doc["type"] = [*doc["type"], lookalike]  # a constant of the template: not compiled
    assert assert_like_plain(doc) != "error"
    assert shape_cache_stats()["fast"] == 0


def test_threads_share_the_cache(vectors: Path) -> None:
    options = load_json(vectors / "ob3-eddsa-rdfc-2022" / "proof-options.json")
    documents: list[dict[str, Any]] = []
    for i in range(40):
        doc = full_ob_credential()
        doc["id"] = f"https://example.org/credentials/{i}"
        doc["name"] = f'Badge {i} "{i % 3}"'
        if i % 4 == 0:
            del doc["evidence"]  # another shape
        documents.append(doc)
        purpose = ("assertionMethod", "authentication", "capabilityInvocation")[i % 3]
        documents.append({**options, "@context": [VC2, OB], "proofPurpose": purpose})
    expected = [oracle(doc) for doc in documents]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            clear_shape_cache()
            assert list(pool.map(canonicalize, documents)) == expected
    assert shape_cache_stats()["plain"] == 0


def test_too_complex_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = full_ob_credential()
    doc["credentialSubject"]["achievement"]["alignment"] *= 2  # tied blank nodes
    monkeypatch.setattr(fastcanon, "MAX_N_DEGREE_CALLS", 0)
    assert assert_like_plain(doc) != "error"
    assert shape_cache_stats()["fast"] == 0
    with pytest.raises(TooComplex):
        canonical_nquads([("_:a", "<p:p>", "_:b", None), ("_:b", "<p:p>", "_:a", None)])


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonld._BUNDLED_LOADER.shapes, "maxsize", 8)
    for i in range(20):
        canonicalize({"@context": [VC2], "type": "VerifiableCredential", "name": ["x"] * (i + 1)})
    assert len(jsonld._BUNDLED_LOADER.shapes) == 8


# --- randomised credentials ----------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_STRINGS = st.one_of(
    _TEXT,
    st.sampled_from(
        ["", "same", "Same", '"', "\\", "\n", "\r\n", "\t", 'a"b\\c\nd', "é", "名前", "😀", "\x00"]
    ),
    st.sampled_from(["_:b0", "urn:x", "xsd:string", "Achievement", "@id", "https://example.org/a"]),
)
_GOOD_IRIS = st.one_of(
    st.sampled_from(
        [
            "https://example.org/a",
            "https://example.org/b",
            "did:web:example.org",
            "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
            "mailto:a@example.org",
            "https://example.org/p?q=1#f",
        ]
    ),
    st.text(alphabet=string.ascii_letters + string.digits + "-._~%/", max_size=10).map(
        lambda s: "https://example.org/" + s
    ),
)
_BAD_IRIS = st.sampled_from(
    ["alice", "_:b1", "status/1.json", "https://ex ample.org", "Achievement", "", "@id", "x:"]
)

Draw = Callable[[st.SearchStrategy[Any]], Any]


class _Maker:
    """Random OB 3.0 credentials: structure from ``rng`` (so two makers with one seed build
    one shape), values from hypothesis."""

    def __init__(self, rng: random.Random, draw: Draw) -> None:
        self.rng = rng
        self.draw = draw

    def text(self) -> str:
        return str(self.draw(_STRINGS))

    def iri(self) -> str:
        if self.draw(st.integers(0, 24)) == 0:
            return str(self.draw(_BAD_IRIS))
        return str(self.draw(_GOOD_IRIS))

    def maybe(self, p: float = 0.5) -> bool:
        return self.rng.random() < p

    def some(self, most: int) -> range:
        return range(self.rng.randint(0, most))

    def image(self) -> dict[str, Any]:
        image: dict[str, Any] = {"id": self.iri(), "type": "Image"}
        if self.maybe():
            image["caption"] = self.text()
        return image

    def profile(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"id": self.iri(), "type": ["Profile"]}
        if self.maybe(0.8):
            profile["name"] = self.text()
        if self.maybe():
            profile["url"] = self.iri()
        if self.maybe(0.3):
            profile["email"] = self.text()
        if self.maybe():
            profile["image"] = self.image()
        return profile

    def achievement(self) -> dict[str, Any]:
        achievement: dict[str, Any] = {
            "id": self.iri(),
            "type": ["Achievement"],
            "name": self.text(),
            "description": self.text(),
            "criteria": {},
        }
        if self.maybe():
            achievement["criteria"]["id"] = self.iri()
        if self.maybe(0.8):
            achievement["criteria"]["narrative"] = self.text()
        if self.maybe():
            achievement["image"] = self.image()
        if self.maybe():
            achievement["achievementType"] = self.draw(st.sampled_from(["Badge", "Certificate"]))
        if self.maybe():
            achievement["tag"] = [self.text() for _ in self.some(4)]
        if self.maybe():
            achievement["alignment"] = []
            for _ in self.some(3):
                alignment: dict[str, Any] = {
                    "type": ["Alignment"],
                    "targetName": self.draw(st.sampled_from(["A", "B"]))
                    if self.maybe()
                    else self.text(),
                    "targetUrl": self.iri(),
                }
                if self.maybe():
                    alignment["targetFramework"] = self.text()
                achievement["alignment"].append(alignment)
        if self.maybe(0.3):
            achievement["creator"] = self.profile()
        if self.maybe(0.2):
            achievement["creditsAvailable"] = self.rng.choice([1, 1.0, 2.5, 0])
        return achievement

    def credential(self) -> dict[str, Any]:
        subject: dict[str, Any] = {"type": ["AchievementSubject"]}
        if self.maybe(0.3):
            subject["id"] = self.iri()
        if self.maybe():
            subject["name"] = self.text()
        subject["identifier"] = []
        for _ in self.some(2):
            identity: dict[str, Any] = {
                "type": "IdentityObject",
                "identityType": self.draw(st.sampled_from(["emailAddress", "name"])),
                "hashed": self.rng.choice([True, False]),
                "identityHash": self.text(),
            }
            if self.maybe():
                identity["salt"] = self.text()
            subject["identifier"].append(identity)
        subject["achievement"] = self.achievement()
        if self.maybe():
            subject["narrative"] = self.text()
        if self.maybe(0.3):
            subject["result"] = []
            for _ in self.some(3):
                result: dict[str, Any] = {"type": ["Result"]}
                if self.maybe():
                    result["value"] = self.text()
                if self.maybe():
                    result["status"] = self.draw(st.sampled_from(["Completed", "Enrolled"]))
                subject["result"].append(result)
        doc: dict[str, Any] = {
            "@context": [VC2, OB],
            "id": self.iri(),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": self.text(),
            "issuer": self.profile() if self.maybe(0.9) else self.iri(),
            "validFrom": self.text(),
            "credentialSubject": subject,
        }
        if self.maybe(0.3):
            doc["validUntil"] = self.text()
        if self.maybe():
            doc["evidence"] = []
            for _ in self.some(3):
                evidence: dict[str, Any] = {"type": ["Evidence"]}
                if self.maybe():
                    evidence["id"] = self.iri()
                if self.maybe():
                    evidence["name"] = self.text()
                if self.maybe():
                    evidence["narrative"] = self.text()
                doc["evidence"].append(evidence)
        if self.maybe(0.8):
            doc["credentialStatus"] = {
                "id": self.iri(),
                "type": "BitstringStatusListEntry",
                "statusPurpose": self.draw(st.sampled_from(["revocation", "suspension"])),
                "statusListIndex": self.text(),
                "statusListCredential": self.iri(),
            }
        keys = list(doc)
        if self.maybe(0.2):
            self.rng.shuffle(keys)
        return {k: doc[k] for k in keys}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), data=st.data())
def test_random_credentials_match_pyld(seed: int, data: st.DataObject) -> None:
    clear_shape_cache()
    first = _Maker(random.Random(seed), data.draw).credential()
    second = _Maker(random.Random(seed), data.draw).credential()
    assert_like_plain(first)  # compiles the shape
    fast = shape_cache_stats()["fast"]
    outcome = assert_like_plain(second)  # the first one's template, the second one's values
    fast = shape_cache_stats()["fast"] - fast
    event("error" if outcome == "error" else "fast" if fast else "plain path")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), data=st.data())
def test_random_proof_configurations_match_pyld(seed: int, data: st.DataObject) -> None:
    maker = _Maker(random.Random(seed), data.draw)
    for _ in range(2):
        config = vc_proof.proof_options(
            vc_proof.RDFC,
            maker.iri(),
            data.draw(st.sampled_from(["2026-01-01T00:00:00Z", "2025-12-31T23:59:59.5+01:00"])),
        )
        config["@context"] = [VC2, OB]
        assert_like_plain(config)


# --- the canonical labelling on its own ------------------------------------------------------------


def pyld_canonical(quads: list[Quad]) -> str:
    dataset = parse_nquads("".join(serialize(q) for q in quads))
    result: str = URDNA2015().main(dataset, {"format": "application/n-quads"})
    return result


_BNODES = [f"_:n{i}" for i in range(7)]
_OBJECTS = [
    "<http://example.org/a>",
    '"lit"',
    '"lit"@en',
    '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
    '"a \\"quoted\\" \\\\ value"',
]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_canonical_labelling_matches_pyld(data: st.DataObject) -> None:
    bnodes = _BNODES[: data.draw(st.integers(1, len(_BNODES)))]
    quad = st.tuples(
        st.sampled_from([*bnodes, "<http://example.org/s>"]),
        st.sampled_from(["<http://example.org/p>", "<http://example.org/q>"]),
        st.sampled_from(bnodes + _OBJECTS),
        st.sampled_from([None, None, None, "<http://example.org/g>", *bnodes[:2]]),
    )
    quads = list(dict.fromkeys(data.draw(st.lists(quad, min_size=1, max_size=14))))
    expected = pyld_canonical(quads)
    assert canonical_nquads(quads) == expected
    # any other labelling and order of the same dataset: the same output
    relabel = dict(
        zip(
            bnodes, data.draw(st.permutations([f"_:x{i}" for i in range(len(bnodes))])), strict=True
        )
    )

    def term(t: str | None) -> str | None:
        return relabel.get(t, t) if t is not None else None

    shuffled = [(term(s), p, term(o), term(g)) for s, p, o, g in quads]
    random.Random(len(quads)).shuffle(shuffled)
    assert canonical_nquads(shuffled) == expected  # type: ignore[arg-type]


def _ring(labels: list[str], predicate: str = "<http://example.org/next>") -> list[Quad]:
    return [(a, predicate, b, None) for a, b in zip(labels, labels[1:] + labels[:1], strict=True)]


@pytest.mark.parametrize(
    "quads",
    [
        _ring([f"_:a{i}" for i in range(6)]),
        _ring(["_:a0", "_:a1", "_:a2"]) + _ring(["_:b0", "_:b1", "_:b2"]),
        [
            (f"_:k{i}", "<http://example.org/p>", f"_:k{j}", None)
            for i in range(4)
            for j in range(4)
            if i != j
        ],
        [
            ("_:s", "<http://example.org/p>", "_:s", None),
            ("_:s", "<http://example.org/p>", '"x"', None),
        ],
        [
            ("_:g", "<http://example.org/p>", "_:h", "_:g"),
            ("_:h", "<http://example.org/p>", "_:g", "_:h"),
        ],
    ],
    ids=["six-ring", "two-triangles", "clique", "self-loop", "graph-names"],
)
def test_symmetric_graphs(quads: list[Quad]) -> None:
    assert canonical_nquads(quads) == pyld_canonical(quads)


@given(st.text())
def test_literal_escaping_is_pylds(text: str) -> None:
    assert escape_literal(text) == pyld_escape(text)


def test_no_blank_nodes() -> None:
    quads: list[Quad] = [("<b:b>", "<p:p>", '"x"', None), ("<a:a>", "<p:p>", '"y"', "<g:g>")]
    assert canonical_nquads(quads) == '<a:a> <p:p> "y" <g:g> .\n<b:b> <p:p> "x" .\n'


def test_a_copy_of_a_document_reuses_its_template() -> None:
    doc = full_ob_credential()
    canonicalize(doc)
    json_round_trip = json.loads(json.dumps(doc))
    assert canonicalize(json_round_trip) == oracle(doc)
    assert shape_cache_stats()["compiled"] == 1
