"""Data Integrity proofs with the EdDSA cryptosuites eddsa-rdfc-2022 and eddsa-jcs-2022.

Follows https://www.w3.org/TR/vc-di-eddsa/ step by step: configure the proof, transform the
document (RDFC-1.0 N-Quads or RFC 8785 JCS), hash (SHA-256 of the proof configuration, then
SHA-256 of the document), sign with Ed25519, serialise as multibase base58btc. Each step is its
own function so the tests can compare every intermediate value with the W3C and 1EdTech vectors.

Several proofs on one document form a proof *set* (https://www.w3.org/TR/vc-data-integrity/#proof-sets):
each proof signs the document without any ``proof`` property, so they verify independently.
The only module that touches rfc8785. There is no clock here: ``created`` is always a parameter.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785

from .encoding import multibase_base58btc, multibase_decode
from .jsonld import canonicalize
from .keys import SigningKey, verify_signature

RDFC = "eddsa-rdfc-2022"
JCS = "eddsa-jcs-2022"
CRYPTOSUITES = (RDFC, JCS)
PROOF_TYPE = "DataIntegrityProof"
ASSERTION_METHOD = "assertionMethod"

# XMLSCHEMA11-2 dateTimeStamp: a dateTime with a mandatory timezone.
DATETIME_STAMP = re.compile(
    r"^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$"
)


class ProofError(ValueError):
    """Proof options or a proof object that the cryptosuite rejects."""


def format_datetime(value: str | datetime) -> str:
    """``created`` as an XML Schema dateTimeStamp; a datetime must be timezone-aware."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ProofError("created must be timezone-aware")
        return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(value, str) or not DATETIME_STAMP.match(value):
        raise ProofError(f"created {value!r} is not an XML Schema dateTimeStamp")
    return value


def proof_options(
    cryptosuite: str, verification_method: str, created: str | datetime
) -> dict[str, Any]:
    """The proof options (a proof without ``proofValue``) for an assertion proof."""
    if cryptosuite not in CRYPTOSUITES:
        raise ProofError(f"unsupported cryptosuite {cryptosuite!r}")
    return {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": ASSERTION_METHOD,
    }


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON data: ``copy.deepcopy`` for dicts, lists and scalars, several times
    faster (anything else is left to ``copy.deepcopy``)."""
    kind = type(value)
    if kind is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if kind is list:
        return [_copy_json(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


def _without_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def transform(
    document: dict[str, Any],
    cryptosuite: str,
    extra_contexts: Mapping[str, dict[str, Any]] | None = None,
) -> bytes:
    """The canonical bytes of ``document`` without its ``proof``: RDFC-1.0 N-Quads or JCS."""
    unsecured = _without_proof(document)
    if cryptosuite == RDFC:
        return canonicalize(unsecured, extra_contexts).encode("utf-8")
    if cryptosuite == JCS:
        return jcs(unsecured)
    raise ProofError(f"unsupported cryptosuite {cryptosuite!r}")


def canonical_proof_config(
    options: dict[str, Any],
    document: dict[str, Any],
    cryptosuite: str,
    extra_contexts: Mapping[str, dict[str, Any]] | None = None,
) -> bytes:
    """The canonical proof configuration (vc-di-eddsa "Proof Configuration").

    RDFC: the options with ``@context`` set to the document's, as N-Quads. JCS: the options as they
    are (the proof carries its own ``@context``), as JCS.
    """
    if options.get("type") != PROOF_TYPE:
        raise ProofError(f"proof type must be {PROOF_TYPE!r}")
    if options.get("cryptosuite") != cryptosuite:
        raise ProofError(f"proof cryptosuite must be {cryptosuite!r}")
    if "created" in options:
        format_datetime(options["created"])
    # canonicalize() and rfc8785 never change their input: no copies needed
    config = {k: v for k, v in options.items() if k != "proofValue"}
    if cryptosuite == RDFC:
        config["@context"] = document.get("@context")
        return canonicalize(config, extra_contexts).encode("utf-8")
    return jcs(config)


def jcs(value: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme of `value`.

    Where they are the same bytes, the standard library's C encoder writes it (compact, keys
    sorted), several times faster than the rfc8785 package: JSON of strings, booleans, null,
    integers within 2**53 (JCS writes numbers as ECMAScript does, and refuses larger integers)
    and keys without characters past U+FFFF (JCS sorts keys by UTF-16 code units, Python by
    code points: the two orders differ only there). Anything else, floats included, is left
    to rfc8785, errors and all."""
    try:
        plain = _jcs_plain(value)
    except RecursionError:
        plain = False
    if plain:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which rfc8785 refuses in its own words
            pass
    return rfc8785.dumps(value)


