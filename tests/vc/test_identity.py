"""Salted identity hashes: the OB 3.0 spec example and the IdentityObject schema."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jsonschema
from hypothesis import given
from hypothesis import strategies as st

from credsite.vc.identity import identity_hash, identity_object, normalise_email

from .conftest import load_json


def test_ob3_spec_example() -> None:
    assert identity_hash("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


@given(st.text(), st.text())
def test_hash_is_sha256_of_value_then_salt_lowercase_hex(value: str, salt: str) -> None:
    result = identity_hash(value, salt)
    algorithm, digest = result.split("$")
    assert algorithm == "sha256"
    assert digest == hashlib.sha256((value + salt).encode()).hexdigest()
    assert digest == digest.lower() and len(digest) == 64


def test_normalise_email() -> None:
    assert normalise_email("  A@Example.COM\n") == "a@example.com"


def test_identity_object() -> None:
    obj = identity_object(" A@Example.com ", "Kosher")
    assert obj == {
        "type": "IdentityObject",
        "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "Kosher",
    }


def test_identity_object_matches_ob_schema(spec: Path) -> None:
    schema = load_json(spec / "ob-v3p0-achievementcredential-schema.json")
    sub = {"$defs": schema["$defs"], "$ref": "#/$defs/IdentityObject"}
    jsonschema.Draft201909Validator(sub).validate(identity_object("a@example.com", "s4lt"))