_SAFE_INTEGER = 2**53 - 1
"""The largest integer JCS writes (RFC 8785 §3.2.2.3: beyond it, IEEE 754 doubles are not exact)."""


def _jcs_plain(value: Any) -> bool:
    """Whether `jcs` may write `value` as sorted compact JSON (see there)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_SAFE_INTEGER <= value <= _SAFE_INTEGER)
    if kind is dict:
        return all(
            type(key) is str and (key.isascii() or max(key) <= "\uffff") and _jcs_plain(item)
            for key, item in value.items()
        )
    if kind is list:
        return all(_jcs_plain(item) for item in value)
    return False


def hash_data(canonical_config: bytes, transformed: bytes) -> bytes:
    """SHA-256(proof configuration) || SHA-256(document): the 64 bytes that get signed."""
    return hashlib.sha256(canonical_config).digest() + hashlib.sha256(transformed).digest()


def create_proof(
    document: dict[str, Any],
    key: SigningKey,
    verification_method: str,
    created: str | datetime,
    cryptosuite: str = RDFC,
    extra_contexts: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One proof object over ``document`` (any existing ``proof`` is ignored)."""
    options = proof_options(cryptosuite, verification_method, created)
    if cryptosuite == JCS and "@context" in document:
        options["@context"] = _copy_json(document["@context"])
    transformed = transform(document, cryptosuite, extra_contexts)
    config = canonical_proof_config(options, document, cryptosuite, extra_contexts)
    signature = key.sign(hash_data(config, transformed))
    return {**options, "proofValue": multibase_base58btc(signature)}


def add_proofs(
    document: dict[str, Any],
    key: SigningKey,
    verification_method: str,
    created: str | datetime,
    cryptosuites: Iterable[str] = (RDFC, JCS),
    extra_contexts: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A copy of ``document`` with ``"proof": [...]``, one proof per cryptosuite (a proof set).

    Existing proofs are kept first; every new proof signs the document without any proof.
    """
    unsecured = _without_proof(document)
    existing = document.get("proof", [])
    proofs = [_copy_json(p) for p in (existing if isinstance(existing, list) else [existing])]
    for suite in cryptosuites:
        proofs.append(
            create_proof(unsecured, key, verification_method, created, suite, extra_contexts)
        )
    return {**_copy_json(unsecured), "proof": proofs}


def verify_proof(
    document: dict[str, Any],
    proof: dict[str, Any],
    public_key: bytes,
    extra_contexts: Mapping[str, dict[str, Any]] | None = None,
    expected_purpose: str = ASSERTION_METHOD,
) -> tuple[bool, str]:
    """Verify one proof of ``document`` (which may or may not still carry its proofs).

    Never raises for bad input: returns ``(False, reason)``. Resolving ``verificationMethod`` to
    ``public_key`` (and checking it is authorised) is the caller's job, see :mod:`.verify`.
    """
    try:
        if not isinstance(document, dict) or not isinstance(proof, dict):
            return False, "document and proof must be JSON objects"
        suite = proof.get("cryptosuite")
        if proof.get("type") != PROOF_TYPE:
            return False, f"proof type {proof.get('type')!r} is not {PROOF_TYPE!r}"
        if suite not in CRYPTOSUITES:
            return False, f"unsupported cryptosuite {suite!r}"
        if proof.get("proofPurpose") != expected_purpose:
            return False, f"proofPurpose {proof.get('proofPurpose')!r} is not {expected_purpose!r}"
        value = proof.get("proofValue")
        if not isinstance(value, str) or not value.startswith("z"):
            return False, "proofValue must be a base58btc multibase string"
        signature = multibase_decode(value)
        if len(signature) != 64:
            return False, "proofValue is not a 64-byte Ed25519 signature"
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        unsecured = _without_proof(document)
        if suite == JCS and "@context" in options:
            proof_ctx = options["@context"]
            doc_ctx = document.get("@context")
            proof_list = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
            doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
            if doc_list[: len(proof_list)] != proof_list:
                return False, "document @context does not start with the proof's @context"
            unsecured["@context"] = _copy_json(proof_ctx)
        transformed = transform(unsecured, suite, extra_contexts)
        config = canonical_proof_config(options, unsecured, suite, extra_contexts)
        if not verify_signature(public_key, hash_data(config, transformed), signature):
            return False, "signature does not match (document or proof altered, or wrong key)"
        return True, f"{suite} proof verified"
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # ValueError covers JsonLdError, ProofError and rfc8785's errors.
        return False, f"cannot verify proof: {exc}"
